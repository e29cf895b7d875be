//! `importlib.resources.as_file()` (and `path()`) of a bundled resource: one copy in the
//! private per-user cache, named by its contents, the same path for every call and run,
//! repaired when changed, nothing in `$TMPDIR`; a directory from 3.12; errors are
//! OSErrors naming the path.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use pyfreeze_tests::{
    bundle_of, for_each_interpreter, for_each_of, list_tree, newest_and_3_8, run_frozen_in,
    tempdir, test_name, write_app, AppDir, Interpreter, Output, Status,
};

const MAIN: &str = r#"import sys
import importlib.resources as resources

found = []
if sys.version_info >= (3, 9):
    cert = resources.files("res") / "cert.pem"
    for _ in range(2):
        with resources.as_file(cert) as path:
            found.append(path)
for _ in range(2):
    with resources.path("res", "cert.pem") as path:
        found.append(path)
if "error" in sys.argv[1:]:
    sys.exit(0)
for path in found:
    print("file", type(path).__name__, path)
if sys.version_info >= (3, 12):
    with resources.as_file(resources.files("res") / "data") as tree:
        print("dir", type(tree).__name__, tree)
"#;

const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const DATA: &[(&str, &str)] = &[("a.txt", "alpha\n"), ("sub/b.txt", "beta\n")];

fn app() -> AppDir {
    write_app(
        "asfileapp",
        &[
            ("main.py", MAIN),
            ("res/__init__.py", ""),
            ("res/cert.pem", CERT),
            ("res/data/a.txt", DATA[0].1),
            ("res/data/sub/b.txt", DATA[1].1),
        ],
    )
}

/// A run's `file` and `dir` lines: the paths it printed, each checked to be a PosixPath.
fn printed(out: &Output, what: &str) -> Result<Vec<PathBuf>, String> {
    out.stdout
        .lines()
        .filter_map(|line| line.strip_prefix(what).and_then(|l| l.strip_prefix(' ')))
        .map(|rest| match rest.split_once(' ') {
            Some(("PosixPath", path)) => Ok(PathBuf::from(path)),
            _ => Err(format!("not a PosixPath: {rest:?}\n{out}")),
        })
        .collect()
}

/// Checks that `path` is `<cache>/pyfreeze/<64 hex digits>/<name>`, private.
fn in_the_cache(path: &Path, cache: &Path, name: &str) -> Result<(), String> {
    let dir = path.parent().unwrap_or(path);
    let digest = dir.file_name().unwrap_or_default().to_string_lossy();
    let mode = |p: &Path| fs::metadata(p).map_or(0, |m| m.permissions().mode() & 0o777);
    if dir.parent() != Some(&cache.join("pyfreeze"))
        || digest.len() != 64
        || !digest.bytes().all(|b| b.is_ascii_hexdigit())
        || path.file_name().and_then(|n| n.to_str()) != Some(name)
    {
        return Err(format!(
            "{} is not <cache>/pyfreeze/<sha256>/{name}",
            path.display()
        ));
    }
    if mode(dir) != 0o700 {
        return Err(format!("{} has mode {:o}", dir.display(), mode(dir)));
    }
    Ok(())
}

/// The problems of one run, given the file and directory paths it should print.
fn check_run(
    python: &Interpreter,
    out: &Output,
    cache: &Path,
    expected: Option<&(PathBuf, Option<PathBuf>)>,
) -> Result<(PathBuf, Option<PathBuf>), String> {
    if out.status != Status::Code(0) {
        return Err(format!("{python}: the app failed\n{out}"));
    }
    let files = printed(out, "file")?;
    let calls = if python.version_info.1 >= 9 { 4 } else { 2 };
    let Some(file) = files.first().filter(|_| files.len() == calls) else {
        return Err(format!("{python}: expected {calls} paths\n{out}"));
    };
    if files.iter().any(|f| f != file) {
        return Err(format!("{python}: calls gave different paths\n{out}"));
    }
    in_the_cache(file, cache, "cert.pem").map_err(|e| format!("{python}: {e}\n{out}"))?;
    if fs::read_to_string(file).ok().as_deref() != Some(CERT) {
        return Err(format!(
            "{python}: {} holds the wrong bytes",
            file.display()
        ));
    }
    let mode = fs::metadata(file).map_or(0, |m| m.permissions().mode() & 0o777);
    if mode != 0o600 {
        return Err(format!("{python}: {} has mode {mode:o}", file.display()));
    }
    let dirs = printed(out, "dir")?;
    let dir = match (python.version_info.1 >= 12, &dirs[..]) {
        (false, []) => None,
        (true, [dir]) => {
            in_the_cache(dir, cache, "data").map_err(|e| format!("{python}: {e}\n{out}"))?;
            let listed = list_tree(dir);
            let expected_tree = [PathBuf::from("a.txt"), "sub".into(), "sub/b.txt".into()];
            if listed != expected_tree {
                return Err(format!("{python}: {} holds {listed:?}", dir.display()));
            }
            for (name, contents) in DATA {
                if fs::read_to_string(dir.join(name)).ok().as_deref() != Some(contents) {
                    return Err(format!("{python}: {name} in {} is wrong", dir.display()));
                }
            }
            Some(dir.clone())
        }
        _ => return Err(format!("{python}: unexpected directories {dirs:?}\n{out}")),
    };
    let found = (file.clone(), dir);
    match expected {
        Some(expected) if *expected != found => Err(format!(
            "{python}: this run gave {found:?}, an earlier one {expected:?}"
        )),
        _ => Ok(found),
    }
}

/// A change made to the cache behind the bundle's back.
type Tamper<'a> = Box<dyn Fn() + 'a>;

#[test]
fn as_file_gives_one_lasting_copy_in_the_cache() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("asfileapp", python, app)?;
        let app = app();
        let cache = tempdir("cache");
        let tmp = tempdir("tmp");
        let cache_path = cache.path().to_str().expect("utf-8 path");
        let tmp_path = tmp.path().to_str().expect("utf-8 path");
        let env = [
            ("XDG_CACHE_HOME", Some(cache_path)),
            ("TMPDIR", Some(tmp_path)),
        ];
        let run = || run_frozen_in(&frozen.exe, &app.path, &[], None, &env);
        let mut problems = Vec::new();

        let first = check_run(python, &run(), cache.path(), None)?;
        let (file, dir) = &first;
        check_run(python, &run(), cache.path(), Some(&first))?;

        let stamp = file
            .parent()
            .expect("in a directory")
            .with_extension("stamp");
        let mut tampered: Vec<(&str, Tamper)> = vec![
            (
                // The same size and inode: only its ctime tells.
                "a changed copy",
                Box::new(|| fs::write(file, CERT.replace("MIIB", "XXXX")).expect("write")),
            ),
            (
                "a removed copy",
                Box::new(|| fs::remove_file(file).expect("rm")),
            ),
            (
                "a changed copy and a damaged stamp",
                Box::new(|| {
                    fs::write(file, CERT.replace("MIIB", "XXXX")).expect("write");
                    fs::write(&stamp, "pyfreeze stamp 1\n0 0 0 0 x\n").expect("write");
                }),
            ),
        ];
        if let Some(dir) = dir {
            tampered.push((
                "a file added to the directory copy",
                Box::new(|| fs::write(dir.join("sub/c.txt"), "").expect("write")),
            ));
        }
        for (what, tamper) in tampered {
            tamper();
            if let Err(e) = check_run(python, &run(), cache.path(), Some(&first)) {
                problems.push(format!("after {what}: {e}"));
            }
        }
        let written = list_tree(tmp.path());
        if !written.is_empty() {
            problems.push(format!("{python}: wrote {written:?} into TMPDIR"));
        }
        Ok(problems)
    });
}

#[test]
fn as_file_errors_are_oserrors_naming_the_path() {
    for_each_of(
        test_name!(),
        newest_and_3_8(test_name!()),
        |python: &Interpreter| {
            let frozen = bundle_of("asfileapp", python, app)?;
            let app = app();
            let mut problems = Vec::new();

            let cache = tempdir("cache");
            let shared = cache.path().join("pyfreeze");
            fs::create_dir(&shared).expect("mkdir");
            fs::set_permissions(&shared, fs::Permissions::from_mode(0o777)).expect("chmod");
            let cache_path = cache.path().to_str().expect("utf-8 path");
            let env = [("XDG_CACHE_HOME", Some(cache_path))];
            let out = run_frozen_in(&frozen.exe, &app.path, &["error"], None, &env);
            let expected = "PermissionError: [Errno 13] cannot put a copy of a bundled \
                            resource in the per-user cache: it belongs to uid";
            if out.status != Status::Code(1)
                || !out.stderr.contains(expected)
                || !out.stderr.contains("writable by you alone")
                || !out.stderr.contains(&format!(": '{}'", shared.display()))
            {
                problems.push(format!("{python}: a shared cache was not refused\n{out}"));
            }
            if !list_tree(&shared).is_empty() {
                problems.push(format!("{python}: wrote into a shared cache"));
            }

            let home = tempdir("home");
            let env = [("HOME", None), ("XDG_CACHE_HOME", None)];
            let out = run_frozen_in(&frozen.exe, home.path(), &["error"], None, &env);
            if out.status != Status::Code(1)
                || !out.stderr.contains(
                    "OSError: cannot put a copy of a bundled resource in the per-user cache: \
                     neither $XDG_CACHE_HOME nor $HOME is set",
                )
            {
                problems.push(format!("{python}: no cache directory\n{out}"));
            }
            Ok(problems)
        },
    );
}
