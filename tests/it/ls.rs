//! (g) `pyfreeze ls` on a real bundle: the JSON parses and lists the app's modules and
//! libpython; the human output names the Python version.

use std::ffi::OsStr;
use std::path::Path;

use pyfreeze_tests::{pyfreeze, Status};
use serde_json::Value;

use crate::{bundle, for_each_interpreter};

/// Every `(kind, name)` of an object in `value` that has both as strings, wherever the
/// listing puts its entries.
fn entries(value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let (Some(Value::String(kind)), Some(Value::String(name))) =
                (map.get("kind"), map.get("name"))
            {
                out.push((kind.clone(), name.clone()));
            }
            map.values().for_each(|v| entries(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| entries(v, out)),
        _ => {}
    }
}

/// What `pyfreeze ls --json` prints for the bundle `exe`, parsed, or why it could not be had.
pub(crate) fn ls_json(exe: &Path) -> Result<Value, String> {
    let dir = exe.parent().expect("exe in a directory");
    let json = pyfreeze(
        &[OsStr::new("ls"), exe.as_os_str(), OsStr::new("--json")],
        dir,
    );
    if json.status != Status::Code(0) {
        return Err(format!("pyfreeze ls --json failed\n{json}"));
    }
    serde_json::from_str::<Value>(&json.stdout).map_err(|e| {
        format!(
            "pyfreeze ls --json printed invalid JSON ({e}):\n{}",
            json.stdout
        )
    })
}

/// `(kind, name)` of every entry that `pyfreeze ls --json` lists for the bundle `exe`, or
/// why they could not be had.
pub(crate) fn listed_entries(exe: &Path) -> Result<Vec<(String, String)>, String> {
    let value = ls_json(exe)?;
    let mut found = Vec::new();
    entries(&value, &mut found);
    Ok(found)
}

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
    for_each_interpreter("ls_lists_the_bundle", |python| {
        let frozen = match bundle("hello", python) {
            Ok(f) => f,
            Err(e) => return vec![e],
        };
        let dir = frozen.exe.parent().expect("exe in a directory");
        let mut problems = Vec::new();

        let json = pyfreeze(
            &[
                OsStr::new("ls"),
                frozen.exe.as_os_str(),
                OsStr::new("--json"),
            ],
            dir,
        );
        if json.status != Status::Code(0) {
            problems.push(format!("{python}: pyfreeze ls --json failed\n{json}"));
        } else {
            match serde_json::from_str::<Value>(&json.stdout) {
                Err(e) => problems.push(format!(
                    "{python}: pyfreeze ls --json printed invalid JSON ({e}):\n{}",
                    json.stdout
                )),
                Ok(value) => {
                    let mut found = Vec::new();
                    entries(&value, &mut found);
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
        problems
    });
}
