//! The runtime stub of a pyfreeze bundle. `pyfreeze build` appends an archive to a copy
//! of this executable; at start-up it runs one straight path, one module per step:
//! trailer and index ([`bundle`]) -> files asked for on disk ([`disk`]) -> libpython from a memfd ([`libpython`]) -> frozen
//! table ([`frozen`]) -> interpreter start, finder and `__main__` ([`run`]) -> exit status.
//!
//! The process starts at `ffi::entry::main`, a C `main` like `python`'s, not at Rust's, which checks
//! the stub's own bytes against the trailer before anything else of it runs.

// Rust's start-up code would reopen a closed stdin, stdout or stderr on /dev/null and
// install SIGSEGV and SIGBUS handlers before `main`: CPython must see the process as it
// was started (`sys.stdin` is None when fd 0 is closed, `signal.getsignal` as python's).
#![cfg_attr(not(test), no_main)]

mod bundle;
mod cache_dir;
mod damage;
mod disk;
mod error;
mod ffi;
mod importer;
mod libpython;
mod locale;
mod native;
mod run;

use ffi::python::Exit;

/// The exit status when the stub itself cannot start the app (as opposed to the app
/// failing, which exits as CPython would).
const STUB_FAILURE: i32 = 70;

fn main() -> ! {
    match run::run() {
        Ok(Exit::Status(status)) => std::process::exit(status),
        Ok(Exit::Interrupted) => ffi::sys::die_by_sigint(),
        Err(error) => {
            eprintln!("{}: error: {error}", damage::program());
            std::process::exit(STUB_FAILURE)
        }
    }
}
