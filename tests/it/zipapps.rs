//! Zipapps: a `.pyz` made by `python -m zipapp` is frozen as the app it holds, and runs as
//! `python app.pyz` does; a damaged one is refused, naming the file.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use pyfreeze_tests::{
    build_args, compare_to, for_each_interpreter, freeze, list_tree, newest_interpreter, pyfreeze,
    run_python, test_name, write_app, AppDir, Case, Interpreter, Status,
};

/// A small app with a package, made into `app.pyz` (behind a `#!` line) by `python -m
/// zipapp`; its sources are removed, so only the zipapp can serve it.
fn zipapp(python: &Interpreter) -> Result<AppDir, String> {
    let app = write_app(
        "zipapp",
        &[
            (
                "src/__main__.py",
                "import sys\n\
                 from greet import hello\n\
                 from greet.words import WORDS\n\
                 print(__name__, hello(sys.argv[1:]), len(WORDS))\n\
                 if 'fail' in sys.argv:\n    sys.exit(3)\n",
            ),
            (
                "src/greet/__init__.py",
                "from .words import WORDS\n\
                 def hello(names):\n    \
                     return ', '.join(f'{WORDS[0]}, {n}!' for n in names or ['world'])\n",
            ),
            ("src/greet/words.py", "WORDS = ('Hello', 'Bye')\n"),
        ],
    );
    let made = run_python(
        python,
        &app.path,
        &[
            "-m",
            "zipapp",
            "src",
            "-o",
            "app.pyz",
            "-p",
            "/usr/bin/env python3",
        ],
        None,
        &[],
    );
    if made.status != Status::Code(0) {
        return Err(format!("{python}: python -m zipapp failed\n{made}"));
    }
    fs::remove_dir_all(app.path.join("src")).map_err(|e| e.to_string())?;
    Ok(app)
}

#[test]
fn a_zipapp_runs_frozen_as_python_runs_it() {
    for_each_interpreter(test_name!(), |python| {
        let app = zipapp(python)?;
        let frozen = freeze(&app.path.join("app.pyz"), python, &[]).map_err(|e| e.to_string())?;
        let mut problems = Vec::new();
        for case in [
            Case::new(&["Ada", "Grace"], Status::Code(0)),
            Case::new(&[], Status::Code(0)),
            Case::new(&["fail"], Status::Code(3)),
        ] {
            problems.extend(compare_to(python, &["app.pyz"], &frozen.exe, &app, &case));
        }
        Ok(problems)
    });
}

#[test]
fn a_zipapp_is_built_to_dist_under_its_stem() {
    let python = newest_interpreter();
    let app = zipapp(python).unwrap_or_else(|e| panic!("{e}"));
    let args = [
        OsStr::new("build"),
        OsStr::new("app.pyz"),
        OsStr::new("--python"),
        python.path.as_os_str(),
    ];
    let out = pyfreeze(&args, &app.path);
    assert_eq!(out.status, Status::Code(0), "{out}");
    assert!(app.path.join("dist/app").is_file(), "no dist/app\n{out}");
}

/// Snapshots `stderr` with `dir` filtered out.
fn snapshot(name: &str, dir: &Path, stderr: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex::escape(&dir.to_string_lossy()), "[TMP]");
    settings.bind(|| insta::assert_snapshot!(name, stderr));
}

#[test]
fn a_damaged_zipapp_is_refused_naming_it() {
    let python = newest_interpreter();
    let app = zipapp(python).unwrap_or_else(|e| panic!("{e}"));
    let pyz = app.path.join("app.pyz");
    let bytes = fs::read(&pyz).expect("read app.pyz");
    // Cut off its end, where the zip's directory is.
    fs::write(&pyz, &bytes[..bytes.len() - 40]).expect("write app.pyz");
    let out_dir = app.path.join("out");
    fs::create_dir(&out_dir).expect("mkdir out");
    let output = out_dir.join("app");
    let out = pyfreeze(&build_args(&pyz, &output, &python.path), &app.path);
    assert_eq!(out.status, Status::Code(1), "{out}");
    assert_eq!(
        list_tree(&out_dir),
        Vec::<PathBuf>::new(),
        "a refused build wrote\n{out}"
    );
    snapshot(test_name!(), &app.path, &out.stderr);
}
