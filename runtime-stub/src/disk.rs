//! `--collect-to-disk`: the only thing a bundle ever writes. Files the build marked
//! ([`Kind::Disk`]) go to `$XDG_CACHE_HOME/pyfreeze/<digest>/` (else `~/.cache/...`), a
//! directory named by the SHA-256 of its contents, so bundles with the same files share it
//! and a changed bundle never sees stale files.
//!
//! * Private: `pyfreeze/` is created 0700 and refused if another user owns it or others
//!   can write to it; nothing is ever put at a predictable path in a shared directory.
//! * Race-free: an exclusive lock on `<digest>.lock` serialises concurrent first runs; the
//!   files are written to a fresh temporary directory and renamed into place whole, so no
//!   run ever sees half a directory, even after a crash.
//! * Verified before use: every start compares each file with the bundle's bytes; a file
//!   changed, added to or removed from is detected, and the directory is replaced.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use pyfreeze_archive::{user_cache, Bundle, Kind};

use crate::error::StubError;

/// Makes sure the bundle's on-disk files are in place and intact; returns their
/// directory, or `None` when the bundle has none.
pub(crate) fn prepare(bundle: &Bundle<'static>) -> Result<Option<PathBuf>, StubError> {
    if bundle.kind_range(Kind::Disk).is_empty() {
        return Ok(None);
    }
    // Validated by the reader: 64 hex digits, or empty if the build wrote none.
    let digest = bundle.disk_digest()?;
    let root = user_cache::root(|name| std::env::var_os(name)).ok_or_else(|| StubError::Disk {
        path: PathBuf::from("$HOME/.cache"),
        message: "neither $XDG_CACHE_HOME nor $HOME is set to an absolute path; set one \
                  (the bundle was built with --collect-to-disk and needs a cache directory)"
            .to_owned(),
    })?;
    let failed = |path: &Path| {
        let path = path.to_owned();
        move |e: io::Error| StubError::Disk {
            path,
            message: e.to_string(),
        }
    };
    user_cache::private_dir(&root).map_err(|e| StubError::Disk {
        path: root.clone(),
        message: match e {
            user_cache::PrivateDirError::NotPrivate { .. } => {
                format!("{e} (remove it, or set XDG_CACHE_HOME to a directory of your own)")
            }
            user_cache::PrivateDirError::Io(_) => e.to_string(),
        },
    })?;
    let lock_path = root.join(format!("{digest}.lock"));
    let lock = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
        .map_err(failed(&lock_path))?;
    lock.lock().map_err(failed(&lock_path))?;

    let dir = root.join(digest);
    if !matches(bundle, &dir)? {
        replace(bundle, &root, &dir).map_err(failed(&dir))?;
    }
    Ok(Some(dir))
}

/// Whether `dir` holds exactly the bundle's on-disk files, byte for byte.
fn matches(bundle: &Bundle<'static>, dir: &Path) -> Result<bool, StubError> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        _ => return Ok(false),
    }
    let mut expected = 0usize;
    for index in bundle.kind_range(Kind::Disk) {
        let entry = bundle.entry(index)?;
        let contents = entry.contents()?;
        expected += 1;
        // Entry names of this kind are plain relative paths: the reader checks them.
        if !file_is(&dir.join(entry.name), &contents) {
            return Ok(false);
        }
    }
    Ok(count_files(dir).ok() == Some(expected))
}

fn file_is(path: &Path, contents: &[u8]) -> bool {
    let Ok(mut file) = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    else {
        return false;
    };
    let mut found = Vec::with_capacity(contents.len());
    match file.metadata() {
        Ok(meta) if meta.is_file() && meta.len() == contents.len() as u64 => {}
        _ => return false,
    }
    file.read_to_end(&mut found).is_ok() && found == contents
}

/// The regular files below `dir`; anything else (a symbolic link, a device) is an error.
fn count_files(dir: &Path) -> io::Result<usize> {
    let mut count = 0;
    for child in fs::read_dir(dir)? {
        let child = child?;
        let kind = child.file_type()?;
        if kind.is_dir() {
            count += count_files(&child.path())?;
        } else if kind.is_file() {
            count += 1;
        } else {
            return Err(io::Error::other("not a regular file or directory"));
        }
    }
    Ok(count)
}

/// Writes the files to a new directory and renames it over `dir`, moving what was there
/// out of the way first (a rename cannot replace a non-empty directory).
fn replace(bundle: &Bundle<'static>, root: &Path, dir: &Path) -> io::Result<()> {
    let fresh = tempfile::Builder::new()
        .prefix(".new-")
        .permissions(fs::Permissions::from_mode(0o700))
        .tempdir_in(root)?;
    for index in bundle.kind_range(Kind::Disk) {
        let entry = bundle.entry(index).map_err(io::Error::other)?;
        let path = fresh.path().join(entry.name);
        if let Some(parent) = path.parent() {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)?;
        }
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        file.write_all(&entry.contents().map_err(io::Error::other)?)?;
        file.sync_all()?;
    }
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => {
            let stale = tempfile::Builder::new()
                .prefix(".stale-")
                .tempdir_in(root)?;
            // Renamed into the empty temporary directory's place, and removed with it.
            fs::rename(dir, stale.path())?;
        }
        Ok(_) => fs::remove_file(dir)?,
        Err(_) => {}
    }
    fs::rename(fresh.keep(), dir)?;
    File::open(root)?.sync_all()
}
