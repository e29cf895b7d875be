use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use zerocopy::little_endian::{U32, U64};
use zerocopy::IntoBytes;

use crate::mapping::PAGE_SIZE;
use crate::{
    Compression, EntryPointKind, Error, IndexHeader, Kind, PythonOptions, RawEntry, StrRef,
    Trailer, FORMAT_VERSION, MAGIC,
};

/// What the whole bundle is, written into the index header.
#[derive(Debug, Clone)]
pub struct BundleInfo {
    pub python_version: String,
    pub python_major: u8,
    pub python_minor: u8,
    pub optimize: u8,
    pub pyc_magic: [u8; 4],
    pub entry_kind: EntryPointKind,
    pub entry_module: String,
    pub entry_function: String,
    pub libpython: String,
    /// See [`crate::IndexHeader::disk_digest`].
    pub disk_digest: String,
    pub python_options: PythonOptions,
}

/// An entry to be written: its original bytes and how to store them.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub kind: Kind,
    pub name: String,
    pub flags: u8,
    pub compression: Compression,
    pub data: Vec<u8>,
}

/// Collects entries and writes the archive (blobs, index, trailer) after a stub.
///
/// The output depends only on the entries and the info, never on the order they were
/// added in: entries are written sorted by `(kind, name)`.
#[derive(Debug)]
pub struct ArchiveWriter {
    info: BundleInfo,
    entries: BTreeMap<(Kind, String), NewEntry>,
}

struct Strings(Vec<u8>);

impl Strings {
    fn add(&mut self, s: &str) -> StrRef {
        let offset = self.0.len();
        self.0.extend_from_slice(s.as_bytes());
        self.0.push(0);
        StrRef {
            offset: U32::new(offset as u32),
            len: U32::new(s.len() as u32),
        }
    }
}

/// Stored bytes already written, and where.
type Written<'a> = (&'a [u8], u64);

/// The zstd level of compressed entries. On a CPython 3.11 hello bundle's 7.4 MB of
/// compressed entries (sources, cold bytecode and codecs, extension modules), deflate at
/// level 4 made 2.52 MB in 0.2 s of CPU; zstd makes 2.47 MB at 9 (0.2 s), 2.39 MB at 15
/// (1.1 s), 2.23 MB at 19 (2.9 s), and no less at 22 or with long-distance matching
/// (entries are small). 19 took the benchmark's click + rich app from a 1.9 s cold build
/// to 5.4 s, and 15 to 2.8 s, for 1.5% and 0.7% of its size; large libraries and data
/// compress 31 MB/s at 9 and 2.3 at 19, minutes in a pandas app's first build. So 9:
/// what deflate cost, and it decompresses faster than inflate did.
const ZSTD_LEVEL: i32 = 9;
/// What decides the compressed bytes of an entry besides its contents, for caches of them.
pub const COMPRESSION_POLICY: &str = "zstd 9";

/// Compresses `data` as the archive stores a [`Compression::Zstd`] entry.
pub fn compress(data: &[u8]) -> io::Result<Vec<u8>> {
    zstd::bulk::compress(data, ZSTD_LEVEL)
}

impl ArchiveWriter {
    pub fn new(info: BundleInfo) -> Self {
        ArchiveWriter {
            info,
            entries: BTreeMap::new(),
        }
    }

    /// Adds an entry; a second entry with the same kind and name is an error.
    pub fn add(&mut self, entry: NewEntry) -> Result<(), Error> {
        if entry.name.is_empty() || entry.name.contains('\0') {
            return Err(Error::malformed(format!(
                "{} name {:?} is empty or contains a NUL byte",
                entry.kind, entry.name
            )));
        }
        let key = (entry.kind, entry.name.clone());
        if self.entries.contains_key(&key) {
            return Err(Error::malformed(format!(
                "{} `{}` added twice",
                entry.kind, entry.name
            )));
        }
        self.entries.insert(key, entry);
        Ok(())
    }

    pub fn contains(&self, kind: Kind, name: &str) -> bool {
        self.entries.contains_key(&(kind, name.to_owned()))
    }

    /// Writes the bundle to `out`: the runtime `stub`, then the archive. Returns the number
    /// of bytes written.
    pub fn write_to(self, out: impl Write, stub: &[u8]) -> io::Result<u64> {
        self.write_to_with(out, stub, |contents| {
            contents.iter().map(|data| compress(data)).collect()
        })
    }

    /// [`ArchiveWriter::write_to`], with the compressed entries compressed by
    /// `compress_all`: given the contents of every one of them, it returns what
    /// [`compress`] makes of each,
    /// in the same order (a caller may spread them over threads, or have them already).
    pub fn write_to_with(
        self,
        mut out: impl Write,
        stub: &[u8],
        compress_all: impl FnOnce(&[&[u8]]) -> io::Result<Vec<Vec<u8>>>,
    ) -> io::Result<u64> {
        out.write_all(stub)?;
        let archive_start = stub.len() as u64;
        let mut strings = Strings(Vec::new());
        let info = &self.info;
        let header_strings = [
            strings.add(&info.python_version),
            strings.add(&info.entry_module),
            strings.add(&info.entry_function),
            strings.add(&info.libpython),
            strings.add(&info.disk_digest),
            strings.add(&info.python_options.to_string()),
        ];

        let mut records = Vec::with_capacity(self.entries.len());
        let mut offset = 0u64;
        // Identical stored bytes are written once and shared: a file on disk and its
        // in-memory copy, empty `__init__` sources, licence files repeated across wheels.
        let to_compress: Vec<&[u8]> = self
            .entries
            .values()
            .filter(|entry| entry.compression == Compression::Zstd)
            .map(|entry| &entry.data[..])
            .collect();
        let count = to_compress.len();
        let compressed = compress_all(&to_compress)?;
        if compressed.len() != count {
            return Err(io::Error::other(format!(
                "{count} entries to compress, {} compressed",
                compressed.len()
            )));
        }
        let mut compressed = compressed.into_iter();
        let stored_blobs: Vec<std::borrow::Cow<'_, [u8]>> = self
            .entries
            .values()
            .map(|entry| match entry.compression {
                Compression::None => std::borrow::Cow::Borrowed(&entry.data[..]),
                Compression::Zstd => {
                    std::borrow::Cow::Owned(compressed.next().expect("counted above"))
                }
            })
            .collect();
        // Looked up by length and CRC-32, which the index needs anyway, then compared:
        // hashing megabytes of native code with the map's own hasher cost a rebuild 10%.
        let mut written: HashMap<(usize, u32), Vec<Written<'_>>> = HashMap::new();
        for (entry, stored) in self.entries.values().zip(&stored_blobs) {
            let crc32 = crc32fast::hash(&entry.data);
            let stored_crc32 = match entry.compression {
                Compression::None => crc32,
                Compression::Zstd => crc32fast::hash(stored),
            };
            let same = written.entry((stored.len(), stored_crc32)).or_default();
            let at = match same.iter().find(|(bytes, _)| bytes == &&stored[..]) {
                Some(&(_, at)) => at,
                None => {
                    if entry.kind.is_native() && entry.compression == Compression::None {
                        let start = archive_start + offset;
                        let padding = start.next_multiple_of(PAGE_SIZE) - start;
                        out.write_all(&vec![0; padding as usize])?;
                        offset += padding;
                    }
                    let at = offset;
                    out.write_all(stored)?;
                    offset += stored.len() as u64;
                    same.push((stored, at));
                    at
                }
            };
            records.push(RawEntry {
                name: strings.add(&entry.name),
                kind: entry.kind as u8,
                flags: entry.flags,
                compression: entry.compression as u8,
                reserved: 0,
                crc32: U32::new(crc32),
                offset: U64::new(at),
                stored_len: U64::new(stored.len() as u64),
                original_len: U64::new(entry.data.len() as u64),
            });
        }

        let header = IndexHeader {
            entry_count: U32::new(records.len() as u32),
            strings_len: U32::new(strings.0.len() as u32),
            python_major: info.python_major,
            python_minor: info.python_minor,
            optimize: info.optimize,
            entry_kind: info.entry_kind as u8,
            pyc_magic: info.pyc_magic,
            python_version: header_strings[0],
            entry_module: header_strings[1],
            entry_function: header_strings[2],
            libpython: header_strings[3],
            disk_digest: header_strings[4],
            python_options: header_strings[5],
        };
        let mut index = Vec::new();
        index.extend_from_slice(header.as_bytes());
        index.extend_from_slice(records.as_bytes());
        index.extend_from_slice(&strings.0);
        out.write_all(&index)?;

        let trailer = Trailer {
            archive_start: U64::new(archive_start),
            index_offset: U64::new(offset),
            index_len: U64::new(index.len() as u64),
            index_crc32: U32::new(crc32fast::hash(&index)),
            stub_crc32: U32::new(crc32fast::hash(stub)),
            format_version: U32::new(FORMAT_VERSION),
            magic: MAGIC,
        };
        out.write_all(trailer.as_bytes())?;
        Ok(archive_start + offset + index.len() as u64 + size_of::<Trailer>() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{flags, Bundle, CopyError};

    fn info() -> BundleInfo {
        BundleInfo {
            python_version: "3.11.7".into(),
            python_major: 3,
            python_minor: 11,
            optimize: 0,
            pyc_magic: *b"\xa7\x0d\x0d\x0a",
            entry_kind: EntryPointKind::Script,
            entry_module: "__main__".into(),
            entry_function: String::new(),
            libpython: "libpython3.11.so.1.0".into(),
            disk_digest: String::new(),
            python_options: PythonOptions::default(),
        }
    }

    fn sample() -> Vec<u8> {
        let mut w = ArchiveWriter::new(info());
        for (kind, name, flags, compression, data) in [
            (
                Kind::Source,
                "pkg",
                0,
                Compression::Zstd,
                b"print('hi')\n" as &[u8],
            ),
            (
                Kind::Module,
                "pkg",
                flags::PACKAGE,
                Compression::None,
                b"code-pkg",
            ),
            (
                Kind::Module,
                "encodings",
                flags::BOOTSTRAP | flags::PACKAGE,
                Compression::None,
                b"enc",
            ),
            (Kind::Module, "__main__", 0, Compression::None, b"main"),
            (
                Kind::Module,
                "nsp",
                flags::PACKAGE | flags::NAMESPACE,
                Compression::None,
                b"",
            ),
            (
                Kind::LibPython,
                "libpython3.11.so.1.0",
                0,
                Compression::None,
                b"\x7fELF",
            ),
        ] {
            w.add(NewEntry {
                kind,
                name: name.into(),
                flags,
                compression,
                data: data.to_vec(),
            })
            .unwrap();
        }
        let mut file = Vec::new();
        w.write_to(&mut file, b"#!stub bytes").unwrap();
        file
    }

    #[test]
    fn round_trip() {
        let file = sample();
        let bundle = Bundle::parse(&file).unwrap();
        assert_eq!(bundle.archive_start(), 12);
        assert_eq!(bundle.python_version().unwrap(), "3.11.7");
        assert_eq!(bundle.python_major_minor(), (3, 11));
        assert_eq!(
            bundle.entry_point().unwrap(),
            (EntryPointKind::Script, "__main__", "")
        );
        assert_eq!(bundle.libpython().unwrap(), "libpython3.11.so.1.0");
        assert_eq!(bundle.python_options().unwrap(), PythonOptions::default());
        assert_eq!(bundle.disk_digest().unwrap(), "");
        let names: Vec<_> = bundle
            .entries()
            .map(|e| e.map(|e| (e.kind, e.name)).unwrap())
            .collect();
        assert_eq!(
            names,
            [
                (Kind::Module, "__main__"),
                (Kind::Module, "encodings"),
                (Kind::Module, "nsp"),
                (Kind::Module, "pkg"),
                (Kind::Source, "pkg"),
                (Kind::LibPython, "libpython3.11.so.1.0"),
            ]
        );
        let pkg = bundle.find(Kind::Module, "pkg").unwrap().unwrap();
        assert!(pkg.is_package() && !pkg.is_bootstrap() && !pkg.is_namespace());
        let nsp = bundle.find(Kind::Module, "nsp").unwrap().unwrap();
        assert!(nsp.is_package() && nsp.is_namespace());
        assert!(nsp.contents().unwrap().is_empty());
        assert_eq!(&*pkg.contents().unwrap(), b"code-pkg");
        assert_eq!(pkg.c_name().to_bytes(), b"pkg");
        let source = bundle.find(Kind::Source, "pkg").unwrap().unwrap();
        assert_eq!(source.compression, Compression::Zstd);
        assert_eq!(&*source.contents().unwrap(), b"print('hi')\n");
        assert!(bundle.find(Kind::Module, "missing").unwrap().is_none());
        assert!(bundle.find(Kind::Extension, "pkg").unwrap().is_none());
        assert_eq!(bundle.kind_range(Kind::Module), 0..4);
        let with_prefix = |prefix| {
            bundle
                .with_prefix(Kind::Module, prefix)
                .map(|e| e.unwrap().name)
                .collect::<Vec<_>>()
        };
        assert_eq!(with_prefix("e"), ["encodings"]);
        assert_eq!(with_prefix(""), ["__main__", "encodings", "nsp", "pkg"]);
        assert!(with_prefix("z").is_empty());
        assert_eq!(bundle.with_prefix(Kind::Source, "").count(), 1);
        assert_eq!(bundle.kind_range(Kind::Extension), 5..5);
    }

    #[test]
    fn entries_are_compressed_at_the_chosen_level() {
        let data: Vec<u8> = (0..10_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        assert_eq!(
            compress(&data).unwrap(),
            zstd::bulk::compress(&data, ZSTD_LEVEL).unwrap()
        );
    }

    #[test]
    fn compression_can_be_done_by_the_caller() {
        let writer = || {
            let mut w = ArchiveWriter::new(info());
            for (name, compression) in [
                ("a", Compression::Zstd),
                ("b", Compression::None),
                ("c", Compression::Zstd),
            ] {
                w.add(NewEntry {
                    kind: Kind::Source,
                    name: name.into(),
                    flags: 0,
                    compression,
                    data: name.repeat(100).into_bytes(),
                })
                .unwrap();
            }
            w
        };
        let mut plain = Vec::new();
        writer().write_to(&mut plain, b"").unwrap();
        let mut asked = Vec::new();
        let mut with = Vec::new();
        writer()
            .write_to_with(&mut with, b"", |contents| {
                asked = contents.iter().map(|c| c.to_vec()).collect();
                contents.iter().map(|c| compress(c)).collect()
            })
            .unwrap();
        assert_eq!(with, plain);
        assert_eq!(asked, [b"a".repeat(100), b"c".repeat(100)]);
        let error = writer()
            .write_to_with(Vec::new(), b"", |_| Ok(vec![Vec::new()]))
            .unwrap_err();
        assert!(error
            .to_string()
            .contains("2 entries to compress, 1 compressed"));
    }

    #[test]
    fn raw_native_code_starts_on_a_page_and_its_mapping_is_checked_against_it() {
        use crate::mapping::{prot, MappedRange, Mapping, PAGE_SIZE};
        let mapping = Mapping {
            ranges: vec![MappedRange {
                offset: 0x1000,
                len: 0x1000,
                address: 0x1000,
                prot: prot::READ | prot::EXEC,
                loader_reads: false,
            }],
            init: None,
            init_array: Some((0x2000, 1)),
        };
        let read = |object_len: usize, compression| {
            let mut w = ArchiveWriter::new(info());
            for (kind, name, compression, data) in [
                (Kind::Module, "m", Compression::None, b"odd length".to_vec()),
                (Kind::Library, "liba.so.1", compression, vec![7; object_len]),
                (
                    Kind::Mapping,
                    "liba.so.1",
                    Compression::None,
                    mapping.to_bytes(),
                ),
            ] {
                w.add(NewEntry {
                    kind,
                    name: name.into(),
                    flags: 0,
                    compression,
                    data,
                })
                .unwrap();
            }
            let mut file = Vec::new();
            w.write_to(&mut file, b"an odd-length stub").unwrap();
            file
        };
        let file = read(0x3000, Compression::None);
        let bundle = Bundle::parse(&file).unwrap();
        let library = bundle.find(Kind::Library, "liba.so.1").unwrap().unwrap();
        assert_eq!(library.file_offset % PAGE_SIZE, 0);
        assert_eq!(bundle.mapping(&library).unwrap(), Some(mapping.clone()));
        let module = bundle.find(Kind::Module, "m").unwrap().unwrap();
        assert_eq!(bundle.mapping(&module).unwrap(), None);

        // Too short for its ranges; stored compressed, so not in the file as it runs.
        for (len, compression) in [(0x1800, Compression::None), (0x3000, Compression::Zstd)] {
            let file = read(len, compression);
            let bundle = Bundle::parse(&file).unwrap();
            let library = bundle.find(Kind::Library, "liba.so.1").unwrap().unwrap();
            assert!(matches!(
                bundle.mapping(&library),
                Err(Error::BadMapping { .. })
            ));
        }
    }

    #[test]
    fn identical_blobs_are_stored_once() {
        let data = b"the same licence text, twice".repeat(20);
        let write = |second: &[u8]| {
            let mut w = ArchiveWriter::new(info());
            for (name, data) in [("a/LICENSE", &data[..]), ("b/LICENSE", second)] {
                w.add(NewEntry {
                    kind: Kind::Data,
                    name: name.into(),
                    flags: 0,
                    compression: Compression::None,
                    data: data.to_vec(),
                })
                .unwrap();
            }
            let mut file = Vec::new();
            w.write_to(&mut file, b"").unwrap();
            file
        };
        let shared = write(&data);
        let bundle = Bundle::parse(&shared).unwrap();
        let a = bundle.find(Kind::Data, "a/LICENSE").unwrap().unwrap();
        let b = bundle.find(Kind::Data, "b/LICENSE").unwrap().unwrap();
        assert_eq!(a.stored.as_ptr(), b.stored.as_ptr());
        assert_eq!(&*b.contents().unwrap(), &data[..]);
        let mut other = data.clone();
        other[0] = b'T';
        assert_eq!(
            write(&other).len() - shared.len(),
            a.stored.len(),
            "a different blob is written in full"
        );
    }

    #[test]
    fn output_does_not_depend_on_insertion_order() {
        let entries = [("b", b"2"), ("a", b"1"), ("c", b"3")];
        let build = |order: &[usize]| {
            let mut w = ArchiveWriter::new(info());
            for &i in order {
                let (name, data) = entries[i];
                w.add(NewEntry {
                    kind: Kind::Module,
                    name: name.into(),
                    flags: 0,
                    compression: Compression::Zstd,
                    data: data.to_vec(),
                })
                .unwrap();
            }
            let mut out = Vec::new();
            w.write_to(&mut out, b"").unwrap();
            out
        };
        assert_eq!(build(&[0, 1, 2]), build(&[2, 1, 0]));
    }

    #[test]
    fn duplicates_and_bad_names_are_rejected() {
        let mut w = ArchiveWriter::new(info());
        let entry = |name: &str| NewEntry {
            kind: Kind::Module,
            name: name.into(),
            flags: 0,
            compression: Compression::None,
            data: vec![],
        };
        w.add(entry("a")).unwrap();
        assert!(w.add(entry("a")).is_err());
        assert!(w.add(entry("")).is_err());
        assert!(w.add(entry("a\0b")).is_err());
    }

    #[test]
    fn namespace_and_locale_codec_flags_only_on_the_modules_they_describe() {
        let read = |kind, flags, data: &[u8]| {
            let mut w = ArchiveWriter::new(info());
            w.add(NewEntry {
                kind,
                name: "nsp".into(),
                flags,
                compression: Compression::None,
                data: data.to_vec(),
            })
            .unwrap();
            let mut file = Vec::new();
            w.write_to(&mut file, b"").unwrap();
            Bundle::parse(&file)
                .unwrap()
                .entry(0)
                .map(|e| e.is_namespace())
        };
        let namespace = flags::PACKAGE | flags::NAMESPACE;
        assert!(read(Kind::Module, namespace, b"").unwrap());
        assert!(!read(Kind::Module, flags::LOCALE_CODEC, b"code").unwrap());
        for (kind, flags, data) in [
            (Kind::Module, namespace, &b"code"[..]),
            (Kind::Module, flags::NAMESPACE, b""),
            (Kind::Module, namespace | flags::BOOTSTRAP, b""),
            (Kind::Source, namespace, b""),
            (Kind::Module, namespace | flags::LOCALE_CODEC, b""),
            (
                Kind::Module,
                flags::BOOTSTRAP | flags::LOCALE_CODEC,
                b"code",
            ),
            (Kind::Source, flags::LOCALE_CODEC, b"code"),
        ] {
            assert!(
                matches!(read(kind, flags, data), Err(Error::Malformed { .. })),
                "{kind} with flags {flags:#04x} and {} bytes",
                data.len()
            );
        }
    }

    #[test]
    fn groups_are_checked_against_the_bundle() {
        let read = |group: &[u8], compression, libb: &[u8]| {
            let mut w = ArchiveWriter::new(info());
            for (kind, name, data) in [
                (Kind::Library, "liba.so.1", &b"\x7fELF..libb.so.1\0"[..]),
                (Kind::Library, "libb.so.1", libb),
                (Kind::Group, "liba.so.1", group),
                (Kind::Group, "libb.so.1", group),
            ] {
                w.add(NewEntry {
                    kind,
                    name: name.into(),
                    flags: 0,
                    compression: if kind == Kind::Group {
                        compression
                    } else {
                        Compression::None
                    },
                    data: data.to_vec(),
                })
                .unwrap();
            }
            let mut file = Vec::new();
            w.write_to(&mut file, b"").unwrap();
            let bundle = Bundle::parse(&file).unwrap();
            let group = bundle.group("libb.so.1").map(|g| {
                g.map(|g| {
                    g.members
                        .iter()
                        .map(|m| (m.soname.to_owned(), m.links.len()))
                        .collect::<Vec<_>>()
                })
            });
            assert!(bundle.group("libz.so.1").unwrap().is_none());
            group
        };
        let good = b"liba.so.1 libb.so.1@6\nlibb.so.1\n";
        assert_eq!(
            read(good, Compression::None, b"\x7fELF").unwrap().unwrap(),
            [("liba.so.1".to_owned(), 1), ("libb.so.1".to_owned(), 0)]
        );
        for (group, compression, libb) in [
            // The link runs past the end of liba.so.1.
            (
                &b"liba.so.1 libb.so.1@7\nlibb.so.1\n"[..],
                Compression::None,
                &b"\x7fELF"[..],
            ),
            (good, Compression::Zstd, b"\x7fELF"),
            (
                b"liba.so.1 libz.so.1@6\nlibz.so.1\n",
                Compression::None,
                b"",
            ),
            (
                b"liba.so.1 libb.so.1@6\nlibb.so.1 liba.so.1@0\n",
                Compression::None,
                b"",
            ),
        ] {
            assert!(
                matches!(
                    read(group, compression, libb),
                    Err(Error::BadGroup { .. } | Error::OutOfBounds { .. })
                ),
                "{:?} {compression:?}",
                String::from_utf8_lossy(group)
            );
        }
    }

    #[test]
    fn foreign_and_damaged_files_give_typed_errors() {
        assert!(matches!(Bundle::parse(b"short"), Err(Error::NotABundle)));
        // Found by the fuzzer: the magic alone, too short to hold a version.
        assert!(matches!(Bundle::parse(&MAGIC), Err(Error::NotABundle)));
        assert!(matches!(
            Bundle::parse(&[0u8; 4096]),
            Err(Error::NotABundle)
        ));

        let good = sample();
        let mut versioned = good.clone();
        let at = versioned.len() - 12;
        versioned[at] = 10;
        assert!(matches!(
            Bundle::parse(&versioned),
            Err(Error::UnsupportedVersion { found: 10, .. })
        ));

        let mut corrupt_index = good.clone();
        let at = corrupt_index.len() - 50;
        corrupt_index[at] ^= 0xff;
        assert!(matches!(
            Bundle::parse(&corrupt_index),
            Err(Error::IndexChecksum { .. })
        ));

        let mut corrupt_blob = good.clone();
        corrupt_blob[12] ^= 0xff;
        let bundle = Bundle::parse(&corrupt_blob).unwrap();
        let first = bundle.entry(0).unwrap();
        assert!(matches!(
            first.contents(),
            Err(Error::ContentChecksum { .. })
        ));

        let truncated = &good[20..];
        assert!(Bundle::parse(truncated).is_err());

        let mut corrupt_stub = good.clone();
        corrupt_stub[3] ^= 0x10;
        assert!(matches!(
            Bundle::parse(&corrupt_stub),
            Err(Error::StubChecksum { len: 12, .. })
        ));
    }

    /// With a real ELF executable in front (this test's own), a bundle cut anywhere is
    /// told from the executable alone, and from a file that is no ELF image.
    #[test]
    fn truncation_is_told_from_a_bare_stub() {
        let stub = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let mut bundle = Vec::new();
        writer_of_one().write_to(&mut bundle, &stub).unwrap();
        assert!(Bundle::parse(&bundle).is_ok());
        assert!(matches!(Bundle::parse(&stub), Err(Error::NotABundle)));
        for cut in [
            1,
            10,
            44,
            45,
            bundle.len() - stub.len() - 1,
            bundle.len() - 100,
        ] {
            let short = &bundle[..bundle.len() - cut];
            let error = Bundle::parse(short).unwrap_err();
            assert!(
                matches!(error, Error::Truncated { len, image_len }
                    if len == short.len() as u64 && image_len == stub.len() as u64),
                "cut {cut}: {error}"
            );
            assert!(error.to_string().contains("truncated"), "{error}");
        }
        let mut damaged_magic = bundle.clone();
        *damaged_magic.last_mut().unwrap() ^= 1;
        assert!(matches!(
            Bundle::parse(&damaged_magic),
            Err(Error::Truncated { .. })
        ));
    }

    fn writer_of_one() -> ArchiveWriter {
        let mut w = ArchiveWriter::new(info());
        w.add(NewEntry {
            kind: Kind::Library,
            name: "liba.so.1".into(),
            flags: 0,
            compression: Compression::None,
            data: (0..300_000u32).map(|i| (i % 253) as u8).collect(),
        })
        .unwrap();
        w
    }

    /// `copy_to` gives the original bytes of raw and compressed entries, and a checksum
    /// error, after copying, for a damaged raw one.
    #[test]
    fn copies_are_checked() {
        let good = sample();
        let bundle = Bundle::parse(&good).unwrap();
        for entry in bundle.entries() {
            let entry = entry.unwrap();
            let mut out = Vec::new();
            entry.copy_to(&good[..], &mut out).unwrap();
            assert_eq!(out, &*entry.contents().unwrap(), "{}", entry.name);
        }

        let mut file = Vec::new();
        writer_of_one().write_to(&mut file, b"stub").unwrap();
        let at = file.len() / 3;
        file[at] ^= 4;
        let bundle = Bundle::parse(&file).unwrap();
        let library = bundle.find(Kind::Library, "liba.so.1").unwrap().unwrap();
        let mut out = Vec::new();
        let error = library.copy_to(&file[..], &mut out).unwrap_err();
        assert!(
            matches!(&error, CopyError::Damaged(Error::ContentChecksum { name, .. }) if name == "liba.so.1"),
            "{error}"
        );
        assert_eq!(out.len(), 300_000);
    }

    /// Every prefix, and every single-byte change of the trailer and index, must give an
    /// error or a bundle whose entries can all be read without panicking.
    #[test]
    fn mutations_never_panic() {
        let good = sample();
        let exercise = |bytes: &[u8]| {
            if let Ok(bundle) = Bundle::parse(bytes) {
                let _ = bundle.python_version();
                let _ = bundle.entry_point();
                for entry in bundle.entries().flatten() {
                    let _ = entry.contents();
                }
                let _ = bundle.find(Kind::Module, "pkg");
            }
        };
        for len in 0..good.len() {
            exercise(&good[..len]);
        }
        for at in 0..good.len() {
            for value in [0u8, 1, 0x7f, 0xff] {
                let mut bytes = good.clone();
                bytes[at] = value;
                exercise(&bytes);
            }
        }
    }
}
