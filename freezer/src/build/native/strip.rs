//! Strips libpython, extension modules and libraries of what no one needs at run time:
//! debug information and the static symbol table.

use object::build::elf::Builder;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct ElfError(String);

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
pub(crate) fn strip(data: &[u8]) -> Result<Vec<u8>, ElfError> {
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
    Ok(kept_if_intact(data, out))
}

/// `rewritten`, if the loader reads the same dynamic section in it as in `original`; else
/// `original`, unstripped. Some files come out of a rewrite with their tables outside the
/// loaded segments (numpy's OpenBLAS, whose dynamic string table patchelf moved into a
/// segment of its own): a library the loader cannot read must never be bundled for a few
/// bytes of symbols.
fn kept_if_intact(original: &[u8], rewritten: Vec<u8>) -> Vec<u8> {
    let dynamic = |data: &[u8]| crate::build::native::parse_dynamic(data).ok();
    let found = dynamic(&rewritten);
    if found.is_some() && found == dynamic(original) {
        rewritten
    } else {
        original.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::native::ldso;

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
        let needed = |data: &[u8]| ldso::parse_dynamic(data).unwrap().needed;
        assert_eq!(needed(&stripped), needed(&original));
        // What the target requirement is read from, too.
        let versions = |data: &[u8]| ldso::parse_dynamic(data).unwrap().version_needs;
        assert!(versions(&original)
            .iter()
            .any(|(file, _)| file == "libc.so.6"));
        assert_eq!(versions(&stripped), versions(&original));
    }

    #[test]
    fn a_rewrite_that_loses_the_dynamic_section_is_not_kept() {
        let original = own_executable();
        let stripped = strip(&original).unwrap();
        assert_eq!(kept_if_intact(&original, stripped.clone()), stripped);
        // The dynamic section's tags gone: the loader would find no DT_NEEDED there.
        let mut broken = stripped.clone();
        let needed = ldso::parse_dynamic(&stripped).unwrap().needed;
        assert!(!needed.is_empty());
        let file = object::File::parse(&*stripped).unwrap();
        use object::{Object, ObjectSection};
        let (offset, size) = file
            .section_by_name(".dynamic")
            .unwrap()
            .file_range()
            .unwrap();
        broken[offset as usize..(offset + size) as usize].fill(0);
        assert_eq!(kept_if_intact(&original, broken), original);
    }

    #[test]
    fn non_elf_input_is_an_error() {
        assert!(strip(b"not an elf").is_err());
    }
}
