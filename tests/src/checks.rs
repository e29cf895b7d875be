//! How a test fails: it checks every interpreter (or every case) and collects what is wrong,
//! then fails once with all of it; a check that cannot go on (a build failed) stops with `?`.

use std::io::Write;

use crate::interpreters::{interpreters, Interpreter};

/// What the check of one interpreter found: `Ok` with its problems (none: it passed), or
/// `Err` when it could not go on, which `?` on a `Result<_, String>` gives.
pub type Checked = Result<Vec<String>, Stop>;

/// Why a check stopped early: what went wrong, one thing or several found together.
#[derive(Debug)]
pub struct Stop(Vec<String>);

impl From<String> for Stop {
    fn from(problem: String) -> Self {
        Stop(vec![problem])
    }
}

/// Both results, or the errors of both: a check that needs two builds reports each that
/// failed.
pub fn both<A, B>(a: Result<A, String>, b: Result<B, String>) -> Result<(A, B), Stop> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err(Stop(a.err().into_iter().chain(b.err()).collect())),
    }
}

/// Runs `check` for every interpreter, then fails with every problem any of them reported.
pub fn for_each_interpreter(test: &str, check: impl FnMut(&Interpreter) -> Checked) {
    for_each_of(test, interpreters(), check);
}

/// [`for_each_interpreter`] for some of them only (see [`newest_and_3_8`]).
///
/// [`newest_and_3_8`]: crate::newest_and_3_8
pub fn for_each_of<'a>(
    test: &str,
    pythons: impl IntoIterator<Item = &'a Interpreter>,
    mut check: impl FnMut(&Interpreter) -> Checked,
) {
    let mut problems = Vec::new();
    for python in pythons {
        let found = check(python).unwrap_or_else(|Stop(stopped)| stopped);
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
    assert_no_problems(test, &problems);
}

/// Fails the test `test` with every one of `problems`, if there is any.
pub fn assert_no_problems(test: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{test}: {} problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

/// Writes `text` to the process's stderr, past the test runner's capture: what a run
/// skipped must show in its log.
pub fn say(text: &str) {
    let _ = std::io::stderr().write_all(format!("pyfreeze-tests: {text}\n").as_bytes());
}

/// The name of the test function it is written in, so that renaming a test renames what it
/// reports under and the snapshots it takes.
#[macro_export]
macro_rules! test_name {
    () => {{
        fn here() {}
        $crate::enclosing_function(::std::any::type_name_of_val(&here))
    }};
}

/// The name of the function that holds `here`, from the type name of `here`: the work of
/// [`test_name!`].
#[doc(hidden)]
pub fn enclosing_function(here: &'static str) -> &'static str {
    let path = here
        .strip_suffix("::here")
        .expect("test_name! names its function `here`");
    // Inside a closure the path ends in `{{closure}}` segments: the function is the one
    // that holds them.
    path.rsplit("::")
        .find(|segment| *segment != "{{closure}}")
        .unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_name_is_the_enclosing_function() {
        assert_eq!(test_name!(), "test_name_is_the_enclosing_function");
        let in_closure = || test_name!();
        assert_eq!(in_closure(), "test_name_is_the_enclosing_function");
    }

    #[test]
    fn both_reports_each_error() {
        let stopped = both::<(), ()>(Err("a".to_owned()), Err("b".to_owned())).unwrap_err();
        assert_eq!(stopped.0, ["a", "b"]);
        assert_eq!(
            both::<_, ()>(Ok(1), Err("b".to_owned())).unwrap_err().0,
            ["b"]
        );
        assert_eq!(both::<_, _>(Ok(1), Ok(2)).unwrap(), (1, 2));
    }
}
