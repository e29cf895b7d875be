//! The build summary's `biggest:` line: which parts of the app the bundle's bytes are for.
//!
//! Every entry counts, with the bytes it takes in the file (stored, compressed or not),
//! for one part: libpython for itself; the standard library's modules, sources and
//! extension modules for `stdlib`; any other module for its top-level package (`numpy`,
//! the app's `__main__`; the runtime's own modules for `pyfreeze`); a data file for the package it is the data of, a distribution's
//! metadata for the top-level name of its directory (`attrs-23.1.0.dist-info` for
//! `attrs`); a shared library for the part of the first extension module (by name) that
//! needs it, so that numpy's OpenBLAS counts for numpy and libssl for `stdlib`. What only
//! the stub reads to load them (needs lists, groups, left-out notes, the build
//! information) is too small to count. The stub itself is not an entry.

use std::collections::BTreeMap;
use std::path::Path;

use pyfreeze_archive::boot::STUB_MODULE;
use pyfreeze_archive::{Bundle, Kind};

use crate::why::{size, BuildInfo, Unreadable, WhyError};

/// The part for the standard library.
const STDLIB: &str = "stdlib";
/// The part for the runtime's own Python, whose modules' names all start with
/// [`STUB_MODULE`].
const RUNTIME: &str = "pyfreeze";

/// One part of the bundle, with the bytes it takes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Contributor {
    pub name: String,
    pub bytes: u64,
    /// Its biggest shared library, with that library's bytes (counted in `bytes`).
    pub library: Option<(String, u64)>,
}

/// The part the module `name` counts for, one of the standard library's if `stdlib`.
pub(crate) fn part_of(name: &str, stdlib: bool) -> String {
    if stdlib {
        STDLIB.to_owned()
    } else if name.starts_with(STUB_MODULE) {
        RUNTIME.to_owned()
    } else {
        name.split('.').next().unwrap_or(name).to_owned()
    }
}

/// The part the bundled module `name` counts for.
fn part_of_module(info: &BuildInfo, name: &str) -> String {
    match info.modules.get(name) {
        Some(module) => module.part.clone(),
        None => part_of(name, false),
    }
}

/// The `count` biggest parts of the bundle at `binary`, biggest first.
pub(crate) fn biggest(binary: &Path, count: usize) -> Result<Vec<Contributor>, WhyError> {
    let bytes = fs_err::read(binary)?;
    parts(&bytes, count).map_err(|problem| problem.of(binary))
}

fn parts(bytes: &[u8], count: usize) -> Result<Vec<Contributor>, Unreadable> {
    let bundle = Bundle::parse(bytes)?;
    let info = BuildInfo::of(&bundle)?;
    let mut parts: BTreeMap<String, Contributor> = BTreeMap::new();
    for entry in bundle.entries() {
        let entry = entry?;
        let name = entry.name;
        let part = match entry.kind {
            Kind::Module | Kind::Source | Kind::Extension => part_of_module(&info, name),
            Kind::LibPython => "libpython".to_owned(),
            Kind::Library => match info.needed_by(name).first() {
                Some(extension) => part_of_module(&info, extension),
                None => name.to_owned(),
            },
            Kind::Data => match info.data.get(name).cloned().flatten() {
                Some(package) => part_of_module(&info, &package),
                None => {
                    let dir = name.split('/').next().unwrap_or(name);
                    dir.split('-').next().unwrap_or(dir).to_owned()
                }
            },
            Kind::Disk => name.split('/').next().unwrap_or(name).to_owned(),
            Kind::Needs | Kind::Group | Kind::Mapping | Kind::LeftOut | Kind::BuildInfo => continue,
        };
        let stored = entry.stored.len() as u64;
        let contributor = parts.entry(part.clone()).or_insert(Contributor {
            name: part,
            bytes: 0,
            library: None,
        });
        contributor.bytes += stored;
        if entry.kind == Kind::Library
            && contributor
                .library
                .as_ref()
                .is_none_or(|(_, b)| *b < stored)
        {
            contributor.library = Some((name.to_owned(), stored));
        }
    }
    let mut parts: Vec<Contributor> = parts.into_values().collect();
    parts.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
    parts.truncate(count);
    Ok(parts)
}

/// `biggest: libpython 7.0 MB, stdlib 3.1 MB (with libcrypto.so.3 1.9 MB), ...`, or
/// nothing for an empty list.
pub fn biggest_line(parts: &[Contributor]) -> Option<String> {
    if parts.is_empty() {
        return None;
    }
    let parts: Vec<String> = parts
        .iter()
        .map(|part| match &part.library {
            Some((library, bytes)) => format!(
                "{} {} (with {library} {})",
                part.name,
                size(part.bytes),
                size(*bytes)
            ),
            None => format!("{} {}", part.name, size(part.bytes)),
        })
        .collect();
    Some(format!("biggest: {}", parts.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_each_part_with_its_biggest_library() {
        let parts = [
            Contributor {
                name: "numpy".to_owned(),
                bytes: 18_200_000,
                library: Some(("libopenblas.so.0".to_owned(), 14_000_000)),
            },
            Contributor {
                name: "libpython".to_owned(),
                bytes: 4_100_000,
                library: None,
            },
        ];
        assert_eq!(
            biggest_line(&parts).unwrap(),
            "biggest: numpy 18.2 MB (with libopenblas.so.0 14.0 MB), libpython 4.1 MB"
        );
        assert_eq!(biggest_line(&[]), None);
    }
}
