//! Virtualenvs: made by an interpreter once per test process, with what pip installs into
//! them, and the reference run of an app with a venv's python.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tempfile::TempDir;

use crate::interpreters::Interpreter;
use crate::per_run::PerRun;
use crate::processes::{apply_env, run, run_command, Env, Output, Status};
use crate::scratch::tempdir;

/// A virtualenv made by one interpreter, with what [`venv`] was asked to install.
#[derive(Debug)]
pub struct Venv {
    /// The venv's directory.
    pub dir: PathBuf,
    /// The interpreter that made it, with `path` = `<venv>/bin/python`.
    pub python: Interpreter,
    _tmp: TempDir,
}

/// Why there is no venv.
#[derive(Debug)]
pub enum NoVenv {
    /// pip could not reach the package index (the message says so).
    Unreachable(String),
    /// Anything else: the test fails.
    Failed(String),
}

impl fmt::Display for NoVenv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (NoVenv::Unreachable(why) | NoVenv::Failed(why)) = self;
        f.write_str(why)
    }
}

/// Markers of pip failing for want of a network or an index.
const NETWORK_ERRORS: [&str; 10] = [
    "No matching distribution found",
    "Could not find a version that satisfies the requirement",
    "Failed to establish a new connection",
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Max retries exceeded",
    "ProxyError",
    "Connection refused",
];

/// The venv `name` of `base`, with `pip install <pip_args>` (requirements, or `-r FILE`),
/// made once per test process. With no `pip_args` it has no pip either, and needs no
/// network.
pub fn venv(name: &str, base: &Interpreter, pip_args: &[&str]) -> &'static Result<Venv, NoVenv> {
    static VENVS: PerRun<(String, String), Result<Venv, NoVenv>> = PerRun::new();
    VENVS.get((name.to_owned(), base.version.clone()), || {
        make_venv(name, base, pip_args)
    })
}

fn make_venv(name: &str, base: &Interpreter, pip_args: &[&str]) -> Result<Venv, NoVenv> {
    let tmp = tempdir(&format!("venv-{name}-{}", base.minor_version()));
    let dir = tmp.path().join("venv");
    let mut cmd = Command::new(&base.path);
    cmd.args(["-E", "-s", "-m", "venv"]);
    if pip_args.is_empty() {
        cmd.arg("--without-pip");
    }
    cmd.arg(&dir);
    let out = run_command(cmd, None, Duration::from_secs(180))
        .map_err(|e| NoVenv::Failed(format!("{base}: `python -m venv`: {e}")))?;
    if out.status != Status::Code(0) {
        return Err(NoVenv::Failed(format!(
            "{base}: `python -m venv {}` failed\n{out}",
            dir.display()
        )));
    }
    let python = dir.join("bin").join("python");
    if !pip_args.is_empty() {
        pip_install(&python, pip_args)?;
    }
    Ok(Venv {
        dir,
        python: Interpreter {
            path: python,
            ..base.clone()
        },
        _tmp: tmp,
    })
}

fn pip_install(python: &Path, pip_args: &[&str]) -> Result<(), NoVenv> {
    let mut cmd = Command::new(python);
    cmd.args([
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "-q",
        "--timeout",
        "30",
        "--retries",
        "2",
    ])
    .args(pip_args);
    let what = format!("{} -m pip install {}", python.display(), pip_args.join(" "));
    let out = run_command(cmd, None, Duration::from_secs(300))
        .map_err(|e| NoVenv::Failed(format!("`{what}`: {e}")))?;
    if out.status == Status::Code(0) {
        return Ok(());
    }
    let text = format!("{}{}", out.stdout, out.stderr);
    let reason = format!("`{what}` failed\n{out}");
    Err(if NETWORK_ERRORS.iter().any(|m| text.contains(m)) {
        NoVenv::Unreachable(reason)
    } else {
        NoVenv::Failed(reason)
    })
}

impl Venv {
    /// The reference run of an app that uses the venv: `<venv>/bin/python -E -s main.py`
    /// in `app_dir`. The venv's python needs `site` for its site-packages: `-E -s`, not
    /// `-S`.
    pub fn run_main(&self, app_dir: &Path) -> Output {
        self.run_main_env(app_dir, &[])
    }

    /// [`Venv::run_main`] with `env` changes.
    pub fn run_main_env(&self, app_dir: &Path, env: &Env<'_>) -> Output {
        self.run_main_with(app_dir, &[], env)
    }

    /// [`Venv::run_main`] with arguments after `main.py`.
    pub fn run_main_args(&self, app_dir: &Path, args: &[&str]) -> Output {
        self.run_main_with(app_dir, args, &[])
    }

    fn run_main_with(&self, app_dir: &Path, args: &[&str], env: &Env<'_>) -> Output {
        let mut cmd = Command::new(&self.python.path);
        cmd.args(["-E", "-s", "main.py"])
            .args(args)
            .current_dir(app_dir);
        apply_env(&mut cmd, env);
        run(cmd, None)
    }

    /// The venv's site-packages directory, as its python says.
    pub fn site_packages(&self) -> Result<PathBuf, String> {
        let mut cmd = Command::new(&self.python.path);
        cmd.args([
            "-E",
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ]);
        let out = run(cmd, None);
        if out.status != Status::Code(0) {
            return Err(format!("{}: the venv's site-packages\n{out}", self.python));
        }
        Ok(PathBuf::from(out.stdout.trim()))
    }
}
