//! Data files and distribution metadata, end to end: what a package carries besides its
//! modules, and the `*.dist-info` of the distributions an app uses, served from the bundle.
//!
//! * An app with a package `mypkg` (data files at its top, in data directories, and in a
//!   subpackage) reads them with `pkgutil.get_data`, the loader's `get_data(path)` and
//!   `importlib.resources` (`files()` and its Traversables on 3.9+, the older functions on
//!   3.8), for every interpreter. Its output must be CPython's and exactly what the test
//!   expects; a run that does not ask for `as_file()` must write nothing at all, and one
//!   that does only its copy in the per-user cache (tests/it/as_file.rs checks the copy).
//! * `importlib.metadata` answers `PackageNotFoundError` for a distribution that is not
//!   bundled, as CPython does (caught, and uncaught with the same traceback).
//! * An app using distributions pip installed into a virtualenv (with the newest interpreter
//!   and 3.8): `version`, `metadata`, `requires`, `files`, `entry_points` and
//!   `distributions` answer as the venv's CPython does, still once the venv has been moved
//!   away, and `pyfreeze ls --json` lists the bundled `*.dist-info` files.

use std::fs;
use std::path::{Path, PathBuf};

use pyfreeze_tests::{
    bundle_of, bundle_with, check_exact, compare, for_each_interpreter, for_each_of, list_tree,
    listed_entries, newest_and_3_8, newest_interpreter, run_frozen_in, run_python, tempdir,
    test_name, venv, write_app, AppDir, Case, Exact, Frozen, Interpreter, Output, Status, Venv,
};

// ---------------------------------------------------------------------------------------
// Package data
// ---------------------------------------------------------------------------------------

/// Reads `mypkg`'s data every way CPython offers, printing `ascii()` of each result (so the
/// output does not depend on the locale) or the type of the exception it raised. Modes:
/// `all` (the default), `no-as-file` (the same without `as_file()` / `path()`, the only
/// calls that may write a file), `where` (whether `as_file()` copies into the per-user
/// cache: a frozen app only), `missing` and `missing-uncaught` (`importlib.metadata` and a distribution that
/// is not there).
const DATA_MAIN: &str = r#"import os
import pkgutil
import sys

import mypkg
import mypkg.sub
import mypkg.util

MODE = sys.argv[1] if len(sys.argv) > 1 else "all"


def show(label, get):
    try:
        value = get()
    except Exception as e:
        print(label, "raised", type(e).__name__)
    else:
        print(label, ascii(value))


def names(traversable):
    # iterdir() of a bundled package does not list its module files (a known gap): compare
    # the data files and directories only.
    return sorted(
        p.name
        for p in traversable.iterdir()
        if not p.name.endswith(".py") and p.name != "__pycache__"
    )


if MODE in ("all", "no-as-file"):
    show("__file__", lambda: mypkg.__file__.endswith(os.path.join("mypkg", "__init__.py")))
    show("sub __file__", lambda: mypkg.sub.__file__.endswith(os.path.join("mypkg", "sub", "__init__.py")))
    show("get_data top", lambda: pkgutil.get_data("mypkg", "top.txt"))
    show("get_data sub", lambda: pkgutil.get_data("mypkg.sub", "info.txt"))
    show("get_data via module", lambda: pkgutil.get_data("mypkg.util", "top.txt"))
    show("get_data deep", lambda: pkgutil.get_data("mypkg", "data/nested/deep.bin"))
    show("get_data missing", lambda: pkgutil.get_data("mypkg", "missing.txt"))
    here = os.path.dirname(mypkg.__file__)
    show("loader get_data", lambda: mypkg.__loader__.get_data(os.path.join(here, "data", "greeting.txt")))
    show("loader get_data sub", lambda: mypkg.sub.__spec__.loader.get_data(os.path.join(here, "sub", "info.txt")))
    if sys.version_info >= (3, 9):
        from importlib.resources import as_file, files

        root = files("mypkg")
        show("iterdir mypkg", lambda: names(root))
        show("iterdir data", lambda: names(root / "data"))
        show("iterdir nested", lambda: names(root.joinpath("data").joinpath("nested")))
        show("iterdir sub pkg", lambda: names(files("mypkg.sub")))
        show("name", lambda: (root / "data").name)
        show("deep read_bytes", lambda: (root / "data" / "nested" / "deep.bin").read_bytes())
        show("greeting read_text", lambda: (root / "data" / "greeting.txt").read_text(encoding="utf-8"))
        show("top read_text default", lambda: (root / "top.txt").read_text())
        show("sub via parent", lambda: (root / "sub" / "info.txt").read_text())
        show("sub files", lambda: files("mypkg.sub").joinpath("info.txt").read_bytes())
        for rel in ["data", "data/nested", "top.txt", "data/greeting.txt", "sub", "missing.txt", "data/missing"]:
            t = root
            for part in rel.split("/"):
                t = t / part
            show("is_dir " + rel, t.is_dir)
            show("is_file " + rel, t.is_file)
        show("missing read_bytes", lambda: (root / "missing.txt").read_bytes())

        def open_both():
            t = root / "data" / "greeting.txt"
            with t.open("rb") as f:
                raw = f.read()
            with t.open("r", encoding="utf-8") as f:
                text = f.read()
            return raw, text

        show("open", open_both)
        if MODE == "all":
            def copy():
                with as_file(root / "data" / "greeting.txt") as p:
                    with open(p, "rb") as f:
                        return os.path.isfile(p), f.read()

            show("as_file", copy)
    else:
        import importlib.resources as r

        show("contents", lambda: sorted(n for n in r.contents("mypkg") if not n.endswith(".py") and n != "__pycache__"))
        show("read_text", lambda: r.read_text("mypkg", "top.txt"))
        show("read_binary", lambda: r.read_binary("mypkg.sub", "info.txt"))

        def open_binary():
            with r.open_binary("mypkg", "top.txt") as f:
                return f.read()

        show("open_binary", open_binary)
        for name in ["top.txt", "data", "missing.txt"]:
            show("is_resource " + name, lambda: r.is_resource("mypkg", name))
        show("read_binary missing", lambda: r.read_binary("mypkg", "missing.txt"))
        if MODE == "all":
            def copy():
                with r.path("mypkg", "top.txt") as p:
                    with open(p, "rb") as f:
                        return os.path.isfile(p), f.read()

            show("path", copy)
elif MODE == "where":
    if sys.version_info >= (3, 9):
        from importlib.resources import as_file, files

        cm = as_file(files("mypkg") / "top.txt")
    else:
        import importlib.resources

        cm = importlib.resources.path("mypkg", "top.txt")
    with cm as p:
        cache = os.path.join(os.environ["XDG_CACHE_HOME"], "pyfreeze")
        print("copy in the cache", os.path.dirname(os.path.dirname(str(p))) == cache, os.path.isfile(p))
elif MODE == "missing":
    import importlib.metadata as md

    for get in (md.version, md.metadata, md.distribution, md.requires, md.files):
        try:
            get("no-such-dist")
        except md.PackageNotFoundError as e:
            print(get.__name__, "raised", type(e).__name__, str(e), isinstance(e, ModuleNotFoundError))
        else:
            print(get.__name__, "did not raise")
elif MODE == "missing-uncaught":
    import importlib.metadata

    importlib.metadata.version("no-such-dist")
"#;

/// `mypkg/data/nested/deep.bin`: bytes that are no UTF-8, with a CR LF a text read would
/// translate.
const DEEP_BIN: &[u8] = b"\x00\x01\x02\xff\xfe\x80\r\n\x7f";

/// `mypkg/data/greeting.txt`: UTF-8 with a CR LF, which a text read turns into `\n`.
const GREETING: &str = "h\u{e9}llo, w\u{f6}rld\r\nsecond line\n";

/// The app: `main.py` and the package `mypkg` (with a module `util`, data files at the top,
/// in `data/` and `data/nested/`, and a subpackage `sub` with its own data file).
fn data_app() -> AppDir {
    let app = write_app(
        "datafiles",
        &[
            ("main.py", DATA_MAIN),
            ("mypkg/__init__.py", "WHERE = 'mypkg'\n"),
            ("mypkg/util.py", "WHERE = 'mypkg.util'\n"),
            ("mypkg/top.txt", "top level data\n"),
            ("mypkg/data/greeting.txt", GREETING),
            ("mypkg/sub/__init__.py", "WHERE = 'mypkg.sub'\n"),
            ("mypkg/sub/info.txt", "sub info\n"),
        ],
    );
    let deep = app.path.join("mypkg/data/nested/deep.bin");
    fs::create_dir_all(deep.parent().expect("in a directory")).expect("mkdir");
    fs::write(&deep, DEEP_BIN).unwrap_or_else(|e| panic!("write {}: {e}", deep.display()));
    app
}

fn data_bundle(python: &Interpreter) -> Result<&'static Frozen, String> {
    bundle_of("datafiles", python, data_app)
}

/// What the data app prints for `python` in mode `all` (`as_file` true) or `no-as-file`.
fn expected_data_stdout(python: &Interpreter, as_file: bool) -> String {
    let mut out = String::from(
        r"__file__ True
sub __file__ True
get_data top b'top level data\n'
get_data sub b'sub info\n'
get_data via module b'top level data\n'
get_data deep b'\x00\x01\x02\xff\xfe\x80\r\n\x7f'
get_data missing raised FileNotFoundError
loader get_data b'h\xc3\xa9llo, w\xc3\xb6rld\r\nsecond line\n'
loader get_data sub b'sub info\n'
",
    );
    if python.version_info.1 >= 9 {
        out += r"iterdir mypkg ['data', 'sub', 'top.txt']
iterdir data ['greeting.txt', 'nested']
iterdir nested ['deep.bin']
iterdir sub pkg ['info.txt']
name 'data'
deep read_bytes b'\x00\x01\x02\xff\xfe\x80\r\n\x7f'
greeting read_text 'h\xe9llo, w\xf6rld\nsecond line\n'
top read_text default 'top level data\n'
sub via parent 'sub info\n'
sub files b'sub info\n'
is_dir data True
is_file data False
is_dir data/nested True
is_file data/nested False
is_dir top.txt False
is_file top.txt True
is_dir data/greeting.txt False
is_file data/greeting.txt True
is_dir sub True
is_file sub False
is_dir missing.txt False
is_file missing.txt False
is_dir data/missing False
is_file data/missing False
missing read_bytes raised FileNotFoundError
open (b'h\xc3\xa9llo, w\xc3\xb6rld\r\nsecond line\n', 'h\xe9llo, w\xf6rld\nsecond line\n')
";
        if as_file {
            out += r"as_file (True, b'h\xc3\xa9llo, w\xc3\xb6rld\r\nsecond line\n')
";
        }
    } else {
        out += r"contents ['data', 'sub', 'top.txt']
read_text 'top level data\n'
read_binary b'sub info\n'
open_binary b'top level data\n'
is_resource top.txt True
is_resource data False
is_resource missing.txt False
read_binary missing raised FileNotFoundError
";
        if as_file {
            out += r"path (True, b'top level data\n')
";
        }
    }
    out
}

/// Checks that a run exited 0 with nothing on stderr (what it printed is checked elsewhere).
fn expect_clean_exit(what: &str, out: &Output) -> Option<String> {
    (out.status != Status::Code(0) || !out.stderr.is_empty())
        .then(|| format!("{what}: expected exit code 0 and no stderr\n{out}"))
}

#[test]
fn package_data_is_served_like_cpython_serves_files() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = data_bundle(python)?;
        // A fresh copy of the app for the reference runs (CPython run with -E writes
        // __pycache__ there; the frozen app was built from another copy, already removed).
        let app = data_app();
        let mut problems = Vec::new();
        let cache = tempdir("cache");
        let env = [(
            "XDG_CACHE_HOME",
            Some(cache.path().to_str().expect("scratch paths are UTF-8")),
        )];
        for (mode, as_file) in [("all", true), ("no-as-file", false)] {
            problems.extend(compare(
                python,
                &frozen.exe,
                &app,
                &Case::new(&[mode], Status::Code(0)).env(&env),
            ));
            // The same expectation of both: a CPython that disagrees means a wrong test,
            // and both sides wrong the same way cannot pass.
            let expected = expected_data_stdout(python, as_file);
            let reference = run_python(python, &app.path, &["main.py", mode], None, &[]);
            problems.extend(check_exact(
                &format!("{python}: REFERENCE `python -E -s -S main.py {mode}` (a wrong test?)"),
                &reference,
                &Exact::clean(&expected),
            ));
            let out = run_frozen_in(&frozen.exe, &app.path, &[mode], None, &env);
            problems.extend(check_exact(
                &format!("{python}: frozen app, mode {mode}"),
                &out,
                &Exact::clean(&expected),
            ));
        }
        Ok(problems)
    });
}

#[test]
fn package_data_reads_write_nothing_to_disk() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = data_bundle(python)?;
        let mut problems = Vec::new();
        // What the modes print is package_data_is_served_like_cpython_serves_files' business;
        // here: where they write.
        for (mode, stdout) in [
            // every read but as_file()/path(): nothing at all is written
            ("no-as-file", None),
            // with as_file()/path(): only the copy in the per-user cache
            ("all", None),
            // ... which is where it is made (so the empty TMPDIR below means something)
            ("where", Some("copy in the cache True True\n")),
        ] {
            let tmp = tempdir("tmpdir");
            let cwd = tempdir("cwd");
            let cache = tempdir("cache");
            let tmp_path = tmp.path().to_str().expect("scratch paths are UTF-8");
            let cache_path = cache.path().to_str().expect("scratch paths are UTF-8");
            let out = run_frozen_in(
                &frozen.exe,
                cwd.path(),
                &[mode],
                None,
                &[
                    ("TMPDIR", Some(tmp_path)),
                    ("XDG_CACHE_HOME", Some(cache_path)),
                ],
            );
            let what = format!("{python}: frozen app, mode {mode}, TMPDIR={tmp_path}");
            problems.extend(match stdout {
                Some(stdout) => check_exact(&what, &out, &Exact::clean(stdout)),
                None => expect_clean_exit(&what, &out),
            });
            let mut untouched = vec![
                (tmp.path(), "TMPDIR"),
                (cwd.path(), "the current directory"),
            ];
            if mode == "no-as-file" {
                untouched.push((cache.path(), "the per-user cache"));
            }
            for (dir, what) in untouched {
                let left = list_tree(dir);
                if !left.is_empty() {
                    problems.push(format!(
                        "{python}: frozen app, mode {mode}: {what} ({}) should be empty after \
                         the run; it holds {left:?}",
                        dir.display()
                    ));
                }
            }
        }
        Ok(problems)
    });
}

#[test]
fn missing_distribution_raises_package_not_found_error() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = data_bundle(python)?;
        let app = data_app();
        let mut problems = Vec::new();
        for case in [
            Case::new(&["missing"], Status::Code(0)),
            Case::new(&["missing-uncaught"], Status::Code(1)),
        ] {
            problems.extend(compare(python, &frozen.exe, &app, &case));
        }
        // What the comparison stands on, on the frozen app itself.
        let out = run_frozen_in(&frozen.exe, &app.path, &["missing"], None, &[]);
        let lines: Vec<&str> = out.stdout.lines().collect();
        let expected = ["version", "metadata", "distribution", "requires", "files"];
        let good = out.status == Status::Code(0)
            && lines.len() == expected.len()
            && lines.iter().zip(expected).all(|(line, name)| {
                line.starts_with(&format!("{name} raised PackageNotFoundError "))
                    && line.contains("no-such-dist")
                    && line.ends_with(" True")
            });
        if !good {
            problems.push(format!(
                "{python}: frozen app, mode missing: each of {expected:?} should raise \
                     PackageNotFoundError (a ModuleNotFoundError) for no-such-dist\n{out}"
            ));
        }
        let out = run_frozen_in(&frozen.exe, &app.path, &["missing-uncaught"], None, &[]);
        if out.status != Status::Code(1)
            || !out
                .stderr
                .lines()
                .last()
                .is_some_and(|l| l.starts_with("importlib.metadata.PackageNotFoundError: "))
        {
            problems.push(format!(
                "{python}: frozen app, mode missing-uncaught: should end with exit code 1 \
                     and a traceback ending with importlib.metadata.PackageNotFoundError\n{out}"
            ));
        }
        Ok(problems)
    });
}

#[test]
fn ls_lists_package_data_files() {
    let python = newest_interpreter();
    let frozen = data_bundle(python).unwrap_or_else(|e| panic!("{e}"));
    let entries = listed_entries(&frozen.exe).unwrap_or_else(|e| panic!("{python}: {e}"));
    let data: Vec<&str> = entries
        .iter()
        .filter(|(k, _)| k == "data")
        .map(|(_, n)| n.as_str())
        .collect();
    for name in [
        "mypkg/top.txt",
        "mypkg/data/greeting.txt",
        "mypkg/data/nested/deep.bin",
        "mypkg/sub/info.txt",
    ] {
        assert!(
            data.contains(&name),
            "{python}: pyfreeze ls --json lists no data entry {name:?}; data entries: {data:?}"
        );
    }
    let code: Vec<&&str> = data
        .iter()
        .filter(|n| n.starts_with("mypkg/") && (n.ends_with(".py") || n.contains("__pycache__")))
        .collect();
    assert!(
        code.is_empty(),
        "{python}: modules are not data, yet pyfreeze ls --json lists {code:?} as data"
    );
}

// ---------------------------------------------------------------------------------------
// Distribution metadata, from a virtualenv
// ---------------------------------------------------------------------------------------

/// The distributions pip installs into each venv: `python-dateutil` requires `six`;
/// `pyflakes` has a console script and no requirements. All pure Python.
const PINS: [&str; 3] = [
    "python-dateutil==2.9.0.post0",
    "six==1.16.0",
    "pyflakes==3.2.0",
];

/// Uses dateutil and asks `importlib.metadata` about the distributions it bundles. With
/// `pip`: asks for pip's version (pip is in the venv; the app does not import it).
const VENV_MAIN: &str = r#"import sys
import importlib.metadata as md

import dateutil.parser
import pyflakes

MODE = sys.argv[1] if len(sys.argv) > 1 else "all"
WANTED = {"python-dateutil", "six", "pyflakes"}


def show(label, get):
    try:
        value = get()
    except Exception as e:
        print(label, "raised", type(e).__name__)
    else:
        print(label, ascii(value))


def console_scripts():
    eps = md.entry_points()
    if hasattr(eps, "select"):
        group = eps.select(group="console_scripts")
    else:
        group = eps.get("console_scripts", ())
    return sorted((ep.name, ep.value) for ep in group if ep.name == "pyflakes")


if MODE == "all":
    show("dateutil year", lambda: dateutil.parser.parse("2024-01-02").year)
    show("pyflakes", lambda: pyflakes.__version__)
    # Before anything reads a METADATA file: entry points are found by the distributions'
    # directory names, as CPython's finder names them, without the email parser.
    show("console_scripts first", console_scripts)
    show("email parser imported", lambda: "email.parser" in sys.modules)
    show("version python-dateutil", lambda: md.version("python-dateutil"))
    show("version six", lambda: md.version("six"))
    show("version pyflakes", lambda: md.version("pyflakes"))
    show("version Python_Dateutil", lambda: md.version("Python_Dateutil"))
    show("metadata six Name", lambda: md.metadata("six")["Name"])
    show("metadata six Summary", lambda: md.metadata("six")["Summary"])
    show("requires python-dateutil", lambda: md.requires("python-dateutil"))
    show("requires six", lambda: md.requires("six"))
    show("files six lists six.py", lambda: any(str(f) == "six.py" for f in md.files("six")))
    show("distributions", lambda: sorted(
        n for n in (d.metadata["Name"].lower() for d in md.distributions()) if n in WANTED
    ))
    show("pyflakes entry_points", lambda: sorted(
        (ep.group, ep.name, ep.value) for ep in md.distribution("pyflakes").entry_points
    ))
    show("console_scripts", console_scripts)
    show("version no-such-dist", lambda: md.version("no-such-dist"))
elif MODE == "pip":
    show("version pip", lambda: md.version("pip"))
"#;

/// What the venv app prints (mode `all`), with the pinned versions.
const VENV_STDOUT: &str = r"dateutil year 2024
pyflakes '3.2.0'
console_scripts first [('pyflakes', 'pyflakes.api:main')]
email parser imported False
version python-dateutil '2.9.0.post0'
version six '1.16.0'
version pyflakes '3.2.0'
version Python_Dateutil '2.9.0.post0'
metadata six Name 'six'
metadata six Summary 'Python 2 and 3 compatibility utilities'
requires python-dateutil ['six >=1.5']
requires six None
files six lists six.py True
distributions ['pyflakes', 'python-dateutil', 'six']
pyflakes entry_points [('console_scripts', 'pyflakes', 'pyflakes.api:main')]
console_scripts [('pyflakes', 'pyflakes.api:main')]
version no-such-dist raised PackageNotFoundError
";

fn venv_app() -> AppDir {
    write_app("venvapp", &[("main.py", VENV_MAIN)])
}

/// The venv of `base` and the venv app frozen with the venv's python. A test that needs
/// it fails when pip cannot reach the package index: it would otherwise pass untested.
fn venv_bundle(base: &Interpreter) -> Result<(&'static Venv, &'static Frozen), String> {
    let venv = venv("metadata", base, &PINS)
        .as_ref()
        .map_err(|e| format!("{base}: {e}"))?;
    Ok((venv, bundle_with("venvapp", &venv.python, &[], venv_app)?))
}

/// Moves a directory away while it lives, and back when dropped.
struct MovedAway {
    from: PathBuf,
    to: PathBuf,
}

impl MovedAway {
    fn new(from: &Path) -> std::io::Result<Self> {
        let to = from.with_extension("moved-away");
        fs::rename(from, &to)?;
        Ok(MovedAway {
            from: from.to_owned(),
            to,
        })
    }
}

impl Drop for MovedAway {
    fn drop(&mut self) {
        let _ = fs::rename(&self.to, &self.from);
    }
}

#[test]
fn metadata_of_venv_distributions_matches_cpython() {
    let test = test_name!();
    for_each_of(test, newest_and_3_8(test), |base| {
        let (venv, frozen) = venv_bundle(base)?;
        let python = &venv.python;
        let app = venv_app();
        let mut problems = Vec::new();
        let reference = venv.run_main(&app.path);
        problems.extend(check_exact(
            &format!("{python}: REFERENCE `<venv>/bin/python -E -s main.py` (a wrong test?)"),
            &reference,
            &Exact::clean(VENV_STDOUT),
        ));
        let first = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
        // Differential (the reference's own stdout as the expectation), then the literal.
        problems.extend(check_exact(
            &format!("{python}: frozen venv app vs `<venv>/bin/python -E -s main.py`"),
            &first,
            &Exact::clean(&reference.stdout),
        ));
        if reference.stdout != VENV_STDOUT {
            problems.extend(check_exact(
                &format!("{python}: frozen venv app"),
                &first,
                &Exact::clean(VENV_STDOUT),
            ));
        }
        // pip is in the venv and nothing imports it, but the app reads its version by
        // name: its metadata is bundled (and only that: the app cannot import pip).
        let pip = venv.run_main_args(&app.path, &["pip"]);
        let out = run_frozen_in(&frozen.exe, &app.path, &["pip"], None, &[]);
        problems.extend(check_exact(
            &format!("{python}: frozen venv app, mode pip, vs the venv's python"),
            &out,
            &Exact::clean(&pip.stdout),
        ));
        if !pip.stdout.starts_with("version pip '") || pip.status != Status::Code(0) {
            problems.push(format!(
                "{python}: REFERENCE mode pip (a wrong test?)\n{pip}"
            ));
        }
        // Self-contained: the same output with the venv gone.
        match MovedAway::new(&venv.dir) {
            Ok(moved) => {
                let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
                problems.extend(check_exact(
                    &format!(
                        "{python}: frozen venv app with the venv moved to {} (vs the same app with \
                         the venv in place)",
                        moved.to.display()
                    ),
                    &out,
                    &Exact::clean(&first.stdout),
                ));
            }
            Err(e) => problems.push(format!(
                "{python}: could not move {} away: {e}",
                venv.dir.display()
            )),
        }
        Ok(problems)
    });
}

#[test]
fn ls_lists_the_dist_info_of_venv_distributions() {
    let test = test_name!();
    for_each_of(test, newest_and_3_8(test), |base| {
        let (venv, frozen) = venv_bundle(base)?;
        let python = &venv.python;
        let entries = listed_entries(&frozen.exe).map_err(|e| format!("{python}: {e}"))?;
        let mut problems = Vec::new();
        for name in [
            "six-1.16.0.dist-info/METADATA",
            "six-1.16.0.dist-info/RECORD",
            "python_dateutil-2.9.0.post0.dist-info/METADATA",
            "pyflakes-3.2.0.dist-info/METADATA",
            "pyflakes-3.2.0.dist-info/entry_points.txt",
        ] {
            if !entries.iter().any(|(k, n)| k == "data" && n == name) {
                let data: Vec<&String> = entries
                    .iter()
                    .filter(|(k, _)| k == "data")
                    .map(|(_, n)| n)
                    .collect();
                problems.push(format!(
                    "{python}: pyfreeze ls --json lists no data entry {name:?}; data \
                     entries: {data:?}"
                ));
            }
        }
        // Nothing imports pip, but the app reads its version by name: its metadata is
        // bundled, none of its modules.
        let pip_modules: Vec<_> = entries
            .iter()
            .filter(|(k, n)| k != "data" && (n == "pip" || n.starts_with("pip.")))
            .collect();
        let pip_metadata = entries.iter().any(|(k, n)| {
            k == "data" && n.starts_with("pip-") && n.ends_with(".dist-info/METADATA")
        });
        if !pip_modules.is_empty() || !pip_metadata {
            problems.push(format!(
                "{python}: pip's METADATA should be listed and none of its modules; pyfreeze \
                 ls --json lists metadata: {pip_metadata}, modules: {pip_modules:?}"
            ));
        }
        Ok(problems)
    });
}
