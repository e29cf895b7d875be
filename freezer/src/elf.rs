//! Step 3: native code. Strips libpython and extension modules of what no one needs at
//! run time (debug information, the static symbol table), and tells which shared
//! libraries an object needs beyond those every Linux system has.

use object::build::elf::Builder;
use object::read::elf::{Dyn, ElfFile64, FileHeader};
use object::{elf, Endianness};

/// Libraries every glibc-based Linux system has: glibc itself, its dynamic loader and the
/// GCC unwinder glibc itself loads, as the manylinux policy (PEP 600) lists them.
/// Everything else must travel in the bundle.
const SYSTEM_LIBRARIES: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "librt.so.1",
    "libpthread.so.0",
    "libutil.so.1",
    "libresolv.so.2",
    "libnsl.so.1",
    "libgcc_s.so.1",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
    "ld-linux.so.2",
];

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ElfError(String);

/// Whether `soname` is provided by every system, so it is never bundled.
pub fn is_system_library(soname: &str) -> bool {
    SYSTEM_LIBRARIES.contains(&soname)
}

/// What makes rewriting worth it: debug information and the static symbol table.
fn is_bulky(name: &[u8]) -> bool {
    name.starts_with(b".debug_") || name.starts_with(b".zdebug_") || name == b".symtab"
}

/// Removed along with them when the file is rewritten anyway.
fn is_removable(name: &[u8]) -> bool {
    is_bulky(name) || matches!(name, b".strtab" | b".comment" | b".gnu_debuglink")
}

/// Rewrites an ELF shared object without its debug sections and static symbol table, as
/// `strip --strip-unneeded` would. The dynamic symbol table, which the loader uses, stays.
/// A file with neither (a distribution's libraries are stripped already) is left as it is.
pub fn strip(data: &[u8]) -> Result<Vec<u8>, ElfError> {
    let mut builder = Builder::read(data).map_err(|e| ElfError(e.to_string()))?;
    if !builder
        .sections
        .iter()
        .any(|section| is_bulky(section.name.as_slice()))
    {
        return Ok(data.to_vec());
    }
    for section in builder.sections.iter_mut() {
        if is_removable(section.name.as_slice()) {
            section.delete = true;
        }
    }
    for symbol in builder.symbols.iter_mut() {
        symbol.delete = true;
    }
    let mut out = Vec::with_capacity(data.len());
    builder
        .write(&mut out)
        .map_err(|e| ElfError(e.to_string()))?;
    Ok(out)
}

/// The `DT_NEEDED` entries of a 64-bit ELF object.
pub fn needed(data: &[u8]) -> Result<Vec<String>, ElfError> {
    let file = ElfFile64::<Endianness>::parse(data).map_err(|e| ElfError(e.to_string()))?;
    let endian = file.endian();
    let header = file.elf_header();
    let sections = header
        .sections(endian, data)
        .map_err(|e| ElfError(e.to_string()))?;
    let mut needed = Vec::new();
    if let Some((dynamic, link)) = sections
        .dynamic(endian, data)
        .map_err(|e| ElfError(e.to_string()))?
    {
        let strings = sections
            .strings(endian, data, link)
            .map_err(|e| ElfError(e.to_string()))?;
        for entry in dynamic {
            if entry.d_tag(endian) == u64::from(elf::DT_NEEDED) {
                let name = entry
                    .string(endian, strings)
                    .map_err(|e| ElfError(e.to_string()))?;
                needed.push(String::from_utf8_lossy(name).into_owned());
            }
        }
    }
    Ok(needed)
}

/// The libraries `data` needs that are not on every system.
pub fn foreign_needed(data: &[u8]) -> Result<Vec<String>, ElfError> {
    Ok(needed(data)?
        .into_iter()
        .filter(|name| !is_system_library(name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The running test binary is an ELF executable with a symbol table and debug info.
    fn own_executable() -> Vec<u8> {
        fs_err::read(std::env::current_exe().unwrap()).unwrap()
    }

    #[test]
    fn strip_removes_debug_and_static_symbols_and_keeps_dynamic_ones() {
        use object::{Object, ObjectSection};
        let original = own_executable();
        let stripped = strip(&original).unwrap();
        assert!(stripped.len() < original.len());
        let file = object::File::parse(&*stripped).unwrap();
        assert!(file.sections().all(|s| {
            let name = s.name().unwrap_or("");
            !name.starts_with(".debug_") && name != ".symtab"
        }));
        assert!(file.section_by_name(".dynsym").is_some());
        assert_eq!(needed(&stripped).unwrap(), needed(&original).unwrap());
    }

    #[test]
    fn needed_lists_libc_and_system_libraries_are_not_foreign() {
        let exe = own_executable();
        assert!(needed(&exe).unwrap().iter().any(|n| n == "libc.so.6"));
        assert!(foreign_needed(&exe).unwrap().is_empty());
        assert!(is_system_library("libm.so.6"));
        assert!(!is_system_library("libssl.so.3"));
    }

    #[test]
    fn non_elf_input_is_an_error() {
        assert!(strip(b"not an elf").is_err());
        assert!(needed(b"\x7fELF").is_err());
    }
}
