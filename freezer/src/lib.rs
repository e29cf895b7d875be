//! `pyfreeze`: turn a Python project into one standalone executable.
//!
//! The build is one straight path, one module per step, each handing the next a plain
//! value: [`project`] (find the app and its entry point) -> [`interpreter`] (which Python)
//! -> [`analysis`] (one run of that Python: import closure and bytecode, which [`marshal`]
//! puts in a canonical form) -> [`disk`]
//! (what `--collect-to-disk` puts on disk at run time) -> [`elf`]
//! (libpython and extension modules, stripped) -> [`pack`] (the archive) -> [`output`]
//! (appended to the stub, renamed into place). [`ls`] reads a bundle back. The steps that
//! compute (analysis, stripping, compression) reuse what earlier builds computed, through
//! the [`cache`].

pub mod analysis;
pub mod cache;
pub mod disk;
pub mod elf;
pub mod freeze;
pub mod interpreter;
pub mod libraries;
pub mod ls;
pub mod marshal;
pub mod native;
pub mod output;
pub mod pack;
mod parallel;
pub mod project;
