//! `pyfreeze`: turn a Python project into one standalone executable.
//!
//! [`build`] is the build's straight path, one module per step (its docs list them);
//! [`ls`] reads a bundle back; [`check`] compares a bundle's run with CPython's; the [`cache`] keeps what builds computed, so the steps that
//! compute (analysis, stripping, compression) are not repeated; [`marshal`] puts bytecode
//! in a canonical form.

pub mod build;
pub mod cache;
pub mod check;
pub mod fault;
pub mod ls;
mod marshal;
mod parallel;
