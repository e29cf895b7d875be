//! The options of `pyfreeze build`, end to end: `--entry FILE|MODULE|MODULE:FUNC`, the
//! default output of a single-file app, `-O` / `-OO`, `--no-source`, `--exclude` and
//! `--include`; and the interpreter settings every frozen app runs with (empty `sys.path`,
//! `-I -S`, no bytecode writing). Each is compared with the same interpreter running the same
//! app the way the option says (`python -m tool.cli`, `python -O main.py`, ...), and what
//! the comparison stands on is checked on the frozen app itself.
//!
//! The apps are tiny and each build is shared (see [`bundle_with`]): the `probe` app serves
//! the optimisation, `--no-source` and isolation tests, the `tool` app every `--entry` test.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use pyfreeze_tests::{
    both, bundle_with, check_exact, compare_to, for_each_interpreter, list_tree, listed_entries,
    mask_frozen, mask_reference, pyfreeze, run_frozen, run_python, scratch_root, tempdir,
    test_name, write_app, AppDir, Case, Exact, Frozen, Interpreter, Output, Status, Stop,
};

/// Whether `out` is exactly an uncaught `ModuleNotFoundError` for `module`: exit status 1,
/// nothing on stdout, a traceback whose last line is CPython's message followed by `tail`
/// (what the bundle adds for a module the build left out on purpose).
fn module_not_found(out: &Output, module: &str, tail: &str) -> bool {
    let last = out.stderr.trim_end().lines().last().unwrap_or_default();
    out.status == Status::Code(1)
        && out.stdout.is_empty()
        && out
            .stderr
            .starts_with("Traceback (most recent call last):\n")
        && last
            .strip_prefix(&format!("ModuleNotFoundError: No module named '{module}'"))
            .is_some_and(|rest| rest == tail || (!tail.is_empty() && rest.ends_with(tail)))
}

// ---------------------------------------------------------------------------------------
// --entry
// ---------------------------------------------------------------------------------------

const TOOL_CLI: &str = r#"import sys


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "code"
    print("main() called in", __name__, sys.argv[1:])
    if mode == "code":
        return 5
    if mode == "none":
        return None
    return "main() failed: " + mode


if __name__ == "__main__":
    print("tool/cli.py ran as", __name__, __spec__.name, sys.argv[1:])
    sys.exit(4)
"#;

/// An app with a package `tool` (runnable as `-m tool` and `-m tool.cli`, with a
/// console-script `main`), a default `main.py` that no `--entry` build may run, and two
/// other scripts that import a module next to them.
fn tool_app() -> AppDir {
    write_app(
        "tool",
        &[
            (
                "tool/__init__.py",
                "print('tool/__init__.py ran as', __name__)\n",
            ),
            ("tool/cli.py", TOOL_CLI),
            (
                "tool/__main__.py",
                "import sys\n\
                 print('tool/__main__.py ran as', __name__, __spec__.name, sys.argv[1:])\n\
                 sys.exit(3)\n",
            ),
            (
                "main.py",
                "print('main.py, the default entry point, ran')\n",
            ),
            (
                "other.py",
                "import sys\n\
                 import helper\n\
                 print('other.py ran as', __name__, helper.WHERE, sys.argv[1:])\n\
                 sys.exit(6)\n",
            ),
            ("helper.py", "WHERE = 'helper.py, next to other.py'\n"),
            (
                "scripts/run.py",
                "import sys\n\
                 import util\n\
                 print('scripts/run.py ran as', __name__, util.WHERE, sys.argv[1:])\n\
                 sys.exit(7)\n",
            ),
            (
                "scripts/util.py",
                "WHERE = 'scripts/util.py, next to run.py'\n",
            ),
        ],
    )
}

/// Freezes the tool app with `--entry <entry>` for every interpreter; each case must match
/// `python -E -s -S <start> <args>` run in the app's directory, and the frozen app must
/// print exactly `expected` (stdout, stderr) for the first case.
fn entry_matches_cpython(
    test: &str,
    entry: &str,
    start: &[&str],
    cases: &[Case<'_>],
    expected: (&str, &str),
) {
    for_each_interpreter(test, |python| {
        let frozen = bundle_with("tool", python, &["--entry", entry], tool_app)?;
        let app = tool_app();
        let mut problems: Vec<String> = cases
            .iter()
            .flat_map(|case| compare_to(python, start, &frozen.exe, &app, case))
            .collect();
        let first = &cases[0];
        problems.extend(check_exact(
            &format!("{python}: frozen, arguments {:?}", first.args),
            &run_frozen(&frozen.exe, first.args, None, &[]),
            &Exact::new(first.expect, expected.0, expected.1),
        ));
        Ok(problems)
    });
}

#[test]
fn entry_module_runs_like_python_m() {
    entry_matches_cpython(
        test_name!(),
        "tool.cli",
        &["-m", "tool.cli"],
        &[
            Case::new(&["a", "b c"], Status::Code(4)),
            Case::new(&[], Status::Code(4)),
        ],
        (
            "tool/__init__.py ran as tool\n\
             tool/cli.py ran as __main__ tool.cli ['a', 'b c']\n",
            "",
        ),
    );
}

#[test]
fn entry_package_runs_its_dunder_main_like_python_m() {
    entry_matches_cpython(
        test_name!(),
        "tool",
        &["-m", "tool"],
        &[
            Case::new(&["x", "--flag"], Status::Code(3)),
            Case::new(&[], Status::Code(3)),
        ],
        (
            "tool/__init__.py ran as tool\n\
             tool/__main__.py ran as __main__ tool.__main__ ['x', '--flag']\n",
            "",
        ),
    );
}

/// What a console-script wrapper (as pip writes them) does.
const CONSOLE_SCRIPT: &str = "import sys; from tool.cli import main; sys.exit(main())";

#[test]
fn entry_function_exits_with_its_result() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_with("tool", python, &["--entry", "tool.cli:main"], tool_app)?;
        let app = tool_app();
        let mut problems = Vec::new();
        for case in [
            // an int: the exit status
            Case::new(&["code"], Status::Code(5)),
            // None: exit status 0
            Case::new(&["none"], Status::Code(0)),
            // a string: printed to stderr, exit status 1
            Case::new(&["text"], Status::Code(1)),
        ] {
            problems.extend(compare_to(
                python,
                &["-c", CONSOLE_SCRIPT],
                &frozen.exe,
                &app,
                &case,
            ));
        }
        let init = "tool/__init__.py ran as tool\n";
        for (mode, status, stderr) in [
            ("code", Status::Code(5), ""),
            ("none", Status::Code(0), ""),
            ("text", Status::Code(1), "main() failed: text\n"),
        ] {
            let stdout = format!("{init}main() called in tool.cli ['{mode}']\n");
            problems.extend(check_exact(
                &format!("{python}: frozen, arguments [{mode:?}]"),
                &run_frozen(&frozen.exe, &[mode], None, &[]),
                &Exact::new(status, &stdout, stderr),
            ));
        }
        Ok(problems)
    });
}

#[test]
fn entry_file_runs_that_script() {
    entry_matches_cpython(
        test_name!(),
        "other.py",
        &["other.py"],
        &[
            Case::new(&["one", "two"], Status::Code(6)),
            Case::new(&[], Status::Code(6)),
        ],
        (
            "other.py ran as __main__ helper.py, next to other.py ['one', 'two']\n",
            "",
        ),
    );
}

/// `python scripts/run.py` puts `scripts/` first on `sys.path`, so the script imports the
/// modules next to it; "run like `python main.py`" means the frozen one does too.
#[test]
fn entry_file_in_a_subdirectory_imports_its_siblings() {
    entry_matches_cpython(
        test_name!(),
        "scripts/run.py",
        &["scripts/run.py"],
        &[Case::new(&["z"], Status::Code(7))],
        (
            "scripts/run.py ran as __main__ scripts/util.py, next to run.py ['z']\n",
            "",
        ),
    );
}

#[test]
fn single_file_app_is_written_to_dist_in_the_current_directory() {
    for_each_interpreter(test_name!(), |python| {
        let app = write_app(
            "single",
            &[(
                "tool.py",
                "import sys\nprint('tool.py ran as', __name__, sys.argv[1:])\nsys.exit(8)\n",
            )],
        );
        let cwd = tempdir("cwd");
        // the app given relative to the current directory, as a user types it
        let relative = Path::new("..").join(
            app.path
                .join("tool.py")
                .strip_prefix(scratch_root())
                .expect("apps are written under the scratch root"),
        );
        let build = pyfreeze(
            &[
                OsStr::new("build"),
                relative.as_os_str(),
                OsStr::new("--python"),
                python.path.as_os_str(),
            ],
            cwd.path(),
        );
        let listing = list_tree(cwd.path());
        let expected = vec![PathBuf::from("dist"), PathBuf::from("dist/tool")];
        if build.status != Status::Code(0) || listing != expected {
            return Err(format!(
                "{python}: `pyfreeze build {} --python ...` in {} should write exactly \
                     dist/tool there; it wrote {listing:?}\n{build}",
                relative.display(),
                cwd.path().display()
            )
            .into());
        }
        let exe = cwd.path().join("dist/tool");
        let mut problems = compare_to(
            python,
            &["tool.py"],
            &exe,
            &app,
            &Case::new(&["q"], Status::Code(8)),
        );
        problems.extend(check_exact(
            &format!("{python}: frozen tool.py, arguments [\"q\"]"),
            &run_frozen(&exe, &["q"], None, &[]),
            &Exact::new(Status::Code(8), "tool.py ran as __main__ ['q']\n", ""),
        ));
        Ok(problems)
    });
}

// ---------------------------------------------------------------------------------------
// -O, -OO, --no-source, and the interpreter settings of every frozen app
// ---------------------------------------------------------------------------------------

const PROBE_MAIN: &str = r#"import sys

mode = sys.argv[1] if len(sys.argv) > 1 else "optimize"
if mode == "optimize":
    def documented():
        """The docstring."""
    print("__debug__", __debug__)
    print("optimize", sys.flags.optimize)
    try:
        assert False, "the assert ran"
    except AssertionError:
        print("assert raises")
    else:
        print("assert skipped")
    print("doc", repr(documented.__doc__))
elif mode == "raise":
    import failing
    failing.fail()
elif mode == "getsource":
    import inspect
    import failing
    try:
        inspect.getsource(failing.fail)
    except Exception as e:
        print(type(e).__name__)
    else:
        print("source found")
elif mode == "isolation":
    print("path", sys.path)
    print("no_site", sys.flags.no_site)
    print("isolated", sys.flags.isolated)
    print("dont_write_bytecode", sys.flags.dont_write_bytecode)
"#;

/// An app that reports the optimisation level it runs at, raises from a module function,
/// looks for that function's source, or reports its `sys.path` and flags.
fn probe_app() -> AppDir {
    write_app(
        "probe",
        &[
            ("main.py", PROBE_MAIN),
            (
                "failing.py",
                "def fail():\n    raise ValueError(\"failing on purpose\")\n",
            ),
        ],
    )
}

/// The probe app frozen for `python` with the extra build arguments `args`.
fn probe_bundle(python: &Interpreter, args: &[&str]) -> Result<&'static Frozen, String> {
    bundle_with("probe", python, args, probe_app)
}

#[test]
fn optimization_levels_match_cpython() {
    for_each_interpreter(test_name!(), |python| {
        let mut problems = Vec::new();
        for (flags, stdout) in [
            (
                &[][..],
                "__debug__ True\noptimize 0\nassert raises\ndoc 'The docstring.'\n",
            ),
            (
                &["-O"][..],
                "__debug__ False\noptimize 1\nassert skipped\ndoc 'The docstring.'\n",
            ),
            (
                &["-OO"][..],
                "__debug__ False\noptimize 2\nassert skipped\ndoc None\n",
            ),
        ] {
            let frozen = match probe_bundle(python, flags) {
                Ok(f) => f,
                Err(e) => {
                    problems.push(e);
                    continue;
                }
            };
            let app = probe_app();
            let mut start = flags.to_vec();
            start.push("main.py");
            problems.extend(compare_to(
                python,
                &start,
                &frozen.exe,
                &app,
                &Case::new(&[], Status::Code(0)),
            ));
            problems.extend(check_exact(
                &format!("{python}: frozen, no arguments"),
                &run_frozen(&frozen.exe, &[], None, &[]),
                &Exact::clean(stdout),
            ));
        }
        Ok(problems)
    });
}

/// `text` without the source lines of its traceback frames (the lines indented by four
/// spaces: the source line and, from 3.11 on, the carets under it).
fn without_source_lines(text: &str) -> String {
    text.split_inclusive('\n')
        .filter(|line| !line.starts_with("    "))
        .collect()
}

#[test]
fn no_source_leaves_sources_out() {
    for_each_interpreter(test_name!(), |python| {
        let (with, without) = both(
            probe_bundle(python, &[]),
            probe_bundle(python, &["--no-source"]),
        )?;
        let app = probe_app();
        let mut problems = Vec::new();

        // Built with its sources, the app shows them as CPython does.
        problems.extend(compare_to(
            python,
            &["main.py"],
            &with.exe,
            &app,
            &Case::new(&["raise"], Status::Code(1)),
        ));
        problems.extend(compare_to(
            python,
            &["main.py"],
            &with.exe,
            &app,
            &Case::new(&["getsource"], Status::Code(0)),
        ));
        problems.extend(check_exact(
            &format!("{python}: frozen with sources, arguments [\"getsource\"]"),
            &run_frozen(&with.exe, &["getsource"], None, &[]),
            &Exact::clean("source found\n"),
        ));

        // Without: the same traceback with no source line under any frame.
        let reference = run_python(python, &app.path, &["main.py", "raise"], None, &[]);
        let frozen = run_frozen(&without.exe, &["raise"], None, &[]);
        let expected = without_source_lines(&mask_reference(&reference.stderr, &app.path, python));
        let masked = mask_frozen(&frozen.stderr, &without.exe);
        let frames = masked
            .lines()
            .filter(|l| l.starts_with("  File \""))
            .count();
        if reference.status != Status::Code(1)
            || frozen.status != Status::Code(1)
            || !frozen.stdout.is_empty()
            || masked != expected
            || frames != 2
        {
            problems.push(format!(
                "{python}: built with --no-source, the traceback should be CPython's without \
                 its source lines (2 frames, exit status 1)\n--- expected (masked) ---\n\
                 {expected}\n--- got (masked) ---\n{masked}\n--- frozen ---\n{frozen}"
            ));
        }
        problems.extend(check_exact(
            &format!("{python}: frozen --no-source, arguments [\"getsource\"]"),
            &run_frozen(&without.exe, &["getsource"], None, &[]),
            &Exact::clean("OSError\n"),
        ));

        // And the listing has no source entry, where the other build has one per module.
        match (listed_entries(&with.exe), listed_entries(&without.exe)) {
            (Ok(with_entries), Ok(without_entries)) => {
                if !with_entries
                    .iter()
                    .any(|(k, n)| k == "source" && n == "failing")
                {
                    problems.push(format!(
                        "{python}: built without --no-source, pyfreeze ls --json lists no \
                         source of `failing`: {with_entries:?}"
                    ));
                }
                let sources: Vec<_> = without_entries
                    .iter()
                    .filter(|(k, _)| k == "source")
                    .collect();
                if !sources.is_empty() {
                    problems.push(format!(
                        "{python}: built with --no-source, pyfreeze ls --json still lists \
                         sources: {sources:?}"
                    ));
                }
            }
            (a, b) => problems.extend(
                [a.err(), b.err()]
                    .into_iter()
                    .flatten()
                    .map(|e| format!("{python}: {e}")),
            ),
        }
        Ok(problems)
    });
}

#[test]
fn frozen_app_runs_isolated_without_site_or_bytecode_writing() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = probe_bundle(python, &[])?;
        Ok(check_exact(
            &format!("{python}: frozen, arguments [\"isolation\"]"),
            &run_frozen(&frozen.exe, &["isolation"], None, &[]),
            &Exact::clean("path []\nno_site 1\nisolated 1\ndont_write_bytecode 1\n"),
        )
        .into_iter()
        .collect())
    });
}

// ---------------------------------------------------------------------------------------
// --exclude, --include
// ---------------------------------------------------------------------------------------

/// `json` imported by an import statement; `doctest` only inside a function of `pickle`;
/// `colorsys` by a name only known at run time
/// (`"color" + "sys"` would not do: the compiler folds it into a constant, which the
/// analysis sees).
const MODS_MAIN: &str = r#"import sys

if sys.argv[1] == "json":
    import json
    print(json.dumps({"a": [1, 2]}))
elif sys.argv[1] == "pickle":
    import pickle
    # Imports doctest inside the function: a development tool pyfreeze leaves out.
    print(pickle._test())
else:
    colorsys = __import__("".join(["color", "sys"]))
    print(colorsys.rgb_to_hsv(1.0, 0.0, 0.0))
"#;

fn mods_app() -> AppDir {
    write_app("mods", &[("main.py", MODS_MAIN)])
}

/// The mods app built without flags and with `--exclude json --include colorsys`.
fn mods_bundles(python: &Interpreter) -> Result<(&'static Frozen, &'static Frozen), Stop> {
    both(
        bundle_with("mods", python, &[], mods_app),
        bundle_with(
            "mods",
            python,
            &["--exclude", "json", "--include", "colorsys"],
            mods_app,
        ),
    )
}

#[test]
fn exclude_leaves_a_module_out() {
    for_each_interpreter(test_name!(), |python| {
        let (plain, flagged) = mods_bundles(python)?;
        let app = mods_app();
        // without --exclude, json is bundled and works
        let mut problems = compare_to(
            python,
            &["main.py"],
            &plain.exe,
            &app,
            &Case::new(&["json"], Status::Code(0)),
        );
        let out = run_frozen(&flagged.exe, &["json"], None, &[]);
        let tail = " in this bundle: the build left it out (--exclude json); build without \
                    that option";
        if !module_not_found(&out, "json", tail) {
            problems.push(format!(
                "{python}: built with --exclude json, `import json` should fail with \
                 ModuleNotFoundError: No module named 'json'{tail} (exit status 1)\n{out}"
            ));
        }
        match listed_entries(&flagged.exe) {
            Ok(entries) => {
                let json: Vec<_> = entries
                    .iter()
                    .filter(|(_, n)| n == "json" || n.starts_with("json."))
                    .collect();
                // Only the note that makes `import json` say what brings it back.
                if json != [&("left-out".to_owned(), "json".to_owned())] {
                    problems.push(format!(
                        "{python}: built with --exclude json, pyfreeze ls --json lists {json:?}"
                    ));
                }
            }
            Err(e) => problems.push(format!("{python}: {e}")),
        }
        match listed_entries(&plain.exe) {
            Ok(entries) if !entries.iter().any(|(k, n)| k == "module" && n == "json") => {
                problems.push(format!(
                    "{python}: built without --exclude, pyfreeze ls --json lists no module \
                     json: {entries:?}"
                ));
            }
            Ok(_) => {}
            Err(e) => problems.push(format!("{python}: {e}")),
        }
        Ok(problems)
    });
}

#[test]
fn include_adds_a_module_no_import_shows() {
    for_each_interpreter(test_name!(), |python| {
        let (plain, flagged) = mods_bundles(python)?;
        let app = mods_app();
        let mut problems = compare_to(
            python,
            &["main.py"],
            &flagged.exe,
            &app,
            &Case::new(&["colorsys"], Status::Code(0)),
        );
        problems.extend(check_exact(
            &format!("{python}: frozen --include colorsys, arguments [\"colorsys\"]"),
            &run_frozen(&flagged.exe, &["colorsys"], None, &[]),
            &Exact::clean("(0.0, 1.0, 1.0)\n"),
        ));
        let out = run_frozen(&plain.exe, &["colorsys"], None, &[]);
        if !module_not_found(&out, "colorsys", "") {
            problems.push(format!(
                "{python}: built without --include colorsys, importing it by a run-time name \
                 should fail with ModuleNotFoundError: No module named 'colorsys' (exit \
                 status 1)\n{out}"
            ));
        }
        Ok(problems)
    });
}

/// A development tool that only a function of the standard library imports is left out by
/// default; if that function runs, the import fails saying which option brings it back,
/// and that option makes the app run as under CPython.
#[test]
fn a_default_exclusion_says_what_brings_it_back() {
    for_each_interpreter(test_name!(), |python| {
        let (plain, _) = mods_bundles(python)?;
        let included = bundle_with("mods", python, &["--include", "doctest"], mods_app)?;
        let mut problems = compare_to(
            python,
            &["main.py"],
            &included.exe,
            &mods_app(),
            &Case::new(&["pickle"], Status::Code(0)),
        );
        let out = run_frozen(&plain.exe, &["pickle"], None, &[]);
        let tail = "inside functions, and pyfreeze leaves such modules out unless asked; \
                    build with --include doctest to bundle it";
        if !module_not_found(&out, "doctest", tail) || !out.stderr.contains("(pickle") {
            problems.push(format!(
                "{python}: built without flags, pickle._test() should fail with \
                 ModuleNotFoundError: No module named 'doctest' in this bundle: only the \
                 standard library imports it (pickle, ...), {tail}\n{out}"
            ));
        }
        Ok(problems)
    });
}

const FLAGS_MAIN: &str = r#"import sys, warnings
f = sys.flags
print("flags", f.optimize, f.dev_mode, f.utf8_mode, f.bytes_warning, f.verbose)
import faulthandler
print("faulthandler", faulthandler.is_enabled())
print("warnoptions", sys.warnoptions)
print("xoptions", sorted(sys._xoptions.items()))
print("write_through", sys.stdout.write_through, sys.stderr.write_through)
print("filters", [(a, c.__name__) for a, _, c, *_ in warnings.filters[:3]])
for what, act in [
    ("user warning", lambda: warnings.warn("careful", UserWarning)),
    ("bytes == str", lambda: b"x" == "x"),
]:
    try:
        act()
        print(what, "passed")
    except Warning as e:
        print(what, "raised", type(e).__name__)
"#;

/// `--python-option` makes the bundle start as `python <options> main.py` would, whether
/// CPython's own start-up imports `warnings` (dev mode, `-b`) or not.
#[test]
fn python_options_are_fixed_at_build_time() {
    for_each_interpreter(test_name!(), |python| {
        let mut problems = Vec::new();
        let cases: [&[&str]; 2] = [
            &["-u", "-W", "error", "-X", "utf8", "-X", "dev", "-bb", "-O"],
            &[
                "-W",
                "ignore::UserWarning",
                "-X",
                "utf8=0",
                "-X",
                "faulthandler",
            ],
        ];
        for python_options in cases {
            let mut build_args = Vec::new();
            let mut given = python_options.iter();
            while let Some(option) = given.next() {
                // As a user writes them: "-W error" and "-X dev" in one argument each.
                let option = match *option {
                    "-W" | "-X" => format!("{option} {}", given.next().expect("an argument")),
                    other => other.to_owned(),
                };
                build_args.push(format!("--python-option={option}"));
            }
            let build_args: Vec<&str> = build_args.iter().map(String::as_str).collect();
            let make = || write_app("pyflags", &[("main.py", FLAGS_MAIN)]);
            let frozen = match bundle_with("pyflags", python, &build_args, make) {
                Ok(f) => f,
                Err(e) => {
                    problems.push(e);
                    continue;
                }
            };
            let mut start = python_options.to_vec();
            start.push("main.py");
            problems.extend(compare_to(
                python,
                &start,
                &frozen.exe,
                &make(),
                &Case::new(&[], Status::Code(0)),
            ));
        }
        Ok(problems)
    });
}

#[test]
fn unsupported_python_options_are_refused() {
    let app = write_app("pyflags-bad", &[("main.py", "print(1)\n")]);
    let python = pyfreeze_tests::newest_interpreter();
    let out = pyfreeze(
        &[
            OsStr::new("build"),
            app.path.as_os_str(),
            OsStr::new("--python"),
            python.path.as_os_str(),
            OsStr::new("--python-option=-S"),
        ],
        &app.path,
    );
    assert!(matches!(out.status, Status::Code(c) if c != 0), "{out}");
    insta::assert_snapshot!("unsupported_python_option", out.stderr);
    assert!(!app.path.join("dist").exists(), "{out}");
}
