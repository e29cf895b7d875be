//! Shared libraries that need each other (`DT_NEEDED` cycles, as Pillow's vendored
//! libfreetype and libharfbuzz), built here with the C compiler, load from the bundle.
//!
//! * Two extension modules: `pfzcycle` needs libpfzcycle-alpha, which needs
//!   libpfzcycle-beta, which needs it back (both with versioned symbols); `pfzring` needs
//!   libpfzring-one of the ring one -> two -> three -> one. The frozen app calls through
//!   every library of both and `ctypes.CDLL`s a member of each by soname; it prints what
//!   CPython prints, on every interpreter, run again with Python, the system's libraries
//!   and the built libraries hidden.
//! * `pyfreeze ls --json` shows each member's group and the `DT_NEEDED` strings the stub
//!   rewrites (`links`).
//! * A pair whose sonames are too short to be rewritten to a memfd path: the build leaves
//!   the extension module that needs them out and says why.

use std::ffi::OsStr;
use std::fs;
use std::path::Path;

use pyfreeze_tests::{
    assert_no_problems, compare, for_each_interpreter, freeze, newest_interpreter, run_frozen_in,
    run_python, test_name, unshare_unavailable, write_app, Case, Interpreter, Status,
};
use serde_json::Value;

use pyfreeze_tests::{c_toolchain, cc, ls_json, Hidden};

/// A library of a cycle: its soname, source, and the libraries it is linked to. Listed
/// in the order they are built: a library is linked against those before it, so the
/// first is built twice, first without the last one, which does not exist yet.
type Library = (&'static str, &'static str, &'static [&'static str]);

const PAIR: &[Library] = &[
    (
        "libpfzcycle-alpha.so.1",
        "int pfz_beta_twice(int);\n\
         int pfz_alpha_inc(int x) { return x + 1; }\n\
         int pfz_alpha_entry(int x) { return pfz_beta_twice(x) * 10 + pfz_alpha_inc(x); }\n",
        &["libpfzcycle-beta.so.1"],
    ),
    (
        "libpfzcycle-beta.so.1",
        "int pfz_alpha_inc(int);\n\
         int pfz_beta_twice(int x) { return pfz_alpha_inc(x) * 2; }\n",
        &["libpfzcycle-alpha.so.1"],
    ),
];

const RING: &[Library] = &[
    (
        "libpfzring-one.so.1",
        "int pfz_two(int);\n\
         int pfz_one_leaf(int x) { return x - 5; }\n\
         int pfz_one_entry(int x) { return pfz_two(x) + 1; }\n",
        &["libpfzring-two.so.1"],
    ),
    (
        "libpfzring-three.so.1",
        "int pfz_one_leaf(int);\nint pfz_three(int x) { return pfz_one_leaf(x) * 7; }\n",
        &["libpfzring-one.so.1"],
    ),
    (
        "libpfzring-two.so.1",
        "int pfz_three(int);\nint pfz_two(int x) { return pfz_three(x) * 3; }\n",
        &["libpfzring-three.so.1"],
    ),
];

/// Names too short for `/proc/self/fd/NNN`.
const SHORT: &[Library] = &[
    (
        "libpfzs-a.so.1",
        "int pfz_sb(int);\nint pfz_sa(int x) { return x; }\nint pfz_s(int x) { return pfz_sb(x); }\n",
        &["libpfzs-b.so.1"],
    ),
    (
        "libpfzs-b.so.1",
        "int pfz_sa(int);\nint pfz_sb(int x) { return pfz_sa(x) + 1; }\n",
        &["libpfzs-a.so.1"],
    ),
];

/// An extension module `MODNAME` (`PyInit_` `INIT`) whose `run(x)` returns `ENTRY(x)`.
const EXTENSION_C: &str = r#"#define PY_SSIZE_T_CLEAN
#include <Python.h>
extern int ENTRY(int);
static PyObject *run(PyObject *self, PyObject *arg) {
    long x = PyLong_AsLong(arg);
    (void)self;
    if (x == -1 && PyErr_Occurred()) return NULL;
    return PyLong_FromLong(ENTRY((int)x));
}
static PyMethodDef methods[] = {{"run", run, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, MODNAME, NULL, -1, methods};
PyMODINIT_FUNC INIT(void) { return PyModule_Create(&def); }
"#;

const MAIN: &str = r#"import ctypes

import pfzcycle

print("pfzcycle", [pfzcycle.run(x) for x in (0, 1, 7)])
import pfzring

print("pfzring", [pfzring.run(x) for x in (0, 2, 5)])
print("ctypes beta", ctypes.CDLL("libpfzcycle-beta.so.1").pfz_beta_twice(20))
print("ctypes three", ctypes.CDLL("libpfzring-three.so.1").pfz_three(10))
"#;

/// 21 (x + 1) through alpha and beta; 21 (x - 5) + 1 round the ring.
const EXPECTED: &str = "pfzcycle [21, 42, 168]\npfzring [-104, -62, 1]\nctypes beta 42\n\
                        ctypes three 35\n";

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// Builds `libraries` into `lib`, from sources in `src`; each gets a version script, so
/// that its needs carry version requirements naming the libraries they need.
fn build_libraries(src: &Path, lib: &Path, libraries: &[Library]) {
    let link = |(soname, source, needs): &Library, needs_too: bool| {
        let stem = soname.replace(['.', '-'], "_");
        fs::write(src.join(format!("{stem}.c")), source).expect("write a library's source");
        fs::write(
            src.join(format!("{stem}.map")),
            format!("V_{} {{ global: *; }};", stem.to_uppercase()),
        )
        .expect("write a version script");
        let mut args: Vec<String> = vec![
            "-shared".into(),
            "-fPIC".into(),
            format!("-Wl,-soname,{soname}"),
            format!("-Wl,--version-script={stem}.map"),
            "-o".into(),
            lib.join(soname).display().to_string(),
            format!("{stem}.c"),
            format!("-L{}", lib.display()),
            // As a wheel's vendored libraries find each other.
            "-Wl,-rpath,$ORIGIN".into(),
        ];
        if needs_too {
            args.extend(needs.iter().map(|need| format!("-l:{need}")));
        }
        cc(src, &args.iter().map(OsStr::new).collect::<Vec<_>>());
    };
    link(&libraries[0], false);
    for library in &libraries[1..] {
        link(library, true);
    }
    link(&libraries[0], true);
}

/// Builds `module` into `app`, linked to `library` in `../lib` (a RUNPATH relative to
/// the module), its `run` calling `entry`.
fn build_extension(
    python: &Interpreter,
    app: &Path,
    module: &str,
    library: &str,
    entry: &str,
) -> Result<(), String> {
    let (include, suffix) = c_toolchain(python)?;
    let src = app.parent().expect("app in a directory").join("src");
    fs::write(src.join("ext.c"), EXTENSION_C).expect("write ext.c");
    let out = app.join(format!("{module}{suffix}"));
    cc(
        &src,
        &[
            os("-shared"),
            os("-fPIC"),
            os(&format!("-I{}", include.display())),
            os(&format!("-DMODNAME=\"{module}\"")),
            os(&format!("-DINIT=PyInit_{module}")),
            os(&format!("-DENTRY={entry}")),
            os("ext.c"),
            os("-o"),
            out.as_os_str(),
            os("-L../lib"),
            os(&format!("-l:{library}")),
            os("-Wl,-rpath,$ORIGIN/../lib"),
        ],
    );
    Ok(())
}

/// `<tmp>/<name>/main.py`, with `<tmp>/src` and `<tmp>/lib` (the libraries) beside it.
fn app_with_libraries(name: &str, main: &str, groups: &[&[Library]]) -> pyfreeze_tests::AppDir {
    let app = write_app(name, &[("main.py", main)]);
    let top = app.path.parent().expect("app in a directory");
    let (src, lib) = (top.join("src"), top.join("lib"));
    for dir in [&src, &lib] {
        fs::create_dir_all(dir).expect("mkdir");
    }
    for group in groups {
        build_libraries(&src, &lib, group);
    }
    app
}

/// Problems with the `entries` of `pyfreeze ls --json`: every member of the pair and the
/// ring listed with its group in load order, and each group's links naming members, at
/// offsets within the member, with room for the name.
fn check_listing(python: &Interpreter, entries: &[Value]) -> Vec<String> {
    let mut problems = Vec::new();
    for libraries in [PAIR, RING] {
        let mut links = 0;
        let mut groups = Vec::new();
        for (soname, _, _) in libraries {
            let Some(entry) = entries
                .iter()
                .find(|e| e["kind"] == "library" && e["name"] == *soname)
            else {
                problems.push(format!(
                    "{python}: pyfreeze ls --json lists no library {soname}"
                ));
                continue;
            };
            groups.push(entry["group"].clone());
            for link in entry["links"].as_array().into_iter().flatten() {
                links += 1;
                let needed = link["needed"].as_str().unwrap_or_default();
                let fits = link["offset"].as_u64().unwrap_or(u64::MAX)
                    + link["capacity"].as_u64().unwrap_or(0)
                    <= entry["original"].as_u64().unwrap_or(0);
                if !libraries.iter().any(|(s, _, _)| *s == needed)
                    || needed == *soname
                    || link["capacity"].as_u64() != Some(needed.len() as u64 + 1)
                    || !fits
                {
                    problems.push(format!("{python}: {soname} has a bad link {link}"));
                }
            }
        }
        let group = &groups[0];
        let members: Vec<&str> = group
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut sorted = members.clone();
        sorted.sort();
        let mut expected: Vec<&str> = libraries.iter().map(|(s, _, _)| *s).collect();
        expected.sort();
        if sorted != expected || groups.iter().any(|g| g != group) {
            problems.push(format!(
                "{python}: pyfreeze ls --json should give every member of {expected:?} the same \
                 group of them all; it gives {groups:?}"
            ));
        }
        // Each member but the first is mapped through a rewritten need.
        if links < libraries.len() - 1 {
            problems.push(format!(
                "{python}: pyfreeze ls --json shows {links} links for {expected:?}"
            ));
        }
    }
    problems
}

#[test]
fn libraries_that_need_each_other_load_from_the_bundle() {
    let test = test_name!();
    if let Some(why) = unshare_unavailable() {
        panic!("{test}: cannot hide the libraries: {why}");
    }
    for_each_interpreter(test, |python| {
        c_toolchain(python)?;
        let app = app_with_libraries("cycles", MAIN, &[PAIR, RING]);
        build_extension(python, &app.path, "pfzcycle", PAIR[0].0, "pfz_alpha_entry")?;
        build_extension(python, &app.path, "pfzring", RING[0].0, "pfz_one_entry")?;
        let reference = run_python(python, &app.path, &["main.py"], None, &[]);
        if reference.status != Status::Code(0) || reference.stdout != EXPECTED {
            return Err(format!(
                "{python}: the REFERENCE run is not as the test expects (a broken case?)\n\
                 --- expected stdout ---\n{EXPECTED}\n--- got ---\n{reference}"
            )
            .into());
        }
        let frozen = freeze(&app.path, python, &[]).map_err(|e| format!("{python}: {e}"))?;
        let mut problems = Vec::new();
        if frozen.build.stderr.contains("not bundled") {
            problems.push(format!(
                "{python}: the build should bundle both modules\n{}",
                frozen.build
            ));
        }
        problems.extend(compare(
            python,
            &frozen.exe,
            &app,
            &Case::new(&[], Status::Code(0)),
        ));
        match ls_json(&frozen.exe) {
            Ok(value) => problems.extend(check_listing(
                python,
                value["entries"].as_array().map_or(&[][..], Vec::as_slice),
            )),
            Err(e) => problems.push(format!("{python}: {e}")),
        }
        let mut hidden = Hidden::python_and_libraries();
        hidden.hide_dir(&app.path.parent().expect("app in a directory").join("lib"));
        let out = hidden.run(&frozen.exe, python, &[]);
        if out.status != Status::Code(0) || out.stdout != EXPECTED || !out.stderr.is_empty() {
            problems.push(format!(
                "{python}: with {} hidden, the frozen app should print what CPython \
                 printed\n--- expected stdout ---\n{EXPECTED}\n--- got ---\n{out}",
                hidden.describe()
            ));
        }
        Ok(problems)
    });
}

#[test]
fn a_cycle_that_cannot_be_rewritten_is_a_build_warning() {
    let test = test_name!();
    let python = newest_interpreter();
    if let Err(why) = c_toolchain(python) {
        panic!("{test}: needs a C toolchain: {why}");
    }
    let main =
        "try:\n    import pfzshort\nexcept ImportError:\n    print('pfzshort ImportError')\n\
                else:\n    print('pfzshort', pfzshort.run(4))\n";
    let app = app_with_libraries("shortcycle", main, &[SHORT]);
    build_extension(python, &app.path, "pfzshort", SHORT[0].0, "pfz_s")
        .unwrap_or_else(|e| panic!("{e}"));
    let reference = run_python(python, &app.path, &["main.py"], None, &[]);
    assert_eq!(
        reference.stdout, "pfzshort 5\n",
        "{python}: the REFERENCE run is not as the test expects\n{reference}"
    );
    let frozen = freeze(&app.path, python, &[]).unwrap_or_else(|e| panic!("{python}: {e}"));
    let mut problems = Vec::new();
    let warned = frozen.build.stderr.lines().any(|line| {
        line.starts_with("warning:")
            && line.contains("pfzshort")
            && line.contains("libpfzs-a.so.1")
            && line.contains("memfd path")
    });
    if !warned {
        problems.push(format!(
            "the build should warn that pfzshort is not bundled because its libraries' names \
             are too short to rewrite; it printed:\n{}",
            frozen.build
        ));
    }
    let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
    if out.stdout != "pfzshort ImportError\n" || out.status != Status::Code(0) {
        problems.push(format!(
            "{python}: the frozen app should not have pfzshort\n{out}"
        ));
    }
    assert_no_problems(test, &problems);
}
