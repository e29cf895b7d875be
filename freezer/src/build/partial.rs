//! The executable while it is written: a temporary file beside the output, locked for as
//! long as its build lives. It is removed when the build fails, when SIGINT, SIGTERM or
//! SIGHUP ends the build (which then dies by that signal, as it would have), and, when a
//! build was killed outright (SIGKILL, a crash) and left it, by the next build into the
//! same directory, which tells it from one a concurrent build is still writing by the lock.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use tempfile::NamedTempFile;

/// A temporary file's name: this prefix and [`RANDOM_LEN`] letters and digits.
const PREFIX: &str = ".pyfreeze-";
const RANDOM_LEN: usize = 6;
/// The signals a user or a service manager ends a build with.
const SIGNALS: [i32; 3] = [SIGINT, SIGTERM, SIGHUP];

/// The temporary files being written, removed by the signal thread. Whoever holds the lock
/// decides a file's fate: the signal thread removes them all and dies holding it, so a
/// rename under the lock either happened before (a whole output) or never happens.
static WRITING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn writing() -> MutexGuard<'static, Vec<PathBuf>> {
    WRITING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The signals this process ignores (`nohup` ignores SIGHUP, a shell's background job
/// SIGINT): a build must go on ignoring them, not start dying of them.
fn ignored_signals() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let mask = status.lines().find_map(|l| l.strip_prefix("SigIgn:"))?;
            u64::from_str_radix(mask.trim(), 16).ok()
        })
        .unwrap_or(0)
}

/// Starts, once, the thread that removes the temporary files when a signal of
/// [`SIGNALS`] comes, then dies by it. Without it (it could not start) a signal leaves
/// them to the next build's [`remove_stale`].
fn watch_signals() {
    static WATCHING: OnceLock<()> = OnceLock::new();
    WATCHING.get_or_init(|| {
        let ignored = ignored_signals();
        let signals: Vec<i32> = SIGNALS
            .into_iter()
            .filter(|&signal| ignored & (1 << (signal - 1)) == 0)
            .collect();
        let Ok(mut signals) = signal_hook::iterator::Signals::new(signals) else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("signals".to_owned())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    let files = writing();
                    for file in files.iter() {
                        let _ = std::fs::remove_file(file);
                    }
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                    // Only a signal with no default action to emulate gets here.
                    std::process::exit(128 + signal);
                }
            });
    });
}

/// Whether `name` is one [`Partial::create`] gives.
fn is_partial_name(name: &str) -> bool {
    name.strip_prefix(PREFIX).is_some_and(|random| {
        random.len() == RANDOM_LEN && random.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// Removes the temporary files in `dir` that builds which died left: those no build holds
/// the lock of, and that hold what a build writes (nothing yet, or a stub's first bytes).
/// Best effort: what cannot be removed stays, as it would have anyway.
pub(crate) fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let partial = entry.file_name().to_str().is_some_and(is_partial_name)
            && entry.file_type().is_ok_and(|t| t.is_file());
        if partial && is_stale(&path).unwrap_or(false) {
            let _ = std::fs::remove_file(&path);
        }
    }
}

fn is_stale(path: &Path) -> std::io::Result<bool> {
    let mut file = File::open(path)?;
    if file.try_lock().is_err() {
        return Ok(false);
    }
    // Still the file that was locked: not renamed into place and replaced meanwhile.
    let (locked, named) = (file.metadata()?, std::fs::symlink_metadata(path)?);
    if (locked.dev(), locked.ino()) != (named.dev(), named.ino()) {
        return Ok(false);
    }
    let mut head = Vec::new();
    (&mut file).take(4).read_to_end(&mut head)?;
    Ok(head.is_empty() || head == b"\x7fELF")
}

/// A temporary file being written, locked, removed when dropped unless persisted.
pub(crate) struct Partial {
    file: Option<NamedTempFile>,
}

impl Partial {
    /// A new temporary file in `dir`, locked.
    pub(crate) fn create(dir: &Path) -> std::io::Result<Partial> {
        watch_signals();
        loop {
            let mut files = writing();
            let temp = tempfile::Builder::new()
                .prefix(PREFIX)
                .rand_bytes(RANDOM_LEN)
                .tempfile_in(dir)?;
            files.push(temp.path().to_owned());
            drop(files);
            let partial = Partial { file: Some(temp) };
            partial.file().try_lock().map_err(std::io::Error::from)?;
            // Another build's [`remove_stale`] may have taken it for stale between its
            // creation and the lock: then it is gone, and another is made.
            let (locked, named) = (
                partial.file().metadata()?,
                std::fs::symlink_metadata(partial.path()),
            );
            if named.is_ok_and(|named| (named.dev(), named.ino()) == (locked.dev(), locked.ino())) {
                return Ok(partial);
            }
        }
    }

    fn temp(&self) -> &NamedTempFile {
        self.file
            .as_ref()
            .expect("present until persisted or dropped")
    }

    pub(crate) fn file(&self) -> &File {
        self.temp().as_file()
    }

    fn path(&self) -> &Path {
        self.temp().path()
    }

    /// Renames the file to where `last_check` says, if it allows it, both under the lock
    /// of [`WRITING`], so that a signal can no longer remove it once it is in place.
    pub(crate) fn persist<E>(
        mut self,
        last_check: impl FnOnce() -> Result<PathBuf, E>,
        rename_error: impl FnOnce(std::io::Error) -> E,
    ) -> Result<(), E> {
        let mut files = writing();
        let target = last_check()?;
        let temp = self
            .file
            .take()
            .expect("present until persisted or dropped");
        let path = temp.path().to_owned();
        match temp.persist(&target) {
            Ok(_file) => {
                files.retain(|f| *f != path);
                Ok(())
            }
            Err(error) => {
                self.file = Some(error.file);
                Err(rename_error(error.error))
            }
        }
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        let mut files = writing();
        if let Some(temp) = self.file.take() {
            files.retain(|f| f != temp.path());
            drop(temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_those_the_builds_give() {
        assert!(is_partial_name(".pyfreeze-a1B2c3"));
        assert!(!is_partial_name(".pyfreeze-a1B2c"));
        assert!(!is_partial_name(".pyfreeze-cache"));
        assert!(!is_partial_name("pyfreeze-a1B2c3"));
        let dir = tempfile::tempdir().unwrap();
        let partial = Partial::create(dir.path()).unwrap();
        let name = partial.path().file_name().unwrap().to_str().unwrap();
        assert!(is_partial_name(name), "{name}");
    }

    #[test]
    fn only_unlocked_partial_files_are_stale() {
        let dir = tempfile::tempdir().unwrap();
        let writing = Partial::create(dir.path()).unwrap();
        let left = dir.path().join(".pyfreeze-LEFT00");
        fs_err::write(&left, b"\x7fELF...").unwrap();
        let other = dir.path().join(".pyfreeze-OTHER0");
        fs_err::write(&other, b"not ours").unwrap();
        remove_stale(dir.path());
        assert!(writing.path().exists());
        assert!(!left.exists());
        assert!(other.exists());
        let path = writing.path().to_owned();
        drop(writing);
        assert!(!path.exists());
    }
}
