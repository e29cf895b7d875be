//! Which Python builds the app: `--python`, else the active virtualenv's, else the
//! project's (`[tool.pyfreeze] python`, else the `.venv` beside its `pyproject.toml`), else
//! `python3` on PATH; and whether it can: before anything else, it is asked what it is, in words
//! every Python understands (2.7 and PyPy too), within a short time limit. The analysis
//! then describes it in full.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::child::{self, ChildError};

/// The versions pyfreeze builds with: those the stub's embedding supports.
const SUPPORTED: std::ops::RangeInclusive<u8> = 8..=13;
/// The CPython versions pyfreeze builds with, as people write them: "3.8–3.13".
pub fn supported_versions() -> String {
    format!("3.{}–3.{}", SUPPORTED.start(), SUPPORTED.end())
}

/// What pyfreeze needs, the start of every refusal.
const NEEDS: &str = "pyfreeze needs CPython 3.8–3.13 built with --enable-shared";
/// The environment variable that sets the probe's time limit, in seconds.
const PROBE_TIMEOUT_VARIABLE: &str = "PYFREEZE_PROBE_TIMEOUT";
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);
/// Valid Python 2 and 3, run with `-E -s -S` (every Python takes these; 2.7 has no
/// `-I`): one line, "IMPLEMENTATION MAJOR.MINOR VERSION SHARED".
const PROBE: &str = "import sys, platform, sysconfig\n\
sys.stdout.write('%s %d.%d %s %s\\n' % (platform.python_implementation(), \
sys.version_info[0], sys.version_info[1], platform.python_version(), \
sysconfig.get_config_var('Py_ENABLE_SHARED')))\n";

#[derive(Debug, thiserror::Error)]
pub(crate) enum InterpreterError {
    #[error("--python {}: no such interpreter", .0.display())]
    NotFound(PathBuf),
    #[error("the active virtualenv (VIRTUAL_ENV={}) has no bin/python", .0.display())]
    BrokenVirtualenv(PathBuf),
    #[error("python = {:?} in [tool.pyfreeze]: no such interpreter", .0.display().to_string())]
    ConfiguredNotFound(PathBuf),
    #[error("the project's virtualenv {} has no bin/python", .0.display())]
    BrokenProjectVenv(PathBuf),
    #[error("no Python found: python3 is not on PATH")]
    NoPython3,
}

impl crate::fault::Blame for InterpreterError {
    fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::User
    }
}

/// Why the chosen interpreter cannot build.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProbeError {
    #[error("could not run the interpreter {}", interpreter.display())]
    Spawn {
        interpreter: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{NEEDS}, and {} is {what}", interpreter.display())]
    Unsupported { interpreter: PathBuf, what: String },
    #[error(
        "the interpreter {} did not say what it is within {}, and was stopped",
        interpreter.display(),
        child::describe(*limit)
    )]
    TimedOut {
        interpreter: PathBuf,
        limit: Duration,
    },
    /// A crash: what it printed is all there is to tell.
    #[error("the interpreter {} failed when asked what it is (exit status {status}):\n{stderr}", interpreter.display())]
    Failed {
        interpreter: PathBuf,
        status: String,
        stderr: String,
    },
    #[error(transparent)]
    Limit(#[from] child::LimitError),
    #[error("{NEEDS}, and {} does not answer as a Python does (it printed {stdout:?} to `python -c`)", interpreter.display())]
    NotPython {
        interpreter: PathBuf,
        stdout: String,
    },
}

impl crate::fault::Help for InterpreterError {
    fn help(&self) -> Option<String> {
        Some(
            match self {
                InterpreterError::NotFound(_) => "give a path, or a command on PATH",
                InterpreterError::BrokenVirtualenv(_) => "activate another one, or pass --python",
                InterpreterError::ConfiguredNotFound(_) => {
                    "give a path (from the pyproject.toml's directory) or a command on PATH"
                }
                InterpreterError::BrokenProjectVenv(_) => {
                    "make it again (`uv venv`, `python3 -m venv .venv`) or pass --python"
                }
                InterpreterError::NoPython3 => "pass --python PATH, or activate a virtualenv",
            }
            .to_owned(),
        )
    }
}

impl crate::fault::Help for ProbeError {
    fn help(&self) -> Option<String> {
        match self {
            ProbeError::Unsupported { .. } | ProbeError::NotPython { .. } => {
                Some("pass --python one that is".to_owned())
            }
            ProbeError::TimedOut { .. } => Some(format!(
                "if it is that slow to start, raise the limit with \
                 {PROBE_TIMEOUT_VARIABLE}=SECONDS"
            )),
            ProbeError::Limit(error) => error.help(),
            ProbeError::Spawn { .. } | ProbeError::Failed { .. } => None,
        }
    }
}

impl crate::fault::Blame for ProbeError {
    fn fault(&self) -> crate::fault::Fault {
        use crate::fault::Fault;
        match self {
            ProbeError::Failed { .. } => Fault::Internal,
            _ => Fault::User,
        }
    }
}

/// Asks `interpreter` what it is, within the probe's time limit, and refuses what cannot
/// build.
pub(crate) fn probe(interpreter: &Path) -> Result<(), ProbeError> {
    let limit = child::limit_from_env(PROBE_TIMEOUT_VARIABLE, PROBE_TIMEOUT)?;
    let mut command = Command::new(interpreter);
    command.args(["-E", "-s", "-S", "-c", PROBE]);
    let finished = child::run(&mut command, Vec::new(), limit).map_err(|e| match e {
        ChildError::Spawn(source) => ProbeError::Spawn {
            interpreter: interpreter.to_owned(),
            source,
        },
        ChildError::TimedOut => ProbeError::TimedOut {
            interpreter: interpreter.to_owned(),
            limit,
        },
    })?;
    if !finished.status.success() {
        return Err(ProbeError::Failed {
            interpreter: interpreter.to_owned(),
            status: finished.status_text(),
            stderr: finished.stderr_text(),
        });
    }
    let stdout = String::from_utf8_lossy(&finished.stdout).into_owned();
    let refusal = judge(&stdout).map_err(|()| ProbeError::NotPython {
        interpreter: interpreter.to_owned(),
        stdout: stdout.clone(),
    })?;
    match refusal {
        None => Ok(()),
        Some(what) => Err(ProbeError::Unsupported {
            interpreter: interpreter.to_owned(),
            what,
        }),
    }
}

/// What the probe's answer says: nothing if the interpreter can build, else what it is;
/// `Err` for an answer that is not the probe's.
fn judge(answer: &str) -> Result<Option<String>, ()> {
    let fields: Vec<&str> = answer.split_whitespace().collect();
    let [implementation, minor_version, version, shared] = fields[..] else {
        return Err(());
    };
    let (major, minor) = minor_version.split_once('.').ok_or(())?;
    let (major, minor): (u8, u8) = (
        major.parse().map_err(|_| ())?,
        minor.parse().map_err(|_| ())?,
    );
    if implementation != "CPython" {
        return Ok(Some(format!("{implementation} {version}")));
    }
    if major != 3 || !SUPPORTED.contains(&minor) {
        return Ok(Some(format!("CPython {version}")));
    }
    if shared != "1" {
        return Ok(Some(format!(
            "CPython {version} built without it, with no shared libpython to embed (e.g. \
             `PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install {major}.{minor}`)"
        )));
    }
    Ok(None)
}

/// Chooses the interpreter: `explicit` (`--python`), else the active virtualenv's, else
/// `configured` (`[tool.pyfreeze] python`), else the project's virtualenv, else `python3`.
/// An active virtualenv comes before the project's choices, as one is activated on purpose.
/// `virtual_env` and `path` are the values of `VIRTUAL_ENV` and `PATH`, passed in so the
/// choice is testable.
pub(crate) fn choose(
    explicit: Option<&Path>,
    virtual_env: Option<OsString>,
    configured: Option<&Path>,
    project_venv: Option<&Path>,
    path: Option<OsString>,
) -> Result<PathBuf, InterpreterError> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    // A path is taken as it is; a bare name is a command on PATH.
    let named = |python: &Path| {
        if python.components().count() > 1 {
            Some(python.to_owned()).filter(|p| p.is_file())
        } else {
            which::which_in(python, path.clone(), &cwd).ok()
        }
    };
    if let Some(python) = explicit {
        return named(python).ok_or_else(|| InterpreterError::NotFound(python.to_owned()));
    }
    if let Some(venv) = virtual_env.filter(|v| !v.is_empty()) {
        let venv = PathBuf::from(venv);
        let python = venv.join("bin").join("python");
        return if python.is_file() {
            Ok(python)
        } else {
            Err(InterpreterError::BrokenVirtualenv(venv))
        };
    }
    if let Some(python) = configured {
        return named(python)
            .ok_or_else(|| InterpreterError::ConfiguredNotFound(python.to_owned()));
    }
    if let Some(venv) = project_venv {
        let python = venv.join("bin").join("python");
        return if python.is_file() {
            Ok(python)
        } else {
            Err(InterpreterError::BrokenProjectVenv(venv.to_owned()))
        };
    }
    which::which_in("python3", path, cwd).map_err(|_| InterpreterError::NoPython3)
}

/// The prefixes of the Python installations `python` belongs to, canonical, found as
/// CPython finds its own on Unix without running it: the directory above the `bin/` it is
/// in, for the path as given (a virtualenv, whose `bin/python` links to its base) and with
/// links resolved (the base installation), and the base named by a virtualenv's
/// `pyvenv.cfg` (`home`, the base's `bin/`), which one made with `--copies` has instead of
/// a link. None outside a `bin/`: the parent of a wrapper script is no installation.
pub(crate) fn installations(python: &Path) -> Vec<PathBuf> {
    let prefix_of_bin = |bin: &Path| -> Option<PathBuf> {
        let bin = fs_err::canonicalize(bin).ok()?;
        if bin.file_name()? != "bin" {
            return None;
        }
        // `/bin/python3` on a merged /usr is in /usr/bin once resolved; the root is never
        // a prefix, or every file would be the interpreter's.
        bin.parent()
            .filter(|p| p.parent().is_some())
            .map(Path::to_owned)
    };
    let mut prefixes = Vec::new();
    let given = python.parent().and_then(prefix_of_bin);
    if let Some(venv) = &given {
        let home = fs_err::read_to_string(venv.join("pyvenv.cfg"))
            .ok()
            .and_then(|cfg| {
                cfg.lines().find_map(|line| {
                    let (key, value) = line.split_once('=')?;
                    (key.trim() == "home").then(|| PathBuf::from(value.trim()))
                })
            });
        prefixes.extend(home.as_deref().and_then(prefix_of_bin));
    }
    prefixes.extend(given);
    let real = fs_err::canonicalize(python).ok();
    prefixes.extend(
        real.as_deref()
            .and_then(Path::parent)
            .and_then(prefix_of_bin),
    );
    prefixes.sort();
    prefixes.dedup();
    prefixes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_refuses_what_cannot_build() {
        assert_eq!(judge("CPython 3.12 3.12.1 1\n"), Ok(None));
        assert_eq!(judge("CPython 3.8 3.8.18 1\n"), Ok(None));
        let refused = |answer| judge(answer).unwrap().unwrap();
        assert_eq!(refused("CPython 2.7 2.7.18 0\n"), "CPython 2.7.18");
        assert_eq!(refused("CPython 3.7 3.7.16 1\n"), "CPython 3.7.16");
        assert_eq!(refused("CPython 3.14 3.14.0a1 1\n"), "CPython 3.14.0a1");
        assert_eq!(refused("PyPy 3.10 3.10.14 None\n"), "PyPy 3.10.14");
        assert!(refused("CPython 3.12 3.12.1 0\n").starts_with("CPython 3.12.1 built without it"));
        assert_eq!(judge(""), Err(()));
        assert_eq!(judge("hello\n"), Err(()));
    }

    #[test]
    fn every_supported_interpreter_passes_the_probe() {
        for python in pyfreeze_tests::interpreters() {
            let result = probe(&python.path);
            assert!(result.is_ok(), "{}: {result:?}", python.path.display());
        }
    }

    fn executable(dir: &Path, name: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        fs_err::write(&path, "#!/bin/sh\n").unwrap();
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn order_is_explicit_then_virtualenv_then_path() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        fs_err::create_dir(&bin).unwrap();
        let venv_python = executable(&bin, "python");
        let path_python = executable(&bin, "python3");
        let path = Some(bin.clone().into_os_string());

        let chosen = choose(
            Some(&path_python),
            Some(dir.path().into()),
            None,
            None,
            path.clone(),
        );
        assert_eq!(chosen.unwrap(), path_python);
        let chosen = choose(None, Some(dir.path().into()), None, None, path.clone());
        assert_eq!(chosen.unwrap(), venv_python);
        let chosen = choose(None, None, None, None, path.clone());
        assert_eq!(chosen.unwrap(), path_python);
        let chosen = choose(Some(Path::new("python3")), None, None, None, path);
        assert_eq!(chosen.unwrap(), path_python);
    }

    #[test]
    fn the_project_comes_after_the_active_virtualenv_and_before_path() {
        let dir = tempfile::tempdir().unwrap();
        let (active, project_venv, bin) = (
            dir.path().join("active"),
            dir.path().join(".venv"),
            dir.path().join("bin"),
        );
        for bin in [active.join("bin"), project_venv.join("bin"), bin.clone()] {
            fs_err::create_dir_all(bin).unwrap();
        }
        let active_python = executable(&active.join("bin"), "python");
        let venv_python = executable(&project_venv.join("bin"), "python");
        let configured = executable(&bin, "python3.12");
        let path_python = executable(&bin, "python3");
        let path = Some(bin.clone().into_os_string());
        let choose = |virtual_env: Option<&Path>, configured: Option<&Path>, venv| {
            choose(
                None,
                virtual_env.map(|v| v.as_os_str().to_owned()),
                configured,
                venv,
                path.clone(),
            )
            .unwrap()
        };
        let venv = Some(project_venv.as_path());
        assert_eq!(
            choose(Some(&active), Some(&configured), venv),
            active_python
        );
        assert_eq!(choose(None, Some(&configured), venv), configured);
        assert_eq!(
            choose(None, Some(Path::new("python3.12")), venv),
            configured
        );
        assert_eq!(choose(None, None, venv), venv_python);
        assert_eq!(choose(None, None, None), path_python);
        assert!(matches!(
            super::choose(None, None, Some(&bin.join("nope")), None, path.clone()),
            Err(InterpreterError::ConfiguredNotFound(_))
        ));
        assert!(matches!(
            super::choose(None, None, None, Some(&active.join("bin")), path),
            Err(InterpreterError::BrokenProjectVenv(_))
        ));
    }

    #[test]
    fn failures_name_what_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let empty = Some(dir.path().as_os_str().to_owned());
        assert!(matches!(
            choose(
                Some(&dir.path().join("nope")),
                None,
                None,
                None,
                empty.clone()
            ),
            Err(InterpreterError::NotFound(_))
        ));
        assert!(matches!(
            choose(None, Some(dir.path().into()), None, None, empty.clone()),
            Err(InterpreterError::BrokenVirtualenv(_))
        ));
        assert!(matches!(
            choose(None, None, None, None, empty),
            Err(InterpreterError::NoPython3)
        ));
    }

    #[test]
    fn installations_are_the_prefixes_of_the_interpreter_and_its_base() {
        let dir = tempfile::tempdir().unwrap();
        let dir = fs_err::canonicalize(dir.path()).unwrap();
        let base = dir.join("base");
        fs_err::create_dir_all(base.join("bin")).unwrap();
        let real = executable(&base.join("bin"), "python3.12");
        let venv = dir.join("venv");
        fs_err::create_dir_all(venv.join("bin")).unwrap();
        std::os::unix::fs::symlink(&real, venv.join("bin/python")).unwrap();
        assert_eq!(
            installations(&venv.join("bin/python")),
            [base.clone(), venv.clone()]
        );
        let copies = dir.join("copies");
        fs_err::create_dir_all(copies.join("bin")).unwrap();
        let copy = executable(&copies.join("bin"), "python");
        fs_err::write(
            copies.join("pyvenv.cfg"),
            format!(
                "home = {}\ninclude-system-site-packages = false\n",
                base.join("bin").display()
            ),
        )
        .unwrap();
        assert_eq!(installations(&copy), [base, copies]);
        let wrapper = executable(&dir, "python3");
        assert!(installations(&wrapper).is_empty());
    }
}
