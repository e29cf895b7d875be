//! glibc's `/etc/ld.so.cache`, which `ldconfig` writes: the sonames it maps to files, as
//! the dynamic loader reads them when a library is not in the object's own search path.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

const LD_SO_CACHE: &str = "/etc/ld.so.cache";

/// The cache of this machine; empty where there is none.
pub(crate) fn read() -> BTreeMap<String, PathBuf> {
    // No cache (musl, a minimal container) just means nothing is found through it.
    std::fs::read(LD_SO_CACHE)
        .map(|data| parse(&data))
        .unwrap_or_default()
}

const CACHE_MAGIC_OLD: &[u8] = b"ld.so-1.7.0";
const CACHE_MAGIC_NEW: &[u8] = b"glibc-ld.so.cache1.1";
/// Old format: magic (padded to 12), entry count, entries of flags, key, value.
const OLD_HEADER: usize = 16;
const OLD_ENTRY: usize = 12;
/// New format: magic and version, entry count, string table size, flags, padding,
/// extension offset, unused; entries of flags, key, value, OS version, hwcap.
const NEW_HEADER: usize = 48;
const NEW_ENTRY: usize = 24;
const NEW_FLAGS_OFFSET: usize = 28;
const CACHE_ENDIAN_MASK: u8 = 3;
const CACHE_ENDIAN_UNSET: u8 = 0;
const CACHE_ENDIAN_LITTLE: u8 = 2;
const FLAG_TYPE_MASK: u32 = 0x00ff;
const FLAG_ELF: u32 = 0x0001;
const FLAG_ELF_LIBC6: u32 = 0x0003;
const FLAG_REQUIRED_MASK: u32 = 0xff00;
const FLAG_X8664_LIB64: u32 = 0x0300;

/// Parses the ld.so cache `ldconfig` writes: soname -> path. A file this does not
/// understand gives an empty map; the search then goes on to the default directories.
///
/// Among several entries for one soname, an x86-64 one wins, then one for no hardware
/// capability: the loader here would prefer a variant optimised for this CPU
/// (glibc-hwcaps), but the bundle must run on any x86-64 machine.
fn parse(data: &[u8]) -> BTreeMap<String, PathBuf> {
    let mut best: BTreeMap<String, (u8, PathBuf)> = BTreeMap::new();
    let mut add = |key: &[u8], value: &[u8], flags: u32, hwcap: u64| {
        if flags & FLAG_TYPE_MASK != FLAG_ELF_LIBC6 && flags & FLAG_TYPE_MASK != FLAG_ELF {
            return;
        }
        let Ok(key) = std::str::from_utf8(key) else {
            return;
        };
        let rank =
            u8::from(flags & FLAG_REQUIRED_MASK != FLAG_X8664_LIB64) * 2 + u8::from(hwcap != 0);
        let path = PathBuf::from(OsStr::from_bytes(value));
        match best.get(key) {
            Some((existing, _)) if *existing <= rank => {}
            _ => {
                best.insert(key.to_owned(), (rank, path));
            }
        }
    };
    let parsed = if data.starts_with(CACHE_MAGIC_NEW) {
        parse_new_cache(data, 0, &mut add)
    } else if data.starts_with(CACHE_MAGIC_OLD) {
        // The new format follows the old one, aligned to 8, in caches written for both.
        let new_start = u32_at(data, CACHE_MAGIC_OLD.len() + 1)
            .and_then(|count| (count as usize).checked_mul(OLD_ENTRY))
            .and_then(|size| size.checked_add(OLD_HEADER + 7))
            .map(|end| end & !7);
        match new_start {
            Some(start)
                if data
                    .get(start..)
                    .is_some_and(|d| d.starts_with(CACHE_MAGIC_NEW)) =>
            {
                parse_new_cache(data, start, &mut add)
            }
            _ => parse_old_cache(data, &mut add),
        }
    } else {
        None
    };
    match parsed {
        Some(()) => best
            .into_iter()
            .map(|(key, (_, path))| (key, path))
            .collect(),
        None => BTreeMap::new(),
    }
}

type AddEntry<'a> = dyn FnMut(&[u8], &[u8], u32, u64) + 'a;

/// New-format entries, strings counted from the start of the new-format header. `None`
/// if the file is malformed or for a machine of the other byte order.
fn parse_new_cache(data: &[u8], start: usize, add: &mut AddEntry<'_>) -> Option<()> {
    let header = data.get(start..start.checked_add(NEW_HEADER)?)?;
    let count = u32_at(header, CACHE_MAGIC_NEW.len())? as usize;
    let endian = header[NEW_FLAGS_OFFSET] & CACHE_ENDIAN_MASK;
    if endian != CACHE_ENDIAN_UNSET && endian != CACHE_ENDIAN_LITTLE {
        return None;
    }
    let entries_start = start + NEW_HEADER;
    let entries =
        data.get(entries_start..entries_start.checked_add(count.checked_mul(NEW_ENTRY)?)?)?;
    let strings = &data[start..];
    for entry in entries.chunks_exact(NEW_ENTRY) {
        let flags = u32_at(entry, 0)?;
        let key = c_string(strings, u32_at(entry, 4)?)?;
        let value = c_string(strings, u32_at(entry, 8)?)?;
        let hwcap = u64::from_le_bytes(entry[16..24].try_into().ok()?);
        add(key, value, flags, hwcap);
    }
    Some(())
}

/// Old-format entries (before glibc 2.32 writes only the new one), strings counted from
/// the end of the entries.
fn parse_old_cache(data: &[u8], add: &mut AddEntry<'_>) -> Option<()> {
    let count = u32_at(data, CACHE_MAGIC_OLD.len() + 1)? as usize;
    let end = OLD_HEADER.checked_add(count.checked_mul(OLD_ENTRY)?)?;
    let entries = data.get(OLD_HEADER..end)?;
    let strings = &data[end..];
    for entry in entries.chunks_exact(OLD_ENTRY) {
        let flags = u32_at(entry, 0)?;
        let key = c_string(strings, u32_at(entry, 4)?)?;
        let value = c_string(strings, u32_at(entry, 8)?)?;
        add(key, value, flags, 0);
    }
    Some(())
}

fn u32_at(data: &[u8], offset: usize) -> Option<u32> {
    let bytes = data.get(offset..offset.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

/// The NUL-terminated string at `offset`, which must end inside `data`.
fn c_string(data: &[u8], offset: u32) -> Option<&[u8]> {
    let rest = data.get(offset as usize..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::native::ldso::is_loadable;
    use object::elf as abi;

    #[test]
    fn the_ld_so_cache_maps_libz() {
        let Ok(data) = std::fs::read(LD_SO_CACHE) else {
            eprintln!("skipped: no {LD_SO_CACHE}");
            return;
        };
        let cache = parse(&data);
        let libz = cache.get("libz.so.1").expect("libz.so.1 in the cache");
        assert!(libz.is_file(), "{}", libz.display());
        assert!(is_loadable(libz, abi::EM_X86_64));
    }

    #[test]
    fn a_malformed_ld_so_cache_is_empty() {
        let mut huge = CACHE_MAGIC_NEW.to_vec();
        huge.extend_from_slice(&[0xff; 64]);
        let mut old_huge = CACHE_MAGIC_OLD.to_vec();
        old_huge.extend_from_slice(&[0, 0xff, 0xff, 0xff, 0xff]);
        let mut past_end = CACHE_MAGIC_NEW.to_vec();
        past_end.resize(NEW_HEADER, 0);
        past_end[20] = 1; // one entry, whose strings are far outside the file
        past_end.extend_from_slice(&[3, 3, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0]);
        past_end.resize(NEW_HEADER + NEW_ENTRY, 0);
        for bytes in [
            &b""[..],
            b"garbage",
            CACHE_MAGIC_NEW,
            CACHE_MAGIC_OLD,
            &huge,
            &old_huge,
            &past_end,
        ] {
            assert!(parse(bytes).is_empty(), "{bytes:?}");
        }
        // Any cut of a real cache must not panic.
        if let Ok(data) = std::fs::read(LD_SO_CACHE) {
            for end in (0..data.len()).step_by(97) {
                parse(&data[..end]);
            }
        }
    }
}
