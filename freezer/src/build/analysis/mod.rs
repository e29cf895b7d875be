//! One run of the target interpreter finds the import closure and
//! compiles every module, so module resolution, syntax and magic numbers are exactly that
//! interpreter's.
//!
//! The script is the files of `python/`, joined into one program ([`PARTS`]) that a `-c`
//! bootstrap reads from stdin ahead of the request; what it is sent and answers is typed
//! in [`protocol`]. Nothing of the app is imported: modules are found with `PathFinder`
//! and their imports read from their bytecode. The
//! script compiles in worker interpreters of its own, in parallel and with a fixed hash
//! seed, so that the bytecode is the same from one build to the next (before 3.11,
//! marshal writes frozenset constants in hash order).
//!
//! With the build cache, the script reuses and stores compiled modules in the cache's
//! code entries itself, and lists what its answer depends on ([`deps`]); the whole answer
//! is stored, and reused without running Python while all of that holds. Its key is what
//! [`deps`] cannot see: the script, the interpreter (a real executable, known by its file's
//! identity), the environment variables that change how it starts, and the request.

mod deps;
mod protocol;

use std::io::Read as _;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use sha2::Digest as _;

use super::child::{self, ChildError};
use crate::cache::{self, Cache, Key};
use crate::progress::Progress;
pub use protocol::Via;
use protocol::{Answer, Blob, CacheRequest, Manifest, Sent, PROTOCOL};
pub(crate) use protocol::{
    BroughtBy, DataFile, EntrySpec, ExtraModule, FileEvidence, ModuleKind, NotUtf8, PythonInfo,
    Request, ScriptError,
};
pub use protocol::{CompileError, LeftOut, LeftOutRule, Missing, NativeImportFailure};

/// The files of the analysis script, in the order they are joined into one program:
/// each uses only what the files before it define.
const PARTS: [(&str, &str); 12] = [
    ("protocol.py", include_str!("python/protocol.py")),
    ("observe.py", include_str!("python/observe.py")),
    ("scan.py", include_str!("python/scan.py")),
    ("compile.py", include_str!("python/compile.py")),
    ("code_cache.py", include_str!("python/code_cache.py")),
    ("tables.py", include_str!("python/tables.py")),
    (
        "native_imports.py",
        include_str!("python/native_imports.py"),
    ),
    ("distributions.py", include_str!("python/distributions.py")),
    ("closure.py", include_str!("python/closure.py")),
    ("manifest.py", include_str!("python/manifest.py")),
    ("entry.py", include_str!("python/entry.py")),
    ("main.py", include_str!("python/main.py")),
];

/// The analysis script, run by the target interpreter.
/// What `python -c` runs: the program read from stdin, under the file name `-c` gives.
const BOOTSTRAP: &str = "import sys; exec(compile(sys.stdin.buffer.read(int(sys.stdin.buffer.readline())), '<string>', 'exec'))";

fn script() -> &'static str {
    static SCRIPT: OnceLock<String> = OnceLock::new();
    SCRIPT.get_or_init(|| program(&PARTS))
}

/// `parts` joined into one program, without their imports of each other (`from .name
/// import ...`, on one line or in parentheses over several): one program is one namespace.
fn program(parts: &[(&str, &str)]) -> String {
    let mut program = String::new();
    for (name, text) in parts {
        // Where a line of a traceback of the program comes from.
        program.push_str(&format!("# python/{name}\n"));
        let mut in_import = false;
        for line in text.lines() {
            if in_import {
                in_import = !line.contains(')');
            } else if line.starts_with("from .") {
                in_import = line.contains('(') && !line.contains(')');
            } else {
                program.push_str(line);
                program.push('\n');
            }
        }
    }
    program
}

/// Environment variables that change what an interpreter started with `-I` finds: which
/// libpython the loader gives it, and the locale its file system encoding comes from.
const ENVIRONMENT: [&str; 5] = [
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    "LC_ALL",
    "LC_CTYPE",
    "LANG",
];

/// The start of the lines of progress the script writes to stderr (python/protocol.py).
const PROGRESS_PREFIX: &str = "\x1epyfreeze-progress ";

/// The environment variable that sets the analysis's time limit, in seconds.
const TIMEOUT_VARIABLE: &str = "PYFREEZE_ANALYSIS_TIMEOUT";
/// Generous: a cold analysis of a large app compiles thousands of modules.
const TIMEOUT: Duration = Duration::from_secs(600);

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
/// [`protocol::ManifestModule`].
#[derive(Debug, Clone)]
pub(crate) struct Module {
    pub(crate) name: String,
    pub(crate) kind: ModuleKind,
    pub(crate) is_package: bool,
    pub(crate) bootstrap: bool,
    pub(crate) locale_codec: bool,
    pub(crate) cold: bool,
    pub(crate) origin: Option<PathBuf>,
    pub(crate) code: Option<Vec<u8>>,
    pub(crate) source: Option<Vec<u8>>,
    pub(crate) builds_path_from_file: bool,
    pub(crate) file_evidence: Vec<FileEvidence>,
    pub(crate) native_importers: Vec<String>,
    /// The standard library's (an extension module of lib-dynload too).
    pub(crate) stdlib: bool,
    /// What brought it into the bundle, for `pyfreeze why`.
    pub(crate) brought_by: Option<BroughtBy>,
}

/// The result of the analysis.
#[derive(Debug, Clone)]
pub(crate) struct Analysis {
    pub(crate) python: PythonInfo,
    /// Sorted by name.
    pub(crate) modules: Vec<Module>,
    /// Sorted by name.
    pub(crate) data: Vec<DataFile>,
    /// The files in the app directory that are not code, sorted by name (paths relative
    /// to it): bundled only for `--collect-to-disk .`.
    pub(crate) app_data: Vec<DataFile>,
    /// Sorted by name; warnings, as CPython fails only if such an import runs.
    pub(crate) missing: Vec<Missing>,
    /// Sorted by name; what a default exclusion left out, for the build's note.
    pub(crate) left_out: Vec<LeftOut>,
    /// Dependencies that did not compile and were left out.
    pub(crate) skipped: Vec<CompileError>,
    /// Warnings: extension modules whose native imports may not all be bundled.
    pub(crate) native_import_failures: Vec<NativeImportFailure>,
    /// Warnings: what was left out because its name is not UTF-8.
    pub(crate) not_utf8: Vec<NotUtf8>,
    pub(crate) reuse: Reuse,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum AnalysisError {
    #[error("could not run the interpreter {}", interpreter.display())]
    Spawn {
        interpreter: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A crash of the script: what it printed is all there is to tell.
    #[error("the interpreter {} failed while analysing the app (exit status {status}):\n{stderr}", interpreter.display())]
    Failed {
        interpreter: PathBuf,
        status: String,
        stderr: String,
    },
    #[error(
        "the interpreter {} was still analysing the app after {}, and was stopped with what \
         it started",
        interpreter.display(),
        child::describe(*limit)
    )]
    TimedOut {
        interpreter: PathBuf,
        limit: Duration,
    },
    #[error("the interpreter {} gave an answer pyfreeze does not understand: {what}", interpreter.display())]
    Protocol { interpreter: PathBuf, what: String },
    #[error(transparent)]
    Script(#[from] ScriptError),
    #[error(transparent)]
    Limit(#[from] child::LimitError),
    #[error(transparent)]
    Probe(#[from] super::interpreter::ProbeError),
}

impl crate::fault::Help for AnalysisError {
    fn help(&self) -> Option<String> {
        match self {
            AnalysisError::TimedOut { .. } => Some(format!(
                "if the app is that large, raise the limit with {TIMEOUT_VARIABLE}=SECONDS"
            )),
            AnalysisError::Script(error) => error.help(),
            AnalysisError::Limit(error) => error.help(),
            AnalysisError::Probe(error) => error.help(),
            AnalysisError::Spawn { .. }
            | AnalysisError::Failed { .. }
            | AnalysisError::Protocol { .. } => None,
        }
    }
}

impl crate::fault::Blame for AnalysisError {
    fn fault(&self) -> crate::fault::Fault {
        use crate::fault::Fault;
        match self {
            // An interpreter that cannot start is the one the user chose.
            AnalysisError::Spawn { .. } | AnalysisError::Limit(_) => Fault::User,
            AnalysisError::Probe(error) => crate::fault::Blame::fault(error),
            AnalysisError::Failed { .. }
            | AnalysisError::TimedOut { .. }
            | AnalysisError::Protocol { .. } => Fault::Internal,
            AnalysisError::Script(error) => match error {
                ScriptError::EntryNotFound { .. }
                | ScriptError::EntryFunctionMissing { .. }
                | ScriptError::PackageWithoutMain { .. }
                | ScriptError::UnreadableEntry { .. }
                | ScriptError::UnknownWith { .. }
                | ScriptError::NoExecutable
                | ScriptError::Syntax { .. } => Fault::User,
                ScriptError::ProtocolMismatch { .. }
                | ScriptError::CannotStartWorkers { .. }
                | ScriptError::CompilerFailed { .. } => Fault::Internal,
            },
        }
    }
}

/// [`analyse_after`] with nothing to do first.
#[cfg(test)]
pub(crate) fn analyse(
    interpreter: &Path,
    request: &Request,
    cache: Option<&Cache>,
) -> Result<Analysis, AnalysisError> {
    analyse_after(
        interpreter,
        request,
        cache,
        &crate::progress::Silent,
        || Ok(()),
    )
}

/// Runs the analysis of `request` with `interpreter`, or reuses the cached answer of an
/// earlier run if nothing it depended on has changed.
///
/// `first` runs before the interpreter is, which a cached answer spares: the build asks
/// the interpreter what it is there ([`super::interpreter::probe`]). `progress` hears of
/// the compiling as it goes.
pub(crate) fn analyse_after(
    interpreter: &Path,
    request: &Request,
    cache: Option<&Cache>,
    progress: &dyn Progress,
    first: impl FnOnce() -> Result<(), AnalysisError>,
) -> Result<Analysis, AnalysisError> {
    let key = cache.and_then(|cache| answer_key(cache, interpreter, request));
    if let (Some(cache), Some(key)) = (cache, &key) {
        let cached = cache.get(cache::Kind::Analysis, key);
        if let Some(analysis) = cached.and_then(|answer| reuse(interpreter, &answer)) {
            return Ok(analysis);
        }
    }
    first()?;
    let sent = Sent {
        protocol: PROTOCOL,
        request,
        cache: cache.map(|cache| CacheRequest {
            code_dir: cache.dir(cache::Kind::Code),
            entry_layout: &cache::ENTRY_LAYOUT,
            salt: cache::hex(&sha2::Sha256::digest(script())),
            deps: key.is_some(),
        }),
    };
    let limit = child::limit_from_env(TIMEOUT_VARIABLE, TIMEOUT)?;
    let stdout = run(interpreter, &sent, limit, progress)?;
    let (manifest, blobs) = split(interpreter, &stdout)?;
    let cacheable = manifest.deps.as_ref().is_some_and(deps::Deps::is_cacheable);
    let reuse = match manifest.code_cache {
        Some(used) => Reuse::Code {
            cached: used.cached,
            compiled: used.compiled,
        },
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
    key.field(script().as_bytes())
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

/// Runs the script on `sent`, for at most `limit`; returns what it wrote to stdout.
fn run(
    interpreter: &Path,
    sent: &Sent<'_>,
    limit: Duration,
    progress: &dyn Progress,
) -> Result<Vec<u8>, AnalysisError> {
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
    let program = script();
    // The program travels on stdin ahead of the request, its length first: as a `-c`
    // argument it would meet the kernel's limit on one argument (128 KiB).
    let input = [
        format!("{}\n", program.len()).as_bytes(),
        program.as_bytes(),
        &input,
    ]
    .concat();
    let mut command = Command::new(interpreter);
    command.arg("-I").arg("-c").arg(BOOTSTRAP);
    let mut note = |note: &str| {
        let mut words = note.split(' ');
        if let (Some("compiled"), Some(Ok(done)), Some(Ok(total))) = (
            words.next(),
            words.next().map(str::parse),
            words.next().map(str::parse),
        ) {
            progress.compiled(done, total);
        }
    };
    let notes = child::Notes {
        prefix: PROGRESS_PREFIX,
        note: &mut note,
    };
    let output =
        child::run_noting(&mut command, input, limit, Some(notes)).map_err(|e| match e {
            ChildError::Spawn(source) => spawn_error(source),
            ChildError::TimedOut => AnalysisError::TimedOut {
                interpreter: interpreter.to_owned(),
                limit,
            },
        })?;
    if !output.status.success() {
        return Err(AnalysisError::Failed {
            interpreter: interpreter.to_owned(),
            status: output.status_text(),
            stderr: output.stderr_text(),
        });
    }
    if let Err(e) = output.written {
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

/// Splits the answer into manifest and blobs; a tagged error is the script's.
fn split<'a>(interpreter: &Path, stdout: &'a [u8]) -> Result<(Manifest, &'a [u8]), AnalysisError> {
    let protocol = protocol_error(interpreter);
    let (length, rest) = stdout.split_first_chunk::<8>().ok_or_else(|| {
        protocol(format!(
            "its output is {} bytes long, too short for the length of its JSON",
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
                "its JSON is said to be {length} bytes long but only {} bytes follow",
                rest.len()
            ))
        })?;
    let answer = serde_json::from_slice(json)
        .map_err(|e| protocol(format!("the answer is not valid: {e}")))?;
    match answer {
        Answer::Manifest(manifest) => Ok((*manifest, blobs)),
        Answer::Failed(error) => Err(error.into()),
    }
}

/// Turns the manifest into an [`Analysis`], with the bytes of `blobs`.
fn into_analysis(
    interpreter: &Path,
    manifest: Manifest,
    blobs: &[u8],
    reuse: Reuse,
) -> Result<Analysis, AnalysisError> {
    let protocol = protocol_error(interpreter);
    let blob = |module: &str, what: &str, Blob { offset, len }: Blob| {
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
                _ if m.locale_codec && (m.bootstrap || m.kind != ModuleKind::Python) => {
                    return Err(protocol(format!(
                        "locale codec `{}` is also bootstrap or not a Python module",
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
                locale_codec: m.locale_codec,
                cold: m.cold,
                origin: m.origin,
                code,
                source,
                builds_path_from_file: m.builds_path_from_file,
                file_evidence: m.file_evidence,
                native_importers: m.native_importers,
                stdlib: m.stdlib,
                brought_by: m.brought_by,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Analysis {
        python: manifest.python,
        modules,
        data: manifest.data,
        app_data: manifest.app_data,
        missing: manifest.missing,
        left_out: manifest.left_out,
        skipped: manifest.errors,
        native_import_failures: manifest.native_import_failures,
        not_utf8: manifest.not_utf8,
        reuse,
    })
}

#[cfg(test)]
pub(crate) mod tests;
