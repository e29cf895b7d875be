//! A handful of the popular-packages corpus's apps in `cargo test`: a C extension (PyYAML,
//! with libyaml), a mypyc-compiled package (charset-normalizer), a Rust extension (orjson)
//! and package data read through `importlib.resources` (certifi; tzdata with `zoneinfo`).
//!
//! Each app is `bench/corpus/apps/<name>.py` itself, read at test time and staged as the
//! corpus stages it: `import _corpus_probe` first, beside `bench/corpus/_corpus_probe.py`,
//! which writes `sys.modules` at exit. The distributions, pinned for every CPython 3.8–3.13
//! in `popular_packages.txt`, are installed by pip into a venv of every interpreter (binary
//! wheels only). The app is frozen from the venv with no flag, run with Python, the venv and
//! the system's libraries hidden, and compared with `<venv>/bin/python -E -s main.py`: exit
//! status, stdout, masked stderr and the modules in `sys.modules` at exit, less those the
//! corpus leaves out (`bench/corpus/README.md`). The frozen run must not write into the
//! `HOME` and `TMPDIR` it is given, not even a file it removes before it ends.
//!
//! pip must reach the package index: when it cannot, these tests fail, as they have nothing
//! to freeze.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use pyfreeze_tests::{
    differences, for_each_of, freeze, interpreters, list_tree, mask, mask_frozen, run_python, say,
    tempdir, test_name, unshare_unavailable, venv, workspace_root, write_app, Checked, Env, Hidden,
    Interpreter, NoVenv, Output, Status, Venv,
};

/// One corpus app and what its reference run must show for the comparison to test what the
/// app is here for.
struct App {
    /// `bench/corpus/apps/<name>.py`.
    name: &'static str,
    /// What it covers, for messages.
    covers: &'static str,
    /// The oldest CPython 3 minor version it runs on.
    since_minor: u32,
    /// `(module, kind)` the CPython run must have in `sys.modules` at exit, kind as
    /// `_corpus_probe` tells it; a leading `*` matches any name ending with the rest. Without
    /// them a wheel falling back to pure Python would pass as the native case.
    must_import: &'static [(&'static str, &'static str)],
    /// A file the frozen run must put in the per-user cache (`$HOME/.cache/pyfreeze/`,
    /// the only place a bundle writes), if any: certifi's `where()` asks
    /// `importlib.resources.as_file` for a real file, which is made once there. Any other
    /// write into `HOME` or `TMPDIR` fails the test.
    caches: Option<&'static str>,
}

const PYYAML: App = App {
    name: "pyyaml",
    covers: "a C extension with libyaml",
    since_minor: 8,
    must_import: &[("yaml._yaml", "extension")],
    caches: None,
};

const CHARSET_NORMALIZER: App = App {
    name: "charset_normalizer",
    covers: "a mypyc-compiled package",
    since_minor: 8,
    must_import: &[
        ("charset_normalizer.md", "extension"),
        ("*__mypyc", "extension"),
    ],
    caches: None,
};

const ORJSON: App = App {
    name: "orjson",
    covers: "a Rust extension",
    since_minor: 8,
    must_import: &[("orjson.orjson", "extension")],
    caches: None,
};

const CERTIFI: App = App {
    name: "certifi",
    covers: "package data through importlib.resources",
    since_minor: 8,
    must_import: &[
        ("certifi.core", "source"),
        ("importlib.resources", "source"),
    ],
    caches: Some("cacert.pem"),
};

const TZDATA: App = App {
    name: "tzdata",
    covers: "package data through zoneinfo and importlib.resources",
    // zoneinfo is new in 3.9.
    since_minor: 9,
    must_import: &[
        ("tzdata.zoneinfo.Europe", "source"),
        ("zoneinfo._common", "source"),
    ],
    caches: None,
};

#[test]
fn popular_pyyaml_c_extension_runs_frozen_as_under_cpython() {
    check(test_name!(), &PYYAML);
}

#[test]
fn popular_charset_normalizer_mypyc_runs_frozen_as_under_cpython() {
    check(test_name!(), &CHARSET_NORMALIZER);
}

#[test]
fn popular_orjson_rust_extension_runs_frozen_as_under_cpython() {
    check(test_name!(), &ORJSON);
}

#[test]
fn popular_certifi_package_data_runs_frozen_as_under_cpython() {
    check(test_name!(), &CERTIFI);
}

#[test]
fn popular_tzdata_zoneinfo_package_data_runs_frozen_as_under_cpython() {
    check(test_name!(), &TZDATA);
}

/// Names in `sys.modules` at exit in one mode only by construction, which the corpus leaves
/// out (`bench/corpus/README.md` says why, one by one).
const IGNORED_MODULES: &[&str] = &[
    "site",
    "_sitebuiltins",
    "sitecustomize",
    "usercustomize",
    "_distutils_hack",
    "_bootlocale",
];
const IGNORED_PREFIX: &str = "_pyfreeze";

/// CPython's file-system loader answers `importlib.resources` with `importlib.readers`, a
/// bundle with a reader of its own: what importing it adds is left out where only CPython
/// has it, as in the corpus.
const LOADER_READERS: &str = "importlib.readers";
const LOADER_ONLY: &str = "import sys, importlib, importlib.resources; before = set(sys.modules)
for name in ('importlib.readers', 'importlib.resources.readers'):
    try:
        importlib.import_module(name)
    except ImportError:
        pass
print(' '.join(sorted(set(sys.modules) - before)))
";

fn check(test: &str, app: &App) {
    let requirements = workspace_root()
        .join("tests")
        .join("it")
        .join("popular_packages.txt");
    let requirements = requirements
        .to_str()
        .expect("the repository's path is UTF-8");
    if let Some(why) = unshare_unavailable() {
        panic!("{test}: cannot hide Python, the venv and the libraries: {why}");
    }
    let pythons: Vec<&Interpreter> = interpreters()
        .iter()
        .filter(|python| {
            let runs = python.version_info.1 >= app.since_minor;
            if !runs {
                say(&format!(
                    "{test}: not for {python}: the app needs Python 3.{}",
                    app.since_minor
                ));
            }
            runs
        })
        .collect();
    for_each_of(test, pythons, |base| {
        let venv = venv(
            "popular-packages",
            base,
            &["--only-binary", ":all:", "--no-deps", "-r", requirements],
        )
        .as_ref()
        .map_err(|e| match e {
            NoVenv::Unreachable(why) => format!(
                "{base}: pip could not reach the package index, and {} has nothing to freeze \
                 without it: {why}",
                app.name
            ),
            NoVenv::Failed(why) => why.clone(),
        })?;
        compare_app(app, base, venv)
    });
}

/// A run of an app: what it printed, its modules at exit, and what it did to the `HOME`
/// and `TMPDIR` it was given, empty.
struct Run {
    out: Output,
    modules: Option<BTreeMap<String, String>>,
    home: Written,
    tmp: Written,
}

/// What a run wrote into a directory it was given empty.
struct Written {
    left: Vec<PathBuf>,
    /// A file written and removed before the run ended (certifi's copy of its CA bundle,
    /// which it removes at exit) leaves nothing to list, only the directory's time changed.
    modified: bool,
}

/// The modification time given to `HOME` and `TMPDIR` before a run: nothing the run does
/// can leave it so.
const UNTOUCHED: SystemTime = UNIX_EPOCH;

fn untouched(dir: &Path) {
    fs::create_dir(dir).expect("mkdir in scratch space");
    fs::File::open(dir)
        .and_then(|d| d.set_modified(UNTOUCHED))
        .unwrap_or_else(|e| panic!("set the time of {}: {e}", dir.display()));
}

fn written(dir: &Path) -> Written {
    Written {
        left: list_tree(dir),
        modified: fs::metadata(dir).and_then(|m| m.modified()).ok() != Some(UNTOUCHED),
    }
}

/// Runs `start(env)` with `HOME`, `TMPDIR` and `CORPUS_MODULES_OUT` set to fresh paths.
fn run_app(start: impl FnOnce(&Env<'_>) -> Output) -> Run {
    let dirs = tempdir("popular-run");
    let [home, tmp, modules] = ["home", "tmp", "modules.txt"].map(|n| dirs.path().join(n));
    untouched(&home);
    untouched(&tmp);
    let utf8 = |p: &Path| p.to_str().expect("scratch paths are UTF-8").to_owned();
    let (home_s, tmp_s, modules_s) = (utf8(&home), utf8(&tmp), utf8(&modules));
    let out = start(&[
        ("HOME", Some(&home_s)),
        ("TMPDIR", Some(&tmp_s)),
        ("CORPUS_MODULES_OUT", Some(&modules_s)),
        ("XDG_CACHE_HOME", None),
        ("XDG_CONFIG_HOME", None),
        ("XDG_DATA_HOME", None),
    ]);
    Run {
        out,
        modules: fs::read_to_string(&modules).ok().map(|text| {
            text.lines()
                .filter_map(|l| l.split_once('\t'))
                .map(|(name, kind)| (name.to_owned(), kind.to_owned()))
                .collect()
        }),
        home: written(&home),
        tmp: written(&tmp),
    }
}

/// Freezes `app` from `venv` (made by `base`), runs it, and compares it with its CPython
/// run.
fn compare_app(app: &App, base: &Interpreter, venv: &Venv) -> Checked {
    let python = &venv.python;
    let what = format!("{} ({}) on {base}", app.name, app.covers);
    let corpus = workspace_root().join("bench").join("corpus");
    let read = |path: &Path| {
        fs::read_to_string(path).map_err(|e| format!("{what}: read {}: {e}", path.display()))
    };
    let main = format!(
        "import _corpus_probe\n{}",
        read(&corpus.join("apps").join(format!("{}.py", app.name)))?
    );
    let probe = read(&corpus.join("_corpus_probe.py"))?;
    let src = write_app(
        app.name,
        &[("main.py", &main), ("_corpus_probe.py", &probe)],
    );
    let frozen = freeze(&src.path, python, &[]).map_err(|e| format!("{what}: {e}"))?;
    let reference = run_app(|env| venv.run_main_env(&src.path, env));
    let exe = &frozen.exe;
    let run = run_app(|env| {
        let mut hidden = Hidden::python_and_libraries();
        hidden.hide_dir(&venv.dir);
        hidden.run_env(exe, python, &[], env)
    });

    let site = venv.site_packages()?;
    let masked_ref = mask(
        &reference.out.stderr,
        &[
            (&src.path, "[APP]"),
            (&site, "[SITE]"),
            (&python.stdlib, "[STDLIB]"),
        ],
    );
    let mut problems = Vec::new();
    let found = differences(
        &what,
        Status::Code(0),
        &reference.out,
        &run.out,
        &masked_ref,
        exe,
    );
    if !found.is_empty() {
        let masked_frozen = mask_frozen(&run.out.stderr, exe);
        problems.push(format!(
            "{what}: {}\n{}",
            first_difference(&reference.out, &run.out, &masked_ref, &masked_frozen),
            found.join("\n")
        ));
    }
    problems.extend(reference_imports(&what, app, &reference));
    problems.extend(module_differences(&what, venv, &reference, &run)?);
    let cache = Path::new(".cache/pyfreeze");
    let cached: Vec<&PathBuf> = run
        .home
        .left
        .iter()
        .filter(|p| p.starts_with(cache))
        .collect();
    if let Some(file) = app.caches {
        if !cached
            .iter()
            .any(|p| p.file_name() == Some(OsStr::new(file)))
        {
            problems.push(format!(
                "{what}: the frozen run should have put {file} in $HOME/{}; it left {cached:?}",
                cache.display()
            ));
        }
    }
    let home = Written {
        left: run
            .home
            .left
            .iter()
            .filter(|p| app.caches.is_none() || !(p.starts_with(cache) || cache.starts_with(p)))
            .cloned()
            .collect(),
        modified: run.home.modified && app.caches.is_none(),
    };
    for (dir, written) in [("HOME", &home), ("TMPDIR", &run.tmp)] {
        if written.modified || !written.left.is_empty() {
            problems.push(format!(
                "{what}: the frozen run wrote into its {dir}, given empty (its modification \
                 time changed); it left {}",
                if written.left.is_empty() {
                    "nothing".to_owned()
                } else {
                    format!("{:?}", written.left)
                }
            ));
        }
    }
    Ok(problems)
}

/// The first line that differs between the runs, status first: what a failure's headline
/// shows before the whole runs.
fn first_difference(
    reference: &Output,
    frozen: &Output,
    masked_ref: &str,
    masked_frozen: &str,
) -> String {
    let mut found = Vec::new();
    if reference.status != frozen.status {
        let last = frozen.stderr.lines().rev().find(|l| !l.trim().is_empty());
        found.push(format!(
            "CPython ended with {}, frozen with {}{}",
            reference.status,
            frozen.status,
            last.map_or(String::new(), |l| format!(": {l}"))
        ));
    }
    for (stream, cpython, frozen) in [
        ("stdout", reference.stdout.as_str(), frozen.stdout.as_str()),
        ("stderr (masked)", masked_ref, masked_frozen),
    ] {
        if cpython == frozen {
            continue;
        }
        let (a, b): (Vec<&str>, Vec<&str>) = (cpython.lines().collect(), frozen.lines().collect());
        found.push(
            (0..a.len().max(b.len()))
                .find(|&i| a.get(i) != b.get(i))
                .map_or_else(
                    || format!("{stream}: the same lines, other line ends"),
                    |i| {
                        format!(
                            "{stream} line {}: CPython {:?}, frozen {:?}",
                            i + 1,
                            a.get(i).unwrap_or(&"<end>"),
                            b.get(i).unwrap_or(&"<end>")
                        )
                    },
                ),
        );
    }
    found.join("; ")
}

/// What is missing from the reference's modules of what the app is here for.
fn reference_imports(what: &str, app: &App, reference: &Run) -> Vec<String> {
    let Some(modules) = &reference.modules else {
        return vec![format!(
            "{what}: the REFERENCE run wrote no module list (CORPUS_MODULES_OUT)\n{}",
            reference.out
        )];
    };
    app.must_import
        .iter()
        .filter(|(pattern, kind)| {
            !modules.iter().any(|(name, k)| {
                let matches = pattern
                    .strip_prefix('*')
                    .map_or(name == pattern, |suffix| name.ends_with(suffix));
                matches && k == kind
            })
        })
        .map(|(pattern, kind)| {
            format!(
                "{what}: the REFERENCE run has no {kind} module {pattern} in sys.modules at \
                 exit: the app does not test what it is here for (a wheel without its native \
                 code?)"
            )
        })
        .collect()
}

/// The names in `sys.modules` at exit in one run only, less what the corpus leaves out.
fn module_differences(
    what: &str,
    venv: &Venv,
    reference: &Run,
    frozen: &Run,
) -> Result<Vec<String>, String> {
    let (Some(cpython), Some(bundle)) = (&reference.modules, &frozen.modules) else {
        return Ok(if frozen.modules.is_none() {
            vec![format!(
                "{what}: the frozen run wrote no module list (CORPUS_MODULES_OUT)"
            )]
        } else {
            Vec::new()
        });
    };
    let kept = |modules: &BTreeMap<String, String>| -> BTreeSet<String> {
        modules
            .keys()
            .filter(|n| !IGNORED_MODULES.contains(&n.as_str()) && !n.starts_with(IGNORED_PREFIX))
            .cloned()
            .collect()
    };
    let exempt = if cpython.contains_key(LOADER_READERS) && !bundle.contains_key(LOADER_READERS) {
        loader_only(venv)?
    } else {
        BTreeSet::new()
    };
    let (cpython, bundle) = (kept(cpython), kept(bundle));
    let only_cpython: Vec<&String> = cpython
        .difference(&bundle)
        .filter(|n| !exempt.contains(*n))
        .collect();
    let only_frozen: Vec<&String> = bundle.difference(&cpython).collect();
    Ok(if only_cpython.is_empty() && only_frozen.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "{what}: sys.modules at exit differs: only under CPython {only_cpython:?}, only \
             frozen {only_frozen:?}"
        )]
    })
}

/// What importing CPython's resource readers adds once `importlib.resources` is imported,
/// as the venv's python says.
fn loader_only(venv: &Venv) -> Result<BTreeSet<String>, String> {
    let dir = tempdir("loader-only");
    let out = run_python(&venv.python, dir.path(), &["-c", LOADER_ONLY], None, &[]);
    if out.status != Status::Code(0) {
        return Err(format!(
            "{}: what importlib.readers imports\n{out}",
            venv.python
        ));
    }
    Ok(out.stdout.split_whitespace().map(str::to_owned).collect())
}
