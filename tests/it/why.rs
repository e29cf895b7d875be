//! `pyfreeze why` and the summary's explanations: for a module, an extension module, a
//! shared library, a data file, a module left out by a rule and imports not found, the
//! chain of imports (with the importing lines), the libraries' `DT_NEEDED` links or the
//! rule, on every interpreter, snapshotted whole with the newest; an unknown name's
//! suggestions; the build summary's five biggest parts, and other platforms' modules
//! listed only with `-v`. Lines of the standard library's files and sizes differ from
//! version to version: the snapshots filter them, the checks of every version hold the
//! structure.

use std::ffi::OsStr;
use std::path::Path;

use pyfreeze_tests::{
    bundle, bundle_with, for_each_interpreter, freeze, listed_entries, newest_interpreter,
    pyfreeze, test_name, write_app, AppDir, Checked, Interpreter, Status,
};

/// The app: the line of each import is what `why` is held to.
const MAIN: &str = r#""""An app whose bundle `pyfreeze why` explains."""
import sys

import json
import zlib

import pkg

try:
    import nosuch_why_module
except ImportError:
    nosuch_why_module = None
if sys.platform == "win32":
    import winreg
print(json.dumps(pkg.load()), zlib.crc32(b"x"), nosuch_why_module)
"#;

const PKG: &str = r#"from importlib import resources


def load():
    return resources.files(__name__).joinpath("data.txt").read_text()
"#;

fn app() -> AppDir {
    write_app(
        "why",
        &[
            ("main.py", MAIN),
            ("pkg/__init__.py", PKG),
            ("pkg/data.txt", "hello\n"),
        ],
    )
}

/// `pyfreeze why <exe> <name>`.
fn why(exe: &Path, name: &str) -> pyfreeze_tests::Output {
    let args = [OsStr::new("why"), exe.as_os_str(), OsStr::new(name)];
    pyfreeze(&args, exe.parent().expect("exe in a directory"))
}

/// Each name asked about, with what its answer must hold on every version.
const ASKED: &[(&str, &[&str])] = &[
    (
        "json.decoder",
        &[
            "module json.decoder: code ",
            "stored raw (the app may import it while it starts); source ",
            "\n  __main__ (main.py:4) -> json (json/__init__.py:",
            ") -> json.decoder\n  __main__: the app's entry point\n",
        ],
    ),
    (
        "_json",
        &[
            "extension module _json: ",
            "__main__ (main.py:4) -> json (json/__init__.py:",
            "-> json.decoder (json/decoder.py:",
            ") -> _json\n",
        ],
    ),
    (
        "libz.so.1",
        &[
            "library libz.so.1: ",
            "\n  zlib -> libz.so.1\n",
            "\n  __main__ (main.py:5) -> zlib\n",
        ],
    ),
    (
        "pkg/data.txt",
        &[
            "data file pkg/data.txt: 15 B stored compressed (6 B uncompressed; read only when code \
             asks for it)",
            "\n  a file of package pkg, bundled with it\n  __main__ (main.py:7) -> pkg\n",
        ],
    ),
    (
        "doctest",
        &["module doctest: not in the bundle: only the standard library imports it ("],
    ),
    (
        "nosuch_why_module",
        &[
            "module nosuch_why_module: not in the bundle: not found on the machine that built \
             it; imported by __main__ (main.py:10)\n",
            "importing it raises ImportError",
        ],
    ),
    (
        "nt",
        &[
            "module nt: not in the bundle: not found",
            "os (os.py:",
            "a module of other platforms than Linux",
        ],
    ),
];

/// What the snapshot of `why`'s answers hides: sizes, the standard library's lines and
/// which of its modules import nt (3.13's `_colorize` does).
fn filtered(settings: &mut insta::Settings) {
    settings.add_filter(r"(module nt: .* imported by ).*", "$1[IMPORTERS]");
    settings.add_filter(r"\b\d+(\.\d)? (B|kB|MB)\b", "[SIZE]");
    settings.add_filter(r"main\.py:(\d+)", "MAIN_PY:$1");
    settings.add_filter(r"\.py:\d+", ".py:[LINE]");
    settings.add_filter(r"MAIN_PY:(\d+)", "main.py:$1");
}

#[test]
fn why_explains_each_kind_of_entry_and_what_is_not_bundled() {
    let newest = newest_interpreter();
    let mut answers = String::new();
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of_app(python)?;
        let mut problems = Vec::new();
        // What `why` reads: one entry, which `ls` lists too.
        let entries = listed_entries(&frozen)?;
        let info: Vec<_> = entries.iter().filter(|(k, _)| k == "build-info").collect();
        if info != [&("build-info".to_owned(), "build".to_owned())] {
            problems.push(format!("{python}: build-info entries: {info:?}"));
        }
        for (name, holds) in ASKED {
            let out = why(&frozen, name);
            if out.status != Status::Code(0) {
                problems.push(format!("{python}: why {name} failed\n{out}"));
                continue;
            }
            for part in *holds {
                if !out.stdout.contains(part) {
                    problems.push(format!(
                        "{python}: why {name} does not say {part:?}:\n{}",
                        out.stdout
                    ));
                }
            }
            if python.version == newest.version {
                answers.push_str(&format!("$ pyfreeze why BUNDLE {name}\n{}", out.stdout));
            }
        }
        Ok(problems)
    });
    let mut settings = insta::Settings::clone_current();
    filtered(&mut settings);
    settings.bind(|| insta::assert_snapshot!(answers));
}

fn bundle_of_app(python: &Interpreter) -> Result<std::path::PathBuf, String> {
    bundle_with("why", python, &[], app).map(|frozen| frozen.exe.clone())
}

#[test]
fn an_unknown_name_is_a_user_error_with_the_closest_names() {
    let python = newest_interpreter();
    let exe = bundle_of_app(python).unwrap();
    let out = why(&exe, "jsn.decoder");
    assert_eq!(out.status, Status::Code(1), "{out}");
    assert!(out.stdout.is_empty(), "{out}");
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex::escape(&exe.to_string_lossy()), "[BUNDLE]");
    settings.bind(|| insta::assert_snapshot!(out.stderr));
}

#[test]
fn build_why_prints_after_the_summary() {
    for_each_interpreter(test_name!(), |python| -> Checked {
        let app = app();
        let built = freeze(&app.path, python, &["--why", "_json", "--why", "nt"])
            .map_err(|e| e.to_string())?;
        let stderr = &built.build.stderr;
        let mut problems = Vec::new();
        let summary_end = stderr.find("cache: ").unwrap_or(0);
        for part in [
            "extension module _json: ",
            "-> json.decoder (json/decoder.py:",
            "module nt: not in the bundle",
        ] {
            match stderr.find(part) {
                Some(at) if at > summary_end => {}
                _ => problems.push(format!(
                    "{python}: the build does not say {part:?} after its summary:\n{stderr}"
                )),
            }
        }
        Ok(problems)
    });
}

#[test]
fn the_summary_names_the_biggest_parts_and_other_platforms_modules_only_with_v() {
    let newest = newest_interpreter();
    let mut line = String::new();
    for_each_interpreter(test_name!(), |python| -> Checked {
        let plain = bundle("hello", python)?;
        let app = pyfreeze_tests::copy_example("hello");
        let verbose = freeze(&app.path, python, &["-v"]).map_err(|e| e.to_string())?;
        let (plain, verbose) = (&plain.build.stderr, &verbose.build.stderr);
        let mut problems = Vec::new();
        let biggest = plain.lines().find(|l| l.starts_with("biggest: "));
        match biggest {
            Some(found) if found.starts_with("biggest: libpython ") => {
                if found.split(", ").count() != 5 {
                    problems.push(format!("{python}: not five parts: {found}"));
                }
                if python.version == newest.version {
                    line = found.to_owned();
                }
            }
            _ => problems.push(format!(
                "{python}: no `biggest: libpython ...` line:\n{plain}"
            )),
        }
        // Hello's dependencies import nt (and, from 3.10, _winapi) only on Windows.
        let note = |summary: &str| {
            summary
                .lines()
                .find(|l| l.contains("not found"))
                .map(str::to_owned)
        };
        if let Some(listed) = note(plain) {
            problems.push(format!("{python}: imports not found listed: {listed}"));
        }
        let listed = note(verbose).unwrap_or_default();
        let expected = match python.minor_version().as_str() {
            "3.8" | "3.9" => ": nt",
            _ => ": _winapi, nt",
        };
        if !(listed.contains("other platforms' modules") && listed.ends_with(expected)) {
            problems.push(format!("{python}: -v does not list {expected}:\n{verbose}"));
        }
        Ok(problems)
    });
    let mut settings = insta::Settings::clone_current();
    filtered(&mut settings);
    settings.bind(|| insta::assert_snapshot!(line));
}

#[test]
fn a_file_that_is_not_a_bundle_is_a_user_error_naming_it() {
    let dir = pyfreeze_tests::tempdir("why-not-a-bundle");
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "not a bundle\n").expect("write");
    let out = why(&file, "json");
    assert_eq!(out.status, Status::Code(1), "{out}");
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex::escape(&dir.path().to_string_lossy()), "[TMP]");
    settings.bind(|| insta::assert_snapshot!(out.stderr));
}
