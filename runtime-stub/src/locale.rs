//! Whether the frozen table needs the bundle's locale codecs: CPython imports the codec of
//! the locale's encoding while it starts, before the finder exists, and the table always
//! holds only those of UTF-8, ASCII and Latin-1 (`STARTUP_CODECS` in the freezer's
//! `manifest.py`). The others are stored compressed and decompressed only for a locale that
//! needs one.

use pyfreeze_archive::{Bundle, Error, Kind};

use crate::ffi::sys;

/// Whether the locale the environment selects has an encoding no bootstrap codec of the
/// bundle serves (or one this stub does not recognise, which costs only time).
pub(crate) fn needs_locale_codecs(bundle: &Bundle<'_>) -> Result<bool, Error> {
    let Some(codec) = startup_codec(&sys::environment_codeset()) else {
        return Ok(true);
    };
    let module = format!("encodings.{codec}");
    Ok(!bundle
        .find(Kind::Module, &module)?
        .is_some_and(|entry| entry.is_bootstrap()))
}

/// The module of `encodings` that CPython's codec lookup finds for `codeset` (as
/// `nl_langinfo` spells it), if it is one of the start-up codecs: its aliases for them
/// that glibc can report, compared as `encodings.normalize_encoding` does, ignoring
/// case and punctuation.
fn startup_codec(codeset: &[u8]) -> Option<&'static str> {
    let normal: Vec<u8> = codeset
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_lowercase)
        .collect();
    match &normal[..] {
        b"utf8" => Some("utf_8"),
        b"ansix341968" | b"ascii" | b"usascii" | b"646" => Some("ascii"),
        b"iso88591" | b"latin1" => Some("latin_1"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_codesets_map_to_startup_codecs() {
        for (codeset, codec) in [
            ("UTF-8", Some("utf_8")),
            ("utf8", Some("utf_8")),
            ("ANSI_X3.4-1968", Some("ascii")),
            ("ISO-8859-1", Some("latin_1")),
            ("ISO-8859-15", None),
            ("KOI8-R", None),
            ("BIG5", None),
            ("", None),
        ] {
            assert_eq!(startup_codec(codeset.as_bytes()), codec, "{codeset}");
        }
    }

    #[test]
    fn the_process_locale_is_put_back() {
        let before = sys::environment_codeset();
        assert_eq!(sys::environment_codeset(), before);
    }
}
