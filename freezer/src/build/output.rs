//! The executable: a copy of the stub with the archive appended, written to a
//! temporary file beside the output ([`partial`]) and renamed into place, so a failed or
//! interrupted build leaves nothing half-written and a running bundle is replaced, never
//! overwritten; only over what [`OutputGuard`] allows.

use std::io::{BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use pyfreeze_archive::{ArchiveWriter, Bundle};

use crate::build::output_guard::{OutputGuard, Refusal};
use crate::build::partial::{self, Partial};

/// The stub's file name, next to the `pyfreeze` executable.
pub(crate) const STUB_NAME: &str = "pyfreeze-stub";

#[derive(Debug, thiserror::Error)]
pub(crate) enum OutputError {
    #[error("cannot find the runtime stub {}: pyfreeze looks for `{STUB_NAME}` next to its own executable", .0.display())]
    NoStub(PathBuf),
    #[error("{}: not a pyfreeze runtime stub ({why})", path.display())]
    BadStub { path: PathBuf, why: &'static str },
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl crate::fault::Help for OutputError {
    fn help(&self) -> Option<String> {
        match self {
            OutputError::NoStub(_) => {
                Some("build it with `cargo build`, or pass --stub PATH".to_owned())
            }
            OutputError::BadStub { .. } => Some(format!(
                "pass --stub the `{STUB_NAME}` executable built with this pyfreeze"
            )),
            OutputError::Refused(refusal) => refusal.help(),
            OutputError::Write { .. } => None,
        }
    }
}

impl crate::fault::Blame for OutputError {
    /// The stub and the output are paths the user gives or controls; writing fails where
    /// they cannot write, or the disk is full.
    fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::User
    }
}

/// The stub to build on: `explicit`, else `pyfreeze-stub` next to this executable.
pub(crate) fn locate_stub(explicit: Option<&Path>) -> Result<Stub, OutputError> {
    let path = match explicit {
        Some(path) => path.to_owned(),
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(STUB_NAME)))
            .unwrap_or_else(|| PathBuf::from(STUB_NAME)),
    };
    if !path.is_file() {
        return Err(OutputError::NoStub(path));
    }
    let bytes = fs_err::read(&path).map_err(|_| OutputError::NoStub(path.clone()))?;
    if !bytes.starts_with(b"\x7fELF") {
        return Err(OutputError::BadStub {
            path,
            why: "not an ELF executable",
        });
    }
    if Bundle::parse(&bytes).is_ok() {
        return Err(OutputError::BadStub {
            path,
            why: "it is already a bundle",
        });
    }
    Ok(Stub { path, bytes })
}

/// The runtime stub a build appends its archive to, read once: the requirement of the
/// machines it runs on is read from these bytes, and they are what is written.
pub(crate) struct Stub {
    pub(crate) path: PathBuf,
    pub(crate) bytes: Vec<u8>,
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Write {
        path: path.to_owned(),
        source,
    }
}

/// Writes `stub` + `archive` to `output` (or the bundle it links to) atomically, with the
/// run bit, if `guard` allows it, when it starts and again just before the rename;
/// `compress_all` compresses what the archive stores compressed (see
/// [`ArchiveWriter::write_to_with`]). Returns its size.
pub(crate) fn write(
    stub: &Stub,
    archive: ArchiveWriter,
    output: &Path,
    guard: &OutputGuard,
    compress_all: impl FnOnce(&[&[u8]]) -> std::io::Result<Vec<Vec<u8>>>,
) -> Result<u64, OutputError> {
    let target = guard.check(output)?;
    let dir = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    fs_err::create_dir_all(&dir).map_err(write_error(&dir))?;
    partial::remove_stale(&dir);

    let temp = Partial::create(&dir).map_err(write_error(&dir))?;
    let mut out = BufWriter::new(temp.file());
    let len = archive
        .write_to_with(&mut out, &stub.bytes, compress_all)
        .map_err(write_error(output))?;
    out.flush().map_err(write_error(output))?;
    drop(out);
    temp.file()
        .set_permissions(std::fs::Permissions::from_mode(0o755))
        .map_err(write_error(output))?;
    temp.persist(
        || -> Result<PathBuf, OutputError> {
            let last = guard.check(output)?;
            if last.parent() != target.parent() {
                // A link changed while the build wrote: the temporary file is no longer beside
                // the output, and a rename to another directory may cross file systems.
                return Err(write_error(output)(std::io::Error::other(format!(
                    "it now leads to {}, not {}",
                    last.display(),
                    target.display()
                ))));
            }
            Ok(last)
        },
        write_error(output),
    )?;
    Ok(len)
}
