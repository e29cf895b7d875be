//! Step 3: the native code the closure needs: libpython, the extension modules it
//! reaches, and the shared libraries those need beyond what every Linux system has, found
//! as the dynamic loader would find them here; each stripped. An extension module whose
//! libraries cannot be found is left out and reported.
//!
//! Stripping is most of the work (libpython has tens of megabytes of debug information),
//! so it runs on every core, and a stripped file is kept in the build cache under the
//! identity of the file it came from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::analysis::{Analysis, ModuleKind};
use crate::cache::{self, Cache};
use crate::libraries::{self, LibraryError};
use crate::{elf, parallel};

/// A stripped shared object ready to be packed.
#[derive(Debug, Clone)]
pub struct SharedObject {
    /// Module name for an extension, soname for a library or libpython.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// An extension module of the closure that was not bundled: the libraries it needs that
/// are nowhere on this machine.
#[derive(Debug, Clone)]
pub struct NotBundled {
    pub module: String,
    pub needs: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Native {
    pub libpython: SharedObject,
    pub extensions: Vec<SharedObject>,
    pub libraries: Vec<SharedObject>,
    /// For each bundled extension module and library, the bundled libraries to load
    /// before it, dependencies first.
    pub needs: BTreeMap<String, Vec<String>>,
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
    #[error(transparent)]
    Libraries(#[from] LibraryError),
}

fn read(path: &Path) -> Result<Vec<u8>, NativeError> {
    fs_err::read(path).map_err(|source| NativeError::Read {
        path: path.to_owned(),
        source,
    })
}

/// The file at `path`, stripped: from the cache if it holds this very file.
fn stripped(path: &Path, cache: Option<&Cache>) -> Result<Vec<u8>, NativeError> {
    let strip = || {
        elf::strip(&read(path)?).map_err(|source| NativeError::Elf {
            path: path.to_owned(),
            source,
        })
    };
    let Some(cache) = cache else {
        return strip();
    };
    // The file's identity, taken before it is read: were it changed meanwhile, what is
    // stored would be under an identity that never comes back. Hashing the contents
    // instead would cost reading all of libpython at every build.
    let Ok(meta) = std::fs::metadata(path) else {
        return strip();
    };
    let key = cache.key(cache::Kind::Native).file_identity(&meta).finish();
    let cached = cache.get(cache::Kind::Native, &key);
    cache.note(cache::Kind::Native, cached.is_some());
    if let Some(bytes) = cached {
        return Ok(bytes);
    }
    let bytes = strip()?;
    cache.put(cache::Kind::Native, &key, &bytes);
    Ok(bytes)
}

/// Collects and strips libpython, the closure's extension modules and their libraries.
/// `interpreter` is the interpreter as the user named it, for messages.
pub fn collect(
    analysis: &Analysis,
    interpreter: &Path,
    cache: Option<&Cache>,
) -> Result<Native, NativeError> {
    let python = &analysis.python;
    let libpython_path = python
        .libpython
        .as_deref()
        .ok_or_else(|| NativeError::NoSharedLibpython(interpreter.to_owned()))?;
    let soname = libpython_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("libpython{}.{}.so.1.0", python.major, python.minor));

    let objects: Vec<(String, PathBuf)> = analysis
        .modules
        .iter()
        .filter(|m| m.kind == ModuleKind::Extension)
        .filter_map(|m| Some((m.name.clone(), m.origin.clone()?)))
        .collect();
    let closure = libraries::closure(&objects)?;

    // What cannot be found, and every library that needs it, directly or not.
    let mut missing: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (object, soname) in &closure.unresolved {
        missing
            .entry(object.clone())
            .or_default()
            .insert(soname.clone());
    }
    for library in &closure.libraries {
        let inherited: BTreeSet<String> = library
            .needs
            .iter()
            .filter_map(|need| missing.get(need))
            .flatten()
            .cloned()
            .collect();
        if !inherited.is_empty() {
            missing
                .entry(library.soname.clone())
                .or_default()
                .extend(inherited);
        }
    }

    let mut extensions = Vec::new();
    let mut extension_paths = Vec::new();
    let mut not_bundled = Vec::new();
    let mut needs = BTreeMap::new();
    let mut used = BTreeSet::new();
    for (name, origin) in &objects {
        let object_needs = closure.needs.get(name).cloned().unwrap_or_default();
        let lacking: BTreeSet<String> = std::iter::once(name)
            .chain(&object_needs)
            .filter_map(|n| missing.get(n))
            .flatten()
            .cloned()
            .collect();
        if !lacking.is_empty() {
            not_bundled.push(NotBundled {
                module: name.clone(),
                needs: lacking.into_iter().collect(),
            });
            continue;
        }
        extensions.push(name.clone());
        extension_paths.push(origin.as_path());
        if !object_needs.is_empty() {
            used.extend(object_needs.iter().cloned());
            needs.insert(name.clone(), object_needs);
        }
    }

    // `closure.libraries` is in load order, so a library's own needs, in that order, are
    // the libraries before it that it reaches.
    let mut libraries = Vec::new();
    let mut library_paths = Vec::new();
    let mut reach: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for library in &closure.libraries {
        let mut reached = BTreeSet::new();
        for need in &library.needs {
            reached.insert(need.as_str());
            reached.extend(reach.get(need.as_str()).into_iter().flatten().copied());
        }
        reach.insert(&library.soname, reached);
    }
    for library in closure
        .libraries
        .iter()
        .filter(|l| used.contains(&l.soname))
    {
        let reached = &reach[library.soname.as_str()];
        let library_needs: Vec<String> = closure
            .libraries
            .iter()
            .map(|l| l.soname.clone())
            .filter(|soname| reached.contains(soname.as_str()))
            .collect();
        if !library_needs.is_empty() {
            needs.insert(library.soname.clone(), library_needs);
        }
        libraries.push(library.soname.clone());
        library_paths.push(library.path.as_path());
    }

    // libpython, by far the largest, first, so that the other cores do the rest meanwhile.
    let paths: Vec<&Path> = std::iter::once(libpython_path)
        .chain(extension_paths)
        .chain(library_paths)
        .collect();
    let mut files = parallel::map(&paths, |path| stripped(path, cache))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter();
    let mut object = |name: String| SharedObject {
        name,
        bytes: files.next().expect("one stripped file per path"),
    };
    let libpython = object(soname);
    let extensions = extensions.into_iter().map(&mut object).collect();
    let libraries = libraries.into_iter().map(&mut object).collect();
    Ok(Native {
        libpython,
        extensions,
        libraries,
        needs,
        not_bundled,
    })
}
