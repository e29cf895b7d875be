//! What a frozen app sees of itself (e) and how it ends (f), on small apps written here.

use pyfreeze_tests::{
    bundle_of, check_exact, compare, for_each_interpreter, run_frozen, test_name, write_app,
    AppDir, Case, Exact, Status,
};

fn whoami_app() -> AppDir {
    write_app(
        "whoami",
        &[
            (
                "main.py",
                "import sys\n\
                 import helper\n\
                 print(repr(getattr(sys, 'frozen', None)))\n\
                 print(sys.argv[0])\n\
                 print(__file__)\n\
                 print(helper.__file__)\n\
                 print(sys.argv[1:])\n",
            ),
            ("helper.py", "VALUE = 1\n"),
        ],
    )
}

#[test]
fn sys_frozen_argv0_and_file() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("whoami", python, whoami_app)?;
        let out = run_frozen(&frozen.exe, &["a", "b c"], None, &[]);
        let exe = frozen.exe.display();
        let expected = format!("True\n{exe}\n{exe}/main.py\n{exe}/helper.py\n['a', 'b c']\n");
        Ok(check_exact(
            &format!(
                "{python}: expected sys.frozen True, argv[0] the executable, __file__ under it"
            ),
            &out,
            &Exact::clean(&expected),
        )
        .into_iter()
        .collect())
    });
}

fn status_app() -> AppDir {
    write_app(
        "status",
        &[(
            "main.py",
            r#"import sys

mode = sys.argv[1]
print("before", mode)
if mode == "code3":
    sys.exit(3)
elif mode == "message":
    sys.exit("message for stderr")
elif mode == "none":
    sys.exit(None)
elif mode == "raise":
    def fail():
        raise ValueError("uncaught")
    fail()
elif mode == "sigint":
    import os, signal, time
    # as if Ctrl-C was pressed (with Python's own handler even if SIGINT came in ignored)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(30)
print("after", mode)
"#,
        )],
    )
}

#[test]
fn exit_status_matches_cpython() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("status", python, status_app)?;
        let app = status_app();
        let mut problems = Vec::new();
        for case in [
            Case::new(&["code3"], Status::Code(3)),
            Case::new(&["message"], Status::Code(1)),
            Case::new(&["none"], Status::Code(0)),
            Case::new(&["fallthrough"], Status::Code(0)),
            Case::new(&["raise"], Status::Code(1)),
        ] {
            problems.extend(compare(python, &frozen.exe, &app, &case));
        }
        // what the comparison stands on: CPython's own behaviour, checked on the frozen app
        let message = run_frozen(&frozen.exe, &["message"], None, &[]);
        if message.stderr != "message for stderr\n" || message.stdout != "before message\n" {
            problems.push(format!("{python}: sys.exit(\"message\"):\n{message}"));
        }
        let raised = run_frozen(&frozen.exe, &["raise"], None, &[]);
        if !raised
            .stderr
            .starts_with("Traceback (most recent call last):\n")
            || !raised.stderr.ends_with("ValueError: uncaught\n")
            || !raised.stderr.contains("raise ValueError(\"uncaught\")")
        {
            problems.push(format!("{python}: uncaught exception:\n{raised}"));
        }
        Ok(problems)
    });
}

#[test]
fn unhandled_sigint_kills_like_cpython() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("status", python, status_app)?;
        let app = status_app();
        let mut problems = compare(
            python,
            &frozen.exe,
            &app,
            &Case::new(&["sigint"], Status::Signal(2)),
        );
        let out = run_frozen(&frozen.exe, &["sigint"], None, &[]);
        if out.status != Status::Signal(2)
            || out.stdout != "before sigint\n"
            || !out.stderr.ends_with("KeyboardInterrupt\n")
        {
            problems.push(format!(
                "{python}: after an unhandled KeyboardInterrupt the frozen app must print the \
                 traceback, flush stdout and kill itself with SIGINT:\n{out}"
            ));
        }
        Ok(problems)
    });
}

const ORDER_MAIN: &str = r#"import atexit, sys
atexit.register(lambda: print("from atexit"))
sys.stdout.write("no newline yet, ")
print("to stderr", file=sys.stderr)
if sys.argv[1:] == ["fail"]:
    raise SystemExit("exit message")
"#;

/// With stdout and stderr on one pipe (`app > log 2>&1`), the order of what the app, its
/// traceback or exit message and its atexit callbacks write is python's: `python script.py`
/// flushes both streams right after the script, before either of the others.
#[test]
fn output_order_on_one_pipe_matches_cpython() {
    let make = || write_app("order", &[("main.py", ORDER_MAIN)]);
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("order", python, make)?;
        let app = make();
        let mut problems = Vec::new();
        for args in ["", "fail"] {
            let merged = |program: &std::path::Path, prefix: &str| {
                let mut cmd = std::process::Command::new("sh");
                cmd.arg("-c")
                    .arg(format!("\"$0\" {prefix} {args} 2>&1"))
                    .arg(program)
                    .current_dir(&app.path);
                pyfreeze_tests::run(cmd, None)
            };
            let reference = merged(&python.path, "-I -S main.py");
            let ours = merged(&frozen.exe, "");
            if !reference.stdout.contains("no newline yet, ") {
                problems.push(format!("{python}: the REFERENCE printed\n{reference}"));
            }
            if ours.stdout != reference.stdout || ours.status != reference.status {
                problems.push(format!(
                    "{python}, args {args:?}: merged output differs\n--- CPython ---\n{reference}\n--- frozen ---\n{ours}"
                ));
            }
        }
        Ok(problems)
    });
}

/// 400 modules of about 5 KB of bytecode each (2 MB), imported one after the other (half by
/// name, stored raw, half by a computed name, so cold and compressed); the app prints the
/// resident memory of its own executable's mappings (the stub and the bundle) before and
/// after. Kept, those pages would grow by about 1.2 MB.
fn resident_app() -> AppDir {
    let filler = format!("DATA = {:?}\n", (0..1000).collect::<Vec<u32>>());
    let mut files: Vec<(String, String)> = (0..400)
        .map(|i| (format!("filler/m{i}.py"), filler.clone()))
        .collect();
    files.push(("filler/__init__.py".to_owned(), String::new()));
    files.push((
        "main.py".to_owned(),
        "import os, sys\n\
         def resident_kib():\n\
         \x20   exe, kib, mine = os.path.realpath(sys.executable), 0, False\n\
         \x20   for line in open('/proc/self/smaps'):\n\
         \x20       fields = line.split()\n\
         \x20       if '-' in fields[0] and len(fields) >= 5:\n\
         \x20           mine = len(fields) >= 6 and fields[5] == exe\n\
         \x20       elif mine and fields[0] == 'Rss:':\n\
         \x20           kib += int(fields[1])\n\
         \x20   return kib\n\
         before = resident_kib()\n"
            .to_owned()
            + &(0..200)
                .map(|i| format!("import filler.m{i}\n"))
                .collect::<String>()
            + "for i in range(200, 400):\n    __import__('filler.m%d' % i)\n\
               print(resident_kib() - before)\n",
    ));
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    write_app("resident", &files)
}

#[test]
fn imported_bytecode_does_not_stay_resident() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("resident", python, resident_app)?;
        let out = run_frozen(&frozen.exe, &[], None, &[]);
        match out.stdout.trim().parse::<i64>() {
            // At most what the last 16 imports read, with the pages around them.
            Ok(kib) if out.status == Status::Code(0) && kib < 512 => Ok(Vec::new()),
            _ => Ok(vec![format!(
                "{python}: the executable's resident memory should grow by under 512 KiB \
                 (KiB printed) while 2 MB of bytecode is imported from it\n{out}"
            )]),
        }
    });
}
