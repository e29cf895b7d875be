//! Makes a fuzzing seed of a real bundle: the same index (every entry's kind, name and
//! flags, the groups and needs lists, the header) with each entry's bytes cut to a few,
//! and the stub's to its ELF header, so that libFuzzer's mutations reach the structure
//! rather than megabytes of code. `seed BUNDLE OUT`.

use pyfreeze_archive::{ArchiveWriter, Bundle, BundleInfo, Kind, NewEntry};

/// Entries whose bytes the reader parses keep them whole.
fn kept_whole(kind: Kind) -> bool {
    matches!(kind, Kind::Needs | Kind::Group | Kind::LeftOut)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, output] = &args[..] else {
        eprintln!("usage: seed BUNDLE OUT");
        std::process::exit(2);
    };
    let file = std::fs::read(input).unwrap_or_else(|e| panic!("read {input}: {e}"));
    let bundle = Bundle::parse(&file).unwrap_or_else(|e| panic!("{input}: {e}"));
    let (kind, entry_module, entry_function) = bundle.entry_point().expect("entry point");
    let (python_major, python_minor) = bundle.python_major_minor();
    let mut writer = ArchiveWriter::new(BundleInfo {
        python_version: bundle.python_version().expect("version").to_owned(),
        python_major,
        python_minor,
        optimize: bundle.optimize(),
        pyc_magic: bundle.pyc_magic(),
        entry_kind: kind,
        entry_module: entry_module.to_owned(),
        entry_function: entry_function.to_owned(),
        libpython: bundle.libpython().expect("libpython").to_owned(),
        disk_digest: bundle.disk_digest().expect("disk digest").to_owned(),
        python_options: bundle.python_options().expect("options"),
    });
    for entry in bundle.entries() {
        let entry = entry.expect("entry");
        let contents = entry.contents().expect("contents");
        let data = if kept_whole(entry.kind) {
            contents.to_vec()
        } else {
            contents[..contents.len().min(24)].to_vec()
        };
        writer
            .add(NewEntry {
                kind: entry.kind,
                name: entry.name.to_owned(),
                flags: entry.flags,
                compression: entry.compression,
                data,
            })
            .expect("add");
    }
    let mut out = Vec::new();
    writer.write_to(&mut out, &file[..64]).expect("write");
    std::fs::write(output, out).unwrap_or_else(|e| panic!("write {output}: {e}"));
}
