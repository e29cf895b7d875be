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
