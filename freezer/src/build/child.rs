//! Running the interpreter with a time limit: an interpreter that never answers (a wrapper
//! waiting on a terminal, a hung import) must not make the build wait forever, nor leave
//! processes behind when it is stopped.

use std::io::{BufRead, BufReader, Read, Write};
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
#[error("{name}={value:?}: not a time limit")]
pub(crate) struct LimitError {
    name: &'static str,
    value: String,
}

impl crate::fault::Help for LimitError {
    fn help(&self) -> Option<String> {
        let name = self.name;
        Some(format!(
            "give a number of seconds greater than 0, e.g. {name}=1200"
        ))
    }
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
    run_noting(command, input, limit, None)
}

/// Lines a child writes to stderr for its parent while it runs: those that start with
/// `prefix`, handed to `note` without it, and left out of [`Finished::stderr`].
pub(crate) struct Notes<'a> {
    pub(crate) prefix: &'static str,
    pub(crate) note: &'a mut dyn FnMut(&str),
}

/// What the threads reading the child's pipes tell the waiting one.
enum Event {
    Closed,
    Note(String),
}

/// [`run`], handing `notes` what the child writes for them as it comes.
pub(crate) fn run_noting(
    command: &mut Command,
    input: Vec<u8>,
    limit: Duration,
    mut notes: Option<Notes<'_>>,
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
    let (events, event) = mpsc::channel();
    // Written from a thread: a request larger than the pipe buffer would otherwise
    // deadlock against an interpreter that fills its stderr before reading stdin.
    let mut stdin = child.stdin.take().expect("stdin was piped");
    let writer = thread::spawn(move || stdin.write_all(&input));
    let stdout = child.stdout.take().expect("stdout was piped");
    let stdout = {
        let events = events.clone();
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = { stdout }.read_to_end(&mut buf);
            let _ = events.send(Event::Closed);
            buf
        })
    };
    let stderr = child.stderr.take().expect("stderr was piped");
    let prefix = notes.as_ref().map(|notes| notes.prefix.as_bytes());
    let stderr = thread::spawn(move || {
        let mut buf = Vec::new();
        let mut stderr = BufReader::new(stderr);
        let mut line = Vec::new();
        while matches!(stderr.read_until(b'\n', &mut line), Ok(n) if n > 0) {
            match prefix.and_then(|prefix| line.strip_prefix(prefix)) {
                Some(note) => {
                    let note = String::from_utf8_lossy(note).trim_end().to_owned();
                    let _ = events.send(Event::Note(note));
                }
                None => buf.extend_from_slice(&line),
            }
            line.clear();
        }
        let _ = events.send(Event::Closed);
        buf
    });
    // Both pipes closed: the child and whatever it started that held them are done.
    let mut open = 2;
    while open > 0 {
        let left = limit.saturating_sub(started.elapsed());
        match event.recv_timeout(left) {
            Ok(Event::Closed) => open -= 1,
            Ok(Event::Note(text)) => {
                if let Some(notes) = notes.as_mut() {
                    (notes.note)(&text);
                }
            }
            Err(_) => {
                let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
                let _ = child.kill();
                let _ = child.wait();
                return Err(ChildError::TimedOut);
            }
        }
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
    fn notes_on_stderr_are_handed_over_as_they_come_and_left_out_of_it() {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg("echo '>> one' >&2; echo err >&2; echo '>> two' >&2");
        let mut seen = Vec::new();
        let notes = Notes {
            prefix: ">> ",
            note: &mut |note| seen.push(note.to_owned()),
        };
        let finished = run_noting(
            &mut command,
            Vec::new(),
            Duration::from_secs(30),
            Some(notes),
        )
        .unwrap();
        assert_eq!(seen, ["one", "two"]);
        assert_eq!(finished.stderr, b"err\n");
    }

    #[test]
    fn limits_are_said_in_seconds_or_minutes() {
        assert_eq!(describe(Duration::from_secs(600)), "10 min");
        assert_eq!(describe(Duration::from_secs(20)), "20 s");
        assert_eq!(describe(Duration::from_millis(1500)), "1.5 s");
    }
}
