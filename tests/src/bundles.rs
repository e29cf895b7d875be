//! Freezing: `pyfreeze` runs with the build cache of the test run, builds into scratch
//! directories, and bundles built once per test process and shared by the tests that use
//! the same app, arguments and interpreter; and what `pyfreeze ls --json` says a bundle
//! holds.

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use crate::binaries::binaries;
use crate::interpreters::Interpreter;
use crate::per_run::PerRun;
use crate::processes::{apply_env, describe, run_command, Env, Output, Status};
use crate::scratch::{build_cache_dir, copy_example, tempdir, AppDir};

/// How long one `pyfreeze build` may take (debug builds of the freezer are slower).
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(180);

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

/// The frozen `examples/<example>` for `python`, built once per test process (from a copy
/// that is removed right after the build: a bundle must not need its sources).
pub fn bundle(example: &str, python: &Interpreter) -> Result<&'static Frozen, String> {
    bundle_of(example, python, || copy_example(example))
}

/// The app that `make` writes, frozen for `python`, built once per test process per `key`.
pub fn bundle_of(
    key: &str,
    python: &Interpreter,
    make: impl FnOnce() -> AppDir,
) -> Result<&'static Frozen, String> {
    bundle_with(key, python, &[], make)
}

/// The app that `make` writes, frozen for `python` with the extra `pyfreeze build` arguments
/// `args` (`--entry`, `-O`, ...), built once per test process per `(key, args)`.
pub fn bundle_with(
    key: &str,
    python: &Interpreter,
    args: &[&str],
    make: impl FnOnce() -> AppDir,
) -> Result<&'static Frozen, String> {
    type Key = (String, Vec<String>, String);
    static BUNDLES: PerRun<Key, Result<Frozen, String>> = PerRun::new();
    let id = (
        key.to_owned(),
        args.iter().map(|a| (*a).to_owned()).collect(),
        python.version.clone(),
    );
    BUNDLES
        .get(id, || {
            let app = make();
            freeze(&app.path, python, args).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| {
            if args.is_empty() {
                format!("{python}: build of {key} failed: {e}")
            } else {
                format!("{python}: build of {key} with {args:?} failed: {e}")
            }
        })
}

/// What `pyfreeze ls --json` prints for the bundle `exe`, parsed, or why it could not be had.
pub fn ls_json(exe: &Path) -> Result<Value, String> {
    let dir = exe.parent().expect("exe in a directory");
    let json = pyfreeze(
        &[OsStr::new("ls"), exe.as_os_str(), OsStr::new("--json")],
        dir,
    );
    if json.status != Status::Code(0) {
        return Err(format!("pyfreeze ls --json failed\n{json}"));
    }
    serde_json::from_str::<Value>(&json.stdout).map_err(|e| {
        format!(
            "pyfreeze ls --json printed invalid JSON ({e}):\n{}",
            json.stdout
        )
    })
}

/// `(kind, name)` of every entry that `pyfreeze ls --json` lists for the bundle `exe`, or
/// why they could not be had.
pub fn listed_entries(exe: &Path) -> Result<Vec<(String, String)>, String> {
    Ok(entries_of(&ls_json(exe)?))
}

/// Whether the bundle `exe` holds the module `name` (a `left-out` entry is only the note an
/// import of a module the build left out reads).
pub fn holds_module(exe: &Path, name: &str) -> Result<bool, String> {
    Ok(listed_entries(exe)?
        .iter()
        .any(|(kind, n)| n == name && kind != "left-out"))
}

/// Every `(kind, name)` of an object in `listing` (what `pyfreeze ls --json` printed) that
/// has both as strings, wherever the listing puts its entries.
pub fn entries_of(listing: &Value) -> Vec<(String, String)> {
    fn walk(value: &Value, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(map) => {
                if let (Some(Value::String(kind)), Some(Value::String(name))) =
                    (map.get("kind"), map.get("name"))
                {
                    out.push((kind.clone(), name.clone()));
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(listing, &mut found);
    found
}
