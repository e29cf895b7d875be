//! Which Python builds the app: `--python`, else the active virtualenv's, else `python3`
//! on PATH. Only the choice is made here; the interpreter describes itself in the analysis.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub(crate) enum InterpreterError {
    #[error("--python {}: no such interpreter; give a path or a command on PATH", .0.display())]
    NotFound(PathBuf),
    #[error("the active virtualenv (VIRTUAL_ENV={}) has no bin/python; activate another one or pass --python", .0.display())]
    BrokenVirtualenv(PathBuf),
    #[error(
        "no Python found: python3 is not on PATH; pass --python PATH or activate a virtualenv"
    )]
    NoPython3,
}

impl crate::fault::Blame for InterpreterError {
    fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::User
    }
}

/// Chooses the interpreter. `virtual_env` and `path` are the values of `VIRTUAL_ENV` and
/// `PATH`, passed in so the choice is testable.
pub(crate) fn choose(
    explicit: Option<&Path>,
    virtual_env: Option<OsString>,
    path: Option<OsString>,
) -> Result<PathBuf, InterpreterError> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    if let Some(python) = explicit {
        if python.components().count() > 1 {
            return if python.is_file() {
                Ok(python.to_owned())
            } else {
                Err(InterpreterError::NotFound(python.to_owned()))
            };
        }
        return which::which_in(python, path, cwd)
            .map_err(|_| InterpreterError::NotFound(python.to_owned()));
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
    which::which_in("python3", path, cwd).map_err(|_| InterpreterError::NoPython3)
}

#[cfg(test)]
mod tests {
    use super::*;

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

        let chosen = choose(Some(&path_python), Some(dir.path().into()), path.clone());
        assert_eq!(chosen.unwrap(), path_python);
        let chosen = choose(None, Some(dir.path().into()), path.clone());
        assert_eq!(chosen.unwrap(), venv_python);
        let chosen = choose(None, None, path.clone());
        assert_eq!(chosen.unwrap(), path_python);
        let chosen = choose(Some(Path::new("python3")), None, path);
        assert_eq!(chosen.unwrap(), path_python);
    }

    #[test]
    fn failures_name_what_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let empty = Some(dir.path().as_os_str().to_owned());
        assert!(matches!(
            choose(Some(&dir.path().join("nope")), None, empty.clone()),
            Err(InterpreterError::NotFound(_))
        ));
        assert!(matches!(
            choose(None, Some(dir.path().into()), empty.clone()),
            Err(InterpreterError::BrokenVirtualenv(_))
        ));
        assert!(matches!(
            choose(None, None, empty),
            Err(InterpreterError::NoPython3)
        ));
    }
}
