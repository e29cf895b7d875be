//! The pyfreeze bundle format, in one place: written by `pyfreeze build`, read by the
//! runtime stub at every start and by `pyfreeze ls` and `pyfreeze why`.
//!
//! A bundle is the runtime stub's ELF image followed by an archive:
//!
//! ```text
//! [stub executable][archive: blobs .. index][trailer, 44 bytes, at end of file]
//! ```
//!
//! * **Trailer** ([`Trailer`]): fixed size, at the very end of the file so the stub finds it
//!   with one read; ends with the magic `PYFRZ\x00\x01\x0a`. It gives where the archive
//!   starts, where its index is, the index's length and CRC-32, the CRC-32 of the stub's
//!   bytes in front of the archive, and the format version.
//! * **Index**: a fixed-size [`IndexHeader`], then `entry_count` fixed-width [`RawEntry`]
//!   records sorted by `(kind, name)`, then a string table. Every string is UTF-8 and
//!   followed by a NUL byte, so the stub can hand names to C without copying them.
//!   Nothing is parsed up front: records are read in place and looked up by binary search,
//!   so opening a bundle costs the same whatever it holds.
//! * **Blobs**: each entry's bytes, stored raw or zstd-compressed (see [`Compression`]),
//!   at `offset` from the archive's start. Bytecode is stored raw so the stub can hand
//!   CPython pointers into its own mapping of the executable; the freezer compresses only
//!   what the app may never import. Bytecode of [`flags::BOOTSTRAP`] modules, which the
//!   frozen table always points to, is never compressed; that of
//!   [`flags::LOCALE_CODEC`] modules, which the frozen table needs only in a locale the
//!   bootstrap codecs do not cover, always is: the stub decompresses them into the heap then.
//!   Native code stored raw starts on a [`mapping::PAGE_SIZE`] boundary of the file
//!   (zero bytes pad the gap), so that the stub can map its pages (see [`mapping`]).
//!
//! All integers are little-endian. The input is treated as hostile: every offset and length
//! is checked against the bytes actually present, and every failure is a typed [`Error`].
//!
//! **Every byte is checked before it is used.** [`Bundle::parse`] checks the index and the
//! stub's own bytes against the trailer's CRC-32s; each entry's bytes are checked against
//! the CRC-32 in its index record when they are read ([`Entry::contents`]) or copied out
//! ([`Entry::copy_to`]). CRC-32 finds every flipped bit, burst and truncation a disk or a
//! download makes; it is no defence against someone who rewrites the bundle on purpose,
//! who can recompute it (see `docs/SECURITY.md`).

pub mod boot;
mod error;
pub mod group;
pub mod mapping;
mod options;
mod reader;
pub mod user_cache;
mod writer;

pub use error::Error;
pub use group::{Group, Link, Member};
pub use mapping::{MappedRange, Mapping};
pub use options::{PythonOptions, UnsupportedOption};
pub use reader::{stub_is_damaged, Bundle, CopyError, Entry, ReadAt};
pub use writer::{compress, ArchiveWriter, BundleInfo, NewEntry, COMPRESSION_POLICY};

use zerocopy::little_endian::{U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// The last eight bytes of every bundle.
pub const MAGIC: [u8; 8] = *b"PYFRZ\x00\x01\x0a";

/// The version of the layout described here. A reader accepts exactly this version: the
/// stub and the freezer are released together, so a mismatch means mixed releases.
/// It stays 12 bytes from the end of the file in every version, so that any reader can
/// name the version it was given.
/// Version 8 added [`Kind::BuildInfo`]; version 9, [`Kind::Mapping`] and page-aligned
/// native code.
pub const FORMAT_VERSION: u32 = 9;

/// Fixed-size record at the end of a bundle.
#[derive(Debug, Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub struct Trailer {
    /// File offset of the archive's first byte; blob offsets are relative to it.
    pub archive_start: U64,
    /// Offset of the index, relative to `archive_start`.
    pub index_offset: U64,
    /// Length of the index in bytes.
    pub index_len: U64,
    /// CRC-32 of the index bytes.
    pub index_crc32: U32,
    /// CRC-32 of the file's first `archive_start` bytes: the runtime stub.
    pub stub_crc32: U32,
    pub format_version: U32,
    pub magic: [u8; 8],
}

/// A string in the index's string table: `len` bytes at `offset`, followed by a NUL.
#[derive(Debug, Clone, Copy, Default, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub struct StrRef {
    pub offset: U32,
    pub len: U32,
}

/// The start of the index: what the whole bundle is.
#[derive(Debug, Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub struct IndexHeader {
    pub entry_count: U32,
    /// Length of the string table that follows the entries.
    pub strings_len: U32,
    /// `sys.version_info[:2]` of the interpreter that compiled the bytecode.
    pub python_major: u8,
    pub python_minor: u8,
    /// Optimisation level the bytecode was compiled at (0, 1 or 2).
    pub optimize: u8,
    /// [`EntryPointKind`] as a byte.
    pub entry_kind: u8,
    /// `importlib.util.MAGIC_NUMBER` of that interpreter.
    pub pyc_magic: [u8; 4],
    /// Full version string, e.g. `3.11.7`.
    pub python_version: StrRef,
    /// The entry point: a module name (the script is stored as module `__main__`).
    pub entry_module: StrRef,
    /// For [`EntryPointKind::Function`], the function to call; empty otherwise.
    pub entry_function: StrRef,
    /// Name of the bundled libpython entry, e.g. `libpython3.11.so.1.0`.
    pub libpython: StrRef,
    /// SHA-256, in hex, of the [`Kind::Disk`] entries (see [`disk_digest`]), naming the
    /// cache directory they are written to; empty when there are none.
    pub disk_digest: StrRef,
    /// The interpreter options the bundle starts with ([`PythonOptions`]' stored form).
    pub python_options: StrRef,
}

/// One entry of the index, 40 bytes.
#[derive(Debug, Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub struct RawEntry {
    pub name: StrRef,
    pub kind: u8,
    /// Bit set of [`flags`].
    pub flags: u8,
    /// [`Compression`] as a byte.
    pub compression: u8,
    pub reserved: u8,
    /// CRC-32 of the original (uncompressed) bytes.
    pub crc32: U32,
    /// Offset of the stored bytes, relative to the archive's start.
    pub offset: U64,
    pub stored_len: U64,
    pub original_len: U64,
}

/// Entry flags.
pub mod flags {
    /// The module is a package (has `__path__`).
    pub const PACKAGE: u8 = 1;
    /// The module is needed before the stub's finder is installed, whatever the locale,
    /// so it always goes into CPython's frozen-module table (`encodings`, the codecs of
    /// UTF-8, ASCII and Latin-1, the finder itself). Stored raw: the table points into
    /// the mapped executable.
    pub const BOOTSTRAP: u8 = 2;
    /// The module is a PEP 420 namespace package: a [`Kind::Module`](crate::Kind::Module)
    /// entry, always with [`PACKAGE`] and never with [`BOOTSTRAP`], whose contents are
    /// empty. It has no code: the import system makes the module, as it does for a
    /// directory without `__init__.py`, so it gets CPython's namespace `__path__` and loader.
    pub const NAMESPACE: u8 = 4;
    /// A text codec of `encodings` that CPython imports while it starts only when the
    /// locale's encoding is not one a [`BOOTSTRAP`] codec serves (KOI8-R, ISO-8859-15):
    /// a [`Kind::Module`](crate::Kind::Module) entry, never with [`BOOTSTRAP`], whose own
    /// imports are all bootstrap or built in. Stored compressed; the stub adds these to
    /// the frozen table, decompressed, only in such a locale. The finder serves them as any
    /// module otherwise.
    pub const LOCALE_CODEC: u8 = 8;
    pub const ALL: u8 = PACKAGE | BOOTSTRAP | NAMESPACE | LOCALE_CODEC;
}

macro_rules! byte_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $value:literal => $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u8)]
        pub enum $name { $($(#[$vm])* $variant = $value),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn from_byte(byte: u8) -> Option<Self> {
                match byte { $($value => Some($name::$variant),)+ _ => None }
            }

            /// The lower-case word `pyfreeze ls` and its JSON use.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

byte_enum! {
    /// What an entry holds. Entries are sorted by kind first, then by name.
    Kind {
        /// Marshalled code object of a pure-Python module or package; name is the module's.
        Module = 1 => "module",
        /// Source text of a module, for tracebacks and `inspect`; name is the module's.
        Source = 2 => "source",
        /// Extension module (a shared object); name is the module's.
        Extension = 3 => "extension",
        /// Shared library an extension module needs; name is its soname.
        Library = 4 => "library",
        /// The interpreter's shared libpython; name is its soname.
        LibPython = 5 => "libpython",
        /// What must be loaded before an extension module or library: the sonames of the
        /// bundled libraries it needs, transitively, dependencies first, one per line
        /// (the members of a [`Kind::Group`] next to each other, in the group's order; a
        /// library's own entry never lists it). Name is the extension module's name or the
        /// library's soname.
        Needs = 6 => "needs",
        /// A file of the bundle's virtual tree that is not code: a distribution's
        /// `*.dist-info` files, package data. Name is its path inside the bundle, with `/`.
        Data = 7 => "data",
        /// A file the stub writes to its per-user cache directory at start-up, because the
        /// build was asked to (`--collect-to-disk`): code that opens files next to
        /// `__file__` needs them on disk. Name is its path inside the bundle, with `/`;
        /// always a relative path of plain components.
        Disk = 8 => "disk",
        /// Bundled libraries that need each other (their `DT_NEEDED`s form a cycle), which
        /// the stub loads together with one `dlopen` after rewriting some `DT_NEEDED`
        /// strings to memfd paths: see [`group`](crate::group) for why and the contents'
        /// layout. Name is a member's soname: each member has an entry, all with the same
        /// contents, stored raw. A library in no cycle has none.
        Group = 9 => "group",
        /// A module the build left out on purpose (a default exclusion, or `--exclude`),
        /// so that importing it can fail with what brings it back rather than a bare
        /// "No module named". Name is the module's; contents are UTF-8 text saying why it
        /// was left out and which option bundles it, stored raw.
        LeftOut = 10 => "left-out",
        /// What the build knew of why each entry is there (which import brought a module
        /// in, at which line; which extension modules need a library; what brought a
        /// data file) and of the modules it did not bundle, for `pyfreeze why`: one
        /// entry, named [`BUILD_INFO_NAME`], whose contents are UTF-8 JSON, stored
        /// zstd-compressed. The freezer alone writes and reads it, and its schema is the
        /// freezer's (`freezer/src/why.rs`); the stub never reads it, so that it costs
        /// start-up nothing but the index record.
        BuildInfo = 11 => "build-info",
        /// How a native object ([`Kind::LibPython`], [`Kind::Library`] or
        /// [`Kind::Extension`] entry of the same name) is loaded with its read-only
        /// segments mapped from the bundle: see [`mapping`](crate::mapping) for why and the
        /// contents' layout. Stored raw. An object without one is copied whole into its
        /// memfd.
        Mapping = 12 => "mapping",
    }
}

byte_enum! {
    /// How an entry's bytes are stored.
    Compression {
        None = 0 => "none",
        /// One zstd frame (RFC 8878). Byte 1 was deflate, before format 6.
        Zstd = 2 => "zstd",
    }
}

byte_enum! {
    /// How the app starts.
    EntryPointKind {
        /// A script, run like `python main.py`; stored as module `__main__`.
        Script = 1 => "script",
        /// A module, run like `python -m module`.
        Module = 2 => "module",
        /// `module:function`: import the module, call the function, exit with its result.
        Function = 3 => "function",
    }
}

impl Kind {
    /// Whether entries of this kind are shared objects the stub loads.
    pub fn is_native(self) -> bool {
        matches!(self, Kind::LibPython | Kind::Library | Kind::Extension)
    }
}

/// The sonames listed in a [`Kind::Needs`] entry's contents.
pub fn needs_list(contents: &[u8]) -> impl Iterator<Item = &str> {
    std::str::from_utf8(contents)
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.is_empty())
}

/// The contents of a [`Kind::Needs`] entry for `sonames`.
pub fn needs_contents<S: AsRef<str>>(sonames: &[S]) -> Vec<u8> {
    let mut out = String::new();
    for soname in sonames {
        out.push_str(soname.as_ref());
        out.push('\n');
    }
    out.into_bytes()
}

/// Whether `path`, the name of a [`Kind::Disk`] entry, is safe to create below a
/// directory: relative, `/`-separated, with no empty, `.` or `..` component.
pub fn is_plain_relative_path(path: &str) -> bool {
    !path.is_empty()
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// The content address of a set of [`Kind::Disk`] files, `(path, contents)` sorted by
/// path, as stored in [`IndexHeader::disk_digest`]: SHA-256 over each path, a NUL, the
/// contents' length (8 bytes LE) and the contents.
pub fn disk_digest<'f>(files: impl IntoIterator<Item = (&'f str, &'f [u8])>) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for (path, contents) in files {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update((contents.len() as u64).to_le_bytes());
        hasher.update(contents);
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The name of the one [`Kind::BuildInfo`] entry.
pub const BUILD_INFO_NAME: &str = "build";

/// The module name a script entry point is stored under.
pub const MAIN_MODULE: &str = "__main__";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_sizes_are_the_documented_ones() {
        assert_eq!(size_of::<Trailer>(), 44);
        assert_eq!(size_of::<RawEntry>(), 40);
        assert_eq!(size_of::<IndexHeader>(), 64);
    }

    #[test]
    fn needs_lists_round_trip() {
        let contents = needs_contents(&["libcrypto.so.3", "libssl.so.3"]);
        assert_eq!(
            needs_list(&contents).collect::<Vec<_>>(),
            ["libcrypto.so.3", "libssl.so.3"]
        );
        assert_eq!(needs_list(b"\xff\xfe").count(), 0);
    }

    #[test]
    fn only_plain_relative_paths_are_accepted() {
        assert!(is_plain_relative_path("pkg/data/file.txt"));
        for bad in ["", "/etc/passwd", "pkg/../../x", "pkg//x", "./x", "pkg/"] {
            assert!(!is_plain_relative_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn disk_digest_depends_on_paths_and_contents() {
        let digest = disk_digest([("a.txt", b"one" as &[u8]), ("b.txt", b"two")]);
        assert_eq!(digest.len(), 64);
        assert!(digest.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(
            digest,
            disk_digest([("a.txt", b"one" as &[u8]), ("b.txt", b"twO")])
        );
        assert_ne!(
            digest,
            disk_digest([("a.txt", b"one" as &[u8]), ("c.txt", b"two")])
        );
        // The length prefix keeps file boundaries from shifting unnoticed.
        assert_ne!(
            disk_digest([("a", b"xy" as &[u8]), ("b", b"")]),
            disk_digest([("a", b"x" as &[u8]), ("b", b"y")])
        );
    }

    #[test]
    fn byte_enums_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_byte(*kind as u8), Some(*kind));
        }
        assert_eq!(Kind::from_byte(0), None);
        assert_eq!(Compression::from_byte(2), Some(Compression::Zstd));
        assert_eq!(Compression::from_byte(1), None);
        assert_eq!(EntryPointKind::from_byte(9), None);
    }
}
