//! The executable: a copy of the stub with the archive appended, written to a
//! temporary file beside the output and renamed into place, so a failed build leaves
//! nothing half-written and a running bundle is replaced, never overwritten.

use std::io::{BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use pyfreeze_archive::{ArchiveWriter, Bundle};

/// The stub's file name, next to the `pyfreeze` executable.
pub(crate) const STUB_NAME: &str = "pyfreeze-stub";

#[derive(Debug, thiserror::Error)]
pub(crate) enum OutputError {
    #[error("cannot find the runtime stub {}: pyfreeze looks for `{STUB_NAME}` next to its own executable; build it with `cargo build` or pass --stub PATH", .0.display())]
    NoStub(PathBuf),
    #[error("{}: not a pyfreeze runtime stub ({why}); pass the `{STUB_NAME}` executable built with this pyfreeze", path.display())]
    BadStub { path: PathBuf, why: &'static str },
    #[error("{}: is a directory; give the path of the executable to write, e.g. {}", .0.display(), .0.join("app").display())]
    OutputIsDirectory(PathBuf),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl crate::fault::Blame for OutputError {
    /// The stub and the output are paths the user gives or controls; writing fails where
    /// they cannot write, or the disk is full.
    fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::User
    }
}

/// The stub to build on: `explicit`, else `pyfreeze-stub` next to this executable.
pub(crate) fn locate_stub(explicit: Option<&Path>) -> Result<PathBuf, OutputError> {
    let path = match explicit {
        Some(path) => path.to_owned(),
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(STUB_NAME)))
            .unwrap_or_else(|| PathBuf::from(STUB_NAME)),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(OutputError::NoStub(path))
    }
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Write {
        path: path.to_owned(),
        source,
    }
}

/// Writes `stub` + `archive` to `output` atomically, with the run bit; `compress_all`
/// compresses what the archive stores compressed (see [`ArchiveWriter::write_to_with`]).
/// Returns its size.
pub(crate) fn write(
    stub: &Path,
    archive: ArchiveWriter,
    output: &Path,
    compress_all: impl FnOnce(&[&[u8]]) -> std::io::Result<Vec<Vec<u8>>>,
) -> Result<u64, OutputError> {
    let stub_bytes = fs_err::read(stub).map_err(|_| OutputError::NoStub(stub.to_owned()))?;
    if !stub_bytes.starts_with(b"\x7fELF") {
        return Err(OutputError::BadStub {
            path: stub.to_owned(),
            why: "not an ELF executable",
        });
    }
    if Bundle::parse(&stub_bytes).is_ok() {
        return Err(OutputError::BadStub {
            path: stub.to_owned(),
            why: "it is already a bundle",
        });
    }
    if output.is_dir() {
        return Err(OutputError::OutputIsDirectory(output.to_owned()));
    }
    let dir = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    fs_err::create_dir_all(&dir).map_err(write_error(&dir))?;

    let temp = tempfile::Builder::new()
        .prefix(".pyfreeze-")
        .tempfile_in(&dir)
        .map_err(write_error(&dir))?;
    let mut out = BufWriter::new(temp.as_file());
    let len = archive
        .write_to_with(&mut out, &stub_bytes, compress_all)
        .map_err(write_error(output))?;
    out.flush().map_err(write_error(output))?;
    drop(out);
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o755))
        .map_err(write_error(output))?;
    temp.persist(output)
        .map_err(|e| write_error(output)(e.error))?;
    Ok(len)
}
