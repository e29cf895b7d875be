//! `pyfreeze check` on every interpreter: an app importing a module by a name the build
//! cannot see (a plain build lacks it) fails the check, which names the module and
//! `--include`; with `--include` it passes. An app reading a data file next to its script,
//! named by its argument, fails the check, which names the file and `--collect-to-disk .`;
//! with that option it passes. The arguments after `--` reach both runs (the app exits
//! with their count, and reads the file the first one names). The reports are snapshots
//! for the newest interpreter; every interpreter must give the same verdict. An app that
//! fails the same way both ways passes: its tracebacks are the same once paths are masked.
//! A module left out by `--exclude` is named with that option.

use std::ffi::OsStr;
use std::path::Path;

use pyfreeze_tests::{
    for_each_interpreter, for_each_of, freeze, holds_module, newest_and_3_8, newest_interpreter,
    pyfreeze, tempdir, test_name, write_app, Interpreter, Status,
};

const PLUGIN_MAIN: &str = r#"import importlib
import sys

print("args:", sys.argv[1:])
try:
    plugin = importlib.import_module("".join(reversed("ycnaf_nigulp")))
except ImportError:
    print("no fancy plugin")
else:
    print(plugin.greet())
sys.exit(len(sys.argv) - 1)
"#;

const PLUGIN: &str =
    "import textwrap\n\n\ndef greet():\n    return textwrap.shorten(\"fancy!\", 10)\n";

const DATA_MAIN: &str = r#"import os
import sys

with open(os.path.join(os.path.dirname(__file__), sys.argv[1])) as f:
    print(f.read().strip())
"#;

/// `pyfreeze check APP --python PYTHON OPTIONS -- ARGS`, run from a scratch directory.
fn check(
    app: &Path,
    python: &Interpreter,
    options: &[&str],
    args: &[&str],
) -> pyfreeze_tests::Output {
    let cwd = tempdir("check-cwd");
    let mut argv: Vec<&OsStr> = vec![
        OsStr::new("check"),
        app.as_os_str(),
        OsStr::new("--python"),
        python.path.as_os_str(),
    ];
    argv.extend(options.iter().map(OsStr::new));
    argv.push(OsStr::new("--"));
    argv.extend(args.iter().map(OsStr::new));
    pyfreeze(&argv, cwd.path())
}

/// The problems with `out`, a check that should have exited `status` with a report that
/// starts with `summary` and holds every one of `parts`; the report is snapshot `name`
/// for the newest interpreter.
fn verdict(
    python: &Interpreter,
    name: &str,
    out: &pyfreeze_tests::Output,
    status: i32,
    summary: &str,
    parts: &[&str],
) -> Vec<String> {
    let mut problems = Vec::new();
    if out.status != Status::Code(status) {
        problems.push(format!(
            "{python}: {name}: exit status not {status}:\n{out}"
        ));
    }
    if !out.stdout.starts_with(summary) {
        problems.push(format!(
            "{python}: {name}: the report does not start with {summary:?}:\n{out}"
        ));
    }
    for part in parts {
        if !out.stdout.contains(part) {
            problems.push(format!(
                "{python}: {name}: the report lacks {part:?}:\n{out}"
            ));
        }
    }
    if python == newest_interpreter() {
        // What the standard library imports (the bundle's tracebacks with it) differs
        // between versions, not what is checked: the counts of modules not imported by
        // one run or the other, and the note naming the bundle's, are left out.
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(
            r"\d+ not imported by the bundle",
            "[N] not imported by the bundle",
        );
        settings.add_filter(r", \d+ extra.*", ", [N] extra");
        settings.add_filter(r"(?m)^note: modules only the bundle imported: .*\n", "");
        settings.bind(|| insta::assert_snapshot!(name, out.stdout));
    }
    problems
}

#[test]
fn check_names_a_module_imported_by_a_computed_name() {
    let app = write_app(
        "plugapp",
        &[("main.py", PLUGIN_MAIN), ("plugin_fancy.py", PLUGIN)],
    );
    for_each_interpreter(test_name!(), |python| {
        let mut problems = Vec::new();
        let plain = freeze(&app.path, python, &[]).map_err(|e| format!("{python}: {e}"))?;
        if holds_module(&plain.exe, "plugin_fancy")? {
            problems.push(format!(
                "{python}: a plain build holds plugin_fancy: the test's import is not hidden from the build"
            ));
        }
        let out = check(&app.path, python, &[], &["a", "b"]);
        problems.extend(verdict(
            python,
            "check_lacking_module",
            &out,
            1,
            // Before 3.11 the bundle lacks textwrap too, which only the plugin imports:
            // the plugin's --include brings it.
            "check: exit status 2 = 2, stdout differs, stderr same, modules: ",
            &[
                "\nstdout: line 2 differs: CPython \"fancy!\", bundle \"no fancy plugin\"\n",
                "\nerror: the bundle lacks ",
                " CPython imported: plugin_fancy (imported by a name the build cannot see, at run time)",
                "\nhelp: build with --include plugin_fancy\n",
            ],
        ));
        let out = check(
            &app.path,
            python,
            &["--include", "plugin_fancy"],
            &["a", "b"],
        );
        problems.extend(verdict(
            python,
            "check_included_module",
            &out,
            0,
            "check: exit status 2 = 2, stdout same, stderr same, modules: 0 missing, 3 extra (pyfreeze runtime)\n",
            &[],
        ));
        Ok(problems)
    });
}

#[test]
fn check_names_a_data_file_opened_next_to_the_script() {
    let app = write_app(
        "dataapp",
        &[("main.py", DATA_MAIN), ("x.txt", "hello from x\n")],
    );
    for_each_interpreter(test_name!(), |python| {
        let mut problems = Vec::new();
        let out = check(&app.path, python, &[], &["x.txt"]);
        problems.extend(verdict(
            python,
            "check_lacking_data_file",
            &out,
            1,
            "check: exit status 0 != 1, stdout differs, stderr differs, modules: 0 missing,",
            &[
                "\nstdout: line 1 differs: CPython \"hello from x\", bundle nothing\n",
                "\nerror: the bundle lacks 1 data file CPython opened: x.txt (in the app directory)\n",
                "\nhelp: build with --collect-to-disk .\n",
            ],
        ));
        let out = check(&app.path, python, &["--collect-to-disk", "."], &["x.txt"]);
        problems.extend(verdict(
            python,
            "check_data_file_on_disk",
            &out,
            0,
            "check: exit status 0 = 0, stdout same, stderr same, modules: 0 missing, 3 extra (pyfreeze runtime)\n",
            &[],
        ));
        Ok(problems)
    });
}

const RAISING_MAIN: &str = r#"import json
import sys

print("parsing", sys.argv[1])
json.loads(sys.argv[1])
"#;

#[test]
fn check_masks_the_paths_in_tracebacks() {
    let app = write_app("raiseapp", &[("main.py", RAISING_MAIN)]);
    for_each_interpreter(test_name!(), |python| {
        // The traceback's frames are in the app directory and the standard library under
        // CPython, in the executable in the bundle: masked, both read the same.
        let out = check(&app.path, python, &[], &["{bad"]);
        Ok(verdict(
            python,
            "check_same_traceback",
            &out,
            0,
            "check: exit status 1 = 1, stdout same, stderr same, modules: 0 missing, ",
            &[],
        ))
    });
}

const OPTIONAL_MAIN: &str = r#"try:
    import json
except ImportError:
    json = None
print("json:", json is not None)
"#;

#[test]
fn check_names_the_exclude_that_left_a_module_out() {
    let app = write_app("excludeapp", &[("main.py", OPTIONAL_MAIN)]);
    let test = test_name!();
    for_each_of(test, newest_and_3_8(test), |python| {
        // json's submodules are named with json, which brings them.
        let out = check(&app.path, python, &["--exclude", "json"], &[]);
        Ok(verdict(
            python,
            "check_excluded_module",
            &out,
            1,
            "check: exit status 0 = 0, stdout differs, stderr same, modules: ",
            &[
                "\nerror: the bundle lacks ",
                " json (left out by --exclude json), ",
                " json.decoder (imported by json), ",
                "\nhelp: build without --exclude json\n",
            ],
        ))
    });
}
