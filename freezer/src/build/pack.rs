//! The archive: what the app may import while it starts (bytecode, extension
//! modules, the libraries these need) and libpython are stored raw, so the stub can use
//! them straight from its own mapping or have the kernel copy them. Sources, read only for
//! tracebacks and `inspect`, and the cold modules (see [`crate::build::analysis::Module::cold`])
//! with the libraries only they need are compressed ([`compress_all`], when the archive is
//! written): a bundle carries the whole of `encodings` and what functions of its
//! dependencies might import, and most apps never import most of that. So are the codecs
//! CPython needs while it starts only in a locale of their encoding (`locale_codec`).

use std::collections::BTreeSet;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use pyfreeze_archive::{
    disk_digest, flags, needs_contents, ArchiveWriter, BundleInfo, Compression, EntryPointKind,
    Kind, NewEntry, PythonOptions, BUILD_INFO_NAME, MAIN_MODULE,
};

use crate::build::analysis::{Analysis, EntrySpec, LeftOut, LeftOutRule, ModuleKind};
use crate::build::disk::DiskFile;
use crate::build::native::{self, CopyWhole, Native, SharedObject};
use crate::cache::{self, Cache, Pack};
use crate::parallel;
use crate::why::BuildInfo;

#[derive(Debug, thiserror::Error)]
pub(crate) enum PackError {
    #[error(transparent)]
    Archive(#[from] pyfreeze_archive::Error),
    #[error(transparent)]
    Read(#[from] std::io::Error),
}

/// What [`pyfreeze_archive::compress`] makes of each of `contents`, on every core. With a
/// cache, what the last build of the same app (its directory, with the interpreter)
/// compressed is at hand, by contents: a whole standard library of sources takes a while
/// to compress, and a rebuild changes few of them.
pub(crate) fn compress_all(
    contents: &[&[u8]],
    cache: Option<&Cache>,
    app_dir: &Path,
    interpreter: &Path,
) -> std::io::Result<Vec<Vec<u8>>> {
    let Some(cache) = cache else {
        return parallel::map(contents, |data| pyfreeze_archive::compress(data))
            .into_iter()
            .collect();
    };
    let pack_key = cache
        .key(cache::Kind::Compressed)
        .field(b"what the last build of this app compressed")
        .field(pyfreeze_archive::COMPRESSION_POLICY.as_bytes())
        .field(app_dir.as_os_str().as_bytes())
        .field(interpreter.as_os_str().as_bytes())
        .finish();
    let previous = cache
        .get(cache::Kind::Compressed, &pack_key)
        .and_then(|payload| Pack::parse(&payload))
        .unwrap_or_default();
    let compressed = parallel::map(contents, |data| {
        let key = cache
            .key(cache::Kind::Compressed)
            .field(pyfreeze_archive::COMPRESSION_POLICY.as_bytes())
            .field(data)
            .finish();
        let stored = match previous.get(&key) {
            Some(stored) => stored.to_vec(),
            None => pyfreeze_archive::compress(data)?,
        };
        Ok::<_, std::io::Error>((key, stored))
    });
    let mut pack = Pack::default();
    let mut all = Vec::with_capacity(contents.len());
    for result in compressed {
        let (key, stored) = result?;
        cache.note(cache::Kind::Compressed, previous.get(&key).is_some());
        pack.insert(key, stored.clone());
        all.push(stored);
    }
    // This build's only: the entry follows the app rather than piling up its history.
    if pack != previous {
        cache.put(cache::Kind::Compressed, &pack_key, &pack.to_payload());
    }
    Ok(all)
}

/// A module the build left out on purpose, and why: what an import of it says at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LeftOutEntry {
    pub(crate) module: String,
    /// The rest of the sentence "No module named 'X' in this bundle: ...".
    pub(crate) why: String,
}

/// What the bundle says about the modules it was built without: those the closure left
/// out by its rules (see [`LeftOutRule`]), and those `--exclude` named.
pub(crate) fn left_out(analysis: &Analysis, excludes: &[String]) -> Vec<LeftOutEntry> {
    let by_default = analysis.left_out.iter().map(|left| LeftOutEntry {
        module: left.name.clone(),
        why: left_out_why(left),
    });
    let by_request = excludes.iter().map(|name| LeftOutEntry {
        module: name.clone(),
        why: format!("the build left it out (--exclude {name}); build without that option"),
    });
    let mut all: Vec<LeftOutEntry> = by_default.chain(by_request).collect();
    all.sort_by(|a, b| a.module.cmp(&b.module));
    all.dedup_by(|later, first| later.module == first.module);
    all
}

fn left_out_why(left: &LeftOut) -> String {
    let by = left.imported_by.join(", ");
    let name = &left.name;
    match &left.rule {
        LeftOutRule::StandardLibrary => format!(
            "only the standard library imports it ({by}), inside functions, and pyfreeze \
             leaves such modules out unless asked; build with --include {name} to bundle it"
        ),
        LeftOutRule::Optional { distribution } => format!(
            "only functions of {by} import it, and their distributions do not require \
             {distribution}; build with --with {distribution} to bundle it"
        ),
        LeftOutRule::Fallback { instead_of } => format!(
            "{by} imports it only if importing {} fails, and the bundle holds that; build \
             with --include {name} to bundle it",
            instead_of.join(", ")
        ),
    }
}

/// Counts of what went into the archive, for the build summary.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Contents {
    pub modules: usize,
    pub sources: usize,
    pub extensions: usize,
    pub libraries: usize,
    pub data_files: usize,
    pub disk_files: usize,
}

/// Lays out every entry of the bundle.
pub(crate) fn pack(
    entry: &EntrySpec,
    optimize: u8,
    python_options: PythonOptions,
    analysis: &Analysis,
    native: Native,
    on_disk: Vec<DiskFile>,
    left_out: &[LeftOutEntry],
) -> Result<(ArchiveWriter, Contents), PackError> {
    let build_info = BuildInfo::new(analysis, &native);
    let python = &analysis.python;
    let (entry_kind, entry_module, entry_arg) = match entry {
        EntrySpec::Script { path } => (
            EntryPointKind::Script,
            MAIN_MODULE.to_owned(),
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ),
        EntrySpec::Module { module } => (EntryPointKind::Module, module.clone(), String::new()),
        EntrySpec::Function { module, function } => {
            (EntryPointKind::Function, module.clone(), function.clone())
        }
    };
    let mut writer = ArchiveWriter::new(BundleInfo {
        python_version: python.version.clone(),
        python_major: python.major,
        python_minor: python.minor,
        optimize,
        pyc_magic: python.magic,
        entry_kind,
        entry_module,
        entry_function: entry_arg,
        libpython: native.libpython.name.clone(),
        disk_digest: if on_disk.is_empty() {
            String::new()
        } else {
            disk_digest(on_disk.iter().map(|f| (f.name.as_str(), &f.data[..])))
        },
        python_options,
    });

    let stored = |cold: bool| {
        if cold {
            Compression::Zstd
        } else {
            Compression::None
        }
    };
    let (cold, hot): (Vec<_>, Vec<_>) = analysis
        .modules
        .iter()
        .filter(|m| m.kind == ModuleKind::Extension)
        .partition(|m| m.cold);
    let cold_extensions: BTreeSet<&str> = cold.iter().map(|m| m.name.as_str()).collect();
    // Extension modules that are a package's `__init__`: the finder gives them a
    // `__path__` and serves their package's data.
    let package_extensions: BTreeSet<&str> = cold
        .iter()
        .chain(&hot)
        .filter(|m| m.is_package)
        .map(|m| m.name.as_str())
        .collect();
    // What the extensions the app may import while it starts load.
    let hot_libraries: BTreeSet<String> = hot
        .iter()
        .filter_map(|m| native.needs.get(&m.name))
        .flatten()
        .cloned()
        .collect();
    let mut contents = Contents::default();
    for module in &analysis.modules {
        let (code, mut module_flags) = match (module.kind, &module.code) {
            (ModuleKind::Python, Some(code)) => (code.clone(), 0),
            (ModuleKind::Namespace, _) => (Vec::new(), flags::NAMESPACE),
            _ => continue,
        };
        if module.is_package {
            module_flags |= flags::PACKAGE;
        }
        if module.bootstrap {
            module_flags |= flags::BOOTSTRAP;
        }
        if module.locale_codec {
            module_flags |= flags::LOCALE_CODEC;
        }
        writer.add(NewEntry {
            kind: Kind::Module,
            name: module.name.clone(),
            flags: module_flags,
            // The frozen table points into the executable's mapping; a locale codec is
            // decompressed for it in the rare locale that needs one.
            compression: stored(module.locale_codec || (module.cold && !module.bootstrap)),
            data: code,
        })?;
        contents.modules += 1;
        if let Some(source) = &module.source {
            writer.add(NewEntry {
                kind: Kind::Source,
                name: module.name.clone(),
                flags: 0,
                compression: Compression::Zstd,
                data: source.clone(),
            })?;
            contents.sources += 1;
        }
    }
    for file in &analysis.data {
        let data = fs_err::read(&file.origin)?;
        writer.add(NewEntry {
            kind: Kind::Data,
            name: file.name.clone(),
            flags: 0,
            compression: Compression::Zstd,
            data,
        })?;
        contents.data_files += 1;
    }
    for file in on_disk {
        // Compressed like sources and data, so a file stored both ways is stored once.
        writer.add(NewEntry {
            kind: Kind::Disk,
            name: file.name,
            flags: 0,
            compression: Compression::Zstd,
            data: file.data,
        })?;
        contents.disk_files += 1;
    }
    let copy_whole = native.copy_whole;
    for extension in native.extensions {
        let cold = cold_extensions.contains(extension.name.as_str());
        let package = package_extensions.contains(extension.name.as_str());
        let flags = if package { flags::PACKAGE } else { 0 };
        add_native(
            &mut writer,
            Kind::Extension,
            extension,
            flags,
            cold,
            &copy_whole,
        )?;
        contents.extensions += 1;
    }
    for library in native.libraries {
        let cold = !hot_libraries.contains(&library.name);
        add_native(&mut writer, Kind::Library, library, 0, cold, &copy_whole)?;
        contents.libraries += 1;
    }
    for (name, sonames) in &native.needs {
        writer.add(NewEntry {
            kind: Kind::Needs,
            name: name.clone(),
            flags: 0,
            compression: Compression::None,
            data: needs_contents(sonames),
        })?;
    }
    for plan in &native.groups {
        let contents = plan.group().contents();
        for (soname, _) in &plan.members {
            writer.add(NewEntry {
                kind: Kind::Group,
                name: soname.clone(),
                flags: 0,
                // Raw, for the stub to read the names in place; the writer stores the
                // members' identical contents once.
                compression: Compression::None,
                data: contents.clone(),
            })?;
        }
    }
    for left in left_out {
        writer.add(NewEntry {
            kind: Kind::LeftOut,
            name: left.module.clone(),
            flags: 0,
            compression: Compression::None,
            data: left.why.clone().into_bytes(),
        })?;
    }
    writer.add(NewEntry {
        kind: Kind::BuildInfo,
        name: BUILD_INFO_NAME.to_owned(),
        flags: 0,
        compression: Compression::Zstd,
        data: build_info.to_json(),
    })?;
    add_native(
        &mut writer,
        Kind::LibPython,
        native.libpython,
        0,
        false,
        &copy_whole,
    )?;
    Ok((writer, contents))
}

/// Adds a native object: compressed if `cold` (the stub copies it whole when it is
/// needed, if ever); else raw, with a [`Kind::Mapping`] for the stub to run its code from
/// the bundle's pages, unless `--copy-native` names it or it cannot be mapped.
fn add_native(
    writer: &mut ArchiveWriter,
    kind: Kind,
    object: SharedObject,
    flags: u8,
    cold: bool,
    copy_whole: &CopyWhole,
) -> Result<(), PackError> {
    let planned = if cold || copy_whole.contains(&object.name) {
        None
    } else {
        native::plan(&object.bytes).ok()
    };
    let data = match planned {
        Some((stored, mapping)) => {
            writer.add(NewEntry {
                kind: Kind::Mapping,
                name: object.name.clone(),
                flags: 0,
                compression: Compression::None,
                data: mapping.to_bytes(),
            })?;
            stored
        }
        None => object.bytes,
    };
    writer.add(NewEntry {
        kind,
        name: object.name,
        flags,
        compression: if cold {
            Compression::Zstd
        } else {
            Compression::None
        },
        data,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_from_the_cache_is_the_same_and_follows_the_app() {
        let dir = tempfile::tempdir().unwrap();
        let (app, python) = (Path::new("/app"), Path::new("/python"));
        let [a, b, c] = ["first", "second", "edited"].map(|s| s.repeat(100).into_bytes());
        let plain = compress_all(&[&a, &b], None, app, python).unwrap();
        // Each build with a cache of its own, as each pyfreeze process has.
        let build = |contents: &[&[u8]], app: &Path| {
            let cache = Cache::open(dir.path().join("cache")).unwrap();
            let compressed = compress_all(contents, Some(&cache), app, python).unwrap();
            assert_eq!(
                compressed,
                compress_all(contents, None, app, python).unwrap()
            );
            cache.hits(cache::Kind::Compressed).hits
        };
        assert_eq!(compress_all(&[&a, &b], None, app, python).unwrap(), plain);
        assert_eq!(build(&[&a, &b], app), 0);
        assert_eq!(build(&[&a, &b], app), 2);
        assert_eq!(build(&[&a, &c], app), 1);
        // What the last build compressed is kept, no more.
        assert_eq!(build(&[&a, &b, &c], app), 2);
        assert_eq!(build(&[&a, &b, &c], Path::new("/other")), 0);
    }
}
