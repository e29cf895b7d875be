//! What only functions of the standard library import (os.popen's subprocess, the codecs'
//! modules and their extension modules and libraries) is stored compressed, and so are the
//! codecs CPython needs while it starts only in a locale of their encoding; what the app
//! imports is stored raw, and the compressed entries load and behave as CPython's do.

use pyfreeze_tests::{
    bundle_of, compare, for_each_interpreter, ls_json, test_name, write_app, AppDir, Case,
    Interpreter, Status,
};
use serde_json::Value;

const MAIN: &str = r#"import codecs
import os

# None of these imports is the app's: os.popen imports subprocess, the idna codec imports
# unicodedata, the bz2 codec imports bz2, which loads _bz2 and its libbz2.
print(os.popen("echo popen").read().strip())
print("b\u00fccher.example".encode("idna"))
packed = codecs.encode(b"pyfreeze " * 50, "bz2_codec")
print(len(packed) < 450, codecs.decode(packed, "bz2_codec")[:9])
"#;

fn cold_app() -> AppDir {
    write_app("cold", &[("main.py", MAIN)])
}

/// `compression` of the entry of `kind` whose name `matches`, or why there is none.
fn compression_of(
    ls: &Value,
    kind: &str,
    matches: impl Fn(&str) -> bool,
) -> Result<String, String> {
    ls["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["kind"] == kind && e["name"].as_str().is_some_and(&matches))
        .and_then(|e| e["compression"].as_str().map(str::to_owned))
        .ok_or_else(|| format!("no such {kind} entry"))
}

#[test]
fn cold_entries_are_compressed_and_load() {
    for_each_interpreter(test_name!(), |python: &Interpreter| {
        let frozen = bundle_of("cold", python, cold_app)?;
        let mut problems = compare(
            python,
            &frozen.exe,
            &cold_app(),
            &Case::new(&[], Status::Code(0)),
        );
        let ls = ls_json(&frozen.exe)?;
        let expected: [(&str, &str, &str); 10] = [
            ("module", "__main__", "none"),
            ("module", "os", "none"),
            // Always in the frozen table, which points into the executable.
            ("module", "encodings.utf_8", "none"),
            // Added to the table, decompressed, only in a locale of their encoding.
            ("module", "encodings.koi8_r", "zstd"),
            ("module", "encodings.cp1252", "zstd"),
            ("module", "subprocess", "zstd"),
            ("module", "encodings.bz2_codec", "zstd"),
            ("extension", "_bz2", "zstd"),
            ("extension", "unicodedata", "zstd"),
            ("library", "libbz2", "zstd"),
        ];
        for (kind, name, compression) in expected {
            let found = compression_of(&ls, kind, |n| {
                n == name || (kind == "library" && n.starts_with(name))
            });
            if found.as_deref() != Ok(compression) {
                problems.push(format!(
                    "{python}: {kind} {name}: expected {compression}, found {found:?}"
                ));
            }
        }
        Ok(problems)
    });
}
