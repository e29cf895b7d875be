//! `pyfreeze ls BINARY --extract DIR`: the bundle's Python code and data files written
//! out for inspection, as the tree of packages they were bundled from: a module's source
//! as `pkg/mod.py` (`pkg/__init__.py` for a package), or, when the build left its source
//! out, its bytecode as `pkg/mod.pyc`, which CPython of the bundle's version imports as
//! it is; data files at their paths. Native code (extension modules, libraries,
//! libpython) is not written: it is what the build copied from the interpreter and the
//! system, stripped.
//!
//! The tree is written into a temporary directory beside DIR and renamed into place, so
//! DIR is either whole or absent.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use pyfreeze_archive::{is_plain_relative_path, Bundle, Kind};

use super::LsError;

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error(
        "{}: exists and is not an empty directory",
        dir.display()
    )]
    NotEmpty { dir: PathBuf },
    #[error(
        "{}: the bundle's {kind} entry {name:?} is not a plain relative path, so it cannot \
         be written below a directory; nothing was extracted",
        binary.display()
    )]
    UnsafeName {
        binary: PathBuf,
        kind: Kind,
        name: String,
    },
    #[error(transparent)]
    Write(std::io::Error),
}

impl crate::fault::Help for ExtractError {
    fn help(&self) -> Option<String> {
        match self {
            ExtractError::NotEmpty { .. } => Some(
                "give a directory that does not exist yet, or remove this one first".to_owned(),
            ),
            ExtractError::UnsafeName { .. } | ExtractError::Write(_) => None,
        }
    }
}

impl crate::fault::Blame for ExtractError {
    /// A directory that is in the way, or a bundle made to write outside it, is what the
    /// user gave; a write that fails is the machine's.
    fn fault(&self) -> crate::fault::Fault {
        match self {
            ExtractError::Write(_) => crate::fault::Fault::Internal,
            _ => crate::fault::Fault::User,
        }
    }
}

/// How many files of each sort were written.
#[derive(Default)]
struct Written {
    sources: usize,
    bytecode: usize,
    data: usize,
}

/// The header CPython puts before a `.pyc`'s code (PEP 552): the magic, flags 0 (checked
/// by timestamp) and a timestamp and source size of 0, which a `.pyc` with no source
/// beside it is never checked against.
fn pyc_header(magic: [u8; 4]) -> [u8; 16] {
    let mut header = [0; 16];
    header[..4].copy_from_slice(&magic);
    header
}

/// Writes the sources and data files of `bundle` (read from `binary`) into `dir`; returns
/// what to tell the user.
pub(super) fn extract(binary: &Path, bundle: &Bundle<'_>, dir: &Path) -> Result<String, LsError> {
    let in_the_way = match fs_err::read_dir(dir) {
        Ok(mut entries) => entries.next().is_some(),
        Err(error) => error.kind() != std::io::ErrorKind::NotFound,
    };
    if in_the_way {
        return Err(ExtractError::NotEmpty { dir: dir.into() }.into());
    }
    let parent = match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let write = |error| LsError::from(ExtractError::Write(error));
    fs_err::create_dir_all(parent).map_err(write)?;
    let temp = tempfile::Builder::new()
        .prefix(".pyfreeze-extract-")
        .permissions(std::fs::Permissions::from_mode(0o777))
        .tempdir_in(parent)
        .map_err(write)?;
    let written = write_tree(binary, bundle, temp.path())?;
    fs_err::rename(temp.path(), dir).map_err(write)?;
    // Renamed: nothing is left to remove.
    let _ = temp.keep();
    Ok(format!(
        "{}: wrote {} sources, {} bytecode files (.pyc, for modules bundled without their \
         source) and {} data files\n",
        dir.display(),
        written.sources,
        written.bytecode,
        written.data
    ))
}

fn write_tree(binary: &Path, bundle: &Bundle<'_>, root: &Path) -> Result<Written, LsError> {
    let damaged = |error| LsError::Format {
        path: binary.to_owned(),
        error,
    };
    let unsafe_name = |kind, name: &str| {
        LsError::from(ExtractError::UnsafeName {
            binary: binary.to_owned(),
            kind,
            name: name.to_owned(),
        })
    };
    let write = |path: &Path, contents: &[u8]| -> Result<(), LsError> {
        let create = |error| LsError::from(ExtractError::Write(error));
        fs_err::create_dir_all(path.parent().expect("below the root")).map_err(create)?;
        fs_err::write(path, contents).map_err(create)
    };
    let mut written = Written::default();
    for index in bundle.kind_range(Kind::Module) {
        let module = bundle.entry(index).map_err(damaged)?;
        let relative = module.name.replace('.', "/");
        if module.name.contains('/') || !is_plain_relative_path(&relative) {
            return Err(unsafe_name(Kind::Module, module.name));
        }
        let base = root.join(&relative);
        if module.is_namespace() {
            fs_err::create_dir_all(&base).map_err(|e| LsError::from(ExtractError::Write(e)))?;
            continue;
        }
        let stem = if module.is_package() {
            base.join("__init__")
        } else {
            base
        };
        match bundle.find(Kind::Source, module.name).map_err(damaged)? {
            Some(source) => {
                write(
                    &stem.with_extension("py"),
                    &source.contents().map_err(damaged)?,
                )?;
                written.sources += 1;
            }
            None => {
                let mut pyc = pyc_header(bundle.pyc_magic()).to_vec();
                pyc.extend_from_slice(&module.contents().map_err(damaged)?);
                write(&stem.with_extension("pyc"), &pyc)?;
                written.bytecode += 1;
            }
        }
    }
    for kind in [Kind::Data, Kind::Disk] {
        for index in bundle.kind_range(kind) {
            let data = bundle.entry(index).map_err(damaged)?;
            if !is_plain_relative_path(data.name) {
                return Err(unsafe_name(kind, data.name));
            }
            write(&root.join(data.name), &data.contents().map_err(damaged)?)?;
            written.data += 1;
        }
    }
    Ok(written)
}
