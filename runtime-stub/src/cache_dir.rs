//! Content-addressed directories in the per-user cache: the only thing a bundle ever
//! writes, both the files the build put on disk ([`crate::disk`]) and the real files
//! `importlib.resources.as_file()` hands out (`_pyfreeze.as_file`). A directory lives at
//! `$XDG_CACHE_HOME/pyfreeze/<digest>/` (else `~/.cache/...`), named by the SHA-256 of its
//! paths and contents ([`pyfreeze_archive::disk_digest`]), so bundles with the same files
//! share it and a changed bundle never sees stale files.
//!
//! * Private: `pyfreeze/` is created 0700 and refused if another user owns it or others
//!   can write to it; nothing is ever put at a predictable path in a shared directory.
//! * Race-free: an exclusive lock on `<digest>.lock` serialises concurrent runs; the files
//!   are written to a fresh temporary directory and renamed into place whole, so no run
//!   ever sees half a directory, even after a crash.
//! * Verified before use, at a cost that does not grow with the bytes: once a directory is
//!   in place, `<digest>.stamp` records the device, inode, size and ctime of it and of
//!   every directory and file in it. A start `lstat`s each and compares. ctime cannot be
//!   set by a user: a write, a chmod or a file renamed over one changes it (or the inode),
//!   and adding or removing a file changes its directory's. Any difference, or a stamp
//!   missing or damaged, and the directory is written again. The stamp is never parsed:
//!   what the files' `lstat`s give now is formatted and compared with it byte for byte,
//!   so a damaged or forged stamp can only fail to match.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use pyfreeze_archive::user_cache;

/// Why a cached directory could not be put in place. The message says why and what to
/// do; the path it is about, if any, is [`CacheError::path`].
#[derive(Debug, thiserror::Error)]
pub(crate) enum CacheError {
    #[error(
        "neither $XDG_CACHE_HOME nor $HOME is set to an absolute path; set one (the bundle \
         needs a cache directory for its files)"
    )]
    NoCacheDir,

    #[error("{source} (remove it, or set XDG_CACHE_HOME to a directory of your own)")]
    NotPrivate {
        path: PathBuf,
        source: user_cache::PrivateDirError,
    },

    #[error("{source}")]
    Io { path: PathBuf, source: io::Error },

    #[error("`{name}` is not a plain relative path, or is given twice")]
    BadName { name: String },
}

impl CacheError {
    /// The path the error is about, if there is one.
    pub(crate) fn path(&self) -> Option<&Path> {
        match self {
            CacheError::NoCacheDir | CacheError::BadName { .. } => None,
            CacheError::NotPrivate { path, .. } | CacheError::Io { path, .. } => Some(path),
        }
    }

    /// The `errno` behind the error, as Python's OSError takes it.
    pub(crate) fn errno(&self) -> Option<i32> {
        match self {
            CacheError::NoCacheDir => None,
            CacheError::NotPrivate { .. } => Some(libc::EACCES),
            CacheError::Io { source, .. } => source.raw_os_error(),
            CacheError::BadName { .. } => Some(libc::EINVAL),
        }
    }
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> CacheError + '_ {
    move |source| CacheError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What a cached directory holds: its directories (every parent of a file, and any
/// listed on its own) and files, by plain relative paths (`pyfreeze_archive::
/// is_plain_relative_path`), files in a fixed order that [`Tree::contents`] follows.
pub(crate) struct Tree<'a, F> {
    dirs: BTreeSet<&'a str>,
    files: Vec<&'a str>,
    /// The bytes of `files[i]`, asked for only when the directory is written.
    contents: F,
}

impl<'a, F> Tree<'a, F>
where
    F: Fn(usize) -> io::Result<Cow<'a, [u8]>>,
{
    /// A tree of `files` and the directories that hold them, plus `dirs`.
    pub(crate) fn new(
        files: Vec<&'a str>,
        dirs: impl IntoIterator<Item = &'a str>,
        contents: F,
    ) -> Self {
        let mut all: BTreeSet<&'a str> = dirs.into_iter().collect();
        for file in &files {
            let mut path = *file;
            while let Some((parent, _)) = path.rsplit_once('/') {
                if !all.insert(parent) {
                    break;
                }
                path = parent;
            }
        }
        Tree {
            dirs: all,
            files,
            contents,
        }
    }
}

/// The cache root, `pyfreeze/`, created if need be and checked to be private.
pub(crate) fn root() -> Result<PathBuf, CacheError> {
    let root = user_cache::root(|name| std::env::var_os(name)).ok_or(CacheError::NoCacheDir)?;
    user_cache::private_dir(&root).map_err(|source| match source {
        user_cache::PrivateDirError::Io(source) => CacheError::Io {
            path: root.clone(),
            source,
        },
        source => CacheError::NotPrivate {
            path: root.clone(),
            source,
        },
    })?;
    Ok(root)
}

/// Makes sure `<root>/<digest>/` holds exactly `tree`, with an intact stamp; returns it.
/// `digest` must be the tree's content address: 64 hex digits.
pub(crate) fn ensure<'a, F>(
    root: &Path,
    digest: &str,
    tree: &Tree<'a, F>,
) -> Result<PathBuf, CacheError>
where
    F: Fn(usize) -> io::Result<Cow<'a, [u8]>>,
{
    let lock_path = root.join(format!("{digest}.lock"));
    let _lock = lock(root, &lock_path).map_err(at(&lock_path))?;

    let dir = root.join(digest);
    let stamp_path = root.join(format!("{digest}.stamp"));
    let expected = stamp(digest, &dir, tree).map(|(text, _)| text);
    if expected.is_none() || read_capped(&stamp_path, expected.as_deref()) != expected {
        replace(root, &dir, tree).map_err(at(&dir))?;
        write_stamp(root, &stamp_path, || stamp(digest, &dir, tree)).map_err(at(&stamp_path))?;
    }
    Ok(dir)
}

/// The lock file `path`, locked. Anything but a regular file there (a FIFO, a socket, a
/// device, a link, a directory) is damage, never opened as it is (a FIFO would block, and
/// so would every later start on it): it is removed and a file made in its place.
fn lock(root: &Path, path: &Path) -> io::Result<File> {
    for _ in 0..REPAIR_TRIES {
        match open_lock(path)? {
            Some(file) => {
                file.lock()?;
                return Ok(file);
            }
            None => remove_damage(root, path)?,
        }
    }
    Err(io::Error::other(
        "something other than a file keeps coming back in its place",
    ))
}

const REPAIR_TRIES: usize = 4;

/// The lock file `path`, opened or created; `None` if something else is there.
fn open_lock(path: &Path) -> io::Result<Option<File>> {
    let not_a_file = || fs::symlink_metadata(path).is_ok_and(|meta| !meta.is_file());
    if not_a_file() {
        return Ok(None);
    }
    // Checked again once open: something else may have been put there meanwhile.
    let opened = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    match opened {
        Ok(file) if file.metadata()?.is_file() => Ok(Some(file)),
        Ok(_) => Ok(None),
        Err(_) if not_a_file() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes what is at `path` if it is not a regular file, under a lock of the whole cache
/// root: starts that found the same damage take turns, so that none removes the file
/// another has just put in its place.
fn remove_damage(root: &Path, path: &Path) -> io::Result<()> {
    let whole = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
        .open(root)?;
    whole.lock()?;
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => remove(root, path),
        _ => Ok(()),
    }
}

/// Removes whatever is at `path`, a directory tree too (moved out of the way first, so
/// that nothing sees half of it).
fn remove(root: &Path, path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => {
            let stale = tempfile::Builder::new()
                .prefix(".stale-")
                .tempdir_in(root)?;
            // Renamed into the empty temporary directory's place, and removed with it.
            fs::rename(path, stale.path())
        }
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// `<root>/<digest>/` holding `items`, a file for each `(path, Some(bytes))` and a
/// directory for each `(path, None)`, put in place by [`ensure`]; the digest is
/// [`pyfreeze_archive::disk_digest`] of the items by path, a directory's path with a `/`
/// after it (which no file's path has) and no bytes.
pub(crate) fn of_items(
    root: &Path,
    items: &[(&str, Option<&[u8]>)],
) -> Result<PathBuf, CacheError> {
    let mut keyed: Vec<(String, &[u8])> = items
        .iter()
        .map(|&(path, data)| match data {
            Some(data) => (path.to_owned(), data),
            None => (format!("{path}/"), &[][..]),
        })
        .collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let bad = |name: &str| CacheError::BadName {
        name: name.to_owned(),
    };
    if let Some(twice) = keyed.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(bad(&twice[0].0));
    }
    if let Some((name, _)) = items
        .iter()
        .find(|(name, _)| !pyfreeze_archive::is_plain_relative_path(name))
    {
        return Err(bad(name));
    }
    let digest =
        pyfreeze_archive::disk_digest(keyed.iter().map(|(path, data)| (path.as_str(), *data)));
    let files: Vec<(&str, &[u8])> = items
        .iter()
        .filter_map(|&(path, data)| data.map(|data| (path, data)))
        .collect();
    let dirs = items
        .iter()
        .filter(|(_, data)| data.is_none())
        .map(|&(path, _)| path);
    let tree = Tree::new(files.iter().map(|(path, _)| *path).collect(), dirs, |i| {
        Ok(Cow::Borrowed(files[i].1))
    });
    ensure(root, &digest, &tree)
}

/// The stamp of `dir` as it is now, and the newest ctime in it; `None` if it does not
/// hold `tree`'s paths with the right types. A header names the digest, then a line of
/// `lstat` fields per directory (the top one first, then `tree.dirs` in order) and per
/// file.
fn stamp<F>(digest: &str, dir: &Path, tree: &Tree<'_, F>) -> Option<(Vec<u8>, Ctime)> {
    let mut text = format!("pyfreeze stamp 1 {digest}\n").into_bytes();
    let mut newest = (i64::MIN, i64::MIN);
    let mut line = |path: &Path, want_dir: bool| -> Option<()> {
        let meta = fs::symlink_metadata(path).ok()?;
        let kind = if want_dir {
            meta.is_dir()
        } else {
            meta.is_file()
        };
        if !kind {
            return None;
        }
        newest = newest.max(ctime(&meta));
        writeln!(
            text,
            "{} {} {} {} {}",
            meta.dev(),
            meta.ino(),
            meta.size(),
            meta.ctime(),
            meta.ctime_nsec()
        )
        .ok()
    };
    line(dir, true)?;
    for sub in &tree.dirs {
        line(&dir.join(sub), true)?;
    }
    for file in &tree.files {
        line(&dir.join(file), false)?;
    }
    Some((text, newest))
}

/// Seconds and nanoseconds.
type Ctime = (i64, i64);

fn ctime(meta: &fs::Metadata) -> Ctime {
    (meta.ctime(), meta.ctime_nsec())
}

/// The file at `path` if it is no longer than `like` (a damaged or forged stamp may be
/// anything, huge, a link or a FIFO too); `None` if it cannot be read or is longer.
fn read_capped(path: &Path, like: Option<&[u8]>) -> Option<Vec<u8>> {
    let cap = like?.len() as u64;
    // Only a regular file is opened, and only if what opens is the file checked.
    let checked = fs::symlink_metadata(path)
        .ok()
        .filter(|meta| meta.is_file())?;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()
        .filter(|file| {
            file.metadata()
                .is_ok_and(|meta| (meta.dev(), meta.ino()) == (checked.dev(), checked.ino()))
        })?;
    let mut found = Vec::new();
    file.take(cap + 1).read_to_end(&mut found).ok()?;
    Some(found)
}

/// Writes the stamp `take` takes next to its directory, through a temporary file renamed
/// into place so that a crash leaves the old stamp or the new one, never half of one.
///
/// The kernel's clock for ctimes ticks coarsely (a few ms): a file changed in the tick
/// it was written in would keep its ctime. So the stamp is kept only once the clock is
/// past every ctime in it, which the temporary file's own ctime, just written, shows;
/// any later change then gets a later ctime. Only a first run waits, one tick at most
/// (bounded, for file systems whose clocks never move on).
fn write_stamp(
    root: &Path,
    path: &Path,
    take: impl Fn() -> Option<(Vec<u8>, Ctime)>,
) -> io::Result<()> {
    let file = tempfile::Builder::new()
        .prefix(".stamp-")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(root)?;
    for _ in 0..SETTLE_TRIES {
        let (text, newest) = take()
            .ok_or_else(|| io::Error::other("the directory just written changed under it"))?;
        file.as_file().set_len(0)?;
        file.as_file().write_all_at(&text, 0)?;
        if ctime(&file.as_file().metadata()?) > newest {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    file.as_file().sync_all()?;
    // A rename replaces any file, but not a directory.
    if fs::symlink_metadata(path).is_ok_and(|meta| meta.is_dir()) {
        remove(root, path)?;
    }
    file.persist(path).map_err(|e| e.error)?;
    File::open(root)?.sync_all()
}

const SETTLE_TRIES: usize = 1000;

/// Up to how many files are synced one by one rather than with their file system.
const SYNC_ONE_BY_ONE: usize = 32;

/// Writes the tree to a new directory and renames it over `dir`, moving what was there
/// out of the way first (a rename cannot replace a non-empty directory).
fn replace<'a, F>(root: &Path, dir: &Path, tree: &Tree<'a, F>) -> io::Result<()>
where
    F: Fn(usize) -> io::Result<Cow<'a, [u8]>>,
{
    let fresh = tempfile::Builder::new()
        .prefix(".new-")
        .permissions(fs::Permissions::from_mode(0o700))
        .tempdir_in(root)?;
    for sub in &tree.dirs {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(fresh.path().join(sub))?;
    }
    for (index, name) in tree.files.iter().enumerate() {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(fresh.path().join(name))?;
        file.write_all(&(tree.contents)(index)?)?;
    }
    // On disk before the rename, so that no crash leaves a directory of torn files in
    // place. An fsync waits for a journal commit of its own, even once all are written:
    // 2,000 files (20 MB) took 8 to 10 s that way, one syncfs 1 to 2 s. But syncfs also
    // waits for whatever else the file system has to write (0.7 s for one small file on
    // a busy machine), so a few files are synced one by one.
    if tree.files.len() > SYNC_ONE_BY_ONE {
        crate::ffi::sys::sync_file_system(&File::open(fresh.path())?)?;
    } else {
        for name in &tree.files {
            File::open(fresh.path().join(name))?.sync_all()?;
        }
    }
    remove(root, dir)?;
    fs::rename(fresh.keep(), dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree<'a>(
        files: &'a [(&'a str, &'a [u8])],
    ) -> Tree<'a, impl Fn(usize) -> io::Result<Cow<'a, [u8]>>> {
        Tree::new(
            files.iter().map(|(name, _)| *name).collect(),
            [],
            move |i| Ok(Cow::Borrowed(files[i].1)),
        )
    }

    const FILES: &[(&str, &[u8])] = &[("a/b/c.txt", b"one"), ("a/d.txt", b"two"), ("e", b"")];
    const DIGEST: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn parents_are_directories_of_the_tree() {
        let tree = tree(FILES);
        assert_eq!(tree.dirs.iter().copied().collect::<Vec<_>>(), ["a", "a/b"]);
    }

    /// Runs `ensure`, and says whether it wrote the directory (its inode changed).
    fn ensured(root: &Path) -> (PathBuf, bool) {
        let before = fs::symlink_metadata(root.join(DIGEST))
            .ok()
            .map(|m| m.ino());
        let dir = ensure(root, DIGEST, &tree(FILES)).unwrap();
        let after = fs::symlink_metadata(&dir).unwrap().ino();
        assert_eq!(fs::read(dir.join("a/b/c.txt")).unwrap(), b"one");
        assert_eq!(fs::read(dir.join("e")).unwrap(), b"");
        (dir, before != Some(after))
    }

    #[test]
    fn an_intact_directory_is_kept_and_any_change_rewrites_it() {
        let base = tempfile::tempdir().unwrap();
        let root = base.path();
        let (dir, wrote) = ensured(root);
        assert!(wrote);
        assert!(!ensured(root).1, "an intact directory was written again");

        let stamp = root.join(format!("{DIGEST}.stamp"));
        let changes: [(&str, &dyn Fn()); 7] = [
            ("a changed file", &|| {
                fs::write(dir.join("a/d.txt"), b"TWO").unwrap()
            }),
            ("a chmod", &|| {
                fs::set_permissions(dir.join("e"), fs::Permissions::from_mode(0o644)).unwrap()
            }),
            ("an added file", &|| {
                fs::write(dir.join("a/b/new"), b"").unwrap()
            }),
            ("a removed file", &|| {
                fs::remove_file(dir.join("e")).unwrap()
            }),
            ("a removed stamp", &|| fs::remove_file(&stamp).unwrap()),
            ("a damaged stamp", &|| {
                let mut text = fs::read(&stamp).unwrap();
                text.truncate(text.len() / 2);
                fs::write(&stamp, text).unwrap()
            }),
            ("a stamp that is not text", &|| {
                fs::write(&stamp, vec![0xff; 1 << 20]).unwrap()
            }),
        ];
        for (what, change) in changes {
            change();
            assert!(ensured(root).1, "{what} was not repaired");
            assert!(
                !ensured(root).1,
                "after {what}, the repaired directory was written again"
            );
        }
    }

    #[test]
    fn items_are_addressed_by_names_and_contents_and_checked() {
        let base = tempfile::tempdir().unwrap();
        let root = base.path();
        let file = of_items(root, &[("cert.pem", Some(b"pem"))]).unwrap();
        assert_eq!(fs::read(file.join("cert.pem")).unwrap(), b"pem");
        assert_eq!(of_items(root, &[("cert.pem", Some(b"pem"))]).unwrap(), file);
        assert_ne!(
            of_items(root, &[("other.pem", Some(b"pem"))]).unwrap(),
            file
        );
        assert_ne!(of_items(root, &[("cert.pem", Some(b"PEM"))]).unwrap(), file);

        let tree = [
            ("data", None),
            ("data/empty", None),
            ("data/a/b.txt", Some(&b"b"[..])),
        ];
        let dir = of_items(root, &tree).unwrap();
        assert!(dir.join("data/empty").is_dir());
        assert_eq!(fs::read(dir.join("data/a/b.txt")).unwrap(), b"b");
        // A directory is told apart from an empty file of the same name.
        assert_ne!(
            of_items(root, &[("data", Some(b""))]).unwrap(),
            of_items(root, &[("data", None)]).unwrap()
        );

        for bad in [
            &[("../x", Some(&b""[..]))][..],
            &[("x", None), ("x", None)],
            &[("/x", None)],
        ] {
            assert!(
                matches!(of_items(root, bad), Err(CacheError::BadName { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn many_files_are_written_and_kept_too() {
        let base = tempfile::tempdir().unwrap();
        let names: Vec<String> = (0..=SYNC_ONE_BY_ONE)
            .map(|i| format!("d/{i}.txt"))
            .collect();
        let files = Tree::new(names.iter().map(String::as_str).collect(), [], |i| {
            Ok(Cow::Owned(i.to_string().into_bytes()))
        });
        let dir = ensure(base.path(), DIGEST, &files).unwrap();
        assert_eq!(fs::read(dir.join("d/7.txt")).unwrap(), b"7");
        let inode = fs::metadata(&dir).unwrap().ino();
        ensure(base.path(), DIGEST, &files).unwrap();
        assert_eq!(fs::metadata(&dir).unwrap().ino(), inode);
    }

    #[test]
    fn a_stamp_replaced_by_a_link_is_not_followed() {
        let base = tempfile::tempdir().unwrap();
        let root = base.path();
        ensured(root);
        let stamp = root.join(format!("{DIGEST}.stamp"));
        let elsewhere = root.join("elsewhere");
        fs::rename(&stamp, &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &stamp).unwrap();
        assert!(ensured(root).1);
        assert!(fs::symlink_metadata(&stamp).unwrap().is_file());
    }

    /// Puts `kind` at `path`, in place of what was there: "fifo", "socket", "link" (to a
    /// regular file elsewhere), "dir" (with a file in it).
    fn put_special(root: &Path, path: &Path, kind: &str) {
        remove(root, path).unwrap();
        match kind {
            "fifo" => {
                let made = std::process::Command::new("mkfifo")
                    .arg(path)
                    .status()
                    .unwrap();
                assert!(made.success());
            }
            "socket" => {
                std::os::unix::net::UnixListener::bind(path).unwrap();
            }
            "link" => {
                let elsewhere = root.join("elsewhere");
                fs::write(&elsewhere, b"").unwrap();
                std::os::unix::fs::symlink(&elsewhere, path).unwrap();
            }
            "dir" => {
                fs::create_dir(path).unwrap();
                fs::write(path.join("inside"), b"").unwrap();
            }
            _ => unreachable!("{kind}"),
        }
    }

    #[test]
    fn special_files_in_place_of_the_lock_stamp_or_directory_are_replaced() {
        let base = tempfile::tempdir().unwrap();
        let root = base.path();
        ensured(root);
        for name in ["lock", "stamp", "dir", "file"] {
            let path = match name {
                "dir" => root.join(DIGEST),
                "file" => root.join(DIGEST).join("a/d.txt"),
                _ => root.join(format!("{DIGEST}.{name}")),
            };
            for kind in ["fifo", "socket", "link", "dir"] {
                put_special(root, &path, kind);
                // A FIFO with a reader opens without blocking: only its type tells.
                let reader = (kind == "fifo").then(|| {
                    OpenOptions::new()
                        .read(true)
                        .custom_flags(libc::O_NONBLOCK)
                        .open(&path)
                        .unwrap()
                });
                let (_, wrote) = ensured(root);
                drop(reader);
                let meta = fs::symlink_metadata(&path).unwrap();
                let right_type = if name == "dir" {
                    meta.is_dir()
                } else {
                    meta.is_file()
                };
                assert!(right_type, "a {kind} in place of the {name} was left");
                assert_eq!(wrote, name != "lock", "a {kind} in place of the {name}");
                assert!(!ensured(root).1, "a {kind} in place of the {name}");
            }
        }
    }
}
