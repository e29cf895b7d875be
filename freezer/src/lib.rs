//! `pyfreeze`: turn a Python project into one standalone executable.
//!
//! [`config`] turns a project's `pyproject.toml` and the command line into builds;
//! [`build`] is the build's straight path, one module per step (its docs list them);
//! [`ls`] reads a bundle back; [`check`] compares a bundle's run with CPython's; the [`cache`] keeps what builds computed, so the steps that
//! compute (analysis, stripping, compression) are not repeated; [`marshal`] puts bytecode
//! in a canonical form; [`summary`] words what a build made, [`progress`] what it is
//! doing, and [`terminal`] shows both on stderr; [`target`] says which machines a bundle
//! runs on; [`why`] what brought each entry in, [`sizes`] which parts weigh most, and
//! [`platforms`] which unresolved imports are other platforms' modules.

pub mod build;
pub mod cache;
pub mod check;
pub mod config;
pub mod fault;
pub mod ls;
mod marshal;
mod parallel;
pub mod platforms;
pub mod progress;
pub mod sizes;
pub mod summary;
pub mod target;
pub mod terminal;
pub mod version;
pub mod why;
