//! Which outputs a build may replace. The executable is renamed over the output path, so
//! whatever was there is gone: an earlier bundle may go, and an empty file; any other
//! regular file only with `--force`; never a directory, a device, a FIFO or a socket, the
//! app's own files, the runtime stub, or a file of the Python installation that builds it.
//! The build checks before its analysis what it can know then, and everything again just
//! before the rename.

use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use pyfreeze_archive::MAGIC;

/// What the build knows about the files its output must not replace.
#[derive(Debug)]
pub(crate) struct OutputGuard {
    /// The app directory, canonical.
    pub(crate) app_dir: PathBuf,
    /// The app's files, canonical: the entry script before the analysis, every module and
    /// data file of the app directory after it.
    pub(crate) app_files: Vec<PathBuf>,
    /// The prefixes of the Python that builds the app (see
    /// [`crate::build::interpreter::installations`]).
    pub(crate) installations: Vec<PathBuf>,
    /// The runtime stub, canonical.
    pub(crate) stub: PathBuf,
    /// `--force`: replace a regular file that is not a bundle.
    pub(crate) force: bool,
}

/// An output the build will not write, and why.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {why}", output.display(), link.as_ref().map(|to| format!(" (a link to {})", to.display())).unwrap_or_default())]
pub(crate) struct Refusal {
    output: PathBuf,
    /// Where `output` leads, if it is a link.
    link: Option<PathBuf>,
    why: Why,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum Why {
    #[error("is a directory")]
    Directory(PathBuf),
    #[error("is a {0}, not a regular file; pyfreeze never replaces one, even with --force")]
    Special(&'static str),
    #[error("is a symbolic link to nothing")]
    DanglingLink,
    #[error("is the runtime stub the build reads")]
    Stub,
    #[error("is a file of the app ({}); pyfreeze never replaces one, even with --force", .0.display())]
    AppFile(PathBuf),
    #[error("is a file of the Python installation at {} that builds the app; pyfreeze never replaces one, even with --force", .0.display())]
    Installation(PathBuf),
    #[error("exists and is not a pyfreeze bundle{}", in_app.as_ref().map(|d| format!(" (it is in the app directory {})", d.display())).unwrap_or_default())]
    NotABundle { in_app: Option<PathBuf> },
}

impl crate::fault::Help for Refusal {
    fn help(&self) -> Option<String> {
        Some(match &self.why {
            Why::Directory(file) => format!(
                "give the path of the executable to write, e.g. {}",
                file.display()
            ),
            Why::Special(_) => "give the path of a new file or of an earlier bundle".to_owned(),
            Why::DanglingLink => {
                "remove it, or give the path of the file it should point to".to_owned()
            }
            Why::Stub | Why::Installation(_) => "give another output path".to_owned(),
            Why::AppFile(_) => "give another output path, e.g. the default dist/<name>".to_owned(),
            Why::NotABundle { .. } => {
                "pass --force to replace it, or give another output path".to_owned()
            }
        })
    }
}

/// The kind of a file that is neither a directory nor a regular file, for messages.
fn special_kind(file_type: std::fs::FileType) -> Option<&'static str> {
    if file_type.is_char_device() {
        Some("character device")
    } else if file_type.is_block_device() {
        Some("block device")
    } else if file_type.is_fifo() {
        Some("FIFO")
    } else if file_type.is_socket() {
        Some("socket")
    } else if !file_type.is_file() && !file_type.is_dir() {
        Some("special file")
    } else {
        None
    }
}

/// Whether `path` is an ELF file ending with a bundle's trailer magic: an earlier build's
/// output, of whatever format version (the magic has not changed with it).
fn is_bundle(path: &Path) -> bool {
    let check = || -> std::io::Result<bool> {
        let mut file = std::fs::File::open(path)?;
        let mut head = [0; 4];
        file.read_exact(&mut head)?;
        let mut tail = [0; MAGIC.len()];
        file.seek(SeekFrom::End(-(MAGIC.len() as i64)))?;
        file.read_exact(&mut tail)?;
        Ok(&head == b"\x7fELF" && tail == MAGIC)
    };
    check().unwrap_or(false)
}

impl OutputGuard {
    /// Where the executable may be renamed to for `output`: `output` itself, or, when it
    /// is a link, the file it leads to.
    pub(crate) fn check(&self, output: &Path) -> Result<PathBuf, Refusal> {
        let is_link = match std::fs::symlink_metadata(output) {
            Ok(meta) => meta.file_type().is_symlink(),
            // Nothing there (or nothing we may look at: writing will say why).
            Err(_) => return Ok(output.to_owned()),
        };
        let refuse = |target: PathBuf, why| Refusal {
            output: output.to_owned(),
            link: is_link.then_some(target),
            why,
        };
        let target = match std::fs::canonicalize(output) {
            Ok(target) => target,
            Err(_) if is_link => {
                let to = std::fs::read_link(output).unwrap_or_else(|_| output.to_owned());
                return Err(refuse(to, Why::DanglingLink));
            }
            Err(_) => return Ok(output.to_owned()),
        };
        let Ok(meta) = std::fs::metadata(&target) else {
            return Ok(output.to_owned());
        };
        if meta.is_dir() {
            return Err(refuse(target, Why::Directory(output.join("app"))));
        }
        if let Some(kind) = special_kind(meta.file_type()) {
            return Err(refuse(target, Why::Special(kind)));
        }
        if target == self.stub {
            return Err(refuse(target, Why::Stub));
        }
        if self.app_files.contains(&target) {
            return Err(refuse(target, Why::AppFile(self.app_dir.clone())));
        }
        if is_bundle(&target) {
            // A link to a bundle is followed, not replaced: it is how a bundle is put on
            // PATH (`~/bin/tool -> ~/src/tool/dist/tool`), and renaming over it would turn
            // the link into a copy that later builds to the link's target never update.
            return Ok(target);
        }
        if let Some(prefix) = self
            .installations
            .iter()
            .find(|prefix| target.starts_with(prefix))
        {
            return Err(refuse(target, Why::Installation(prefix.clone())));
        }
        // An empty file holds nothing to lose: `mktemp` made it for the output.
        if meta.len() == 0 || self.force {
            return Ok(target);
        }
        let in_app = target
            .starts_with(&self.app_dir)
            .then(|| self.app_dir.clone());
        Err(refuse(target, Why::NotABundle { in_app }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(dir: &Path) -> OutputGuard {
        OutputGuard {
            app_dir: dir.join("app"),
            app_files: vec![dir.join("app/main.py")],
            installations: vec![dir.join("python")],
            stub: dir.join("stub"),
            force: false,
        }
    }

    #[test]
    fn refusals_and_what_is_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = fs_err::canonicalize(tmp.path()).unwrap();
        for sub in ["app/dist", "python/bin", "out"] {
            fs_err::create_dir_all(dir.join(sub)).unwrap();
        }
        let mut bundle = b"\x7fELF stub and archive".to_vec();
        bundle.extend(MAGIC);
        fs_err::write(dir.join("app/dist/app"), &bundle).unwrap();
        fs_err::write(dir.join("python/bin/tool"), &bundle).unwrap();
        for (file, contents) in [
            ("app/main.py", "print(1)\n"),
            ("app/notes.txt", "notes\n"),
            ("python/bin/python3", "\x7fELF"),
            ("stub", "\x7fELF"),
            ("out/empty", ""),
        ] {
            fs_err::write(dir.join(file), contents).unwrap();
        }
        std::os::unix::fs::symlink(dir.join("app/dist/app"), dir.join("out/link")).unwrap();
        std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("out/dangling")).unwrap();

        let guard = guard(&dir);
        let why = |path: &str| guard.check(&dir.join(path)).map_err(|r| r.why);
        assert!(matches!(why("app"), Err(Why::Directory(_))));
        assert!(matches!(why("app/main.py"), Err(Why::AppFile(_))));
        assert!(matches!(
            why("app/notes.txt"),
            Err(Why::NotABundle { in_app: Some(_) })
        ));
        assert!(matches!(
            why("python/bin/python3"),
            Err(Why::Installation(_))
        ));
        assert!(matches!(why("stub"), Err(Why::Stub)));
        assert!(matches!(why("out/dangling"), Err(Why::DanglingLink)));
        assert_eq!(why("app/dist/app").unwrap(), dir.join("app/dist/app"));
        assert_eq!(why("python/bin/tool").unwrap(), dir.join("python/bin/tool"));
        assert_eq!(why("out/link").unwrap(), dir.join("app/dist/app"));
        assert_eq!(why("out/empty").unwrap(), dir.join("out/empty"));
        assert_eq!(why("out/new").unwrap(), dir.join("out/new"));
        assert!(matches!(
            guard.check(Path::new("/dev/null")).map_err(|r| r.why),
            Err(Why::Special("character device"))
        ));

        let forced = OutputGuard {
            force: true,
            ..guard
        };
        let why = |path: &str| forced.check(&dir.join(path)).map_err(|r| r.why);
        assert!(why("app/notes.txt").is_ok());
        assert!(matches!(why("app/main.py"), Err(Why::AppFile(_))));
        assert!(matches!(
            why("python/bin/python3"),
            Err(Why::Installation(_))
        ));
    }
}
