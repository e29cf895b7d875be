use std::borrow::Cow;
use std::ffi::CStr;

use zerocopy::FromBytes;

use crate::mapping::PAGE_SIZE;
use crate::{
    flags, Compression, EntryPointKind, Error, Group, IndexHeader, Kind, Mapping, PythonOptions,
    RawEntry, StrRef, Trailer, FORMAT_VERSION, MAGIC,
};

/// A bundle read in place from the bytes of a whole file.
#[derive(Debug, Clone, Copy)]
pub struct Bundle<'a> {
    archive_start: u64,
    /// The blob region: from the archive's start to the index.
    blobs: &'a [u8],
    header: &'a IndexHeader,
    entries: &'a [RawEntry],
    strings: &'a [u8],
}

/// One validated entry of a bundle.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub index: usize,
    pub kind: Kind,
    pub name: &'a str,
    c_name: &'a CStr,
    pub flags: u8,
    pub compression: Compression,
    pub crc32: u32,
    /// Offset of the stored bytes from the start of the file.
    pub file_offset: u64,
    /// The bytes as stored (compressed or not).
    pub stored: &'a [u8],
    pub original_len: u64,
}

fn slice<'a>(bytes: &'a [u8], what: &'static str, start: u64, len: u64) -> Result<&'a [u8], Error> {
    let available = bytes.len() as u64;
    let end = start.checked_add(len).ok_or(Error::OutOfBounds {
        what,
        start,
        end: u64::MAX,
        available,
    })?;
    if end > available {
        return Err(Error::OutOfBounds {
            what,
            start,
            end,
            available,
        });
    }
    // Both bounds fit in `bytes.len()`, so they fit in usize.
    Ok(&bytes[start as usize..end as usize])
}

/// The trailer at the end of `file`, if it has one of this format.
fn trailer(file: &[u8]) -> Option<&Trailer> {
    let tail = file.len().checked_sub(size_of::<Trailer>())?;
    let trailer = Trailer::ref_from_bytes(&file[tail..]).ok()?;
    (trailer.magic == MAGIC && trailer.format_version.get() == FORMAT_VERSION).then_some(trailer)
}

/// The stub's checksum in `trailer` and the one computed, if they differ.
fn stub_checksum_mismatch(file: &[u8], trailer: &Trailer) -> Option<(u32, u32)> {
    let stub = file.get(..usize::try_from(trailer.archive_start.get()).ok()?)?;
    let computed = crc32fast::hash(stub);
    let expected = trailer.stub_crc32.get();
    (computed != expected).then_some((expected, computed))
}

/// Whether the stub's bytes of the bundle `file` are damaged: they differ from the checksum
/// in its trailer. The stub asks first thing, with as little of its own code as can be, so
/// that a damaged stub is told before it runs any more of itself; a file without a valid
/// trailer is left to [`Bundle::parse`] to name.
pub fn stub_is_damaged(file: &[u8]) -> bool {
    trailer(file).is_some_and(|trailer| stub_checksum_mismatch(file, trailer).is_some())
}

/// Why `file` has no trailer: it is not a bundle (the bare stub is the ELF image alone,
/// another file is not ours), or it is one cut short or damaged at its end.
fn without_trailer(file: &[u8]) -> Error {
    match elf_image_len(file) {
        Some(image_len) if image_len != file.len() as u64 => Error::Truncated {
            len: file.len() as u64,
            image_len,
        },
        _ => Error::NotABundle,
    }
}

/// Where the ELF image at the start of `file` ends: past its headers, section headers and
/// segments. `None` when `file` does not start with a 64-bit little-endian ELF header.
fn elf_image_len(file: &[u8]) -> Option<u64> {
    use object::read::elf::{FileHeader, ProgramHeader};
    let header = object::elf::FileHeader64::<object::LittleEndian>::parse(file).ok()?;
    let endian = header.endian().ok()?;
    let table_end = |offset: u64, count: u64, size: u16| {
        offset.saturating_add(count.saturating_mul(u64::from(size)))
    };
    let sections = table_end(
        header.e_shoff(endian),
        u64::from(header.e_shnum(endian)),
        header.e_shentsize(endian),
    );
    let program_headers = table_end(
        header.e_phoff(endian),
        u64::from(header.e_phnum(endian)),
        header.e_phentsize(endian),
    );
    let segments = header
        .program_headers(endian, file)
        .unwrap_or_default()
        .iter()
        .map(|segment| {
            segment
                .p_offset(endian)
                .saturating_add(segment.p_filesz(endian))
        })
        .max()
        .unwrap_or(0);
    Some(sections.max(program_headers).max(segments))
}

impl<'a> Bundle<'a> {
    /// Finds the trailer at the end of `file` and checks the index and the stub it points
    /// to against their checksums.
    pub fn parse(file: &'a [u8]) -> Result<Self, Error> {
        let bundle = Self::parse_after_stub_check(file)?;
        if let Some((expected, computed)) =
            trailer(file).and_then(|trailer| stub_checksum_mismatch(file, trailer))
        {
            return Err(Error::StubChecksum {
                len: bundle.archive_start,
                expected,
                computed,
            });
        }
        Ok(bundle)
    }

    /// [`Bundle::parse`] but for the stub's checksum: for the stub, which has checked its
    /// own bytes first thing ([`stub_is_damaged`]) and need not read them twice.
    pub fn parse_after_stub_check(file: &'a [u8]) -> Result<Self, Error> {
        let trailer_len = size_of::<Trailer>();
        // Where every format version keeps it, whatever the size of its trailer.
        let Some(version_at) = file.len().checked_sub(MAGIC.len() + 4) else {
            return Err(without_trailer(file));
        };
        if !file.ends_with(&MAGIC) {
            return Err(without_trailer(file));
        }
        let version = u32::from_le_bytes(
            file[version_at..version_at + 4]
                .try_into()
                .expect("a four-byte range"),
        );
        if version != FORMAT_VERSION {
            return Err(Error::UnsupportedVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if file.len() < trailer_len {
            return Err(without_trailer(file));
        }
        let (body, tail) = file.split_at(file.len() - trailer_len);
        let trailer = Trailer::ref_from_bytes(tail).map_err(|_| Error::NotABundle)?;
        let archive_start = trailer.archive_start.get();
        let archive = slice(
            body,
            "archive",
            archive_start,
            (body.len() as u64).saturating_sub(archive_start),
        )?;
        let index_offset = trailer.index_offset.get();
        let index = slice(archive, "index", index_offset, trailer.index_len.get())?;
        let blobs = &archive[..index_offset as usize];

        let computed = crc32fast::hash(index);
        let expected = trailer.index_crc32.get();
        if computed != expected {
            return Err(Error::IndexChecksum { expected, computed });
        }

        let (header, rest) = IndexHeader::ref_from_prefix(index)
            .map_err(|_| Error::malformed("index is shorter than its header"))?;
        let count = header.entry_count.get() as usize;
        let (entries, strings) = <[RawEntry]>::ref_from_prefix_with_elems(rest, count)
            .map_err(|_| Error::malformed(format!("index is too short for {count} entries")))?;
        if strings.len() as u64 != u64::from(header.strings_len.get()) {
            return Err(Error::malformed(format!(
                "string table is {} bytes, the index header says {}",
                strings.len(),
                header.strings_len.get()
            )));
        }
        Ok(Bundle {
            archive_start,
            blobs,
            header,
            entries,
            strings,
        })
    }

    fn string(&self, what: &'static str, r: StrRef) -> Result<(&'a str, &'a CStr), Error> {
        let start = u64::from(r.offset.get());
        let len = u64::from(r.len.get());
        let with_nul = slice(self.strings, what, start, len + 1)?;
        let c_str = CStr::from_bytes_with_nul(with_nul)
            .map_err(|_| Error::malformed(format!("{what} is not a NUL-terminated string")))?;
        let text = c_str
            .to_str()
            .map_err(|_| Error::malformed(format!("{what} is not UTF-8")))?;
        Ok((text, c_str))
    }

    /// Where the archive starts in the file, i.e. the size of the stub in front of it.
    pub fn archive_start(&self) -> u64 {
        self.archive_start
    }

    pub fn python_version(&self) -> Result<&'a str, Error> {
        Ok(self.string("python version", self.header.python_version)?.0)
    }

    pub fn python_major_minor(&self) -> (u8, u8) {
        (self.header.python_major, self.header.python_minor)
    }

    pub fn optimize(&self) -> u8 {
        self.header.optimize
    }

    pub fn pyc_magic(&self) -> [u8; 4] {
        self.header.pyc_magic
    }

    /// The entry point: its kind, module and (for `module:function`) function.
    pub fn entry_point(&self) -> Result<(EntryPointKind, &'a str, &'a str), Error> {
        let kind = EntryPointKind::from_byte(self.header.entry_kind).ok_or_else(|| {
            Error::malformed(format!(
                "unknown entry point kind {}",
                self.header.entry_kind
            ))
        })?;
        let module = self.string("entry module", self.header.entry_module)?.0;
        let function = self.string("entry function", self.header.entry_function)?.0;
        Ok((kind, module, function))
    }

    /// The name of the [`Kind::LibPython`] entry.
    pub fn libpython(&self) -> Result<&'a str, Error> {
        Ok(self.string("libpython name", self.header.libpython)?.0)
    }

    /// The content address of the [`Kind::Disk`] entries, 64 hex digits; empty exactly when
    /// there are none.
    pub fn disk_digest(&self) -> Result<&'a str, Error> {
        let digest = self.string("disk digest", self.header.disk_digest)?.0;
        let wanted = !self.kind_range(Kind::Disk).is_empty();
        if wanted == digest.is_empty()
            || wanted && (digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(Error::malformed(format!(
                "disk digest {digest:?} is not the SHA-256, in hex, of the on-disk files"
            )));
        }
        Ok(digest)
    }

    /// The interpreter options fixed at build time.
    pub fn python_options(&self) -> Result<PythonOptions, Error> {
        let stored = self.string("python options", self.header.python_options)?.0;
        PythonOptions::parse(stored)
            .ok_or_else(|| Error::malformed(format!("unknown python options {stored:?}")))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The `index`-th entry, validated.
    pub fn entry(&self, index: usize) -> Result<Entry<'a>, Error> {
        let raw = self.entries.get(index).ok_or_else(|| {
            Error::malformed(format!("entry {index} of {} requested", self.entries.len()))
        })?;
        let kind = Kind::from_byte(raw.kind).ok_or(Error::UnknownKind {
            index,
            kind: raw.kind,
        })?;
        let (name, c_name) = self.string("entry name", raw.name)?;
        if raw.flags & !flags::ALL != 0 {
            return Err(Error::malformed(format!(
                "{kind} `{name}` has unknown flags {:#04x}",
                raw.flags
            )));
        }
        if raw.flags & flags::NAMESPACE != 0
            && (kind != Kind::Module
                || raw.flags & (flags::PACKAGE | flags::BOOTSTRAP) != flags::PACKAGE
                || raw.original_len.get() != 0)
        {
            // The stub would hand such an entry to the import system as a namespace
            // package, or its bytes to CPython's frozen table as code: neither can work.
            return Err(Error::malformed(format!(
                "{kind} `{name}` is marked a namespace package but is not an empty package \
                 module (flags {:#04x}, {} bytes)",
                raw.flags,
                raw.original_len.get()
            )));
        }
        if raw.flags & flags::LOCALE_CODEC != 0
            && (kind != Kind::Module || raw.flags & (flags::BOOTSTRAP | flags::NAMESPACE) != 0)
        {
            // The stub would put it into the frozen table twice, or a namespace package's
            // missing code into it.
            return Err(Error::malformed(format!(
                "{kind} `{name}` is marked a locale codec but is not a plain module \
                 (flags {:#04x})",
                raw.flags
            )));
        }
        if matches!(kind, Kind::Data | Kind::Disk) && !crate::is_plain_relative_path(name) {
            // The stub creates Disk entries' paths below its cache directory.
            return Err(Error::malformed(format!(
                "{kind} path {name:?} is not a relative path of plain components"
            )));
        }
        let compression =
            Compression::from_byte(raw.compression).ok_or_else(|| Error::UnknownCompression {
                kind,
                name: name.to_owned(),
                compression: raw.compression,
            })?;
        let offset = raw.offset.get();
        let stored = slice(self.blobs, "entry data", offset, raw.stored_len.get())?;
        let original_len = raw.original_len.get();
        if compression == Compression::None && original_len != stored.len() as u64 {
            return Err(Error::LengthMismatch {
                kind,
                name: name.to_owned(),
                expected: original_len,
                found: stored.len() as u64,
            });
        }
        Ok(Entry {
            index,
            kind,
            name,
            c_name,
            flags: raw.flags,
            compression,
            crc32: raw.crc32.get(),
            file_offset: self.archive_start + offset,
            stored,
            original_len,
        })
    }

    /// Every entry in index order (by kind, then name).
    pub fn entries(&self) -> impl Iterator<Item = Result<Entry<'a>, Error>> + '_ {
        (0..self.entries.len()).map(|i| self.entry(i))
    }

    fn raw_key(&self, raw: &RawEntry) -> (u8, &'a [u8]) {
        let start = raw.name.offset.get() as usize;
        let end = start.saturating_add(raw.name.len.get() as usize);
        (raw.kind, self.strings.get(start..end).unwrap_or_default())
    }

    /// Looks an entry up by kind and name with a binary search over the sorted index.
    pub fn find(&self, kind: Kind, name: &str) -> Result<Option<Entry<'a>>, Error> {
        let key = (kind as u8, name.as_bytes());
        match self
            .entries
            .binary_search_by(|raw| self.raw_key(raw).cmp(&key))
        {
            Ok(index) => self.entry(index).map(Some),
            Err(_) => Ok(None),
        }
    }

    /// The entries of `kind` whose names start with `prefix`, in name order: a binary
    /// search to the first, then as many as there are.
    pub fn with_prefix<'s>(
        &'s self,
        kind: Kind,
        prefix: &'s str,
    ) -> impl Iterator<Item = Result<Entry<'a>, Error>> + 's {
        let key = (kind as u8, prefix.as_bytes());
        let start = self.entries.partition_point(|raw| self.raw_key(raw) < key);
        (start..self.entries.len())
            .take_while(move |&i| {
                let (k, name) = self.raw_key(&self.entries[i]);
                k == kind as u8 && name.starts_with(prefix.as_bytes())
            })
            .map(move |i| self.entry(i))
    }

    /// The [`Kind::Group`] that the library `soname` belongs to, if any, checked against
    /// the bundle: `soname` is a member, every member is a [`Kind::Library`] entry, and every
    /// link lies within its member's bytes.
    pub fn group(&self, soname: &str) -> Result<Option<Group<'a>>, Error> {
        let Some(entry) = self.find(Kind::Group, soname)? else {
            return Ok(None);
        };
        let bad = |what: String| Error::BadGroup {
            name: soname.to_owned(),
            what,
        };
        // Stored raw, so that the group can borrow its names from the bundle.
        let Cow::Borrowed(contents) = entry.contents()? else {
            return Err(bad("stored compressed".to_owned()));
        };
        let group = Group::parse(soname, contents)?;
        if group.member(soname).is_none() {
            return Err(bad(format!("{soname} is not one of its members")));
        }
        for member in &group.members {
            let library = self
                .find(Kind::Library, member.soname)?
                .ok_or_else(|| bad(format!("the bundle holds no library {}", member.soname)))?;
            for link in &member.links {
                let end = link.offset.saturating_add(link.capacity());
                if end > library.original_len {
                    return Err(Error::OutOfBounds {
                        what: "group link",
                        start: link.offset,
                        end,
                        available: library.original_len,
                    });
                }
            }
        }
        Ok(Some(group))
    }

    /// How the native object `object` is loaded with parts mapped from the bundle, if it
    /// is (see [`mapping`](crate::mapping)), checked against the object: stored raw, at a
    /// page boundary of the file, every range within it.
    pub fn mapping(&self, object: &Entry<'a>) -> Result<Option<Mapping>, Error> {
        let Some(entry) = self.find(Kind::Mapping, object.name)? else {
            return Ok(None);
        };
        let bad = |what: String| Error::BadMapping {
            name: object.name.to_owned(),
            what,
        };
        if !object.kind.is_native() {
            return Err(bad(format!("it maps a {}", object.kind)));
        }
        if object.compression != Compression::None || !object.file_offset.is_multiple_of(PAGE_SIZE)
        {
            return Err(bad(format!(
                "its object is stored {} at offset {:#x}, not raw on a page boundary",
                object.compression, object.file_offset
            )));
        }
        Mapping::parse(object.name, &entry.contents()?, object.original_len).map(Some)
    }

    /// The indices of all entries of `kind` (they are contiguous).
    pub fn kind_range(&self, kind: Kind) -> std::ops::Range<usize> {
        let k = kind as u8;
        let start = self.entries.partition_point(|raw| raw.kind < k);
        let end = self.entries.partition_point(|raw| raw.kind <= k);
        start..end.max(start)
    }
}

impl<'a> Entry<'a> {
    pub fn is_package(&self) -> bool {
        self.flags & flags::PACKAGE != 0
    }

    pub fn is_bootstrap(&self) -> bool {
        self.flags & flags::BOOTSTRAP != 0
    }

    pub fn is_namespace(&self) -> bool {
        self.flags & flags::NAMESPACE != 0
    }

    pub fn is_locale_codec(&self) -> bool {
        self.flags & flags::LOCALE_CODEC != 0
    }

    /// The name as a C string pointing into the bundle.
    pub fn c_name(&self) -> &'a CStr {
        self.c_name
    }

    /// Writes the entry's original bytes to `out`, checked against the CRC-32 in the index
    /// as they go: native code is copied into memfds this way. A raw entry is read from
    /// `file` (the bundle's file, or its bytes) a chunk at a time into a buffer that stays
    /// in the cache between the checksum and the copy. Measured on hello (3.11, libpython's
    /// 5.7 MB, interleaved runs), against the kernel's copy without a check (`sendfile`):
    /// +1.2% start-up through the executable's mapping, but its pages then count in the
    /// process's resident memory (+6.5 MB peak); +3 to 4% with them released as they go;
    /// +5.4% checked on a second thread; +2.7% this way, with no resident cost. After a
    /// checksum error, `out` holds bytes that must not be used.
    pub fn copy_to(
        &self,
        file: &(impl ReadAt + ?Sized),
        mut out: impl std::io::Write,
    ) -> Result<(), CopyError> {
        let Compression::None = self.compression else {
            let contents = self.contents().map_err(CopyError::Damaged)?;
            return out.write_all(&contents).map_err(CopyError::Write);
        };
        const CHUNK: u64 = 128 << 10;
        let mut buffer = vec![0; CHUNK.min(self.original_len) as usize];
        let mut hasher = crc32fast::Hasher::new();
        let mut done = 0;
        while done < self.original_len {
            let chunk = &mut buffer[..(self.original_len - done).min(CHUNK) as usize];
            file.read_exact_at(chunk, self.file_offset + done)
                .map_err(CopyError::Read)?;
            hasher.update(chunk);
            out.write_all(chunk).map_err(CopyError::Write)?;
            done += chunk.len() as u64;
        }
        self.check(hasher.finalize()).map_err(CopyError::Damaged)
    }

    fn check(&self, computed: u32) -> Result<(), Error> {
        if computed == self.crc32 {
            Ok(())
        } else {
            Err(Error::ContentChecksum {
                kind: self.kind,
                name: self.name.to_owned(),
                expected: self.crc32,
                computed,
            })
        }
    }

    /// The entry's original bytes: borrowed when stored raw, else decompressed. Either way
    /// checked against the length and CRC-32 in the index.
    pub fn contents(&self) -> Result<Cow<'a, [u8]>, Error> {
        let data: Cow<'a, [u8]> = match self.compression {
            Compression::None => Cow::Borrowed(self.stored),
            Compression::Zstd => {
                // Exactly what the index promises, asked for without aborting when it
                // cannot be had (`ulimit -v`): a frame that holds more fails to fit.
                let out_of_memory = || Error::OutOfMemory {
                    kind: self.kind,
                    name: self.name.to_owned(),
                    len: self.original_len,
                };
                let mut out = Vec::new();
                usize::try_from(self.original_len)
                    .ok()
                    .and_then(|len| out.try_reserve_exact(len).ok())
                    .ok_or_else(out_of_memory)?;
                let mut context = zstd::zstd_safe::DCtx::try_create().ok_or_else(out_of_memory)?;
                context
                    .decompress(&mut out, self.stored)
                    .map_err(|code| Error::Decompress {
                        kind: self.kind,
                        name: self.name.to_owned(),
                        source: std::io::Error::other(zstd::zstd_safe::get_error_name(code)),
                    })?;
                if out.len() as u64 != self.original_len {
                    return Err(Error::LengthMismatch {
                        kind: self.kind,
                        name: self.name.to_owned(),
                        expected: self.original_len,
                        found: out.len() as u64,
                    });
                }
                Cow::Owned(out)
            }
        };
        self.check(crc32fast::hash(&data))?;
        Ok(data)
    }
}

/// Why [`Entry::copy_to`] failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Damaged(Error),
    #[error("cannot read the bundle: {0}")]
    Read(#[source] std::io::Error),
    #[error("{0}")]
    Write(#[source] std::io::Error),
}

/// What [`Entry::copy_to`] reads a raw entry from: the bundle's open file, or the bytes of
/// the whole file (tests, the fuzzer).
pub trait ReadAt {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()>;
}

impl ReadAt for std::fs::File {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, offset)
    }
}

impl ReadAt for [u8] {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        let bytes = usize::try_from(offset)
            .ok()
            .and_then(|start| self.get(start..start.checked_add(buf.len())?))
            .ok_or(std::io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(bytes);
        Ok(())
    }
}
