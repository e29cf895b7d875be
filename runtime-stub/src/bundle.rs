//! Step 1: the trailer and index of the archive appended to this executable, and the
//! checksum of the stub's own bytes, before anything else runs.

use pyfreeze_archive::{Bundle, Error};

use crate::error::StubError;
use crate::ffi::sys;

/// Maps the executable and opens the bundle at its end, read in place from the mapping.
/// The stub's own bytes were checked first thing (`ffi::entry`), so they are not read
/// again here.
pub(crate) fn open() -> Result<Bundle<'static>, StubError> {
    let image = sys::map_executable().map_err(StubError::reading_self)?;
    let bundle = Bundle::parse_after_stub_check(image).map_err(|e| match e {
        Error::NotABundle => StubError::BareStub,
        other => StubError::Bundle(other),
    })?;
    // The checksums read the whole stub through the mapping: its pages need not stay.
    sys::release_mapping();
    let (major, minor) = bundle.python_major_minor();
    if major != 3 || !(8..=13).contains(&minor) {
        return Err(StubError::UnsupportedPython { major, minor });
    }
    Ok(bundle)
}
