//! What the runtime stub, the freezer and the runtime's Python (the modules in
//! `runtime-stub/python/`) must agree on, defined once: the stub registers and exports it,
//! the freezer bundles under it, and the Python reads it from the stub's `_pyfreeze`
//! module instead of repeating it.

use std::ffi::CStr;

/// The name of a module of the runtime, as a literal so that it can be `concat!`ed (the
/// freezer `include_str!`s `runtime-stub/python/<name>.py` by it):
///
/// * `stub`: the builtin module the stub provides, the Rust half of the importer;
/// * `boot`: the module that installs the finder, in CPython's frozen table, imported by
///   the stub at every start;
/// * the parts the boot module imports when an app first uses what they serve, ordinary
///   bundled modules that its finder serves: `ctypes` (bundled libraries for ctypes),
///   `hooks` (tracebacks printed with source lines), `mp` (multiprocessing's helper
///   processes), `resources` (resource readers and distributions);
/// * `check`: the probe only a `pyfreeze check` build holds, which the boot module imports
///   when the bundle has it: it reports the modules the app imported.
#[macro_export]
macro_rules! runtime_module {
    (stub) => {
        "_pyfreeze"
    };
    (boot) => {
        "_pyfreeze_boot"
    };
    (ctypes) => {
        "_pyfreeze_ctypes"
    };
    (hooks) => {
        "_pyfreeze_hooks"
    };
    (mp) => {
        "_pyfreeze_mp"
    };
    (resources) => {
        "_pyfreeze_resources"
    };
    (check) => {
        "_pyfreeze_check"
    };
}

/// A literal ending in NUL as a C string, checked at compile time.
const fn c_str(with_nul: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(with_nul.as_bytes()) {
        Ok(name) => name,
        Err(_) => panic!("not a NUL-terminated string without inner NUL"),
    }
}

pub const STUB_MODULE: &str = runtime_module!(stub);
/// [`STUB_MODULE`] for the C API.
pub const STUB_MODULE_C: &CStr = c_str(concat!(runtime_module!(stub), "\0"));
/// The boot module's name for the C API: the stub imports it.
pub const BOOT_MODULE_C: &CStr = c_str(concat!(runtime_module!(boot), "\0"));

/// The file name the runtime's Python is compiled under: the one importlib gives its own
/// frames. CPython trims frames with it from import tracebacks, so the finder's frames
/// vanish exactly like importlib's; the finder leaves it to the modules compiled with it.
pub const BOOT_FILENAME: &str = "<frozen importlib._bootstrap_external>";

/// Bits of the answer of `_pyfreeze.find(name)`, 0 for a name the bundle does not hold;
/// `_pyfreeze` has each as an attribute of the same name.
pub mod find {
    pub const FOUND: u8 = 1;
    pub const PACKAGE: u8 = 2;
    pub const EXTENSION: u8 = 4;
    pub const HAS_SOURCE: u8 = 8;
    pub const NAMESPACE: u8 = 16;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_names_are_the_names() {
        assert_eq!(STUB_MODULE_C.to_str(), Ok(STUB_MODULE));
        assert_eq!(BOOT_MODULE_C.to_str(), Ok(runtime_module!(boot)));
    }

    #[test]
    fn find_bits_are_distinct() {
        let bits = [
            find::FOUND,
            find::PACKAGE,
            find::EXTENSION,
            find::HAS_SOURCE,
            find::NAMESPACE,
        ];
        assert_eq!(
            bits.iter().fold(0, |all, bit| all | bit).count_ones(),
            bits.len() as u32
        );
    }
}
