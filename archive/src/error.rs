use crate::Kind;

/// Why a file could not be read as a bundle, or an entry of it could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not a pyfreeze bundle: the file does not end with the pyfreeze trailer")]
    NotABundle,

    /// A file that starts with an ELF image and does not end with the trailer, but is not
    /// that image alone: what a bundle cut short (an interrupted copy or download) is.
    #[error("damaged bundle: it is truncated, or its last bytes are damaged: the file is {len} bytes and does not end with the pyfreeze trailer, yet it is not the runtime stub alone ({image_len} bytes); copy or build it again")]
    Truncated { len: u64, image_len: u64 },

    #[error("bundle format version {found} is not supported (this build reads version {supported}); rebuild the bundle with this pyfreeze")]
    UnsupportedVersion { found: u32, supported: u32 },

    #[error("damaged bundle: {what} (bytes {start}..{end}) lies outside the {available} bytes available")]
    OutOfBounds {
        what: &'static str,
        start: u64,
        end: u64,
        available: u64,
    },

    #[error(
        "damaged bundle: index checksum is {computed:#010x}, the trailer says {expected:#010x}"
    )]
    IndexChecksum { expected: u32, computed: u32 },

    #[error("damaged bundle: the runtime stub (its first {len} bytes) has checksum {computed:#010x}, the trailer says {expected:#010x}; copy or build it again")]
    StubChecksum {
        len: u64,
        expected: u32,
        computed: u32,
    },

    #[error("damaged bundle: {what}")]
    Malformed { what: String },

    #[error("damaged bundle: entry {index} has unknown kind {kind}")]
    UnknownKind { index: usize, kind: u8 },

    #[error("damaged bundle: {kind} `{name}` uses unknown compression {compression}")]
    UnknownCompression {
        kind: Kind,
        name: String,
        compression: u8,
    },

    #[error("damaged bundle: {kind} `{name}` does not decompress: {source}")]
    Decompress {
        kind: Kind,
        name: String,
        #[source]
        source: std::io::Error,
    },

    /// Not damage: the machine could not give the memory an entry needs.
    #[error("not enough memory to decompress {kind} `{name}` ({len} bytes)")]
    OutOfMemory { kind: Kind, name: String, len: u64 },

    #[error("damaged bundle: {kind} `{name}` has {found} bytes after decompression, the index says {expected}")]
    LengthMismatch {
        kind: Kind,
        name: String,
        expected: u64,
        found: u64,
    },

    #[error("damaged bundle: group entry `{name}`: {what}")]
    BadGroup { name: String, what: String },

    #[error("damaged bundle: mapping entry `{name}`: {what}")]
    BadMapping { name: String, what: String },

    #[error("damaged bundle: {kind} `{name}` has checksum {computed:#010x}, the index says {expected:#010x}; copy or build it again")]
    ContentChecksum {
        kind: Kind,
        name: String,
        expected: u32,
        computed: u32,
    },
}

impl Error {
    /// Whether the error means the bundle's bytes are not what the build wrote (rather
    /// than not a bundle, another format version or too little memory).
    pub fn is_damage(&self) -> bool {
        !matches!(
            self,
            Error::NotABundle | Error::UnsupportedVersion { .. } | Error::OutOfMemory { .. }
        )
    }

    pub(crate) fn malformed(what: impl Into<String>) -> Self {
        Error::Malformed { what: what.into() }
    }
}
