//! Native code from the bundle (libpython, extension modules, the shared libraries they
//! need) in memfds, which `dlopen` can open by path: nothing is written to disk.

use std::collections::BTreeSet;
use std::ffi::CString;
use std::fs::File;
use std::sync::Mutex;

use pyfreeze_archive::{needs_list, Bundle, Compression, Entry, Kind};

use crate::ffi::sys::{self, Contents, Library};

/// A memfd holding `entry`'s bytes; returns the path to `dlopen`. A raw entry is copied
/// by the kernel straight from the executable's page cache. Its CRC is not computed here:
/// that would cost more than the copy, and the index that locates it is checked.
pub(crate) fn memfd_for(entry: &Entry<'static>, file: &File) -> Result<CString, String> {
    let result = match entry.compression {
        Compression::None => sys::memfd_with(
            entry.c_name(),
            Contents::FileRange {
                file,
                offset: entry.file_offset,
                len: entry.stored.len() as u64,
            },
        ),
        Compression::Deflate => {
            let bytes = entry.contents().map_err(|e| e.to_string())?;
            sys::memfd_with(entry.c_name(), Contents::Bytes(&bytes))
        }
    };
    result.map_err(|e| format!("cannot create a memfd for {}: {e}", entry.name))
}

/// Sonames of the bundled libraries loaded so far: each is loaded once, and then found by
/// the dynamic loader through its soname whoever asks for it.
static LOADED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

fn load_one(bundle: &Bundle<'static>, file: &File, soname: &str) -> Result<(), String> {
    let entry = bundle
        .find(Kind::Library, soname)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("the bundle lists {soname} as needed but does not hold it"))?;
    let path = memfd_for(&entry, file)?;
    Library::open_local(&path).map_err(|e| format!("cannot load the bundled {soname}: {e}"))?;
    Ok(())
}

/// Loads, dependencies first, the bundled libraries that `name` (an extension module or
/// a library) needs, and then `name` itself if it is a library.
pub(crate) fn load_needs(bundle: &Bundle<'static>, file: &File, name: &str) -> Result<(), String> {
    let needs = bundle.find(Kind::Needs, name).map_err(|e| e.to_string())?;
    let contents = match needs {
        Some(entry) => entry.contents().map_err(|e| e.to_string())?,
        None => Default::default(),
    };
    let is_library = bundle
        .find(Kind::Library, name)
        .map_err(|e| e.to_string())?
        .is_some();
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    for soname in needs_list(&contents).chain(is_library.then_some(name)) {
        if loaded.contains(soname) {
            continue;
        }
        load_one(bundle, file, soname)?;
        loaded.insert(soname.to_owned());
    }
    Ok(())
}
