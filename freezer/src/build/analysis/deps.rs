//! What an analysis answer depends on, as `python/observe.py` recorded it (see the
//! comment that opens it), and whether it all still holds: a cached answer is reused,
//! without running Python, only if every path stat()ed is still of the same kind, every
//! directory listed still lists the same entries, and every file read is still the same
//! file (and, where its times were too recent to tell, has the same contents).

use std::io::Read as _;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::cache::hex;

/// A path `stat`ed (following links): its kind, `f` file, `d` directory, `o` something
/// else, `-` nothing (or an error).
#[derive(Debug, Clone, Deserialize)]
struct Stat {
    path: PathBuf,
    kind: char,
}

/// A directory listed: see [`listing_digest`]; `-` for one that could not be listed.
#[derive(Debug, Clone, Deserialize)]
struct Listing {
    path: PathBuf,
    digest: String,
}

/// A file read, and the SHA-256 (hex) of its contents when its times alone cannot vouch
/// for them.
#[derive(Debug, Clone, Deserialize)]
struct Read {
    path: PathBuf,
    size: u64,
    mtime_ns: i64,
    ctime_ns: i64,
    ino: u64,
    sha256: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Deps {
    /// The working directory, and `sys.path`: the search path leaves out an entry equal to
    /// the working directory.
    cwd: PathBuf,
    sys_path: Vec<PathBuf>,
    stats: Vec<Stat>,
    listings: Vec<Listing>,
    reads: Vec<Read>,
    /// Why the answer must not be reused (it depends on something not recorded).
    uncacheable: Option<String>,
}

impl Deps {
    pub(super) fn is_cacheable(&self) -> bool {
        self.uncacheable.is_none()
    }

    /// Whether everything recorded is still as it was, with `cwd` the working directory.
    pub(super) fn hold(&self, cwd: &Path) -> bool {
        let on_sys_path = |dir: &Path| {
            self.sys_path
                .iter()
                .any(|p| p.as_os_str() == dir.as_os_str())
        };
        self.is_cacheable()
            && (cwd.as_os_str() == self.cwd.as_os_str()
                || !(on_sys_path(cwd) || on_sys_path(&self.cwd)))
            && self
                .stats
                .iter()
                .all(|stat| stat_kind(&stat.path) == stat.kind)
            && self.reads.iter().all(|read| {
                std::fs::metadata(&read.path).is_ok_and(|meta| {
                    meta.size() == read.size
                        && nanoseconds(meta.mtime(), meta.mtime_nsec()) == i128::from(read.mtime_ns)
                        && nanoseconds(meta.ctime(), meta.ctime_nsec()) == i128::from(read.ctime_ns)
                        && meta.ino() == read.ino
                })
            })
            && self.listings.iter().all(|listing| {
                listing_digest(&listing.path).as_deref().unwrap_or("-") == listing.digest
            })
            && self.reads.iter().all(|read| match &read.sha256 {
                Some(digest) => contents_digest(&read.path).is_some_and(|d| d == *digest),
                None => true,
            })
    }
}

fn nanoseconds(seconds: i64, nanoseconds: i64) -> i128 {
    i128::from(seconds) * 1_000_000_000 + i128::from(nanoseconds)
}

fn stat_kind(path: &Path) -> char {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => 'f',
        Ok(meta) if meta.is_dir() => 'd',
        Ok(_) => 'o',
        Err(_) => '-',
    }
}

/// SHA-256 (hex) of a directory's entries, sorted by name: for each, its name, a NUL, its
/// type as the directory gives it (`l` link, `d` directory, `f` file, `o` other) and a
/// newline. `None` if it cannot be listed.
fn listing_digest(dir: &Path) -> Option<String> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).ok()? {
        let entry = entry.ok()?;
        let kind = entry.file_type().ok()?;
        let kind = if kind.is_symlink() {
            b'l'
        } else if kind.is_dir() {
            b'd'
        } else if kind.is_file() {
            b'f'
        } else {
            b'o'
        };
        entries.push((entry.file_name(), kind));
    }
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut digest = Sha256::new();
    for (name, kind) in &entries {
        digest.update(name.as_bytes());
        digest.update([0, *kind, b'\n']);
    }
    Some(hex(&digest.finalize()))
}

fn contents_digest(path: &Path) -> Option<String> {
    let mut digest = Sha256::new();
    let mut file = std::fs::File::open(path).ok()?;
    let mut buffer = vec![0; 1 << 16];
    loop {
        match file.read(&mut buffer).ok()? {
            0 => return Some(hex(&digest.finalize())),
            n => digest.update(&buffer[..n]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps(dir: &Path, file: &Path, digest: Option<String>) -> Deps {
        let meta = fs_err::metadata(file).unwrap();
        Deps {
            cwd: dir.to_owned(),
            sys_path: vec![dir.join("lib")],
            stats: vec![
                Stat {
                    path: dir.join("pkg"),
                    kind: 'd',
                },
                Stat {
                    path: dir.join("nosuch.py"),
                    kind: '-',
                },
            ],
            listings: vec![Listing {
                path: dir.to_owned(),
                digest: listing_digest(dir).unwrap(),
            }],
            reads: vec![Read {
                path: file.to_owned(),
                size: meta.size(),
                mtime_ns: nanoseconds(meta.mtime(), meta.mtime_nsec()) as i64,
                ctime_ns: nanoseconds(meta.ctime(), meta.ctime_nsec()) as i64,
                ino: meta.ino(),
                sha256: digest,
            }],
            uncacheable: None,
        }
    }

    fn ctime(file: &Path) -> i128 {
        let meta = fs_err::metadata(file).unwrap();
        nanoseconds(meta.ctime(), meta.ctime_nsec())
    }

    /// Rewrites `file` once the file system's clock has moved on from its last change, so
    /// that its times tell (the clock may tick every few milliseconds).
    fn rewrite_later(file: &Path, text: &str) {
        let before = ctime(file);
        while ctime(file) == before {
            std::thread::sleep(std::time::Duration::from_millis(5));
            fs_err::write(file, text).unwrap();
        }
    }

    fn scene() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir(dir.path().join("pkg")).unwrap();
        let file = dir.path().join("mod.py");
        fs_err::write(&file, "x = 1\n").unwrap();
        (dir, file)
    }

    #[test]
    fn unchanged_files_and_directories_hold() {
        let (dir, file) = scene();
        let recorded = deps(dir.path(), &file, Some(contents_digest(&file).unwrap()));
        assert!(recorded.hold(dir.path()));
        // Another working directory matters only when sys.path has either of them.
        assert!(recorded.hold(Path::new("/")));
        assert!(!recorded.hold(&dir.path().join("lib")));
        let mut uncacheable = recorded.clone();
        uncacheable.uncacheable = Some("why".to_owned());
        assert!(!uncacheable.hold(dir.path()));
    }

    #[test]
    fn a_new_entry_a_changed_kind_or_a_changed_file_does_not_hold() {
        let (dir, file) = scene();
        let recorded = deps(dir.path(), &file, None);

        fs_err::write(dir.path().join("shadow.py"), "").unwrap();
        assert!(
            !recorded.hold(dir.path()),
            "a new file in a listed directory"
        );
        fs_err::remove_file(dir.path().join("shadow.py")).unwrap();
        assert!(recorded.hold(dir.path()));

        fs_err::write(dir.path().join("pkg/__init__.py"), "").unwrap();
        assert!(recorded.hold(dir.path()), "pkg was only stat()ed");
        fs_err::write(dir.path().join("nosuch.py"), "").unwrap();
        let recorded = deps(dir.path(), &file, None);
        assert!(!recorded.hold(dir.path()), "a path that was missing exists");

        let (dir, file) = scene();
        let recorded = deps(dir.path(), &file, None);
        rewrite_later(&file, "x = 2\n");
        assert!(!recorded.hold(dir.path()), "a rewritten file");
    }

    #[test]
    fn a_racy_file_is_checked_by_its_contents() {
        let (dir, file) = scene();
        let recorded = deps(dir.path(), &file, Some(contents_digest(&file).unwrap()));
        // Same size, times put back: only the contents tell.
        let meta = fs_err::metadata(&file).unwrap();
        let mtime = meta.modified().unwrap();
        rewrite_later(&file, "x = 3\n");
        let reopened = fs_err::File::options().write(true).open(&file).unwrap();
        reopened.file().set_modified(mtime).unwrap();
        let mut forged = recorded.clone();
        let meta = fs_err::metadata(&file).unwrap();
        forged.reads[0].ctime_ns = nanoseconds(meta.ctime(), meta.ctime_nsec()) as i64;
        assert!(!forged.hold(dir.path()));
        let mut without_digest = forged.clone();
        without_digest.reads[0].sha256 = None;
        assert!(without_digest.hold(dir.path()), "times alone cannot tell");
        // Size and mtime as they were, and no digest: the ctime tells.
        let mut recorded = recorded.clone();
        recorded.reads[0].sha256 = None;
        assert!(!recorded.hold(dir.path()));
    }

    #[test]
    fn listings_name_entries_and_their_types() {
        let (dir, _) = scene();
        let before = listing_digest(dir.path()).unwrap();
        fs_err::remove_dir(dir.path().join("pkg")).unwrap();
        fs_err::write(dir.path().join("pkg"), "").unwrap();
        assert_ne!(listing_digest(dir.path()).unwrap(), before);
        assert_eq!(listing_digest(&dir.path().join("pkg")), None);
        assert_eq!(listing_digest(&dir.path().join("absent")), None);
    }
}
