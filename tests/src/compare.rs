//! A frozen app against CPython: the same run of each, compared whole (status, stdout, stderr
//! with paths masked).

use std::path::Path;

use crate::interpreters::Interpreter;
use crate::mask::{mask_frozen, mask_reference};
use crate::processes::{run_frozen_in, run_python, Env, Output, Status};
use crate::scratch::AppDir;

/// One run of an app: arguments, stdin, environment, and the status CPython is expected to
/// end with (checked on the reference, so a wrong case cannot pass vacuously).
#[derive(Debug, Clone)]
pub struct Case<'a> {
    pub args: &'a [&'a str],
    pub stdin: Option<&'a str>,
    pub env: &'a Env<'a>,
    pub expect: Status,
}

impl<'a> Case<'a> {
    pub const fn new(args: &'a [&'a str], expect: Status) -> Self {
        Case {
            args,
            stdin: None,
            env: &[],
            expect,
        }
    }

    pub const fn stdin(mut self, stdin: &'a str) -> Self {
        self.stdin = Some(stdin);
        self
    }

    pub const fn env(mut self, env: &'a Env<'a>) -> Self {
        self.env = env;
        self
    }
}

/// Runs `case` on the frozen `exe` and on `python main.py` in `app` (a copy of the app's
/// sources); returns a description of every difference (empty if none).
pub fn compare(python: &Interpreter, exe: &Path, app: &AppDir, case: &Case<'_>) -> Vec<String> {
    compare_to(python, &["main.py"], exe, app, case)
}

/// [`compare`] with the reference started as `python -E -s -S <start> <case args>` in `app`:
/// `start` is how CPython runs what the bundle's entry point runs (`["main.py"]`,
/// `["-m", "pkg.cli"]`, `["-O", "main.py"]`, `["-c", "..."]`).
pub fn compare_to(
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
pub fn differences(
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

/// A run's status, stdout and stderr, as a test expects them to the byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exact<'a> {
    pub status: Status,
    pub stdout: &'a str,
    pub stderr: &'a str,
}

impl<'a> Exact<'a> {
    pub const fn new(status: Status, stdout: &'a str, stderr: &'a str) -> Self {
        Exact {
            status,
            stdout,
            stderr,
        }
    }

    /// Exit status 0, `stdout`, nothing on stderr.
    pub const fn clean(stdout: &'a str) -> Self {
        Exact::new(Status::Code(0), stdout, "")
    }

    /// What `out` did, to hold another run to it (a frozen run to its reference's, a run
    /// with something changed to the plain one).
    pub fn of(out: &'a Output) -> Self {
        Exact::new(out.status, &out.stdout, &out.stderr)
    }
}

/// The problem, if `out` (the run `what`) is not exactly `expected`: what differs, the
/// lines of stdout missing and unexpected (or that only their order, number or ends differ),
/// and both runs whole.
pub fn check_exact(what: &str, out: &Output, expected: &Exact<'_>) -> Option<String> {
    if Exact::of(out) == *expected {
        return None;
    }
    let mut report = format!(
        "{what}: expected {}, and the stdout and stderr below to the byte\n",
        expected.status
    );
    if out.status != expected.status {
        report += &format!("  status: {}\n", out.status);
    }
    if out.stdout != expected.stdout {
        let want: Vec<&str> = expected.stdout.lines().collect();
        let got: Vec<&str> = out.stdout.lines().collect();
        let missing: Vec<&&str> = want.iter().filter(|l| !got.contains(l)).collect();
        let unexpected: Vec<&&str> = got.iter().filter(|l| !want.contains(l)).collect();
        for line in &missing {
            report += &format!("  stdout, expected, missing: {line}\n");
        }
        for line in &unexpected {
            report += &format!("  stdout, printed, unexpected: {line}\n");
        }
        if missing.is_empty() && unexpected.is_empty() {
            report += "  stdout: the same lines, but another text (their order, number or ends)\n";
        }
    }
    if out.stderr != expected.stderr {
        report += "  stderr differs\n";
    }
    report += &format!(
        "--- expected stdout ---\n{}\n--- expected stderr ---\n{}\n--- got ---\n{out}",
        expected.stdout, expected.stderr
    );
    Some(report)
}

/// Every problem of the frozen run of the app `what` against its reference: the reference
/// must succeed and print `done` (else the test is wrong), and the frozen run must print
/// exactly what it printed.
pub fn done_and_same(
    python: &Interpreter,
    what: &str,
    reference: &Output,
    frozen: &Output,
) -> Vec<String> {
    reference_problems(python, what, reference, &["done\n"])
        .into_iter()
        .chain(check_exact(
            &format!("{python}: {what}, frozen vs CPython"),
            frozen,
            &Exact::of(reference),
        ))
        .collect()
}

/// Why the reference run of `app` is not what a comparison with it can stand on (exit
/// status 0, stdout containing each of `must_have`), if it is not: for apps whose exact
/// output depends on the machine (library versions, what pip picked).
pub fn reference_problems(
    python: &Interpreter,
    app: &str,
    reference: &Output,
    must_have: &[&str],
) -> Option<String> {
    let missing: Vec<&&str> = must_have
        .iter()
        .filter(|line| !reference.stdout.contains(**line))
        .collect();
    (reference.status != Status::Code(0) || !missing.is_empty()).then(|| {
        format!(
            "{python}: the REFERENCE run of {app} is not as the test expects (status 0, \
             stdout containing {missing:?}): a broken interpreter or package?\n{reference}"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(status: Status, stdout: &str, stderr: &str) -> Output {
        Output {
            status,
            stdout: stdout.to_owned(),
            stderr: stderr.to_owned(),
        }
    }

    #[test]
    fn check_exact_holds_status_stdout_and_stderr() {
        let good = output(Status::Code(0), "a\nb\n", "");
        assert_eq!(check_exact("run", &good, &Exact::clean("a\nb\n")), None);
        assert_eq!(check_exact("run", &good, &Exact::of(&good)), None);
        for (out, shows) in [
            (
                output(Status::Code(1), "a\nb\n", ""),
                "  status: exit code 1\n",
            ),
            (
                output(Status::Code(0), "a\nc\n", ""),
                "  stdout, expected, missing: b\n",
            ),
            (
                output(Status::Code(0), "b\na\n", ""),
                "their order, number or ends",
            ),
            (
                output(Status::Code(0), "a\nb\n", "warning\n"),
                "  stderr differs\n",
            ),
        ] {
            let report = check_exact("run", &out, &Exact::clean("a\nb\n"))
                .unwrap_or_else(|| panic!("{out} passed as exact"));
            assert!(report.contains(shows), "{shows:?} not in\n{report}");
        }
        let report = check_exact(
            "run",
            &output(Status::Code(0), "a\nb", ""),
            &Exact::clean("a\nb\n"),
        );
        assert!(report.is_some(), "a missing final newline passed as exact");
    }
}
