//! The native code the closure needs: libpython, the extension modules it
//! reaches, and the shared libraries those need beyond what every Linux system has, found
//! as the dynamic loader would find them here; each stripped. An extension module whose
//! libraries cannot be found is left out and reported.
//!
//! Stripping is most of the work (libpython has tens of megabytes of debug information),
//! so it runs on every core, and a stripped file is kept in the build cache under the
//! identity of the file it came from.

mod groups;
mod ldso;
mod ldso_cache;
mod mapping;
mod strip;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::build::analysis::{Analysis, ModuleKind};
use crate::cache::{self, Cache};
use crate::parallel;
pub(crate) use ldso::parse_dynamic;
#[cfg(test)]
pub(crate) use ldso::tests;
use ldso::LibraryError;
pub(crate) use mapping::{plan, CopyWhole};

/// A stripped shared object ready to be packed.
#[derive(Debug, Clone)]
pub(crate) struct SharedObject {
    /// Module name for an extension, soname for a library or libpython.
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
}

/// An extension module of the closure that was not bundled, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NotBundled {
    pub module: String,
    pub why: Unbundled,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unbundled {
    /// The libraries it needs, directly or not, that are nowhere on this machine.
    Missing(Vec<String>),
    /// Why libraries it needs, found here, could not be loaded from the bundle on
    /// another machine.
    Unloadable(Vec<String>),
}

#[derive(Debug, Clone)]
pub(crate) struct Native {
    pub(crate) libpython: SharedObject,
    pub(crate) extensions: Vec<SharedObject>,
    pub(crate) libraries: Vec<SharedObject>,
    /// For each bundled extension module and library, the bundled libraries to load
    /// before it, dependencies first, a group's members together in its plan's order.
    pub(crate) needs: BTreeMap<String, Vec<String>>,
    /// For each bundled extension module and library, the bundled libraries it names
    /// itself (`DT_NEEDED`): the links `pyfreeze why` shows.
    pub(crate) direct: BTreeMap<String, Vec<String>>,
    /// How each group of bundled libraries that need each other is loaded.
    pub(crate) groups: Vec<groups::Plan>,
    pub(crate) not_bundled: Vec<NotBundled>,
    /// The objects to copy whole at start rather than map from the bundle.
    pub(crate) copy_whole: CopyWhole,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum NativeError {
    #[error("the interpreter {} has no shared libpython (it was built without --enable-shared), and pyfreeze needs one to embed", .0.display())]
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
        source: strip::ElfError,
    },
    #[error(transparent)]
    Libraries(#[from] LibraryError),
    #[error("invalid --copy-native pattern `{pattern}`: {source}")]
    CopyPattern {
        pattern: String,
        #[source]
        source: globset::Error,
    },
}

impl crate::fault::Help for NativeError {
    fn help(&self) -> Option<String> {
        match self {
            NativeError::NoSharedLibpython(_) => Some(
                "use an interpreter built with it, e.g. `PYTHON_CONFIGURE_OPTS=--enable-shared \
                 pyenv install 3.12`, or your distribution's python3 package"
                    .to_owned(),
            ),
            NativeError::CopyPattern { .. } => Some(
                "give a native object's name as `pyfreeze ls` shows it, or a glob such as \
                 'libcrypto.so.*' or '*'"
                    .to_owned(),
            ),
            NativeError::Read { .. } | NativeError::Elf { .. } | NativeError::Libraries(_) => None,
        }
    }
}

impl crate::fault::Blame for NativeError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            NativeError::NoSharedLibpython(_) | NativeError::CopyPattern { .. } => {
                crate::fault::Fault::User
            }
            NativeError::Read { .. } | NativeError::Elf { .. } | NativeError::Libraries(_) => {
                crate::fault::Fault::Internal
            }
        }
    }
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
        strip::strip(&read(path)?).map_err(|source| NativeError::Elf {
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

/// Collects and strips libpython, the closure's extension modules and their libraries,
/// and plans how the stub loads libraries that need each other. An extension module is
/// left out when a library it needs is not on this machine, or could not be loaded from
/// the bundle.
/// `interpreter` is the interpreter as the user named it, for messages.
pub(crate) fn collect(
    analysis: &Analysis,
    interpreter: &Path,
    cache: Option<&Cache>,
    copy_whole: CopyWhole,
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
    let closure = ldso::closure(&objects)?;
    let reach = library_reach(&closure);

    // What each object (extension module or library) cannot have on its own account.
    let mut missing: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (object, soname) in &closure.unresolved {
        missing.entry(object).or_default().insert(soname.clone());
    }
    let mut unloadable: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (object, name, soname) in &closure.misnamed {
        let found = match soname {
            Some(soname) => format!("the file found is {soname} by its DT_SONAME"),
            None => "the file found has no DT_SONAME".to_owned(),
        };
        let why = format!(
            "{object} needs {name}, but {found}, and a library loaded from memory is found \
             by its DT_SONAME only"
        );
        unloadable.entry(object).or_default().insert(why);
    }
    // An object's problems and those of every library it reaches.
    let problems = |of: &BTreeMap<&str, BTreeSet<String>>, object: &str, needs: &[String]| {
        std::iter::once(object)
            .chain(needs.iter().map(String::as_str))
            .filter_map(|n| of.get(n))
            .flatten()
            .cloned()
            .collect::<BTreeSet<String>>()
    };

    let mut not_bundled = Vec::new();
    let mut bundled: Vec<(&str, &Path, &[String])> = Vec::new();
    for (name, origin) in &objects {
        let object_needs = closure.needs.get(name).map_or(&[][..], Vec::as_slice);
        let lacking = problems(&missing, name, object_needs);
        let failing = problems(&unloadable, name, object_needs);
        let why = if !lacking.is_empty() {
            Unbundled::Missing(lacking.into_iter().collect())
        } else if !failing.is_empty() {
            Unbundled::Unloadable(failing.into_iter().collect())
        } else {
            bundled.push((name, origin, object_needs));
            continue;
        };
        not_bundled.push(NotBundled {
            module: name.clone(),
            why,
        });
    }
    let used: BTreeSet<&str> = bundled
        .iter()
        .flat_map(|(_, _, needs)| needs.iter().map(String::as_str))
        .collect();
    let libraries: Vec<&ldso::SharedLibrary> = closure
        .libraries
        .iter()
        .filter(|l| used.contains(l.soname.as_str()))
        .collect();

    // libpython, by far the largest, first, so that the other cores do the rest meanwhile.
    let paths: Vec<&Path> = std::iter::once(libpython_path)
        .chain(bundled.iter().map(|(_, origin, _)| *origin))
        .chain(libraries.iter().map(|l| l.path.as_path()))
        .collect();
    let mut files = parallel::map(&paths, |path| stripped(path, cache))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter();
    let libpython = SharedObject {
        name: soname,
        bytes: files.next().expect("one stripped file per path"),
    };
    let mut extensions: Vec<SharedObject> = bundled
        .iter()
        .zip(files.by_ref())
        .map(|((name, _, _), bytes)| SharedObject {
            name: name.to_string(),
            bytes,
        })
        .collect();
    let mut libraries: Vec<SharedObject> = libraries
        .iter()
        .zip(files)
        .map(|(library, bytes)| SharedObject {
            name: library.soname.clone(),
            bytes,
        })
        .collect();

    // The groups, planned on the bytes that are bundled; the extension modules that need
    // a group that cannot be planned are left out after all.
    let mut plans = Vec::new();
    let mut unplannable: BTreeMap<&str, String> = BTreeMap::new();
    for group in closure
        .groups
        .iter()
        .filter(|g| used.contains(g[0].as_str()))
    {
        let members: Vec<(&str, &[u8])> = group
            .iter()
            .filter_map(|soname| {
                let library = libraries.iter().find(|l| &l.name == soname)?;
                Some((soname.as_str(), library.bytes.as_slice()))
            })
            .collect();
        match groups::plan(&members) {
            Ok(plan) => plans.push(plan),
            Err(error) => {
                for soname in group {
                    unplannable.insert(soname, error.to_string());
                }
            }
        }
    }
    if !unplannable.is_empty() {
        let mut kept = Vec::new();
        for ((name, _, needs), extension) in bundled.iter().zip(extensions) {
            let failing: BTreeSet<String> = needs
                .iter()
                .filter_map(|n| unplannable.get(n.as_str()).cloned())
                .collect();
            if failing.is_empty() {
                kept.push(extension);
            } else {
                not_bundled.push(NotBundled {
                    module: name.to_string(),
                    why: Unbundled::Unloadable(failing.into_iter().collect()),
                });
            }
        }
        extensions = kept;
    }
    not_bundled.sort_by(|a, b| a.module.cmp(&b.module));
    let kept: BTreeSet<&str> = extensions.iter().map(|e| e.name.as_str()).collect();
    let used: BTreeSet<&str> = bundled
        .iter()
        .filter(|(name, _, _)| kept.contains(name))
        .flat_map(|(_, _, needs)| needs.iter().map(String::as_str))
        .collect();
    libraries.retain(|l| used.contains(l.name.as_str()));
    plans.retain(|plan| used.contains(plan.members[0].0.as_str()));

    // The load order, a group's members in the order its plan maps them.
    let mut order: Vec<&str> = closure
        .libraries
        .iter()
        .map(|l| l.soname.as_str())
        .collect();
    for plan in &plans {
        let first = order
            .iter()
            .position(|soname| plan.members.iter().any(|(m, _)| m == soname))
            .expect("a group's members are libraries of the closure");
        for (at, (member, _)) in plan.members.iter().enumerate() {
            order[first + at] = member;
        }
    }
    let position: BTreeMap<&str, usize> =
        order.iter().enumerate().map(|(at, &s)| (s, at)).collect();
    let in_order = |set: &BTreeSet<&str>| -> Vec<String> {
        let mut list: Vec<&str> = set.iter().copied().collect();
        list.sort_by_key(|soname| position[soname]);
        list.into_iter().map(str::to_owned).collect()
    };
    let mut needs = BTreeMap::new();
    for (name, _, object_needs) in bundled.iter().filter(|(n, _, _)| kept.contains(n)) {
        if !object_needs.is_empty() {
            let set = object_needs.iter().map(String::as_str).collect();
            needs.insert(name.to_string(), in_order(&set));
        }
    }
    for library in &libraries {
        let set = &reach[library.name.as_str()];
        if !set.is_empty() {
            needs.insert(library.name.clone(), in_order(set));
        }
    }
    libraries.sort_by_key(|l| position[l.name.as_str()]);
    let mut direct: BTreeMap<String, Vec<String>> = closure
        .direct
        .into_iter()
        .filter(|(name, named)| kept.contains(name.as_str()) && !named.is_empty())
        .collect();
    for library in closure
        .libraries
        .iter()
        .filter(|l| used.contains(l.soname.as_str()))
    {
        if !library.needs.is_empty() {
            direct.insert(library.soname.clone(), library.needs.clone());
        }
    }
    Ok(Native {
        libpython,
        extensions,
        libraries,
        needs,
        direct,
        groups: plans,
        not_bundled,
        copy_whole,
    })
}

/// For each library of the closure, every other library it reaches through its needs.
fn library_reach(closure: &ldso::Closure) -> BTreeMap<&str, BTreeSet<&str>> {
    let direct: BTreeMap<&str, &[String]> = closure
        .libraries
        .iter()
        .map(|l| (l.soname.as_str(), l.needs.as_slice()))
        .collect();
    direct
        .keys()
        .map(|&soname| {
            let mut reached = BTreeSet::new();
            let mut stack: Vec<&str> = direct[soname].iter().map(String::as_str).collect();
            while let Some(next) = stack.pop() {
                if next != soname && reached.insert(next) {
                    stack.extend(
                        direct
                            .get(next)
                            .into_iter()
                            .flat_map(|n| n.iter().map(String::as_str)),
                    );
                }
            }
            (soname, reached)
        })
        .collect()
}
