//! What the runtime stub reads of a bundle before CPython runs, in its order, on any
//! bytes: the check of its own bytes, the trailer and index, the on-disk files, libpython
//! copied out (with its mapping), the frozen table's bootstrap and locale-codec modules, the entry point and
//! options; then what the finder reads at an import: a module's code and source, an
//! extension module's needs, groups, libraries and mappings, data and left-out entries. Each must
//! give a typed error or the checked bytes, never a panic, an out-of-bounds read or an
//! allocation the input did not ask for.
#![no_main]

use std::io::sink;

use libfuzzer_sys::fuzz_target;
use pyfreeze_archive::{needs_list, stub_is_damaged, Bundle, Kind};

fuzz_target!(|data: &[u8]| {
    let _ = stub_is_damaged(data);
    let Ok(bundle) = Bundle::parse(data) else {
        return;
    };
    let _ = bundle.python_major_minor();
    let _ = bundle.python_version();
    let _ = bundle.disk_digest();
    for index in bundle.kind_range(Kind::Disk) {
        if let Ok(entry) = bundle.entry(index) {
            let _ = entry.contents();
        }
    }
    if let Ok(Some(libpython)) = bundle
        .libpython()
        .and_then(|name| bundle.find(Kind::LibPython, name))
    {
        let _ = bundle.mapping(&libpython);
        let _ = libpython.copy_to(data, sink());
    }
    for entry in bundle.with_prefix(Kind::Module, "").flatten() {
        if entry.is_bootstrap() || entry.is_locale_codec() {
            let _ = entry.contents();
        }
    }
    let _ = bundle.entry_point();
    let _ = bundle.python_options();

    for entry in bundle.entries().flatten() {
        let _ = bundle.find(Kind::Module, entry.name);
        let _ = bundle.find(Kind::Source, entry.name).map(|s| s.map(|s| s.contents()));
        if let Ok(Some(needs)) = bundle.find(Kind::Needs, entry.name) {
            if let Ok(list) = needs.contents() {
                for soname in needs_list(&list) {
                    let _ = bundle.group(soname);
                    if let Ok(Some(library)) = bundle.find(Kind::Library, soname) {
                        let _ = library.copy_to(data, sink());
                    }
                }
            }
        }
        match entry.kind {
            Kind::Extension | Kind::Library => {
                let _ = bundle.mapping(&entry);
                let _ = entry.copy_to(data, sink());
            }
            _ => {
                let _ = entry.contents();
            }
        }
        let _ = bundle
            .with_prefix(Kind::Data, entry.name)
            .take(4)
            .count();
    }
});
