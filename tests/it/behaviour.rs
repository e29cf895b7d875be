//! How a frozen app ends and how it reads and writes text, compared with the same app run by
//! `python -I -S main.py <mode>` on the same interpreter (stdout, masked stderr, exit status
//! or terminating signal): signal dispositions, death by SIGTERM and SIGHUP, handlers,
//! SIGPIPE through a pipe its reader closes early, atexit, threads joined and output flushed
//! at exit, the status of `sys.exit(obj)`; encodings under the C, C.UTF-8, a latin-1, a
//! KOI8-R and a PT154 locale, stdin and `input()`, closed standard descriptors, a terminal
//! (line buffering), non-ASCII and undecodable arguments, environment and executable paths.
//!
//! One app, frozen once per interpreter, runs one case per mode. Cases that need more than
//! arguments and a stdin (a shell pipeline, a pseudo-terminal, bytes that are not UTF-8) start
//! both the frozen app and CPython the same way, through the same wrapper.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use pyfreeze_tests::{
    bundle_of, check_exact, differences, for_each_interpreter, mask_reference, run, run_command,
    tempdir, test_name, write_app, AppDir, Exact, Interpreter, Output, Status, TempDir, TIMEOUT,
};

const MAIN: &str = r#""""Signals, exit and text, one case per run: main.py <mode> [arg]."""
import sys

mode = sys.argv[1]
arg = sys.argv[2] if len(sys.argv) > 2 else None

if mode == "signals":
    import signal
    for sig in sorted(signal.valid_signals()):
        print(int(sig), repr(signal.getsignal(sig)))
elif mode == "kill":
    import os, signal, time
    print("lost: a signal that kills the process does not flush stdout")
    os.kill(os.getpid(), getattr(signal, arg))
    time.sleep(30)
    print("not reached")
elif mode == "handlers":
    import os, signal, time
    def handler(signum, frame):
        print("handled", signal.Signals(signum).name, frame is not None)
    for name in ("SIGTERM", "SIGHUP", "SIGUSR1", "SIGINT", "SIGPIPE"):
        signal.signal(getattr(signal, name), handler)
        os.kill(os.getpid(), getattr(signal, name))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(30)
    except KeyboardInterrupt:
        print("KeyboardInterrupt caught")
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(7))
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(30)
    print("not reached")
elif mode == "flood":
    # Flushed line by line, so that where the closed pipe stops it cannot vary.
    for i in range(100000):
        print("line", i, flush=True)
elif mode == "atexit":
    import atexit
    class Failing:
        def __repr__(self):
            return "<Failing>"
        def __call__(self):
            raise ValueError("raised in an atexit callback")
    atexit.register(print, "atexit: registered first, runs last")
    atexit.register(Failing())
    atexit.register(print, "atexit: registered last, runs first")
    print("main done")
    if arg is not None:
        sys.exit(int(arg))
elif mode == "threads":
    import threading, time
    def work():
        time.sleep(0.3)
        sys.stdout.write("thread stdout, no newline")
        sys.stderr.write("thread stderr, no newline")
    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
    threading.Thread(target=work).start()
    sys.stdout.write("main stdout, no newline;")
    sys.stderr.write("main stderr, no newline;")
    if arg is not None:
        sys.exit(int(arg))
elif mode == "exit":
    class Custom:
        def __str__(self):
            return "a custom object"
    values = {
        "none": None, "0": 0, "255": 255, "256": 256, "-1": -1, "true": True,
        "big": 2**70, "str": "message: Zo\u00eb", "empty": "", "float": 2.5,
        "list": [1, "two"], "object": Custom(),
    }
    print("exiting with", arg)
    if arg == "tuple":
        raise SystemExit(3, "x")
    sys.exit(values[arg])
elif mode == "text":
    import locale, os
    for name in ("stdin", "stdout", "stderr"):
        stream = getattr(sys, name)
        print(name, stream.encoding, stream.errors, stream.line_buffering, stream.write_through)
    print("fs", sys.getfilesystemencoding(), sys.getfilesystemencodeerrors())
    print("preferred", locale.getpreferredencoding(), locale.getpreferredencoding(False))
    print("LC_CTYPE", locale.setlocale(locale.LC_CTYPE), os.environ.get("LC_CTYPE"))
    print("flags", sys.flags.utf8_mode, sys.flags.isolated, sys.flags.ignore_environment)
    for text in ("Zo\u00eb", "\u2211 \u65e5\u672c"):
        try:
            print(text)
        except UnicodeEncodeError as e:
            print("UnicodeEncodeError", e.encoding, e.start)
    sys.stdout.flush()
    sys.stderr.write("on stderr: Zo\u00eb \u2211\n")
    print("argv", ascii(sys.argv[2:]), [os.fsencode(a) for a in sys.argv[2:]])
    print("environ", ascii(os.environ.get("PYFREEZE_TEXT")), os.environb.get(b"PYFREEZE_TEXT"))
elif mode == "stdin":
    print(ascii(sys.stdin.read()))
elif mode == "stdin-bytes":
    print(sys.stdin.buffer.read())
elif mode == "input":
    print("hello", ascii(input("name? ")))
    input("again? ")
elif mode == "closed":
    import json, os
    report = "%r %r %r\n" % (sys.stdin, sys.stdout, sys.stderr)
    report += "next descriptor: %d\n" % os.open(os.devnull, os.O_RDONLY)
    os.write(3, report.encode())
    print("to a closed stdout")
    sys.exit("to a closed stderr")
elif mode == "tty":
    print("isatty", sys.stdin.isatty(), sys.stdout.isatty(), sys.stderr.isatty())
    print("line_buffering", sys.stdout.line_buffering, sys.stderr.line_buffering)
    # Nothing flushes stdout before the read: only line buffering shows this line.
    print("ready")
    print("got", ascii(sys.stdin.readline()))
    print("hello", ascii(input("name? ")))
elif mode == "where":
    import os
    for path in (sys.executable, sys.argv[0], __file__):
        print(os.fsencode(path).hex())
elif mode == "raise":
    raise RuntimeError("\u00fcber")
else:
    sys.exit("unknown mode " + mode)
"#;

/// Runs the command line after its arguments on a new pseudo-terminal, as someone at a
/// terminal would: answers "go" once "ready" has arrived (it must arrive while the program
/// waits for it) and "Zoë" to the prompt "name? "; prints what the terminal showed and how
/// the program ended.
const PTY_DRIVER: &str = r#"import os, pty, select, signal, sys, time

pid, fd = pty.fork()
if pid == 0:
    try:
        os.execv(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)

shown = b""

def read_until(marker, seconds):
    global shown
    deadline = time.monotonic() + seconds
    while marker not in shown:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return False
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the program closed the terminal
            return False
        if not data:
            return False
        shown += data
    return True

for marker, answer in ((b"ready\r\n", b"go\n"), (b"name? ", "Zo\u00eb\n".encode())):
    if not read_until(marker, 10):
        print("%r did not arrive while the program waited for input" % marker)
    os.write(fd, answer)
if not read_until(b"\0", 30):
    os.kill(pid, signal.SIGKILL)
_, status = os.waitpid(pid, 0)
sys.stdout.write(shown.decode("utf-8", "replace").replace("\r\n", "\n"))
if os.WIFEXITED(status):
    print("exit code", os.WEXITSTATUS(status))
else:
    print("killed by signal", os.WTERMSIG(status))
"#;

const SIGHUP: i32 = 1;
const SIGTERM: i32 = 15;

fn behave_app() -> AppDir {
    write_app("behave", &[("main.py", MAIN)])
}

/// One run of the app, started the same way for the frozen app and for CPython.
struct Run<'a> {
    /// A program and its first arguments that get the app's command line after them
    /// (`sh -c SCRIPT sh` sees it as `"$@"`); empty: the app is started directly.
    through: Vec<&'a OsStr>,
    args: Vec<&'a OsStr>,
    env: Vec<(&'a str, Option<&'a OsStr>)>,
    stdin: Option<&'a [u8]>,
    /// The status CPython ends with (checked on the reference: a wrong case cannot pass).
    expect: Status,
}

impl<'a> Run<'a> {
    fn new(args: &[&'a str], expect: Status) -> Self {
        Run {
            through: Vec::new(),
            args: args.iter().map(|a| OsStr::new(*a)).collect(),
            env: Vec::new(),
            stdin: None,
            expect,
        }
    }

    fn arg(mut self, arg: &'a OsStr) -> Self {
        self.args.push(arg);
        self
    }

    fn env(mut self, name: &'a str, value: &'a str) -> Self {
        self.env.push((name, Some(OsStr::new(value))));
        self
    }

    fn env_os(mut self, name: &'a str, value: &'a OsStr) -> Self {
        self.env.push((name, Some(value)));
        self
    }

    fn env_remove(mut self, name: &'a str) -> Self {
        self.env.push((name, None));
        self
    }

    fn stdin(mut self, stdin: &'a [u8]) -> Self {
        self.stdin = Some(stdin);
        self
    }

    fn sh(self, script: &'a str) -> Self {
        self.through(&["sh", "-c", script, "sh"].map(OsStr::new))
    }

    fn through(mut self, through: &[&'a OsStr]) -> Self {
        self.through = through.to_vec();
        self
    }

    /// The command that starts `program` with `args` (and this run's arguments), in `cwd`.
    fn command(&self, cwd: &Path, program: &OsStr, args: &[&OsStr]) -> Command {
        let mut line: Vec<&OsStr> = self.through.clone();
        line.push(program);
        line.extend_from_slice(args);
        line.extend(self.args.iter().copied());
        let mut cmd = Command::new(line[0]);
        cmd.args(&line[1..]).current_dir(cwd);
        // Python 3.13 colours tracebacks when FORCE_COLOR is set, whatever -I says.
        cmd.env_remove("FORCE_COLOR");
        for (name, value) in &self.env {
            match value {
                Some(v) => cmd.env(name, v),
                None => cmd.env_remove(name),
            };
        }
        cmd
    }

    fn describe(&self) -> String {
        let mut what = format!("args {:?}", self.args);
        if !self.through.is_empty() {
            what += &format!(", run through {:?}", self.through);
        }
        if !self.env.is_empty() {
            what += &format!(", env {:?}", self.env);
        }
        what
    }
}

/// What the frozen app and the reference did in one run.
struct Compared {
    problems: Vec<String>,
    reference: Output,
}

/// Runs `run_case` on the frozen `exe` and on `python -I -S main.py`, both in `app`;
/// `adjust` turns the reference's masked stderr into what the frozen app must print where
/// README documents a difference.
fn compare_run_adjusted(
    python: &Interpreter,
    exe: &Path,
    app: &AppDir,
    run_case: &Run<'_>,
    adjust: impl Fn(&str) -> String,
) -> Compared {
    let reference = run(
        run_case.command(
            &app.path,
            python.path.as_os_str(),
            &[OsStr::new("-I"), OsStr::new("-S"), OsStr::new("main.py")],
        ),
        run_case.stdin,
    );
    let frozen = run(
        run_case.command(&app.path, exe.as_os_str(), &[]),
        run_case.stdin,
    );
    let what = format!("{python}, {}", run_case.describe());
    let masked_ref = adjust(&mask_reference(&reference.stderr, &app.path, python));
    let problems = differences(
        &what,
        run_case.expect,
        &reference,
        &frozen,
        &masked_ref,
        exe,
    );
    Compared {
        problems,
        reference,
    }
}

fn compare_run(python: &Interpreter, exe: &Path, app: &AppDir, run_case: &Run<'_>) -> Compared {
    compare_run_adjusted(python, exe, app, run_case, str::to_owned)
}

/// `check` on what the reference printed, so that a case whose setting did not take effect
/// (a locale that did not load, a pipe that was not closed) cannot pass by both sides
/// printing the same wrong thing.
fn expect_reference(
    problems: &mut Vec<String>,
    python: &Interpreter,
    compared: Compared,
    what: &str,
    check: impl Fn(&Output) -> bool,
) {
    problems.extend(compared.problems);
    if !check(&compared.reference) {
        problems.push(format!(
            "{python}: the REFERENCE run does not show {what} (a wrong test case?)\n{}",
            compared.reference
        ));
    }
}

#[test]
fn signals_match_cpython() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("behave", python, behave_app)?;
        let app = behave_app();
        let exe = &frozen.exe;
        let mut problems = Vec::new();
        for case in [
            // every disposition as CPython sets it: SIGINT raises, SIGPIPE and SIGXFSZ
            // ignored, nothing else handled (the stub installs no handler of its own)
            Run::new(&["signals"], Status::Code(0)),
            Run::new(&["kill", "SIGTERM"], Status::Signal(SIGTERM)),
            Run::new(&["kill", "SIGHUP"], Status::Signal(SIGHUP)),
            Run::new(&["handlers"], Status::Code(7)),
        ] {
            problems.extend(compare_run(python, exe, &app, &case).problems);
        }
        // dispositions inherited as ignored stay ignored, as CPython leaves them
        let ignored = compare_run(
            python,
            exe,
            &app,
            &Run::new(&["signals"], Status::Code(0)).sh(r#"trap "" INT HUP TERM; "$@""#),
        );
        expect_reference(
            &mut problems,
            python,
            ignored,
            "SIGINT inherited as ignored",
            |out| out.stdout.contains("\n2 <Handlers.SIG_IGN: 1>\n"),
        );
        // `app | head -1`: BrokenPipeError at the next print, then again when stdout is
        // flushed at exit, status 120
        let piped = compare_run(
            python,
            exe,
            &app,
            &Run::new(&["flood"], Status::Code(0))
                .sh(r#"{ "$@"; echo "exit status $?" >&2; } | head -1"#),
        );
        expect_reference(
            &mut problems,
            python,
            piped,
            "BrokenPipeError and exit status 120",
            |out| {
                out.stdout == "line 0\n"
                    && out
                        .stderr
                        .contains("BrokenPipeError: [Errno 32] Broken pipe\n")
                    && out.stderr.ends_with("exit status 120\n")
            },
        );
        Ok(problems)
    });
}

/// The reference's stderr without the source lines under its traceback frames: on 3.8 and
/// 3.9 CPython prints an exception raised in an atexit callback with its C traceback
/// printer, which reads source lines from files on disk only (README).
fn without_source_lines(stderr: &str) -> String {
    let mut out = String::new();
    let mut after_frame = false;
    for line in stderr.split_inclusive('\n') {
        if !(after_frame && line.starts_with("    ")) {
            out.push_str(line);
        }
        after_frame = line.starts_with("  File \"");
    }
    out
}

#[test]
fn exit_atexit_threads_and_flushing_match_cpython() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("behave", python, behave_app)?;
        let app = behave_app();
        let exe = &frozen.exe;
        let mut problems = Vec::new();
        let atexit_traceback = |stderr: &str| {
            if python.version_info.1 < 10 {
                without_source_lines(stderr)
            } else {
                stderr.to_owned()
            }
        };
        // handlers run last registered first; one that raises is reported and leaves the
        // status alone
        for (case, status) in [
            (Run::new(&["atexit"], Status::Code(0)), "atexit"),
            (Run::new(&["atexit", "4"], Status::Code(4)), "atexit 4"),
        ] {
            let compared = compare_run_adjusted(python, exe, &app, &case, atexit_traceback);
            expect_reference(
                &mut problems,
                python,
                compared,
                &format!("the atexit callbacks' output ({status})"),
                |out| {
                    out.stdout.ends_with(
                        "atexit: registered last, runs first\natexit: registered first, runs last\n",
                    ) && out.stderr.contains("ValueError: raised in an atexit callback\n")
                },
            );
        }
        for case in [
            Run::new(&["threads", "5"], Status::Code(5)),
            // sys.exit(obj): ints modulo 256, None 0, anything else printed with status 1
            Run::new(&["exit", "none"], Status::Code(0)),
            Run::new(&["exit", "0"], Status::Code(0)),
            Run::new(&["exit", "255"], Status::Code(255)),
            Run::new(&["exit", "256"], Status::Code(0)),
            Run::new(&["exit", "-1"], Status::Code(255)),
            Run::new(&["exit", "true"], Status::Code(1)),
            Run::new(&["exit", "big"], Status::Code(255)),
            Run::new(&["exit", "str"], Status::Code(1)),
            Run::new(&["exit", "empty"], Status::Code(1)),
            Run::new(&["exit", "float"], Status::Code(1)),
            Run::new(&["exit", "list"], Status::Code(1)),
            Run::new(&["exit", "object"], Status::Code(1)),
            Run::new(&["exit", "tuple"], Status::Code(1)),
        ] {
            problems.extend(compare_run(python, exe, &app, &case).problems);
        }
        // a non-daemon thread is joined and its output without newline flushed, a daemon
        // thread does not hold the exit
        let threads = compare_run(python, exe, &app, &Run::new(&["threads"], Status::Code(0)));
        expect_reference(
            &mut problems,
            python,
            threads,
            "the thread's output",
            |out| {
                out.stdout == "main stdout, no newline;thread stdout, no newline"
                    && out.stderr == "main stderr, no newline;thread stderr, no newline"
            },
        );
        Ok(problems)
    });
}

/// A directory with the locales `en_US.ISO-8859-1` (its codec is always in the frozen
/// table), `ru_RU.KOI8-R` (its codec is added to it only in such a locale) and
/// `kk_KZ.PT154` (a codeset that names its codec, ptcp154, by an alias: all the locale
/// codecs are added), for `LOCPATH`: made once per test process with `localedef`, so the
/// machine need not have them installed.
fn eight_bit_locales() -> &'static Path {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempdir("locales");
        for (input, charmap) in [
            ("en_US", "ISO-8859-1"),
            ("ru_RU", "KOI8-R"),
            ("kk_KZ", "PT154"),
        ] {
            let target = dir.path().join(format!("{input}.{charmap}"));
            let mut cmd = Command::new("localedef");
            cmd.args(["-i", input, "-f", charmap]).arg(&target);
            let out = run_command(cmd, None, TIMEOUT).unwrap_or_else(|e| {
                panic!("cannot run `localedef` to make a {charmap} locale for this test: {e}")
            });
            assert!(
                out.status == Status::Code(0) && target.is_dir(),
                "`localedef -i {input} -f {charmap} {}` failed, so there is no {charmap} \
                 locale to test with (glibc's locale sources in /usr/share/i18n, package \
                 `locales`, are needed):\n{out}",
                target.display()
            );
        }
        dir
    })
    .path()
}

#[test]
fn stdio_encodings_and_locales_match_cpython() {
    let locpath = eight_bit_locales();
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("behave", python, behave_app)?;
        let app = behave_app();
        let exe = &frozen.exe;
        let undecodable = OsStr::from_bytes(b"caf\xe9 \xff");
        let environ = OsStr::from_bytes(b"Zo\xc3\xab \xe9");
        let text = |base: Run<'static>| -> Run<'static> {
            base.arg(OsStr::new("Zoë ∑"))
                .arg(undecodable)
                .env_os("PYFREEZE_TEXT", environ)
        };
        let mut problems = Vec::new();
        let runs = [
            (
                "the environment's locale",
                text(Run::new(&["text"], Status::Code(0))),
            ),
            (
                "UTF-8 mode in the C locale",
                text(Run::new(&["text"], Status::Code(0)).env("LC_ALL", "C")),
            ),
            (
                "C.UTF-8",
                text(Run::new(&["text"], Status::Code(0)).env("LC_ALL", "C.UTF-8")),
            ),
            (
                "the C locale coerced to C.UTF-8",
                text(
                    Run::new(&["text"], Status::Code(0))
                        .env_remove("LC_ALL")
                        .env_remove("LC_CTYPE")
                        .env("LANG", "C"),
                ),
            ),
            (
                "latin-1",
                text(
                    Run::new(&["text"], Status::Code(0))
                        .env_os("LOCPATH", locpath.as_os_str())
                        .env("LC_ALL", "en_US.ISO-8859-1"),
                ),
            ),
            (
                "KOI8-R, whose codec the frozen table holds only in such a locale",
                text(
                    Run::new(&["text"], Status::Code(0))
                        .env_os("LOCPATH", locpath.as_os_str())
                        .env("LC_ALL", "ru_RU.KOI8-R"),
                ),
            ),
            (
                "PT154, whose codec is ptcp154",
                text(
                    Run::new(&["text"], Status::Code(0))
                        .env_os("LOCPATH", locpath.as_os_str())
                        .env("LC_ALL", "kk_KZ.PT154"),
                ),
            ),
            (
                "PYTHON* variables ignored",
                text(
                    Run::new(&["text"], Status::Code(0))
                        .env_os("LOCPATH", locpath.as_os_str())
                        .env("LC_ALL", "en_US.ISO-8859-1")
                        .env("PYTHONIOENCODING", "utf-16:replace")
                        .env("PYTHONUTF8", "1")
                        .env("PYTHONCOERCECLOCALE", "warn")
                        .env("PYTHONUNBUFFERED", "1"),
                ),
            ),
        ];
        let expected = [
            "",
            "flags 1 1 1\n",
            "stdout utf-8 surrogateescape False False\n",
            "LC_CTYPE C.UTF-8 C.UTF-8\n",
            "stdout iso8859-1 strict False False\n",
            "fs koi8-r surrogateescape\n",
            "fs ptcp154 surrogateescape\n",
            "stdout iso8859-1 strict False False\n",
        ];
        for ((what, case), shows) in runs.iter().zip(expected) {
            let compared = compare_run(python, exe, &app, case);
            expect_reference(&mut problems, python, compared, what, |out| {
                out.stdout.contains(shows)
            });
        }
        Ok(problems)
    });
}

#[test]
fn stdin_input_and_closed_descriptors_match_cpython() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("behave", python, behave_app)?;
        let app = behave_app();
        let exe = &frozen.exe;
        let bytes: &[u8] = b"Zo\xc3\xab \xff\nsecond line";
        let mut problems = Vec::new();
        for case in [
            Run::new(&["stdin"], Status::Code(0)).stdin(bytes),
            Run::new(&["stdin-bytes"], Status::Code(0)).stdin(bytes),
            // the prompt on stdout (not a terminal), then EOFError at the end of stdin
            Run::new(&["input"], Status::Code(1)).stdin("Zoë\n".as_bytes()),
        ] {
            problems.extend(compare_run(python, exe, &app, &case).problems);
        }
        // stdin, stdout and stderr closed: None, as CPython makes them (the report goes to
        // descriptor 3)
        let closed = compare_run(
            python,
            exe,
            &app,
            &Run::new(&["closed"], Status::Code(0))
                .sh(r#""$@" 3>&1 <&- >&- 2>&-; echo "exit status $?""#),
        );
        expect_reference(
            &mut problems,
            python,
            closed,
            "sys.stdin, sys.stdout and sys.stderr None",
            |out| out.stdout == "None None None\nnext descriptor: 0\nexit status 1\n",
        );
        Ok(problems)
    });
}

#[test]
fn terminal_line_buffering_and_input_match_cpython() {
    let driver = write_app("pty-driver", &[("driver.py", PTY_DRIVER)]);
    let driver_py = driver.path.join("driver.py");
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("behave", python, behave_app)?;
        let app = behave_app();
        let case = Run::new(&["tty"], Status::Code(0)).through(&[
            python.path.as_os_str(),
            OsStr::new("-I"),
            driver_py.as_os_str(),
        ]);
        let compared = compare_run(python, &frozen.exe, &app, &case);
        let mut problems = Vec::new();
        expect_reference(
            &mut problems,
            python,
            compared,
            "line buffering on a terminal and the answers",
            |out| {
                out.stdout.starts_with(
                    "isatty True True True\nline_buffering True True\nready\ngo\ngot 'go\\n'\n",
                ) && out.stdout.ends_with("hello 'Zo\\xeb'\nexit code 0\n")
            },
        );
        Ok(problems)
    });
}

/// `path` as the app prints it in mode `where`: the hex of its bytes.
fn hex(path: &Path) -> String {
    path.as_os_str()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A copy of `exe` at `<fresh dir>/<dir name>/<file name>`.
fn copy_to(exe: &Path, dir_name: &OsStr, file_name: &OsStr) -> (TempDir, PathBuf) {
    let tmp = tempdir("exe-in");
    let dir = tmp.path().join(dir_name);
    fs::create_dir(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    let copy = dir.join(file_name);
    fs::copy(exe, &copy).unwrap_or_else(|e| panic!("copy {}: {e}", exe.display()));
    (tmp, copy)
}

#[test]
fn bundle_under_non_ascii_and_undecodable_paths() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("behave", python, behave_app)?;
        let mut problems = Vec::new();
        let names = [
            (OsString::from("dïr ñ"), OsString::from("app é")),
            (
                OsString::from_vec(b"d\xffir".to_vec()),
                OsString::from_vec(b"app \xe9".to_vec()),
            ),
        ];
        for (dir_name, file_name) in &names {
            let (_tmp, exe) = copy_to(&frozen.exe, dir_name, file_name);
            let cwd = exe.parent().expect("in a directory");
            // started by a relative path: sys.executable and sys.argv[0] are still its
            // whole path
            let mut cmd = Command::new(Path::new(".").join(file_name));
            cmd.arg("where").current_dir(cwd);
            let out = run(cmd, None);
            let expected = format!(
                "{}\n{}\n{}\n",
                hex(&exe),
                hex(&exe),
                hex(&exe.join("main.py"))
            );
            problems.extend(check_exact(
                &format!(
                    "{python}: run as {}, sys.executable, sys.argv[0] and __file__ must be the \
                     bundle's path, byte for byte",
                    exe.display()
                ),
                &out,
                &Exact::clean(&expected),
            ));
        }
        // a traceback through a non-ASCII path, compared with CPython's from such a directory
        let (_tmp, exe) = copy_to(&frozen.exe, &names[0].0, &names[0].1);
        let app = write_app("dïr ñ", &[("main.py", MAIN)]);
        let compared = compare_run(python, &exe, &app, &Run::new(&["raise"], Status::Code(1)));
        expect_reference(
            &mut problems,
            python,
            compared,
            "the traceback of RuntimeError: über",
            |out| out.stderr.ends_with("RuntimeError: über\n"),
        );
        Ok(problems)
    });
}
