//! Native code from the bundle (libpython, extension modules) in memfds, which `dlopen`
//! can open by path: nothing is written to disk.

use std::ffi::CString;
use std::fs::File;

use pyfreeze_archive::{Compression, Entry};

use crate::ffi::sys::{self, Contents};

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
