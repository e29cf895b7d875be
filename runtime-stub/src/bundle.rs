//! Step 1: the trailer and index of the archive appended to this executable.

use std::fs::File;

use pyfreeze_archive::{Bundle, Error};

use crate::error::StubError;
use crate::ffi::sys;

/// The bundle, read in place from the mapped executable, and the executable's open file.
#[derive(Clone, Copy)]
pub(crate) struct Opened {
    pub(crate) bundle: Bundle<'static>,
    pub(crate) file: &'static File,
}

/// Maps the executable and opens the bundle at its end.
pub(crate) fn open() -> Result<Opened, StubError> {
    let image = sys::map_executable().map_err(StubError::reading_self)?;
    let bundle = Bundle::parse(image.bytes).map_err(|e| match e {
        Error::NotABundle => StubError::BareStub,
        other => StubError::Bundle(other),
    })?;
    let (major, minor) = bundle.python_major_minor();
    if major != 3 || !(8..=13).contains(&minor) {
        return Err(StubError::UnsupportedPython { major, minor });
    }
    Ok(Opened {
        bundle,
        file: Box::leak(Box::new(image.file)),
    })
}
