//! `pyfreeze why BINARY NAME` (and `pyfreeze build --why NAME`): why a module, extension
//! module, library or data file is in a bundle, or why a module is not.
//!
//! The build stores what it knew in the bundle, as its one [`Kind::BuildInfo`] entry
//! ([`BuildInfo`], JSON), which the stub never reads: for each module the import that
//! brought it in (the importer through which the fewest imports reach it, with the line
//! of the importer's file), for each extension module and library the libraries it names
//! (`DT_NEEDED`), for each data file what it came with, and the imports that were not
//! found. Sizes and how each entry is stored are read from the bundle's index itself.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use pyfreeze_archive::{Bundle, Compression, Entry, Kind, BUILD_INFO_NAME};
use serde::{Deserialize, Serialize};

use crate::build::analysis::{Analysis, BroughtBy, Missing};
use crate::build::native::{Native, NotBundled, Unbundled};
use crate::platforms;

/// What a build knew of why each entry is in its bundle: the [`Kind::BuildInfo`] entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct BuildInfo {
    /// Every bundled module and extension module.
    pub(crate) modules: BTreeMap<String, ModuleInfo>,
    /// Every bundled extension module and library that needs bundled libraries: those it
    /// names itself (`DT_NEEDED`).
    pub(crate) needs: BTreeMap<String, Vec<String>>,
    /// Every data file (`Kind::Data`): the package it is the data of, if any (else it is a
    /// distribution's metadata).
    pub(crate) data: BTreeMap<String, Option<String>>,
    /// The imports no finder resolved, with their importers.
    pub(crate) missing: Vec<Missing>,
    /// The extension modules of the closure that were not bundled, and why.
    pub(crate) not_bundled: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ModuleInfo {
    pub(crate) brought_by: Option<BroughtBy>,
    /// The part of the app its bytes count for in the build summary (see
    /// [`crate::sizes`]).
    pub(crate) part: String,
}

impl BuildInfo {
    /// What the build knows, from the analysis and the native code it bundles.
    pub(crate) fn new(analysis: &Analysis, native: &Native) -> Self {
        let modules = analysis
            .modules
            .iter()
            .map(|m| {
                let info = ModuleInfo {
                    brought_by: m.brought_by.clone(),
                    part: crate::sizes::part_of(&m.name, m.stdlib),
                };
                (m.name.clone(), info)
            })
            .collect();
        let packages: BTreeSet<String> = analysis
            .modules
            .iter()
            .filter(|m| m.is_package)
            .map(|m| m.name.replace('.', "/"))
            .collect();
        let data = analysis
            .data
            .iter()
            .map(|file| {
                // The deepest bundled package whose directory holds it.
                let mut dir = file.name.as_str();
                let package = loop {
                    match dir.rsplit_once('/') {
                        Some((parent, _)) if packages.contains(parent) => {
                            break Some(parent.replace('/', "."))
                        }
                        Some((parent, _)) => dir = parent,
                        None => break None,
                    }
                };
                (file.name.clone(), package)
            })
            .collect();
        BuildInfo {
            modules,
            needs: native.direct.clone(),
            data,
            missing: analysis.missing.clone(),
            not_bundled: native
                .not_bundled
                .iter()
                .map(|n| (n.module.clone(), not_bundled_why(n)))
                .collect(),
        }
    }

    /// The entry's contents.
    pub(crate) fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("plain data serialises")
    }

    /// The bundle's, read from its [`Kind::BuildInfo`] entry.
    pub(crate) fn of(bundle: &Bundle<'_>) -> Result<Self, Unreadable> {
        let entry = bundle
            .find(Kind::BuildInfo, BUILD_INFO_NAME)?
            .ok_or(Unreadable::NoBuildInfo)?;
        serde_json::from_slice(&entry.contents()?)
            .map_err(|e| Unreadable::BadBuildInfo(e.to_string()))
    }

    /// The extension modules (by name) that need the library `soname`, directly or not.
    pub(crate) fn needed_by(&self, soname: &str) -> Vec<String> {
        self.modules
            .keys()
            .filter(|name| {
                self.needs.contains_key(*name) && self.library_chain(name, soname).is_some()
            })
            .cloned()
            .collect()
    }

    /// The shortest chain of `DT_NEEDED`s from `from` to `soname`, both included.
    fn library_chain(&self, from: &str, soname: &str) -> Option<Vec<String>> {
        let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([from]);
        while let Some(object) = queue.pop_front() {
            if object == soname {
                let mut chain = vec![soname.to_owned()];
                let mut at = soname;
                while let Some(&previous) = came_from.get(at) {
                    chain.push(previous.to_owned());
                    at = previous;
                }
                chain.reverse();
                return Some(chain);
            }
            for next in self.needs.get(object).into_iter().flatten() {
                if next != from && !came_from.contains_key(next.as_str()) {
                    came_from.insert(next, object);
                    queue.push_back(next);
                }
            }
        }
        None
    }

    /// `name`'s chain of imports from what the closure started with, as the summary line
    /// prints it, and what its first module was started for.
    fn import_chain(&self, name: &str) -> Option<(String, String)> {
        let mut links: Vec<(&str, String)> = Vec::new();
        let mut at = name;
        let mut seen = BTreeSet::new();
        let root = loop {
            if !seen.insert(at) {
                return None;
            }
            match &self.modules.get(at)?.brought_by {
                None => return None,
                Some(BroughtBy::Root { root }) => break root.clone(),
                Some(BroughtBy::Import {
                    by,
                    file,
                    line,
                    via,
                }) => {
                    let place = match (file, line, via) {
                        (Some(file), Some(line), _) => format!(" ({file}:{line})"),
                        (_, _, Some(via)) => format!(" ({via})"),
                        _ => String::new(),
                    };
                    links.push((by, place));
                    at = by;
                }
            }
        };
        let mut chain = String::new();
        for (module, place) in links.iter().rev() {
            let _ = write!(chain, "{module}{place} -> ");
        }
        chain.push_str(name);
        Some((chain, format!("{at}: {root}")))
    }
}

fn not_bundled_why(not: &NotBundled) -> String {
    match &not.why {
        Unbundled::Missing(needs) => format!(
            "shared libraries it needs are not on the machine that built it: {}",
            needs.join(", ")
        ),
        Unbundled::Unloadable(why) => format!(
            "shared libraries it needs could not be loaded from the bundle: {}",
            why.join("; ")
        ),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WhyError {
    #[error(transparent)]
    Read(#[from] std::io::Error),
    /// What is wrong is part of the message, not a cause: said once.
    #[error("{}: {problem}", path.display())]
    Bundle { path: PathBuf, problem: Unreadable },
    #[error("{}: `{name}` is no module, extension module, library or data file of the bundle, nor a module its build left out or did not find", binary.display())]
    Unknown {
        binary: PathBuf,
        name: String,
        help: String,
    },
}

impl crate::fault::Help for WhyError {
    fn help(&self) -> Option<String> {
        match self {
            WhyError::Unknown { help, .. } => Some(help.clone()),
            WhyError::Bundle {
                problem: Unreadable::NoBuildInfo | Unreadable::BadBuildInfo(_),
                ..
            } => Some("build it again with this pyfreeze".to_owned()),
            WhyError::Bundle {
                problem: Unreadable::Format(pyfreeze_archive::Error::NotABundle),
                ..
            } => Some("give an executable made by `pyfreeze build`".to_owned()),
            // The archive's other errors say their fix themselves, as the stub prints them.
            WhyError::Read(_) | WhyError::Bundle { .. } => None,
        }
    }
}

/// Why a file is not a bundle `pyfreeze why` can read.
#[derive(Debug, thiserror::Error)]
pub enum Unreadable {
    #[error(transparent)]
    Format(#[from] pyfreeze_archive::Error),
    #[error("the bundle has no build information (entry `{BUILD_INFO_NAME}`)")]
    NoBuildInfo,
    #[error("the bundle's build information is not what this pyfreeze writes: {0}")]
    BadBuildInfo(String),
}

impl Unreadable {
    pub(crate) fn of(self, path: &Path) -> WhyError {
        WhyError::Bundle {
            path: path.to_owned(),
            problem: self,
        }
    }
}

impl crate::fault::Blame for WhyError {
    /// The bundle and the name are the user's arguments.
    fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::User
    }
}

/// A size for people: bytes below a kilobyte, kB below a megabyte, MB from there.
pub(crate) fn size(bytes: u64) -> String {
    if bytes < 1_000 {
        format!("{bytes} B")
    } else if bytes < 1_000_000 {
        format!("{:.1} kB", bytes as f64 / 1e3)
    } else {
        format!("{:.1} MB", bytes as f64 / 1e6)
    }
}

/// How an entry is stored, and why so: "12.0 kB stored raw (...)", "3.1 kB stored
/// compressed (12.6 kB uncompressed; ...)". The build stores raw what the stub may use at
/// start-up straight from its mapping, and compresses what may never be read.
fn stored(entry: &Entry<'_>) -> String {
    let bytes = entry.stored.len() as u64;
    let raw = entry.compression == Compression::None;
    let why = match (entry.kind, raw) {
        (Kind::Module, true) if entry.is_bootstrap() => "in CPython's frozen table",
        (Kind::Module | Kind::Extension, true) => "the app may import it while it starts",
        (Kind::Module, false) if entry.is_locale_codec() => {
            "CPython needs it only in a locale of its encoding"
        }
        (Kind::Module | Kind::Extension, false) => {
            "cold: no import that may run while the app starts reaches it"
        }
        (Kind::Library, true) => "an extension module the app may import while it starts needs it",
        (Kind::Library, false) => "only cold extension modules need it",
        (Kind::Source, _) => "read only for tracebacks and inspect",
        (Kind::LibPython, _) => "loaded at every start",
        _ => "read only when code asks for it",
    };
    if raw {
        format!("{} stored raw ({why})", size(bytes))
    } else {
        format!(
            "{} stored compressed ({} uncompressed; {why})",
            size(bytes),
            size(entry.original_len)
        )
    }
}

/// Why `name` is in the bundle at `binary`, or not, in a few lines.
pub fn explain(binary: &Path, name: &str) -> Result<String, WhyError> {
    let bytes = fs_err::read(binary)?;
    match describe(&bytes, name).map_err(|problem| problem.of(binary))? {
        Ok(text) => Ok(text),
        Err(help) => Err(WhyError::Unknown {
            binary: binary.to_owned(),
            name: name.to_owned(),
            help,
        }),
    }
}

/// What [`explain`] says of `name`, or, for a name the bundle does not know, the help
/// line that names the closest ones.
fn describe(bytes: &[u8], name: &str) -> Result<Result<String, String>, Unreadable> {
    let bundle = Bundle::parse(bytes)?;
    let info = BuildInfo::of(&bundle)?;
    let mut out = String::new();
    let chain = |out: &mut String, module: &str| {
        if let Some((chain, root)) = info.import_chain(module) {
            if chain != module {
                let _ = writeln!(out, "  {chain}");
            }
            let _ = writeln!(out, "  {root}");
        }
    };
    if let Some(code) = bundle.find(Kind::Module, name)? {
        let what = if code.is_namespace() {
            "namespace package".to_owned()
        } else {
            format!("code {}", stored(&code))
        };
        let _ = write!(out, "module {name}: {what}");
        if let Some(source) = bundle.find(Kind::Source, name)? {
            let _ = write!(out, "; source {}", stored(&source));
        }
        out.push('\n');
        chain(&mut out, name);
    }
    if let Some(extension) = bundle.find(Kind::Extension, name)? {
        let _ = writeln!(out, "extension module {name}: {}", stored(&extension));
        chain(&mut out, name);
        if let Some(needs) = info.needs.get(name) {
            let _ = writeln!(out, "  needs {}", needs.join(", "));
        }
    }
    if let Some(library) = bundle.find(Kind::Library, name)? {
        let _ = writeln!(out, "library {name}: {}", stored(&library));
        let needed_by = info.needed_by(name);
        for extension in &needed_by {
            if let Some(links) = info.library_chain(extension, name) {
                let _ = writeln!(out, "  {}", links.join(" -> "));
            }
        }
        // The import chain of the extension module the fewest imports reach.
        let nearest = needed_by.iter().min_by_key(|extension| {
            info.import_chain(extension)
                .map_or(usize::MAX, |(chain, _)| chain.matches(" -> ").count())
        });
        if let Some(nearest) = nearest {
            chain(&mut out, nearest);
        }
    }
    if let Some(libpython) = bundle.find(Kind::LibPython, name)? {
        let _ = writeln!(
            out,
            "libpython {name}: {}\n  the interpreter itself, in every bundle",
            stored(&libpython)
        );
    }
    if let Some(data) = bundle.find(Kind::Data, name)? {
        let _ = writeln!(out, "data file {name}: {}", stored(&data));
        match info.data.get(name).cloned().flatten() {
            Some(package) => {
                let _ = writeln!(out, "  a file of package {package}, bundled with it");
                chain(&mut out, &package);
            }
            None => {
                let _ = writeln!(
                    out,
                    "  metadata of an installed distribution that provides a bundled module, \
                     or that code reads by name (importlib.metadata)"
                );
            }
        }
    }
    if let Some(disk) = bundle.find(Kind::Disk, name)? {
        let _ = writeln!(
            out,
            "file {name}, written to disk when the bundle starts: {}\n  asked for by \
             --collect-to-disk, or put there because code opens its package's files by path",
            stored(&disk)
        );
    }
    if let Some(left) = bundle.find(Kind::LeftOut, name)? {
        let _ = writeln!(
            out,
            "module {name}: not in the bundle: {}",
            String::from_utf8_lossy(&left.contents()?).trim_end()
        );
    }
    if let Some(why) = info.not_bundled.get(name) {
        let _ = writeln!(out, "extension module {name}: not in the bundle: {why}");
        chain(&mut out, name);
    }
    if let Some(missing) = info.missing.iter().find(|m| m.name == name) {
        out.push_str(&not_found(missing));
    }
    if out.is_empty() {
        return Ok(Err(suggest(&bundle, &info, name)?));
    }
    Ok(Ok(out))
}

/// What `pyfreeze why` says of an import that nothing resolved.
fn not_found(missing: &Missing) -> String {
    let importers: Vec<String> = missing
        .imported_by
        .iter()
        .map(|by| match missing.places.get(by) {
            Some(place) => format!("{by} ({place})"),
            None => by.clone(),
        })
        .collect();
    let by = if importers.is_empty() {
        "--include".to_owned()
    } else {
        importers.join(", ")
    };
    let mut out = format!(
        "module {}: not in the bundle: not found on the machine that built it; imported by {by}\n",
        missing.name
    );
    if platforms::is_other_platforms(&missing.name) {
        out.push_str(
            "  a module of other platforms than Linux: their code imports it only where it exists\n",
        );
    } else {
        out.push_str("  importing it raises ImportError; install it for the interpreter and build again if it is needed\n");
    }
    out
}

/// The `help:` of an unknown name: the names of the bundle closest to it.
fn suggest(bundle: &Bundle<'_>, info: &BuildInfo, name: &str) -> Result<String, Unreadable> {
    let mut names: BTreeSet<&str> = info.missing.iter().map(|m| m.name.as_str()).collect();
    for entry in bundle.entries() {
        let entry = entry?;
        if !matches!(entry.kind, Kind::Needs | Kind::Group | Kind::BuildInfo) {
            names.insert(entry.name);
        }
    }
    let mut close: Vec<(f64, &str)> = names
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .collect();
    close.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    Ok(if close.is_empty() {
        "`pyfreeze ls BINARY` lists what the bundle holds".to_owned()
    } else {
        let names: Vec<&str> = close.iter().take(3).map(|(_, n)| *n).collect();
        format!("did you mean {}?", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(by: &str, line: Option<u32>) -> Option<BroughtBy> {
        Some(BroughtBy::Import {
            by: by.to_owned(),
            file: line.map(|_| format!("{by}.py")),
            line,
            via: None,
        })
    }

    #[test]
    fn chains_run_from_the_root_with_each_importers_line() {
        let module = |brought_by| ModuleInfo {
            brought_by,
            part: String::new(),
        };
        let info = BuildInfo {
            modules: BTreeMap::from([
                (
                    "__main__".to_owned(),
                    module(Some(BroughtBy::Root {
                        root: "the app's entry point".to_owned(),
                    })),
                ),
                ("json".to_owned(), module(import("__main__", Some(3)))),
                ("json.decoder".to_owned(), module(import("json", None))),
                ("_json".to_owned(), module(import("json.decoder", Some(6)))),
            ]),
            needs: BTreeMap::from([
                ("_ssl".to_owned(), vec!["libssl.so.3".to_owned()]),
                ("libssl.so.3".to_owned(), vec!["libcrypto.so.3".to_owned()]),
            ]),
            ..BuildInfo::default()
        };
        assert_eq!(
            info.import_chain("_json"),
            Some((
                "__main__ (__main__.py:3) -> json -> json.decoder (json.decoder.py:6) -> _json"
                    .to_owned(),
                "__main__: the app's entry point".to_owned()
            ))
        );
        assert_eq!(info.import_chain("unknown"), None);
        assert_eq!(
            info.library_chain("_ssl", "libcrypto.so.3").unwrap(),
            ["_ssl", "libssl.so.3", "libcrypto.so.3"]
        );
        assert_eq!(info.library_chain("libcrypto.so.3", "libssl.so.3"), None);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(999), "999 B");
        assert_eq!(size(1_050), "1.1 kB");
        assert_eq!(size(18_200_000), "18.2 MB");
    }
}
