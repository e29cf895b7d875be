//! Step 2: the bundled libpython, loaded from a memfd (its code mapped from the bundle:
//! see [`native`]), so nothing is written to disk and no Python need be installed.

use pyfreeze_archive::{Bundle, Kind};

use crate::error::StubError;
use crate::ffi::python::{self, Interpreter};
use crate::ffi::sys::Library;
use crate::native;

/// Loads libpython and checks it is the version the bytecode was compiled for.
pub(crate) fn load(bundle: &Bundle<'static>) -> Result<Interpreter, StubError> {
    let name = bundle.libpython()?;
    let entry = bundle
        .find(Kind::LibPython, name)?
        .ok_or_else(|| StubError::MissingLibPython(name.to_owned()))?;
    let mut prepared = native::prepare(bundle, &entry).map_err(StubError::Memfd)?;
    let load_error = |message| StubError::Load {
        what: name.to_owned(),
        message,
    };
    let library = Library::open_global(prepared.memfd.path()).map_err(load_error)?;
    prepared.loaded(library, false);
    // Mapped: its descriptor would only count against the app's limit.
    drop(prepared);
    let interpreter = Interpreter::new(python::load(library).map_err(load_error)?);

    let (major, minor) = bundle.python_major_minor();
    let expected = format!("{major}.{minor}");
    let found = interpreter.version();
    let found_major_minor = found.split('.').take(2).collect::<Vec<_>>().join(".");
    if found_major_minor != expected {
        return Err(StubError::VersionMismatch { expected, found });
    }
    Ok(interpreter)
}
