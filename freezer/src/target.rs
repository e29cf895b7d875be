//! The machines a bundle runs on: its CPU architecture, the oldest glibc that has every
//! symbol version its native code asks for, and the system libraries it does not carry.
//!
//! A bundle carries all its native code but the system libraries (glibc, its loader and
//! libgcc_s), and the dynamic loader refuses to start a program that asks for a symbol
//! version its glibc lacks (`version 'GLIBC_2.34' not found`). So the newest `GLIBC_x.y`
//! the stub, libpython, the extension modules or the bundled libraries ask for is the
//! oldest glibc the bundle runs on.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use object::elf;
use serde::Serialize;

use crate::build::native::parse_dynamic;

/// What the requirement calls the stub, whatever file it was built from.
pub const STUB: &str = "pyfreeze-stub";

/// A version number such as glibc's `2.28` or `2.2.5`, ordered as numbers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(Vec<u32>);

#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a glibc version; give one such as 2.28 or 2.17")]
pub struct BadVersion(String);

impl FromStr for Version {
    type Err = BadVersion;

    fn from_str(text: &str) -> Result<Self, BadVersion> {
        let parts: Option<Vec<u32>> = text
            .split('.')
            .map(|part| {
                (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| part.parse().ok())
                    .flatten()
            })
            .collect();
        match parts {
            Some(parts) if parts.len() >= 2 => Ok(Version(parts)),
            _ => Err(BadVersion(text.to_owned())),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u32::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The glibc a symbol version names: `GLIBC_2.34` is 2.34. `GLIBC_ABI_DT_RELR` marks
/// objects linked with packed relative relocations, which glibc loads since 2.36;
/// `GLIBC_PRIVATE` ties an object to the very glibc it was built with, which only glibc's
/// own libraries ask for, and names no release.
fn glibc_of(version: &str) -> Option<Version> {
    match version.strip_prefix("GLIBC_")? {
        "ABI_DT_RELR" => Some(Version(vec![2, 36])),
        number => number.parse().ok(),
    }
}

/// The newest glibc one object needs, and the symbol version that says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GlibcNeed {
    pub version: Version,
    pub symbol_version: String,
}

/// What one object of the bundle needs of the system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectNeeds {
    /// [`STUB`], libpython's soname, an extension module or a library.
    pub name: String,
    pub glibc: Option<GlibcNeed>,
}

/// A library the bundle needs but does not carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SystemLibrary {
    pub name: String,
    /// The newest symbol version asked of it in each family (`GLIBC_2.34`, `GCC_4.2.0`,
    /// `GLIBCXX_3.4.29`...).
    pub versions: Vec<String>,
}

/// The machines a bundle runs on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The CPU architecture, as the stub's ELF header says.
    pub arch: String,
    /// The oldest glibc it runs on; none if nothing asks for a glibc version.
    pub glibc: Option<Version>,
    pub objects: Vec<ObjectNeeds>,
    /// What it loads from the system, by the names it asks for (`DT_NEEDED`).
    pub system_libraries: Vec<SystemLibrary>,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("{object}: not a 64-bit ELF object pyfreeze can read: {reason}")]
    Elf { object: String, reason: String },
    #[error(
        "the bundle needs glibc {needed}, newer than --min-glibc {limit}: {}",
        culprits.iter().map(|(object, version)| format!("{object} ({version})")).collect::<Vec<_>>().join(", ")
    )]
    TooNew {
        needed: Version,
        limit: Version,
        /// Each object that needs more than the limit, with the symbol version it asks
        /// for, the neediest first.
        culprits: Vec<(String, String)>,
    },
}

impl crate::fault::Help for TargetError {
    fn help(&self) -> Option<String> {
        match self {
            TargetError::TooNew { .. } => Some(
                "build on a machine with an older glibc (a container of the oldest distribution \
                 you support), with a Python and a pyfreeze-stub built there: a bundle runs on \
                 the glibc it was built with and newer ones"
                    .to_owned(),
            ),
            TargetError::Elf { .. } => None,
        }
    }
}

impl crate::fault::Blame for TargetError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            TargetError::TooNew { .. } => crate::fault::Fault::User,
            TargetError::Elf { .. } => crate::fault::Fault::Internal,
        }
    }
}

/// The name of an ELF machine, as people say it.
fn arch_name(machine: u16) -> String {
    match machine {
        elf::EM_X86_64 => "x86-64".to_owned(),
        elf::EM_AARCH64 => "AArch64".to_owned(),
        elf::EM_PPC64 => "ppc64".to_owned(),
        elf::EM_S390 => "s390x".to_owned(),
        elf::EM_RISCV => "RISC-V".to_owned(),
        other => format!("ELF machine {other}"),
    }
}

/// The family of a symbol version and its number: `GCC_4.2.0` is (`GCC`, 4.2.0).
fn family(version: &str) -> Option<(&str, Version)> {
    let (family, number) = version.rsplit_once('_')?;
    Some((family, number.parse().ok()?))
}

/// What `objects` need of the system: the stub first (whose machine the bundle is for),
/// then libpython, extension modules and libraries, each a name and its ELF bytes.
/// `bundled` are the names of the libraries the bundle carries (libpython's among them).
pub fn of<'a>(
    objects: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    bundled: &BTreeSet<&str>,
) -> Result<Target, TargetError> {
    let mut arch = None;
    let mut needs = Vec::new();
    let mut asked: BTreeMap<String, BTreeMap<String, (Version, String)>> = BTreeMap::new();
    for (name, bytes) in objects {
        let dynamic = parse_dynamic(bytes).map_err(|reason| TargetError::Elf {
            object: name.to_owned(),
            reason,
        })?;
        arch.get_or_insert(dynamic.machine);
        for needed in &dynamic.needed {
            if !bundled.contains(needed.as_str()) {
                asked.entry(needed.clone()).or_default();
            }
        }
        let mut glibc: Option<GlibcNeed> = None;
        for (file, version) in &dynamic.version_needs {
            if let Some(number) = glibc_of(version) {
                if glibc.as_ref().is_none_or(|g| number > g.version) {
                    glibc = Some(GlibcNeed {
                        version: number,
                        symbol_version: version.clone(),
                    });
                }
            }
            if bundled.contains(file.as_str()) {
                continue;
            }
            let families = asked.entry(file.clone()).or_default();
            match family(version) {
                Some((name, number)) => {
                    let newest = families
                        .entry(name.to_owned())
                        .or_insert((number.clone(), version.clone()));
                    if number > newest.0 {
                        *newest = (number, version.clone());
                    }
                }
                // A version without a number (GLIBC_PRIVATE) is a family of its own.
                None => {
                    families
                        .entry(version.clone())
                        .or_insert((Version(Vec::new()), version.clone()));
                }
            }
        }
        needs.push(ObjectNeeds {
            name: name.to_owned(),
            glibc,
        });
    }
    let glibc = needs
        .iter()
        .filter_map(|n| n.glibc.as_ref())
        .map(|g| g.version.clone())
        .max();
    Ok(Target {
        arch: arch_name(arch.unwrap_or_default()),
        glibc,
        objects: needs,
        system_libraries: asked
            .into_iter()
            .map(|(name, families)| SystemLibrary {
                name,
                versions: families.into_values().map(|(_, version)| version).collect(),
            })
            .collect(),
    })
}

impl Target {
    /// "Linux x86-64 with glibc ≥ 2.34; system libraries: libc.so.6, libgcc_s.so.1
    /// (GCC_4.2.0), ..." (the versions of families other than glibc's, which the first
    /// part says).
    pub fn describe(&self) -> String {
        let glibc = match &self.glibc {
            Some(version) => format!("with glibc ≥ {version}"),
            None => "(no glibc version needed)".to_owned(),
        };
        let libraries: Vec<String> = self
            .system_libraries
            .iter()
            .map(|library| {
                let others: Vec<&str> = library
                    .versions
                    .iter()
                    .filter(|v| glibc_of(v).is_none() && *v != "GLIBC_PRIVATE")
                    .map(String::as_str)
                    .collect();
                if others.is_empty() {
                    library.name.clone()
                } else {
                    format!("{} ({})", library.name, others.join(", "))
                }
            })
            .collect();
        format!(
            "Linux {} {glibc}; system libraries: {}",
            self.arch,
            libraries.join(", ")
        )
    }

    /// Refuses a bundle that needs a newer glibc than `limit`, naming each object that
    /// does.
    pub fn check(&self, limit: &Version) -> Result<(), TargetError> {
        let Some(needed) = self.glibc.as_ref().filter(|needed| *needed > limit) else {
            return Ok(());
        };
        let mut culprits: Vec<&ObjectNeeds> = self
            .objects
            .iter()
            .filter(|o| o.glibc.as_ref().is_some_and(|g| g.version > *limit))
            .collect();
        let version = |o: &ObjectNeeds| o.glibc.as_ref().map(|g| g.version.clone());
        culprits.sort_by(|a, b| {
            version(b)
                .cmp(&version(a))
                .then_with(|| a.name.cmp(&b.name))
        });
        Err(TargetError::TooNew {
            needed: needed.clone(),
            limit: limit.clone(),
            culprits: culprits
                .into_iter()
                .filter_map(|o| Some((o.name.clone(), o.glibc.clone()?.symbol_version)))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::native::tests::{cc, have_cc};

    fn version(text: &str) -> Version {
        text.parse().unwrap()
    }

    #[test]
    fn versions_compare_as_numbers_and_malformed_ones_are_refused() {
        assert!(version("2.2.5") < version("2.3"));
        assert!(version("2.9") < version("2.28"));
        assert!(version("2.28") < version("2.34"));
        assert_eq!(version("2.17").to_string(), "2.17");
        for bad in [
            "", "2", "2.", ".28", "2.x", "2..28", "v2.28", "2.28 ", "-2.28",
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?}");
        }
        assert_eq!(glibc_of("GLIBC_2.2.5"), Some(version("2.2.5")));
        assert_eq!(glibc_of("GLIBC_ABI_DT_RELR"), Some(version("2.36")));
        assert_eq!(glibc_of("GLIBC_PRIVATE"), None);
        assert_eq!(glibc_of("GLIBCXX_3.4.29"), None);
    }

    /// A shared object that calls `memfd_create`, which glibc has had since 2.27, and
    /// nothing newer; and one that links it, to show a bundled library's own needs count
    /// and its name is not a system library.
    #[test]
    fn the_newest_glibc_version_asked_for_is_the_requirement() {
        if !have_cc() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        cc(
            dir.path(),
            "#define _GNU_SOURCE\n#include <sys/mman.h>\n#include <math.h>\n\
             int memfd(void) { return memfd_create(\"x\", 0); }\n\
             double root(double x) { return sqrt(x); }\n",
            "libmemfd.so",
            &["-Wl,-soname,libmemfd.so", "-lm"],
        );
        cc(
            dir.path(),
            "int memfd(void);\nint call(void) { return memfd(); }\n",
            "caller.so",
            &["-L.", "-lmemfd"],
        );
        let read = |name: &str| fs_err::read(dir.path().join(name)).unwrap();
        let (library, caller) = (read("libmemfd.so"), read("caller.so"));
        let bundled = BTreeSet::from(["libmemfd.so"]);
        let target = of(
            [
                ("caller", caller.as_slice()),
                ("libmemfd.so", library.as_slice()),
            ],
            &bundled,
        )
        .unwrap();
        assert_eq!(target.arch, arch_name(elf::EM_X86_64));
        assert_eq!(target.glibc, Some(version("2.27")));
        let library_needs = &target.objects[1];
        assert_eq!(
            library_needs
                .glibc
                .as_ref()
                .map(|g| g.symbol_version.as_str()),
            Some("GLIBC_2.27")
        );
        let names: Vec<&str> = target
            .system_libraries
            .iter()
            .map(|l| l.name.as_str())
            .collect();
        assert!(names.contains(&"libc.so.6"), "{names:?}");
        assert!(names.contains(&"libm.so.6"), "{names:?}");
        assert!(!names.contains(&"libmemfd.so"), "{names:?}");
        let libc = &target.system_libraries[names.iter().position(|&n| n == "libc.so.6").unwrap()];
        assert_eq!(libc.versions, ["GLIBC_2.27"]);

        let refused = target.check(&version("2.17")).unwrap_err().to_string();
        assert!(
            refused.starts_with(
                "the bundle needs glibc 2.27, newer than --min-glibc 2.17: libmemfd.so (GLIBC_2.27)"
            ),
            "{refused}"
        );
        assert!(target.check(&version("2.27")).is_ok());
        assert!(target
            .describe()
            .starts_with("Linux x86-64 with glibc ≥ 2.27; system libraries: "));
    }

    #[test]
    fn what_is_not_elf_is_an_error_naming_the_object() {
        let error = of([("math", &b"\x7fELF math"[..])], &BTreeSet::new()).unwrap_err();
        assert!(error.to_string().starts_with("math: "), "{error}");
    }
}
