//! `pyfreeze ls`: what a bundle holds, as a table for people or JSON for scripts.

use std::fmt::Write as _;
use std::path::Path;

use std::collections::BTreeMap;

use pyfreeze_archive::{needs_list, Bundle, Compression, Entry, Kind};
use serde::Serialize;

use crate::target::{self, Target};

#[derive(Debug, thiserror::Error)]
pub enum LsError {
    #[error(transparent)]
    Read(#[from] std::io::Error),
    /// The archive's error is part of the message, not a cause: said once.
    #[error("{}: {error}", path.display())]
    Format {
        path: std::path::PathBuf,
        error: pyfreeze_archive::Error,
    },
}

impl crate::fault::Blame for LsError {
    /// A file that cannot be read or is not a bundle is the argument the user gave.
    fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::User
    }
}

#[derive(Serialize)]
struct Listing<'a> {
    bundle: String,
    python: PythonInfo<'a>,
    entry_point: EntryPoint<'a>,
    stub_size: u64,
    /// The machines it runs on; null, with `target_error` saying why, if its native code
    /// cannot be read.
    target: Option<Target>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_error: Option<String>,
    totals: Totals,
    entries: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct PythonInfo<'a> {
    version: &'a str,
    magic: String,
    optimize: u8,
    libpython: &'a str,
    /// The interpreter options it starts with, as `python` takes them.
    options: Vec<String>,
}

#[derive(Serialize)]
struct EntryPoint<'a> {
    kind: &'static str,
    module: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    detail: &'a str,
}

#[derive(Serialize, Default)]
struct Totals {
    entries: usize,
    stored: u64,
    original: u64,
    by_kind: Vec<KindTotal>,
}

#[derive(Serialize)]
struct KindTotal {
    kind: &'static str,
    count: usize,
    stored: u64,
    original: u64,
}

#[derive(Serialize)]
struct Item<'a> {
    kind: &'static str,
    name: &'a str,
    package: bool,
    /// A PEP 420 namespace package (always a package too): no code, no file.
    namespace: bool,
    bootstrap: bool,
    /// A codec put into the frozen table only in a locale of its encoding.
    locale_codec: bool,
    compression: &'static str,
    stored: u64,
    original: u64,
    /// CRC-32 of the original bytes, as the index records it: tells scripts whether an
    /// entry changed between two bundles.
    crc32: u32,
    /// For a library: the extension modules and libraries that need it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    needed_by: Vec<String>,
    /// For a library that needs libraries that need it: all of them, loaded together, in
    /// the order the loader maps them (the stub `dlopen`s the first).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    group: Vec<&'a str>,
    /// Its `DT_NEEDED` strings that the stub overwrites with the memfd path of the
    /// library they name, for its group to load.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<LinkItem<'a>>,
    /// For a left-out entry: why the build left the module out, and the option that
    /// brings it back (what an import of it says at run time).
    #[serde(skip_serializing_if = "Option::is_none")]
    left_out: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Serialize)]
struct LinkItem<'a> {
    needed: &'a str,
    /// Where the string is in the library's bytes.
    offset: u64,
    /// The bytes it takes with its NUL, which the path must fit in.
    capacity: u64,
}

impl<'a> From<Entry<'a>> for Item<'a> {
    fn from(entry: Entry<'a>) -> Self {
        Item {
            kind: entry.kind.label(),
            name: entry.name,
            package: entry.is_package(),
            namespace: entry.is_namespace(),
            bootstrap: entry.is_bootstrap(),
            locale_codec: entry.is_locale_codec(),
            compression: entry.compression.label(),
            stored: entry.stored.len() as u64,
            original: entry.original_len,
            left_out: (entry.kind == Kind::LeftOut && entry.compression == Compression::None)
                .then(|| String::from_utf8_lossy(entry.stored)),
            crc32: entry.crc32,
            needed_by: Vec::new(),
            group: Vec::new(),
            links: Vec::new(),
        }
    }
}

/// Who needs each library, from the bundle's `needs` entries.
fn needed_by(
    bundle: &Bundle<'_>,
) -> Result<BTreeMap<String, Vec<String>>, pyfreeze_archive::Error> {
    let mut needed_by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for index in bundle.kind_range(Kind::Needs) {
        let entry = bundle.entry(index)?;
        for soname in needs_list(&entry.contents()?) {
            needed_by
                .entry(soname.to_owned())
                .or_default()
                .push(entry.name.to_owned());
        }
    }
    Ok(needed_by)
}

fn listing<'a>(path: &Path, bundle: &Bundle<'a>) -> Result<Listing<'a>, pyfreeze_archive::Error> {
    let mut needed_by = needed_by(bundle)?;
    let entries = bundle
        .entries()
        .map(|e| {
            let entry = e?;
            let mut item = Item::from(entry);
            if entry.kind == Kind::Library {
                item.needed_by = needed_by.remove(entry.name).unwrap_or_default();
                if let Some(group) = bundle.group(entry.name)? {
                    item.group = group.members.iter().map(|m| m.soname).collect();
                    let member = group.member(entry.name).expect("checked by the reader");
                    item.links = member
                        .links
                        .iter()
                        .map(|link| LinkItem {
                            needed: link.needed,
                            offset: link.offset,
                            capacity: link.capacity(),
                        })
                        .collect();
                }
            }
            Ok(item)
        })
        .collect::<Result<Vec<_>, pyfreeze_archive::Error>>()?;
    let mut totals = Totals {
        entries: entries.len(),
        ..Totals::default()
    };
    for kind in Kind::ALL {
        let of_kind: Vec<&Item> = entries.iter().filter(|e| e.kind == kind.label()).collect();
        if of_kind.is_empty() {
            continue;
        }
        totals.by_kind.push(KindTotal {
            kind: kind.label(),
            count: of_kind.len(),
            stored: of_kind.iter().map(|e| e.stored).sum(),
            original: of_kind.iter().map(|e| e.original).sum(),
        });
    }
    totals.stored = entries.iter().map(|e| e.stored).sum();
    totals.original = entries.iter().map(|e| e.original).sum();
    let (kind, module, detail) = bundle.entry_point()?;
    Ok(Listing {
        bundle: path.display().to_string(),
        python: PythonInfo {
            version: bundle.python_version()?,
            magic: bundle
                .pyc_magic()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            optimize: bundle.optimize(),
            libpython: bundle.libpython()?,
            options: bundle.python_options()?.command_line(),
        },
        entry_point: EntryPoint {
            kind: kind.label(),
            module,
            detail,
        },
        stub_size: bundle.archive_start(),
        target: None,
        target_error: None,
        totals,
        entries,
    })
}

fn human(listing: &Listing<'_>) -> String {
    let mut out = String::new();
    let l = listing;
    let entry = match l.entry_point.kind {
        "script" => format!("script {}", l.entry_point.detail),
        "function" => format!("{}:{}", l.entry_point.module, l.entry_point.detail),
        _ => format!("module {}", l.entry_point.module),
    };
    // Writing to a String cannot fail.
    let _ = writeln!(out, "bundle:  {}", l.bundle);
    let _ = writeln!(
        out,
        "python:  {} (magic {}, optimize {}, {})",
        l.python.version, l.python.magic, l.python.optimize, l.python.libpython
    );
    if !l.python.options.is_empty() {
        let _ = writeln!(out, "options: {}", l.python.options.join(" "));
    }
    let _ = writeln!(out, "entry:   {entry}");
    match (&l.target, &l.target_error) {
        (Some(target), _) => {
            let _ = writeln!(out, "target:  {}", target.describe());
        }
        (None, error) => {
            let _ = writeln!(out, "target:  unknown: {}", error.as_deref().unwrap_or("?"));
        }
    }
    let _ = writeln!(
        out,
        "size:    {} bytes stub + {} bytes stored ({} original) in {} entries",
        l.stub_size, l.totals.stored, l.totals.original, l.totals.entries
    );
    for k in &l.totals.by_kind {
        let _ = writeln!(
            out,
            "  {:<10} {:>6} entries {:>12} stored {:>12} original",
            k.kind, k.count, k.stored, k.original
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<10} {:>12} {:>12}  NAME",
        "KIND", "STORED", "ORIGINAL"
    );
    for e in &l.entries {
        let mut marks = Vec::new();
        if e.namespace {
            marks.push("namespace package");
        } else if e.package {
            marks.push("package");
        }
        if e.bootstrap {
            marks.push("bootstrap");
        }
        if e.locale_codec {
            marks.push("locale codec");
        }
        let needed_by = format!("needed by {}", e.needed_by.join(", "));
        if !e.needed_by.is_empty() {
            marks.push(&needed_by);
        }
        let group = format!("loaded as one: {}", e.group.join(" + "));
        if !e.group.is_empty() {
            marks.push(&group);
        }
        let links = e
            .links
            .iter()
            .map(|l| format!("{} at {:#x}", l.needed, l.offset))
            .collect::<Vec<_>>()
            .join(", ");
        let links = format!("rewrites its need of {links}");
        if !e.links.is_empty() {
            marks.push(&links);
        }
        if let Some(why) = &e.left_out {
            marks.push(why);
        }
        let marks = if marks.is_empty() {
            String::new()
        } else {
            format!("  ({})", marks.join(", "))
        };
        let _ = writeln!(
            out,
            "{:<10} {:>12} {:>12}  {}{}",
            e.kind, e.stored, e.original, e.name, marks
        );
    }
    out
}

/// What the bundle's own native code (the stub in front of the archive, libpython, the
/// extension modules and the libraries) asks of the machines it runs on.
fn target_of(file: &[u8], bundle: &Bundle<'_>) -> Result<Target, String> {
    let stub = usize::try_from(bundle.archive_start())
        .ok()
        .and_then(|end| file.get(..end))
        .ok_or("the stub is not in the file")?;
    let mut objects = Vec::new();
    for kind in [Kind::LibPython, Kind::Extension, Kind::Library] {
        for index in bundle.kind_range(kind) {
            let entry = bundle.entry(index).map_err(|e| e.to_string())?;
            let contents = entry.contents().map_err(|e| e.to_string())?;
            objects.push((kind, entry.name, contents));
        }
    }
    let bundled = objects
        .iter()
        .filter(|(kind, _, _)| *kind != Kind::Extension)
        .map(|(_, name, _)| *name)
        .collect();
    let named = objects.iter().map(|(_, name, bytes)| (*name, &bytes[..]));
    target::of(std::iter::once((target::STUB, stub)).chain(named), &bundled)
        .map_err(|e| e.to_string())
}

/// Lists the bundle at `path` as text, or JSON when `json`.
pub fn list(path: &Path, json: bool) -> Result<String, LsError> {
    let bytes = fs_err::read(path)?;
    let format_error = |error| LsError::Format {
        path: path.to_owned(),
        error,
    };
    let bundle = Bundle::parse(&bytes).map_err(format_error)?;
    let mut listing = listing(path, &bundle).map_err(format_error)?;
    match target_of(&bytes, &bundle) {
        Ok(target) => listing.target = Some(target),
        Err(error) => listing.target_error = Some(error),
    }
    Ok(if json {
        let mut text = serde_json::to_string_pretty(&listing).expect("plain data serialises");
        text.push('\n');
        text
    } else {
        human(&listing)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyfreeze_archive::{
        flags, ArchiveWriter, BundleInfo, Compression, EntryPointKind, NewEntry,
    };

    /// A bundle made from fixed entries, so the listing is the same on every machine.
    fn synthetic_bundle(dir: &Path) -> std::path::PathBuf {
        let mut writer = ArchiveWriter::new(BundleInfo {
            python_version: "3.11.7".into(),
            python_major: 3,
            python_minor: 11,
            optimize: 0,
            pyc_magic: [0xa7, 0x0d, 0x0d, 0x0a],
            entry_kind: EntryPointKind::Script,
            entry_module: "__main__".into(),
            entry_function: "main.py".into(),
            libpython: "libpython3.11.so.1.0".into(),
            disk_digest: pyfreeze_archive::disk_digest([("settings.ini", &b"[app]\n"[..])]),
            python_options: pyfreeze_archive::PythonOptions {
                unbuffered: true,
                x_options: vec!["utf8".into()],
                ..Default::default()
            },
        });
        let entries: [(Kind, &str, u8, Compression, &[u8]); 21] = [
            (Kind::Module, "__main__", 0, Compression::None, b"main code"),
            (
                Kind::Module,
                "encodings",
                flags::PACKAGE | flags::BOOTSTRAP,
                Compression::None,
                b"encodings code",
            ),
            (
                Kind::Module,
                "encodings.koi8_r",
                flags::LOCALE_CODEC,
                Compression::Zstd,
                b"koi8_r code",
            ),
            (
                Kind::Source,
                "__main__",
                0,
                Compression::Zstd,
                b"import greet\ngreet.hello()\ngreet.hello()\n",
            ),
            (Kind::Module, "greet", 0, Compression::None, b"greet code"),
            (
                Kind::Module,
                "plugins",
                flags::PACKAGE | flags::NAMESPACE,
                Compression::None,
                b"",
            ),
            (
                Kind::Extension,
                "math",
                0,
                Compression::None,
                b"\x7fELF math",
            ),
            (
                Kind::LibPython,
                "libpython3.11.so.1.0",
                0,
                Compression::None,
                b"\x7fELF libpython",
            ),
            (
                Kind::Extension,
                "_ssl",
                0,
                Compression::None,
                b"\x7fELF ssl",
            ),
            (
                Kind::Library,
                "libcrypto.so.3",
                0,
                Compression::None,
                b"\x7fELF crypto",
            ),
            (
                Kind::Library,
                "libssl.so.3",
                0,
                Compression::None,
                b"\x7fELF libssl",
            ),
            (
                Kind::Needs,
                "_ssl",
                0,
                Compression::None,
                b"libcrypto.so.3\nlibssl.so.3\n",
            ),
            (
                Kind::Needs,
                "libssl.so.3",
                0,
                Compression::None,
                b"libcrypto.so.3\n",
            ),
            // Two libraries that need each other, and the group that loads them.
            (
                Kind::Library,
                "libpfza.so.1",
                0,
                Compression::None,
                b"\x7fELF\0libpfzb.so.1\0",
            ),
            (
                Kind::Library,
                "libpfzb.so.1",
                0,
                Compression::Zstd,
                b"\x7fELF\0libpfza.so.1\0",
            ),
            (
                Kind::Needs,
                "libpfza.so.1",
                0,
                Compression::None,
                b"libpfzb.so.1\n",
            ),
            (
                Kind::Needs,
                "libpfzb.so.1",
                0,
                Compression::None,
                b"libpfza.so.1\n",
            ),
            (
                Kind::Group,
                "libpfza.so.1",
                0,
                Compression::None,
                b"libpfza.so.1 libpfzb.so.1@5\nlibpfzb.so.1\n",
            ),
            (
                Kind::Group,
                "libpfzb.so.1",
                0,
                Compression::None,
                b"libpfza.so.1 libpfzb.so.1@5\nlibpfzb.so.1\n",
            ),
            (Kind::Disk, "settings.ini", 0, Compression::Zstd, b"[app]\n"),
            (
                Kind::LeftOut,
                "heavy",
                0,
                Compression::None,
                b"only functions of lib import it; build with --with heavy to bundle it",
            ),
        ];
        for (kind, name, flags, compression, data) in entries {
            writer
                .add(NewEntry {
                    kind,
                    name: name.into(),
                    flags,
                    compression,
                    data: data.to_vec(),
                })
                .unwrap();
        }
        let path = dir.join("app");
        let mut file = Vec::new();
        writer.write_to(&mut file, b"\x7fELF stub").unwrap();
        fs_err::write(&path, file).unwrap();
        path
    }

    fn settings(dir: &Path) -> insta::Settings {
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(&regex_escape(&dir.display().to_string()), "[TMP]");
        settings
    }

    fn regex_escape(s: &str) -> String {
        s.chars()
            .flat_map(|c| {
                if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                    vec![c]
                } else {
                    vec!['\\', c]
                }
            })
            .collect()
    }

    #[test]
    fn human_listing() {
        let dir = tempfile::tempdir().unwrap();
        let path = synthetic_bundle(dir.path());
        settings(dir.path()).bind(|| insta::assert_snapshot!(list(&path, false).unwrap()));
    }

    #[test]
    fn json_listing() {
        let dir = tempfile::tempdir().unwrap();
        let path = synthetic_bundle(dir.path());
        let text = list(&path, true).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["python"]["version"], "3.11.7");
        assert_eq!(value["entries"].as_array().unwrap().len(), 21);
        let heavy = value["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "heavy")
            .unwrap();
        assert_eq!(
            heavy["left_out"],
            "only functions of lib import it; build with --with heavy to bundle it"
        );
        let crypto = value["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "libcrypto.so.3")
            .unwrap();
        assert_eq!(
            crypto["needed_by"],
            serde_json::json!(["_ssl", "libssl.so.3"])
        );
        let libpfza = value["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "library" && e["name"] == "libpfza.so.1")
            .unwrap();
        assert_eq!(
            libpfza["group"],
            serde_json::json!(["libpfza.so.1", "libpfzb.so.1"])
        );
        assert_eq!(
            libpfza["links"],
            serde_json::json!([{"needed": "libpfzb.so.1", "offset": 5, "capacity": 13}])
        );
        settings(dir.path()).bind(|| insta::assert_snapshot!(text));
    }

    #[test]
    fn not_a_bundle_and_damaged_bundle_errors() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        fs_err::write(&plain, b"just some file contents, not a bundle at all").unwrap();
        let damaged = synthetic_bundle(dir.path());
        let mut bytes = fs_err::read(&damaged).unwrap();
        let at = bytes.len() - 60;
        bytes[at] ^= 0x55;
        fs_err::write(&damaged, bytes).unwrap();
        let missing = dir.path().join("missing");
        let messages = [&plain, &damaged, &missing]
            .iter()
            .map(|p| list(p, false).unwrap_err().to_string())
            .collect::<Vec<_>>()
            .join("\n");
        settings(dir.path()).bind(|| insta::assert_snapshot!(messages));
    }
}
