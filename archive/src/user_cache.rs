//! The per-user cache directory both halves of pyfreeze write to: the freezer's build
//! cache, and the files a bundle built with `--collect-to-disk` puts on disk. What goes
//! there ends up running as code, so the directory must be private.

use std::ffi::OsString;
use std::fs::DirBuilder;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

/// `$XDG_CACHE_HOME/pyfreeze`, else `$HOME/.cache/pyfreeze`, as `var` reads the
/// environment; relative values are ignored, as the XDG specification asks.
pub fn root(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let absolute = |name: &str| {
        var(name)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    absolute("XDG_CACHE_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".cache")))
        .map(|base| base.join("pyfreeze"))
}

/// Why a directory cannot be used as a private cache.
#[derive(Debug, thiserror::Error)]
pub enum PrivateDirError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(
        "it belongs to uid {uid} with mode {mode:o}; it must be yours and writable by you alone"
    )]
    NotPrivate { uid: u32, mode: u32 },
}

/// Creates `dir` (mode 0700; missing parents as `mkdir -p` makes them) unless it exists,
/// and checks that it is a directory of this user's that no one else can write to.
pub fn private_dir(dir: &Path) -> Result<(), PrivateDirError> {
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match DirBuilder::new().mode(0o700).create(dir) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e.into()),
        _ => {}
    }
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() {
        return Err(io::Error::other("it is not a directory").into());
    }
    // The owner of /proc/self is this process's effective user.
    let own_uid = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
    if own_uid.is_some_and(|uid| uid != meta.uid()) || meta.mode() & 0o022 != 0 {
        return Err(PrivateDirError::NotPrivate {
            uid: meta.uid(),
            mode: meta.mode() & 0o7777,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn the_root_comes_from_the_environment() {
        let env = |vars: &'static [(&str, &str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        assert_eq!(
            root(env(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")])),
            Some(PathBuf::from("/x/pyfreeze"))
        );
        assert_eq!(
            root(env(&[("XDG_CACHE_HOME", "rel"), ("HOME", "/h")])),
            Some(PathBuf::from("/h/.cache/pyfreeze"))
        );
        assert_eq!(root(env(&[("HOME", "relative")])), None);
    }

    #[test]
    fn a_new_directory_is_private_and_a_shared_one_is_refused() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("a/b/pyfreeze");
        private_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        private_dir(&dir).unwrap();

        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(
            private_dir(&dir),
            Err(PrivateDirError::NotPrivate { mode: 0o777, .. })
        ));
        let file = base.path().join("file");
        std::fs::write(&file, b"").unwrap();
        assert!(matches!(private_dir(&file), Err(PrivateDirError::Io(_))));
    }
}
