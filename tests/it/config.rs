//! Configuration from `pyproject.toml`: `pyfreeze build` with no arguments in the
//! `pyproject_app` example builds each of its console scripts as `[tool.pyfreeze]` says,
//! each compared with CPython calling the same function with the same options; the
//! project's `.venv` is the interpreter when none is active; flags override the
//! configuration; and the configuration's errors (snapshots) name the file and the line.

use std::ffi::OsStr;
use std::fs;
use std::path::Path;

use pyfreeze_tests::{
    check_exact, compare_to, copy_example, for_each_interpreter, for_each_of, newest_and_3_8,
    newest_interpreter, pyfreeze_env, run_command, run_frozen, tempdir, test_name, AppDir, Case,
    Env, Interpreter, Output, Status,
};

const EXAMPLE: &str = "pyproject_app";
/// What `[project.scripts]` lists: the script and the function it calls.
const SCRIPTS: [(&str, &str); 2] = [("greet", "greet"), ("greeter-info", "info")];

/// `python -E -s -S <options> -c <call>` calls the script's function as pip's wrapper
/// does, with the package found in `src/`.
fn reference_call(function: &str) -> String {
    format!(
        "import sys; sys.path.insert(0, 'src'); from greeter.cli import {function}; \
         sys.exit({function}())"
    )
}

fn cases(script: &str) -> Vec<Case<'static>> {
    match script {
        "greet" => vec![
            Case::new(&[], Status::Code(0)),
            Case::new(&["--lang", "fr", "Ada", "Grace"], Status::Code(0)),
            Case::new(&["--lang", "xx"], Status::Code(2)),
        ],
        _ => vec![
            Case::new(&[], Status::Code(0)),
            Case::new(&["a", "b"], Status::Code(2)),
        ],
    }
}

/// `pyfreeze build <args>` in `dir` with `env`, which must succeed and report exactly the
/// executables `built` (paths as printed), made by `python`.
fn build(
    dir: &Path,
    args: &[&str],
    env: &Env<'_>,
    python: &Interpreter,
    built: &[&str],
) -> Result<Output, String> {
    let what = format!(
        "{python}: `pyfreeze {}` in {}",
        args.join(" "),
        dir.display()
    );
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    let out = pyfreeze_env(&args, dir, env);
    if out.status != Status::Code(0) {
        return Err(format!("{what} failed\n{out}"));
    }
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("Built "))
        .collect();
    let expected: Vec<String> = built.iter().map(|exe| format!("Built {exe} (")).collect();
    let with = format!(" with Python {}: ", python.version);
    let as_expected = lines.len() == built.len()
        && lines
            .iter()
            .zip(&expected)
            .all(|(line, start)| line.starts_with(start) && line.contains(&with));
    if !as_expected {
        return Err(format!(
            "{what}: expected the summaries of {built:?} built with Python {}\n{out}",
            python.version
        ));
    }
    for exe in built {
        if !dir.join(exe).is_file() {
            return Err(format!("{what}: no {exe}\n{out}"));
        }
    }
    Ok(out)
}

/// Every difference between the frozen script `exe` and CPython calling its function as
/// `python -E -s -S <options> -c ...` in the project directory.
fn compare_script(
    python: &Interpreter,
    options: &[&str],
    app: &AppDir,
    exe: &Path,
    (script, function): (&str, &str),
) -> Vec<String> {
    let call = reference_call(function);
    let mut start = options.to_vec();
    start.extend(["-c", &call]);
    cases(script)
        .iter()
        .flat_map(|case| compare_to(python, &start, exe, app, case))
        .collect()
}

/// `PATH` with only `dir` in front of it.
fn path_with(dir: &Path) -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{}:{path}", dir.display())
}

#[test]
fn a_project_builds_its_scripts_with_no_arguments() {
    for_each_interpreter(test_name!(), |python| {
        let app = copy_example(EXAMPLE);
        // No flag says which Python: the one that is `python3` on PATH.
        let path = path_with(python.path.parent().expect("python in bin/"));
        let env: &Env<'_> = &[("PATH", Some(&path)), ("VIRTUAL_ENV", None)];
        build(
            &app.path,
            &["build"],
            env,
            python,
            &["dist/greet", "dist/greeter-info"],
        )?;
        let mut problems = Vec::new();
        for script in SCRIPTS {
            let exe = app.path.join("dist").join(script.0);
            problems.extend(compare_script(
                python,
                &["-O", "-X", "utf8"],
                &app,
                &exe,
                script,
            ));
        }
        // What the comparison stands on: `optimize = 1` and `-X utf8` reached the bundle.
        let info = run_frozen(&app.path.join("dist/greeter-info"), &[], None, &[]);
        problems.extend(check_exact(
            &format!("{python}: dist/greeter-info"),
            &info,
            &pyfreeze_tests::Exact::clean(
                "optimize: 1\n__debug__: False\nutf8_mode: 1\ndocstrings: True\nasserts: skipped\n",
            ),
        ));
        Ok(problems)
    });
}

/// `python -m venv --without-pip .venv` in `dir`, made by `python`.
fn make_venv(python: &Interpreter, dir: &Path) -> Result<(), String> {
    let mut venv = std::process::Command::new(&python.path);
    venv.args(["-E", "-s", "-m", "venv", "--without-pip", ".venv"])
        .current_dir(dir);
    let out = run_command(venv, None, std::time::Duration::from_secs(120))
        .map_err(|e| format!("{python}: python -m venv: {e}"))?;
    if out.status != Status::Code(0) {
        return Err(format!("{python}: python -m venv failed\n{out}"));
    }
    Ok(())
}

#[test]
fn the_project_venv_is_the_interpreter_and_flags_override_the_configuration() {
    let test = test_name!();
    let newest = newest_interpreter();
    for_each_of(test, newest_and_3_8(test), |python| {
        let app = copy_example(EXAMPLE);
        make_venv(python, &app.path)?;
        // Nothing else to find: no active virtualenv, no python3 on PATH.
        let empty = tempdir("empty-path");
        let path = empty.path().display().to_string();
        let env: &Env<'_> = &[("PATH", Some(&path)), ("VIRTUAL_ENV", None)];
        build(
            &app.path,
            &["build", "--script", "greet"],
            env,
            python,
            &["dist/greet"],
        )?;
        let mut problems = compare_script(
            python,
            &["-O", "-X", "utf8"],
            &app,
            &app.path.join("dist/greet"),
            SCRIPTS[0],
        );

        let newest_path = newest.path.display().to_string();
        let args = [
            "build",
            "--script",
            "greeter-info",
            "-OO",
            "-o",
            "out/info",
            "--python",
            &newest_path,
        ];
        build(&app.path, &args, env, newest, &["out/info"])?;
        let exe = app.path.join("out/info");
        problems.extend(compare_script(
            newest,
            &["-OO", "-X", "utf8"],
            &app,
            &exe,
            SCRIPTS[1],
        ));
        let info = run_frozen(&exe, &[], None, &[]);
        problems.extend(check_exact(
            &format!("{python}: out/info"),
            &info,
            &pyfreeze_tests::Exact::clean(
                "optimize: 2\n__debug__: False\nutf8_mode: 1\ndocstrings: False\nasserts: skipped\n",
            ),
        ));
        if app.path.join("dist/greeter-info").exists() {
            problems.push(format!(
                "{python}: --script greeter-info -o out/info also wrote dist/greeter-info"
            ));
        }
        Ok(problems)
    });
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

const PYPROJECT: &str = r#"[project]
name = "greeter"
version = "0.1.0"

[project.scripts]
greet = "greeter.cli:greet"
greeter-info = "greeter.cli:info"

[tool.pyfreeze]
"#;

/// `pyfreeze build <args>` in `cwd`, which must fail as the user's mistake (exit status
/// 1) and build nothing; its stderr, snapshotted as `name` with `root` shown as `[TMP]`.
fn refused(name: &str, root: &Path, cwd: &Path, args: &[&str]) {
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    let out = pyfreeze_env(&args, cwd, &[("VIRTUAL_ENV", None)]);
    assert_eq!(out.status, Status::Code(1), "{out}");
    assert!(
        !root.join("dist").exists(),
        "a refused build wrote dist/\n{out}"
    );
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex::escape(&root.to_string_lossy()), "[TMP]");
    settings.bind(|| insta::assert_snapshot!(name, out.stderr));
}

/// A project directory whose `[tool.pyfreeze]` ends with `tool`.
fn project(tool: &str) -> pyfreeze_tests::TempDir {
    let dir = tempdir("config-error");
    fs::write(
        dir.path().join("pyproject.toml"),
        format!("{PYPROJECT}{tool}"),
    )
    .expect("write");
    fs::create_dir_all(dir.path().join("src/greeter")).expect("mkdir");
    dir
}

#[test]
fn an_unknown_key_is_named_with_its_file_and_line() {
    let dir = project("optimize = 1\noptimise = 2\n");
    refused(test_name!(), dir.path(), dir.path(), &["build"]);
    // Found from a directory below, the file is named by its path.
    let below = dir.path().join("src/greeter");
    let name = format!("{}-below", test_name!());
    refused(&name, dir.path(), &below, &["build"]);
}

#[test]
fn a_value_of_the_wrong_type_is_named_with_what_the_key_takes() {
    let dir = project("include = \"json\"\n");
    refused(test_name!(), dir.path(), dir.path(), &["build"]);
}

#[test]
fn an_unknown_script_is_named_with_the_scripts() {
    let dir = project("");
    refused(
        test_name!(),
        dir.path(),
        dir.path(),
        &["build", "--script", "gret"],
    );
}

#[test]
fn one_output_for_several_scripts_is_refused() {
    let dir = project("");
    refused(
        test_name!(),
        dir.path(),
        dir.path(),
        &["build", "-o", "app"],
    );
}

#[test]
fn no_pyproject_and_no_app() {
    let dir = tempdir("no-project");
    let ancestors = dir
        .path()
        .ancestors()
        .find(|d| d.join("pyproject.toml").is_file());
    assert!(
        ancestors.is_none(),
        "a pyproject.toml above the scratch directory: {ancestors:?}"
    );
    refused(test_name!(), dir.path(), dir.path(), &["build"]);
}
