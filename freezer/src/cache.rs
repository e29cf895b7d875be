//! The build cache: what earlier builds computed, reused when what it came from has not
//! changed. Four kinds of entry, each a file named by a SHA-256 key:
//!
//! * [`Kind::Analysis`]: the analysis' whole answer, with what it depended on (see
//!   `analysis::deps`), so a rebuild with nothing changed runs no Python at all;
//! * [`Kind::Code`]: modules' bytecode and the imports read from it, written and read by
//!   the analysis script itself (`python/code_cache.py`, in the [`ENTRY_LAYOUT`] its request
//!   passes on), keyed by the interpreter, the optimisation level, the file name it is
//!   compiled under and its source;
//! * [`Kind::Native`]: a stripped libpython, extension module or library, keyed by the
//!   identity of the file it came from;
//! * [`Kind::Compressed`]: compressed sources and data, keyed by their contents.
//!
//! Creating a file is the dearest thing a cache does (on some file systems it costs more
//! than compressing a source or compiling a module), so what is small and numerous is
//! kept together: the code of a search path directory's modules in one entry, everything
//! one app's build compressed in another ([`Pack`]).
//!
//! The cache lives in `$PYFREEZE_CACHE_DIR`, else `$XDG_CACHE_HOME/pyfreeze/build`, else
//! `~/.cache/pyfreeze/build`, as `v1/<kind>/<key in hex>`. An entry is
//!
//! ```text
//! magic (8) | key (32) | payload length (8, LE) | CRC-32 of the payload (4, LE) | payload
//! ```
//!
//! Entries are written to a temporary file in their directory and renamed into place, so
//! concurrent builds never see half an entry; a reader checks magic, key, length and CRC,
//! and anything that does not match is a miss, never an error: the build then computes the
//! value and writes the entry again. Every key but the code's includes the identity of the
//! running `pyfreeze` (its executable's size and times), so a new build of it, whose
//! stripping or compression may differ, never reuses what an older one made: the output is
//! the same byte for byte with and without the cache.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use pyfreeze_archive::user_cache::{self, PrivateDirError};
use sha2::{Digest, Sha256};

/// Relocates the cache (the tests point it at a scratch directory).
pub const DIR_VARIABLE: &str = "PYFREEZE_CACHE_DIR";
/// The directory under the root that holds this layout; another layout gets another one.
const LAYOUT: &str = "v1";

/// Where the parts of an entry lie: the magic, then from each offset to the next the key,
/// the payload's length (LE) and its CRC-32 (LE), then the payload.
#[derive(Debug, serde::Serialize)]
pub struct EntryLayout {
    pub magic: [u8; 8],
    pub key: usize,
    pub length: usize,
    pub crc32: usize,
    pub payload: usize,
}

/// The one definition of the entry layout, for the freezer and the analysis script.
pub const ENTRY_LAYOUT: EntryLayout = EntryLayout {
    magic: *b"pyfzc\0\0\x01",
    key: 8,
    length: 8 + 32,
    crc32: 8 + 32 + 8,
    payload: 8 + 32 + 8 + 4,
};

// The parts are written one after the other, with these types.
const _: () = assert!(
    ENTRY_LAYOUT.key == ENTRY_LAYOUT.magic.len()
        && ENTRY_LAYOUT.length - ENTRY_LAYOUT.key == size_of::<Key>()
        && ENTRY_LAYOUT.crc32 - ENTRY_LAYOUT.length == size_of::<u64>()
        && ENTRY_LAYOUT.payload - ENTRY_LAYOUT.crc32 == size_of::<u32>()
);

/// What an entry holds; also the name of its directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Analysis,
    Code,
    Native,
    Compressed,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Analysis, Kind::Code, Kind::Native, Kind::Compressed];

    fn dir_name(self) -> &'static str {
        match self {
            Kind::Analysis => "analysis",
            Kind::Code => "code",
            Kind::Native => "native",
            Kind::Compressed => "zstd",
        }
    }
}

/// The SHA-256 that names an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key([u8; 32]);

impl Key {
    fn hex(&self) -> String {
        hex(&self.0)
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Builds a [`Key`] from fields, each length-prefixed so that no two different lists of
/// fields hash alike.
pub struct KeyBuilder(Sha256);

impl KeyBuilder {
    fn new(kind: Kind, salt: &[u8]) -> Self {
        let mut builder = KeyBuilder(Sha256::new());
        builder.field(kind.dir_name().as_bytes()).field(salt);
        builder
    }

    pub fn field(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// A file's identity: same device, inode, size and times means same contents, as
    /// nothing can set a file's ctime back.
    pub fn file_identity(&mut self, meta: &std::fs::Metadata) -> &mut Self {
        for value in [
            meta.dev(),
            meta.ino(),
            meta.size(),
            meta.mtime() as u64,
            meta.mtime_nsec() as u64,
            meta.ctime() as u64,
            meta.ctime_nsec() as u64,
        ] {
            self.field(&value.to_le_bytes());
        }
        self
    }

    pub fn finish(&mut self) -> Key {
        Key(self.0.clone().finalize().into())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(
        "no directory for the build cache: none of ${DIR_VARIABLE}, $XDG_CACHE_HOME and $HOME \
         is an absolute path"
    )]
    NoDirectory,
    #[error("cannot create the build cache {}: {source}", path.display())]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the build cache {} belongs to uid {uid} with mode {mode:o}; it must be yours and \
         writable by you alone",
        path.display()
    )]
    NotPrivate { path: PathBuf, uid: u32, mode: u32 },
    #[error("cannot write to the build cache {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot remove the build cache {}: {source}", path.display())]
    Clean {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl crate::fault::Help for CacheError {
    fn help(&self) -> Option<String> {
        match self {
            CacheError::NoDirectory => Some("set one, or pass --no-cache".to_owned()),
            CacheError::NotPrivate { .. } => Some(format!(
                "remove it, or set {DIR_VARIABLE} to a directory of your own"
            )),
            CacheError::Create { .. } | CacheError::Write { .. } | CacheError::Clean { .. } => None,
        }
    }
}

impl crate::fault::Blame for CacheError {
    /// Where the cache is and who owns it are the user's settings; failing to use a
    /// directory that is fine is not.
    fn fault(&self) -> crate::fault::Fault {
        match self {
            CacheError::NoDirectory | CacheError::NotPrivate { .. } => crate::fault::Fault::User,
            CacheError::Create { .. } | CacheError::Write { .. } | CacheError::Clean { .. } => {
                crate::fault::Fault::Internal
            }
        }
    }
}

/// How many lookups of a kind there were, and how many found an entry.
#[derive(Debug, Default)]
struct Counter {
    lookups: AtomicUsize,
    hits: AtomicUsize,
}

/// `hits` of `lookups`, for the build summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Hits {
    pub hits: usize,
    pub lookups: usize,
}

/// An open cache directory.
#[derive(Debug)]
pub struct Cache {
    root: PathBuf,
    /// Identity of the running `pyfreeze`, part of every key it computes.
    salt: Vec<u8>,
    counters: [Counter; 4],
    /// The first entry that could not be written; later ones are likely the same problem.
    write_error: Mutex<Option<CacheError>>,
}

/// The cache directory the environment names: `$PYFREEZE_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/pyfreeze/build`, else `$HOME/.cache/pyfreeze/build`. A relative
/// `$PYFREEZE_CACHE_DIR` is taken from the working directory, as a path given to a
/// command is (uv does the same with its cache directory); relative values of the others
/// are ignored, as the XDG specification asks.
pub fn default_dir(var: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf, CacheError> {
    if let Some(dir) = var(DIR_VARIABLE)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
    {
        return std::path::absolute(&dir)
            .map_err(|source| CacheError::Create { path: dir, source });
    }
    user_cache::root(var)
        .map(|root| root.join("build"))
        .ok_or(CacheError::NoDirectory)
}

/// The identity of the running executable, in place of a version number that a
/// development build would not bump.
fn own_identity() -> Vec<u8> {
    let mut key = KeyBuilder(Sha256::new());
    key.field(env!("CARGO_PKG_VERSION").as_bytes());
    if let Ok(meta) = std::env::current_exe().and_then(std::fs::metadata) {
        key.file_identity(&meta);
    }
    key.finish().0.to_vec()
}

impl Cache {
    /// Opens (creating it if need be) the cache in `root`. The directory holds code that
    /// goes into executables, so it must be private: this user's, writable by no one else.
    pub fn open(root: PathBuf) -> Result<Cache, CacheError> {
        user_cache::private_dir(&root).map_err(|e| match e {
            PrivateDirError::NotPrivate { uid, mode } => CacheError::NotPrivate {
                path: root.clone(),
                uid,
                mode,
            },
            PrivateDirError::Io(source) => CacheError::Create {
                path: root.clone(),
                source,
            },
        })?;
        let create = |path: &Path| {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(path)
                .map_err(|source| CacheError::Create {
                    path: path.to_owned(),
                    source,
                })
        };
        for kind in Kind::ALL {
            create(&root.join(LAYOUT).join(kind.dir_name()))?;
        }
        Ok(Cache {
            root,
            salt: own_identity(),
            counters: Default::default(),
            write_error: Mutex::new(None),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of one kind of entry (the analysis script writes the code entries).
    pub fn dir(&self, kind: Kind) -> PathBuf {
        self.root.join(LAYOUT).join(kind.dir_name())
    }

    /// A key for `kind`, to which the caller adds what the value depends on.
    pub fn key(&self, kind: Kind) -> KeyBuilder {
        KeyBuilder::new(kind, &self.salt)
    }

    fn path(&self, kind: Kind, key: &Key) -> PathBuf {
        self.dir(kind).join(key.hex())
    }

    /// The payload stored under `key`, if there is an intact one.
    pub fn get(&self, kind: Kind, key: &Key) -> Option<Vec<u8>> {
        std::fs::read(self.path(kind, key))
            .ok()
            .and_then(|entry| unwrap_entry(entry, key))
    }

    /// Counts a value of `kind` the build needed, and whether the cache had it.
    pub fn note(&self, kind: Kind, hit: bool) {
        let counter = &self.counters[kind as usize];
        counter.lookups.fetch_add(1, Ordering::Relaxed);
        if hit {
            counter.hits.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Stores `payload` under `key`. A failure does not fail the build: it is kept for
    /// [`Cache::write_error`], the first one only.
    pub fn put(&self, kind: Kind, key: &Key, payload: &[u8]) {
        if let Err(error) = self.try_put(kind, key, payload) {
            let mut first = self.write_error.lock().unwrap_or_else(|e| e.into_inner());
            first.get_or_insert(error);
        }
    }

    fn try_put(&self, kind: Kind, key: &Key, payload: &[u8]) -> Result<(), CacheError> {
        let path = self.path(kind, key);
        let dir = self.dir(kind);
        let failed = |path: &Path| {
            let path = path.to_owned();
            move |source| CacheError::Write { path, source }
        };
        let mut temp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&dir)
            .map_err(failed(&dir))?;
        temp.write_all(&wrap_entry(key, payload))
            .map_err(failed(temp.path()))?;
        temp.persist(&path).map_err(|e| failed(&path)(e.error))?;
        Ok(())
    }

    /// The first entry that could not be written, if any.
    pub fn write_error(&self) -> Option<CacheError> {
        self.write_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// What [`Cache::note`] counted of `kind`.
    pub fn hits(&self, kind: Kind) -> Hits {
        let counter = &self.counters[kind as usize];
        Hits {
            hits: counter.hits.load(Ordering::Relaxed),
            lookups: counter.lookups.load(Ordering::Relaxed),
        }
    }
}

/// Small values kept in one entry, each under a key of its own: as a payload, records of
/// a key (32 bytes), a length (8, LE) and the value.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pack(BTreeMap<[u8; 32], Vec<u8>>);

impl Pack {
    /// The pack a payload holds; `None` if it is not one.
    pub fn parse(mut payload: &[u8]) -> Option<Pack> {
        let mut pack = Pack::default();
        while !payload.is_empty() {
            let (key, rest) = payload.split_first_chunk::<32>()?;
            let (length, rest) = rest.split_first_chunk::<8>()?;
            let length = usize::try_from(u64::from_le_bytes(*length)).ok()?;
            let value = rest.get(..length)?;
            pack.0.insert(*key, value.to_vec());
            payload = &rest[length..];
        }
        Some(pack)
    }

    pub fn get(&self, key: &Key) -> Option<&[u8]> {
        self.0.get(&key.0).map(Vec::as_slice)
    }

    pub fn insert(&mut self, key: Key, value: Vec<u8>) {
        self.0.insert(key.0, value);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_payload(&self) -> Vec<u8> {
        let mut payload = Vec::new();
        for (key, value) in &self.0 {
            payload.extend_from_slice(key);
            payload.extend_from_slice(&(value.len() as u64).to_le_bytes());
            payload.extend_from_slice(value);
        }
        payload
    }
}

/// Removes every entry of the cache in `root` (what this layout put there, nothing else).
pub fn clean(root: &Path) -> Result<(), CacheError> {
    let layout = root.join(LAYOUT);
    match std::fs::remove_dir_all(&layout) {
        Err(source) if source.kind() != std::io::ErrorKind::NotFound => Err(CacheError::Clean {
            path: layout,
            source,
        }),
        _ => Ok(()),
    }
}

fn wrap_entry(key: &Key, payload: &[u8]) -> Vec<u8> {
    let mut entry = Vec::with_capacity(ENTRY_LAYOUT.payload + payload.len());
    entry.extend_from_slice(&ENTRY_LAYOUT.magic);
    entry.extend_from_slice(&key.0);
    entry.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    entry.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    entry.extend_from_slice(payload);
    entry
}

/// The payload of `entry` if it is an intact entry for `key`.
fn unwrap_entry(mut entry: Vec<u8>, key: &Key) -> Option<Vec<u8>> {
    let layout = &ENTRY_LAYOUT;
    let header = entry.get(..layout.payload)?;
    let magic = &header[..layout.key];
    let stored_key = &header[layout.key..layout.length];
    let length = u64::from_le_bytes(header[layout.length..layout.crc32].try_into().ok()?);
    let crc = u32::from_le_bytes(header[layout.crc32..layout.payload].try_into().ok()?);
    if magic != layout.magic
        || stored_key != key.0
        || length != (entry.len() - layout.payload) as u64
    {
        return None;
    }
    entry.drain(..layout.payload);
    (crc32fast::hash(&entry) == crc).then_some(entry)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn open(dir: &Path) -> Cache {
        Cache::open(dir.join("cache")).unwrap()
    }

    fn key(cache: &Cache, text: &str) -> Key {
        cache.key(Kind::Compressed).field(text.as_bytes()).finish()
    }

    #[test]
    fn a_stored_entry_is_found_and_others_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let cache = open(dir.path());
        let (a, b) = (key(&cache, "a"), key(&cache, "b"));
        assert_ne!(a, b);
        assert_eq!(cache.get(Kind::Compressed, &a), None);
        cache.put(Kind::Compressed, &a, b"payload of a");
        assert_eq!(
            cache.get(Kind::Compressed, &a).as_deref(),
            Some(&b"payload of a"[..])
        );
        assert_eq!(cache.get(Kind::Compressed, &b), None);
        // The same key in another kind is another entry.
        assert_eq!(cache.get(Kind::Native, &a), None);
        cache.put(Kind::Compressed, &a, b"");
        assert_eq!(cache.get(Kind::Compressed, &a).as_deref(), Some(&b""[..]));
        assert!(cache.write_error().is_none());
        cache.note(Kind::Native, true);
        cache.note(Kind::Native, false);
        assert_eq!(
            cache.hits(Kind::Native),
            Hits {
                hits: 1,
                lookups: 2
            }
        );
        assert_eq!(cache.hits(Kind::Compressed), Hits::default());
    }

    #[test]
    fn packs_round_trip_and_damaged_ones_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cache = open(dir.path());
        let mut pack = Pack::default();
        assert_eq!(Pack::parse(&pack.to_payload()), Some(Pack::default()));
        pack.insert(key(&cache, "a"), b"first".to_vec());
        pack.insert(key(&cache, "b"), Vec::new());
        let payload = pack.to_payload();
        let parsed = Pack::parse(&payload).unwrap();
        assert_eq!(parsed, pack);
        assert_eq!(parsed.get(&key(&cache, "a")), Some(&b"first"[..]));
        assert_eq!(parsed.get(&key(&cache, "c")), None);
        assert_eq!((parsed.len(), parsed.is_empty()), (2, false));
        // Cut between its records, a payload is a smaller pack; cut anywhere else, none.
        for cut in 1..payload.len() {
            if let Some(part) = Pack::parse(&payload[..cut]) {
                assert_eq!(part.len(), 1, "cut at {cut}");
            }
        }
        assert_eq!(Pack::parse(&payload[..payload.len() - 1]), None);
    }

    #[test]
    fn keys_depend_on_every_field_and_its_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        let cache = open(dir.path());
        let two = |a: &str, b: &str| {
            cache
                .key(Kind::Analysis)
                .field(a.as_bytes())
                .field(b.as_bytes())
                .finish()
        };
        assert_eq!(two("ab", "c"), two("ab", "c"));
        assert_ne!(two("ab", "c"), two("a", "bc"));
        assert_ne!(
            cache.key(Kind::Analysis).field(b"x").finish(),
            cache.key(Kind::Native).field(b"x").finish()
        );
    }

    #[test]
    fn damaged_entries_are_misses_and_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let cache = open(dir.path());
        let k = key(&cache, "k");
        let payload = b"some bytes worth keeping".repeat(10);
        cache.put(Kind::Compressed, &k, &payload);
        let path = cache.path(Kind::Compressed, &k);
        let good = fs_err::read(&path).unwrap();

        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 1;
        let mut wrong_key = good.clone();
        wrong_key[8] ^= 1;
        let mut wrong_magic = good.clone();
        wrong_magic[0] = b'x';
        let mut longer = good.clone();
        longer.push(0);
        for damaged in [
            flipped,
            wrong_key,
            wrong_magic,
            longer,
            good[..good.len() - 1].to_vec(),
            good[..ENTRY_LAYOUT.payload - 1].to_vec(),
            Vec::new(),
        ] {
            fs_err::write(&path, &damaged).unwrap();
            assert_eq!(
                cache.get(Kind::Compressed, &k),
                None,
                "{} bytes",
                damaged.len()
            );
        }
        // An entry that is a directory, or unreadable, is a miss too.
        fs_err::remove_file(&path).unwrap();
        fs_err::create_dir(&path).unwrap();
        assert_eq!(cache.get(Kind::Compressed, &k), None);
        fs_err::remove_dir(&path).unwrap();

        cache.put(Kind::Compressed, &k, &payload);
        assert_eq!(
            cache.get(Kind::Compressed, &k).as_deref(),
            Some(&payload[..])
        );
    }

    /// Run after `python/code_cache.py`: unwraps the entry for key `argv[2]` in the file
    /// `argv[3]`, and prints one of its own for the same key and payload.
    const PYTHON_ENTRY: &str = r#"
import json
import sys
layout = EntryLayout(json.loads(sys.argv[1]))
key = bytes.fromhex(sys.argv[2])
with open(sys.argv[3], "rb") as f:
    payload = layout.unwrap(f.read(), key)
assert payload is not None and layout.unwrap(b"x" + layout.wrap(key, payload), key) is None
sys.stdout.buffer.write(layout.wrap(key, payload))
"#;

    #[test]
    fn the_analysis_script_reads_and_writes_entries_as_the_freezer_does() {
        let dir = tempfile::tempdir().unwrap();
        let cache = open(dir.path());
        let key = key(&cache, "code");
        cache.put(Kind::Code, &key, b"marshalled code");
        let written = cache.path(Kind::Code, &key);
        let program = format!(
            "{}{PYTHON_ENTRY}",
            include_str!("build/analysis/python/code_cache.py")
        );
        crate::build::analysis::tests::with_each_python(|_, python| {
            let out = std::process::Command::new(python)
                .args(["-I", "-c", &program])
                .arg(serde_json::to_string(&ENTRY_LAYOUT).unwrap())
                .arg(key.hex())
                .arg(&written)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(out.stdout, wrap_entry(&key, b"marshalled code"));
        });
    }

    #[test]
    fn concurrent_writers_of_one_key_leave_one_intact_entry() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("cache");
        let first = Cache::open(root.clone()).unwrap();
        let k = key(&first, "shared");
        let payloads: Vec<Vec<u8>> = (0..8u8).map(|i| vec![i; 200_000]).collect();
        let payloads = &payloads;
        std::thread::scope(|scope| {
            for payload in payloads {
                let root = root.clone();
                scope.spawn(move || {
                    // Each writer with a cache of its own, as concurrent builds are.
                    let cache = Cache::open(root).unwrap();
                    for _ in 0..20 {
                        cache.put(Kind::Compressed, &k, payload);
                        if let Some(read) = cache.get(Kind::Compressed, &k) {
                            assert!(payloads.contains(&read), "a torn entry was read");
                        }
                    }
                    assert!(cache.write_error().is_none());
                });
            }
        });
        let stored = first.get(Kind::Compressed, &k).unwrap();
        assert!(payloads.contains(&stored));
        let leftovers: Vec<_> = fs_err::read_dir(first.dir(Kind::Compressed))
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "temporary files left: {leftovers:?}");
    }

    #[test]
    fn the_directory_is_private_and_a_shared_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cache = open(dir.path());
        let mode = fs_err::metadata(cache.root()).unwrap().mode();
        assert_eq!(mode & 0o777, 0o700);

        let shared = dir.path().join("shared");
        fs_err::create_dir(&shared).unwrap();
        fs_err::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
        let error = Cache::open(shared).unwrap_err();
        assert!(
            matches!(error, CacheError::NotPrivate { mode: 0o777, .. }),
            "{error}"
        );
    }

    #[test]
    fn write_failures_are_kept_not_raised() {
        let dir = tempfile::tempdir().unwrap();
        let cache = open(dir.path());
        let k = key(&cache, "k");
        // A file where the entries' directory should be.
        let dir = cache.dir(Kind::Compressed);
        fs_err::remove_dir(&dir).unwrap();
        fs_err::write(&dir, b"").unwrap();
        cache.put(Kind::Compressed, &k, b"x");
        assert!(matches!(
            cache.write_error(),
            Some(CacheError::Write { .. })
        ));
        assert_eq!(cache.get(Kind::Compressed, &k), None);
    }

    #[test]
    fn clean_removes_the_entries() {
        let dir = tempfile::tempdir().unwrap();
        let cache = open(dir.path());
        let k = key(&cache, "k");
        cache.put(Kind::Compressed, &k, b"x");
        fs_err::write(cache.root().join("not ours"), b"").unwrap();
        clean(cache.root()).unwrap();
        assert_eq!(cache.get(Kind::Compressed, &k), None);
        assert!(cache.root().join("not ours").exists());
        clean(cache.root()).unwrap();
    }

    #[test]
    fn the_directory_comes_from_the_environment() {
        let env = |vars: &'static [(&str, &str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let dir = |vars| default_dir(env(vars)).ok();
        assert_eq!(
            dir(&[("PYFREEZE_CACHE_DIR", "/c"), ("HOME", "/h")]),
            Some(PathBuf::from("/c"))
        );
        assert_eq!(
            dir(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")]),
            Some(PathBuf::from("/x/pyfreeze/build"))
        );
        assert_eq!(
            dir(&[("PYFREEZE_CACHE_DIR", "rel"), ("HOME", "/h")]),
            Some(std::env::current_dir().unwrap().join("rel"))
        );
        assert_eq!(
            dir(&[("XDG_CACHE_HOME", "rel"), ("HOME", "/h")]),
            Some(PathBuf::from("/h/.cache/pyfreeze/build"))
        );
        assert_eq!(dir(&[("HOME", "relative")]), None);
    }
}
