//! `pyfreeze ls`: what a bundle holds, as a table or a tree for people or JSON for
//! scripts; one module's source or disassembly, or one data file ([`show`]); the sources
//! and data files written out as a tree of packages ([`extract`]).

mod extract;
mod show;
mod tree;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use globset::{Glob, GlobSet, GlobSetBuilder};
use pyfreeze_archive::{needs_list, Bundle, Compression, Entry, Kind};
use serde::Serialize;

use crate::target::{self, Target};

/// The version of the `--json` schema (docs/ls-json.md): fields are only ever added
/// within one; a field removed or changed in meaning makes the next.
const SCHEMA_VERSION: u32 = 1;

/// How many packages the human listing's closing table names; the rest are summed.
const PACKAGES_SHOWN: usize = 15;

#[derive(Debug, thiserror::Error)]
pub enum LsError {
    #[error(transparent)]
    Read(#[from] std::io::Error),
    /// The archive's error is part of the message, not a cause: said once.
    #[error("{}: {error}", path.display())]
    Format {
        path: PathBuf,
        error: pyfreeze_archive::Error,
    },
    #[error("invalid name pattern: {0}")]
    Pattern(globset::Error),
    #[error("--dis disassembles one module, and '{0}' is a pattern")]
    DisOfPattern(String),
    #[error(transparent)]
    Show(#[from] show::ShowError),
    #[error(transparent)]
    Extract(#[from] extract::ExtractError),
}

impl crate::fault::Help for LsError {
    /// The archive's other errors say their fix themselves, as the stub prints them too.
    fn help(&self) -> Option<String> {
        match self {
            LsError::Format {
                error: pyfreeze_archive::Error::NotABundle,
                ..
            } => Some("give an executable made by `pyfreeze build`".to_owned()),
            LsError::Pattern(_) => Some(
                "patterns are shell globs over entry names, e.g. 'json*' or 'shop.*'".to_owned(),
            ),
            LsError::DisOfPattern(pattern) => Some(format!(
                "give a module's name, e.g. one that `pyfreeze ls BINARY '{pattern}'` lists"
            )),
            LsError::Show(error) => error.help(),
            LsError::Extract(error) => error.help(),
            LsError::Format { .. } | LsError::Read(_) => None,
        }
    }
}

impl crate::fault::Blame for LsError {
    /// A file that cannot be read or is not a bundle is the argument the user gave.
    fn fault(&self) -> crate::fault::Fault {
        match self {
            LsError::Show(error) => error.fault(),
            LsError::Extract(error) => error.fault(),
            _ => crate::fault::Fault::User,
        }
    }
}

/// What `pyfreeze ls` is asked for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub binary: PathBuf,
    /// A name with glob characters lists the entries it matches; any other names the
    /// module or data file to print.
    pub what: Option<String>,
    /// `--name`: list only entries whose name matches one of these globs.
    pub patterns: Vec<String>,
    /// `--kind`: list only entries of these kinds (their labels).
    pub kinds: Vec<String>,
    pub json: bool,
    pub tree: bool,
    /// Sizes as byte counts rather than kB and MB.
    pub bytes: bool,
    /// Print the module's disassembly even when its source is bundled.
    pub dis: bool,
    /// The interpreter to disassemble with.
    pub python: Option<PathBuf>,
    pub extract: Option<PathBuf>,
}

/// The words `--kind` takes: every entry kind's label.
pub fn kind_labels() -> impl Iterator<Item = &'static str> {
    Kind::ALL.iter().map(|kind| kind.label())
}

/// Whether `what` is a pattern to list rather than a name to print.
fn is_pattern(what: &str) -> bool {
    what.contains(['*', '?', '[', '{'])
}

/// Which entries a listing keeps: those of the kinds asked for whose name matches a
/// pattern asked for (all, when none was).
struct Filter {
    names: Option<GlobSet>,
    kinds: Vec<&'static str>,
}

impl Filter {
    fn new(patterns: &[&str], kinds: &[String]) -> Result<Self, globset::Error> {
        let names = if patterns.is_empty() {
            None
        } else {
            let mut set = GlobSetBuilder::new();
            for pattern in patterns {
                set.add(Glob::new(pattern)?);
            }
            Some(set.build()?)
        };
        let kinds = kind_labels()
            .filter(|label| kinds.iter().any(|k| k == label))
            .collect();
        Ok(Filter { names, kinds })
    }

    fn keeps(&self, item: &Item<'_>) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&item.kind.label()))
            && self
                .names
                .as_ref()
                .is_none_or(|set| set.is_match(item.name))
    }
}

/// Does what `request` asks; returns what goes to stdout.
pub fn run(request: &Request) -> Result<Vec<u8>, LsError> {
    let path = &request.binary;
    let bytes = fs_err::read(path)?;
    let format_error = |error| LsError::Format {
        path: path.to_owned(),
        error,
    };
    let bundle = Bundle::parse(&bytes).map_err(format_error)?;
    if let Some(dir) = &request.extract {
        return Ok(extract::extract(path, &bundle, dir)?.into_bytes());
    }
    let mut patterns: Vec<&str> = request.patterns.iter().map(String::as_str).collect();
    match request.what.as_deref() {
        Some(what) if !is_pattern(what) => {
            let how = show::How {
                dis: request.dis,
                python: request.python.as_deref(),
            };
            return show::show(path, &bundle, what, &how);
        }
        Some(pattern) if request.dis => {
            return Err(LsError::DisOfPattern(pattern.to_owned()));
        }
        Some(pattern) => patterns.push(pattern),
        None => {}
    }
    let filter = Filter::new(&patterns, &request.kinds).map_err(LsError::Pattern)?;
    let mut listing = listing(path, &bundle, &filter).map_err(format_error)?;
    match target_of(&bytes, &bundle) {
        Ok(target) => listing.target = Some(target),
        Err(error) => listing.target_error = Some(error),
    }
    let units = Units {
        exact: request.bytes,
    };
    Ok(if request.json {
        let mut text = serde_json::to_string_pretty(&listing).expect("plain data serialises");
        text.push('\n');
        text
    } else if request.tree {
        header(&listing, units)
            + &tree::tree(&listing.entries, units)
            + &package_totals(&listing.totals.by_package, units)
    } else {
        human(&listing, units)
    }
    .into_bytes())
}

#[derive(Serialize)]
struct Listing<'a> {
    schema_version: u32,
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
    /// By top-level package, the largest stored first.
    by_package: Vec<PackageTotal>,
}

#[derive(Serialize, Default)]
struct PackageTotal {
    /// A top-level module or package, the first component of a data file's path,
    /// `(libpython)` or `(libraries)`.
    package: String,
    entries: usize,
    stored: u64,
    original: u64,
}

#[derive(Serialize)]
struct KindTotal {
    kind: &'static str,
    count: usize,
    stored: u64,
    original: u64,
}

/// A kind as JSON gives it: its label.
fn label<S: serde::Serializer>(kind: &Kind, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(kind.label())
}

#[derive(Serialize)]
struct Item<'a> {
    #[serde(serialize_with = "label")]
    kind: Kind,
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
    /// For native code (libpython, an extension module, a library): how the stub loads it.
    #[serde(skip_serializing_if = "Option::is_none")]
    load: Option<Load>,
}

/// How the stub loads a native object: its code run from the bundle's pages (`mapped`),
/// or copied whole into memory (`copied`); how many bytes it copies while it loads the
/// object, and how many end up mapped from the bundle (some of them copied first, for the
/// loader to read).
#[derive(Serialize)]
struct Load {
    how: &'static str,
    copied: u64,
    /// Bytes run from the bundle's pages, shared by every process of the bundle.
    mapped: u64,
}

impl Load {
    fn of(entry: &Entry<'_>, mapping: Option<&pyfreeze_archive::Mapping>) -> Load {
        Load {
            how: if mapping.is_some() {
                "mapped"
            } else {
                "copied"
            },
            copied: mapping.map_or(entry.original_len, |m| m.copied_len(entry.original_len)),
            mapped: mapping.map_or(0, |m| m.mapped_len()),
        }
    }
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
            kind: entry.kind,
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
            load: None,
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

/// The top-level package `item` counts towards in the totals by package, if any: the
/// loader's records (which libraries a module needs), the build's record and the notes of
/// modules left out count towards none.
fn top_level(item: &Item<'_>) -> Option<String> {
    match item.kind {
        Kind::Module | Kind::Source | Kind::Extension => {
            item.name.split('.').next().map(str::to_owned)
        }
        Kind::Data | Kind::Disk => item.name.split('/').next().map(str::to_owned),
        Kind::Library => Some("(libraries)".to_owned()),
        Kind::LibPython => Some("(libpython)".to_owned()),
        Kind::Needs | Kind::Group | Kind::Mapping | Kind::BuildInfo | Kind::LeftOut => None,
    }
}

fn by_package(entries: &[Item<'_>]) -> Vec<PackageTotal> {
    let mut by: BTreeMap<String, PackageTotal> = BTreeMap::new();
    for item in entries {
        let Some(package) = top_level(item) else {
            continue;
        };
        let total = by.entry(package.clone()).or_insert_with(|| PackageTotal {
            package,
            ..PackageTotal::default()
        });
        total.entries += 1;
        total.stored += item.stored;
        total.original += item.original;
    }
    let mut totals: Vec<PackageTotal> = by.into_values().collect();
    totals.sort_by(|a, b| b.stored.cmp(&a.stored).then(a.package.cmp(&b.package)));
    totals
}

fn listing<'a>(
    path: &Path,
    bundle: &Bundle<'a>,
    filter: &Filter,
) -> Result<Listing<'a>, pyfreeze_archive::Error> {
    let mut needed_by = needed_by(bundle)?;
    let entries = bundle
        .entries()
        .map(|e| {
            let entry = e?;
            let mut item = Item::from(entry);
            if entry.kind.is_native() {
                item.load = Some(Load::of(&entry, bundle.mapping(&entry)?.as_ref()));
            }
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
        .filter(|item| item.as_ref().map_or(true, |item| filter.keeps(item)))
        .collect::<Result<Vec<_>, pyfreeze_archive::Error>>()?;
    let mut totals = Totals {
        entries: entries.len(),
        ..Totals::default()
    };
    for kind in Kind::ALL {
        let of_kind: Vec<&Item> = entries.iter().filter(|e| e.kind == *kind).collect();
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
    totals.by_package = by_package(&entries);
    let (kind, module, detail) = bundle.entry_point()?;
    Ok(Listing {
        schema_version: SCHEMA_VERSION,
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

/// How sizes are written: decimal units (kB = 1000 bytes, as `ls -h --si` and `du --si`),
/// or exact byte counts.
#[derive(Debug, Clone, Copy)]
struct Units {
    exact: bool,
}

impl Units {
    fn size(self, bytes: u64) -> String {
        if self.exact {
            bytes.to_string()
        } else {
            bytesize::ByteSize(bytes).display().si().to_string()
        }
    }

    /// A size in a sentence: with its unit when it is a byte count.
    fn amount(self, bytes: u64) -> String {
        if self.exact {
            format!("{bytes} bytes")
        } else {
            self.size(bytes)
        }
    }

    fn describe(self) -> &'static str {
        if self.exact {
            "exact, in bytes"
        } else {
            "decimal units, kB = 10^3 bytes and MB = 10^6 bytes (--bytes for exact counts)"
        }
    }
}

/// What every human listing starts with: the bundle, its Python, its entry point and its
/// totals by kind.
fn header(listing: &Listing<'_>, units: Units) -> String {
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
    let _ = writeln!(out, "sizes:   {}", units.describe());
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
        "size:    {} stub + {} stored ({} original) in {} entries",
        units.amount(l.stub_size),
        units.amount(l.totals.stored),
        units.amount(l.totals.original),
        l.totals.entries
    );
    for k in &l.totals.by_kind {
        let _ = writeln!(
            out,
            "  {:<10} {:>6} entries {:>12} stored {:>12} original",
            k.kind,
            k.count,
            units.size(k.stored),
            units.size(k.original)
        );
    }
    let _ = writeln!(out);
    out
}

/// What the listing says of an entry after its name: flags, the libraries' loading, why a
/// module was left out.
fn marks(e: &Item<'_>, units: Units) -> String {
    let mut marks: Vec<std::borrow::Cow<'_, str>> = Vec::new();
    if e.namespace {
        marks.push("namespace package".into());
    } else if e.package {
        marks.push("package".into());
    }
    if e.bootstrap {
        marks.push("bootstrap".into());
    }
    if e.locale_codec {
        marks.push("locale codec".into());
    }
    if !e.needed_by.is_empty() {
        marks.push(format!("needed by {}", e.needed_by.join(", ")).into());
    }
    if !e.group.is_empty() {
        marks.push(format!("loaded as one: {}", e.group.join(" + ")).into());
    }
    if !e.links.is_empty() {
        let links = e
            .links
            .iter()
            .map(|l| format!("{} at {:#x}", l.needed, l.offset))
            .collect::<Vec<_>>()
            .join(", ");
        marks.push(format!("rewrites its need of {links}").into());
    }
    if let Some(why) = &e.left_out {
        marks.push(why.as_ref().into());
    }
    if let Some(load) = &e.load {
        let copied = units.amount(load.copied);
        marks.push(
            match load.how {
                "mapped" => format!("code mapped from the bundle, {copied} copied"),
                _ => format!("copied whole, {copied}"),
            }
            .into(),
        );
    }
    if marks.is_empty() {
        String::new()
    } else {
        format!("  ({})", marks.join(", "))
    }
}

fn human(listing: &Listing<'_>, units: Units) -> String {
    let mut out = header(listing, units);
    let _ = writeln!(
        out,
        "{:<10} {:>12} {:>12}  NAME",
        "KIND", "STORED", "ORIGINAL"
    );
    for e in &listing.entries {
        let _ = writeln!(
            out,
            "{:<10} {:>12} {:>12}  {}{}",
            e.kind.label(),
            units.size(e.stored),
            units.size(e.original),
            e.name,
            marks(e, units)
        );
    }
    out + &package_totals(&listing.totals.by_package, units)
}

/// The closing table: the largest top-level packages, the rest summed on one line.
fn package_totals(by_package: &[PackageTotal], units: Units) -> String {
    let mut out = String::new();
    if by_package.is_empty() {
        return out;
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<24} {:>7} {:>12} {:>12}",
        "BY PACKAGE", "ENTRIES", "STORED", "ORIGINAL"
    );
    let mut line = |name: &str, entries: usize, stored: u64, original: u64| {
        let _ = writeln!(
            out,
            "{name:<24} {entries:>7} {:>12} {:>12}",
            units.size(stored),
            units.size(original)
        );
    };
    for total in by_package.iter().take(PACKAGES_SHOWN) {
        line(&total.package, total.entries, total.stored, total.original);
    }
    let rest = by_package.get(PACKAGES_SHOWN..).unwrap_or_default();
    if !rest.is_empty() {
        line(
            &format!("({} more)", rest.len()),
            rest.iter().map(|t| t.entries).sum(),
            rest.iter().map(|t| t.stored).sum(),
            rest.iter().map(|t| t.original).sum(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The error and its help, as the command line says them.
    fn shown(error: &LsError) -> String {
        use crate::fault::Help;
        match error.help() {
            Some(help) => format!("{error}\nhelp: {help}"),
            None => error.to_string(),
        }
    }
    use pyfreeze_archive::{
        flags, ArchiveWriter, BundleInfo, Compression, EntryPointKind, NewEntry,
    };

    /// The bundle at `path` listed as text with exact sizes, or as JSON.
    fn list(path: &Path, json: bool) -> Result<String, LsError> {
        let output = run(&Request {
            binary: path.to_owned(),
            json,
            bytes: true,
            ..Request::default()
        })?;
        Ok(String::from_utf8(output).expect("listings are UTF-8"))
    }

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
        // libssl's code is mapped from the bundle: three pages, the last two mapped.
        let libssl = [&b"\x7fELF libssl"[..], &[0; 3 * 4096 - 11]].concat();
        let libssl_mapping = pyfreeze_archive::Mapping {
            ranges: vec![pyfreeze_archive::MappedRange {
                offset: 4096,
                len: 2 * 4096,
                address: 4096,
                prot: pyfreeze_archive::mapping::prot::READ | pyfreeze_archive::mapping::prot::EXEC,
                loader_reads: false,
            }],
            init: None,
            init_array: Some((4096, 1)),
        }
        .to_bytes();
        let entries: [(Kind, &str, u8, Compression, &[u8]); 22] = [
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
            (Kind::Library, "libssl.so.3", 0, Compression::None, &libssl),
            (
                Kind::Mapping,
                "libssl.so.3",
                0,
                Compression::None,
                &libssl_mapping,
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
    fn tree_listing() {
        let dir = tempfile::tempdir().unwrap();
        let path = synthetic_bundle(dir.path());
        let request = Request {
            binary: path,
            tree: true,
            ..Request::default()
        };
        let text = String::from_utf8(run(&request).unwrap()).unwrap();
        settings(dir.path()).bind(|| insta::assert_snapshot!(text));
    }

    #[test]
    fn listing_filtered_by_name_and_kind() {
        let dir = tempfile::tempdir().unwrap();
        let path = synthetic_bundle(dir.path());
        let listed = |what: Option<&str>, patterns: &[&str], kinds: &[&str]| {
            let request = Request {
                binary: path.clone(),
                what: what.map(str::to_owned),
                patterns: patterns.iter().map(|p| (*p).to_owned()).collect(),
                kinds: kinds.iter().map(|k| (*k).to_owned()).collect(),
                json: true,
                ..Request::default()
            };
            let value: serde_json::Value = serde_json::from_slice(&run(&request).unwrap()).unwrap();
            value["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    format!(
                        "{} {}",
                        e["kind"].as_str().unwrap(),
                        e["name"].as_str().unwrap()
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            listed(Some("encodings*"), &[], &[]),
            ["module encodings", "module encodings.koi8_r"]
        );
        assert_eq!(
            listed(None, &["lib*.so.3", "greet"], &["library", "module"]),
            [
                "module greet",
                "library libcrypto.so.3",
                "library libssl.so.3"
            ]
        );
        assert_eq!(listed(None, &[], &["source"]), ["source __main__"]);
        assert!(listed(Some("nothing*"), &[], &[]).is_empty());
    }

    #[test]
    fn one_entry_shown_or_why_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = synthetic_bundle(dir.path());
        let show = |what: &str| {
            run(&Request {
                binary: path.clone(),
                what: Some(what.to_owned()),
                ..Request::default()
            })
        };
        assert_eq!(
            show("__main__").unwrap(),
            b"import greet\ngreet.hello()\ngreet.hello()\n"
        );
        assert_eq!(show("settings.ini").unwrap(), b"[app]\n");
        let mut messages = ["heavy", "math", "plugins", "nowhere"]
            .iter()
            .map(|name| shown(&show(name).unwrap_err()))
            .collect::<Vec<_>>()
            .join("\n");
        let dis_of_a_pattern = run(&Request {
            binary: path.clone(),
            what: Some("enc*".to_owned()),
            dis: true,
            ..Request::default()
        });
        messages += &format!("\n{}", shown(&dis_of_a_pattern.unwrap_err()));
        settings(dir.path()).bind(|| insta::assert_snapshot!(messages));
    }

    #[test]
    fn extracted_tree() {
        let dir = tempfile::tempdir().unwrap();
        let path = synthetic_bundle(dir.path());
        let out = dir.path().join("tree");
        let extract = || {
            run(&Request {
                binary: path.clone(),
                extract: Some(out.clone()),
                ..Request::default()
            })
        };
        let said = String::from_utf8(extract().unwrap()).unwrap();
        assert_eq!(
            fs_err::read(out.join("__main__.py")).unwrap(),
            b"import greet\ngreet.hello()\ngreet.hello()\n"
        );
        // No source: the code behind a .pyc header of the bundle's magic.
        let mut pyc = vec![0xa7, 0x0d, 0x0d, 0x0a];
        pyc.extend([0; 12]);
        pyc.extend(b"encodings code");
        assert_eq!(
            fs_err::read(out.join("encodings/__init__.pyc")).unwrap(),
            pyc
        );
        assert!(out.join("encodings/koi8_r.pyc").is_file());
        assert!(out.join("plugins").is_dir());
        assert_eq!(fs_err::read(out.join("settings.ini")).unwrap(), b"[app]\n");
        let refused = shown(&extract().unwrap_err());
        // An empty directory is replaced by the tree.
        fs_err::remove_dir_all(&out).unwrap();
        fs_err::create_dir(&out).unwrap();
        extract().unwrap();
        assert!(out.join("__main__.py").is_file());
        settings(dir.path()).bind(|| insta::assert_snapshot!(said + &refused));
        let beside: Vec<_> = fs_err::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(beside.len(), 2, "left beside the tree: {beside:?}");
    }

    #[test]
    fn json_listing() {
        let dir = tempfile::tempdir().unwrap();
        let path = synthetic_bundle(dir.path());
        let text = list(&path, true).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["python"]["version"], "3.11.7");
        assert_eq!(value["entries"].as_array().unwrap().len(), 22);
        let entry = |kind: &str, name: &str| {
            value["entries"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["kind"] == kind && e["name"] == name)
                .cloned()
                .unwrap()
        };
        let libssl = entry("library", "libssl.so.3");
        assert_eq!(libssl["load"]["how"], "mapped");
        assert_eq!(libssl["load"]["copied"], 4096);
        assert_eq!(libssl["load"]["mapped"], 8192);
        assert_eq!(
            entry("libpython", "libpython3.11.so.1.0")["load"]["how"],
            "copied"
        );
        assert!(entry("module", "greet").get("load").is_none());
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
            .map(|p| shown(&list(p, false).unwrap_err()))
            .collect::<Vec<_>>()
            .join("\n");
        settings(dir.path()).bind(|| insta::assert_snapshot!(messages));
    }
}
