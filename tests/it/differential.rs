//! (a) Every example, frozen with every interpreter, behaves exactly like
//! `python -E -s -S main.py` with the same interpreter: same stdout, same exit status, same
//! stderr once paths are masked (tracebacks included, source lines and all).

use pyfreeze_tests::{
    bundle, compare, copy_example, for_each_interpreter, test_name, Case, Interpreter, Status,
};

fn differential(test: &str, example: &str, cases: &[Case<'_>]) {
    for_each_interpreter(test, |python: &Interpreter| {
        let frozen = bundle(example, python)?;
        let app = copy_example(example);
        Ok(cases
            .iter()
            .flat_map(|case| compare(python, &frozen.exe, &app, case))
            .collect())
    });
}

#[test]
fn hello_matches_cpython() {
    differential(
        test_name!(),
        "hello",
        &[
            Case::new(&[], Status::Code(0)),
            Case::new(&["Ada"], Status::Code(0)),
            Case::new(&["Ada", "Grace Hopper"], Status::Code(0)),
        ],
    );
}

#[test]
fn package_app_matches_cpython() {
    differential(
        test_name!(),
        "package_app",
        &[Case::new(&[], Status::Code(0))],
    );
}

const DOC: &str = r#"{"name": "Zo\u00eb", "b": {"c": [1, 2, {"d": null}]}, "a": 1.5}"#;

#[test]
fn cli_matches_cpython() {
    differential(
        test_name!(),
        "cli",
        &[
            Case::new(&[], Status::Code(0)).stdin(DOC),
            Case::new(&["--sort", "--indent", "2"], Status::Code(0)).stdin(DOC),
            Case::new(&["--key", "b.c.2"], Status::Code(0)).stdin(DOC),
            // non-ASCII on stdin, raw UTF-8; once in the machine's locale, once in plain C
            // (CPython coerces the C locale to UTF-8; a frozen app must read it the same way)
            Case::new(&["--key", "name"], Status::Code(0)).stdin("{\"name\": \"Zoë\"}"),
            Case::new(&["--key", "name"], Status::Code(0))
                .stdin("{\"name\": \"Zoë\"}")
                .env(&[("LC_ALL", Some("C")), ("LANG", Some("C"))]),
            // `--key` that selects nothing: sys.exit("message"), exit 1
            Case::new(&["--key", "b.zz"], Status::Code(1)).stdin(DOC),
            // invalid JSON: message on stderr, sys.exit(2)
            Case::new(&[], Status::Code(2)).stdin("{not json"),
            Case::new(&[], Status::Code(2)).stdin(""),
            // argparse's own error: usage on stderr, exit 2
            Case::new(&["--bogus"], Status::Code(2)).stdin("{}"),
            Case::new(&["--help"], Status::Code(0)),
            // uncaught exception raised from inside json.loads: traceback, exit 1
            Case::new(&["--fail"], Status::Code(1)).stdin(DOC),
        ],
    );
}
