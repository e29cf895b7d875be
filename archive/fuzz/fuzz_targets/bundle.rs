//! Any bytes given to the bundle reader must give a typed error or entries that can all
//! be read, never a panic, an out-of-bounds read or an allocation the input did not ask for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pyfreeze_archive::{Bundle, Kind};

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = Bundle::parse(data) else {
        return;
    };
    let _ = bundle.python_version();
    let _ = bundle.entry_point();
    let _ = bundle.libpython();
    for entry in bundle.entries().flatten() {
        let _ = entry.contents();
        let _ = bundle.find(entry.kind, entry.name);
        let _ = bundle.group(entry.name);
    }
    for kind in Kind::ALL {
        let _ = bundle.kind_range(*kind);
        let _ = bundle.find(*kind, "__main__");
    }
});
