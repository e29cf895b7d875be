//! Running a frozen app with Python (and the system's libraries) hidden, in a user and mount
//! namespace of its own (`unshare -mr`), so that only what its bundle holds can serve it.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::interpreters::{pyenv_root, Interpreter};
use crate::processes::{apply_env, run, unavailable, Env, Output};

/// Why `unshare -mr` cannot be used here, if it cannot.
pub fn unshare_unavailable() -> Option<String> {
    unavailable("unshare", &["-mr", "true"])
}

/// The directories a Python installation can live in: the pyenv root and every existing
/// `/usr/lib/python3*` and `/usr/local/lib/python3*`.
fn python_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = pyenv_root().into_iter().collect();
    for parent in ["/usr/lib", "/usr/local/lib"] {
        if let Ok(entries) = fs::read_dir(parent) {
            let mut found: Vec<PathBuf> = entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
                .filter(|e| e.path().is_dir())
                .map(|e| e.path())
                .collect();
            found.sort();
            dirs.extend(found);
        }
    }
    dirs
}

/// The libraries [`Hidden::python_and_libraries`] hides: the ones the stdlib's extension
/// modules need, as exact file names or a prefix ending in `*`.
pub const HIDDEN_LIBRARIES: &[&str] = &[
    "libssl.so.3",
    "libcrypto.so.3",
    "libffi.so.*",
    "libsqlite3.so.0",
    "liblzma.so.5",
    "libz.so.1",
    "libbz2.so.1.0",
];

/// Where [`HIDDEN_LIBRARIES`] are looked for.
pub const LIBRARY_DIRS: &[&str] = &["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"];

/// The real files (symbolic links resolved, each once) of [`HIDDEN_LIBRARIES`] in
/// [`LIBRARY_DIRS`], as found on this machine now.
pub fn system_libraries() -> Vec<PathBuf> {
    let mut found = BTreeSet::new();
    for dir in LIBRARY_DIRS {
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let wanted = HIDDEN_LIBRARIES.iter().any(|pattern| {
                pattern
                    .strip_suffix('*')
                    .map_or(name == *pattern, |prefix| name.starts_with(prefix))
            });
            if !wanted {
                continue;
            }
            if let Ok(real) = fs::canonicalize(entry.path()) {
                if real.is_file() {
                    found.insert(real);
                }
            }
        }
    }
    found.into_iter().collect()
}

/// `sh -c` script: `exe python ndirs dir... nfiles file... args...`. Mounts a tmpfs over
/// each directory and `/dev/null` over each file, checks that every file now reads as empty
/// and that `python` no longer starts, then execs `exe args...`: a run with nothing hidden
/// after all would prove nothing.
const HIDE_SCRIPT: &str = r#"
exe=$1; python=$2; n=$3; shift 3
while [ "$n" -gt 0 ]; do
    mount -t tmpfs pyfreeze-hide "$1" || { echo "could not mount a tmpfs over $1" >&2; exit 97; }
    shift; n=$((n - 1))
done
n=$1; shift
while [ "$n" -gt 0 ]; do
    mount --bind /dev/null "$1" || { echo "could not mount /dev/null over $1" >&2; exit 96; }
    if test -s "$1"; then echo "$1 still has contents after hiding it" >&2; exit 95; fi
    shift; n=$((n - 1))
done
if "$python" -c pass 2>/dev/null; then
    echo "$python still runs with every Python directory hidden" >&2; exit 98
fi
exec "$exe" "$@"
"#;

/// The dynamic loader's cache. Hidden with the libraries: `ctypes.util.find_library` would
/// otherwise find the hidden libraries' names in it (through `ldconfig -p`) even if the
/// bundle did not answer for them.
const LD_SO_CACHE: &str = "/etc/ld.so.cache";

/// What a run hides from a frozen app: directories (under a tmpfs) and files (under
/// `/dev/null`).
#[derive(Debug, Clone)]
pub struct Hidden {
    dirs: Vec<PathBuf>,
    files: Vec<PathBuf>,
}

impl Hidden {
    /// Every Python installation.
    pub fn python() -> Self {
        Hidden {
            dirs: python_dirs(),
            files: Vec::new(),
        }
    }

    /// Every Python installation, the [`system_libraries`] and the loader's cache.
    pub fn python_and_libraries() -> Self {
        let mut files = system_libraries();
        if let Ok(cache) = fs::canonicalize(LD_SO_CACHE) {
            if cache.is_file() {
                files.push(cache);
            }
        }
        Hidden {
            dirs: python_dirs(),
            files,
        }
    }

    /// Hides `dir` too (a virtualenv, say).
    pub fn hide_dir(&mut self, dir: &Path) {
        self.dirs.push(dir.to_owned());
    }

    /// Everything hidden, for messages.
    pub fn describe(&self) -> String {
        self.dirs
            .iter()
            .chain(&self.files)
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Runs `exe args`, in the executable's directory, in a new user and mount namespace
    /// where everything in `self` is hidden and `python` (checked) no longer starts.
    pub fn run(&self, exe: &Path, python: &Interpreter, args: &[&str]) -> Output {
        self.run_env(exe, python, args, &[])
    }

    /// [`Hidden::run`] with `env` changes.
    pub fn run_env(
        &self,
        exe: &Path,
        python: &Interpreter,
        args: &[&str],
        env: &Env<'_>,
    ) -> Output {
        for dir in &self.dirs {
            assert!(
                !exe.starts_with(dir),
                "{} is inside {}, which the test hides",
                exe.display(),
                dir.display()
            );
        }
        let mut cmd = Command::new("unshare");
        cmd.args(["-mr", "sh", "-c", HIDE_SCRIPT, "sh"])
            .arg(exe)
            .arg(&python.path)
            .arg(self.dirs.len().to_string())
            .args(&self.dirs)
            .arg(self.files.len().to_string())
            .args(&self.files)
            .args(args)
            .current_dir(exe.parent().expect("exe in a directory"));
        apply_env(&mut cmd, env);
        run(cmd, None)
    }
}
