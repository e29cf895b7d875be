//! End-to-end tests: freeze the examples (and small apps written here) with the real
//! `pyfreeze` and every pyenv CPython 3.8–3.13, run them, and compare them with CPython.
//!
//! Built bundles are shared between tests through [`bundle`], one build per
//! (example, interpreter).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use pyfreeze_tests::{
    copy_example, freeze, interpreters, mask_frozen, mask_reference, run_frozen_in, run_python,
    AppDir, Env, Frozen, Interpreter, Output, Status,
};

mod bad_input;
mod behaviour;
mod cache;
mod cold;
mod data;
mod differential;
mod disk;
mod introspection;
mod isolation;
mod ls;
mod multiprocessing;
mod native;
mod options;
mod packages;
mod reproducible;
mod runtime;
mod stub_errors;
mod thirdparty;

type Slot = OnceLock<Result<Frozen, String>>;

/// The frozen `examples/<example>` for `python`, built once per test process (from a copy
/// that is removed right after the build: a bundle must not need its sources).
fn bundle(example: &str, python: &Interpreter) -> Result<&'static Frozen, String> {
    bundle_of(example, python, || copy_example(example))
}

/// The app that `make` writes, frozen for `python`, built once per test process per `key`.
fn bundle_of(
    key: &str,
    python: &Interpreter,
    make: impl FnOnce() -> AppDir,
) -> Result<&'static Frozen, String> {
    bundle_with(key, python, &[], make)
}

/// The app that `make` writes, frozen for `python` with the extra `pyfreeze build` arguments
/// `args` (`--entry`, `-O`, ...), built once per test process per `(key, args)`.
fn bundle_with(
    key: &str,
    python: &Interpreter,
    args: &[&str],
    make: impl FnOnce() -> AppDir,
) -> Result<&'static Frozen, String> {
    type Key = (String, Vec<String>, String);
    static BUNDLES: OnceLock<Mutex<HashMap<Key, &'static Slot>>> = OnceLock::new();
    let id = (
        key.to_owned(),
        args.iter().map(|a| (*a).to_owned()).collect(),
        python.version.clone(),
    );
    let slot: &'static Slot = BUNDLES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(id)
        .or_insert_with(|| Box::leak(Box::default()));
    slot.get_or_init(|| {
        let app = make();
        freeze(&app.path, python, args).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| {
        if args.is_empty() {
            format!("{python}: build of {key} failed: {e}")
        } else {
            format!("{python}: build of {key} with {args:?} failed: {e}")
        }
    })
}

/// One run of an app: arguments, stdin, environment, and the status CPython is expected to
/// end with (checked on the reference, so a wrong case cannot pass vacuously).
#[derive(Debug, Clone)]
struct Case<'a> {
    args: &'a [&'a str],
    stdin: Option<&'a str>,
    env: &'a Env<'a>,
    expect: Status,
}

impl<'a> Case<'a> {
    const fn new(args: &'a [&'a str], expect: Status) -> Self {
        Case {
            args,
            stdin: None,
            env: &[],
            expect,
        }
    }

    const fn stdin(mut self, stdin: &'a str) -> Self {
        self.stdin = Some(stdin);
        self
    }

    const fn env(mut self, env: &'a Env<'a>) -> Self {
        self.env = env;
        self
    }
}

/// Runs `case` on the frozen `exe` and on `python main.py` in `app` (a copy of the app's
/// sources); returns a description of every difference (empty if none).
fn compare(python: &Interpreter, exe: &Path, app: &AppDir, case: &Case<'_>) -> Vec<String> {
    compare_to(python, &["main.py"], exe, app, case)
}

/// [`compare`] with the reference started as `python -E -s -S <start> <case args>` in `app`:
/// `start` is how CPython runs what the bundle's entry point runs (`["main.py"]`,
/// `["-m", "pkg.cli"]`, `["-O", "main.py"]`, `["-c", "..."]`).
fn compare_to(
    python: &Interpreter,
    start: &[&str],
    exe: &Path,
    app: &AppDir,
    case: &Case<'_>,
) -> Vec<String> {
    let stdin = case.stdin.map(str::as_bytes);
    let mut reference_args = start.to_vec();
    reference_args.extend_from_slice(case.args);
    let reference = run_python(python, &app.path, &reference_args, stdin, case.env);
    let frozen = run_frozen_in(exe, &app.path, case.args, stdin, case.env);
    let mut what = format!("{python}, args {:?}", case.args);
    if start != ["main.py"] {
        what += &format!(", reference `python -E -s -S {}`", start.join(" "));
    }
    if !case.env.is_empty() {
        what += &format!(", env {:?}", case.env);
    }
    let masked_ref = mask_reference(&reference.stderr, &app.path, python);
    differences(&what, case.expect, &reference, &frozen, &masked_ref, exe)
}

/// What is wrong with a comparison: the reference ending otherwise than `expect` (a wrong
/// test case), and the frozen app's status, stdout or masked stderr differing from the
/// reference's (`masked_ref`, its stderr as the frozen app must print it).
fn differences(
    what: &str,
    expect: Status,
    reference: &Output,
    frozen: &Output,
    masked_ref: &str,
    exe: &Path,
) -> Vec<String> {
    let mut problems = Vec::new();
    if reference.status != expect {
        problems.push(format!(
            "{what}: the REFERENCE ended with {}, the test expects {expect} (a wrong test case?)\n{reference}",
            reference.status
        ));
    }
    let masked_frozen = mask_frozen(&frozen.stderr, exe);
    if frozen.status != reference.status
        || frozen.stdout != reference.stdout
        || masked_frozen != masked_ref
    {
        problems.push(format!(
            "{what}: frozen app and CPython differ\n{}",
            diff_report(reference, frozen, masked_ref, &masked_frozen)
        ));
    }
    problems
}

fn diff_report(
    reference: &Output,
    frozen: &Output,
    masked_ref: &str,
    masked_frozen: &str,
) -> String {
    let mut s = String::new();
    if frozen.status != reference.status {
        s += &format!(
            "  status: CPython {}, frozen {}\n",
            reference.status, frozen.status
        );
    }
    if frozen.stdout != reference.stdout {
        s += &format!(
            "  stdout differs\n  --- CPython ---\n{}\n  --- frozen ---\n{}\n",
            reference.stdout, frozen.stdout
        );
    }
    if masked_frozen != masked_ref {
        s += &format!(
            "  stderr differs (masked)\n  --- CPython ---\n{masked_ref}\n  --- frozen ---\n{masked_frozen}\n"
        );
    }
    s
}

/// Runs `check` for every interpreter, then fails with every problem any of them reported.
fn for_each_interpreter(test: &str, mut check: impl FnMut(&Interpreter) -> Vec<String>) {
    let mut problems = Vec::new();
    for python in interpreters() {
        let found = check(python);
        eprintln!(
            "{test}: {python}: {}",
            if found.is_empty() {
                "ok".to_owned()
            } else {
                format!("{} problem(s)", found.len())
            }
        );
        problems.extend(found);
    }
    assert!(
        problems.is_empty(),
        "{test}: {} problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}
