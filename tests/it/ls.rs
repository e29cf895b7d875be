//! (g) `pyfreeze ls` on a real bundle: the JSON parses and lists the app's modules and
//! libpython; the human output names the Python version.

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
        {
            problems.push(format!(
                "{python}: pyfreeze ls should succeed and show the version {}, __main__ and greet\n{human}",
                python.version
            ));
        }
        Ok(problems)
    });
}
