//! The app to freeze, its name and its entry point.

use std::path::{Path, PathBuf};

use crate::build::analysis::EntrySpec;

/// The app as the rest of the build sees it.
#[derive(Debug, Clone)]
pub(crate) struct Project {
    /// Default output name (`dist/<name>`).
    pub(crate) name: String,
    /// Searched first for the app's own modules: the script's directory for a script
    /// entry point (as `python path/to/script.py` puts it first on sys.path), else the
    /// app directory (as `python -m` from there would).
    pub(crate) app_dir: PathBuf,
    pub(crate) entry: EntrySpec,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ProjectError {
    #[error("{}: no such file or directory", .0.display())]
    Missing(PathBuf),
    #[error("{}: not a Python file", .0.display())]
    NotPython(PathBuf),
    #[error("{}: no entry point: the directory has neither __main__.py nor main.py", .0.display())]
    NoEntry(PathBuf),
    #[error("{}: the entry script does not exist", .0.display())]
    MissingEntryFile(PathBuf),
    #[error("--entry {0:?}: not a module name or MODULE:FUNCTION")]
    BadEntry(String),
    #[error("{}: the app's path is not UTF-8, and pyfreeze passes paths to the interpreter as UTF-8", .0.display())]
    NotUtf8(PathBuf),
    #[error("--entry {entry}: {} is outside the app directory {}", path.display(), app_dir.display())]
    EntryOutsideApp {
        entry: String,
        /// Where it leads, links followed.
        path: PathBuf,
        app_dir: PathBuf,
    },
}

impl crate::fault::Blame for ProjectError {
    fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::User
    }
}

impl crate::fault::Help for ProjectError {
    fn help(&self) -> Option<String> {
        Some(match self {
            ProjectError::Missing(_) => "give the app's directory or its main .py file".into(),
            ProjectError::NotPython(_) => "give the app's directory or a .py file".into(),
            ProjectError::NoEntry(_) => "add one, or pass --entry FILE, --entry MODULE or \
                                         --entry MODULE:FUNCTION"
                .into(),
            ProjectError::MissingEntryFile(_) => "--entry takes a file inside the app \
                                                  directory, a module, or MODULE:FUNCTION"
                .into(),
            ProjectError::BadEntry(_) => "give a module such as `app.cli`, or a function in one \
                                          such as `app.cli:main`"
                .into(),
            ProjectError::NotUtf8(_) => "rename the directory, or move the app".into(),
            ProjectError::EntryOutsideApp { .. } => "--entry takes a file inside the app \
                                                     directory; build the directory that holds \
                                                     the script instead"
                .into(),
        })
    }
}

pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

pub(crate) fn is_module_name(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_identifier)
}

fn absolute(path: &Path) -> Result<PathBuf, ProjectError> {
    fs_err::canonicalize(path).map_err(|_| ProjectError::Missing(path.to_owned()))
}

fn name_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "app".to_owned())
}

/// Finds the app at `app` (a directory or a `.py` file) and its entry point: `entry` if
/// given, else the directory's `__main__.py`, else its `main.py`.
pub(crate) fn resolve(app: &Path, entry: Option<&str>) -> Result<Project, ProjectError> {
    if !app.exists() {
        return Err(ProjectError::Missing(app.to_owned()));
    }
    let app_path = absolute(app)?;
    if app_path.to_str().is_none() {
        return Err(ProjectError::NotUtf8(app_path));
    }
    if app_path.is_file() {
        if app_path.extension().is_none_or(|e| e != "py") {
            return Err(ProjectError::NotPython(app.to_owned()));
        }
        let app_dir = app_path.parent().unwrap_or(Path::new("/")).to_owned();
        let project = match entry {
            Some(entry) => Project {
                name: name_of(&app_path),
                entry: entry_in(&app_dir, entry)?,
                app_dir,
            },
            None => Project {
                name: name_of(&app_path),
                app_dir,
                entry: EntrySpec::Script { path: app_path },
            },
        };
        return Ok(project);
    }

    let name = name_of(&app_path);
    let entry = match entry {
        Some(entry) => entry_in(&app_path, entry)?,
        None => ["__main__.py", "main.py"]
            .iter()
            .map(|f| app_path.join(f))
            .find(|p| p.is_file())
            .map(|path| EntrySpec::Script { path })
            .ok_or_else(|| ProjectError::NoEntry(app.to_owned()))?,
    };
    let app_dir = match &entry {
        EntrySpec::Script { path } => path.parent().map_or(app_path, Path::to_owned),
        _ => app_path,
    };
    Ok(Project {
        name,
        app_dir,
        entry,
    })
}

/// Interprets `--entry`: a `.py` path (relative to the app directory), `module`, or
/// `module:function`.
fn entry_in(app_dir: &Path, entry: &str) -> Result<EntrySpec, ProjectError> {
    if entry.ends_with(".py") || entry.contains('/') {
        let path = app_dir.join(entry);
        if !path.is_file() {
            return Err(ProjectError::MissingEntryFile(path));
        }
        // What is outside is not the app's: its directory would become the one searched
        // for the app's modules and collected by --collect-to-disk.
        let path = absolute(&path)?;
        if !path.starts_with(app_dir) {
            return Err(ProjectError::EntryOutsideApp {
                entry: entry.to_owned(),
                path,
                app_dir: app_dir.to_owned(),
            });
        }
        return Ok(EntrySpec::Script { path });
    }
    match entry.split_once(':') {
        Some((module, function)) if is_module_name(module) && is_identifier(function) => {
            Ok(EntrySpec::Function {
                module: module.to_owned(),
                function: function.to_owned(),
            })
        }
        None if is_module_name(entry) => Ok(EntrySpec::Module {
            module: entry.to_owned(),
        }),
        _ => Err(ProjectError::BadEntry(entry.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            fs_err::write(dir.path().join(f), "").unwrap();
        }
        dir
    }

    #[test]
    fn entry_point_is_dunder_main_then_main() {
        let dir = app(&["main.py", "__main__.py"]);
        let p = resolve(dir.path(), None).unwrap();
        assert!(matches!(p.entry, EntrySpec::Script { ref path } if path.ends_with("__main__.py")));
        let dir = app(&["main.py"]);
        let p = resolve(dir.path(), None).unwrap();
        assert!(matches!(p.entry, EntrySpec::Script { ref path } if path.ends_with("main.py")));
    }

    #[test]
    fn single_file_app_is_named_after_the_file() {
        let dir = app(&["tool.py"]);
        let p = resolve(&dir.path().join("tool.py"), None).unwrap();
        assert_eq!(p.name, "tool");
        assert_eq!(p.app_dir, fs_err::canonicalize(dir.path()).unwrap());
    }

    #[test]
    fn explicit_entries() {
        let dir = app(&["run.py"]);
        assert!(matches!(
            resolve(dir.path(), Some("run.py")).unwrap().entry,
            EntrySpec::Script { .. }
        ));
        assert!(matches!(
            resolve(dir.path(), Some("pkg.cli")).unwrap().entry,
            EntrySpec::Module { ref module } if module == "pkg.cli"
        ));
        assert!(matches!(
            resolve(dir.path(), Some("pkg.cli:main")).unwrap().entry,
            EntrySpec::Function { ref module, ref function } if module == "pkg.cli" && function == "main"
        ));
        assert!(matches!(
            resolve(dir.path(), Some("pkg.cli:")),
            Err(ProjectError::BadEntry(_))
        ));
        assert!(matches!(
            resolve(dir.path(), Some("nope.py")),
            Err(ProjectError::MissingEntryFile(_))
        ));
    }

    #[test]
    fn an_app_whose_path_is_not_utf8_is_refused() {
        use std::os::unix::ffi::OsStrExt;
        let dir = app(&[]);
        let app_dir = dir.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
        fs_err::create_dir(&app_dir).unwrap();
        fs_err::write(app_dir.join("main.py"), "").unwrap();
        assert!(matches!(
            resolve(&app_dir, None),
            Err(ProjectError::NotUtf8(_))
        ));
    }

    #[test]
    fn an_entry_script_outside_the_app_directory_is_refused() {
        let dir = app(&["outside.py"]);
        fs_err::create_dir(dir.path().join("app")).unwrap();
        fs_err::write(dir.path().join("app/main.py"), "").unwrap();
        std::os::unix::fs::symlink("../outside.py", dir.path().join("app/link.py")).unwrap();
        let app_dir = dir.path().join("app");
        let outside = dir.path().join("outside.py");
        for entry in ["../outside.py", outside.to_str().unwrap(), "link.py"] {
            assert!(
                matches!(
                    resolve(&app_dir, Some(entry)),
                    Err(ProjectError::EntryOutsideApp { .. })
                ),
                "{entry}"
            );
        }
        let inside = app_dir.join("main.py");
        assert!(resolve(&app_dir, Some(inside.to_str().unwrap())).is_ok());
    }

    #[test]
    fn a_script_in_a_subdirectory_searches_its_own_directory() {
        let dir = app(&[]);
        fs_err::create_dir(dir.path().join("scripts")).unwrap();
        fs_err::write(dir.path().join("scripts/run.py"), "").unwrap();
        let p = resolve(dir.path(), Some("scripts/run.py")).unwrap();
        assert_eq!(
            p.app_dir,
            fs_err::canonicalize(dir.path().join("scripts")).unwrap()
        );
        assert_eq!(p.name, name_of(&fs_err::canonicalize(dir.path()).unwrap()));
        let p = resolve(dir.path(), Some("scripts.run")).unwrap();
        assert_eq!(p.app_dir, fs_err::canonicalize(dir.path()).unwrap());
    }

    #[test]
    fn errors() {
        let dir = app(&["other.py", "notes.txt"]);
        assert!(matches!(
            resolve(dir.path(), None),
            Err(ProjectError::NoEntry(_))
        ));
        assert!(matches!(
            resolve(&dir.path().join("missing"), None),
            Err(ProjectError::Missing(_))
        ));
        assert!(matches!(
            resolve(&dir.path().join("notes.txt"), None),
            Err(ProjectError::NotPython(_))
        ));
    }
}
