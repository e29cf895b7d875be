//! A frozen app needs no Python on the machine (b), writes nothing at run time (c) and
//! cannot be made to import code from the environment, the current directory or next to
//! the executable (d).

use std::fs;
use std::path::{Path, PathBuf};

use pyfreeze_tests::{
    bundle, check_exact, copy_example, copy_executable, for_each_interpreter, list_tree,
    run_frozen, run_frozen_in, tempdir, test_name, unshare_unavailable, Exact, Hidden, Interpreter,
    Status, TempDir,
};

#[test]
fn runs_with_python_hidden() {
    let test = test_name!();
    let hidden = Hidden::python();
    if let Some(why) = unshare_unavailable() {
        panic!("{test}: cannot hide Python: {why}");
    }
    for_each_interpreter(test, |python| {
        let frozen = bundle("hello", python)?;
        let normal = run_frozen(&frozen.exe, &["Ada"], None, &[]);
        let mut problems = Vec::new();
        if normal.status != Status::Code(0) || !normal.stdout.contains("Hello, Ada!") {
            problems.push(format!(
                "{python}: the frozen hello does not run normally\n{normal}"
            ));
        }
        problems.extend(check_exact(
            &format!(
                "{python}: the frozen hello with {} hidden vs its normal run",
                hidden.describe()
            ),
            &hidden.run(&frozen.exe, python, &["Ada"]),
            &Exact::of(&normal),
        ));
        Ok(problems)
    });
}

#[test]
fn writes_nothing_at_run_time() {
    for_each_interpreter(test_name!(), |python| {
        let mut problems = Vec::new();
        for (example, args, stdin) in [
            ("hello", &["Ada"][..], None),
            ("cli", &["--indent", "1"][..], Some(&b"{\"a\": [1]}"[..])),
            ("package_app", &[][..], None),
        ] {
            let frozen = match bundle(example, python) {
                Ok(f) => f,
                Err(e) => {
                    problems.push(e);
                    continue;
                }
            };
            let app = copy_example(example);
            let (exe_dir, exe) = copy_executable(&frozen.exe);
            let tmp = tempdir("TMPDIR");
            let home = tempdir("HOME");
            let app_before = list_tree(&app.path);
            let env = [
                ("TMPDIR", Some(tmp.path().to_str().expect("utf-8 path"))),
                // nor in the user's cache directory, which only --collect-to-disk uses
                ("HOME", Some(home.path().to_str().expect("utf-8 path"))),
                ("XDG_CACHE_HOME", None),
                // the frozen app must not write bytecode whatever the environment says
                ("PYTHONDONTWRITEBYTECODE", None),
            ];
            let out = run_frozen_in(&exe, &app.path, args, stdin, &env);
            if out.status != Status::Code(0) {
                problems.push(format!("{python}: frozen {example} failed\n{out}"));
            }
            let in_tmp = list_tree(tmp.path());
            if !in_tmp.is_empty() {
                problems.push(format!(
                    "{python}: frozen {example} left files in TMPDIR: {in_tmp:?}"
                ));
            }
            let in_home = list_tree(home.path());
            if !in_home.is_empty() {
                problems.push(format!(
                    "{python}: frozen {example} left files in HOME: {in_home:?}"
                ));
            }
            let app_after = list_tree(&app.path);
            if app_after != app_before {
                problems.push(format!(
                    "{python}: frozen {example} (run in a copy of its sources) changed them: \
                     before {app_before:?}, after {app_after:?}"
                ));
            }
            let pycache: Vec<_> = app_after
                .iter()
                .filter(|p| p.components().any(|c| c.as_os_str() == "__pycache__"))
                .collect();
            if !pycache.is_empty() {
                problems.push(format!("{python}: frozen {example} wrote {pycache:?}"));
            }
            let next_to_exe = list_tree(exe_dir.path());
            let expected = vec![PathBuf::from(exe.file_name().expect("exe has a name"))];
            if next_to_exe != expected {
                problems.push(format!(
                    "{python}: frozen {example} wrote next to its executable: {next_to_exe:?}"
                ));
            }
        }
        Ok(problems)
    });
}

/// A module that announces it was imported.
const HIJACK: &str = "print('hijacked from', __file__)\n";

/// Environment a non-isolated Python would take code or settings from.
fn hijack_env(dir: &Path, python: &Interpreter) -> (Vec<(String, String)>, TempDir) {
    let home = tempdir("hijack-home");
    let site = home
        .path()
        .join("userbase/lib")
        .join(format!("python{}", python.minor_version()))
        .join("site-packages");
    fs::create_dir_all(&site).expect("mkdir");
    for module in ["usercustomize.py", "json.py"] {
        fs::write(site.join(module), HIJACK).expect("write");
    }
    let dir = dir.to_str().expect("utf-8 path").to_owned();
    let userbase = home
        .path()
        .join("userbase")
        .to_str()
        .expect("utf-8")
        .to_owned();
    let vars = vec![
        ("PYTHONPATH".to_owned(), dir.clone()),
        ("PYTHONHOME".to_owned(), dir.clone()),
        ("PYTHONUSERBASE".to_owned(), userbase),
        ("PYTHONSTARTUP".to_owned(), format!("{dir}/json.py")),
        ("PYTHONINSPECT".to_owned(), "1".to_owned()),
        (
            "HOME".to_owned(),
            home.path().to_str().expect("utf-8").to_owned(),
        ),
    ];
    (vars, home)
}

fn write_hijack_modules(dir: &Path) {
    fs::create_dir_all(dir).expect("mkdir");
    for module in [
        "json.py",
        "argparse.py",
        "sitecustomize.py",
        "usercustomize.py",
    ] {
        fs::write(dir.join(module), HIJACK).expect("write");
    }
}

const CLI_ARGS: &[&str] = &["--sort", "--indent", "2"];
const CLI_STDIN: &[u8] = br#"{"b": [1, 2], "a": "x"}"#;

#[test]
fn environment_and_cwd_cannot_hijack_imports() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle("cli", python)?;
        let clean_cwd = tempdir("clean-cwd");
        let plain = run_frozen_in(
            &frozen.exe,
            clean_cwd.path(),
            CLI_ARGS,
            Some(CLI_STDIN),
            &[],
        );
        let mut problems = Vec::new();
        if plain.status != Status::Code(0) || !plain.stdout.contains("\"a\": \"x\"") {
            problems.push(format!("{python}: frozen cli does not work\n{plain}"));
        }
        let pythonpath = tempdir("pythonpath");
        write_hijack_modules(pythonpath.path());
        let cwd = tempdir("hijack-cwd");
        write_hijack_modules(cwd.path());
        let (vars, _home) = hijack_env(pythonpath.path(), python);
        let env: Vec<(&str, Option<&str>)> = vars
            .iter()
            .map(|(k, v)| (k.as_str(), Some(v.as_str())))
            .collect();
        let hijacked = run_frozen_in(&frozen.exe, cwd.path(), CLI_ARGS, Some(CLI_STDIN), &env);
        if hijacked.stdout.contains("hijacked") || hijacked.stderr.contains("hijacked") {
            problems.push(format!(
                "{python}: the frozen cli imported a module from PYTHONPATH, PYTHONHOME, the user \
                 site or the current directory\n{hijacked}"
            ));
        }
        problems.extend(check_exact(
            &format!(
                "{python}: the frozen cli with PYTHON* variables set and modules in its current \
                 directory vs its plain run"
            ),
            &hijacked,
            &Exact::of(&plain),
        ));
        Ok(problems)
    });
}

#[test]
fn modules_next_to_the_executable_are_not_imported() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle("cli", python)?;
        let plain = run_frozen(&frozen.exe, CLI_ARGS, Some(CLI_STDIN), &[]);
        let (dir, exe) = copy_executable(&frozen.exe);
        write_hijack_modules(dir.path());
        let out = run_frozen(&exe, CLI_ARGS, Some(CLI_STDIN), &[]);
        let mut problems = Vec::new();
        if out.stdout.contains("hijacked") || out.stderr.contains("hijacked") {
            problems.push(format!(
                "{python}: the frozen cli imported a module that sits next to its executable\n{out}"
            ));
        }
        if out.status != Status::Code(0) || out.stdout != plain.stdout {
            problems.push(format!(
                "{python}: with modules next to it, the frozen cli behaves differently\n\
                 --- plain ---\n{plain}\n--- with modules next to it ---\n{out}"
            ));
        }
        Ok(problems)
    });
}
