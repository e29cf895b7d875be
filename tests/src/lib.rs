//! Harness of the end-to-end tests: finds the real binaries and every installed CPython,
//! freezes apps, and runs a frozen app and its CPython reference side by side.
//!
//! * [`interpreters`]: every pyenv CPython 3.8–3.13 found at run time (newest patch of each
//!   minor), printed with the ones skipped and why. Nothing machine-specific is written in the
//!   repository: the pyenv root comes from `$PYENV_ROOT` or `pyenv root`.
//! * [`binaries`]: `pyfreeze` and `pyfreeze-stub` in the target directory the running test
//!   was built into. They are brought up to date once per test process with `cargo build`
//!   (set `PYFREEZE_TESTS_NO_BUILD=1` to use them as they are).
//! * `PYFREEZE_TESTS_PYTHONS=3.8,3.13` narrows the interpreters to those minor versions while
//!   working on one thing; the others are reported as skipped. CI never sets it.
//! * [`freeze`], [`run_frozen`], [`run_reference`]: build, then run with a timeout; a
//!   process that outlives it is killed with every process it started (its process group)
//!   and the test fails, nothing hangs.
//! * [`mask`]: makes a frozen app's stderr and its reference's comparable.
//!
//! Every file a test makes lives in a scratch directory under the target directory
//! (`<target>/tmp/pyfreeze-tests/run-<pid>`), never in the repository: example apps are
//! copied there before they are frozen or run, and `pyfreeze`'s build cache is there too
//! ([`build_cache_dir`]).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

pub use tempfile::TempDir;

/// How long any one process may run before it is killed and the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// How long one `pyfreeze build` may take (debug builds of the freezer are slower).
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(180);

/// The minor versions the tests cover.
pub const MINORS: std::ops::RangeInclusive<u32> = 8..=13;

// ---------------------------------------------------------------------------------------
// Interpreters
// ---------------------------------------------------------------------------------------

/// A CPython found under the pyenv root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    /// `<pyenv root>/versions/<name>/bin/python3`, as found (not resolved).
    pub path: PathBuf,
    /// `platform.python_version()`, e.g. `3.11.7`.
    pub version: String,
    /// `(major, minor, micro)`.
    pub version_info: (u32, u32, u32),
    /// `sysconfig.get_paths()["stdlib"]`: stdlib frames in the reference's tracebacks start
    /// with it.
    pub stdlib: PathBuf,
    /// `sysconfig.get_config_var("Py_ENABLE_SHARED")`.
    pub shared: bool,
}

impl Interpreter {
    /// `3.11`.
    pub fn minor_version(&self) -> String {
        format!("{}.{}", self.version_info.0, self.version_info.1)
    }
}

impl fmt::Display for Interpreter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CPython {} ({})", self.version, self.path.display())
    }
}

/// The pyenv root: `$PYENV_ROOT`, else what `pyenv root` prints, else `~/.pyenv` if it is a
/// directory.
pub fn pyenv_root() -> Option<PathBuf> {
    static ROOT: OnceLock<Option<PathBuf>> = OnceLock::new();
    ROOT.get_or_init(|| {
        if let Some(root) = std::env::var_os("PYENV_ROOT").filter(|r| !r.is_empty()) {
            return Some(PathBuf::from(root));
        }
        if let Ok(out) = Command::new("pyenv")
            .arg("root")
            .stderr(Stdio::null())
            .output()
        {
            let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if out.status.success() && !text.is_empty() {
                return Some(PathBuf::from(text));
            }
        }
        let home = PathBuf::from(std::env::var_os("HOME")?).join(".pyenv");
        home.is_dir().then_some(home)
    })
    .clone()
}

const PROBE: &str = "import platform, sys, sysconfig\n\
print(sys.implementation.name)\n\
print(platform.python_version())\n\
print(*sys.version_info[:3])\n\
print(sysconfig.get_paths()['stdlib'])\n\
print(sysconfig.get_config_var('Py_ENABLE_SHARED'))\n";

fn probe(python: &Path) -> Result<Interpreter, String> {
    let mut cmd = Command::new(python);
    cmd.args(["-E", "-s", "-S", "-c", PROBE]);
    let out = run_command(cmd, None, Duration::from_secs(30))
        .map_err(|e| format!("could not run it: {e}"))?;
    if out.status != Status::Code(0) {
        return Err(format!(
            "`-c` probe failed ({}): {}",
            out.status,
            out.stderr.trim()
        ));
    }
    let lines: Vec<&str> = out.stdout.lines().collect();
    let [implementation, version, info, stdlib, shared] = lines[..] else {
        return Err(format!("unexpected probe output {:?}", out.stdout));
    };
    if implementation != "cpython" {
        return Err(format!("{implementation}, not CPython"));
    }
    let parts: Vec<u32> = info
        .split(' ')
        .map(|p| p.parse().map_err(|_| format!("bad version {info:?}")))
        .collect::<Result<_, _>>()?;
    let [major, minor, micro] = parts[..] else {
        return Err(format!("bad version {info:?}"));
    };
    Ok(Interpreter {
        path: python.to_owned(),
        version: version.to_owned(),
        version_info: (major, minor, micro),
        stdlib: PathBuf::from(stdlib),
        shared: shared.trim() == "1",
    })
}

/// Every pyenv CPython 3.8–3.13, one per minor version (the newest patch), oldest first.
/// Prints each one used and each one skipped, with the reason; panics if none is left.
pub fn interpreters() -> &'static [Interpreter] {
    static FOUND: OnceLock<Vec<Interpreter>> = OnceLock::new();
    FOUND.get_or_init(|| {
        let (used, skipped) = discover();
        // Written to the process's stderr, not through eprintln!, which the test runner
        // captures: the list shows in every run's log, once.
        let mut report = String::new();
        for (what, why) in &skipped {
            report += &format!("pyfreeze-tests: skipping {what}: {why}\n");
        }
        for interp in &used {
            report += &format!("pyfreeze-tests: using {interp}\n");
        }
        let _ = io::stderr().write_all(report.as_bytes());
        assert!(
            !used.is_empty(),
            "no usable CPython 3.{}–3.{} found under the pyenv root ({}); install one with \
             `pyenv install 3.12` (built with --enable-shared)",
            MINORS.start(),
            MINORS.end(),
            pyenv_root().map_or_else(
                || "none: neither $PYENV_ROOT nor `pyenv root` gave one".to_owned(),
                |r| r.display().to_string()
            ),
        );
        used
    })
}

/// The newest interpreter found (the one that single-interpreter tests use).
pub fn newest_interpreter() -> &'static Interpreter {
    interpreters()
        .last()
        .expect("interpreters() is never empty")
}

/// The `(major, minor)` versions `$PYFREEZE_TESTS_PYTHONS` narrows the run to, if set.
fn wanted_minors() -> Option<Vec<(u32, u32)>> {
    let value = std::env::var("PYFREEZE_TESTS_PYTHONS").ok()?;
    let wanted = value
        .split(',')
        .filter_map(|v| {
            let (major, minor) = v.trim().split_once('.')?;
            Some((major.parse().ok()?, minor.parse().ok()?))
        })
        .collect::<Vec<_>>();
    (!wanted.is_empty()).then_some(wanted)
}

/// `(used, skipped with the reason)`; no printing, no panic.
pub fn discover() -> (Vec<Interpreter>, Vec<(String, String)>) {
    let mut skipped = Vec::new();
    let Some(root) = pyenv_root() else {
        skipped.push((
            "pyenv".to_owned(),
            "no pyenv root ($PYENV_ROOT unset, `pyenv root` failed, no ~/.pyenv)".to_owned(),
        ));
        return (Vec::new(), skipped);
    };
    let versions = root.join("versions");
    let mut dirs: Vec<PathBuf> = match fs::read_dir(&versions) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            skipped.push((versions.display().to_string(), format!("unreadable: {e}")));
            return (Vec::new(), skipped);
        }
    };
    dirs.sort();
    let mut by_minor: BTreeMap<(u32, u32), Interpreter> = BTreeMap::new();
    let mut seen = Vec::new();
    let wanted = wanted_minors();
    for dir in dirs {
        let python = dir.join("bin").join("python3");
        let what = python.display().to_string();
        if !python.is_file() {
            skipped.push((what, "no bin/python3".to_owned()));
            continue;
        }
        // pyenv-virtualenv links environments into versions/; count each real one once.
        let real = fs::canonicalize(&python).unwrap_or_else(|_| python.clone());
        if seen.contains(&real) {
            skipped.push((what, "same interpreter as one already listed".to_owned()));
            continue;
        }
        seen.push(real);
        let interp = match probe(&python) {
            Ok(i) => i,
            Err(why) => {
                skipped.push((what, why));
                continue;
            }
        };
        let (major, minor, _) = interp.version_info;
        if let Some(wanted) = wanted.as_ref().filter(|w| !w.contains(&(major, minor))) {
            skipped.push((
                what,
                format!(
                    "PYFREEZE_TESTS_PYTHONS asks for {}",
                    wanted
                        .iter()
                        .map(|(a, b)| format!("{a}.{b}"))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            ));
            continue;
        }
        if major != 3 || !MINORS.contains(&minor) {
            skipped.push((
                what,
                format!(
                    "version {} is outside 3.{}–3.{}",
                    interp.version,
                    MINORS.start(),
                    MINORS.end()
                ),
            ));
            continue;
        }
        if !interp.shared {
            skipped.push((
                what,
                format!(
                    "CPython {} was built without --enable-shared (pyfreeze needs libpython)",
                    interp.version
                ),
            ));
            continue;
        }
        match by_minor.remove(&(major, minor)) {
            Some(other) if other.version_info >= interp.version_info => {
                skipped.push((what, format!("older than {} (same minor)", other.version)));
                by_minor.insert((major, minor), other);
            }
            Some(other) => {
                skipped.push((
                    other.path.display().to_string(),
                    format!("older than {} (same minor)", interp.version),
                ));
                by_minor.insert((major, minor), interp);
            }
            None => {
                by_minor.insert((major, minor), interp);
            }
        }
    }
    (by_minor.into_values().collect(), skipped)
}

// ---------------------------------------------------------------------------------------
// Binaries and scratch space
// ---------------------------------------------------------------------------------------

/// The binaries under test.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// `target/<profile>/pyfreeze`.
    pub pyfreeze: PathBuf,
    /// `target/<profile>/pyfreeze-stub`.
    pub stub: PathBuf,
    /// `target/`.
    pub target_dir: PathBuf,
}

/// The repository root (the workspace).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_owned()
}

/// `examples/` in the repository. Never run or freeze in place: use [`copy_example`].
pub fn examples_dir() -> PathBuf {
    workspace_root().join("examples")
}

/// `(target dir, profile dir, target triple if any)` of the running test executable
/// (`target/[<triple>/]<profile>/deps/<test>-<hash>`).
fn target_layout() -> (PathBuf, PathBuf, Option<String>) {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("test executable has a directory");
    let profile_dir = if deps.file_name() == Some(OsStr::new("deps")) {
        deps.parent().expect("deps/ has a parent").to_owned()
    } else {
        deps.to_owned()
    };
    let above = profile_dir.parent().expect("profile dir has a parent");
    // cargo marks the target directory itself with CACHEDIR.TAG; `<target>/<triple>/` has none.
    if above.join("CACHEDIR.TAG").exists() || above.parent().is_none() {
        (above.to_owned(), profile_dir, None)
    } else {
        let triple = above.file_name().map(|n| n.to_string_lossy().into_owned());
        (
            above.parent().expect("checked above").to_owned(),
            profile_dir,
            triple,
        )
    }
}

/// `pyfreeze` and `pyfreeze-stub` next to the running test's target directory, brought up to
/// date once per process with `cargo build -p pyfreeze -p pyfreeze-stub` for the same profile
/// (unless `PYFREEZE_TESTS_NO_BUILD` is set). Panics with what to do if they are missing.
pub fn binaries() -> &'static Binaries {
    static BINARIES: OnceLock<Binaries> = OnceLock::new();
    BINARIES.get_or_init(|| {
        let (target_dir, profile_dir, triple) = target_layout();
        if std::env::var_os("PYFREEZE_TESTS_NO_BUILD").is_none() {
            if let Some(cargo) = std::env::var_os("CARGO") {
                cargo_build(
                    Path::new(&cargo),
                    &target_dir,
                    &profile_dir,
                    triple.as_deref(),
                );
            }
        }
        let bins = Binaries {
            pyfreeze: profile_dir.join("pyfreeze"),
            stub: profile_dir.join("pyfreeze-stub"),
            target_dir,
        };
        for bin in [&bins.pyfreeze, &bins.stub] {
            assert!(
                bin.is_file(),
                "{} is missing: run `cargo test --workspace`, which builds them (or \
                 `cargo build -p pyfreeze -p pyfreeze-stub` before `cargo test -p pyfreeze-tests`)",
                bin.display()
            );
        }
        bins
    })
}

fn cargo_build(cargo: &Path, target_dir: &Path, profile_dir: &Path, triple: Option<&str>) {
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root())
        .args(["build", "--quiet", "-p", "pyfreeze", "-p", "pyfreeze-stub"])
        .arg("--target-dir")
        .arg(target_dir);
    match profile_dir.file_name().and_then(OsStr::to_str) {
        Some("debug") => {}
        Some("release") => {
            cmd.arg("--release");
        }
        Some(other) => {
            cmd.args(["--profile", other]);
        }
        None => {}
    }
    if let Some(triple) = triple {
        cmd.args(["--target", triple]);
    }
    let out = run_command(cmd, None, Duration::from_secs(900))
        .unwrap_or_else(|e| panic!("could not run cargo to build pyfreeze: {e}"));
    assert!(
        out.status == Status::Code(0),
        "`cargo build -p pyfreeze -p pyfreeze-stub` failed ({}):\n{}",
        out.status,
        out.stderr
    );
}

/// This process's scratch directory, `<target>/tmp/pyfreeze-tests/run-<pid>`. Directories
/// left by earlier runs whose process is gone are removed the first time it is asked for.
pub fn scratch_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let (target_dir, _, _) = target_layout();
        let base = target_dir.join("tmp").join("pyfreeze-tests");
        fs::create_dir_all(&base).expect("create the scratch directory");
        if let Ok(entries) = fs::read_dir(&base) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let Some(pid) = name.strip_prefix("run-") else {
                    continue;
                };
                if !Path::new("/proc").join(pid).exists() {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
        let root = base.join(format!("run-{}", std::process::id()));
        fs::create_dir_all(&root).expect("create the scratch directory");
        root
    })
}

/// The build cache of every `pyfreeze` a test runs (unless it sets `PYFREEZE_CACHE_DIR`
/// itself): `<scratch root>/build-cache`, so that no test reads or writes the cache in the
/// user's home, and the builds of one run share what they compute.
pub fn build_cache_dir() -> PathBuf {
    scratch_root().join("build-cache")
}

/// A fresh, empty directory under [`scratch_root`], removed when dropped.
pub fn tempdir(prefix: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("{prefix}-"))
        .tempdir_in(scratch_root())
        .expect("create a temporary directory")
}

/// An app's files in a temporary directory: `path` is the app directory itself.
#[derive(Debug)]
pub struct AppDir {
    pub path: PathBuf,
    _dir: TempDir,
}

/// Copies `examples/<name>` (without any `__pycache__`) to a fresh temporary directory, as
/// `<tmp>/<name>`.
pub fn copy_example(name: &str) -> AppDir {
    let src = examples_dir().join(name);
    assert!(src.is_dir(), "no example {}", src.display());
    let dir = tempdir(name);
    let path = dir.path().join(name);
    copy_tree(&src, &path).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
    AppDir { path, _dir: dir }
}

/// Writes an app made of `files` (`(relative path, contents)`) as `<tmp>/<name>`.
pub fn write_app(name: &str, files: &[(&str, &str)]) -> AppDir {
    let dir = tempdir(name);
    let path = dir.path().join(name);
    for (rel, contents) in files {
        let file = path.join(rel);
        fs::create_dir_all(file.parent().expect("file in a directory")).expect("mkdir");
        fs::write(&file, contents).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
    }
    AppDir { path, _dir: dir }
}

/// Recursive copy of regular files and directories, leaving out `__pycache__`.
pub fn copy_tree(src: &Path, dst: &Path) -> io::Result<()> {
    fs::create_dir_all(dst)?;
    for entry in fs::read_dir(src)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "__pycache__" {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &dst.join(&name))?;
        } else if kind.is_file() {
            fs::copy(entry.path(), dst.join(&name))?;
        }
    }
    Ok(())
}

/// Every path under `dir` (relative, sorted), directories included.
pub fn list_tree(dir: &Path) -> Vec<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            out.push(path.strip_prefix(base).unwrap_or(&path).to_owned());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                walk(base, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------
// Running processes
// ---------------------------------------------------------------------------------------

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

fn describe(cmd: &Command) -> String {
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

/// Environment changes: `(name, Some(value))` sets, `(name, None)` removes.
pub type Env<'a> = [(&'a str, Option<&'a str>)];

fn apply_env(cmd: &mut Command, env: &Env<'_>) {
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

/// The reference run of an app: `python -E -s -S <script> <args>` in `app_dir`, the options
/// that give CPython what a frozen app gets (no site, no user site, environment ignored).
pub fn run_reference(
    python: &Interpreter,
    app_dir: &Path,
    script: &str,
    args: &[&str],
    stdin: Option<&[u8]>,
) -> Output {
    run_reference_env(python, app_dir, script, args, stdin, &[])
}

/// [`run_reference`] with `env` changes.
pub fn run_reference_env(
    python: &Interpreter,
    app_dir: &Path,
    script: &str,
    args: &[&str],
    stdin: Option<&[u8]>,
    env: &Env<'_>,
) -> Output {
    let mut all = vec![script];
    all.extend_from_slice(args);
    run_python(python, app_dir, &all, stdin, env)
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

// ---------------------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------------------

/// Runs `pyfreeze <args>` (with [`BUILD_TIMEOUT`]) in `cwd`.
pub fn pyfreeze(args: &[&OsStr], cwd: &Path) -> Output {
    pyfreeze_env(args, cwd, &[])
}

/// [`pyfreeze`] with `env` applied.
pub fn pyfreeze_env(args: &[&OsStr], cwd: &Path, env: &Env<'_>) -> Output {
    let mut cmd = Command::new(&binaries().pyfreeze);
    cmd.args(args)
        .current_dir(cwd)
        .env("PYFREEZE_CACHE_DIR", build_cache_dir());
    apply_env(&mut cmd, env);
    let what = describe(&cmd);
    run_command(cmd, None, BUILD_TIMEOUT).unwrap_or_else(|e| panic!("`{what}`: {e}"))
}

/// The arguments of `pyfreeze build <app> -o <output> --python <python>`.
pub fn build_args<'a>(app: &'a Path, output: &'a Path, python: &'a Path) -> Vec<&'a OsStr> {
    vec![
        OsStr::new("build"),
        app.as_os_str(),
        OsStr::new("-o"),
        output.as_os_str(),
        OsStr::new("--python"),
        python.as_os_str(),
    ]
}

/// A frozen app in its own temporary directory (removed when dropped).
#[derive(Debug)]
pub struct Frozen {
    /// `<tmp>/<app name>`.
    pub exe: PathBuf,
    /// What `pyfreeze build` printed.
    pub build: Output,
    _dir: TempDir,
}

/// A build that failed: the command and what it printed.
#[derive(Debug, Clone)]
pub struct BuildFailure {
    pub command: String,
    pub output: Output,
}

impl fmt::Display for BuildFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` failed\n{}", self.command, self.output)
    }
}

impl std::error::Error for BuildFailure {}

/// `pyfreeze build <app_dir> -o <tmp>/<app name> --python <python> <extra_args>`.
pub fn freeze(
    app_dir: &Path,
    python: &Interpreter,
    extra_args: &[&str],
) -> Result<Frozen, BuildFailure> {
    let name = app_dir
        .file_stem()
        .expect("app path has a name")
        .to_string_lossy()
        .into_owned();
    let dir = tempdir(&format!("frozen-{name}"));
    let exe = dir.path().join(&name);
    let mut args = build_args(app_dir, &exe, &python.path);
    args.extend(extra_args.iter().map(OsStr::new));
    let command = format!(
        "pyfreeze {}",
        args.iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let output = pyfreeze(&args, dir.path());
    if output.status != Status::Code(0) {
        return Err(BuildFailure { command, output });
    }
    if !exe.is_file() {
        return Err(BuildFailure {
            command: format!("{command} (exited 0 but wrote no {})", exe.display()),
            output,
        });
    }
    Ok(Frozen {
        exe,
        build: output,
        _dir: dir,
    })
}

/// Copies a frozen executable into a fresh directory of its own (for tests that look at or
/// put files next to it), keeping its name.
pub fn copy_executable(exe: &Path) -> (TempDir, PathBuf) {
    let dir = tempdir("exe-copy");
    let copy = dir.path().join(exe.file_name().expect("exe has a name"));
    fs::copy(exe, &copy).unwrap_or_else(|e| panic!("copy {}: {e}", exe.display()));
    (dir, copy)
}

// ---------------------------------------------------------------------------------------
// Masking
// ---------------------------------------------------------------------------------------

/// Normalises `text` (a stderr) for comparison. `roots` are `(directory, placeholder)`:
///
/// * in each traceback frame line `File "<path>", line N, in f`, a path under one of the
///   roots is reduced to its part inside it (`<exe>/greet.py` and `<app dir>/greet.py` both
///   become `greet.py`; a stdlib root turns `<stdlib>/json/decoder.py` into
///   `json/decoder.py`, as it is inside a bundle);
/// * any other occurrence of a root is replaced by its placeholder.
///
/// Everything else is kept, the source lines under each frame included, so the masked texts
/// are compared whole.
pub fn mask(text: &str, roots: &[(&Path, &str)]) -> String {
    let mut roots: Vec<(String, &str)> = roots
        .iter()
        .map(|(p, ph)| (p.to_string_lossy().trim_end_matches('/').to_owned(), *ph))
        .filter(|(p, _)| !p.is_empty())
        .collect();
    // Longest first, so a root inside another one wins.
    roots.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let mut line = mask_frame(line, &roots).into_owned();
        for (root, placeholder) in &roots {
            line = replace_path(&line, root, placeholder);
        }
        out.push_str(&line);
    }
    out
}

/// Replaces `root` in `text` where it is a whole path (not followed by more of a file name).
fn replace_path(text: &str, root: &str, placeholder: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(root) {
        let after = &rest[at + root.len()..];
        let boundary =
            !matches!(after.chars().next(), Some(c) if c.is_alphanumeric() || c == '_' || c == '-');
        out.push_str(&rest[..at]);
        out.push_str(if boundary { placeholder } else { root });
        rest = after;
    }
    out.push_str(rest);
    out
}

fn mask_frame<'a>(line: &'a str, roots: &[(String, &str)]) -> std::borrow::Cow<'a, str> {
    const START: &str = "File \"";
    const END: &str = "\", line ";
    let trimmed = line.trim_start();
    let Some(rest) = trimmed.strip_prefix(START) else {
        return line.into();
    };
    let Some(end) = rest.find(END) else {
        return line.into();
    };
    let path = &rest[..end];
    for (root, _) in roots {
        if let Some(inner) = path
            .strip_prefix(root.as_str())
            .and_then(|p| p.strip_prefix('/'))
        {
            let indent = &line[..line.len() - trimmed.len()];
            return format!("{indent}{START}{inner}{}", &rest[end..]).into();
        }
    }
    line.into()
}

/// [`mask`] for a frozen app's stderr: its executable's path.
pub fn mask_frozen(text: &str, exe: &Path) -> String {
    mask(text, &[(exe, "[EXE]")])
}

/// [`mask`] for a reference run's stderr: the app directory and the interpreter's stdlib.
pub fn mask_reference(text: &str, app_dir: &Path, python: &Interpreter) -> String {
    mask(text, &[(app_dir, "[APP]"), (&python.stdlib, "[STDLIB]")])
}

/// Why `unshare -mr` cannot be used here, if it cannot.
pub fn unshare_unavailable() -> Option<String> {
    match Command::new("unshare").args(["-mr", "true"]).output() {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "`unshare -mr true` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!("could not run `unshare`: {e}")),
    }
}

/// The directories a Python installation can live in: the pyenv root and every existing
/// `/usr/lib/python3*` and `/usr/local/lib/python3*`.
pub fn python_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = pyenv_root().into_iter().collect();
    for parent in ["/usr/lib", "/usr/local/lib"] {
        if let Ok(entries) = fs::read_dir(parent) {
            let mut found: Vec<PathBuf> = entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
                .filter(|e| e.path().is_dir())
                .map(|e| e.path())
                .collect();
            found.sort();
            dirs.extend(found);
        }
    }
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_reduces_frames_and_keeps_source_lines() {
        let frozen = "Traceback (most recent call last):\n  File \"/t/x/dist/hello/main.py\", line 3, in <module>\n    greet.fail()\n  File \"/t/x/dist/hello/json/decoder.py\", line 9, in f\n    x\nValueError: /t/x/dist/hello is bad\n";
        let masked = mask_frozen(frozen, Path::new("/t/x/dist/hello"));
        assert_eq!(
            masked,
            "Traceback (most recent call last):\n  File \"main.py\", line 3, in <module>\n    greet.fail()\n  File \"json/decoder.py\", line 9, in f\n    x\nValueError: [EXE] is bad\n"
        );
        let reference = "  File \"/a/hello/main.py\", line 3, in <module>\n  File \"/py/lib/python3.11/json/decoder.py\", line 9, in f\n  File \"main.py\", line 4, in g\n";
        let masked = mask(
            reference,
            &[
                (Path::new("/a/hello"), "[APP]"),
                (Path::new("/py/lib/python3.11/"), "[STDLIB]"),
            ],
        );
        assert_eq!(
            masked,
            "  File \"main.py\", line 3, in <module>\n  File \"json/decoder.py\", line 9, in f\n  File \"main.py\", line 4, in g\n"
        );
    }

    #[test]
    fn mask_leaves_unrelated_paths() {
        let text = "  File \"/elsewhere/main.py\", line 1, in <module>\n";
        assert_eq!(mask(text, &[(Path::new("/a"), "[APP]")]), text);
        // a root matches whole path components only
        let text = "  File \"/ab/main.py\", line 1, in m\nerror: /a-b and /a/c and /a.\n";
        assert_eq!(
            mask(text, &[(Path::new("/a"), "[APP]")]),
            "  File \"/ab/main.py\", line 1, in m\nerror: /a-b and [APP]/c and [APP].\n"
        );
    }

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
