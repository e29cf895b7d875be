//! (g) `pyfreeze ls` on a real bundle: the JSON parses and lists the app's modules,
//! libpython and how the codecs are stored; the human output names the Python version
//! and marks the locale codecs.

use std::ffi::OsStr;

use pyfreeze_tests::{
    bundle, entries_of, for_each_interpreter, ls_json, pyfreeze, test_name, Status,
};
use serde_json::Value;

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        _ => {}
    }
}

#[test]
fn ls_lists_the_bundle() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle("hello", python)?;
        let dir = frozen.exe.parent().expect("exe in a directory");
        let mut problems = Vec::new();

        match ls_json(&frozen.exe) {
            Err(e) => problems.push(format!("{python}: {e}")),
            Ok(value) => {
                let found = entries_of(&value);
                for (kind, name) in [("module", "__main__"), ("module", "greet")] {
                    if !found.iter().any(|(k, n)| k == kind && n == name) {
                        problems.push(format!(
                            "{python}: pyfreeze ls --json lists no {kind} {name:?}; entries: {found:?}"
                        ));
                    }
                }
                if !found.iter().any(|(k, _)| k == "libpython") {
                    problems.push(format!(
                        "{python}: pyfreeze ls --json lists no libpython entry; entries: {found:?}"
                    ));
                }
                // Hello's codecs: the start-up ones raw in the frozen table, the others
                // compressed, for the table only in a locale of their encoding.
                for (name, bootstrap, locale_codec, compression) in [
                    ("encodings.utf_8", true, false, "none"),
                    ("encodings.koi8_r", false, true, "zstd"),
                ] {
                    let entry = value["entries"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|e| e["kind"] == "module" && e["name"] == name);
                    let listed = entry.map(|e| {
                        (
                            e["bootstrap"].as_bool(),
                            e["locale_codec"].as_bool(),
                            e["compression"].as_str(),
                        )
                    });
                    if listed != Some((Some(bootstrap), Some(locale_codec), Some(compression))) {
                        problems.push(format!(
                            "{python}: module {name} should be listed with bootstrap \
                             {bootstrap}, locale_codec {locale_codec}, compression \
                             {compression}; found {entry:?}"
                        ));
                    }
                }
                let mut all = Vec::new();
                strings(&value, &mut all);
                if !all.iter().any(|s| s == &python.version) {
                    problems.push(format!(
                        "{python}: pyfreeze ls --json does not give the Python version {}",
                        python.version
                    ));
                }
            }
        }

        let human = pyfreeze(&[OsStr::new("ls"), frozen.exe.as_os_str()], dir);
        if human.status != Status::Code(0)
            || !human.stdout.contains(&python.version)
            || !human.stdout.contains("__main__")
            || !human.stdout.contains("greet")
            || !human.stdout.contains("encodings.koi8_r  (locale codec)")
        {
            problems.push(format!(
                "{python}: pyfreeze ls should succeed and show the version {}, __main__, greet \
                 and the locale codec encodings.koi8_r\n{human}",
                python.version
            ));
        }
        Ok(problems)
    });
}
