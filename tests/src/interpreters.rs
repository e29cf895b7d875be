//! Every pyenv CPython the tests run with, found once per test process. This is the tests'
//! only discovery of interpreters; `tests/README.md` states its rules, which the benchmark
//! follows too.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use crate::checks::say;
use crate::processes::{run_command, Status};

/// The minor versions the tests cover.
pub const MINORS: std::ops::RangeInclusive<u32> = 8..=13;

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
fn discover() -> (Vec<Interpreter>, Vec<(String, String)>) {
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

/// The newest interpreter and CPython 3.8, the oldest supported (said when there is none):
/// for tests too slow to run with every interpreter.
pub fn newest_and_3_8(test: &str) -> Vec<&'static Interpreter> {
    let newest = newest_interpreter();
    let mut found = vec![newest];
    match interpreters().iter().find(|i| i.version_info.1 == 8) {
        Some(py38) if py38 != newest => found.push(py38),
        Some(_) => {}
        None => say(&format!(
            "{test}: no CPython 3.8 found; using the newest interpreter only"
        )),
    }
    found
}
