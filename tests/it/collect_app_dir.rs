//! `--collect-to-disk .` writes every file of the app directory CPython could read, the
//! scripts nothing imports (run with `runpy.run_path`, loaded with
//! `spec_from_file_location`) and the files behind links included, except the documented
//! exclusions: hidden entries, virtualenvs, the build's output directory and
//! `__pycache__`. `--no-source` keeps the imported modules' sources off the disk, not those
//! scripts; nothing is written without the option.

use std::fs;
use std::path::Path;

use pyfreeze_tests::{
    bundle_with, check_exact, compare, for_each_interpreter, list_tree, run_frozen_in, tempdir,
    test_name, write_app, AppDir, Case, Exact, Status,
};

const MAIN: &str = r#"import importlib.util, os, runpy

migrations = os.path.join(os.path.dirname(__file__), "migrations")
for name in ("0001_init.py", "0002_more.py"):
    done = runpy.run_path(os.path.join(os.path.dirname(__file__), "migrations", name))
    print(name, done["STEP"])
spec = importlib.util.spec_from_file_location("more", os.path.join(migrations, "0002_more.py"))
more = importlib.util.module_from_spec(spec)
spec.loader.exec_module(more)
print(more.STEP, more.describe())
with open(os.path.join(os.path.dirname(__file__), "fixtures", "seed", "rows.csv")) as f:
    print(f.read().strip())
"#;

const INIT: &str = "STEP = 1\nprint(\"init as\", __name__)\n";

const MORE: &str = r#"import os

STEP = 2
print("more as", __name__)

def describe():
    return os.path.basename(__file__)
"#;

/// What CPython prints, and the frozen app must print to the byte.
const STDOUT: &str = "init as <run_path>\n0001_init.py 1\nmore as <run_path>\n0002_more.py 2\n\
                      more as more\n2 0002_more.py\nid,name\n1,ada\n";

fn app() -> AppDir {
    let app = write_app(
        "migrapp",
        &[
            ("main.py", MAIN),
            ("migrations/0001_init.py", INIT),
            ("migrations/0002_more.py", MORE),
            ("fixtures/seed/rows.csv", "id,name\n1,ada\n"),
            // A package nothing imports, and a compiled module beside the sources.
            ("tools/__init__.py", ""),
            ("tools/report.py", "X = 1\n"),
            ("legacy.pyc", "not really bytecode"),
            // The exclusions: none of these reaches the disk.
            (".env", "SECRET=1\n"),
            (".git/HEAD", "ref: refs/heads/main\n"),
            ("venv/pyvenv.cfg", "home = /usr/bin\n"),
            ("venv/lib/site.py", "X = 1\n"),
            ("__pycache__/stale.pyc", "stale"),
            ("migrations/__pycache__/stale.pyc", "stale"),
        ],
    );
    // Links are followed as open() follows them; one back up the tree is not walked
    // forever, and a dangling one is no file.
    let link = |target: &str, link: &str| {
        std::os::unix::fs::symlink(target, app.path.join(link)).expect("symlink");
    };
    link("fixtures/seed", "seed");
    link("..", "fixtures/up");
    link("nowhere", "dangling.txt");
    app
}

/// Every file `--collect-to-disk .` writes for [`app`].
const APP_FILES: &[&str] = &[
    "fixtures/seed/rows.csv",
    "legacy.pyc",
    "main.py",
    "migrations/0001_init.py",
    "migrations/0002_more.py",
    "seed/rows.csv",
    "tools/__init__.py",
    "tools/report.py",
];

/// The files below the one content directory in `<cache>/pyfreeze/`.
fn cached_files(cache: &Path) -> Result<Vec<String>, String> {
    let root = cache.join("pyfreeze");
    let dirs: Vec<_> = fs::read_dir(&root)
        .map_err(|e| format!("{}: {e}", root.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    let [dir] = &dirs[..] else {
        return Err(format!(
            "expected one content directory in the cache, found {dirs:?}"
        ));
    };
    Ok(list_tree(dir)
        .into_iter()
        .filter(|p| dir.join(p).is_file())
        .map(|p| p.to_string_lossy().into_owned())
        .collect())
}

#[test]
fn unimported_scripts_run_from_disk_as_under_cpython() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_with("migrapp", python, &["--collect-to-disk", "."], app)?;
        let cache = tempdir("cache");
        let cache_path = cache.path().to_str().expect("utf-8 path");
        let env = [("XDG_CACHE_HOME", Some(cache_path))];
        let mut problems = compare(
            python,
            &frozen.exe,
            &app(),
            &Case::new(&[], Status::Code(0)).env(&env),
        );
        let out = run_frozen_in(&frozen.exe, &app().path, &[], None, &env);
        problems.extend(check_exact(
            &format!("{python}: frozen with --collect-to-disk ."),
            &out,
            &Exact::clean(STDOUT),
        ));
        match cached_files(cache.path()) {
            Ok(files) if files == APP_FILES => {}
            Ok(files) => problems.push(format!(
                "{python}: --collect-to-disk . wrote {files:?}, expected {APP_FILES:?}"
            )),
            Err(e) => problems.push(format!("{python}: {e}")),
        }
        Ok(problems)
    });
}

#[test]
fn no_source_keeps_imported_sources_off_the_disk_not_scripts() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_with(
            "migrapp",
            python,
            &["--collect-to-disk", ".", "--no-source"],
            app,
        )?;
        let cache = tempdir("cache");
        let cache_path = cache.path().to_str().expect("utf-8 path");
        // The run only has to put the files on disk: without its source, main.py's
        // `__file__` is in the bundle, so what it opens next to it is not.
        run_frozen_in(
            &frozen.exe,
            &app().path,
            &[],
            None,
            &[("XDG_CACHE_HOME", Some(cache_path))],
        );
        let expected: Vec<&str> = APP_FILES
            .iter()
            .copied()
            .filter(|f| *f != "main.py")
            .collect();
        Ok(match cached_files(cache.path()) {
            Ok(files) if files == expected => Vec::new(),
            Ok(files) => vec![format!(
                "{python}: --collect-to-disk . --no-source wrote {files:?}, expected {expected:?}"
            )],
            Err(e) => vec![format!("{python}: {e}")],
        })
    });
}

#[test]
fn nothing_is_written_without_the_option() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_with("migrapp", python, &[], app)?;
        let home = tempdir("home");
        let home_path = home.path().to_str().expect("utf-8 path");
        let env = [("HOME", Some(home_path)), ("XDG_CACHE_HOME", None)];
        let out = run_frozen_in(&frozen.exe, &app().path, &[], None, &env);
        let mut problems = Vec::new();
        // The scripts are not on disk: run_path fails on a path through the executable.
        if out.status != Status::Code(1) || !out.stderr.contains("[Errno 20] Not a directory") {
            problems.push(format!(
                "{python}: expected the scripts not to be found\n{out}"
            ));
        }
        let written = list_tree(home.path());
        if !written.is_empty() {
            problems.push(format!("{python}: wrote {written:?} into HOME"));
        }
        Ok(problems)
    });
}
