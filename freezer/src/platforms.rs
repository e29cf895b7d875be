//! Modules that exist only on other platforms than Linux: the standard library (and
//! packages written like it) imports them under a `sys.platform` or `os.name` test, or in
//! a `try` whose `except ImportError` is the Linux path, so that they are never found on
//! Linux and never imported there. The build does not report them as missing unless the
//! app itself imports them (`-v` lists them, with the other imports of dependencies that
//! nothing resolves, which the summary only counts); `pyfreeze why` says what they are.
//!
//! The list is CPython's own such imports, 3.8 to 3.13 (`os`, `ntpath`, `subprocess`,
//! `multiprocessing`, `asyncio`, `platform`, `mimetypes`, `getpass`, `urllib.request`,
//! `ctypes`, `uuid`, `pickle`, `copy`...), with Jython's (`java`, `org.python`) and
//! pywin32's, which packages import in the same way.

use crate::build::Missing;

/// The top-level names; a dotted name counts by its first part (`org.python.core`).
const OTHER_PLATFORMS: &[&str] = &[
    // Windows: CPython's own modules there.
    "nt",
    "msvcrt",
    "winreg",
    "_winreg",
    "_winapi",
    "_overlapped",
    "winsound",
    "_msi",
    "_wmi",
    "_subprocess",
    "_winxptheme",
    // Windows: packages of its own that CPython imports there (ctypes' COM servers:
    // `DllCanUnloadNow`, defined only when `os.name == "nt"`), and pywin32, imported in
    // the same way by packages.
    "comtypes",
    "win32api",
    "win32con",
    "win32pdh",
    "win32process",
    "pywintypes",
    "win32com",
    // macOS.
    "_scproxy",
    "MacOS",
    "Carbon",
    "EasyDialogs",
    // Jython.
    "java",
    "org",
    // Older or rarer systems.
    "vms_lib",
    "riscos",
    "riscosenviron",
    "riscospath",
    "ce",
    "os2",
    "os2emxpath",
    "_emx_link",
];

/// The build summary's notes on the imports of dependencies that nothing resolves:
/// `elsewhere`, counted (listed with `verbose`), and `other_platforms`, only listed with
/// `verbose`; CPython fails only if such an import runs, and most never do.
pub fn not_found_notes(elsewhere: &[Missing], other_platforms: &[Missing], verbose: u8) -> String {
    let names = |missing: &[Missing]| {
        let names: Vec<&str> = missing.iter().map(|m| m.name.as_str()).collect();
        names.join(", ")
    };
    let mut out = String::new();
    if !elsewhere.is_empty() {
        let count = elsewhere.len();
        out.push_str(&if verbose > 0 {
            format!(
                "note: {count} imports in dependencies were not found (CPython fails only if \
                 they run; `pyfreeze why BINARY NAME` says who imports one): {}\n",
                names(elsewhere)
            )
        } else {
            format!(
                "note: {count} imports in dependencies were not found (CPython fails only if \
                 they run); -v lists them\n"
            )
        });
    }
    if verbose > 0 && !other_platforms.is_empty() {
        out.push_str(&format!(
            "note: {} imports of other platforms' modules were not found, as on any Linux \
             (dependencies import them only where they exist): {}\n",
            other_platforms.len(),
            names(other_platforms)
        ));
    }
    out
}

/// Whether `name` is a module of other platforms (see the module's documentation).
pub(crate) fn is_other_platforms(name: &str) -> bool {
    let top = name.split('.').next().unwrap_or(name);
    OTHER_PLATFORMS.contains(&top)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_platforms_modules_are_listed_only_when_asked_and_the_rest_counted() {
        let missing = |names: &[&str]| -> Vec<Missing> {
            names
                .iter()
                .map(|name| Missing {
                    name: (*name).to_owned(),
                    imported_by: vec!["dependency".to_owned()],
                    places: Default::default(),
                })
                .collect()
        };
        let (elsewhere, other) = (missing(&["numpy", "thread"]), missing(&["_winapi", "nt"]));
        assert_eq!(not_found_notes(&[], &other, 0), "");
        let quiet = not_found_notes(&elsewhere, &other, 0);
        assert!(quiet.starts_with("note: 2 imports in dependencies were not found ("));
        assert!(
            quiet.ends_with("); -v lists them\n") && !quiet.contains("nt"),
            "{quiet}"
        );
        let verbose = not_found_notes(&elsewhere, &other, 1);
        assert!(
            verbose.contains("imports one): numpy, thread\n"),
            "{verbose}"
        );
        assert!(verbose.ends_with("exist): _winapi, nt\n"), "{verbose}");
    }

    #[test]
    fn other_platforms_modules_count_by_their_top_level_name() {
        for name in ["nt", "_winapi", "org.python.core", "java.lang", "_scproxy"] {
            assert!(is_other_platforms(name), "{name}");
        }
        for name in ["os", "posix", "ntpath", "organic", "javascript"] {
            assert!(!is_other_platforms(name), "{name}");
        }
    }
}
