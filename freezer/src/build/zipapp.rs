//! A zipapp (`python -m zipapp`, shiv, pex: a zip archive with `__main__.py` at its root,
//! behind a `#!` line or not) is frozen as the app directory it holds: extracted to a
//! temporary directory, which the build then reads as it reads any app directory.

use std::io::Read;
use std::path::{Path, PathBuf};

use tempfile::TempDir;
use zip::result::ZipError;
use zip::ZipArchive;

/// A zipapp's files, extracted.
#[derive(Debug)]
pub(crate) struct Extracted {
    /// The app directory, removed when the build is done with it.
    pub(crate) dir: TempDir,
    /// The zipapp's file name without its extension: the default output name.
    pub(crate) name: String,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ZipappError {
    #[error("{}: a damaged zip archive: {reason}; make the zipapp again", path.display())]
    Damaged { path: PathBuf, reason: String },
    #[error("{}: a zip archive without __main__.py at its root, so not a zipapp; add one, or make it with `python -m zipapp DIR -m MODULE:FUNCTION`", .0.display())]
    NoMain(PathBuf),
    #[error("cannot extract {} to a temporary directory: {source}", path.display())]
    Extract {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl crate::fault::Help for ZipappError {
    /// Each message says its fix.
    fn help(&self) -> Option<String> {
        None
    }
}

impl crate::fault::Blame for ZipappError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            ZipappError::Damaged { .. } | ZipappError::NoMain(_) => crate::fault::Fault::User,
            ZipappError::Extract { .. } => crate::fault::Fault::Internal,
        }
    }
}

/// The zip's local file header signature, which a zip archive starts with.
const ZIP_START: &[u8] = b"PK\x03\x04";

/// Whether `file` is meant as a zip archive though it does not read as one: its name says
/// so, or it starts as one does (after a `#!` line, as zipapp writes it).
fn meant_as_zip(path: &Path, file: &[u8]) -> bool {
    let named = path
        .extension()
        .is_some_and(|e| e == "pyz" || e == "pyzw" || e == "zip");
    let body = match file.strip_prefix(b"#!") {
        Some(rest) => rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(&[][..], |end| &rest[end + 1..]),
        None => file,
    };
    named || body.starts_with(ZIP_START)
}

/// The zipapp at `path`, extracted, if `path` is a zip archive (a file that is not a `.py`
/// source); `None` for anything else, which the project step reads.
pub(crate) fn extract(path: &Path) -> Result<Option<Extracted>, ZipappError> {
    if !path.is_file() || path.extension().is_some_and(|e| e == "py") {
        return Ok(None);
    }
    let extract_error = |source| ZipappError::Extract {
        path: path.to_owned(),
        source,
    };
    let file = fs_err::read(path).map_err(extract_error)?;
    let damaged = |reason: String| ZipappError::Damaged {
        path: path.to_owned(),
        reason,
    };
    let mut archive = match ZipArchive::new(std::io::Cursor::new(&file)) {
        Ok(archive) => archive,
        Err(_) if !meant_as_zip(path, &file) => return Ok(None),
        Err(error) => return Err(damaged(error.to_string())),
    };
    if archive.index_for_name("__main__.py").is_none() {
        return Err(ZipappError::NoMain(path.to_owned()));
    }
    let dir = tempfile::Builder::new()
        .prefix("pyfreeze-zipapp-")
        .tempdir()
        .map_err(extract_error)?;
    for index in 0..archive.len() {
        let mut member = archive
            .by_index(index)
            .map_err(|error: ZipError| damaged(error.to_string()))?;
        let name = String::from_utf8_lossy(member.name_raw()).into_owned();
        let Some(relative) = member.enclosed_name() else {
            return Err(damaged(format!("{name:?} leads outside the archive")));
        };
        let to = dir.path().join(relative);
        if member.is_dir() {
            fs_err::create_dir_all(&to).map_err(extract_error)?;
            continue;
        }
        // Read whole before writing, so that a checksum that does not match is the
        // archive's fault and a full disk the machine's.
        let mut contents = Vec::new();
        member
            .read_to_end(&mut contents)
            .map_err(|error| damaged(format!("{name}: {error}")))?;
        if let Some(parent) = to.parent() {
            fs_err::create_dir_all(parent).map_err(extract_error)?;
        }
        fs_err::write(&to, contents).map_err(extract_error)?;
    }
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "app".to_owned());
    Ok(Some(Extracted { dir, name }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A zip of `members` (name, contents), behind `prefix`.
    fn zip_file(dir: &Path, name: &str, prefix: &[u8], members: &[(&str, &str)]) -> PathBuf {
        let mut bytes = std::io::Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut bytes);
        for (member, contents) in members {
            writer
                .start_file(*member, zip::write::SimpleFileOptions::default())
                .unwrap();
            writer.write_all(contents.as_bytes()).unwrap();
        }
        writer.finish().unwrap();
        let path = dir.join(name);
        let mut file = prefix.to_vec();
        file.extend(bytes.into_inner());
        fs_err::write(&path, file).unwrap();
        path
    }

    #[test]
    fn a_zipapp_behind_a_shebang_is_extracted_and_named_after_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = zip_file(
            dir.path(),
            "tool.pyz",
            b"#!/usr/bin/env python3\n",
            &[
                ("__main__.py", "import pkg\n"),
                ("pkg/__init__.py", "X = 1\n"),
            ],
        );
        let extracted = extract(&path).unwrap().unwrap();
        assert_eq!(extracted.name, "tool");
        let read = |rel: &str| fs_err::read_to_string(extracted.dir.path().join(rel)).unwrap();
        assert_eq!(read("__main__.py"), "import pkg\n");
        assert_eq!(read("pkg/__init__.py"), "X = 1\n");
    }

    #[test]
    fn what_is_not_a_zip_is_left_to_the_project_step() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("main.py");
        fs_err::write(&script, "print(1)\n").unwrap();
        let text = dir.path().join("notes.txt");
        fs_err::write(&text, "notes\n").unwrap();
        for path in [&script, &text, &dir.path().to_owned()] {
            assert!(extract(path).unwrap().is_none(), "{}", path.display());
        }
    }

    #[test]
    fn a_zip_without_main_and_a_damaged_zip_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let plain = zip_file(dir.path(), "lib.zip", b"", &[("mod.py", "")]);
        assert!(matches!(extract(&plain), Err(ZipappError::NoMain(_))));
        let whole = zip_file(dir.path(), "app.pyz", b"", &[("__main__.py", "")]);
        let bytes = fs_err::read(&whole).unwrap();
        fs_err::write(&whole, &bytes[..bytes.len() - 30]).unwrap();
        assert!(matches!(extract(&whole), Err(ZipappError::Damaged { .. })));
    }
}
