//! Scratch space: every file a test makes lives under the target directory, never in the
//! repository.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tempfile::TempDir;

use crate::binaries::{examples_dir, target_layout};

/// This process's scratch directory, `<target>/tmp/pyfreeze-tests/run-<pid>`. Directories
/// left by earlier runs whose process is gone are removed the first time it is asked for.
pub fn scratch_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let (target_dir, _, _) = target_layout();
        let base = target_dir.join("tmp").join("pyfreeze-tests");
        fs::create_dir_all(&base).expect("create the scratch directory");
        if let Ok(entries) = fs::read_dir(&base) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let Some(pid) = name.strip_prefix("run-") else {
                    continue;
                };
                if !Path::new("/proc").join(pid).exists() {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
        let root = base.join(format!("run-{}", std::process::id()));
        fs::create_dir_all(&root).expect("create the scratch directory");
        root
    })
}

/// The build cache of every `pyfreeze` a test runs (unless it sets `PYFREEZE_CACHE_DIR`
/// itself): `<scratch root>/build-cache`, so that no test reads or writes the cache in the
/// user's home, and the builds of one run share what they compute.
pub fn build_cache_dir() -> PathBuf {
    scratch_root().join("build-cache")
}

/// A fresh, empty directory under [`scratch_root`], removed when dropped.
pub fn tempdir(prefix: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("{prefix}-"))
        .tempdir_in(scratch_root())
        .expect("create a temporary directory")
}

/// An app's files in a temporary directory: `path` is the app directory itself.
#[derive(Debug)]
pub struct AppDir {
    pub path: PathBuf,
    _dir: TempDir,
}

/// Copies `examples/<name>` (without any `__pycache__`) to a fresh temporary directory, as
/// `<tmp>/<name>`.
pub fn copy_example(name: &str) -> AppDir {
    let src = examples_dir().join(name);
    assert!(src.is_dir(), "no example {}", src.display());
    let dir = tempdir(name);
    let path = dir.path().join(name);
    copy_tree(&src, &path).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
    AppDir { path, _dir: dir }
}

/// Writes an app made of `files` (`(relative path, contents)`) as `<tmp>/<name>`.
pub fn write_app(name: &str, files: &[(&str, &str)]) -> AppDir {
    let dir = tempdir(name);
    let path = dir.path().join(name);
    for (rel, contents) in files {
        let file = path.join(rel);
        fs::create_dir_all(file.parent().expect("file in a directory")).expect("mkdir");
        fs::write(&file, contents).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
    }
    AppDir { path, _dir: dir }
}

/// Recursive copy of regular files and directories, leaving out `__pycache__`.
pub fn copy_tree(src: &Path, dst: &Path) -> io::Result<()> {
    fs::create_dir_all(dst)?;
    for entry in fs::read_dir(src)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "__pycache__" {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &dst.join(&name))?;
        } else if kind.is_file() {
            fs::copy(entry.path(), dst.join(&name))?;
        }
    }
    Ok(())
}

/// Every path under `dir` (relative, sorted), directories included.
pub fn list_tree(dir: &Path) -> Vec<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            out.push(path.strip_prefix(base).unwrap_or(&path).to_owned());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                walk(base, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Copies a frozen executable into a fresh directory of its own (for tests that look at or
/// put files next to it), keeping its name.
pub fn copy_executable(exe: &Path) -> (TempDir, PathBuf) {
    let dir = tempdir("exe-copy");
    let copy = dir.path().join(exe.file_name().expect("exe has a name"));
    fs::copy(exe, &copy).unwrap_or_else(|e| panic!("copy {}: {e}", exe.display()));
    (dir, copy)
}
