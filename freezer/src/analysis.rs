//! Step 2 of a build: one run of the target interpreter finds the import closure and
//! compiles every module, so module resolution, syntax and magic numbers are exactly that
//! interpreter's.
//!
//! Protocol: the freezer runs `python -I -c <analysis.py>` with a JSON [`Request`] on stdin.
//! The script answers on stdout with an 8-byte little-endian length `N`, `N` bytes of JSON
//! [`Manifest`], then a blob region that the manifest's `[offset, len]` pairs point into
//! (marshalled code and source bytes). Nothing of the app is imported: modules are found
//! with `PathFinder` and their imports read from their bytecode. The script compiles in
//! worker interpreters of its own, in parallel and with a fixed hash seed, so that the
//! bytecode is the same from one build to the next (before 3.11, marshal writes frozenset
//! constants in hash order).
//!
//! With the build cache, the script reuses and stores compiled modules in the cache's
//! code entries itself, and lists what its answer depends on ([`deps`]); the whole answer
//! is stored, and reused without running Python while all of that holds. Its key is what
//! [`deps`] cannot see: the script, the interpreter (a real executable, known by its file's
//! identity), the environment variables that change how it starts, and the request.

mod deps;

use std::io::{Read as _, Write as _};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::cache::{self, Cache, Key};

/// The analysis script, run by the target interpreter.
const SCRIPT: &str = include_str!("python/analysis.py");

/// Environment variables that change what an interpreter started with `-I` finds: which
/// libpython the loader gives it, and the locale its file system encoding comes from.
const ENVIRONMENT: [&str; 5] = [
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    "LC_ALL",
    "LC_CTYPE",
    "LANG",
];

/// How the app starts, as the analysis needs it.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum EntrySpec {
    /// A script file, run like `python main.py`; compiled as module `__main__`.
    Script { path: PathBuf },
    /// A module, run like `python -m module`.
    Module { module: String },
    /// `module:function`.
    Function { module: String, function: String },
}

/// A module given as source text rather than found on disk (the stub's own bootstrap).
#[derive(Debug, Clone, Serialize)]
pub struct ExtraModule {
    pub name: String,
    pub source: String,
    /// The file name to compile it under, instead of its path inside the bundle.
    pub filename: Option<String>,
    /// If given, the only imports inside its functions that the analysis follows.
    pub lazy_imports: Option<Vec<String>>,
}

/// What the freezer asks of the analysis.
#[derive(Debug, Clone, Serialize)]
pub struct Request {
    /// Searched first for the app's own modules (the app directory, or the script's).
    pub app_dir: PathBuf,
    pub entry: EntrySpec,
    /// Modules to add to the closure even though no import of them can be seen.
    pub includes: Vec<String>,
    /// Modules (and their submodules) to leave out.
    pub excludes: Vec<String>,
    /// 0, 1 or 2, as `-O` / `-OO`.
    pub optimize: u8,
    /// Keep each module's source in the bundle.
    pub sources: bool,
    /// Compiled and marked bootstrap; not searched on disk.
    pub extra_modules: Vec<ExtraModule>,
    /// Directories inside `app_dir` whose files are not the app's (the build's output).
    pub skip_dirs: Vec<PathBuf>,
}

/// What the script is told of the build cache.
#[derive(Debug, Serialize)]
struct CacheRequest {
    /// Where the code entries are.
    code_dir: PathBuf,
    /// Part of their keys: the script's SHA-256, as it reads the imports it stores.
    salt: String,
    /// Whether to list what the answer depends on (only an answer with a key is stored).
    deps: bool,
}

/// The request as sent: what the freezer asks, and the cache to use.
#[derive(Debug, Serialize)]
struct Sent<'a> {
    #[serde(flatten)]
    request: &'a Request,
    cache: Option<CacheRequest>,
}

/// The interpreter, as it describes itself.
#[derive(Debug, Clone, Deserialize)]
pub struct PythonInfo {
    /// `platform.python_version()`, e.g. `3.11.7`.
    pub version: String,
    pub major: u8,
    pub minor: u8,
    /// `importlib.util.MAGIC_NUMBER`, hex.
    pub magic: String,
    /// `sys.executable`.
    pub executable: PathBuf,
    /// The shared libpython (sysconfig `LIBDIR`/`INSTSONAME`, else `LIBDIR`/`LDLIBRARY`),
    /// if the interpreter was built with `--enable-shared` and the file exists.
    pub libpython: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModuleKind {
    /// Pure Python: has code (and source unless left out).
    Python,
    /// A shared-object extension module at `origin`.
    Extension,
    /// A PEP 420 namespace package (directories without `__init__.py`, possibly in
    /// several `sys.path` entries): no file, no code; its submodules in every portion are
    /// found as any package's are.
    Namespace,
}

/// `[offset, len]` into the manifest's blob region.
pub type BlobRef = (u64, u64);

#[derive(Debug, Clone, Deserialize)]
pub struct ManifestModule {
    pub name: String,
    pub kind: ModuleKind,
    pub is_package: bool,
    /// Needed before the stub's finder is installed: goes into CPython's frozen table.
    /// The extra modules, `encodings` and all its submodules, `codecs`, `io`, `abc`, and
    /// what these import while being imported (imports inside functions or under
    /// `if __name__ == "__main__":` do not count). Never an extension module.
    pub bootstrap: bool,
    /// No import that may run while the app starts reaches it: only functions of the
    /// standard library or of dependencies import it (`os.popen` imports subprocess, the
    /// codecs their extension modules), or it is a hidden import. The app's own imports,
    /// inside functions or not, and what those import while being imported, do count.
    /// Stored compressed: that costs only if it is ever imported.
    pub cold: bool,
    /// The file it came from (absent for extra modules and namespace packages).
    pub origin: Option<PathBuf>,
    /// Marshalled code (Python modules only, and always for them), compiled with the
    /// module's path in the bundle as file name: `pkg/mod.py`, `pkg/__init__.py`, or the
    /// script's file name for `__main__`. A module that only exists as a `.pyc` keeps that
    /// file's code.
    pub code: Option<BlobRef>,
    /// Source bytes as they are on disk (Python modules, when sources are kept).
    pub source: Option<BlobRef>,
    /// Its code reads `__file__` (and so may open files next to it).
    #[serde(default)]
    pub uses_file: bool,
}

/// An import that no finder could resolve, with the modules that contain it (none when the
/// name came from `includes`). Only the first unresolvable part of a dotted name is
/// reported; a relative import that cannot resolve (one in a script) keeps its dots.
#[derive(Debug, Clone, Deserialize)]
pub struct Missing {
    pub name: String,
    pub imported_by: Vec<String>,
}

/// A module in the closure that did not compile (or could not be read).
#[derive(Debug, Clone, Deserialize)]
pub struct CompileError {
    pub module: String,
    pub file: PathBuf,
    pub line: Option<u64>,
    pub message: String,
    /// Part of the app itself (an error) rather than a dependency (a warning, and the
    /// module is left out, as CPython would fail only if it were imported). The app is the
    /// script, the entry module and the packages directly in `app_dir`; a virtualenv in
    /// there holds dependencies.
    pub in_app: bool,
}

/// A file of the bundle's tree that is not code (dist-info, package data).
#[derive(Debug, Clone, Deserialize)]
pub struct DataFile {
    /// Its path inside the bundle, with `/`, e.g. `certifi/cacert.pem`.
    pub name: String,
    /// The file on this machine.
    pub origin: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub python: PythonInfo,
    pub modules: Vec<ManifestModule>,
    pub data: Vec<DataFile>,
    /// Files in the app directory that are not code: see [`Analysis::app_data`].
    pub app_data: Vec<DataFile>,
    pub missing: Vec<Missing>,
    pub errors: Vec<CompileError>,
    /// With the cache: how many modules came from it, and how many were compiled.
    #[serde(default)]
    code_cache: Option<(usize, usize)>,
    /// With the cache: what the answer depends on.
    #[serde(default)]
    deps: Option<deps::Deps>,
}

/// How much of an analysis the build cache provided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// No cache.
    None,
    /// The whole answer: no Python ran.
    Answer,
    /// Python ran; so many modules' code came from the cache, so many were compiled.
    Code { cached: usize, compiled: usize },
}

/// A module with its bytes, as handed to the next step; the fields are those of
/// [`ManifestModule`].
#[derive(Debug, Clone)]
pub struct Module {
    pub name: String,
    pub kind: ModuleKind,
    pub is_package: bool,
    pub bootstrap: bool,
    pub cold: bool,
    pub origin: Option<PathBuf>,
    pub code: Option<Vec<u8>>,
    pub source: Option<Vec<u8>>,
    pub uses_file: bool,
}

/// The result of the analysis.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub python: PythonInfo,
    /// Sorted by name.
    pub modules: Vec<Module>,
    /// Sorted by name.
    pub data: Vec<DataFile>,
    /// The files in the app directory that are not code, sorted by name (paths relative
    /// to it): bundled only for `--collect-to-disk .`.
    pub app_data: Vec<DataFile>,
    /// Sorted by name; warnings, as CPython fails only if such an import runs.
    pub missing: Vec<Missing>,
    /// Dependencies that did not compile and were left out.
    pub skipped: Vec<CompileError>,
    pub reuse: Reuse,
}

#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error("could not run the interpreter {}", interpreter.display())]
    Spawn {
        interpreter: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the interpreter {} failed while analysing the app (exit status {status}):\n{stderr}", interpreter.display())]
    Failed {
        interpreter: PathBuf,
        status: String,
        stderr: String,
    },
    #[error("the interpreter {} gave an answer pyfreeze does not understand: {what}", interpreter.display())]
    Protocol { interpreter: PathBuf, what: String },
    #[error("{}:{}: {message} (in module `{module}`); fix the error and build again", file.display(), line.map_or_else(|| "?".to_owned(), |l| l.to_string()))]
    Syntax {
        module: String,
        file: PathBuf,
        line: Option<u64>,
        message: String,
    },
}

/// Runs the analysis of `request` with `interpreter`, or reuses the cached answer of an
/// earlier run if nothing it depended on has changed.
pub fn analyse(
    interpreter: &Path,
    request: &Request,
    cache: Option<&Cache>,
) -> Result<Analysis, AnalysisError> {
    let key = cache.and_then(|cache| answer_key(cache, interpreter, request));
    if let (Some(cache), Some(key)) = (cache, &key) {
        let cached = cache.get(cache::Kind::Analysis, key);
        if let Some(analysis) = cached.and_then(|answer| reuse(interpreter, &answer)) {
            return Ok(analysis);
        }
    }
    let sent = Sent {
        request,
        cache: cache.map(|cache| CacheRequest {
            code_dir: cache.dir(cache::Kind::Code),
            salt: cache::hex(&sha2::Sha256::digest(SCRIPT)),
            deps: key.is_some(),
        }),
    };
    let stdout = run(interpreter, &sent)?;
    let (manifest, blobs) = split(interpreter, &stdout)?;
    let cacheable = manifest.deps.as_ref().is_some_and(deps::Deps::is_cacheable);
    let reuse = match manifest.code_cache {
        Some((cached, compiled)) => Reuse::Code { cached, compiled },
        None => Reuse::None,
    };
    let analysis = into_analysis(interpreter, manifest, blobs, reuse)?;
    if let (Some(cache), Some(key), true) = (cache, key, cacheable) {
        cache.put(cache::Kind::Analysis, &key, &stdout);
    }
    Ok(analysis)
}

/// The key of the cached answer to `request`, if it can have one.
fn answer_key(cache: &Cache, interpreter: &Path, request: &Request) -> Option<Key> {
    let path = std::path::absolute(interpreter).ok()?;
    let meta = std::fs::metadata(&path).ok()?;
    // A script (pyenv's shim, a wrapper) may start another interpreter next time whatever
    // the files this one looked at: only an executable is known by its file's identity.
    let mut magic = [0; 4];
    std::fs::File::open(&path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .ok()?;
    if &magic != b"\x7fELF" {
        return None;
    }
    let mut key = cache.key(cache::Kind::Analysis);
    key.field(SCRIPT.as_bytes())
        .field(path.as_os_str().as_bytes())
        .file_identity(&meta);
    for name in ENVIRONMENT {
        match std::env::var_os(name) {
            Some(value) => key.field(b"=").field(value.as_bytes()),
            None => key.field(b"unset"),
        };
    }
    key.field(&serde_json::to_vec(request).ok()?);
    Some(key.finish())
}

/// The analysis a cached answer gives, if what it depended on holds.
fn reuse(interpreter: &Path, answer: &[u8]) -> Option<Analysis> {
    let (manifest, blobs) = split(interpreter, answer).ok()?;
    let cwd = std::env::current_dir().ok()?;
    if !manifest.deps.as_ref()?.hold(&cwd) {
        return None;
    }
    into_analysis(interpreter, manifest, blobs, Reuse::Answer).ok()
}

/// Runs the script on `sent`; returns what it wrote to stdout.
fn run(interpreter: &Path, sent: &Sent<'_>) -> Result<Vec<u8>, AnalysisError> {
    let spawn_error = |source| AnalysisError::Spawn {
        interpreter: interpreter.to_owned(),
        source,
    };
    // Paths travel as JSON strings, so a path that is not UTF-8 cannot be sent at all.
    let input = serde_json::to_vec(sent).map_err(|e| {
        spawn_error(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("the request cannot be passed to Python: {e}"),
        ))
    })?;
    let mut child = Command::new(interpreter)
        .arg("-I")
        .arg("-c")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    let mut stdin = child.stdin.take().expect("stdin was piped");
    // Written from a thread: a request larger than the pipe buffer would otherwise
    // deadlock against an interpreter that fills its stderr before reading stdin.
    let (written, output) = std::thread::scope(|scope| {
        let writer = scope.spawn(move || stdin.write_all(&input));
        let output = child.wait_with_output();
        let written = writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (written, output)
    });
    let output = output.map_err(spawn_error)?;
    if !output.status.success() {
        let status = output.status;
        return Err(AnalysisError::Failed {
            interpreter: interpreter.to_owned(),
            status: status
                .code()
                .map_or_else(|| status.to_string(), |code| code.to_string()),
            stderr: String::from_utf8_lossy(&output.stderr)
                .trim_end()
                .to_owned(),
        });
    }
    if let Err(e) = written {
        return Err(AnalysisError::Protocol {
            interpreter: interpreter.to_owned(),
            what: format!("it exited without reading the whole request ({e})"),
        });
    }
    Ok(output.stdout)
}

fn protocol_error(interpreter: &Path) -> impl Fn(String) -> AnalysisError + '_ {
    move |what| AnalysisError::Protocol {
        interpreter: interpreter.to_owned(),
        what,
    }
}

/// Splits the answer into manifest and blobs.
fn split<'a>(interpreter: &Path, stdout: &'a [u8]) -> Result<(Manifest, &'a [u8]), AnalysisError> {
    let protocol = protocol_error(interpreter);
    let (length, rest) = stdout.split_first_chunk::<8>().ok_or_else(|| {
        protocol(format!(
            "its output is {} bytes long, too short for the manifest length",
            stdout.len()
        ))
    })?;
    let length = u64::from_le_bytes(*length);
    let (json, blobs) = usize::try_from(length)
        .ok()
        .filter(|&n| n <= rest.len())
        .map(|n| rest.split_at(n))
        .ok_or_else(|| {
            protocol(format!(
                "the manifest is said to be {length} bytes long but only {} bytes follow",
                rest.len()
            ))
        })?;
    let manifest: Manifest = serde_json::from_slice(json)
        .map_err(|e| protocol(format!("the manifest is not valid: {e}")))?;
    Ok((manifest, blobs))
}

/// Turns the manifest into an [`Analysis`], with the bytes of `blobs`.
fn into_analysis(
    interpreter: &Path,
    manifest: Manifest,
    blobs: &[u8],
    reuse: Reuse,
) -> Result<Analysis, AnalysisError> {
    let protocol = protocol_error(interpreter);
    if let Some(error) = manifest.errors.iter().find(|e| e.in_app) {
        return Err(AnalysisError::Syntax {
            module: error.module.clone(),
            file: error.file.clone(),
            line: error.line,
            message: error.message.clone(),
        });
    }

    let blob = |module: &str, what: &str, (offset, len): BlobRef| {
        offset
            .checked_add(len)
            .filter(|&end| end <= blobs.len() as u64)
            .map(|end| blobs[offset as usize..end as usize].to_vec())
            .ok_or_else(|| {
                protocol(format!(
                    "the {what} of module `{module}` at [{offset}, {len}] lies outside \
                     the {}-byte blob region",
                    blobs.len()
                ))
            })
    };
    let modules = manifest
        .modules
        .into_iter()
        .map(|m| {
            let code = m.code.map(|r| blob(&m.name, "code", r)).transpose()?;
            let code = code
                .map(|code| crate::marshal::canonical(&code, manifest.python.minor))
                .transpose()
                .map_err(|e| {
                    protocol(format!(
                        "the code of module `{}` is not what marshal writes: {e}",
                        m.name
                    ))
                })?;
            let source = m.source.map(|r| blob(&m.name, "source", r)).transpose()?;
            match m.kind {
                ModuleKind::Python if code.is_none() => {
                    return Err(protocol(format!("Python module `{}` has no code", m.name)));
                }
                ModuleKind::Extension if m.origin.is_none() => {
                    return Err(protocol(format!(
                        "extension module `{}` has no file",
                        m.name
                    )));
                }
                ModuleKind::Namespace if code.is_some() || source.is_some() || !m.is_package => {
                    return Err(protocol(format!(
                        "namespace package `{}` has code or is not a package",
                        m.name
                    )));
                }
                _ => {}
            }
            Ok(Module {
                name: m.name,
                kind: m.kind,
                is_package: m.is_package,
                bootstrap: m.bootstrap,
                cold: m.cold,
                origin: m.origin,
                code,
                source,
                uses_file: m.uses_file,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Analysis {
        python: manifest.python,
        modules,
        data: manifest.data,
        app_data: manifest.app_data,
        missing: manifest.missing,
        skipped: manifest.errors,
        reuse,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;
    use std::sync::OnceLock;

    use super::*;

    struct Pythons {
        /// `(pyenv version, interpreter)`, oldest first.
        found: Vec<(String, PathBuf)>,
        skipped: Vec<String>,
    }

    /// Every CPython 3.8 to 3.13 that pyenv knows, else `python3` from PATH.
    fn pythons() -> &'static Pythons {
        static PYTHONS: OnceLock<Pythons> = OnceLock::new();
        PYTHONS.get_or_init(|| {
            let mut found = Vec::new();
            let mut skipped = Vec::new();
            let root = Command::new("pyenv")
                .arg("root")
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
            if let Some(versions) = root.map(|r| r.join("versions")) {
                let mut names: Vec<(Vec<u32>, String)> = fs_err::read_dir(&versions)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .map(|name| {
                        let key = name.split('.').map_while(|p| p.parse().ok()).collect();
                        (key, name)
                    })
                    .collect();
                names.sort();
                for (key, name) in names {
                    let python = versions.join(&name).join("bin/python3");
                    if key.len() >= 2
                        && key[0] == 3
                        && (8..=13).contains(&key[1])
                        && python.is_file()
                    {
                        found.push((name, python));
                    } else {
                        skipped.push(name);
                    }
                }
            }
            if found.is_empty() {
                let on_path = std::env::var_os("PATH").and_then(|path| {
                    std::env::split_paths(&path)
                        .map(|dir| dir.join("python3"))
                        .find(|p| p.is_file())
                });
                found.extend(on_path.map(|p| ("python3".to_owned(), p)));
            }
            Pythons { found, skipped }
        })
    }

    /// Runs `test` with every interpreter found; fails if there is none.
    pub(crate) fn with_each_python(test: impl Fn(&str, &Path)) {
        let pythons = pythons();
        assert!(
            !pythons.found.is_empty(),
            "no CPython 3.8 to 3.13 found: install one with pyenv or put python3 on PATH"
        );
        eprintln!("not CPython 3.8 to 3.13, skipped: {:?}", pythons.skipped);
        for (version, python) in &pythons.found {
            eprintln!("== {version} ({})", python.display());
            test(version, python);
        }
    }

    fn write(dir: &Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            let path = dir.join(name);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, text).unwrap();
        }
    }

    fn executable(path: &Path, text: &str) {
        use std::os::unix::fs::PermissionsExt as _;
        fs_err::write(path, text).unwrap();
        fs_err::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn request(app_dir: &Path, entry: EntrySpec) -> Request {
        Request {
            app_dir: app_dir.to_owned(),
            entry,
            includes: Vec::new(),
            excludes: Vec::new(),
            optimize: 0,
            sources: true,
            extra_modules: Vec::new(),
            skip_dirs: Vec::new(),
        }
    }

    fn script(app_dir: &Path, name: &str) -> Request {
        request(
            app_dir,
            EntrySpec::Script {
                path: app_dir.join(name),
            },
        )
    }

    fn by_name(analysis: &Analysis) -> BTreeMap<&str, &Module> {
        analysis
            .modules
            .iter()
            .map(|m| (m.name.as_str(), m))
            .collect()
    }

    fn missing(analysis: &Analysis) -> BTreeMap<&str, &[String]> {
        analysis
            .missing
            .iter()
            .map(|m| (m.name.as_str(), m.imported_by.as_slice()))
            .collect()
    }

    fn contains(haystack: &[u8], needle: &str) -> bool {
        haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    }

    /// A virtualenv without pip at `<dir>/.venv` (inside an app directory, what it holds is
    /// not the app): its directory and its site-packages.
    fn venv_in(dir: &Path, python: &Path) -> (PathBuf, PathBuf) {
        let venv = dir.join(".venv");
        let status = Command::new(python)
            .args(["-I", "-m", "venv", "--without-pip"])
            .arg(&venv)
            .status()
            .unwrap();
        assert!(status.success());
        let site = PathBuf::from(python_says(
            &venv.join("bin/python"),
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ));
        (venv, site)
    }

    fn python_says(python: &Path, code: &str) -> String {
        let out = Command::new(python)
            .args(["-I", "-c", code])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    #[test]
    fn closure_of_an_app() {
        let app = tempfile::tempdir().unwrap();
        write(
            app.path(),
            &[
                (
                    "main.py",
                    "import greet\n\
                     import pkg.sub.deep\n\
                     from pkg import helper\n\
                     from greet import hello\n\
                     import importlib\n\
                     importlib.import_module('json')\n\
                     __import__('colorsys')\n\
                     import nspkg.mod\n\
                     import nspkg.deep.leaf, pkg.nsub.leaf\n\
                     import math\n\
                     import nosuchmod\n\
                     import pkg.nosuchsub\n\
                     import nosuchparent.child\n\
                     from . import relative_in_script\n",
                ),
                ("greet.py", "def hello():\n    return 'hi'\n"),
                ("unused.py", "import wave\n"),
                ("pkg/__init__.py", "from . import helper\n"),
                ("pkg/helper.py", "X = 1\n"),
                ("pkg/sub/__init__.py", ""),
                (
                    "pkg/sub/deep.py",
                    "from ..helper import X\nfrom . import sibling\n\ndef f():\n    import os.path\n",
                ),
                ("pkg/sub/sibling.py", "from .. import *\n"),
                ("nspkg/mod.py", "Y = 2\n"),
                ("nspkg/deep/leaf.py", ""),
                ("pkg/nsub/leaf.py", ""),
            ],
        );
        with_each_python(|version, python| {
            let analysis = analyse(python, &script(app.path(), "main.py"), None).unwrap();
            let info = &analysis.python;
            assert_eq!(info.major, 3);
            assert!(version == "python3" || version.starts_with(&format!("3.{}.", info.minor)));
            assert!(version == "python3" || info.version == version);
            assert_eq!(info.magic.len(), 8, "{}", info.magic);
            assert!(info.executable.is_file());
            if let Some(lib) = &info.libpython {
                assert!(lib.is_file(), "{}", lib.display());
            }

            let names: Vec<_> = analysis.modules.iter().map(|m| m.name.as_str()).collect();
            assert!(
                names.windows(2).all(|w| w[0] < w[1]),
                "not sorted: {names:?}"
            );
            let modules = by_name(&analysis);
            for name in [
                "__main__",
                "greet",
                "pkg",
                "pkg.helper",
                "pkg.sub",
                "pkg.sub.deep",
                "pkg.sub.sibling",
                "json",
                "json.decoder",
                "colorsys",
                "nspkg",
                "nspkg.mod",
                "os",
                "encodings.utf_8",
                "codecs",
                "io",
                "abc",
            ] {
                assert!(modules.contains_key(name), "{name} missing from {names:?}");
            }
            for name in ["unused", "wave", "_frozen_importlib", "sys", "builtins"] {
                assert!(!modules.contains_key(name), "{name} should not be bundled");
            }

            let main = modules["__main__"];
            assert_eq!(
                main.origin.as_deref(),
                Some(app.path().join("main.py").as_path())
            );
            let main_code = main.code.as_deref().unwrap();
            assert!(contains(main_code, "main.py"));
            assert!(!contains(main_code, &app.path().display().to_string()));
            let deep = modules["pkg.sub.deep"];
            assert!(contains(deep.code.as_deref().unwrap(), "pkg/sub/deep.py"));
            assert_eq!(deep.kind, ModuleKind::Python);
            assert!(!deep.is_package);
            let pkg = modules["pkg"];
            assert!(pkg.is_package);
            assert!(contains(pkg.code.as_deref().unwrap(), "pkg/__init__.py"));
            assert_eq!(
                modules["greet"].source.as_deref(),
                Some(&b"def hello():\n    return 'hi'\n"[..])
            );

            let nspkg = modules["nspkg"];
            assert!(nspkg.is_package);
            assert_eq!(nspkg.kind, ModuleKind::Namespace);
            assert!(nspkg.code.is_none() && nspkg.source.is_none());
            assert!(nspkg.origin.is_none() && !nspkg.bootstrap);
            // Nested ones too, in a namespace package and in a regular one.
            for name in ["nspkg.deep", "pkg.nsub"] {
                assert_eq!(modules[name].kind, ModuleKind::Namespace, "{name}");
                let leaf = format!("{name}.leaf");
                assert_eq!(modules[leaf.as_str()].kind, ModuleKind::Python, "{leaf}");
            }

            match modules.get("math") {
                Some(math) => {
                    assert_eq!(math.kind, ModuleKind::Extension);
                    assert!(math.code.is_none() && math.source.is_none());
                    let origin = math.origin.as_deref().unwrap();
                    assert!(
                        origin.extension().is_some_and(|e| e == "so"),
                        "{}",
                        origin.display()
                    );
                }
                None => assert_eq!(
                    python_says(
                        python,
                        "import sys; print('math' in sys.builtin_module_names)"
                    ),
                    "True"
                ),
            }

            let missing = missing(&analysis);
            let by_main = ["__main__".to_owned()];
            assert_eq!(missing.get("nosuchmod"), Some(&&by_main[..]));
            assert_eq!(missing.get("pkg.nosuchsub"), Some(&&by_main[..]));
            assert_eq!(missing.get("nosuchparent"), Some(&&by_main[..]));
            assert_eq!(missing.get(".relative_in_script"), Some(&&by_main[..]));
            for name in [
                "nosuchparent.child",
                "greet.hello",
                "os.path",
                "_frozen_importlib",
                "sys",
            ] {
                assert!(!missing.contains_key(name), "{name} reported missing");
            }
            assert!(analysis
                .missing
                .iter()
                .all(|m| m.imported_by.windows(2).all(|w| w[0] < w[1])));

            for name in ["encodings", "encodings.utf_8", "encodings.aliases"] {
                assert!(modules[name].bootstrap, "{name} should be bootstrap");
            }
            // From 3.11 CPython has these frozen itself, and finds them before any table.
            for name in ["codecs", "io", "abc"] {
                assert_eq!(
                    modules[name].bootstrap,
                    info.minor <= 10,
                    "{name} bootstrap on 3.{}",
                    info.minor
                );
            }
            for name in [
                "json",
                "json.decoder",
                "greet",
                "__main__",
                "pkg",
                "colorsys",
            ] {
                assert!(!modules[name].bootstrap, "{name} should not be bootstrap");
            }
            assert!(analysis.skipped.is_empty(), "{:?}", analysis.skipped);
        });
    }

    #[test]
    fn excludes_and_includes() {
        let app = tempfile::tempdir().unwrap();
        write(
            app.path(),
            &[
                ("main.py", "import json\nimport greet\n"),
                ("greet.py", "import colorsys\n"),
            ],
        );
        with_each_python(|_, python| {
            let mut request = script(app.path(), "main.py");
            request.excludes = vec!["json".to_owned(), "colorsys".to_owned()];
            request.includes = vec!["xml.dom.minidom".to_owned(), "nosuch_included".to_owned()];
            let analysis = analyse(python, &request, None).unwrap();
            let modules = by_name(&analysis);
            for name in ["json", "json.decoder", "colorsys"] {
                assert!(!modules.contains_key(name), "{name} was excluded");
            }
            for name in ["greet", "xml", "xml.dom", "xml.dom.minidom"] {
                assert!(modules.contains_key(name), "{name} missing");
            }
            let missing = missing(&analysis);
            assert!(!missing.contains_key("json") && !missing.contains_key("colorsys"));
            assert_eq!(missing.get("nosuch_included").map(|by| by.len()), Some(0));
        });
    }

    #[test]
    fn a_syntax_error_in_the_app_stops_the_build() {
        let app = tempfile::tempdir().unwrap();
        write(
            app.path(),
            &[
                ("main.py", "import bad\n"),
                ("bad.py", "x = 1\n\ndef f(:\n    pass\n"),
            ],
        );
        with_each_python(|_, python| {
            let error = analyse(python, &script(app.path(), "main.py"), None).unwrap_err();
            let AnalysisError::Syntax {
                module, file, line, ..
            } = &error
            else {
                panic!("expected a syntax error, got {error}");
            };
            assert_eq!(module, "bad");
            assert_eq!(file, &app.path().join("bad.py"));
            assert_eq!(*line, Some(3));
            assert!(error.to_string().contains("bad.py:3: "), "{error}");
        });
    }

    #[test]
    fn a_broken_dependency_is_skipped() {
        with_each_python(|_, python| {
            // A virtualenv inside the app directory: what it holds is not the app.
            let app = tempfile::tempdir().unwrap();
            let (venv, site) = venv_in(app.path(), python);
            write(
                &site,
                &[
                    ("dep_ok.py", "import colorsys\n"),
                    ("dep_bad.py", "def f(:\n"),
                ],
            );
            write(
                app.path(),
                &[("main.py", "import dep_ok\nimport dep_bad\n")],
            );

            let analysis = analyse(
                &venv.join("bin/python"),
                &script(app.path(), "main.py"),
                None,
            )
            .unwrap();
            let modules = by_name(&analysis);
            assert_eq!(
                modules["dep_ok"].origin.as_deref(),
                Some(site.join("dep_ok.py").as_path())
            );
            assert!(modules.contains_key("colorsys"));
            assert!(!modules.contains_key("dep_bad"));
            let [skipped] = analysis.skipped.as_slice() else {
                panic!("expected one skipped module: {:?}", analysis.skipped);
            };
            assert_eq!(skipped.module, "dep_bad");
            assert_eq!(skipped.line, Some(1));
            assert!(!skipped.in_app);
            // The venv's interpreter still reports the base interpreter's library.
            let base = analyse(python, &script(app.path(), "main.py"), None);
            assert!(matches!(base, Ok(ref b) if b.python.libpython == analysis.python.libpython));
        });
    }

    #[test]
    fn known_hidden_imports_are_bundled_and_ignored_imports_are_not() {
        with_each_python(|_, python| {
            let app = tempfile::tempdir().unwrap();
            let (venv, site) = venv_in(app.path(), python);
            // Stand-ins for the real packages, importing by name as they do; this pycparser
            // has no lextab.
            write(
                &site,
                &[
                    ("PIL/__init__.py", ""),
                    (
                        "PIL/Image.py",
                        "def init():\n    for p in PLUGINS:\n        __import__('PIL.' + p)\n",
                    ),
                    ("PIL/PngImagePlugin.py", ""),
                    (
                        "PIL/SpiderImagePlugin.py",
                        "def tk():\n    from . import ImageTk\n",
                    ),
                    ("PIL/ImageTk.py", "import tkinter\n"),
                    ("PIL/ImageQt.py", ""),
                    ("pycparser/__init__.py", ""),
                    ("pycparser/c_parser.py", ""),
                    ("pycparser/yacctab.py", ""),
                ],
            );
            write(
                app.path(),
                &[("main.py", "import PIL.Image\nimport pycparser.c_parser\n")],
            );
            let mut request = script(app.path(), "main.py");
            // As every build does: CPython's own tests import tkinter.
            request.excludes = vec!["test".to_owned()];
            let analysis = analyse(&venv.join("bin/python"), &request, None).unwrap();
            let modules = by_name(&analysis);
            for name in [
                "PIL.PngImagePlugin",
                "PIL.SpiderImagePlugin",
                "PIL.ImageTk",
                "pycparser.yacctab",
            ] {
                assert!(modules.contains_key(name), "{name} missing");
            }
            for name in ["PIL.ImageQt", "tkinter", "pycparser.lextab"] {
                assert!(!modules.contains_key(name), "{name} bundled");
            }
            let missing = missing(&analysis);
            for name in ["tkinter", "pycparser.lextab"] {
                assert!(!missing.contains_key(name), "{name} reported missing");
            }
        });
    }

    #[test]
    fn what_only_functions_of_dependencies_import_is_cold_or_left_out() {
        let app = tempfile::tempdir().unwrap();
        write(
            app.path(),
            &[
                (
                    "main.py",
                    "import os, pickle, random, traceback, warnings\n\
                     import helper\n\
                     def later():\n    import colorsys\n\
                     if __name__ == '__main__':\n    import wave\n",
                ),
                (
                    "helper.py",
                    "if __name__ == '__main__':\n    import sndhdr\n",
                ),
            ],
        );
        with_each_python(|_, python| {
            let analysis = analyse(python, &script(app.path(), "main.py"), None).unwrap();
            let modules = by_name(&analysis);
            // The app's imports, inside functions and under its own __main__ test too.
            for name in ["__main__", "helper", "os", "pickle", "colorsys", "wave"] {
                assert!(!modules[name].cold, "{name} should not be cold");
            }
            // os.popen() imports subprocess; encodings.bz2_codec imports bz2.
            for name in ["subprocess", "encodings.bz2_codec", "bz2"] {
                assert!(modules[name].cold, "{name} should be cold");
            }
            // A bytes-to-bytes codec is never the locale's: not in the frozen table.
            assert!(!modules["encodings.bz2_codec"].bootstrap);
            // The standard library's command-line mains (pickle's imports pprint), a
            // dependency's own __main__ block, the self-test of random (statistics), and
            // what only importlib.metadata and importlib.resources ask the path finder.
            for name in ["pprint", "sndhdr", "statistics", "importlib.metadata"] {
                assert!(!modules.contains_key(name), "{name} bundled");
            }
            // Tracebacks parse source with ast (3.11+), and never need inspect for that.
            // From 3.12 on typing imports inspect inside a function that counts.
            if analysis.python.minor == 11 {
                assert!(modules.contains_key("ast"));
                assert!(!modules.contains_key("inspect"), "inspect bundled");
            }
        });
    }

    #[test]
    fn module_and_function_entries() {
        let app = tempfile::tempdir().unwrap();
        write(
            app.path(),
            &[
                ("tool/__init__.py", ""),
                ("tool/__main__.py", "from . import cli\nimport __main__\n"),
                ("tool/cli.py", "import greet\n"),
                ("greet.py", "def hello():\n    return 'hi'\n"),
            ],
        );
        with_each_python(|_, python| {
            let module = EntrySpec::Module {
                module: "tool".to_owned(),
            };
            let analysis = analyse(python, &request(app.path(), module), None).unwrap();
            let modules = by_name(&analysis);
            for name in ["tool", "tool.__main__", "tool.cli", "greet"] {
                assert!(modules.contains_key(name), "{name} missing");
            }
            assert!(!modules.contains_key("__main__"));
            assert!(!missing(&analysis).contains_key("__main__"));

            let function = EntrySpec::Function {
                module: "greet".to_owned(),
                function: "hello".to_owned(),
            };
            let analysis = analyse(python, &request(app.path(), function), None).unwrap();
            assert!(by_name(&analysis).contains_key("greet"));

            let nosuch = EntrySpec::Module {
                module: "nosuch".to_owned(),
            };
            let error = analyse(python, &request(app.path(), nosuch), None).unwrap_err();
            assert!(
                matches!(&error, AnalysisError::Failed { stderr, .. }
                    if stderr.contains("cannot find the entry module `nosuch`")),
                "{error}"
            );
        });
    }

    #[test]
    fn extra_modules_and_bytecode_only_modules() {
        let app = tempfile::tempdir().unwrap();
        write(
            app.path(),
            &[
                ("main.py", "import compiled\n"),
                ("src/compiled.py", "import colorsys\n"),
            ],
        );
        with_each_python(|_, python| {
            let pyc = app.path().join("compiled.pyc");
            let compile = format!(
                "import py_compile; py_compile.compile({:?}, cfile={:?}, doraise=True)",
                app.path().join("src/compiled.py"),
                pyc
            );
            python_says(python, &compile);
            let mut request = script(app.path(), "main.py");
            const BOOT: &str = "import sys\nimport stat\n\ndef f():\n    import sched, colorsys\n";
            request.extra_modules = vec![ExtraModule {
                name: "_pyfreeze_boot".to_owned(),
                source: BOOT.to_owned(),
                filename: None,
                lazy_imports: Some(vec!["colorsys".to_owned()]),
            }];
            let analysis = analyse(python, &request, None).unwrap();
            let modules = by_name(&analysis);

            let compiled = modules["compiled"];
            let on_disk = fs_err::read(&pyc).unwrap();
            let canonical = crate::marshal::canonical(&on_disk[16..], analysis.python.minor);
            assert_eq!(compiled.code.as_deref(), Some(&canonical.unwrap()[..]));
            assert!(compiled.source.is_none());
            assert!(modules.contains_key("colorsys"));

            let boot = modules["_pyfreeze_boot"];
            assert!(boot.bootstrap && boot.origin.is_none());
            assert!(contains(boot.code.as_deref().unwrap(), "_pyfreeze_boot.py"));
            assert_eq!(boot.source.as_deref(), Some(BOOT.as_bytes()));
            // Of the imports in its functions, only those listed count.
            assert!(!modules.contains_key("sched"));
            // `stat` is in CPython's own frozen set from 3.11 on.
            assert_eq!(modules["stat"].bootstrap, analysis.python.minor <= 10);
        });
    }

    #[test]
    fn output_is_reproducible() {
        let app = tempfile::tempdir().unwrap();
        write(
            app.path(),
            &[(
                "main.py",
                "import json, argparse\nprint('x' in {'a', 'b', 'c', 'x'})\n",
            )],
        );
        with_each_python(|_, python| {
            let request = script(app.path(), "main.py");
            let first = analyse(python, &request, None).unwrap();
            let second = analyse(python, &request, None).unwrap();
            let bytes = |a: &Analysis| -> Vec<_> {
                a.modules
                    .iter()
                    .map(|m| (m.name.clone(), m.bootstrap, m.code.clone()))
                    .collect()
            };
            assert_eq!(bytes(&first), bytes(&second));
        });
    }

    #[test]
    fn a_wrapped_interpreter_without_shared_libpython() {
        let app = tempfile::tempdir().unwrap();
        write(
            app.path(),
            &[("main.py", "import greet\n"), ("greet.py", "")],
        );
        with_each_python(|_, python| {
            // A different -c that patches sysconfig, then runs the analysis from argv.
            let wrapper = app.path().join("python-wrapper");
            let prelude = "import sys, sysconfig\n\
                           sysconfig.get_config_vars()['Py_ENABLE_SHARED'] = 0\n\
                           exec(sys.argv[-1])\n";
            let text = format!(
                "#!/bin/sh\nexec '{}' -I -c \"{prelude}\" \"$@\"\n",
                python.display()
            );
            executable(&wrapper, &text);

            let analysis = analyse(&wrapper, &script(app.path(), "main.py"), None).unwrap();
            assert_eq!(analysis.python.libpython, None);
            assert!(by_name(&analysis).contains_key("greet"));
        });
    }

    #[test]
    fn interpreter_failures() {
        let app = tempfile::tempdir().unwrap();
        let request = script(app.path(), "main.py");
        let error = analyse(&app.path().join("no-python"), &request, None).unwrap_err();
        assert!(matches!(error, AnalysisError::Spawn { .. }), "{error}");

        let failing = app.path().join("failing");
        executable(&failing, "#!/bin/sh\necho broken >&2\nexit 3\n");
        let error = analyse(&failing, &request, None).unwrap_err();
        assert!(
            matches!(&error, AnalysisError::Failed { status, stderr, .. } if status == "3" && stderr == "broken"),
            "{error}"
        );
    }

    /// A cache of its own (outside the app: what is in the app directory is the app's).
    fn open_cache() -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path().join("cache")).unwrap();
        (dir, cache)
    }

    fn code_of(analysis: &Analysis) -> Vec<(String, Option<Vec<u8>>)> {
        analysis
            .modules
            .iter()
            .map(|m| (m.name.clone(), m.code.clone()))
            .collect()
    }

    #[test]
    fn a_cached_answer_is_reused_while_what_it_read_is_unchanged() {
        with_each_python(|_, python| {
            let app = tempfile::tempdir().unwrap();
            write(
                app.path(),
                &[
                    (
                        "main.py",
                        "import greet
import colorsys
",
                    ),
                    (
                        "greet.py",
                        "WHO = 'world'
",
                    ),
                ],
            );
            let (_dir, cache) = open_cache();
            let request = script(app.path(), "main.py");
            let again = || analyse(python, &request, Some(&cache)).unwrap();

            let first = again();
            let Reuse::Code { cached, compiled } = first.reuse else {
                panic!("the first analysis ran: {:?}", first.reuse);
            };
            assert!(
                cached == 0 && compiled > 3,
                "{cached} cached, {compiled} compiled"
            );
            let second = again();
            assert_eq!(second.reuse, Reuse::Answer);
            assert_eq!(code_of(&second), code_of(&first));
            assert_eq!(second.python.libpython, first.python.libpython);

            // Same size, other contents, times as fresh as the cached answer's.
            write(
                app.path(),
                &[(
                    "greet.py",
                    "WHO = 'there'
",
                )],
            );
            let edited = again();
            assert_eq!(
                edited.reuse,
                Reuse::Code {
                    cached: compiled - 1,
                    compiled: 1
                }
            );
            assert!(contains(
                by_name(&edited)["greet"].code.as_deref().unwrap(),
                "there"
            ));
            assert_eq!(again().reuse, Reuse::Answer);

            // A module of the app's now shadows the standard library's.
            write(app.path(), &[("colorsys.py", "")]);
            let shadowed = again();
            assert!(matches!(shadowed.reuse, Reuse::Code { compiled: 1, .. }));
            assert_eq!(
                by_name(&shadowed)["colorsys"].origin.as_deref(),
                Some(app.path().join("colorsys.py").as_path())
            );

            // Another request is another answer, from cached code.
            let mut optimised = script(app.path(), "main.py");
            optimised.includes = vec!["greet".to_owned()];
            let other = analyse(python, &optimised, Some(&cache)).unwrap();
            assert!(
                matches!(other.reuse, Reuse::Code { compiled: 0, .. }),
                "{:?}",
                other.reuse
            );
        });
    }

    #[test]
    fn a_damaged_answer_or_code_entry_is_a_miss() {
        with_each_python(|_, python| {
            let app = tempfile::tempdir().unwrap();
            write(
                app.path(),
                &[
                    (
                        "main.py",
                        "import greet
",
                    ),
                    ("greet.py", ""),
                ],
            );
            let (_dir, cache) = open_cache();
            let request = script(app.path(), "main.py");
            let first = analyse(python, &request, Some(&cache)).unwrap();
            let damage = |kind| {
                for entry in fs_err::read_dir(cache.dir(kind)).unwrap().flatten() {
                    let mut bytes = fs_err::read(entry.path()).unwrap();
                    let last = bytes.len() - 1;
                    bytes[last] ^= 0xff;
                    fs_err::write(entry.path(), bytes).unwrap();
                }
            };
            damage(cache::Kind::Analysis);
            let again = analyse(python, &request, Some(&cache)).unwrap();
            assert!(
                matches!(again.reuse, Reuse::Code { compiled: 0, .. }),
                "{:?}",
                again.reuse
            );
            damage(cache::Kind::Analysis);
            damage(cache::Kind::Code);
            let recompiled = analyse(python, &request, Some(&cache)).unwrap();
            assert_eq!(recompiled.reuse, first.reuse);
            assert_eq!(code_of(&recompiled), code_of(&first));
            assert_eq!(
                analyse(python, &request, Some(&cache)).unwrap().reuse,
                Reuse::Answer
            );
        });
    }

    #[test]
    fn a_script_interpreter_never_reuses_an_answer() {
        let app = tempfile::tempdir().unwrap();
        write(
            app.path(),
            &[
                (
                    "main.py",
                    "import greet
",
                ),
                ("greet.py", ""),
            ],
        );
        with_each_python(|_, python| {
            // What a shim runs may change with no file it looked at changing.
            let shim = app.path().join("python-shim");
            executable(
                &shim,
                &format!("#!/bin/sh\nexec '{}' \"$@\"\n", python.display()),
            );
            let (_dir, cache) = open_cache();
            let request = script(app.path(), "main.py");
            analyse(&shim, &request, Some(&cache)).unwrap();
            let second = analyse(&shim, &request, Some(&cache)).unwrap();
            assert!(
                matches!(second.reuse, Reuse::Code { compiled: 0, .. }),
                "{:?}",
                second.reuse
            );
        });
    }

    fn parse(interpreter: &Path, stdout: &[u8]) -> Result<Analysis, AnalysisError> {
        let (manifest, blobs) = split(interpreter, stdout)?;
        into_analysis(interpreter, manifest, blobs, Reuse::None)
    }

    fn answer(manifest: &str, blobs: &[u8]) -> Vec<u8> {
        let mut out = (manifest.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(manifest.as_bytes());
        out.extend_from_slice(blobs);
        out
    }

    const PYTHON: &str = r#"{"version":"3.11.7","major":3,"minor":11,"magic":"a70d0d0a","executable":"/p","libpython":null}"#;

    #[test]
    fn answers_are_checked() {
        let python = Path::new("python");
        let manifest_of = |kind: &str, code: &str| {
            format!(
                r#"{{"python":{PYTHON},"modules":[{{"name":"m","kind":"{kind}","is_package":true,"bootstrap":false,"cold":false,"origin":null,"code":{code},"source":null}}],"data":[],"app_data":[],"missing":[],"errors":[]}}"#
            )
        };
        let manifest = |code: &str| manifest_of("python", code);
        let namespace = parse(python, &answer(&manifest_of("namespace", "null"), b"")).unwrap();
        assert_eq!(namespace.modules[0].kind, ModuleKind::Namespace);
        // The marshalled int 5 flagged as shared, which no reference needs: the flag goes.
        let ok = parse(
            python,
            &answer(&manifest("[1,5]"), b"x\xe9\x05\x00\x00\x00"),
        )
        .unwrap();
        assert_eq!(
            ok.modules[0].code.as_deref(),
            Some(&b"i\x05\x00\x00\x00"[..])
        );

        for (out, what) in [
            (
                answer(&manifest("[2,3]"), b"xabc"),
                "lies outside the 4-byte blob region",
            ),
            (
                answer(&manifest("[18446744073709551615,2]"), b""),
                "lies outside",
            ),
            (answer(&manifest("null"), b""), "has no code"),
            (
                answer(&manifest_of("namespace", "[1,1]"), b"xNNN"),
                "namespace package `m` has code",
            ),
            (
                answer(&manifest("[1,3]"), b"xNNN"),
                "the code of module `m` is not what marshal writes: 2 bytes follow",
            ),
            (b"\x01\x02".to_vec(), "too short"),
            (answer("{}", b"")[..9].to_vec(), "only 1 bytes follow"),
            (answer("{}", b""), "not valid"),
        ] {
            let error = parse(python, &out).unwrap_err();
            assert!(
                matches!(&error, AnalysisError::Protocol { what: w, .. } if w.contains(what)),
                "{error} (expected {what})"
            );
        }

        let errors = r#"[{"module":"dep","file":"/d.py","line":1,"message":"m","in_app":false},
                         {"module":"app","file":"/a.py","line":null,"message":"bad","in_app":true}]"#;
        let with_errors = format!(
            r#"{{"python":{PYTHON},"modules":[],"data":[],"app_data":[],"missing":[],"errors":{errors}}}"#
        );
        let error = parse(python, &answer(&with_errors, b"")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "/a.py:?: bad (in module `app`); fix the error and build again"
        );
    }
}
