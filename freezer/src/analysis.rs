//! Step 2 of a build: one run of the target interpreter finds the import closure and
//! compiles every module, so module resolution, syntax and magic numbers are exactly that
//! interpreter's.
//!
//! Protocol: the freezer runs `python -I -c <analysis.py>` with a JSON [`Request`] on stdin.
//! The script answers on stdout with an 8-byte little-endian length `N`, `N` bytes of JSON
//! [`Manifest`], then a blob region that manifests' `[offset, len]` pairs point into
//! (marshalled code and source bytes).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// The analysis script, run by the target interpreter.
const SCRIPT: &str = include_str!("python/analysis.py");

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
    /// The shared libpython (sysconfig `LIBDIR`/`INSTSONAME`, resolved), if the
    /// interpreter was built with `--enable-shared` and the file exists.
    pub libpython: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModuleKind {
    /// Pure Python: has code (and source unless left out).
    Python,
    /// A shared-object extension module at `origin`.
    Extension,
}

/// `[offset, len]` into the manifest's blob region.
pub type BlobRef = (u64, u64);

#[derive(Debug, Clone, Deserialize)]
pub struct ManifestModule {
    pub name: String,
    pub kind: ModuleKind,
    pub is_package: bool,
    /// Needed before the stub's finder is installed (encodings, codecs, io, abc, the boot
    /// module): goes into CPython's frozen table.
    pub bootstrap: bool,
    /// The file it came from (absent for extra modules).
    pub origin: Option<PathBuf>,
    /// Marshalled code (Python modules only).
    pub code: Option<BlobRef>,
    /// Source bytes as they are on disk (Python modules, when sources are kept).
    pub source: Option<BlobRef>,
}

/// An import that no finder could resolve, with the modules that contain it.
#[derive(Debug, Clone, Deserialize)]
pub struct Missing {
    pub name: String,
    pub imported_by: Vec<String>,
}

/// A module in the closure that did not compile.
#[derive(Debug, Clone, Deserialize)]
pub struct CompileError {
    pub module: String,
    pub file: PathBuf,
    pub line: Option<u64>,
    pub message: String,
    /// Part of the app itself (an error) rather than a dependency (a warning, and the
    /// module is left out, as CPython would fail only if it were imported).
    pub in_app: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub python: PythonInfo,
    pub modules: Vec<ManifestModule>,
    pub missing: Vec<Missing>,
    pub errors: Vec<CompileError>,
}

/// A module with its bytes, as handed to the next step.
#[derive(Debug, Clone)]
pub struct Module {
    pub name: String,
    pub kind: ModuleKind,
    pub is_package: bool,
    pub bootstrap: bool,
    pub origin: Option<PathBuf>,
    pub code: Option<Vec<u8>>,
    pub source: Option<Vec<u8>>,
}

/// The result of the analysis.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub python: PythonInfo,
    pub modules: Vec<Module>,
    pub missing: Vec<Missing>,
    /// Dependencies that did not compile and were left out.
    pub skipped: Vec<CompileError>,
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

/// Runs the analysis of `request` with `interpreter`.
pub fn analyse(interpreter: &Path, request: &Request) -> Result<Analysis, AnalysisError> {
    let spawn_error = |source| AnalysisError::Spawn {
        interpreter: interpreter.to_owned(),
        source,
    };
    // Paths travel as JSON strings, so a path that is not UTF-8 cannot be sent at all.
    let input = serde_json::to_vec(request).map_err(|e| {
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
            stderr: String::from_utf8_lossy(&output.stderr).trim_end().to_owned(),
        });
    }
    if let Err(e) = written {
        return Err(AnalysisError::Protocol {
            interpreter: interpreter.to_owned(),
            what: format!("it exited without reading the whole request ({e})"),
        });
    }
    parse(interpreter, &output.stdout)
}

/// Splits the answer into manifest and blobs, and turns the manifest into an [`Analysis`].
fn parse(interpreter: &Path, stdout: &[u8]) -> Result<Analysis, AnalysisError> {
    let protocol = |what: String| AnalysisError::Protocol {
        interpreter: interpreter.to_owned(),
        what,
    };
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
                _ => {}
            }
            Ok(Module {
                name: m.name,
                kind: m.kind,
                is_package: m.is_package,
                bootstrap: m.bootstrap,
                origin: m.origin,
                code,
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Analysis {
        python: manifest.python,
        modules,
        missing: manifest.missing,
        skipped: manifest.errors,
    })
}
