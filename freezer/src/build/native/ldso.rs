//! The shared libraries a set of ELF objects (extension modules) needs, found as glibc's
//! dynamic loader would find them on this machine, so they can travel in the bundle.
//!
//! The bundle runs on machines whose library directories are unknown, so every library
//! the loader would load here beyond the system ones ([`is_system_library`]) is
//! packed, and the order they must be loaded in is worked out now.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use object::elf::{self as abi, FileHeader64};
use object::read::elf::{Dyn, FileHeader, ProgramHeader};
use object::read::StringTable;
use object::Endianness;

use super::ldso_cache;

/// Whether `soname` is provided by every system, so it is never bundled.
pub(crate) fn is_system_library(soname: &str) -> bool {
    SYSTEM_LIBRARIES.contains(&soname)
}

/// A shared library to bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SharedLibrary {
    /// The name other objects ask for (DT_NEEDED), which is also its DT_SONAME in practice.
    pub(crate) soname: String,
    /// Where it was found on this machine.
    pub(crate) path: PathBuf,
    /// Bundled libraries it needs directly (sonames), system libraries left out.
    pub(crate) needs: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Closure {
    /// Every library to bundle, each once, dependencies before the libraries that need them
    /// (a valid dlopen order), except within a group of [`Closure::groups`], whose members
    /// come one after the other; ties broken by soname so the order is deterministic.
    pub(crate) libraries: Vec<SharedLibrary>,
    /// The libraries that need each other, directly or not (the strongly connected parts
    /// of the graph of needs with more than one library), each sorted by soname: no order
    /// loads them one at a time.
    pub(crate) groups: Vec<Vec<String>>,
    /// Requests the loader can only serve from this machine's disk: (object key or
    /// library soname, the name it asks for, the found library's DT_SONAME). The stub
    /// loads a bundled library from a memfd, and the loader matches a later request
    /// against it by its DT_SONAME only, so a request by another name (a path, an
    /// unversioned name, a library without a DT_SONAME) fails where the library is not
    /// installed.
    pub(crate) misnamed: Vec<(String, String, Option<String>)>,
    /// For each input object (by the key given), the libraries it needs, transitively,
    /// in load order (dependencies first). Objects needing nothing are absent or empty.
    pub(crate) needs: BTreeMap<String, Vec<String>>,
    /// For each input object, the libraries it names itself (`DT_NEEDED`), system
    /// libraries left out: what `pyfreeze why` tells.
    pub(crate) direct: BTreeMap<String, Vec<String>>,
    /// (object key or library soname, soname) pairs the loader could not find.
    pub(crate) unresolved: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum LibraryError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a 64-bit ELF shared object pyfreeze can read: {reason}", path.display())]
    Elf { path: PathBuf, reason: String },
}

/// Libraries every glibc-based Linux system has: glibc itself, its dynamic loader and the
/// GCC unwinder glibc itself loads, as the manylinux policy (PEP 600) lists them.
/// Everything else must travel in the bundle.
const SYSTEM_LIBRARIES: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "librt.so.1",
    "libpthread.so.0",
    "libutil.so.1",
    "libresolv.so.2",
    "libnsl.so.1",
    "libgcc_s.so.1",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
    "ld-linux.so.2",
];

/// The loader's built-in directories for x86-64, the multiarch (Debian) ones first, tried
/// after everything else.
const DEFAULT_DIRS: &[&str] = &[
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];

/// What `$LIB` means on x86-64: upstream glibc says `lib64`, Debian's `lib/x86_64-linux-gnu`.
/// Which one the target machine's loader uses is unknown, so both are tried.
const LIB_EXPANSIONS: &[&str] = &["lib64", "lib/x86_64-linux-gnu"];

/// What `$PLATFORM` means on x86-64.
const PLATFORM: &str = "x86_64";

/// What the loader reads from an object's dynamic section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Dynamic {
    pub(crate) machine: u16,
    pub(crate) needed: Vec<String>,
    /// The symbol versions it asks each library for (`.gnu.version_r`): (file, version).
    pub(crate) version_needs: Vec<(String, String)>,
    soname: Option<String>,
    rpath: Option<Vec<u8>>,
    runpath: Option<Vec<u8>>,
    /// `DF_1_NODEFLIB`: the default directories are not searched, even through the cache.
    nodeflib: bool,
}

/// One library the loader would map.
#[derive(Debug)]
struct Library {
    soname: String,
    path: PathBuf,
    dynamic: Dynamic,
    /// The directory of the real file, what `$ORIGIN` means in its tags.
    origin: PathBuf,
    /// The RPATH directories of the objects that loaded it (its loader, its loader's
    /// loader...), which its dependencies are searched in after its own.
    inherited: Vec<PathBuf>,
    /// Indices into the library list, in DT_NEEDED order, each once.
    needs: Vec<usize>,
}

/// The directories one object's dependencies are searched in, besides the cache.
struct Search {
    /// RPATH directories of the object and its loaders, unless the object has a RUNPATH.
    rpath: Vec<PathBuf>,
    runpath: Vec<PathBuf>,
    nodeflib: bool,
    machine: u16,
    origin: PathBuf,
    /// What libraries loaded on this object's behalf inherit: its RPATH directories (none
    /// if it has a RUNPATH), then its loaders'.
    inherited: Vec<PathBuf>,
}

/// The loader's state across all the objects: like one process that loads them all in
/// turn, a soname it has loaded once is not looked for again.
struct Resolver {
    ld_library_path: Vec<PathBuf>,
    /// Read on first use: most builds find everything in RUNPATHs or never need it.
    cache: Option<BTreeMap<String, PathBuf>>,
    libraries: Vec<Library>,
    by_name: HashMap<String, usize>,
    by_path: HashMap<PathBuf, usize>,
    unresolved: BTreeSet<(String, String)>,
    misnamed: BTreeSet<(String, String, Option<String>)>,
}

/// The shared libraries `objects` (key, path of an ELF shared object, e.g. an extension
/// module) need, transitively, as the dynamic loader would resolve them on this machine.
pub(crate) fn closure(objects: &[(String, PathBuf)]) -> Result<Closure, LibraryError> {
    // Which object reaches a library first decides where it is found (its RPATH chain),
    // so objects are taken in a fixed order whatever order they were given in.
    let mut objects: Vec<&(String, PathBuf)> = objects.iter().collect();
    objects.sort();
    objects.dedup();

    let mut resolver = Resolver {
        ld_library_path: ld_library_path(),
        cache: None,
        libraries: Vec::new(),
        by_name: HashMap::new(),
        by_path: HashMap::new(),
        unresolved: BTreeSet::new(),
        misnamed: BTreeSet::new(),
    };
    let mut direct: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (key, path) in objects {
        let needs = resolver.load_object(key, path)?;
        direct.entry(key).or_default().extend(needs);
    }

    let (order, groups) = load_order(&resolver.libraries);
    let position: Vec<usize> = {
        let mut position = vec![0; order.len()];
        for (at, &index) in order.iter().enumerate() {
            position[index] = at;
        }
        position
    };
    let libraries = &resolver.libraries;
    let mut needs = BTreeMap::new();
    let mut named = BTreeMap::new();
    for (key, direct) in direct {
        named.insert(
            key.to_owned(),
            direct
                .iter()
                .map(|&index| libraries[index].soname.clone())
                .collect(),
        );
        let mut reached = reach(libraries, &direct);
        if reached.is_empty() {
            continue;
        }
        // A part of a load order, in that order, is a load order for the part.
        reached.sort_by_key(|&index| position[index]);
        needs.insert(
            key.to_owned(),
            reached
                .into_iter()
                .map(|index| libraries[index].soname.clone())
                .collect(),
        );
    }
    Ok(Closure {
        libraries: order
            .iter()
            .map(|&index| {
                let library = &libraries[index];
                SharedLibrary {
                    soname: library.soname.clone(),
                    path: library.path.clone(),
                    needs: library
                        .needs
                        .iter()
                        .map(|&need| libraries[need].soname.clone())
                        .collect(),
                }
            })
            .collect(),
        groups: groups
            .into_iter()
            .map(|group| {
                group
                    .into_iter()
                    .map(|index| libraries[index].soname.clone())
                    .collect()
            })
            .collect(),
        needs,
        direct: named,
        unresolved: resolver.unresolved.into_iter().collect(),
        misnamed: resolver.misnamed.into_iter().collect(),
    })
}

impl Resolver {
    /// Loads one input object and, breadth first as `ld.so` does, every library it
    /// brings in; returns the libraries it needs directly.
    fn load_object(&mut self, key: &str, path: &Path) -> Result<Vec<usize>, LibraryError> {
        let real = canonical(path)?;
        let dynamic = read_dynamic(path)?;
        let origin = parent(&real);
        // The RPATH chain starts at the extension module: who dlopens it is the
        // interpreter of the machine the bundle runs on, not this one.
        let search = search_for(&dynamic, &origin, &[]);
        let first_new = self.libraries.len();
        let needs = self.load_needed(key, &dynamic.needed, &search)?;
        // Libraries are added in the order the loader maps them, so going through the
        // new ones in index order is its breadth-first walk.
        let mut next = first_new;
        while next < self.libraries.len() {
            let library = &self.libraries[next];
            let (soname, needed) = (library.soname.clone(), library.dynamic.needed.clone());
            let search = search_for(&library.dynamic, &library.origin, &library.inherited);
            let needs = self.load_needed(&soname, &needed, &search)?;
            // A library that needs itself under another name is no dependency.
            self.libraries[next].needs = needs.into_iter().filter(|&n| n != next).collect();
            next += 1;
        }
        Ok(needs)
    }

    /// Finds (loading if new) each of `needed`, for the object called `requester`.
    fn load_needed(
        &mut self,
        requester: &str,
        needed: &[String],
        search: &Search,
    ) -> Result<Vec<usize>, LibraryError> {
        let mut needs = Vec::new();
        for name in needed {
            if is_system_library(name) {
                continue;
            }
            match self.load(name, search)? {
                Some(index) => {
                    let soname = &self.libraries[index].dynamic.soname;
                    if soname.as_deref() != Some(name.as_str()) {
                        self.misnamed
                            .insert((requester.to_owned(), name.clone(), soname.clone()));
                    }
                    if !needs.contains(&index) {
                        needs.push(index);
                    }
                }
                None => {
                    self.unresolved.insert((requester.to_owned(), name.clone()));
                }
            }
        }
        Ok(needs)
    }

    /// The library `name` is, loading it if it is new; `None` if the loader would not
    /// find it.
    fn load(&mut self, name: &str, search: &Search) -> Result<Option<usize>, LibraryError> {
        // The loader matches a request against what is loaded by name before searching.
        if let Some(&index) = self.by_name.get(name) {
            return Ok(Some(index));
        }
        let Some(path) = self.find(name, search) else {
            return Ok(None);
        };
        let real = canonical(&path)?;
        // The same file under another name (a symlink, a path) is not loaded twice.
        if let Some(&index) = self.by_path.get(&real) {
            self.by_name.insert(name.to_owned(), index);
            return Ok(Some(index));
        }
        let dynamic = read_dynamic(&path)?;
        let origin = parent(&real);
        let inherited = search.inherited.clone();
        let index = self.libraries.len();
        self.libraries.push(Library {
            soname: name.to_owned(),
            path,
            dynamic,
            origin,
            inherited,
            needs: Vec::new(),
        });
        self.by_name.insert(name.to_owned(), index);
        self.by_path.insert(real, index);
        Ok(Some(index))
    }

    /// Where the loader would find `name`: RPATHs, `LD_LIBRARY_PATH`, RUNPATH, the cache,
    /// the default directories, the first loadable file winning.
    fn find(&mut self, name: &str, search: &Search) -> Option<PathBuf> {
        let loadable = |path: &Path| is_loadable(path, search.machine);
        if name.contains('/') {
            // A path, possibly with `$ORIGIN` in it; relative ones are from the cwd, as
            // the loader takes them.
            return expand_tokens(name.as_bytes(), Some(&search.origin))
                .into_iter()
                .map(PathBuf::from)
                .find(|path| loadable(path));
        }
        let dirs = search
            .rpath
            .iter()
            .chain(&self.ld_library_path)
            .chain(&search.runpath);
        if let Some(found) = dirs.map(|dir| dir.join(name)).find(|path| loadable(path)) {
            return Some(found);
        }
        let in_default_dir = |path: &Path| DEFAULT_DIRS.iter().any(|dir| path.starts_with(dir));
        let cache = self.cache.get_or_insert_with(ldso_cache::read);
        // An object linked with `-z nodefaultlib` takes nothing from the default
        // directories, not even through the cache.
        if let Some(found) = cache
            .get(name)
            .filter(|path| !(search.nodeflib && in_default_dir(path)) && loadable(path))
        {
            return Some(found.clone());
        }
        if search.nodeflib {
            return None;
        }
        DEFAULT_DIRS
            .iter()
            .map(|dir| Path::new(dir).join(name))
            .find(|path| loadable(path))
    }
}

/// The search path for the dependencies of an object with `dynamic`, whose file is in
/// `origin`, loaded on behalf of objects that pass it the RPATH directories `inherited`.
fn search_for(dynamic: &Dynamic, origin: &Path, inherited: &[PathBuf]) -> Search {
    let mut chain = own_rpath(dynamic, origin);
    extend_unique(&mut chain, inherited);
    // An object with a RUNPATH searches no RPATH at all, neither its own nor its
    // loaders'; its RUNPATH serves only its direct dependencies.
    let rpath = if dynamic.runpath.is_some() {
        Vec::new()
    } else {
        chain.clone()
    };
    let runpath = dynamic
        .runpath
        .as_deref()
        .map(|runpath| search_dirs(runpath, Some(origin)))
        .unwrap_or_default();
    Search {
        rpath,
        runpath,
        nodeflib: dynamic.nodeflib,
        machine: dynamic.machine,
        origin: origin.to_owned(),
        inherited: chain,
    }
}

/// The RPATH directories an object contributes to the search: none once it has a RUNPATH,
/// which makes the loader ignore its RPATH.
fn own_rpath(dynamic: &Dynamic, origin: &Path) -> Vec<PathBuf> {
    match (&dynamic.rpath, &dynamic.runpath) {
        (Some(rpath), None) => search_dirs(rpath, Some(origin)),
        _ => Vec::new(),
    }
}

fn extend_unique(dirs: &mut Vec<PathBuf>, more: &[PathBuf]) {
    for dir in more {
        if !dirs.contains(dir) {
            dirs.push(dir.clone());
        }
    }
}

/// `LD_LIBRARY_PATH` as the loader reads it (':' or ';' separated). `$ORIGIN` there means
/// the directory of the running program, which is not the one that will load the bundle,
/// so such entries are left out.
fn ld_library_path() -> Vec<PathBuf> {
    let Some(value) = std::env::var_os("LD_LIBRARY_PATH") else {
        return Vec::new();
    };
    value
        .as_bytes()
        .split(|&b| b == b':' || b == b';')
        .flat_map(|entry| search_dirs_entry(entry, None))
        .collect()
}

/// The directories of a ':'-separated RPATH or RUNPATH, tokens expanded. Empty entries
/// mean the cwd to the loader: an accident of the build machine, skipped.
fn search_dirs(value: &[u8], origin: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for entry in value.split(|&b| b == b':') {
        for dir in search_dirs_entry(entry, origin) {
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    dirs
}

fn search_dirs_entry(entry: &[u8], origin: Option<&Path>) -> Vec<PathBuf> {
    if entry.is_empty() {
        return Vec::new();
    }
    expand_tokens(entry, origin)
        .into_iter()
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(PathBuf::from)
        .collect()
}

/// `value` with the loader's dynamic string tokens replaced: `$ORIGIN` (the directory of
/// the object the value belongs to; without one the value is dropped), `$LIB` (each of
/// its meanings) and `$PLATFORM`, each also spelled `${...}`. Anything else after a `$`
/// stays as it is, as in `ld.so`.
fn expand_tokens(value: &[u8], origin: Option<&Path>) -> Vec<OsString> {
    let mut results: Vec<Vec<u8>> = vec![Vec::new()];
    let mut rest = value;
    while let Some(dollar) = rest.iter().position(|&b| b == b'$') {
        for result in &mut results {
            result.extend_from_slice(&rest[..dollar]);
        }
        let after = &rest[dollar + 1..];
        if let Some(length) = token(after, b"ORIGIN") {
            let Some(origin) = origin else {
                return Vec::new();
            };
            for result in &mut results {
                result.extend_from_slice(origin.as_os_str().as_bytes());
            }
            rest = &after[length..];
        } else if let Some(length) = token(after, b"PLATFORM") {
            for result in &mut results {
                result.extend_from_slice(PLATFORM.as_bytes());
            }
            rest = &after[length..];
        } else if let Some(length) = token(after, b"LIB") {
            results = results
                .iter()
                .flat_map(|result| {
                    LIB_EXPANSIONS.iter().map(move |lib| {
                        let mut expanded = result.clone();
                        expanded.extend_from_slice(lib.as_bytes());
                        expanded
                    })
                })
                .collect();
            rest = &after[length..];
        } else {
            for result in &mut results {
                result.push(b'$');
            }
            rest = after;
        }
    }
    results
        .into_iter()
        .map(|mut result| {
            result.extend_from_slice(rest);
            OsString::from_vec(result)
        })
        .collect()
}

/// How many bytes after a '$' the token `name` takes, if it is there: `NAME` not followed
/// by an identifier character, or `{NAME}` (glibc's `is_dst`).
fn token(after_dollar: &[u8], name: &[u8]) -> Option<usize> {
    if let Some(body) = after_dollar.strip_prefix(b"{") {
        let rest = body.strip_prefix(name)?;
        return (rest.first() == Some(&b'}')).then_some(name.len() + 2);
    }
    let rest = after_dollar.strip_prefix(name)?;
    match rest.first() {
        Some(&c) if c.is_ascii_alphanumeric() || c == b'_' => None,
        _ => Some(name.len()),
    }
}

/// Whether the loader would take `path`: a readable 64-bit ELF file for `machine`. Only
/// the header is read, as many candidates are rejected and libraries can be large.
pub(crate) fn is_loadable(path: &Path, machine: u16) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let size = std::mem::size_of::<FileHeader64<Endianness>>() as u64;
    let mut header = Vec::new();
    if file.take(size).read_to_end(&mut header).is_err() {
        return false;
    }
    let Ok(header) = FileHeader64::<Endianness>::parse(&*header) else {
        return false;
    };
    header
        .endian()
        .is_ok_and(|endian| header.e_machine(endian) == machine)
}

fn canonical(path: &Path) -> Result<PathBuf, LibraryError> {
    std::fs::canonicalize(path).map_err(|source| LibraryError::Read {
        path: path.to_owned(),
        source,
    })
}

fn parent(real: &Path) -> PathBuf {
    real.parent().unwrap_or(Path::new("/")).to_owned()
}

fn read_dynamic(path: &Path) -> Result<Dynamic, LibraryError> {
    let data = std::fs::read(path).map_err(|source| LibraryError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_dynamic(&data).map_err(|reason| LibraryError::Elf {
        path: path.to_owned(),
        reason,
    })
}

/// The dynamic section as the loader sees it: through the program headers (PT_DYNAMIC,
/// and the string table found by address in a PT_LOAD segment), so a file whose section
/// headers were stripped reads the same.
pub(crate) fn parse_dynamic(data: &[u8]) -> Result<Dynamic, String> {
    let header = FileHeader64::<Endianness>::parse(data).map_err(|e| e.to_string())?;
    let endian = header.endian().map_err(|e| e.to_string())?;
    let mut dynamic = Dynamic {
        machine: header.e_machine(endian),
        ..Dynamic::default()
    };
    let segments = header
        .program_headers(endian, data)
        .map_err(|e| e.to_string())?;
    let mut entries = None;
    for segment in segments {
        if let Some(found) = segment.dynamic(endian, data).map_err(|e| e.to_string())? {
            entries = Some(found);
            break;
        }
    }
    // Linked statically: it needs nothing.
    let Some(entries) = entries else {
        return Ok(dynamic);
    };
    let entries = entries
        .iter()
        .take_while(|entry| entry.d_tag(endian) != u64::from(abi::DT_NULL));
    let tag_value = |tag: u32| {
        entries
            .clone()
            .find(|entry| entry.d_tag(endian) == u64::from(tag))
            .map(|entry| entry.d_val(endian))
    };
    let (Some(address), Some(size)) = (tag_value(abi::DT_STRTAB), tag_value(abi::DT_STRSZ)) else {
        return Ok(dynamic);
    };
    let strings = segments
        .iter()
        .filter(|segment| segment.p_type(endian) == abi::PT_LOAD)
        .find_map(|segment| segment.data_range(endian, data, address, size).ok()?)
        .ok_or("the dynamic string table is outside the loaded segments")?;
    let strings = StringTable::new(strings, 0, size);
    let string = |entry: &object::elf::Dyn64<Endianness>| {
        entry
            .string(endian, strings)
            .map(<[u8]>::to_vec)
            .map_err(|e| e.to_string())
    };
    if let Some(address) = tag_value(abi::DT_VERNEED) {
        let count = tag_value(abi::DT_VERNEEDNUM).unwrap_or(0);
        let table = segments
            .iter()
            .filter(|segment| segment.p_type(endian) == abi::PT_LOAD)
            .find_map(|segment| {
                let end = segment.p_vaddr(endian) + segment.p_filesz(endian);
                let size = end.checked_sub(address).filter(|&size| size > 0)?;
                segment.data_range(endian, data, address, size).ok()?
            })
            .ok_or("the version needs are outside the loaded segments")?;
        dynamic.version_needs = version_needs(endian, table, count, strings)?;
    }
    for entry in entries {
        let tag = entry.d_tag(endian);
        if tag == u64::from(abi::DT_NEEDED) {
            dynamic
                .needed
                .push(String::from_utf8_lossy(&string(entry)?).into_owned());
        } else if tag == u64::from(abi::DT_SONAME) {
            dynamic.soname = Some(String::from_utf8_lossy(&string(entry)?).into_owned());
        } else if tag == u64::from(abi::DT_RPATH) {
            dynamic.rpath = Some(string(entry)?);
        } else if tag == u64::from(abi::DT_RUNPATH) {
            dynamic.runpath = Some(string(entry)?);
        } else if tag == u64::from(abi::DT_FLAGS_1) {
            dynamic.nodeflib |= entry.d_val(endian) & u64::from(abi::DF_1_NODEFLIB) != 0;
        }
    }
    Ok(dynamic)
}

/// The `count` entries of a version needs table (what `DT_VERNEED` points at) as (file,
/// version) pairs, read as the loader reads them: object's own iterator over them wants the
/// section headers, which a stripped file may lack.
fn version_needs(
    endian: Endianness,
    table: &[u8],
    count: u64,
    strings: StringTable<'_>,
) -> Result<Vec<(String, String)>, String> {
    let bytes = object::Bytes(table);
    let string = |offset: u32| {
        strings
            .get(offset)
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .map_err(|()| "a version name is outside the dynamic string table".to_owned())
    };
    let mut needs = Vec::new();
    let mut at = 0usize;
    for _ in 0..count {
        let need = bytes
            .read_at::<abi::Verneed<Endianness>>(at)
            .map_err(|()| "a version need is outside its segment")?;
        let file = string(need.vn_file.get(endian))?;
        let mut aux_at = at + need.vn_aux.get(endian) as usize;
        for _ in 0..need.vn_cnt.get(endian) {
            let aux = bytes
                .read_at::<abi::Vernaux<Endianness>>(aux_at)
                .map_err(|()| "a version need is outside its segment")?;
            needs.push((file.clone(), string(aux.vna_name.get(endian))?));
            aux_at += aux.vna_next.get(endian) as usize;
        }
        match need.vn_next.get(endian) {
            0 => break,
            next => at += next as usize,
        }
    }
    Ok(needs)
}

/// Every library reachable from `direct`, each once.
fn reach(libraries: &[Library], direct: &[usize]) -> Vec<usize> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<usize> = direct.to_vec();
    while let Some(index) = stack.pop() {
        if seen.insert(index) {
            stack.extend(&libraries[index].needs);
        }
    }
    seen.into_iter().collect()
}

/// A load order of all libraries, and the groups of libraries that need each other (as
/// indices, each group sorted by soname). The groups ([`strongly_connected`]) are placed
/// as one, their members one after the other, in a topological order of the groups and
/// the other libraries (Kahn's algorithm) that takes the smallest soname first among those
/// ready.
fn load_order(libraries: &[Library]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let components = strongly_connected(libraries);
    let mut component_of = vec![0; libraries.len()];
    for (at, component) in components.iter().enumerate() {
        for &index in component {
            component_of[index] = at;
        }
    }
    let key = |component: usize| libraries[components[component][0]].soname.as_str();
    let mut waiting = vec![0usize; components.len()];
    let mut dependents: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); components.len()];
    for (index, library) in libraries.iter().enumerate() {
        let from = component_of[index];
        for &need in &library.needs {
            let to = component_of[need];
            if to != from && dependents[to].insert(from) {
                waiting[from] += 1;
            }
        }
    }
    let mut ready: BTreeSet<(&str, usize)> = (0..components.len())
        .filter(|&component| waiting[component] == 0)
        .map(|component| (key(component), component))
        .collect();
    let mut order = Vec::with_capacity(libraries.len());
    while let Some((_, component)) = ready.pop_first() {
        order.extend(&components[component]);
        for &dependent in &dependents[component] {
            waiting[dependent] -= 1;
            if waiting[dependent] == 0 {
                ready.insert((key(dependent), dependent));
            }
        }
    }
    let groups = components
        .into_iter()
        .filter(|component| component.len() > 1)
        .collect();
    (order, groups)
}

/// The strongly connected components of the graph of needs (Tarjan's algorithm), each
/// sorted by soname.
fn strongly_connected(libraries: &[Library]) -> Vec<Vec<usize>> {
    struct Tarjan<'l> {
        libraries: &'l [Library],
        next: usize,
        number: Vec<Option<usize>>,
        low: Vec<usize>,
        stack: Vec<usize>,
        on_stack: Vec<bool>,
        components: Vec<Vec<usize>>,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, index: usize) {
            self.number[index] = Some(self.next);
            self.low[index] = self.next;
            self.next += 1;
            self.stack.push(index);
            self.on_stack[index] = true;
            for &need in &self.libraries[index].needs {
                match self.number[need] {
                    None => {
                        self.visit(need);
                        self.low[index] = self.low[index].min(self.low[need]);
                    }
                    Some(number) if self.on_stack[need] => {
                        self.low[index] = self.low[index].min(number);
                    }
                    Some(_) => {}
                }
            }
            if Some(self.low[index]) == self.number[index] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack[member] = false;
                    component.push(member);
                    if member == index {
                        break;
                    }
                }
                component.sort_by_key(|&member| self.libraries[member].soname.as_str());
                self.components.push(component);
            }
        }
    }
    let mut tarjan = Tarjan {
        libraries,
        next: 0,
        number: vec![None; libraries.len()],
        low: vec![0; libraries.len()],
        stack: Vec::new(),
        on_stack: vec![false; libraries.len()],
        components: Vec::new(),
    };
    for index in 0..libraries.len() {
        if tarjan.number[index].is_none() {
            tarjan.visit(index);
        }
    }
    tarjan.components
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::process::Command;

    /// `lib-dynload` of the newest interpreter the end-to-end tests use.
    fn lib_dynload() -> PathBuf {
        pyfreeze_tests::newest_interpreter()
            .stdlib
            .join("lib-dynload")
    }

    /// The extension module `module` in `dir`, as (key, path).
    fn extension(dir: &Path, module: &str) -> Option<(String, PathBuf)> {
        let prefix = format!("{module}.");
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| {
                path.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".so"))
            })
            .collect();
        found.sort();
        Some((module.to_owned(), found.into_iter().next()?))
    }

    fn sonames(closure: &Closure) -> Vec<&str> {
        closure
            .libraries
            .iter()
            .map(|l| l.soname.as_str())
            .collect()
    }

    fn position(list: &[&str], name: &str) -> usize {
        list.iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| panic!("{name} not in {list:?}"))
    }

    #[test]
    fn glibcs_libraries_are_system_ones_and_dt_needed_is_read() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let needed = parse_dynamic(&exe).unwrap().needed;
        assert!(needed.iter().any(|n| n == "libc.so.6"), "{needed:?}");
        assert!(needed.iter().all(|n| is_system_library(n)), "{needed:?}");
        assert!(is_system_library("libm.so.6"));
        assert!(!is_system_library("libssl.so.3"));
        assert!(parse_dynamic(b"\x7fELF").is_err());
    }

    #[test]
    fn ssl_needs_libcrypto_before_libssl_and_no_system_library() {
        let dir = lib_dynload();
        let ssl = extension(&dir, "_ssl").expect("_ssl in lib-dynload");
        let closure = closure(&[ssl]).unwrap();
        let libraries = sonames(&closure);
        assert!(
            position(&libraries, "libcrypto.so.3") < position(&libraries, "libssl.so.3"),
            "{libraries:?}"
        );
        let needs: Vec<&str> = closure.needs["_ssl"].iter().map(String::as_str).collect();
        assert!(position(&needs, "libcrypto.so.3") < position(&needs, "libssl.so.3"));
        assert!(!libraries.iter().any(|n| n.starts_with("libc.so")));
        assert!(!needs.iter().any(|n| is_system_library(n)));
        let libssl = &closure.libraries[position(&libraries, "libssl.so.3")];
        assert!(libssl.path.is_file());
        assert!(libssl.needs.contains(&"libcrypto.so.3".to_owned()));
        assert!(closure.unresolved.is_empty(), "{:?}", closure.unresolved);
    }

    #[test]
    fn ctypes_zlib_and_sqlite3_find_their_libraries() {
        let dir = lib_dynload();
        let mut objects = vec![
            extension(&dir, "_ctypes").expect("_ctypes"),
            extension(&dir, "zlib").expect("zlib"),
        ];
        let sqlite3 = extension(&dir, "_sqlite3");
        objects.extend(sqlite3.clone());
        let closure = closure(&objects).unwrap();
        assert!(
            closure.needs["_ctypes"]
                .iter()
                .any(|n| n.starts_with("libffi.so.")),
            "{:?}",
            closure.needs
        );
        assert!(closure.needs["zlib"].contains(&"libz.so.1".to_owned()));
        if sqlite3.is_some() {
            assert!(closure.needs["_sqlite3"].contains(&"libsqlite3.so.0".to_owned()));
        }
        // Each library once.
        let libraries = sonames(&closure);
        let unique: BTreeSet<&str> = libraries.iter().copied().collect();
        assert_eq!(unique.len(), libraries.len());
    }

    #[test]
    fn the_same_objects_in_any_order_give_the_same_closure() {
        let dir = lib_dynload();
        let objects: Vec<(String, PathBuf)> = [
            "_ssl", "_hashlib", "_ctypes", "zlib", "_sqlite3", "_lzma", "_bz2", "readline",
        ]
        .iter()
        .filter_map(|m| extension(&dir, m))
        .collect();
        let first = closure(&objects).unwrap();
        let again = closure(&objects).unwrap();
        let reversed: Vec<_> = objects.iter().rev().cloned().collect();
        let reversed = closure(&reversed).unwrap();
        for other in [&again, &reversed] {
            assert_eq!(first.libraries, other.libraries);
            assert_eq!(first.needs, other.needs);
            assert_eq!(first.unresolved, other.unresolved);
        }
        // Every library comes after all it needs.
        let libraries = sonames(&first);
        for (at, library) in first.libraries.iter().enumerate() {
            for need in &library.needs {
                assert!(position(&libraries, need) < at, "{libraries:?}");
            }
        }
    }

    pub(crate) fn have_cc() -> bool {
        let found = Command::new("cc")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            eprintln!("skipped: no cc");
        }
        found
    }

    /// Builds a shared library `output` from `source`, in `dir`.
    pub(crate) fn cc(dir: &Path, source: &str, output: &str, args: &[&str]) {
        let file = format!("{}.c", output.replace(['/', '.'], "_"));
        std::fs::write(dir.join(&file), source).unwrap();
        let status = Command::new("cc")
            .current_dir(dir)
            .args(["-shared", "-fPIC", "-o", output, &file])
            .args(args)
            .status()
            .unwrap();
        assert!(status.success(), "cc {output} failed");
    }

    #[test]
    fn origin_runpath_is_followed_and_missing_libraries_are_reported() {
        if !have_cc() {
            return;
        }
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        for sub in ["sub", "gone", "elsewhere"] {
            std::fs::create_dir(dir.join(sub)).unwrap();
        }
        cc(
            dir,
            "int pfz_gone(void) { return 7; }",
            "gone/libpfzgone.so.7",
            &["-Wl,-soname,libpfzgone.so.7"],
        );
        cc(
            dir,
            "int pfz_gone(void); int pfz_dep(void) { return pfz_gone(); }",
            "sub/libpfzdep.so",
            &["-Wl,-soname,libpfzdep.so.1", "-Lgone", "-l:libpfzgone.so.7"],
        );
        std::fs::rename(dir.join("sub/libpfzdep.so"), dir.join("sub/libpfzdep.so.1")).unwrap();
        std::fs::remove_dir_all(dir.join("gone")).unwrap();
        cc(
            dir,
            "int pfz_dep(void); int pfz_top(void) { return pfz_dep(); }",
            "libpfztop.so",
            &[
                "-Lsub",
                "-l:libpfzdep.so.1",
                "-Wl,--enable-new-dtags,-rpath,$ORIGIN/sub",
            ],
        );
        // Through a symlink elsewhere: `$ORIGIN` is where the real file is.
        std::os::unix::fs::symlink(dir.join("libpfztop.so"), dir.join("elsewhere/top.so")).unwrap();

        let closure = closure(&[("top".to_owned(), dir.join("elsewhere/top.so"))]).unwrap();
        assert_eq!(
            closure.libraries,
            vec![SharedLibrary {
                soname: "libpfzdep.so.1".to_owned(),
                path: dir.canonicalize().unwrap().join("sub/libpfzdep.so.1"),
                needs: vec![],
            }]
        );
        assert_eq!(closure.needs["top"], vec!["libpfzdep.so.1".to_owned()]);
        assert_eq!(
            closure.unresolved,
            vec![("libpfzdep.so.1".to_owned(), "libpfzgone.so.7".to_owned())]
        );
    }

    #[test]
    fn rpath_is_inherited_and_runpath_is_not() {
        if !have_cc() {
            return;
        }
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        for sub in ["leaf", "mid"] {
            std::fs::create_dir(dir.join(sub)).unwrap();
        }
        cc(
            dir,
            "int pfz_leaf(void) { return 1; }",
            "leaf/libpfzleaf.so.1",
            &["-Wl,-soname,libpfzleaf.so.1"],
        );
        cc(
            dir,
            "int pfz_leaf(void); int pfz_mid(void) { return pfz_leaf(); }",
            "mid/libpfzmid.so.1",
            &["-Wl,-soname,libpfzmid.so.1", "-Lleaf", "-l:libpfzleaf.so.1"],
        );
        let top = "int pfz_mid(void); int pfz_top(void) { return pfz_mid(); }";
        let link = [
            "-Lmid",
            "-l:libpfzmid.so.1",
            "-Wl,-rpath-link,leaf",
            "-Wl,-rpath,$ORIGIN/mid:${ORIGIN}/leaf",
        ];
        cc(
            dir,
            top,
            "libpfzrpath.so",
            &[&link[..], &["-Wl,--disable-new-dtags"]].concat(),
        );
        cc(
            dir,
            top,
            "libpfzrunpath.so",
            &[&link[..], &["-Wl,--enable-new-dtags"]].concat(),
        );

        // DT_RPATH: the mid library's dependency is found in its loader's RPATH.
        let with_rpath = closure(&[("top".to_owned(), dir.join("libpfzrpath.so"))]).unwrap();
        assert_eq!(
            sonames(&with_rpath),
            vec!["libpfzleaf.so.1", "libpfzmid.so.1"]
        );
        assert_eq!(
            with_rpath.needs["top"],
            vec!["libpfzleaf.so.1".to_owned(), "libpfzmid.so.1".to_owned()]
        );
        assert!(with_rpath.unresolved.is_empty());

        // DT_RUNPATH serves only direct dependencies.
        let with_runpath = closure(&[("top".to_owned(), dir.join("libpfzrunpath.so"))]).unwrap();
        assert_eq!(sonames(&with_runpath), vec!["libpfzmid.so.1"]);
        assert_eq!(
            with_runpath.unresolved,
            vec![("libpfzmid.so.1".to_owned(), "libpfzleaf.so.1".to_owned())]
        );
    }

    #[test]
    fn a_library_without_a_soname_is_reported_as_misnamed() {
        if !have_cc() {
            return;
        }
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        cc(
            dir,
            "int pfz_noso(void) { return 3; }",
            "libpfznoso.so",
            &[],
        );
        cc(
            dir,
            "int pfz_named(void) { return 4; }",
            "libpfznamed.so.1",
            &["-Wl,-soname,libpfznamed.so.1"],
        );
        cc(
            dir,
            "int pfz_noso(void); int pfz_named(void); int pfz_top(void) { return pfz_noso() + pfz_named(); }",
            "top.so",
            &[
                "-L.",
                "-l:libpfznoso.so",
                "-l:libpfznamed.so.1",
                "-Wl,-rpath,$ORIGIN",
            ],
        );
        let closure = closure(&[("top".to_owned(), dir.join("top.so"))]).unwrap();
        assert_eq!(sonames(&closure), ["libpfznamed.so.1", "libpfznoso.so"]);
        // The loader could not tell the bundle's copy of libpfznoso.so by its name.
        assert_eq!(
            closure.misnamed,
            [("top".to_owned(), "libpfznoso.so".to_owned(), None)]
        );
        assert!(closure.groups.is_empty());
    }

    #[test]
    fn unreadable_objects_are_errors_naming_the_file() {
        let temp = tempfile::tempdir().unwrap();
        let text = temp.path().join("notelf.so");
        std::fs::write(&text, "not an ELF file").unwrap();
        let missing = temp.path().join("missing.so");
        for path in [text, missing] {
            let error = closure(&[("m".to_owned(), path.clone())]).unwrap_err();
            assert!(
                error.to_string().contains(&*path.to_string_lossy()),
                "{error}"
            );
        }
        assert!(closure(&[]).unwrap().libraries.is_empty());
    }

    #[test]
    fn libraries_that_need_each_other_are_a_group_loaded_as_one() {
        let library = |soname: &str, needs: Vec<usize>| Library {
            soname: soname.to_owned(),
            path: PathBuf::from(soname),
            dynamic: Dynamic::default(),
            origin: PathBuf::from("/"),
            inherited: Vec::new(),
            needs,
        };
        // a <-> b, c -> a, d -> nothing, e -> d; f -> g -> h -> f, h -> d, aa -> f.
        let libraries = [
            library("b", vec![1]),
            library("a", vec![0]),
            library("c", vec![1]),
            library("e", vec![4]),
            library("d", vec![]),
            library("f", vec![6]),
            library("g", vec![7]),
            library("h", vec![5, 4]),
            library("aa", vec![5]),
        ];
        let (order, groups) = load_order(&libraries);
        let names = |indices: &[usize]| -> Vec<&str> {
            indices
                .iter()
                .map(|&index| libraries[index].soname.as_str())
                .collect()
        };
        assert_eq!(
            names(&order),
            ["a", "b", "c", "d", "e", "f", "g", "h", "aa"]
        );
        let mut groups: Vec<Vec<&str>> = groups.iter().map(|g| names(g)).collect();
        groups.sort();
        assert_eq!(groups, [vec!["a", "b"], vec!["f", "g", "h"]]);
    }

    #[test]
    fn tokens_expand_as_the_loader_does() {
        let origin = Some(Path::new("/o"));
        let expand = |value: &str| -> Vec<String> {
            expand_tokens(value.as_bytes(), origin)
                .into_iter()
                .map(|s| s.into_string().unwrap())
                .collect()
        };
        assert_eq!(expand("$ORIGIN/../libs"), ["/o/../libs"]);
        assert_eq!(expand("${ORIGIN}/x"), ["/o/x"]);
        assert_eq!(expand("/a/$PLATFORM"), ["/a/x86_64"]);
        assert_eq!(
            expand("/usr/$LIB"),
            ["/usr/lib64", "/usr/lib/x86_64-linux-gnu"]
        );
        // Not tokens: part of a longer name, or unknown.
        assert_eq!(expand("/a/$ORIGINAL"), ["/a/$ORIGINAL"]);
        assert_eq!(expand("/a/$HOME"), ["/a/$HOME"]);
        assert!(expand_tokens(b"$ORIGIN/x", None).is_empty());
        assert_eq!(
            search_dirs(b"/a::$ORIGIN/b:/a", origin),
            [PathBuf::from("/a"), PathBuf::from("/o/b")]
        );
    }
}
