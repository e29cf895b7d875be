//! Which pages of a shared object the stub maps from the bundle instead of copying (see
//! [`pyfreeze_archive::mapping`]), decided here once so that the stub does no ELF analysis
//! at start: the pages of its read-only segments that the dynamic loader does not read
//! while it loads the object. The object's constructors are moved out of the loader's
//! sight, for the stub to run once those pages are mapped.
//!
//! An object is copied whole, as before, when loading it would run or write its read-only
//! pages before the stub can map them: IFUNC resolvers (the loader calls them while it
//! relocates) and text relocations.

use std::ops::Range;

use globset::{Glob, GlobSet, GlobSetBuilder};

use object::elf::{self as abi, Dyn64, FileHeader64, ProgramHeader64, SectionHeader64};
use object::read::elf::{Dyn, FileHeader, ProgramHeader, Rel, Rela, SectionHeader, Sym};
use object::Endianness;
use pyfreeze_archive::mapping::{prot, MappedRange, Mapping, PAGE_SIZE};

/// Why an object is copied whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Copied {
    #[error("not a 64-bit ELF shared object: {0}")]
    NotElf(String),
    #[error("it has text relocations, which write to its code while it loads")]
    TextRelocations,
    #[error("it has IFUNC resolvers, which run its code while it loads")]
    Ifunc,
    #[error("{0}")]
    Layout(String),
    #[error("no read-only page the loader leaves alone")]
    NothingToMap,
}

type Header = FileHeader64<Endianness>;

/// The native objects the build was asked to copy whole (`--copy-native`).
#[derive(Debug, Clone)]
pub(crate) struct CopyWhole(GlobSet);

impl CopyWhole {
    pub(crate) fn new(patterns: &[String]) -> Result<CopyWhole, super::NativeError> {
        let mut set = GlobSetBuilder::new();
        for pattern in patterns {
            let glob = Glob::new(pattern).map_err(|source| super::NativeError::CopyPattern {
                pattern: pattern.clone(),
                source,
            })?;
            set.add(glob);
        }
        let set = set
            .build()
            .map_err(|source| super::NativeError::CopyPattern {
                pattern: patterns.join(" "),
                source,
            })?;
        Ok(CopyWhole(set))
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.0.is_match(name)
    }
}

/// The object as the bundle stores it (its constructors hidden from the loader) and its
/// mapping, or why it is copied whole.
pub(crate) fn plan(object: &[u8]) -> Result<(Vec<u8>, Mapping), Copied> {
    let elf = Elf::parse(object)?;
    elf.check_loading_runs_no_code()?;
    let ranges = elf.mapped_ranges()?;
    if ranges.iter().all(|range| range.loader_reads) {
        return Err(Copied::NothingToMap);
    }
    elf.hiding_constructors(ranges)
}

struct Elf<'a> {
    data: &'a [u8],
    endian: Endianness,
    header: &'a Header,
    segments: &'a [ProgramHeader64<Endianness>],
    sections: &'a [SectionHeader64<Endianness>],
    /// The dynamic section's file range, and its entries up to the first `DT_NULL`.
    dynamic: (Range<u64>, &'a [Dyn64<Endianness>]),
}

fn layout(what: impl Into<String>) -> Copied {
    Copied::Layout(what.into())
}

impl<'a> Elf<'a> {
    fn parse(data: &'a [u8]) -> Result<Elf<'a>, Copied> {
        let not_elf = |e: object::read::Error| Copied::NotElf(e.to_string());
        let header = Header::parse(data).map_err(not_elf)?;
        let endian = header.endian().map_err(not_elf)?;
        if header.e_type(endian) != abi::ET_DYN {
            return Err(Copied::NotElf("not a shared object".to_owned()));
        }
        let segments = header.program_headers(endian, data).map_err(not_elf)?;
        let sections = header.section_headers(endian, data).map_err(not_elf)?;
        if sections.is_empty() {
            return Err(layout("no section headers to find the loader's tables by"));
        }
        let dynamic = segments
            .iter()
            .find(|segment| segment.p_type(endian) == abi::PT_DYNAMIC)
            .ok_or_else(|| layout("no dynamic section"))?;
        let entries = dynamic
            .dynamic(endian, data)
            .map_err(not_elf)?
            .ok_or_else(|| layout("no dynamic section"))?;
        let live = entries
            .iter()
            .position(|entry| entry.d_tag(endian) == u64::from(abi::DT_NULL))
            .ok_or_else(|| layout("the dynamic section has no DT_NULL"))?;
        let start = dynamic.p_offset(endian);
        Ok(Elf {
            data,
            endian,
            header,
            segments,
            sections,
            dynamic: (start..start + dynamic.p_filesz(endian), &entries[..live]),
        })
    }

    fn tag(&self, tag: u32) -> Option<u64> {
        self.dynamic
            .1
            .iter()
            .find(|entry| entry.d_tag(self.endian) == u64::from(tag))
            .map(|entry| entry.d_val(self.endian))
    }

    fn loads(&self) -> impl Iterator<Item = &'a ProgramHeader64<Endianness>> + '_ {
        self.segments
            .iter()
            .filter(|segment| segment.p_type(self.endian) == abi::PT_LOAD)
    }

    fn is_writable(&self, segment: &ProgramHeader64<Endianness>) -> bool {
        segment.p_flags(self.endian) & abi::PF_W != 0
    }

    /// The file offset of the loaded address `address`.
    fn file_offset(&self, address: u64) -> Option<u64> {
        self.loads().find_map(|segment| {
            let start = segment.p_vaddr(self.endian);
            let offset = address.checked_sub(start)?;
            (offset < segment.p_filesz(self.endian)).then(|| segment.p_offset(self.endian) + offset)
        })
    }

    fn is_in_writable_segment(&self, address: u64) -> bool {
        self.loads().any(|segment| {
            let start = segment.p_vaddr(self.endian);
            self.is_writable(segment)
                && (start..start + segment.p_memsz(self.endian)).contains(&address)
        })
    }

    /// Fails if loading the object would run its code or write its read-only segments:
    /// the relocations the loader applies all go to writable segments, and none is
    /// `IRELATIVE`, nor does the object define an IFUNC symbol another object may bind to.
    fn check_loading_runs_no_code(&self) -> Result<(), Copied> {
        let endian = self.endian;
        let flags = self.tag(abi::DT_FLAGS).unwrap_or(0);
        if self.tag(abi::DT_TEXTREL).is_some() || flags & u64::from(abi::DF_TEXTREL) != 0 {
            return Err(Copied::TextRelocations);
        }
        let irelative = match self.header.e_machine(endian) {
            abi::EM_X86_64 => abi::R_X86_64_IRELATIVE,
            abi::EM_AARCH64 => abi::R_AARCH64_IRELATIVE,
            machine => return Err(layout(format!("machine {machine} is not planned for"))),
        };
        for section in self.sections {
            let section_type = section.sh_type(endian);
            let targets: Vec<(u64, u32)> = match section_type {
                abi::SHT_RELA => section
                    .data_as_array::<object::elf::Rela64<Endianness>, _>(endian, self.data)
                    .map_err(|e| layout(e.to_string()))?
                    .iter()
                    .map(|rela| (rela.r_offset(endian), rela.r_type(endian, false)))
                    .collect(),
                abi::SHT_REL => section
                    .data_as_array::<object::elf::Rel64<Endianness>, _>(endian, self.data)
                    .map_err(|e| layout(e.to_string()))?
                    .iter()
                    .map(|rel| (rel.r_offset(endian), rel.r_type(endian)))
                    .collect(),
                _ => continue,
            };
            if section.sh_flags(endian) & u64::from(abi::SHF_ALLOC) == 0 {
                continue;
            }
            for (offset, kind) in targets {
                if kind == irelative {
                    return Err(Copied::Ifunc);
                }
                if !self.is_in_writable_segment(offset) {
                    return Err(Copied::TextRelocations);
                }
            }
        }
        for section in self.sections {
            if section.sh_type(endian) != abi::SHT_DYNSYM {
                continue;
            }
            let symbols = section
                .data_as_array::<object::elf::Sym64<Endianness>, _>(endian, self.data)
                .map_err(|e| layout(e.to_string()))?;
            let ifunc = symbols.iter().any(|symbol| {
                symbol.st_type() == abi::STT_GNU_IFUNC && symbol.st_shndx(endian) != 0
            });
            if ifunc {
                return Err(Copied::Ifunc);
            }
        }
        Ok(())
    }

    /// The file ranges the loader reads while it loads the object: headers, the dynamic
    /// section and every table it names, notes (CET and BTI properties) and the TLS image.
    fn loader_reads(&self) -> Result<Vec<Range<u64>>, Copied> {
        let endian = self.endian;
        let header_end = self.header.e_phoff(endian)
            + u64::from(self.header.e_phnum(endian)) * u64::from(self.header.e_phentsize(endian));
        let headers = 0..header_end.max(u64::from(self.header.e_ehsize(endian)));
        let mut ranges = Vec::from([headers, self.dynamic.0.clone()]);
        for segment in self.segments {
            if matches!(
                segment.p_type(endian),
                abi::PT_NOTE | abi::PT_GNU_PROPERTY | abi::PT_TLS | abi::PT_INTERP
            ) {
                let start = segment.p_offset(endian);
                ranges.push(start..start + segment.p_filesz(endian));
            }
        }
        let allocated = |section: &SectionHeader64<Endianness>| {
            section.sh_flags(endian) & u64::from(abi::SHF_ALLOC) != 0
                && section.sh_type(endian) != abi::SHT_NOBITS
        };
        let file_range = |section: &SectionHeader64<Endianness>| {
            let start = section.sh_offset(endian);
            start..start + section.sh_size(endian)
        };
        for section in self.sections.iter().filter(|s| allocated(s)) {
            let read = matches!(
                section.sh_type(endian),
                abi::SHT_DYNSYM
                    | abi::SHT_DYNAMIC
                    | abi::SHT_HASH
                    | abi::SHT_GNU_HASH
                    | abi::SHT_GNU_VERSYM
                    | abi::SHT_GNU_VERDEF
                    | abi::SHT_GNU_VERNEED
                    | abi::SHT_RELA
                    | abi::SHT_REL
                    | abi::SHT_RELR
                    | abi::SHT_NOTE
                    | abi::SHT_INIT_ARRAY
                    | abi::SHT_FINI_ARRAY
                    | abi::SHT_PREINIT_ARRAY
            );
            if read {
                ranges.push(file_range(section));
            }
            if section.sh_type(endian) == abi::SHT_DYNSYM {
                let strings = self
                    .sections
                    .get(section.sh_link(endian) as usize)
                    .ok_or_else(|| layout("the dynamic symbols' string table is missing"))?;
                ranges.push(file_range(strings));
            }
        }
        // Every table the dynamic section names must lie in a section read above: a table
        // no section header describes has no size to keep.
        for tag in [
            abi::DT_SYMTAB,
            abi::DT_STRTAB,
            abi::DT_HASH,
            abi::DT_GNU_HASH,
            abi::DT_VERSYM,
            abi::DT_VERDEF,
            abi::DT_VERNEED,
            abi::DT_RELA,
            abi::DT_REL,
            abi::DT_JMPREL,
            // DT_RELR, which this version of `object` does not name.
            36,
        ] {
            let Some(address) = self.tag(tag) else {
                continue;
            };
            let offset = self
                .file_offset(address)
                .ok_or_else(|| layout(format!("dynamic tag {tag} points outside the file")))?;
            if !ranges.iter().any(|range| range.contains(&offset)) {
                return Err(layout(format!(
                    "dynamic tag {tag} points to {offset:#x}, in no table section"
                )));
            }
        }
        Ok(ranges)
    }

    /// Whole pages of read-only segments that no writable segment touches, in runs of the
    /// same segment and the same use: those the loader reads while it loads the object
    /// (copied, mapped once it is loaded) and the rest (never copied).
    fn mapped_ranges(&self) -> Result<Vec<MappedRange>, Copied> {
        let endian = self.endian;
        let page_down = |value: u64| value / PAGE_SIZE * PAGE_SIZE;
        let page_up = |value: u64| value.next_multiple_of(PAGE_SIZE);
        let loader_reads = self.loader_reads()?;
        let writable: Vec<Range<u64>> = self
            .loads()
            .filter(|s| self.is_writable(s))
            .map(|segment| {
                let start = segment.p_offset(endian);
                page_down(start)..page_up(start + segment.p_filesz(endian))
            })
            .collect();
        let overlaps = |ranges: &[Range<u64>], page: u64| {
            ranges.iter().any(|range| {
                range.start < page + PAGE_SIZE && page < range.end && !range.is_empty()
            })
        };
        let object_len = self.data.len() as u64;
        let mut ranges: Vec<MappedRange> = Vec::new();
        for segment in self.loads().filter(|s| !self.is_writable(s)) {
            let (offset, address) = (segment.p_offset(endian), segment.p_vaddr(endian));
            let (file_len, memory_len) = (segment.p_filesz(endian), segment.p_memsz(endian));
            if offset % PAGE_SIZE != address % PAGE_SIZE {
                return Err(layout(
                    "a segment's offset and address differ within a page",
                ));
            }
            if memory_len != file_len {
                return Err(layout(
                    "a read-only segment is longer in memory than in the file",
                ));
            }
            // The archive's protection bits are the program header's.
            let segment_prot = segment.p_flags(endian) & (prot::READ | prot::EXEC);
            if segment_prot & prot::READ == 0 {
                continue;
            }
            let end = page_down((offset + file_len).min(object_len));
            let mut page = page_up(offset);
            while page < end {
                if !overlaps(&writable, page) {
                    let page_address = address + (page - offset);
                    let reads = overlaps(&loader_reads, page);
                    match ranges.last_mut() {
                        Some(last)
                            if last.end() == page
                                && last.address + last.len == page_address
                                && last.prot == segment_prot
                                && last.loader_reads == reads =>
                        {
                            last.len += PAGE_SIZE;
                        }
                        _ => ranges.push(MappedRange {
                            offset: page,
                            len: PAGE_SIZE,
                            address: page_address,
                            prot: segment_prot,
                            loader_reads: reads,
                        }),
                    }
                }
                page += PAGE_SIZE;
            }
        }
        Ok(ranges)
    }

    /// The object with `DT_INIT`, `DT_INIT_ARRAY` and `DT_INIT_ARRAYSZ` moved after the
    /// dynamic section's first `DT_NULL`, where the loader stops reading, and its mapping
    /// of `ranges`, which says what they were.
    fn hiding_constructors(&self, ranges: Vec<MappedRange>) -> Result<(Vec<u8>, Mapping), Copied> {
        let endian = self.endian;
        let hidden_tags = [abi::DT_INIT, abi::DT_INIT_ARRAY, abi::DT_INIT_ARRAYSZ].map(u64::from);
        let init = self.tag(abi::DT_INIT).filter(|&address| address != 0);
        let init_array = match (self.tag(abi::DT_INIT_ARRAY), self.tag(abi::DT_INIT_ARRAYSZ)) {
            (Some(address), Some(size)) if size >= 8 => Some((address, size / 8)),
            _ => None,
        };
        let mut out = self.data.to_vec();
        let mapping = Mapping {
            ranges,
            init,
            init_array,
        };
        if init.is_none() && init_array.is_none() {
            return Ok((out, mapping));
        }
        let (range, live) = &self.dynamic;
        let (hidden, shown): (Vec<_>, Vec<_>) = live
            .iter()
            .partition(|entry| hidden_tags.contains(&entry.d_tag(endian)));
        let null = Dyn64::<Endianness> {
            d_tag: object::U64::new(endian, u64::from(abi::DT_NULL)),
            d_val: object::U64::new(endian, 0),
        };
        let entry_len = size_of::<Dyn64<Endianness>>() as u64;
        let room = (range.end - range.start) / entry_len;
        let entries: Vec<&Dyn64<Endianness>> =
            shown.into_iter().chain([&null]).chain(hidden).collect();
        if entries.len() as u64 > room {
            return Err(layout("no room in the dynamic section"));
        }
        let mut at = range.start as usize;
        for entry in entries {
            out[at..at + entry_len as usize].copy_from_slice(object::pod::bytes_of(entry));
            at += entry_len as usize;
        }
        Ok((out, mapping))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::native::ldso::tests::{cc, have_cc};

    /// A shared object with a constructor, compiled here, and its bytes.
    fn built(source: &str, args: &[&str]) -> Vec<u8> {
        let temp = tempfile::tempdir().unwrap();
        cc(temp.path(), source, "lib.so", args);
        fs_err::read(temp.path().join("lib.so")).unwrap()
    }

    const WITH_CONSTRUCTOR: &str = r#"
        static int ready;
        __attribute__((constructor)) static void start(void) { ready = 42; }
        int is_ready(void) { return ready; }
        const char text[20000] = "read-only data spanning pages";
        int twice(int x) { return 2 * x + text[x & 7]; }
    "#;

    #[test]
    fn code_and_read_only_data_are_mapped_and_constructors_hidden() {
        if !have_cc() {
            return;
        }
        // Enough exported functions for whole pages of symbol tables and of code.
        let functions: String = (0..400)
            .map(|n| {
                format!(
                    "long f{n}(long x) {{ return x * {n} + (x >> {}); }}\n",
                    n % 13
                )
            })
            .collect();
        let original = built(&(functions + WITH_CONSTRUCTOR), &[]);
        let (stored, mapping) = plan(&original).unwrap();
        assert_eq!(stored.len(), original.len());
        for prot in [prot::READ, prot::READ | prot::EXEC] {
            assert!(
                mapping.holes().iter().any(|r| r.prot == prot),
                "no hole with protection {prot}: {mapping:?}"
            );
        }
        let elf = Elf::parse(&original).unwrap();
        for keep in elf.loader_reads().unwrap() {
            assert!(
                mapping
                    .holes()
                    .iter()
                    .all(|r| keep.end <= r.offset || r.end() <= keep.start),
                "{keep:?} is read by the loader yet left a hole: {mapping:?}"
            );
        }
        // The loader's tables are mapped too, once it is done with them.
        assert!(
            mapping.ranges.iter().any(|r| r.loader_reads),
            "no range of the loader's: {mapping:?}"
        );
        for range in &mapping.ranges {
            let segment = elf
                .loads()
                .find(|s| {
                    let start = s.p_offset(elf.endian);
                    (start..start + s.p_filesz(elf.endian)).contains(&range.offset)
                })
                .unwrap();
            assert_eq!(segment.p_flags(elf.endian) & abi::PF_W, 0);
            assert_eq!(
                range.address - segment.p_vaddr(elf.endian),
                range.offset - segment.p_offset(elf.endian)
            );
            let bytes = range.offset as usize..range.end() as usize;
            assert_eq!(stored[bytes.clone()], original[bytes]);
        }
        assert_eq!(
            mapping.init_array.map(|(_, len)| len),
            elf.tag(abi::DT_INIT_ARRAYSZ).map(|s| s / 8)
        );
        assert_eq!(mapping.init, elf.tag(abi::DT_INIT));
        let hidden = Elf::parse(&stored).unwrap();
        for tag in [abi::DT_INIT, abi::DT_INIT_ARRAY, abi::DT_INIT_ARRAYSZ] {
            assert_eq!(hidden.tag(tag), None, "tag {tag} still seen");
        }
        let shown = |elf: &Elf<'_>| -> Vec<(u64, u64)> {
            elf.dynamic
                .1
                .iter()
                .map(|d| (d.d_tag(elf.endian), d.d_val(elf.endian)))
                .filter(|(tag, _)| ![12, 25, 27].contains(tag))
                .collect()
        };
        assert_eq!(shown(&hidden), shown(&elf));
    }

    #[test]
    fn objects_whose_loading_runs_or_writes_their_code_are_copied() {
        if !have_cc() {
            return;
        }
        let exported = "static int one(void) { return 1; }
            static void *pick(void) { return one; }
            int f(void) __attribute__((ifunc(\"pick\")));";
        assert_eq!(plan(&built(exported, &[])).unwrap_err(), Copied::Ifunc);
        let internal = "static int one(void) { return 1; }
            static void *pick(void) { return one; }
            static int g(void) __attribute__((ifunc(\"pick\")));
            int call(void) { return g(); }";
        assert_eq!(plan(&built(internal, &[])).unwrap_err(), Copied::Ifunc);
        let text_relocations = "int x; int *p(void) { return &x; }";
        let args = ["-fno-pic", "-mcmodel=large", "-Wl,-z,notext"];
        assert_eq!(
            plan(&built(text_relocations, &args)).unwrap_err(),
            Copied::TextRelocations
        );
        assert!(matches!(plan(b"not an elf"), Err(Copied::NotElf(_))));
    }
}
