//! A damaged bundle stops the process, wherever the damage is found: at start-up, or when
//! the app first imports a module, loads an extension or reads a data file. Raised as an
//! `ImportError` or `OSError`, damage could be caught and taken for an optional module that
//! is missing, and the app would go on as a different program; a bundle whose bytes are not
//! what the build wrote must not run.

use pyfreeze_archive::Error;

/// The name the stub's messages start with: the program as it was started.
pub(crate) fn program() -> String {
    std::env::args_os()
        .next()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| "pyfreeze bundle".to_owned())
}

/// Ends the process with the stub's failure status and one line naming the damage.
/// What the app had written but not flushed is lost: nothing of a damaged bundle is run
/// to flush it.
pub(crate) fn refuse(error: &Error) -> ! {
    eprintln!("{}: error: {error}", program());
    std::process::exit(crate::STUB_FAILURE)
}

/// `result`, unless it is damage, which ends the process ([`refuse`]).
pub(crate) fn checked<T>(result: Result<T, Error>) -> Result<T, Error> {
    match result {
        Err(error) if error.is_damage() => refuse(&error),
        other => other,
    }
}
