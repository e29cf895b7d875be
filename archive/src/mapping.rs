//! The contents of a [`Kind::Mapping`](crate::Kind::Mapping) entry: how the stub loads a
//! native object (libpython, a library, an extension module) whose read-only segments run
//! from the bundle's own pages instead of a copy.
//!
//! The dynamic loader reads only part of a shared object while it `dlopen`s it: the
//! headers, the dynamic section, the symbol, version and hash tables, the relocations and
//! the writable segment it relocates. Code and read-only data are not touched until they
//! run, so the stub copies into the object's memfd only what the loader reads, leaves the
//! [`MappedRange`]s as holes (the memfd has the object's full size), `dlopen`s it, and
//! maps the executable's own file over each range, at the address the loader put it, from
//! the bundle offset that holds the same bytes. The code then runs from the bundle's page
//! cache, shared by every process started from the same file. The read-only pages the
//! loader does read (the symbol tables, the relocations) are copied, and once `dlopen` has
//! returned they too are mapped from the bundle and dropped from the memfd, so that only
//! the writable segment stays in memory of the process's own.
//!
//! Code the loader would run during `dlopen`, before the ranges are mapped, would run
//! holes: so the build moves the object's constructors (`DT_INIT`, `DT_INIT_ARRAY`) past
//! the end of its dynamic section, where the loader does not look, and records them here;
//! the stub runs them once the ranges are mapped, as the loader would have, `DT_INIT`
//! first. Objects whose loading runs other code of theirs (IFUNC resolvers) or writes to
//! their read-only segments (text relocations) get no mapping and are copied whole.
//!
//! Layout, little-endian: a [`MappingHeader`], then `range_count` [`RawRange`]s. The
//! object's entry is stored raw and starts on a [`PAGE_SIZE`] boundary of the file, so
//! that an offset into it is an offset the executable's file can be mapped from.

use zerocopy::little_endian::{U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::Error;

/// The page size mappings are planned for: offsets, lengths and addresses of the ranges
/// are multiples of it. A machine with larger pages copies the object whole.
pub const PAGE_SIZE: u64 = 4096;

/// Ranges an object may have: ELF objects have a few read-only segments.
const MAX_RANGES: u32 = 64;

/// `PF_X`, `PF_W` and `PF_R`, as program headers give a segment's protection.
pub mod prot {
    pub const EXEC: u32 = 1;
    pub const WRITE: u32 = 2;
    pub const READ: u32 = 4;
}

#[derive(Debug, Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub struct MappingHeader {
    pub range_count: U32,
    pub reserved: U32,
    /// `DT_INIT`'s address (relative to the object's load address), or 0.
    pub init: U64,
    /// `DT_INIT_ARRAY`'s address (relative to the load address), or 0.
    pub init_array: U64,
    /// How many function pointers `DT_INIT_ARRAY` holds.
    pub init_array_len: U64,
}

#[derive(Debug, Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub struct RawRange {
    pub offset: U64,
    pub len: U64,
    pub address: U64,
    /// Bit set of [`prot`].
    pub prot: U32,
    /// Bit set of [`range_flags`].
    pub flags: U32,
}

/// What a [`RawRange`] is, besides mapped.
pub mod range_flags {
    /// The loader reads these bytes while it loads the object: they are copied into the
    /// memfd, and mapped from the bundle only once `dlopen` has returned.
    pub const LOADER_READS: u32 = 1;
}

/// Bytes of the object that are mapped from the bundle rather than copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MappedRange {
    /// Where they start in the object's bytes.
    pub offset: u64,
    pub len: u64,
    /// Where the loader places them, relative to the object's load address.
    pub address: u64,
    /// Bit set of [`prot`]: never writable.
    pub prot: u32,
    /// The loader reads them (see [`range_flags::LOADER_READS`]): copied, then mapped.
    pub loader_reads: bool,
}

impl MappedRange {
    pub fn end(&self) -> u64 {
        self.offset + self.len
    }
}

/// How a native object is loaded with parts of it mapped from the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mapping {
    /// In the order of their offsets, none overlapping.
    pub ranges: Vec<MappedRange>,
    /// The constructors the build hid from the loader, for the stub to run: `DT_INIT`'s
    /// address, relative to the load address.
    pub init: Option<u64>,
    /// `DT_INIT_ARRAY`: its address relative to the load address, and its length.
    pub init_array: Option<(u64, u64)>,
}

impl Mapping {
    /// The bytes of the object mapped from the bundle once it is loaded.
    pub fn mapped_len(&self) -> u64 {
        self.ranges.iter().map(|range| range.len).sum()
    }

    /// The ranges never copied: holes in the memfd until they are mapped.
    pub fn holes(&self) -> Vec<MappedRange> {
        self.ranges
            .iter()
            .filter(|range| !range.loader_reads)
            .copied()
            .collect()
    }

    /// The bytes of the object copied into its memfd while it loads.
    pub fn copied_len(&self, object_len: u64) -> u64 {
        object_len - self.holes().iter().map(|range| range.len).sum::<u64>()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let header = MappingHeader {
            range_count: U32::new(self.ranges.len() as u32),
            reserved: U32::new(0),
            init: U64::new(self.init.unwrap_or(0)),
            init_array: U64::new(self.init_array.map_or(0, |(address, _)| address)),
            init_array_len: U64::new(self.init_array.map_or(0, |(_, len)| len)),
        };
        let mut out = header.as_bytes().to_vec();
        for range in &self.ranges {
            let raw = RawRange {
                offset: U64::new(range.offset),
                len: U64::new(range.len),
                address: U64::new(range.address),
                prot: U32::new(range.prot),
                flags: U32::new(if range.loader_reads {
                    range_flags::LOADER_READS
                } else {
                    0
                }),
            };
            out.extend_from_slice(raw.as_bytes());
        }
        out
    }

    /// The mapping of the object `name`, `object_len` bytes long, from an entry's
    /// contents, checked as hostile input: every range is whole pages of the object, in
    /// order, not overlapping, readable and not writable.
    pub fn parse(name: &str, contents: &[u8], object_len: u64) -> Result<Mapping, Error> {
        let bad = |what: String| Error::BadMapping {
            name: name.to_owned(),
            what,
        };
        let (header, rest) = MappingHeader::ref_from_prefix(contents)
            .map_err(|_| bad(format!("{} bytes is too short", contents.len())))?;
        let count = header.range_count.get();
        if count == 0 || count > MAX_RANGES {
            return Err(bad(format!("{count} ranges")));
        }
        let raw = <[RawRange]>::ref_from_bytes(rest)
            .ok()
            .filter(|raw| raw.len() == count as usize)
            .ok_or_else(|| bad(format!("{} bytes do not hold {count} ranges", rest.len())))?;
        let mut ranges = Vec::with_capacity(raw.len());
        let mut previous_end = 0;
        for raw in raw {
            let range = MappedRange {
                offset: raw.offset.get(),
                len: raw.len.get(),
                address: raw.address.get(),
                prot: raw.prot.get(),
                loader_reads: raw.flags.get() & range_flags::LOADER_READS != 0,
            };
            let aligned = [range.offset, range.len, range.address]
                .iter()
                .all(|value| value.is_multiple_of(PAGE_SIZE));
            let end = range.offset.checked_add(range.len);
            if !aligned
                || range.len == 0
                || range.offset < previous_end
                || end.is_none_or(|end| end > object_len)
                || range.address.checked_add(range.len).is_none()
                || range.prot & prot::WRITE != 0
                || range.prot & prot::READ == 0
                || range.prot & !(prot::READ | prot::EXEC) != 0
                || raw.flags.get() & !range_flags::LOADER_READS != 0
            {
                return Err(bad(format!(
                    "range {:#x}+{:#x} at {:#x} (prot {}) is not whole pages of the {object_len}-byte object after {previous_end:#x}, readable and not writable",
                    range.offset, range.len, range.address, range.prot
                )));
            }
            previous_end = range.end();
            ranges.push(range);
        }
        let init = Some(header.init.get()).filter(|&address| address != 0);
        let init_array = Some((header.init_array.get(), header.init_array_len.get()))
            .filter(|&(address, _)| address != 0);
        if init_array.is_some_and(|(address, len)| {
            len > object_len || address.checked_add(len.saturating_mul(8)).is_none()
        }) {
            return Err(bad(
                "the constructor array is larger than the object".to_owned()
            ));
        }
        Ok(Mapping {
            ranges,
            init,
            init_array,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Mapping {
        Mapping {
            ranges: vec![
                MappedRange {
                    offset: 0x1000,
                    len: 0x3000,
                    address: 0x1000,
                    prot: prot::READ | prot::EXEC,
                    loader_reads: false,
                },
                MappedRange {
                    offset: 0x4000,
                    len: 0x1000,
                    address: 0x4000,
                    prot: prot::READ,
                    loader_reads: true,
                },
            ],
            init: Some(0x1000),
            init_array: Some((0x6000, 2)),
        }
    }

    #[test]
    fn round_trip() {
        let mapping = sample();
        let bytes = mapping.to_bytes();
        assert_eq!(Mapping::parse("x", &bytes, 0x8000).unwrap(), mapping);
        assert_eq!(mapping.mapped_len(), 0x4000);
        assert_eq!(mapping.holes(), mapping.ranges[..1]);
        assert_eq!(mapping.copied_len(0x8000), 0x5000);
    }

    #[test]
    fn hostile_contents_are_refused() {
        let good = sample();
        let refused = |mapping: &Mapping, len: u64| {
            matches!(
                Mapping::parse("x", &mapping.to_bytes(), len),
                Err(Error::BadMapping { .. })
            )
        };
        assert!(refused(&good, 0x4800), "a range past the object's end");
        let changes: [fn(&mut Mapping); 9] = [
            |m| m.ranges[0].offset = 0x1001,
            |m| m.ranges[0].len = 0,
            |m| m.ranges[1].offset = 0x2000,
            |m| m.ranges[0].prot |= prot::WRITE,
            |m| m.ranges[1].prot = prot::EXEC,
            |m| m.ranges[1].prot = 0x100 | prot::READ,
            |m| m.ranges[1].address = !0xfff,
            |m| m.ranges.clear(),
            |m| m.init_array = Some((0x6000, u64::MAX)),
        ];
        for (i, change) in changes.iter().enumerate() {
            let mut mapping = good.clone();
            change(&mut mapping);
            assert!(refused(&mapping, 0x8000), "change {i}");
        }
        let bytes = good.to_bytes();
        for cut in [0, 10, bytes.len() - 1] {
            assert!(Mapping::parse("x", &bytes[..cut], 0x8000).is_err(), "{cut}");
        }
    }
}
