//! The stub's FFI layer: the only place with `unsafe`. Everything above it calls safe
//! functions that take and return plain Rust values.
#![allow(unsafe_code)]

#[cfg(not(test))]
mod entry;
pub(crate) mod frozen;
pub(crate) mod python;
pub(crate) mod sys;
