//! Step 3: the native code the closure needs: libpython and the extension modules it
//! reaches, each stripped. An extension that needs a shared library beyond glibc cannot be
//! loaded without it, so until such libraries are bundled it is left out and reported.

use std::path::{Path, PathBuf};

use crate::analysis::{Analysis, ModuleKind};
use crate::elf;

/// A stripped shared object ready to be packed.
#[derive(Debug, Clone)]
pub struct SharedObject {
    /// Module name for an extension, soname for libpython.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// An extension module of the closure that was not bundled, and why.
#[derive(Debug, Clone)]
pub struct NotBundled {
    pub module: String,
    pub needs: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Native {
    pub libpython: SharedObject,
    pub extensions: Vec<SharedObject>,
    pub not_bundled: Vec<NotBundled>,
}

#[derive(Debug, thiserror::Error)]
pub enum NativeError {
    #[error("the interpreter {} has no shared libpython (it was built without --enable-shared), and pyfreeze needs one to embed; use an interpreter built with it, e.g. `PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install 3.12`, or your distribution's python3 package", .0.display())]
    NoSharedLibpython(PathBuf),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a shared object pyfreeze can read: {source}", path.display())]
    Elf {
        path: PathBuf,
        #[source]
        source: elf::ElfError,
    },
}

fn read(path: &Path) -> Result<Vec<u8>, NativeError> {
    fs_err::read(path).map_err(|source| NativeError::Read {
        path: path.to_owned(),
        source,
    })
}

fn stripped(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, NativeError> {
    elf::strip(bytes).map_err(|source| NativeError::Elf {
        path: path.to_owned(),
        source,
    })
}

/// Collects and strips libpython and the closure's extension modules. `interpreter` is
/// the interpreter as the user named it, for messages.
pub fn collect(analysis: &Analysis, interpreter: &Path) -> Result<Native, NativeError> {
    let python = &analysis.python;
    let libpython_path = python
        .libpython
        .as_deref()
        .ok_or_else(|| NativeError::NoSharedLibpython(interpreter.to_owned()))?;
    let libpython_bytes = read(libpython_path)?;
    let soname = libpython_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("libpython{}.{}.so.1.0", python.major, python.minor));
    let libpython = SharedObject {
        name: soname,
        bytes: stripped(libpython_path, &libpython_bytes)?,
    };

    let mut extensions = Vec::new();
    let mut not_bundled = Vec::new();
    for module in &analysis.modules {
        if module.kind != ModuleKind::Extension {
            continue;
        }
        let Some(origin) = module.origin.as_deref() else {
            continue;
        };
        let bytes = read(origin)?;
        let needs = elf::foreign_needed(&bytes).map_err(|source| NativeError::Elf {
            path: origin.to_owned(),
            source,
        })?;
        if needs.is_empty() {
            extensions.push(SharedObject {
                name: module.name.clone(),
                bytes: stripped(origin, &bytes)?,
            });
        } else {
            not_bundled.push(NotBundled {
                module: module.name.clone(),
                needs,
            });
        }
    }
    Ok(Native {
        libpython,
        extensions,
        not_bundled,
    })
}
