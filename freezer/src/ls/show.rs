//! `pyfreeze ls BINARY NAME`: one module's source as the bundle stores it, or the
//! disassembly of its code (`--dis`, or a bundle built `--no-source`), or one data file's
//! bytes.
//!
//! Only a CPython of the bundle's own minor version can read its code objects (the
//! marshal format and the bytecode change between minor versions), so the disassembly
//! is made by one: `--python`, else `python3.X` on `PATH`, else pyenv's newest `3.X`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pyfreeze_archive::{Bundle, Kind};

use super::LsError;

/// Loads the code object on stdin and disassembles it, nested code objects too; exits 3
/// naming its own version if it is not the one in `argv[1]`.
const DISASSEMBLE: &str = "\
import dis, marshal, sys
have = '%d.%d' % sys.version_info[:2]
if have != sys.argv[1]:
    sys.stderr.write(have)
    sys.exit(3)
dis.dis(marshal.loads(sys.stdin.buffer.read()))
";

/// The exit status of [`DISASSEMBLE`] run by a Python of another version.
const WRONG_VERSION: i32 = 3;

/// The exit status of a pyenv shim for a command no selected version has.
const COMMAND_NOT_FOUND: i32 = 127;

#[derive(Debug, thiserror::Error)]
pub enum ShowError {
    #[error(
        "{}: holds no module or data file named {name}",
        binary.display()
    )]
    NotFound { binary: PathBuf, name: String },
    #[error("module {name} is not in the bundle: {why}")]
    LeftOut { name: String, why: String },
    #[error("{name} is an extension module: native code, with no source or bytecode to print")]
    Extension { name: String },
    #[error("{name} is a namespace package: it has no code")]
    Namespace { name: String },
    #[error(
        "no Python {version} found to disassemble {name} with (its bytecode is Python \
         {version}'s; looked for python{version} on PATH and in pyenv's versions)"
    )]
    NoPython { name: String, version: String },
    #[error(
        "{} is Python {found}, but the bundle's bytecode is Python {version}'s",
        python.display()
    )]
    WrongPython {
        python: PathBuf,
        found: String,
        version: String,
    },
    #[error("cannot run {}: {source}", python.display())]
    Start {
        python: PathBuf,
        source: std::io::Error,
    },
    #[error("{} failed to disassemble {name} ({status}): {stderr}", python.display())]
    Disassembly {
        python: PathBuf,
        name: String,
        status: std::process::ExitStatus,
        stderr: String,
    },
}

impl crate::fault::Help for ShowError {
    fn help(&self) -> Option<String> {
        Some(match self {
            ShowError::NotFound { binary, name } => format!(
                "`pyfreeze ls {}` lists what it holds; a pattern such as '{name}*' lists the \
                 names that start with it",
                binary.display()
            ),
            ShowError::Extension { .. } => {
                "give a pure-Python module's name, or a data file's".to_owned()
            }
            ShowError::Namespace { name } => format!("'{name}.*' lists its modules"),
            ShowError::NoPython { .. } => "give one with --python PATH".to_owned(),
            ShowError::WrongPython { version, .. } => {
                format!("give a Python {version} with --python")
            }
            ShowError::LeftOut { .. } | ShowError::Start { .. } | ShowError::Disassembly { .. } => {
                return None
            }
        })
    }
}

impl crate::fault::Blame for ShowError {
    /// A name or interpreter the user gave that does not serve is theirs to fix; an
    /// interpreter that fails on the bundle's code is not.
    fn fault(&self) -> crate::fault::Fault {
        match self {
            ShowError::Disassembly { .. } => crate::fault::Fault::Internal,
            _ => crate::fault::Fault::User,
        }
    }
}

/// How to show a module.
pub(super) struct How<'p> {
    /// The disassembly even when the source is bundled.
    pub dis: bool,
    /// The interpreter to disassemble with.
    pub python: Option<&'p Path>,
}

/// What `pyfreeze ls BINARY NAME` prints for `name` in `bundle` (read from `binary`).
pub(super) fn show(
    binary: &Path,
    bundle: &Bundle<'_>,
    name: &str,
    how: &How<'_>,
) -> Result<Vec<u8>, LsError> {
    let damaged = |error| LsError::Format {
        path: binary.to_owned(),
        error,
    };
    let find = |kind| bundle.find(kind, name).map_err(damaged);
    if let Some(code) = find(Kind::Module)? {
        if code.is_namespace() {
            return Err(ShowError::Namespace { name: name.into() }.into());
        }
        if !how.dis {
            if let Some(source) = find(Kind::Source)? {
                return Ok(source.contents().map_err(damaged)?.into_owned());
            }
        }
        let (major, minor) = bundle.python_major_minor();
        let version = format!("{major}.{minor}");
        return Ok(disassemble(
            name,
            &code.contents().map_err(damaged)?,
            &version,
            how.python,
        )?);
    }
    for kind in [Kind::Data, Kind::Disk] {
        if let Some(data) = find(kind)? {
            return Ok(data.contents().map_err(damaged)?.into_owned());
        }
    }
    let error = if let Some(left_out) = find(Kind::LeftOut)? {
        ShowError::LeftOut {
            name: name.into(),
            why: String::from_utf8_lossy(&left_out.contents().map_err(damaged)?).into_owned(),
        }
    } else if find(Kind::Extension)?.is_some() {
        ShowError::Extension { name: name.into() }
    } else {
        ShowError::NotFound {
            binary: binary.to_owned(),
            name: name.into(),
        }
    };
    Err(error.into())
}

/// The interpreters to try for Python `version`, in order: `python3.X` on `PATH`, then
/// pyenv's installs of it, newest first.
fn candidates(version: &str) -> Vec<PathBuf> {
    let command = format!("python{version}");
    let mut found: Vec<PathBuf> = which::which(&command).into_iter().collect();
    let Some(root) = pyenv_root() else {
        return found;
    };
    let mut installs: Vec<(Vec<u32>, PathBuf)> = fs_err::read_dir(root.join("versions"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|dir| {
            let name = dir.file_name().into_string().ok()?;
            let rest = name.strip_prefix(version)?;
            // 3.1 is not 3.12; 3.12.1 and 3.12-dev are.
            if !(rest.is_empty() || rest.starts_with(['.', '-'])) {
                return None;
            }
            let numbers = name
                .split(|c: char| !c.is_ascii_digit())
                .map_while(|n| n.parse().ok())
                .collect();
            let python = dir.path().join("bin").join(&command);
            python.is_file().then_some((numbers, python))
        })
        .collect();
    installs.sort();
    found.extend(installs.into_iter().rev().map(|(_, python)| python));
    found
}

/// `$PYENV_ROOT`, else what `pyenv root` prints.
fn pyenv_root() -> Option<PathBuf> {
    if let Some(root) = std::env::var_os("PYENV_ROOT").filter(|r| !r.is_empty()) {
        return Some(root.into());
    }
    let out = Command::new("pyenv")
        .arg("root")
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let root = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !root.trim().is_empty()).then(|| PathBuf::from(root.trim()))
}

/// The disassembly of `code`, the marshalled code object of module `name`, by a Python
/// `version`: `python` if given, else the first of the [`candidates`] that is one.
fn disassemble(
    name: &str,
    code: &[u8],
    version: &str,
    python: Option<&Path>,
) -> Result<Vec<u8>, ShowError> {
    if let Some(python) = python {
        return run(python, name, code, version);
    }
    for python in candidates(version) {
        match run(&python, name, code, version) {
            // A shim of a version pyenv does not select, or a python3.X that is not one.
            Err(ShowError::WrongPython { .. } | ShowError::Start { .. }) => continue,
            Err(ShowError::Disassembly { status, .. })
                if status.code() == Some(COMMAND_NOT_FOUND) =>
            {
                continue
            }
            done => return done,
        }
    }
    Err(ShowError::NoPython {
        name: name.into(),
        version: version.into(),
    })
}

fn run(python: &Path, name: &str, code: &[u8], version: &str) -> Result<Vec<u8>, ShowError> {
    let start = |source| ShowError::Start {
        python: python.to_owned(),
        source,
    };
    let mut child = Command::new(python)
        .args(["-I", "-c", DISASSEMBLE, version])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(start)?;
    let mut stdin = child.stdin.take().expect("piped");
    // Written from another thread, so that a child that answers before reading all of
    // it cannot leave both waiting on full pipes.
    let output = std::thread::scope(|scope| {
        scope.spawn(move || {
            // A child that exits early closes the pipe: its status says why.
            let _ = stdin.write_all(code);
        });
        child.wait_with_output()
    })
    .map_err(start)?;
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    match output.status.code() {
        Some(0) => Ok(output.stdout),
        Some(WRONG_VERSION) => Err(ShowError::WrongPython {
            python: python.to_owned(),
            found: stderr,
            version: version.into(),
        }),
        _ => Err(ShowError::Disassembly {
            python: python.to_owned(),
            name: name.into(),
            status: output.status,
            stderr,
        }),
    }
}
