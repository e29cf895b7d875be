//! The `_pyfreeze` builtin module: the Rust half of the stub's importer. The Python half
//! (`runtime-stub/python/`, bundled as `_pyfreeze_boot` and the parts it imports) asks it
//! what the bundle holds; lookups are a binary search over the mapped index and code is
//! unmarshalled straight from the mapping, so an import costs the same whatever the
//! bundle's size.

use std::collections::BTreeMap;
use std::ffi::{c_long, CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use pyfreeze_archive::boot::{self, find as bit};
use pyfreeze_archive::{Bundle, Entry, EntryPointKind, Kind};

use crate::ffi::python::{callback, PyObject};
use crate::ffi::sys;
use crate::{cache_dir, damage, native};

/// What the module serves, fixed before the interpreter starts.
pub(crate) struct State {
    pub(crate) bundle: Bundle<'static>,
    /// The executable's path, as the OS gave it.
    pub(crate) executable: Vec<u8>,
    /// The command-line arguments after the program name.
    pub(crate) args: Vec<Vec<u8>>,
    pub(crate) entry_kind: EntryPointKind,
    pub(crate) entry_module: &'static str,
    pub(crate) entry_arg: &'static str,
    /// Where the bundle's on-disk files are (`--collect-to-disk`), if it has any.
    pub(crate) disk_dir: Option<Vec<u8>>,
    /// `-W` and `-X` options fixed at build time.
    pub(crate) warnings: Vec<String>,
    pub(crate) x_options: Vec<String>,
}

static STATE: OnceLock<State> = OnceLock::new();

/// Extension modules already copied into memfds, by module name: a module imported again
/// (after removal from sys.modules) must get the same path, or glibc would load a second
/// copy of it. The memfd is held only until its library is mapped ([`map_extension`], else
/// [`extension_loaded`]): glibc finds a loaded library by its path without opening it.
static EXTENSIONS: Mutex<BTreeMap<String, Extension>> = Mutex::new(BTreeMap::new());

struct Extension {
    path: CString,
    /// Until the library is mapped.
    prepared: Option<native::Prepared>,
}

/// The bits of the answer of `find`, which the module exports for the Python half.
const FIND_BITS: [(&CStr, u8); 5] = [
    (c"FOUND", bit::FOUND),
    (c"PACKAGE", bit::PACKAGE),
    (c"EXTENSION", bit::EXTENSION),
    (c"HAS_SOURCE", bit::HAS_SOURCE),
    (c"NAMESPACE", bit::NAMESPACE),
];

pub(crate) fn install(state: State) {
    assert!(STATE.set(state).is_ok(), "the importer is installed once");
}

fn state() -> &'static State {
    STATE
        .get()
        .expect("installed before the interpreter starts")
}

fn entry(kind: Kind, name: &str) -> Result<Option<Entry<'static>>, *mut PyObject> {
    damage::checked(state().bundle.find(kind, name))
        .map_err(|e| callback::import_error(&e.to_string()))
}

fn with_name(arg: *mut PyObject, f: impl FnOnce(&str) -> *mut PyObject) -> *mut PyObject {
    match callback::arg_str(arg) {
        Some(name) => f(name),
        None => std::ptr::null_mut(),
    }
}

/// `find(name) -> int`: 0 if the bundle does not hold the module, else FOUND with the
/// PACKAGE, EXTENSION, HAS_SOURCE and NAMESPACE bits.
extern "C" fn find(_module: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |name| {
        let answer = match entry(Kind::Module, name) {
            Err(err) => return err,
            Ok(Some(module)) => {
                let mut bits = bit::FOUND;
                if module.is_package() {
                    bits |= bit::PACKAGE;
                }
                if module.is_namespace() {
                    bits |= bit::NAMESPACE;
                }
                match entry(Kind::Source, name) {
                    Err(err) => return err,
                    Ok(Some(_)) => bits |= bit::HAS_SOURCE,
                    Ok(None) => {}
                }
                bits
            }
            Ok(None) => match entry(Kind::Extension, name) {
                Err(err) => return err,
                // A package whose `__init__` is an extension module (mypyc compiles them).
                Ok(Some(extension)) if extension.is_package() => {
                    bit::FOUND | bit::EXTENSION | bit::PACKAGE
                }
                Ok(Some(_)) => bit::FOUND | bit::EXTENSION,
                Ok(None) => 0,
            },
        };
        callback::long(c_long::from(answer))
    })
}

/// `get_code(name) -> code`.
extern "C" fn get_code(_module: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |name| match entry(Kind::Module, name) {
        Err(err) => err,
        Ok(None) => callback::import_error(&format!("no module named {name:?} in this bundle")),
        Ok(Some(module)) => match damage::checked(module.contents()) {
            Ok(code) => {
                let object = callback::unmarshal(&code);
                released_now_and_then();
                object
            }
            Err(e) => callback::import_error(&e.to_string()),
        },
    })
}

/// Releases the pages of the executable's mapping after every few modules read from it,
/// raw or compressed ([`sys::release_mapping`]). Once per module costs a system call per import
/// (measured: 2.6% of the start-up of an app importing 600 modules); once in 16 bounds
/// what stays resident to what 16 imports read, with fault-around, and costs nothing
/// measurable.
fn released_now_and_then() {
    static UNMARSHALLED: AtomicUsize = AtomicUsize::new(0);
    if UNMARSHALLED.fetch_add(1, Ordering::Relaxed) % RELEASE_EVERY == RELEASE_EVERY - 1 {
        sys::release_mapping();
    }
}

const RELEASE_EVERY: usize = 16;

/// `get_source(name) -> bytes | None`.
extern "C" fn get_source(_module: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |name| match entry(Kind::Source, name) {
        Err(err) => err,
        Ok(None) => callback::none(),
        Ok(Some(source)) => match damage::checked(source.contents()) {
            Ok(text) => callback::bytes(&text),
            Err(e) => callback::import_error(&e.to_string()),
        },
    })
}

/// `extension_path(name) -> str`: a path that `dlopen` opens to get the extension module,
/// a memfd holding its bytes; created on first use only.
extern "C" fn extension_path(_module: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |name| {
        let mut cache = EXTENSIONS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(extension) = cache.get(name) {
            return callback::str(&extension.path.to_string_lossy());
        }
        let extension = match entry(Kind::Extension, name) {
            Err(err) => return err,
            Ok(None) => {
                return callback::import_error(&format!(
                    "no extension module named {name:?} in this bundle"
                ))
            }
            Ok(Some(extension)) => extension,
        };
        if let Err(message) = native::load_needs(&state().bundle, name) {
            return callback::import_error(&message);
        }
        match native::prepare(&state().bundle, &extension) {
            Ok(prepared) => {
                let path = prepared.memfd.path().to_owned();
                let result = callback::str(&path.to_string_lossy());
                let prepared = Some(prepared);
                cache.insert(name.to_owned(), Extension { path, prepared });
                result
            }
            Err(message) => callback::import_error(&message),
        }
    })
}

/// `map_extension(name)`: maps the extension module `name`'s memfd (`extension_path`) with
/// `dlopen` and the flags `sys.getdlopenflags()` gives (python's own), finishes loading it
/// (its code mapped from the bundle, its constructors run) and closes the memfd, before
/// `_imp.create_dynamic` runs the module's init: an init importing another extension
/// module (`_elementtree` imports `pyexpat`) holds no descriptor meanwhile. CPython's own
/// `dlopen` of the path then finds the library loaded. If it fails, the memfd is filled
/// and stays for `create_dynamic`, which reports the error as python does.
extern "C" fn map_extension(_module: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |name| {
        let Some(flags) = callback::dlopen_flags() else {
            return std::ptr::null_mut();
        };
        let mut cache = EXTENSIONS.lock().unwrap_or_else(|e| e.into_inner());
        let Some(prepared) = cache.get_mut(name).and_then(|e| e.prepared.as_mut()) else {
            return callback::none();
        };
        match sys::Library::open(prepared.memfd.path(), flags) {
            Ok(library) => {
                prepared.loaded(library, false);
                if let Some(extension) = cache.get_mut(name) {
                    extension.prepared = None;
                }
            }
            Err(_) => {
                if let Err(message) = prepared.fill() {
                    return callback::import_error(&message);
                }
            }
        }
        callback::none()
    })
}

/// `extension_loaded(name)`: closes the memfd of the extension module `name` once
/// `_imp.create_dynamic` has returned or failed. A module whose library `dlopen` mapped
/// keeps its path; one that was never mapped gets a fresh memfd if asked for again, its
/// descriptor number being free for other files now.
extern "C" fn extension_loaded(_module: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |name| {
        let mut cache = EXTENSIONS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(extension) = cache.get_mut(name) {
            if let Some(prepared) = extension.prepared.take() {
                let mapped = sys::Library::is_loaded(prepared.memfd.path());
                drop(prepared);
                if !mapped {
                    cache.remove(name);
                }
            }
        }
        callback::none()
    })
}

/// `load_library(soname) -> bool`: loads a bundled library (and what it needs) so that a
/// later `dlopen(soname)`, as `ctypes.CDLL` does, finds it; false if it is not bundled.
extern "C" fn load_library(_module: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |soname| {
        let state = state();
        match entry(Kind::Library, soname) {
            Err(err) => err,
            Ok(None) => callback::long(0),
            Ok(Some(_)) => match native::load_needs(&state.bundle, soname) {
                Ok(()) => callback::long(1),
                Err(message) => callback::import_error(&message),
            },
        }
    })
}

/// `find_library(name) -> str | None`: the soname of a bundled library `lib<name>.so...`,
/// as `ctypes.util.find_library(name)` would find it on the build machine.
extern "C" fn find_library(_module: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |name| {
        let bundle = &state().bundle;
        let prefix = format!("lib{name}.so");
        for index in bundle.kind_range(Kind::Library) {
            match damage::checked(bundle.entry(index)) {
                Err(e) => return callback::import_error(&e.to_string()),
                Ok(library)
                    if library.name == prefix
                        || library.name.starts_with(&format!("{prefix}.")) =>
                {
                    return callback::str(library.name)
                }
                Ok(_) => {}
            }
        }
        callback::none()
    })
}

/// `get_data(path) -> bytes | None`: a data file by its path inside the bundle.
extern "C" fn get_data(_module: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |path| match entry(Kind::Data, path) {
        Err(err) => err,
        Ok(None) => callback::none(),
        Ok(Some(file)) => match damage::checked(file.contents()) {
            Ok(bytes) => callback::bytes(&bytes),
            Err(e) => callback::import_error(&e.to_string()),
        },
    })
}

/// `on_disk(path) -> bool`: whether the file at `path` inside the bundle is also in the
/// on-disk directory (`disk_dir`).
extern "C" fn on_disk(_module: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |path| match entry(Kind::Disk, path) {
        Err(err) => err,
        Ok(found) => callback::long(c_long::from(found.is_some())),
    })
}

/// `left_out(name) -> str | None`: why the build left the module `name` out on purpose
/// and what brings it back, or None if it did not.
extern "C" fn left_out(_module: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |name| match entry(Kind::LeftOut, name) {
        Err(err) => err,
        Ok(None) => callback::none(),
        Ok(Some(entry)) => match damage::checked(entry.contents()) {
            Ok(why) => callback::str(&String::from_utf8_lossy(&why)),
            Err(e) => callback::import_error(&e.to_string()),
        },
    })
}

/// `list_data(directory) -> list[str]`: the names directly inside `directory` (a path
/// inside the bundle ending in `/`, or `""` for the top), directories with a trailing `/`.
extern "C" fn list_data(_module: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |directory| {
        let mut children: Vec<&str> = Vec::new();
        for file in state().bundle.with_prefix(Kind::Data, directory) {
            let file = match damage::checked(file) {
                Ok(file) => file,
                Err(e) => return callback::import_error(&e.to_string()),
            };
            let rest = &file.name[directory.len()..];
            let child = match rest.find('/') {
                Some(slash) => &rest[..=slash],
                None => rest,
            };
            if children.last() != Some(&child) {
                children.push(child);
            }
        }
        let children: Vec<Vec<u8>> = children.iter().map(|c| c.as_bytes().to_vec()).collect();
        callback::fs_str_list(&children)
    })
}

/// `list_modules(prefix) -> list[str]`: the modules and extension modules directly inside
/// the package `prefix` (a package name followed by `.`, or `""` for the top level).
extern "C" fn list_modules(_module: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |prefix| {
        let bundle = &state().bundle;
        let mut children: Vec<Vec<u8>> = Vec::new();
        for kind in [Kind::Module, Kind::Extension] {
            for module in bundle.with_prefix(kind, prefix) {
                match damage::checked(module) {
                    Err(e) => return callback::import_error(&e.to_string()),
                    Ok(module) if !module.name[prefix.len()..].contains('.') => {
                        children.push(module.name.as_bytes().to_vec());
                    }
                    Ok(_) => {}
                }
            }
        }
        children.sort();
        callback::fs_str_list(&children)
    })
}

/// `as_file([path, bytes or None, ...]) -> str`: a directory of the per-user cache,
/// named by its contents, holding a file for each path with bytes and a directory for
/// each with None, written once and reused while intact: the real files
/// `importlib.resources.as_file()` hands out for the bundle's resources.
extern "C" fn as_file(_module: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    let Some(items) = callback::arg_pairs(arg) else {
        return std::ptr::null_mut();
    };
    match cache_dir::root().and_then(|root| cache_dir::of_items(&root, &items)) {
        Ok(dir) => callback::fs_str(dir.as_os_str().as_bytes()),
        Err(e) => callback::os_error(
            e.errno(),
            &format!("cannot put a copy of a bundled resource in the per-user cache: {e}"),
            e.path().map(|path| path.as_os_str().as_bytes()),
        ),
    }
}

fn as_bytes(items: &[String]) -> Vec<Vec<u8>> {
    items.iter().map(|item| item.as_bytes().to_vec()).collect()
}

/// The module's init function, registered with `PyImport_AppendInittab`.
pub(crate) extern "C" fn init_module() -> *mut PyObject {
    let module = callback::create_module(
        boot::STUB_MODULE_C,
        c"The bundle this executable carries (pyfreeze).",
        &[
            (
                c"find",
                find,
                c"find(name) -> bits: found, package, extension, has source, namespace",
            ),
            (c"get_code", get_code, c"get_code(name) -> code object"),
            (
                c"get_source",
                get_source,
                c"get_source(name) -> bytes or None",
            ),
            (
                c"extension_path",
                extension_path,
                c"extension_path(name) -> path to dlopen",
            ),
            (
                c"map_extension",
                map_extension,
                c"map_extension(name): maps the memfd extension_path made and closes it",
            ),
            (
                c"extension_loaded",
                extension_loaded,
                c"extension_loaded(name): closes the memfd extension_path made for it",
            ),
            (
                c"load_library",
                load_library,
                c"load_library(soname) -> 1 if bundled and now loaded, else 0",
            ),
            (
                c"get_data",
                get_data,
                c"get_data(path) -> the data file's bytes, or None",
            ),
            (
                c"on_disk",
                on_disk,
                c"on_disk(path) -> 1 if the file is also in disk_dir, else 0",
            ),
            (
                c"left_out",
                left_out,
                c"left_out(name) -> why the build left the module out, or None",
            ),
            (
                c"list_data",
                list_data,
                c"list_data(directory/) -> names inside it, directories ending in /",
            ),
            (
                c"list_modules",
                list_modules,
                c"list_modules(package.) -> names of the modules directly inside it",
            ),
            (
                c"as_file",
                as_file,
                c"as_file([path, bytes or None, ...]) -> a cached directory holding them",
            ),
            (
                c"find_library",
                find_library,
                c"find_library(name) -> the bundled soname lib<name>.so... or None",
            ),
        ],
    );
    if module.is_null() {
        return module;
    }
    let state = state();
    let mut argv = vec![state.executable.clone()];
    argv.extend(state.args.iter().cloned());
    let attributes = [
        (c"executable", callback::fs_str(&state.executable)),
        (c"argv", callback::fs_str_list(&argv)),
        (c"entry_kind", callback::str(state.entry_kind.label())),
        (c"entry_module", callback::str(state.entry_module)),
        (c"entry_arg", callback::str(state.entry_arg)),
        // Decoded as python decodes its own command line.
        (
            c"warnoptions",
            callback::fs_str_list(&as_bytes(&state.warnings)),
        ),
        (
            c"xoptions",
            callback::fs_str_list(&as_bytes(&state.x_options)),
        ),
        (
            c"disk_dir",
            state
                .disk_dir
                .as_deref()
                .map_or_else(callback::none, callback::fs_str),
        ),
        (c"BOOT_FILENAME", callback::str(boot::BOOT_FILENAME)),
    ];
    let bits = FIND_BITS.map(|(name, value)| (name, callback::long(c_long::from(value))));
    for (name, value) in attributes.into_iter().chain(bits) {
        if !callback::set_attr(module, name, value) {
            return std::ptr::null_mut();
        }
    }
    module
}
