//! What the freezer and the analysis script say to each other.
//!
//! The freezer runs `python -I -c <program>` with a JSON [`Sent`] request on stdin. The
//! program answers on stdout with an 8-byte little-endian length `N`, `N` bytes of JSON
//! [`Answer`], then a blob region that the manifest's [`Blob`]s point into (marshalled
//! code and source bytes). A failure the program can name is an answer too, a tagged
//! [`ScriptError`]; only an unexpected crash leaves a traceback on stderr and no answer.
//! `python/protocol.py` is the other side.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::cache::EntryLayout;

/// The version of the formats below, which the script checks: `PROTOCOL` in
/// `python/protocol.py`.
pub(super) const PROTOCOL: u32 = 6;

/// How the app starts, as the analysis needs it.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub(crate) enum EntrySpec {
    /// A script file, run like `python main.py`; compiled as module `__main__`.
    Script { path: PathBuf },
    /// A module, run like `python -m module`.
    Module { module: String },
    /// `module:function`.
    Function { module: String, function: String },
}

/// A module given as source text rather than found on disk (the stub's own bootstrap).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ExtraModule {
    pub(crate) name: String,
    pub(crate) source: String,
    /// The file name to compile it under, instead of its path inside the bundle.
    pub(crate) filename: Option<String>,
    /// If given, the only imports inside its functions that the analysis follows.
    pub(crate) lazy_imports: Option<Vec<String>>,
    /// Whether it goes into the frozen table, with what it imports when imported.
    pub(crate) bootstrap: bool,
}

/// What the freezer asks of the analysis.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Request {
    /// Searched first for the app's own modules (the app directory, or the script's).
    pub(crate) app_dir: PathBuf,
    pub(crate) entry: EntrySpec,
    /// Modules to add to the closure even though no import of them can be seen.
    pub(crate) includes: Vec<String>,
    /// Modules (and their submodules) to leave out.
    pub(crate) excludes: Vec<String>,
    /// Distributions (or top-level modules) whose optional imports are followed whatever
    /// declares them.
    pub(crate) with: Vec<String>,
    /// Modules (and their submodules) to leave out where the standard library imports
    /// them from outside them; bundled when the app or its dependencies import them.
    pub(crate) stdlib_excludes: Vec<String>,
    /// 0, 1 or 2, as `-O` / `-OO`.
    pub(crate) optimize: u8,
    /// Keep each module's source in the bundle.
    pub(crate) sources: bool,
    /// Compiled and marked bootstrap; not searched on disk.
    pub(crate) extra_modules: Vec<ExtraModule>,
    /// Directories inside `app_dir` whose files are not the app's (the build's output).
    pub(crate) skip_dirs: Vec<PathBuf>,
    /// The interpreter options the bundle starts with, one argument each as python takes
    /// them (`-W`, `error`): they change what python imports while it starts.
    pub(crate) python_args: Vec<String>,
}

/// What the script is told of the build cache.
#[derive(Debug, Serialize)]
pub(super) struct CacheRequest {
    /// Where the code entries are.
    pub(super) code_dir: PathBuf,
    /// How they are laid out: the script reads and writes them itself.
    pub(super) entry_layout: &'static EntryLayout,
    /// Part of their keys: the script's SHA-256, as it reads the imports it stores.
    pub(super) salt: String,
    /// Whether to list what the answer depends on (only an answer with a key is stored).
    pub(super) deps: bool,
}

/// The request as sent: the protocol version, what the freezer asks, and the cache to use.
#[derive(Debug, Serialize)]
pub(super) struct Sent<'a> {
    pub(super) protocol: u32,
    #[serde(flatten)]
    pub(super) request: &'a Request,
    pub(super) cache: Option<CacheRequest>,
}

/// The JSON part of the script's answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Answer {
    Manifest(Box<Manifest>),
    Failed(ScriptError),
}

/// The interpreter, as it describes itself.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PythonInfo {
    /// `platform.python_version()`, e.g. `3.11.7`.
    pub(crate) version: String,
    pub(crate) major: u8,
    pub(crate) minor: u8,
    /// `importlib.util.MAGIC_NUMBER`, the first bytes of its `.pyc` files.
    pub(crate) magic: [u8; 4],
    /// The shared libpython (sysconfig `LIBDIR`/`INSTSONAME`, else `LIBDIR`/`LDLIBRARY`),
    /// if the interpreter was built with `--enable-shared` and the file exists.
    pub(crate) libpython: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ModuleKind {
    /// Pure Python: has code (and source unless left out).
    Python,
    /// A shared-object extension module at `origin`.
    Extension,
    /// A PEP 420 namespace package (directories without `__init__.py`, possibly in
    /// several `sys.path` entries): no file, no code; its submodules in every portion are
    /// found as any package's are.
    Namespace,
}

/// Bytes of the answer's blob region.
#[derive(Debug, Clone, Copy, Deserialize)]
pub(super) struct Blob {
    pub(super) offset: u64,
    pub(super) len: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct ManifestModule {
    pub(super) name: String,
    pub(super) kind: ModuleKind,
    pub(super) is_package: bool,
    /// Needed before the stub's finder is installed, in any locale: always in CPython's
    /// frozen table. The extra modules, `encodings`, its aliases and the codecs of UTF-8,
    /// ASCII and Latin-1, `codecs`, `io`, `abc`, `warnings`, and what these import while
    /// being imported (imports inside functions or under `if __name__ == "__main__":` do
    /// not count). Never an extension module.
    pub(super) bootstrap: bool,
    /// Another text codec of `encodings`, whose own imports are all bootstrap or built
    /// in: CPython imports it while it starts in a locale of its encoding, so the stub
    /// puts it into the frozen table then. Never also `bootstrap`.
    pub(super) locale_codec: bool,
    /// No import that may run while the app starts reaches it: only functions of the
    /// standard library or of dependencies import it (`os.popen` imports subprocess, the
    /// codecs their extension modules), or it is a hidden import. The app's own imports,
    /// inside functions or not, and what those import while being imported, do count.
    /// Stored compressed: that costs only if it is ever imported.
    pub(super) cold: bool,
    /// The file it came from (absent for extra modules and namespace packages).
    pub(super) origin: Option<PathBuf>,
    /// Marshalled code (Python modules only, and always for them), compiled with the
    /// module's path in the bundle as file name: `pkg/mod.py`, `pkg/__init__.py`, or the
    /// script's file name for `__main__`. A module that only exists as a `.pyc` keeps that
    /// file's code.
    pub(super) code: Option<Blob>,
    /// Source bytes as they are on disk (Python modules, when sources are kept).
    pub(super) source: Option<Blob>,
    /// Its code builds a path from `__file__` (`dirname(__file__)`,
    /// `Path(__file__).parent`) where data may lie: its package's directory holds real data
    /// (see [`FileEvidence`]), or it is a top-level module (the app's script), so it may
    /// open files there by a name no constant shows.
    pub(super) builds_path_from_file: bool,
    /// What shows that it opens a package's files by path, sorted.
    pub(super) file_evidence: Vec<FileEvidence>,
    /// For a module bundled because native code imports it (no Python import reaches
    /// it): the extension modules that import it, when they are imported or (for the few
    /// the script knows) when a function of theirs runs.
    pub(super) native_importers: Vec<String>,
    /// Its file is the standard library's (an extension module of lib-dynload too).
    pub(super) stdlib: bool,
    /// What brought it in; absent only for a module no import the closure followed
    /// reaches (one that another failed module alone imports).
    pub(super) brought_by: Option<BroughtBy>,
}

/// What brought a module into the bundle: the import through which the fewest imports
/// reach it from what the closure started with, or why it is one of those.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub(crate) enum BroughtBy {
    /// A module the closure started with: the entry point, an `--include`, a module of
    /// the runtime or of CPython's start-up, or one a rule added (a package bundled
    /// whole); `root` says which, in words.
    Root { root: String },
    /// Imported by the module `by`: at `line` of its file (`file`, as the bundle names
    /// it) when an import statement or call of its does, else as `via` says (a hidden
    /// import, native code...).
    Import {
        by: String,
        file: Option<String>,
        line: Option<u32>,
        via: Option<String>,
    },
}

/// An import that no finder could resolve, with the modules that contain it (none when the
/// name came from `includes`). Only the first unresolvable part of a dotted name is
/// reported; a relative import that cannot resolve (one in a script) keeps its dots.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Missing {
    pub name: String,
    pub imported_by: Vec<String>,
    /// For the importers whose import of it is a statement: `file:line` of theirs.
    pub places: std::collections::BTreeMap<String, String>,
}

/// A module the closure left out on purpose, with the modules whose imports of it were
/// not followed and the rule that said so.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct LeftOut {
    pub name: String,
    pub imported_by: Vec<String>,
    #[serde(flatten)]
    pub rule: LeftOutRule,
}

/// Why a module was left out.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum LeftOutRule {
    /// Only the standard library imports it, inside functions or its tests
    /// (`stdlib_excludes`): `--include` brings it back.
    StandardLibrary,
    /// Imported only inside functions of distributions that do not declare theirs as a
    /// dependency: `--with distribution` brings it back.
    Optional { distribution: String },
    /// Imported only in an `except ImportError:` handler whose `try` imports what the
    /// build found (`instead_of`).
    Fallback { instead_of: Vec<String> },
}

/// A dependency in the closure that did not compile (or could not be read): a warning,
/// and the module is left out, as CPython would fail only if it were imported. The same
/// in the app itself is a [`ScriptError::Syntax`].
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CompileError {
    pub module: String,
    pub file: PathBuf,
    pub line: Option<u64>,
    pub message: String,
}

/// An extension module of the closure whose import, in a child of the interpreter,
/// failed, crashed or hung: what its native code imports may not all be bundled.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct NativeImportFailure {
    pub module: String,
    pub reason: String,
}

/// A file of the bundle's tree that is not code (dist-info, package data).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DataFile {
    /// Its path inside the bundle, with `/`, e.g. `certifi/cacert.pem`.
    pub(crate) name: String,
    /// The file on this machine.
    pub(crate) origin: PathBuf,
}

/// A file (or directory, or module) left out because its name is not UTF-8, as a bundle's
/// names are.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct NotUtf8 {
    /// Its path, the bytes that are not UTF-8 written `\xNN`.
    pub(crate) path: String,
    /// Only a file of the app directory, bundled for `--collect-to-disk .` alone (not a
    /// module nor a package's data).
    pub(crate) app_dir_only: bool,
}

/// How a module's code reaches a package's directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// From its `__file__`, in its own package or a parent.
    File,
    /// Through jinja2's `PackageLoader`, given the package's name.
    PackageLoader,
}

/// A string constant of a module's code that names real data (not metadata, typing stubs,
/// Cython or C sources) of a bundled package, relative to the package's directory, in code
/// that reaches that directory ([`Via`]): evidence that it opens the files by path.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct FileEvidence {
    /// As the code has it: `global.dat`, `locale-data`, `../data/x.json`.
    pub(crate) constant: String,
    /// The data file or directory it names, in the bundle's tree: `babel/global.dat`.
    pub(crate) data: String,
    /// The package whose directory the constant starts from (a parent of the module's
    /// own for a constant starting with `..`).
    pub(crate) package: String,
    pub(crate) via: Via,
}

/// With the cache: how many modules' code came from it, and how many were compiled.
#[derive(Debug, Clone, Copy, Deserialize)]
pub(super) struct CodeCacheUse {
    pub(super) cached: usize,
    pub(super) compiled: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Manifest {
    pub(super) python: PythonInfo,
    pub(super) modules: Vec<ManifestModule>,
    pub(super) data: Vec<DataFile>,
    /// Files in the app directory that are not code: see [`super::Analysis::app_data`].
    pub(super) app_data: Vec<DataFile>,
    pub(super) missing: Vec<Missing>,
    pub(super) errors: Vec<CompileError>,
    /// What the closure left out on purpose, with the modules that import it and why.
    pub(super) left_out: Vec<LeftOut>,
    pub(super) native_import_failures: Vec<NativeImportFailure>,
    /// Left out for their names.
    pub(super) not_utf8: Vec<NotUtf8>,
    /// With the cache.
    pub(super) code_cache: Option<CodeCacheUse>,
    /// With the cache, when the answer may be stored: what it depends on.
    pub(super) deps: Option<super::deps::Deps>,
}

/// What stops the analysis, as the script reports it: `{"error": "<tag>", ...data}`.
#[derive(Debug, Clone, Deserialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub(crate) enum ScriptError {
    #[error(
        "the analysis script speaks protocol {script} but was sent {}: the interpreter ran \
         another pyfreeze's script (does a wrapper replace it?)",
        request.map_or_else(|| "none".to_owned(), |r| format!("protocol {r}"))
    )]
    ProtocolMismatch { script: u32, request: Option<u32> },
    #[error(
        "cannot find the entry module `{module}` in {} or in the sys.path of {}",
        app_dir.display(),
        executable.display()
    )]
    EntryNotFound {
        module: String,
        app_dir: PathBuf,
        executable: PathBuf,
    },
    #[error(
        "--entry {module}:{function}: {} defines no `{function}` at module level (no def, \
         class, assignment or import binds it), so the app would fail when it starts",
        file.display()
    )]
    EntryFunctionMissing {
        module: String,
        function: String,
        file: PathBuf,
    },
    #[error(
        "`{package}` is a package without a __main__ module ({})",
        origin.as_deref().map_or_else(|| "a namespace package".into(), |o| o.display().to_string())
    )]
    PackageWithoutMain {
        package: String,
        origin: Option<PathBuf>,
    },
    #[error(
        "--with {name}: {} has no distribution or top-level module of that name",
        executable.display()
    )]
    UnknownWith { name: String, executable: PathBuf },
    #[error("cannot read the entry script {}: {reason}", path.display())]
    UnreadableEntry { path: PathBuf, reason: String },
    #[error(
        "the interpreter cannot tell its own path (sys.executable is empty), and pyfreeze \
         starts it again to compile modules"
    )]
    NoExecutable,
    #[error("cannot start {} to compile modules: {reason}", executable.display())]
    CannotStartWorkers { executable: PathBuf, reason: String },
    #[error(
        "a compiler process failed on module `{module}` ({}): {reason}",
        file.display()
    )]
    CompilerFailed {
        module: String,
        file: PathBuf,
        reason: String,
    },
    /// A module of the app that did not compile (or could not be read). The app is the
    /// script, the entry module and the packages directly in `app_dir`; a virtualenv in
    /// there holds dependencies.
    #[error(
        "{}:{}: {message} (in module `{module}`)",
        file.display(),
        line.map_or_else(|| "?".to_owned(), |l| l.to_string())
    )]
    Syntax {
        module: String,
        file: PathBuf,
        line: Option<u64>,
        message: String,
    },
}

impl crate::fault::Help for ScriptError {
    fn help(&self) -> Option<String> {
        let help = match self {
            ScriptError::EntryNotFound { .. } => {
                "check --entry, or install the module for that interpreter"
            }
            ScriptError::EntryFunctionMissing { .. } => "check the name",
            ScriptError::PackageWithoutMain { .. } => "name the module to run instead",
            ScriptError::UnknownWith { .. } => {
                "check the spelling, or install it for that interpreter"
            }
            ScriptError::NoExecutable => "pass --python the path of a real interpreter",
            ScriptError::Syntax { .. } => "fix the error and build again",
            ScriptError::ProtocolMismatch { .. }
            | ScriptError::UnreadableEntry { .. }
            | ScriptError::CannotStartWorkers { .. }
            | ScriptError::CompilerFailed { .. } => return None,
        };
        Some(help.to_owned())
    }
}
