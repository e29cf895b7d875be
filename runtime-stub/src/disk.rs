//! `--collect-to-disk`: the files the build marked ([`Kind::Disk`]) go to a content-
//! addressed directory of the per-user cache ([`cache_dir`]), named by the bundle's disk
//! digest, checked at every start against its stamp and written again if anything in it
//! changed.

use std::borrow::Cow;
use std::io;
use std::path::PathBuf;

use pyfreeze_archive::{Bundle, Kind};

use crate::cache_dir::{self, Tree};
use crate::error::StubError;

/// Makes sure the bundle's on-disk files are in place and intact; returns their
/// directory, or `None` when the bundle has none.
pub(crate) fn prepare(bundle: &Bundle<'static>) -> Result<Option<PathBuf>, StubError> {
    let range = bundle.kind_range(Kind::Disk);
    if range.is_empty() {
        return Ok(None);
    }
    // Validated by the reader: 64 hex digits, or empty if the build wrote none.
    let digest = bundle.disk_digest()?;
    // Entry names of this kind are plain relative paths: the reader checks them.
    let names = range
        .clone()
        .map(|index| bundle.entry(index).map(|entry| entry.name))
        .collect::<Result<Vec<_>, _>>()?;
    let contents = |i: usize| -> io::Result<Cow<'static, [u8]>> {
        let entry = bundle.entry(range.start + i).map_err(io::Error::other)?;
        entry.contents().map_err(io::Error::other)
    };
    let root = cache_dir::root().map_err(StubError::Disk)?;
    let dir = cache_dir::ensure(&root, digest, &Tree::new(names, [], contents))
        .map_err(StubError::Disk)?;
    Ok(Some(dir))
}
