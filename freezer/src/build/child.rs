//! Running the interpreter with a time limit: an interpreter that never answers (a wrapper
//! waiting on a terminal, a hung import) must not make the build wait forever, nor leave
//! processes behind when it is stopped.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// What a child that ended in time did.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
    /// Whether all of stdin was written (a child may exit without reading it).
    pub(crate) written: std::io::Result<()>,
}

impl Finished {
    /// How it ended, for messages: its exit code, or the signal that killed it.
    pub(crate) fn status_text(&self) -> String {
        self.status
            .code()
            .map_or_else(|| self.status.to_string(), |code| code.to_string())
    }

    /// What it wrote to stderr, as text, without the trailing newlines.
    pub(crate) fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).trim_end().to_owned()
    }
}

#[derive(Debug)]
pub(crate) enum ChildError {
    Spawn(std::io::Error),
    /// Still running (or its children still holding its output) at the limit: killed,
    /// with every process of its group.
    TimedOut,
}

/// A time limit from the environment variable `name` (seconds, fractions allowed), else
/// `default`.
pub(crate) fn limit_from_env(
    name: &'static str,
    default: Duration,
) -> Result<Duration, LimitError> {
    let Some(value) = std::env::var_os(name) else {
        return Ok(default);
    };
    value
        .to_str()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| LimitError {
            name,
            value: value.to_string_lossy().into_owned(),
        })
}

#[derive(Debug, thiserror::Error)]
#[error(
    "{name}={value:?}: not a time limit; give a number of seconds greater than 0, e.g. {name}=1200"
)]
pub(crate) struct LimitError {
    name: &'static str,
    value: String,
}

impl crate::fault::Blame for LimitError {
    fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::User
    }
}

/// Runs `command` with `input` on stdin, capturing stdout and stderr, for at most `limit`.
/// It runs in a process group of its own, so that a timeout stops what it started too.
pub(crate) fn run(
    command: &mut Command,
    input: Vec<u8>,
    limit: Duration,
) -> Result<Finished, ChildError> {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(ChildError::Spawn)?;
    let group = rustix::process::Pid::from_child(&child);
    let (done, finished) = mpsc::channel();
    // Written from a thread: a request larger than the pipe buffer would otherwise
    // deadlock against an interpreter that fills its stderr before reading stdin.
    let mut stdin = child.stdin.take().expect("stdin was piped");
    let writer = thread::spawn(move || stdin.write_all(&input));
    let reader = |pipe: Option<Box<dyn Read + Send>>, done: mpsc::Sender<()>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buf);
            }
            let _ = done.send(());
            buf
        })
    };
    let stdout = child
        .stdout
        .take()
        .map(|p| Box::new(p) as Box<dyn Read + Send>);
    let stderr = child
        .stderr
        .take()
        .map(|p| Box::new(p) as Box<dyn Read + Send>);
    let stdout = reader(stdout, done.clone());
    let stderr = reader(stderr, done);
    // Both pipes closed: the child and whatever it started that held them are done.
    let mut open = 2;
    while open > 0 {
        let left = limit.saturating_sub(started.elapsed());
        if finished.recv_timeout(left).is_err() {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
            let _ = child.kill();
            let _ = child.wait();
            return Err(ChildError::TimedOut);
        }
        open -= 1;
    }
    let status = child.wait().map_err(ChildError::Spawn)?;
    let written = writer
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let join = |reader: thread::JoinHandle<Vec<u8>>| {
        reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    };
    Ok(Finished {
        status,
        stdout: join(stdout),
        stderr: join(stderr),
        written,
    })
}

/// `limit` as a person reads it: "20 s", "10 min", "1.5 s".
pub(crate) fn describe(limit: Duration) -> String {
    let secs = limit.as_secs_f64();
    if secs >= 60.0 && secs % 60.0 == 0.0 {
        format!("{} min", secs / 60.0)
    } else {
        format!("{secs} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_that_never_ends_is_stopped_with_what_it_started() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg("sleep 60 & echo $! > \"$0\"; wait")
            .arg(&pid_file);
        let started = Instant::now();
        let result = run(&mut command, Vec::new(), Duration::from_millis(500));
        assert!(matches!(result, Err(ChildError::TimedOut)), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
        let pid = fs_err::read_to_string(&pid_file).unwrap();
        // The grandchild is gone (a zombie until init reaps it, at most).
        thread::sleep(Duration::from_millis(200));
        let state = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()));
        assert!(
            state.as_ref().map_or(true, |s| s.contains(") Z ")),
            "sleep is still running: {state:?}"
        );
    }

    #[test]
    fn a_child_that_ends_in_time_gives_its_output() {
        let mut command = Command::new("sh");
        command.arg("-c").arg("cat; echo err >&2; exit 3");
        let finished = run(&mut command, b"in".to_vec(), Duration::from_secs(30)).unwrap();
        assert_eq!(finished.status.code(), Some(3));
        assert_eq!(finished.stdout, b"in");
        assert_eq!(finished.stderr, b"err\n");
        assert!(finished.written.is_ok());
    }

    #[test]
    fn limits_are_said_in_seconds_or_minutes() {
        assert_eq!(describe(Duration::from_secs(600)), "10 min");
        assert_eq!(describe(Duration::from_secs(20)), "20 s");
        assert_eq!(describe(Duration::from_millis(1500)), "1.5 s");
    }
}
