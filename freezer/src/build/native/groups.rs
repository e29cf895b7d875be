//! How the stub loads bundled libraries that need each other (see
//! [`pyfreeze_archive::group`]): which member it `dlopen`s, and which `DT_NEEDED` strings
//! it rewrites to memfd paths so that the loader finds every member while it loads them.
//!
//! glibc's loader maps an object's dependencies breadth first, in `DT_NEEDED` order, and
//! satisfies a name without a slash by an object already mapped whose name or DT_SONAME
//! is that name (`_dl_map_object`), otherwise from the disk. Mapped objects include those
//! mapped earlier in the same `dlopen`. So a plan is found by doing what the loader will
//! do from one member: a need of a member not mapped yet is rewritten to that member's
//! memfd path, which maps it. A rewrite is done in place, in a copy of the member's
//! bytes, and only where it changes nothing but that need ([`Strings::rewritable`]).

use std::collections::BTreeSet;

use object::elf::{self as abi, FileHeader64};
use object::read::elf::{Dyn, FileHeader, ProgramHeader, SectionHeader};
use object::{Endian, Endianness};
use pyfreeze_archive::group::MEMFD_PATH_PREFIX;

/// The fewest bytes a `DT_NEEDED` string must take, with its NUL, to be rewritten: the
/// memfd path of descriptor 999. The stub moves a memfd to the lowest free descriptor when
/// its path is longer than the string it replaces.
pub(crate) const MIN_CAPACITY: usize = MEMFD_PATH_PREFIX.len() + 3 + 1;

/// A group's load plan: its members in the order the loader maps them, the first the one
/// the stub `dlopen`s, each with the `DT_NEEDED` strings to rewrite (the member it names,
/// the offset of the string in the member's bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) members: Vec<(String, Vec<(String, u64)>)>,
}

impl Plan {
    /// The plan as the archive's group entries hold it.
    pub(crate) fn group(&self) -> pyfreeze_archive::Group<'_> {
        pyfreeze_archive::Group {
            members: self
                .members
                .iter()
                .map(|(soname, links)| pyfreeze_archive::Member {
                    soname,
                    links: links
                        .iter()
                        .map(|(needed, offset)| pyfreeze_archive::Link {
                            needed,
                            offset: *offset,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Why a group cannot be loaded from memory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Unplannable {
    #[error("{library}: cannot read its dynamic section: {reason}")]
    Elf { library: String, reason: String },
    #[error(
        "{library} and {others} need each other, and {library}'s need of {needed} cannot \
         be rewritten to a memfd path: {why}"
    )]
    Link {
        library: String,
        others: String,
        needed: String,
        why: NotRewritable,
    },
}

/// Why one `DT_NEEDED` string cannot be rewritten in place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NotRewritable {
    #[error("the name takes {capacity} bytes, a memfd path up to {MIN_CAPACITY}")]
    TooShort { capacity: usize },
    #[error("its bytes are also {user}")]
    Shared { user: String },
    #[error("its version requirements name the library by a separate string")]
    SeparateVersionFile,
    #[error("the string is outside the file's loaded segments")]
    NotInFile,
    #[error("the dynamic symbol table's size is unknown (no section headers, no DT_HASH)")]
    UnknownSymbolCount,
}

/// The plan for the group `members` (sonames, sorted, with their stripped bytes, which
/// are what the bundle holds): from the first member from which every member can be
/// reached by rewritable needs; the error is the first member's.
pub(crate) fn plan(members: &[(&str, &[u8])]) -> Result<Plan, Unplannable> {
    let names: BTreeSet<&str> = members.iter().map(|(soname, _)| *soname).collect();
    let strings = members
        .iter()
        .map(|(soname, bytes)| {
            Strings::read(bytes).map_err(|reason| Unplannable::Elf {
                library: soname.to_string(),
                reason,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let needs: Vec<Vec<(usize, usize)>> = strings
        .iter()
        .enumerate()
        .map(|(at, strings)| {
            // (the member needed, the index of the need among the object's DT_NEEDEDs)
            strings
                .needed
                .iter()
                .enumerate()
                .filter_map(|(need, (name, _))| {
                    let member = members.iter().position(|(soname, _)| soname == name)?;
                    (member != at).then_some((member, need))
                })
                .collect()
        })
        .collect();
    let mut first_error = None;
    for root in 0..members.len() {
        let rewrite = |member: usize, need: usize| {
            let (soname, bytes) = members[member];
            strings[member]
                .rewritable(bytes, need)
                .map_err(|why| Unplannable::Link {
                    library: soname.to_owned(),
                    others: names
                        .iter()
                        .filter(|&&n| n != soname)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", "),
                    needed: strings[member].needed[need].0.clone(),
                    why,
                })
        };
        match simulate(members.len(), root, &needs, rewrite) {
            Ok(order) => {
                return Ok(Plan {
                    members: order
                        .into_iter()
                        .map(|(member, links)| {
                            let links = links
                                .into_iter()
                                .map(|(needed, offset)| (members[needed].0.to_owned(), offset))
                                .collect();
                            (members[member].0.to_owned(), links)
                        })
                        .collect(),
                })
            }
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    Err(first_error.expect("a group has members"))
}

/// Members in the order the loader maps them, each with the needs rewritten to map the
/// next ones: (member needed, offset of the string).
type Walk = Vec<(usize, Vec<(usize, u64)>)>;

/// The loader's breadth-first walk from `root` over a group of `count` members whose
/// `needs` are (member, index of the need), in `DT_NEEDED` order; `rewrite` gives the
/// offset of a need it must rewrite, or why it cannot.
fn simulate<E>(
    count: usize,
    root: usize,
    needs: &[Vec<(usize, usize)>],
    mut rewrite: impl FnMut(usize, usize) -> Result<u64, E>,
) -> Result<Walk, E> {
    let mut mapped = vec![false; count];
    mapped[root] = true;
    let mut order: Walk = vec![(root, Vec::new())];
    let mut next = 0;
    while next < order.len() {
        let member = order[next].0;
        for &(needed, need) in &needs[member] {
            if mapped[needed] {
                continue;
            }
            let offset = rewrite(member, need)?;
            order[next].1.push((needed, offset));
            mapped[needed] = true;
            order.push((needed, Vec::new()));
        }
        next += 1;
    }
    Ok(order)
}

/// What reads the dynamic string table, as the loader finds it.
struct Strings {
    /// File offset and size of the table.
    table: (usize, usize),
    /// Each DT_NEEDED: the name and its offset in the table.
    needed: Vec<(String, usize)>,
    /// Every other reference into the table: its offset and what it is, for messages.
    /// `None` for the version requirements' file names (`vn_file`), which the loader
    /// compares with the names a needed object was loaded under, so one at the very
    /// offset of a rewritten need is rewritten along with it and matches.
    users: Vec<(usize, Option<String>)>,
    /// Whether the dynamic symbols could all be found.
    symbols_known: bool,
}

impl Strings {
    fn read(data: &[u8]) -> Result<Strings, String> {
        let header = FileHeader64::<Endianness>::parse(data).map_err(|e| e.to_string())?;
        let endian = header.endian().map_err(|e| e.to_string())?;
        let segments = header
            .program_headers(endian, data)
            .map_err(|e| e.to_string())?;
        // A loaded address as a file offset, if `len` bytes from it are in the file.
        let file_offset = |address: u64, len: u64| -> Option<usize> {
            segments
                .iter()
                .filter(|s| s.p_type(endian) == abi::PT_LOAD)
                .find_map(|s| {
                    let start = s.p_vaddr(endian);
                    let within = address.checked_sub(start)?;
                    (within.checked_add(len)? <= s.p_filesz(endian))
                        .then(|| usize::try_from(s.p_offset(endian) + within).ok())?
                })
                .filter(|&offset| offset.saturating_add(len as usize) <= data.len())
        };
        let mut dynamic = None;
        for segment in segments {
            if let Some(found) = segment.dynamic(endian, data).map_err(|e| e.to_string())? {
                dynamic = Some(found);
                break;
            }
        }
        let entries: Vec<_> = dynamic
            .ok_or("it has no dynamic section")?
            .iter()
            .take_while(|entry| entry.d_tag(endian) != u64::from(abi::DT_NULL))
            .map(|entry| (entry.d_tag(endian), entry.d_val(endian)))
            .collect();
        let value = |tag: u32| {
            entries
                .iter()
                .find(|(t, _)| *t == u64::from(tag))
                .map(|&(_, v)| v)
        };
        let (Some(address), Some(size)) = (value(abi::DT_STRTAB), value(abi::DT_STRSZ)) else {
            return Err("it has no dynamic string table".to_owned());
        };
        let start = file_offset(address, size)
            .ok_or("the dynamic string table is outside the loaded segments")?;
        let table = (start, size as usize);
        let mut strings = Strings {
            table,
            needed: Vec::new(),
            users: Vec::new(),
            symbols_known: true,
        };
        let string_tags = [
            (abi::DT_SONAME, "its DT_SONAME"),
            (abi::DT_RPATH, "its DT_RPATH"),
            (abi::DT_RUNPATH, "its DT_RUNPATH"),
            (abi::DT_AUXILIARY, "its DT_AUXILIARY"),
            (abi::DT_FILTER, "its DT_FILTER"),
            (abi::DT_CONFIG, "its DT_CONFIG"),
            (abi::DT_DEPAUDIT, "its DT_DEPAUDIT"),
            (abi::DT_AUDIT, "its DT_AUDIT"),
        ];
        for &(tag, value) in &entries {
            let offset = value as usize;
            if tag == u64::from(abi::DT_NEEDED) {
                let name = strings
                    .string(data, offset)
                    .ok_or("a DT_NEEDED is unreadable")?;
                strings
                    .needed
                    .push((String::from_utf8_lossy(name).into_owned(), offset));
            } else if let Some((_, what)) = string_tags.iter().find(|(t, _)| u64::from(*t) == tag) {
                strings.users.push((offset, Some(what.to_string())));
            }
        }

        // Version requirements and definitions, walked as the loader walks them.
        let read_u16 = |at: usize| -> Option<u16> {
            Some(endian.read_u16_bytes(data.get(at..at + 2)?.try_into().ok()?))
        };
        let read_u32 = |at: usize| -> Option<u32> {
            Some(endian.read_u32_bytes(data.get(at..at + 4)?.try_into().ok()?))
        };
        let bad_versions = || "its version records are unreadable".to_owned();
        if let (Some(address), Some(count)) = (value(abi::DT_VERNEED), value(abi::DT_VERNEEDNUM)) {
            let mut at = file_offset(address, 16).ok_or_else(bad_versions)?;
            for _ in 0..count {
                let aux_count = read_u16(at + 2).ok_or_else(bad_versions)?;
                let file = read_u32(at + 4).ok_or_else(bad_versions)?;
                strings.users.push((file as usize, None));
                let mut aux = at + read_u32(at + 8).ok_or_else(bad_versions)? as usize;
                for _ in 0..aux_count {
                    let name = read_u32(aux + 8).ok_or_else(bad_versions)?;
                    strings
                        .users
                        .push((name as usize, Some("a required version's name".to_owned())));
                    aux += read_u32(aux + 12).ok_or_else(bad_versions)? as usize;
                }
                at += read_u32(at + 12).ok_or_else(bad_versions)? as usize;
            }
        }
        if let (Some(address), Some(count)) = (value(abi::DT_VERDEF), value(abi::DT_VERDEFNUM)) {
            let mut at = file_offset(address, 20).ok_or_else(bad_versions)?;
            for _ in 0..count {
                let aux_count = read_u16(at + 6).ok_or_else(bad_versions)?;
                let mut aux = at + read_u32(at + 12).ok_or_else(bad_versions)? as usize;
                for _ in 0..aux_count {
                    let name = read_u32(aux).ok_or_else(bad_versions)?;
                    strings
                        .users
                        .push((name as usize, Some("a defined version's name".to_owned())));
                    aux += read_u32(aux + 4).ok_or_else(bad_versions)? as usize;
                }
                at += read_u32(at + 16).ok_or_else(bad_versions)? as usize;
            }
        }

        // Dynamic symbols' names. How many there are the loader never needs to know: it
        // goes by the hash table. The section headers say, or DT_HASH's chain count.
        if let Some(address) = value(abi::DT_SYMTAB) {
            let from_sections = header
                .sections(endian, data)
                .ok()
                .and_then(|sections| {
                    sections.iter().find(|s| {
                        s.sh_type(endian) == abi::SHT_DYNSYM && s.sh_addr(endian) == address
                    })
                })
                .map(|s| s.sh_size(endian) / 24);
            let from_hash = value(abi::DT_HASH)
                .and_then(|hash| file_offset(hash, 8))
                .and_then(|at| read_u32(at + 4))
                .map(u64::from);
            match from_sections.or(from_hash) {
                Some(count) => {
                    let at = file_offset(address, count.saturating_mul(24))
                        .ok_or("its dynamic symbols are outside the loaded segments")?;
                    for symbol in 0..count as usize {
                        let name = read_u32(at + symbol * 24).ok_or("unreadable symbol")?;
                        strings
                            .users
                            .push((name as usize, Some("a dynamic symbol's name".to_owned())));
                    }
                }
                None => strings.symbols_known = false,
            }
        }
        Ok(strings)
    }

    /// The NUL-terminated string at `offset` of the table, without its NUL.
    fn string<'d>(&self, data: &'d [u8], offset: usize) -> Option<&'d [u8]> {
        let (start, size) = self.table;
        let table = data.get(start..start.checked_add(size)?)?;
        let rest = table.get(offset..)?;
        Some(&rest[..rest.iter().position(|&b| b == 0)?])
    }

    /// The file offset of the `need`-th DT_NEEDED string, if the stub may overwrite it
    /// with a memfd path: long enough, and no other reference into the table reads any of
    /// its bytes, but a version requirement's file name at the same offset.
    fn rewritable(&self, data: &[u8], need: usize) -> Result<u64, NotRewritable> {
        let (name, offset) = &self.needed[need];
        let capacity = name.len() + 1;
        if capacity < MIN_CAPACITY {
            return Err(NotRewritable::TooShort { capacity });
        }
        if !self.symbols_known {
            return Err(NotRewritable::UnknownSymbolCount);
        }
        let span = |offset: usize| -> Option<(usize, usize)> {
            Some((offset, offset + self.string(data, offset)?.len()))
        };
        let (start, end) = span(*offset).ok_or(NotRewritable::NotInFile)?;
        let overlaps = |other: usize| {
            span(other)
                .is_none_or(|(other_start, other_end)| other_start <= end && start <= other_end)
        };
        for (index, (other_name, other)) in self.needed.iter().enumerate() {
            if index != need && overlaps(*other) {
                return Err(NotRewritable::Shared {
                    user: format!("its DT_NEEDED {other_name}"),
                });
            }
        }
        for (other, user) in &self.users {
            match user {
                None if *other == *offset => {}
                None if self.string(data, *other) == Some(name.as_bytes()) => {
                    return Err(NotRewritable::SeparateVersionFile)
                }
                None if overlaps(*other) => {
                    return Err(NotRewritable::Shared {
                        user: "a version requirement's file name".to_owned(),
                    })
                }
                Some(user) if overlaps(*other) => {
                    return Err(NotRewritable::Shared { user: user.clone() })
                }
                _ => {}
            }
        }
        Ok((self.table.0 + offset) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::native::ldso::tests::{cc, have_cc};

    #[test]
    fn the_walk_rewrites_the_needs_of_members_not_mapped_yet() {
        // a -> b -> c -> a, and a -> c after a -> b: from a, a's need of b maps b, its
        // need of c maps c, and b's need of c finds c mapped.
        let needs = vec![vec![(1, 0), (2, 3)], vec![(2, 1)], vec![(0, 0)]];
        let offset = |member: usize, need: usize| Ok::<_, ()>((member * 100 + need) as u64);
        assert_eq!(
            simulate(3, 0, &needs, offset).unwrap(),
            [(0, vec![(1, 0), (2, 3)]), (1, vec![]), (2, vec![])]
        );
        // From c: c maps a, a maps b; b's need of c is satisfied by c's soname.
        assert_eq!(
            simulate(3, 2, &needs, offset).unwrap(),
            [(2, vec![(0, 200)]), (0, vec![(1, 0)]), (1, vec![])]
        );
        // A need that cannot be rewritten stops the walk from that root.
        let refuse_a = |member: usize, need: usize| {
            if member == 0 {
                Err(member)
            } else {
                offset(member, need).map_err(|()| member)
            }
        };
        assert_eq!(simulate(3, 0, &needs, refuse_a), Err(0));
        assert_eq!(
            simulate(3, 1, &needs, refuse_a).unwrap(),
            [(1, vec![(2, 101)]), (2, vec![(0, 200)]), (0, vec![])]
        );
    }

    /// Builds liba and libb, each needing the other, in `dir` with `sonames`, with
    /// `extra_a` added to liba's source and version scripts giving both versioned symbols.
    fn build_pair(dir: &std::path::Path, sonames: [&str; 2], extra_a: &str) -> [Vec<u8>; 2] {
        let [a, b] = sonames;
        let a_source = format!(
            "int pfz_b(int); int pfz_a(int x) {{ return x + 1; }} \
             int pfz_entry(int x) {{ return pfz_b(x) * 10; }}\n{extra_a}"
        );
        let b_source = "int pfz_a(int); int pfz_b(int x) { return pfz_a(x) * 2; }";
        std::fs::write(dir.join("a.map"), "PFZA_1 { global: *; };").unwrap();
        std::fs::write(dir.join("b.map"), "PFZB_1 { global: *; };").unwrap();
        let (a_soname, b_soname) = (format!("-Wl,-soname,{a}"), format!("-Wl,-soname,{b}"));
        let (link_a, link_b) = (format!("-l:{a}"), format!("-l:{b}"));
        // liba first without libb, so that libb can link to it, then again with libb.
        let a_args = [a_soname.as_str(), "-Wl,--version-script=a.map"];
        cc(
            dir,
            &a_source,
            a,
            &[&a_args[..], &["-Wl,--allow-shlib-undefined"]].concat(),
        );
        cc(
            dir,
            b_source,
            b,
            &[&b_soname, "-Wl,--version-script=b.map", "-L.", &link_a],
        );
        cc(
            dir,
            &a_source,
            a,
            &[&a_args[..], &["-L.", &link_b]].concat(),
        );
        [a, b].map(|name| {
            crate::build::native::strip::strip(&std::fs::read(dir.join(name)).unwrap()).unwrap()
        })
    }

    #[test]
    fn a_pair_with_versioned_symbols_is_planned_from_its_first_member() {
        if !have_cc() {
            return;
        }
        let temp = tempfile::tempdir().unwrap();
        let sonames = ["libpfzplan-a.so.1", "libpfzplan-b.so.1"];
        let [a, b] = build_pair(temp.path(), sonames, "");
        let plan = plan(&[(sonames[0], &a), (sonames[1], &b)]).unwrap();
        let [(first, links), (second, none)] = &plan.members[..] else {
            panic!("{plan:?}");
        };
        assert_eq!((first.as_str(), second.as_str()), (sonames[0], sonames[1]));
        assert!(none.is_empty());
        let [(needed, offset)] = &links[..] else {
            panic!("{plan:?}");
        };
        assert_eq!(needed, sonames[1]);
        let at = *offset as usize;
        assert_eq!(&a[at..at + needed.len() + 1], b"libpfzplan-b.so.1\0");
        let group = plan.group();
        assert!(group.members[0].links[0].is_in(&a));
    }

    #[test]
    fn short_and_shared_names_are_not_rewritten() {
        if !have_cc() {
            return;
        }
        let temp = tempfile::tempdir().unwrap();
        let [a, b] = build_pair(temp.path(), ["libpfzs-a.so.1", "libpfzs-b.so.1"], "");
        match plan(&[("libpfzs-a.so.1", &a), ("libpfzs-b.so.1", &b)]) {
            Err(Unplannable::Link {
                library,
                needed,
                why: NotRewritable::TooShort { capacity: 15 },
                ..
            }) => assert_eq!((&*library, &*needed), ("libpfzs-a.so.1", "libpfzs-b.so.1")),
            other => panic!("{other:?}"),
        }

        // liba exports a symbol whose name ends with libb's soname: the linker stores
        // the soname as that name's tail, which a rewrite would change.
        let temp = tempfile::tempdir().unwrap();
        let sonames = ["libpfztail_a.so.1", "libpfztail_b.so.1"];
        let [a, b] = build_pair(
            temp.path(),
            sonames,
            "int pfz_tail(void) __asm__(\"x_libpfztail_b.so.1\"); \
             int pfz_tail(void) { return 0; }",
        );
        let strings = Strings::read(&a).unwrap();
        let need = strings
            .needed
            .iter()
            .position(|(name, _)| name == sonames[1])
            .unwrap();
        assert_eq!(
            strings.rewritable(&a, need),
            Err(NotRewritable::Shared {
                user: "a dynamic symbol's name".to_owned()
            })
        );
        // From libb, libb's need of liba is rewritten and liba's need of libb is found by
        // soname: the group still loads.
        let plan = plan(&[(sonames[0], &a), (sonames[1], &b)]).unwrap();
        assert_eq!(plan.members[0].0, sonames[1]);
        assert_eq!(plan.members[0].1[0].0, sonames[0]);
    }

    #[test]
    fn a_file_that_is_not_elf_cannot_be_planned() {
        assert!(matches!(
            plan(&[("liba.so.1", b"nope"), ("libb.so.1", b"nope")]),
            Err(Unplannable::Elf { .. })
        ));
    }
}
