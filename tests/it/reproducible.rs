//! Reproducible output: the same app built twice, from different directories, at different
//! times, with its files written in a different order and with other modification times,
//! from another working directory and under another `SOURCE_DATE_EPOCH`, gives a
//! byte-identical executable.

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use pyfreeze_tests::{
    both, build_args, copy_tree, examples_dir, for_each_interpreter, pyfreeze_env, tempdir,
    test_name, Interpreter, Status,
};

/// Copies `examples/package_app` to `<dir>/app`, its files written in reverse name order
/// and stamped `age` in the past; returns the app directory.
fn copy_app(dir: &Path, age: Duration) -> std::path::PathBuf {
    let staging = dir.join("staging");
    copy_tree(&examples_dir().join("package_app"), &staging).expect("copy the example");
    let app = dir.join("app");
    let mut files = Vec::new();
    for entry in walk(&staging) {
        files.push(
            entry
                .strip_prefix(&staging)
                .expect("below staging")
                .to_owned(),
        );
    }
    files.sort();
    files.reverse();
    let stamp = SystemTime::now() - age;
    for rel in files {
        let target = app.join(&rel);
        fs::create_dir_all(target.parent().expect("in a directory")).expect("mkdir");
        fs::copy(staging.join(&rel), &target).expect("copy");
        fs::File::options()
            .write(true)
            .open(&target)
            .and_then(|f| f.set_modified(stamp))
            .expect("set mtime");
    }
    fs::remove_dir_all(&staging).expect("remove staging");
    app
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn build(
    python: &Interpreter,
    app: &Path,
    output: &Path,
    cwd: &Path,
    epoch: &str,
) -> Result<Vec<u8>, String> {
    let args = build_args(app, output, &python.path);
    // SOURCE_DATE_EPOCH is honoured where a time would be needed; none is stored, so two
    // different values must not show in the output either.
    let out = pyfreeze_env(&args, cwd, &[("SOURCE_DATE_EPOCH", Some(epoch))]);
    if out.status != Status::Code(0) {
        return Err(format!(
            "{python}: build of {} failed\n{out}",
            app.display()
        ));
    }
    fs::read(output).map_err(|e| format!("{}: {e}", output.display()))
}

#[test]
fn two_builds_from_different_places_and_times_are_identical() {
    for_each_interpreter(test_name!(), |python| {
        let first_dir = tempdir("repro-a");
        let second_dir = tempdir("repro-b");
        let first_app = copy_app(first_dir.path(), Duration::from_secs(3600));
        let second_app = copy_app(second_dir.path(), Duration::from_secs(10));
        let first = build(
            python,
            &first_app,
            &first_dir.path().join("out-one"),
            first_dir.path(),
            "1000000000",
        );
        let second = build(
            python,
            &second_app,
            &second_dir.path().join("dist").join("renamed"),
            &second_app,
            "1700000000",
        );
        let (a, b) = both(first, second)?;
        if a == b {
            return Ok(Vec::new());
        }
        let at = a.iter().zip(&b).position(|(x, y)| x != y);
        Ok(vec![format!(
            "{python}: the two builds differ (sizes {} and {}, first difference at byte {at:?})",
            a.len(),
            b.len()
        )])
    });
}
