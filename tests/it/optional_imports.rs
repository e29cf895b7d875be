//! Optional imports, frozen and run against CPython on every interpreter: what a function
//! of a dependency imports from a distribution that dependency does not require is left
//! out, and the build summary, `pyfreeze ls` and the import at run time say which option
//! brings it back; a distribution it requires (plainly, or through an extra whose
//! requirements are installed) is kept; of a fallback pair (`try: import a` / `except
//! ImportError: import b`) only the side the build finds is bundled; `--with` brings an
//! optional one back; an app that imports a left-out distribution itself gets it; and
//! the hello example holds what CPython and the runtime start with (every codec
//! included) and its own modules, not what only their functions import.
//!
//! The distributions live in a virtualenv made without pip, each with the *.dist-info
//! (METADATA, RECORD) an installer writes.

use std::fs;

use pyfreeze_tests::{
    bundle, done_and_same, for_each_interpreter, freeze, holds_module, listed_entries,
    run_frozen_in, test_name, venv, write_app, Interpreter, PerRun, Venv,
};

/// A distribution: its name, its Requires-Dist lines, and its files `(path in
/// site-packages, contents)`.
type Distribution = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

const DISTRIBUTIONS: &[Distribution] = &[
    (
        "lib_a",
        &[
            "declared-dep>=1.0",
            "extra-dep; extra == \"fast\"",
            "absent-dep; extra == \"rare\"",
        ],
        &[
            (
                "lib_a/__init__.py",
                "try:\n    from lib_a import _speedups as impl\n\
                 except ImportError:\n    from lib_a import _pure as impl\n\n\n\
                 def to_frame():\n    import heavy\n\n    return heavy.NAME\n\n\n\
                 def helper():\n    import declared_dep\n\n    return declared_dep.NAME\n\n\n\
                 def fast():\n    import extra_dep\n\n    return extra_dep.NAME\n",
            ),
            ("lib_a/_speedups.py", "NAME = 'speedups'\n"),
            ("lib_a/_pure.py", "NAME = 'pure'\n"),
        ],
    ),
    ("heavy", &[], &[("heavy/__init__.py", "NAME = 'heavy'\n")]),
    (
        "declared_dep",
        &[],
        &[("declared_dep.py", "NAME = 'declared'\n")],
    ),
    ("extra_dep", &[], &[("extra_dep.py", "NAME = 'extra'\n")]),
];

/// The virtualenv `optional` of `python`, without pip, with [`DISTRIBUTIONS`] installed
/// into its site-packages once per run.
fn optional_venv(python: &Interpreter) -> Result<&'static Venv, String> {
    static POPULATED: PerRun<String, Result<(), String>> = PerRun::new();
    let venv = venv("optional", python, &[])
        .as_ref()
        .map_err(|e| e.to_string())?;
    POPULATED
        .get(python.version.clone(), || {
            let site = venv.site_packages()?;
            let write = |rel: &str, text: &str| {
                let file = site.join(rel);
                fs::create_dir_all(file.parent().expect("file in a directory"))
                    .and_then(|()| fs::write(&file, text))
                    .map_err(|e| format!("write {}: {e}", file.display()))
            };
            for (name, requires, files) in DISTRIBUTIONS {
                let info = format!("{name}-1.0.dist-info");
                let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n");
                for requirement in *requires {
                    metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
                }
                write(&format!("{info}/METADATA"), &metadata)?;
                let mut record = String::new();
                for (rel, text) in *files {
                    write(rel, text)?;
                    record.push_str(&format!("{rel},,\n"));
                }
                record.push_str(&format!("{info}/METADATA,,\n{info}/RECORD,,\n"));
                write(&format!("{info}/RECORD"), &record)?;
            }
            Ok(())
        })
        .clone()?;
    Ok(venv)
}

/// Uses lib_a as far as it goes without `heavy`.
const USES_LIB_A: &str = r#"import lib_a

print(lib_a.impl.NAME, lib_a.helper(), lib_a.fast())
try:
    print(lib_a.to_frame())
except ImportError as e:
    print("no heavy:", e.name)
print("done")
"#;

fn left_out_note(exe: &std::path::Path, name: &str) -> Result<bool, String> {
    Ok(listed_entries(exe)?
        .iter()
        .any(|(k, n)| n == name && k == "left-out"))
}

#[test]
fn an_undeclared_optional_dependency_is_left_out_and_says_how_to_bring_it_back() {
    for_each_interpreter(test_name!(), |python| {
        let venv = optional_venv(python)?;
        let app = write_app("uses_lib_a", &[("main.py", USES_LIB_A)]);
        let frozen = freeze(&app.path, &venv.python, &[]).map_err(|e| format!("{python}: {e}"))?;
        let mut problems = Vec::new();
        let summary = "note: optional dependencies left out, as only functions of packages \
                       that do not require them import them: heavy (by lib_a); --with NAME \
                       bundles one";
        if !frozen.build.stderr.contains(summary) && !frozen.build.stdout.contains(summary) {
            problems.push(format!(
                "{python}: the build summary does not say `{summary}`:\n{}",
                frozen.build
            ));
        }
        for (name, kept) in [
            ("heavy", false),
            ("declared_dep", true),
            ("extra_dep", true),
            ("lib_a._speedups", true),
            ("lib_a._pure", false),
        ] {
            if holds_module(&frozen.exe, name)? != kept {
                problems.push(format!(
                    "{python}: {name} should {}be bundled",
                    if kept { "" } else { "not " }
                ));
            }
        }
        for name in ["heavy", "lib_a._pure"] {
            if !left_out_note(&frozen.exe, name)? {
                problems.push(format!("{python}: no left-out note for {name}"));
            }
        }
        // CPython imports heavy; the bundle says which option would have bundled it.
        let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
        let expected = "speedups declared extra\nno heavy: heavy\ndone\n";
        if out.stdout != expected {
            problems.push(format!(
                "{python}: frozen run printed\n{out}\nwanted\n{expected}"
            ));
        }
        let probe = write_app(
            "probe_heavy",
            &[(
                "main.py",
                // A literal given to find_spec would be the app's own import of it.
                "import importlib.util\n\nimport lib_a\n\nname = 'heavy'\n\
                 print(importlib.util.find_spec(name))\nlib_a.to_frame()\n",
            )],
        );
        let frozen_probe =
            freeze(&probe.path, &venv.python, &[]).map_err(|e| format!("{python}: {e}"))?;
        let failed = run_frozen_in(&frozen_probe.exe, &probe.path, &[], None, &[]);
        let message = "No module named 'heavy' in this bundle: only functions of lib_a import \
                       it, and their distributions do not require heavy; build with --with \
                       heavy to bundle it";
        // Asked whether it is there, the bundle answers as CPython without it would.
        if failed.stdout != "None\n" || !failed.stderr.contains(message) {
            problems.push(format!(
                "{python}: find_spec should give None and the import say `{message}`:\n{failed}"
            ));
        }
        Ok(problems)
    });
}

#[test]
fn with_brings_an_optional_dependency_back() {
    for_each_interpreter(test_name!(), |python| {
        let venv = optional_venv(python)?;
        let app = write_app("uses_lib_a_with", &[("main.py", USES_LIB_A)]);
        let frozen = freeze(&app.path, &venv.python, &["--with", "heavy"])
            .map_err(|e| format!("{python}: {e}"))?;
        let reference = venv.run_main(&app.path);
        let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
        let mut problems = done_and_same(python, "--with heavy", &reference, &out);
        if !holds_module(&frozen.exe, "heavy")? {
            problems.push(format!("{python}: --with heavy did not bundle heavy"));
        }
        if frozen
            .build
            .stderr
            .contains("optional dependencies left out")
            || frozen
                .build
                .stdout
                .contains("optional dependencies left out")
        {
            problems.push(format!(
                "{python}: --with heavy still reports it left out:\n{}",
                frozen.build
            ));
        }
        Ok(problems)
    });
}

#[test]
fn an_app_that_imports_an_optional_dependency_itself_gets_it() {
    for_each_interpreter(test_name!(), |python| {
        let venv = optional_venv(python)?;
        let main = format!("import heavy\n\n{USES_LIB_A}");
        let app = write_app("imports_heavy", &[("main.py", main.as_str())]);
        let frozen = freeze(&app.path, &venv.python, &[]).map_err(|e| format!("{python}: {e}"))?;
        let reference = venv.run_main(&app.path);
        let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
        let mut problems = done_and_same(python, "app importing heavy", &reference, &out);
        if !holds_module(&frozen.exe, "heavy")? || left_out_note(&frozen.exe, "heavy")? {
            problems.push(format!(
                "{python}: heavy should be bundled, with no left-out note"
            ));
        }
        Ok(problems)
    });
}

#[test]
fn the_hello_bundle_holds_what_starting_needs_and_the_app() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle("hello", python)?;
        let entries = listed_entries(&frozen.exe)?;
        let held = |name: &str| entries.iter().any(|(k, n)| n == name && k != "left-out");
        let mut problems = Vec::new();
        // What only functions of the modules CPython starts with import (os.popen's
        // subprocess), and the fallbacks of what the bundle holds (hashlib, random's
        // fallback and libcrypto's way in; abc's _py_abc), stay out.
        for name in [
            "subprocess",
            "hashlib",
            "_hashlib",
            "_py_abc",
            "random",
            "pickle",
        ] {
            if held(name) {
                problems.push(format!("{python}: hello bundles {name}"));
            }
        }
        if entries.iter().any(|(_, n)| n.starts_with("libcrypto")) {
            problems.push(format!("{python}: hello bundles libcrypto"));
        }
        // Every codec stays: a locale or the app may name any of them.
        for name in [
            "encodings.cp1252",
            "encodings.idna",
            "encodings.euc_jp",
            "greet",
        ] {
            if !held(name) {
                problems.push(format!("{python}: hello lacks {name}"));
            }
        }
        Ok(problems)
    });
}
