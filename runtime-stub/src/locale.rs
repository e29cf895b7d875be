//! Whether the frozen table needs the bundle's locale codecs: CPython imports the codec of
//! the locale's encoding while it starts, before the finder exists, and the table always
//! holds only those of UTF-8, ASCII and Latin-1 (`STARTUP_CODECS` in the freezer's
//! `manifest.py`). The others are stored compressed and decompressed only for a locale that
//! needs one, and only that one where its name tells which.

use pyfreeze_archive::{Bundle, Entry, Error, Kind};

use crate::ffi::sys;

/// The locale codecs the frozen table needs for the locale the environment selects.
pub(crate) enum Needed<'a> {
    /// None: a bootstrap codec of the bundle serves its encoding.
    Nothing,
    /// The one whose name is the codeset's (`KOI8-R`, `ISO-8859-15`): CPython's lookup
    /// imports that module, as no alias of the standard library's reads as another
    /// codec's name (ignoring case and punctuation) but "iso8859_1", Latin-1's, which
    /// is a start-up codec (checked on 3.8–3.13).
    One(&'a str),
    /// All: the codeset is spelt otherwise (an alias such as `IBM437` for cp437) or is
    /// one no codec serves, which costs only time.
    All,
}

impl Needed<'_> {
    pub(crate) fn includes(&self, entry: &Entry<'_>) -> bool {
        match self {
            Needed::Nothing => false,
            Needed::One(name) => entry.name == *name,
            Needed::All => true,
        }
    }
}

pub(crate) fn needed<'a>(bundle: &Bundle<'a>) -> Result<Needed<'a>, Error> {
    needed_for(bundle, &sys::environment_codeset())
}

fn needed_for<'a>(bundle: &Bundle<'a>, codeset: &[u8]) -> Result<Needed<'a>, Error> {
    let codeset = squashed(codeset);
    if let Some(codec) = startup_codec(&codeset) {
        let module = format!("encodings.{codec}");
        if bundle
            .find(Kind::Module, &module)?
            .is_some_and(|entry| entry.is_bootstrap())
        {
            return Ok(Needed::Nothing);
        }
    }
    let prefix = "encodings.";
    for entry in bundle.with_prefix(Kind::Module, prefix) {
        let entry = entry?;
        if entry.is_locale_codec() && squashed(&entry.name.as_bytes()[prefix.len()..]) == codeset {
            return Ok(Needed::One(entry.name));
        }
    }
    Ok(Needed::All)
}

/// A codec's or codeset's name compared as `encodings.normalize_encoding` and the codec
/// registry compare them, ignoring case and punctuation.
fn squashed(name: &[u8]) -> Vec<u8> {
    name.iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_lowercase)
        .collect()
}

/// The start-up codec that CPython's codec lookup finds for the `squashed` codeset (as
/// `nl_langinfo` spells it), if any: its aliases for them that glibc can report.
fn startup_codec(squashed: &[u8]) -> Option<&'static str> {
    match squashed {
        b"utf8" => Some("utf_8"),
        b"ansix341968" | b"ascii" | b"usascii" | b"646" => Some("ascii"),
        b"iso88591" | b"latin1" => Some("latin_1"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use pyfreeze_archive::{
        flags, ArchiveWriter, BundleInfo, Compression, EntryPointKind, NewEntry,
    };

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
            assert_eq!(
                startup_codec(&squashed(codeset.as_bytes())),
                codec,
                "{codeset}"
            );
        }
    }

    #[test]
    fn only_the_codec_a_codeset_names_or_all() {
        let mut writer = ArchiveWriter::new(BundleInfo {
            python_version: "3.11.7".into(),
            python_major: 3,
            python_minor: 11,
            optimize: 0,
            pyc_magic: [0; 4],
            entry_kind: EntryPointKind::Script,
            entry_module: "__main__".into(),
            entry_function: String::new(),
            libpython: "libpython3.11.so.1.0".into(),
            disk_digest: String::new(),
            python_options: Default::default(),
        });
        for (name, flags) in [
            ("encodings.utf_8", flags::BOOTSTRAP),
            ("encodings.koi8_r", flags::LOCALE_CODEC),
            ("encodings.cp437", flags::LOCALE_CODEC),
            ("encodings.big5", 0),
        ] {
            writer
                .add(NewEntry {
                    kind: Kind::Module,
                    name: name.into(),
                    flags,
                    compression: Compression::None,
                    data: b"code".to_vec(),
                })
                .unwrap();
        }
        let mut file = Vec::new();
        writer.write_to(&mut file, b"").unwrap();
        let bundle = Bundle::parse(&file).unwrap();
        let needed = |codeset: &str| match needed_for(&bundle, codeset.as_bytes()).unwrap() {
            Needed::Nothing => "nothing".to_owned(),
            Needed::One(name) => name.to_owned(),
            Needed::All => "all".to_owned(),
        };
        assert_eq!(needed("UTF-8"), "nothing");
        assert_eq!(needed("KOI8-R"), "encodings.koi8_r");
        // An alias (cp437's), a CJK codec that is no locale codec, a start-up codec
        // that this bundle does not hold in its table: all, to be safe.
        for codeset in ["IBM437", "BIG5", "ISO-8859-1"] {
            assert_eq!(needed(codeset), "all", "{codeset}");
        }
    }

    #[test]
    fn the_process_locale_is_put_back() {
        let before = sys::environment_codeset();
        assert_eq!(sys::environment_codeset(), before);
    }
}
