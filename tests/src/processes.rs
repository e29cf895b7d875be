//! Running a process: with a timeout, in a process group of its own that is killed whole
//! when the time is up, its output captured; and the ways the tests start frozen apps and
//! CPython.

use std::fmt;
use std::io::{self, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::interpreters::Interpreter;

/// How long any one process may run before it is killed and the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exited with this code.
    Code(i32),
    /// Killed by this signal.
    Signal(i32),
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Code(c) => write!(f, "exit code {c}"),
            Status::Signal(s) => write!(f, "killed by signal {s}"),
        }
    }
}

/// What a process printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub status: Status,
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "status: {}", self.status)?;
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

pub(crate) fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        s.push(' ');
        s.push_str(&arg.to_string_lossy());
    }
    if let Some(dir) = cmd.get_current_dir() {
        s.push_str(&format!(" (in {})", dir.display()));
    }
    s
}

/// Spawns `cmd`, retrying while exec fails with "Text file busy". Tests copy and write
/// executables while other test threads fork: a child forked in that window holds the
/// copy's write descriptor until it execs, and exec of the copy fails meanwhile.
fn spawn_when_not_busy(cmd: &mut Command) -> io::Result<std::process::Child> {
    const ETXTBSY: i32 = 26;
    let mut attempts = 0;
    loop {
        match cmd.spawn() {
            Err(e) if e.raw_os_error() == Some(ETXTBSY) && attempts < 50 => {
                attempts += 1;
                thread::sleep(Duration::from_millis(20));
            }
            result => return result,
        }
    }
}

/// Runs `cmd` with `stdin` (or `/dev/null`), capturing stdout and stderr. The process runs
/// in a process group of its own; if it, or any process it started that still holds its
/// stdout or stderr, is running after `timeout`, the whole group is killed and an error
/// returned. Errors to spawn are returned too.
pub fn run_command(
    mut cmd: Command,
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> io::Result<Output> {
    let what = describe(&cmd);
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    // So that a timeout reaches the processes it starts too: a frozen app's
    // multiprocessing children, or a fork bomb if the app fails to recognise them.
    .process_group(0);
    let mut child = spawn_when_not_busy(&mut cmd)?;
    let writer = match (child.stdin.take(), stdin) {
        (Some(mut pipe), Some(bytes)) => {
            let bytes = bytes.to_vec();
            // A process that does not read its stdin makes this fail with EPIPE: ignored.
            Some(thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            }))
        }
        _ => None,
    };
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > timeout {
            kill_group(child.id());
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("`{what}` was still running after {timeout:?} and was killed"),
            ));
        }
        thread::sleep(Duration::from_millis(5));
    };
    // Processes it started and left running keep the pipes open: they get the same time.
    while !(out.is_finished() && err.is_finished()) {
        if start.elapsed() > timeout {
            kill_group(child.id());
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "`{what}` exited, but processes it started still held its output after \
                     {timeout:?} and were killed"
                ),
            ));
        }
        thread::sleep(Duration::from_millis(5));
    }
    if let Some(w) = writer {
        let _ = w.join();
    }
    let stdout = out.join().expect("stdout reader");
    let stderr = err.join().expect("stderr reader");
    let status = match (status.code(), status.signal()) {
        (Some(code), _) => Status::Code(code),
        (None, Some(sig)) => Status::Signal(sig),
        (None, None) => unreachable!("a process ends with a code or a signal"),
    };
    Ok(Output {
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        status,
    })
}

/// SIGKILL to the process group `group`, with the shell's `kill` (no `unsafe` here).
fn kill_group(group: u32) {
    let _ = Command::new("sh")
        .args(["-c", "kill -s KILL -- \"-$0\""])
        .arg(group.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// [`run_command`] with [`TIMEOUT`], panicking (failing the test) on a timeout or an error.
pub fn run(cmd: Command, stdin: Option<&[u8]>) -> Output {
    let what = describe(&cmd);
    run_command(cmd, stdin, TIMEOUT).unwrap_or_else(|e| panic!("`{what}`: {e}"))
}

/// Why `program args` cannot be used here, if it cannot: it is not installed, or it fails
/// (`unshare` without user namespaces, say). A test that needs such a tool says this when
/// it skips.
pub fn unavailable(program: &str, args: &[&str]) -> Option<String> {
    let mut cmd = Command::new(program);
    cmd.args(args);
    match run_command(cmd, None, TIMEOUT) {
        Ok(out) if out.status == Status::Code(0) => None,
        Ok(out) => Some(format!(
            "`{program} {}` failed ({}): {}",
            args.join(" "),
            out.status,
            out.stderr.trim()
        )),
        Err(e) => Some(format!("could not run `{program}`: {e}")),
    }
}

/// Environment changes: `(name, Some(value))` sets, `(name, None)` removes.
pub type Env<'a> = [(&'a str, Option<&'a str>)];

pub(crate) fn apply_env(cmd: &mut Command, env: &Env<'_>) {
    // Python 3.13 colours tracebacks when FORCE_COLOR is set, whatever -E says.
    cmd.env_remove("FORCE_COLOR");
    for (name, value) in env {
        match value {
            Some(v) => cmd.env(name, v),
            None => cmd.env_remove(name),
        };
    }
}

/// Runs a frozen app with `args`, `stdin` and `env` changes, in the executable's directory.
pub fn run_frozen(exe: &Path, args: &[&str], stdin: Option<&[u8]>, env: &Env<'_>) -> Output {
    let cwd = exe.parent().expect("executable in a directory");
    run_frozen_in(exe, cwd, args, stdin, env)
}

/// [`run_frozen`] in the directory `cwd`.
pub fn run_frozen_in(
    exe: &Path,
    cwd: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
    env: &Env<'_>,
) -> Output {
    let mut cmd = Command::new(exe);
    cmd.args(args).current_dir(cwd);
    apply_env(&mut cmd, env);
    run(cmd, stdin)
}

/// `python -E -s -S <args>` in `cwd` (with `env` changes): the reference run of an app started
/// some other way than as `main.py`, e.g. `args` = `["-m", "pkg.cli", "x"]` or
/// `["-O", "main.py"]`.
pub fn run_python(
    python: &Interpreter,
    cwd: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
    env: &Env<'_>,
) -> Output {
    let mut cmd = Command::new(&python.path);
    cmd.args(["-E", "-s", "-S"]).args(args).current_dir(cwd);
    apply_env(&mut cmd, env);
    run(cmd, stdin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_display() {
        assert_eq!(Status::Code(2).to_string(), "exit code 2");
        assert_eq!(Status::Signal(2).to_string(), "killed by signal 2");
    }

    #[test]
    fn run_command_reports_codes_signals_and_timeouts() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "cat; echo err >&2; exit 3"]);
        let out = run_command(cmd, Some(b"in"), TIMEOUT).unwrap();
        assert_eq!(out.stdout, "in");
        assert_eq!(out.stderr, "err\n");
        assert_eq!(out.status, Status::Code(3));
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "kill -INT $$; sleep 5"]);
        assert_eq!(
            run_command(cmd, None, TIMEOUT).unwrap().status,
            Status::Signal(2)
        );
        let mut cmd = Command::new("sleep");
        cmd.arg("5");
        let err = run_command(cmd, None, Duration::from_millis(200)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        // a process left behind holding stdout is killed with its group, nothing hangs
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 30 & echo started"]);
        let started = Instant::now();
        let err = run_command(cmd, None, Duration::from_millis(300)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
