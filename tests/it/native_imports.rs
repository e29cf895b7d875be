//! Imports made by native code: modules that an extension module imports from C (or
//! Cython) when it is imported, or when one of its functions runs, travel in the bundle
//! although no Python import names them. The extension modules are built at test time and
//! installed into a virtualenv, so that the app's own packages (bundled whole) do not
//! bring their modules in anyway; the frozen app prints what `<venv>/bin/python -E -s
//! main.py` prints.

use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::process::Command;

use pyfreeze_tests::{
    bundle_of, c_toolchain, cc, check_exact, compare, for_each_interpreter, freeze,
    newest_interpreter, run, run_frozen_in, tempdir, test_name, venv, write_app, Case, Checked,
    Exact, Interpreter, Status, Venv,
};

/// Imports `nativepkg._helper` when it is imported, under a name it puts together at run
/// time (as Cython 3 does, whose string table is compressed: no string of the binary names
/// the module), and `nativepkg._later` when `later()` is called.
const NATIVE_C: &str = r#"
#include <Python.h>

static PyObject *helper;

static PyObject *helper_value(PyObject *self, PyObject *unused) {
    return PyObject_GetAttrString(helper, "VALUE");
}

static PyObject *later(PyObject *self, PyObject *unused) {
    PyObject *module = PyImport_ImportModule("nativepkg._later");
    if (module == NULL) return NULL;
    PyObject *value = PyObject_GetAttrString(module, "VALUE");
    Py_DECREF(module);
    return value;
}

static PyMethodDef methods[] = {
    {"helper", helper_value, METH_NOARGS, NULL},
    {"later", later, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};

PyMODINIT_FUNC PyInit__native(void) {
    PyObject *name = PyUnicode_FromFormat("%s.%s", "nativepkg", "_helper");
    if (name == NULL) return NULL;
    helper = PyImport_Import(name);
    Py_DECREF(name);
    if (helper == NULL) return NULL;
    return PyModule_Create(&def);
}
"#;

/// What the helpers import is followed too: nothing else imports colorsys or fractions.
const HELPER: &str =
    "import colorsys\n\nVALUE = 'helper %.3f' % colorsys.rgb_to_hls(1.0, 0.5, 0.0)[0]\n";
const LATER: &str = "import fractions\n\nVALUE = 'later %s' % fractions.Fraction(2, 6)\n";

const NATIVE_MAIN: &str = r#"import sys
import nativepkg._native as native

print(native.helper())
print("nativepkg._later" in sys.modules)
print(native.later())
"#;

/// `site/<package>/<module><suffix>` compiled from `c_source` for `python`, or why there
/// is no C compiler for it.
fn build_extension(
    python: &Interpreter,
    c_source: &str,
    site: &Path,
    package: &str,
    module: &str,
) -> Result<(), String> {
    let (include, suffix) = c_toolchain(python).map_err(|why| {
        format!(
            "{python}: cannot build a C extension module here (gcc and the interpreter's \
             headers are needed): {why}"
        )
    })?;
    let src = tempdir("native-imports-src");
    let c_file = src.path().join(format!("{module}.c"));
    fs::write(&c_file, c_source).map_err(|e| format!("write {}: {e}", c_file.display()))?;
    let out = site.join(package).join(format!("{module}{suffix}"));
    let include = format!("-I{}", include.display());
    cc(
        src.path(),
        &[
            OsStr::new("-shared"),
            OsStr::new("-fPIC"),
            OsStr::new(&include),
            c_file.as_os_str(),
            OsStr::new("-o"),
            out.as_os_str(),
        ],
    );
    Ok(())
}

fn write_package(site: &Path, package: &str, files: &[(&str, &str)]) -> Result<(), String> {
    for (name, text) in files {
        let path = site.join(package).join(name);
        fs::create_dir_all(path.parent().expect("a file in a directory"))
            .and_then(|()| fs::write(&path, text))
            .map_err(|e| format!("write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Builds the app `main` with the venv's python, runs it frozen and with the venv's
/// python, and holds both to `expected` and the build's summary to naming `explained`.
fn frozen_like_the_venv(
    python: &Interpreter,
    venv: &Venv,
    main: &str,
    expected: &str,
    explained: &str,
) -> Checked {
    let app = write_app("native-imports", &[("main.py", main)]);
    let frozen = freeze(&app.path, &venv.python, &[]).map_err(|e| format!("{python}: {e}"))?;
    let reference = venv.run_main(&app.path);
    let mut problems: Vec<String> = check_exact(
        &format!("{python}: `<venv>/bin/python -E -s main.py`"),
        &reference,
        &Exact::clean(expected),
    )
    .into_iter()
    .collect();
    let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
    problems.extend(check_exact(
        &format!("{python}: frozen app"),
        &out,
        &Exact::clean(expected),
    ));
    if !frozen.build.stderr.contains(explained) {
        problems.push(format!(
            "{python}: the build does not say `{explained}`:\n{}",
            frozen.build.stderr
        ));
    }
    Ok(problems)
}

#[test]
fn a_c_extension_imports_at_init_and_when_called() {
    let test = test_name!();
    for_each_interpreter(test, |python| {
        let venv = venv("native-imports-c", python, &[])
            .as_ref()
            .map_err(|e| e.to_string())?;
        let site = venv.site_packages()?;
        write_package(
            &site,
            "nativepkg",
            &[
                ("__init__.py", ""),
                ("_helper.py", HELPER),
                ("_later.py", LATER),
            ],
        )?;
        build_extension(python, NATIVE_C, &site, "nativepkg", "_native")?;
        frozen_like_the_venv(
            python,
            venv,
            NATIVE_MAIN,
            "helper 0.083\nFalse\nlater 1/3\n",
            "nativepkg._helper (by nativepkg._native)",
        )
    });
}

/// An extension module `NAME` that imports `chainpkg.TARGET` when it is imported, under a
/// name put together at run time, and keeps it as `target`.
const CHAIN_C: &str = r#"
#include <Python.h>

static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "NAME", NULL, -1, NULL};

PyMODINIT_FUNC PyInit_NAME(void) {
    PyObject *name = PyUnicode_FromFormat("%s.%s", "chainpkg", "TARGET");
    if (name == NULL) return NULL;
    PyObject *target = PyImport_Import(name);
    Py_DECREF(name);
    if (target == NULL) return NULL;
    PyObject *module = PyModule_Create(&def);
    if (module == NULL || PyModule_AddObject(module, "target", target) < 0) {
        Py_DECREF(target);
        Py_XDECREF(module);
        return NULL;
    }
    return module;
}
"#;

const CHAIN_MAIN: &str = r#"import chainpkg._outer as outer

print(outer.target.__name__, outer.target.target.VALUE)
"#;

/// An extension module that only another one imports (a mypyc package's `<hash>__mypyc`
/// helper, imported by its `__init__`) is loaded while that one is looked at, before it
/// is in the closure: what it imports is followed all the same.
#[test]
fn what_an_extension_module_loaded_by_another_imports_is_followed() {
    let test = test_name!();
    for_each_interpreter(test, |python| {
        let venv = venv("native-imports-chain", python, &[])
            .as_ref()
            .map_err(|e| e.to_string())?;
        let site = venv.site_packages()?;
        write_package(
            &site,
            "chainpkg",
            &[("__init__.py", ""), ("_helper.py", HELPER)],
        )?;
        for (module, target) in [("_outer", "_inner"), ("_inner", "_helper")] {
            let c_source = CHAIN_C.replace("NAME", module).replace("TARGET", target);
            build_extension(python, &c_source, &site, "chainpkg", module)?;
        }
        frozen_like_the_venv(
            python,
            venv,
            CHAIN_MAIN,
            "chainpkg._inner helper 0.083\n",
            "chainpkg._helper (by chainpkg._inner)",
        )
    });
}

/// `extpkg`, a package whose `__init__` is an extension module.
const EXTPKG_C: &str = r#"
#include <Python.h>

static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "extpkg", NULL, -1, NULL};

PyMODINIT_FUNC PyInit_extpkg(void) {
    return PyModule_Create(&def);
}
"#;

const EXTPKG_MAIN: &str = r#"import importlib.machinery
import importlib.resources
import os
import sys
import types

import extpkg


def read(package):
    if sys.version_info < (3, 9):
        return importlib.resources.read_text(package, "data.txt")
    return importlib.resources.files(package).joinpath("data.txt").read_text()


print(read("extpkg").strip())
# As mypyc's groups do for the modules they initialise themselves: a spec of their own.
here = os.path.dirname(extpkg.__file__)
loader = importlib.machinery.ExtensionFileLoader("extpkg", extpkg.__file__)
spec = importlib.machinery.ModuleSpec("extpkg", loader, origin=extpkg.__file__)
spec.submodule_search_locations = [here]
made = types.ModuleType("extpkg")
made.__spec__ = spec
print(read(made).strip())
print(loader.get_data(os.path.join(here, "data.txt")).decode().strip())
"#;

/// The data of a package whose `__init__` is an extension module are served from the
/// bundle, also through an `ExtensionFileLoader` that native code makes for it (mypyc's
/// `chardet.models`).
#[test]
fn an_extension_packages_data_are_served_whoever_made_its_spec() {
    let test = test_name!();
    for_each_interpreter(test, |python| {
        let venv = venv("native-imports-extpkg", python, &[])
            .as_ref()
            .map_err(|e| e.to_string())?;
        let site = venv.site_packages()?;
        write_package(&site, "extpkg", &[("data.txt", "data of extpkg\n")])?;
        build_extension(python, EXTPKG_C, &site, "extpkg", "__init__")?;
        let app = write_app("extpkg", &[("main.py", EXTPKG_MAIN)]);
        let frozen = freeze(&app.path, &venv.python, &[]).map_err(|e| format!("{python}: {e}"))?;
        let expected = "data of extpkg\n".repeat(3);
        let mut problems: Vec<String> = check_exact(
            &format!("{python}: `<venv>/bin/python -E -s main.py`"),
            &venv.run_main(&app.path),
            &Exact::clean(&expected),
        )
        .into_iter()
        .collect();
        let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
        problems.extend(check_exact(
            &format!("{python}: frozen app"),
            &out,
            &Exact::clean(&expected),
        ));
        Ok(problems)
    });
}

/// A Cython module that imports the standard library and a module of its own package when
/// it is imported.
const CYTHON_PYX: &str = r#"import json
from . import _helper


def describe():
    return json.dumps({"helper": _helper.VALUE}, sort_keys=True)
"#;

const CYTHON_MAIN: &str = r#"import sys
import cypkg._cy

print(cypkg._cy.describe())
print(sorted(m for m in sys.modules if m.startswith("cypkg")))
"#;

/// `cypkg/_cy.pyx` translated to C by Cython 3.1, which pip installs from the package
/// index into a venv of the newest interpreter (the test fails if it cannot). The C
/// compiles for every Python 3.8–3.13.
fn cythonize() -> Result<String, String> {
    let venv = venv("cython", newest_interpreter(), &["cython==3.1.*"])
        .as_ref()
        .map_err(|e| e.to_string())?;
    let dir = tempdir("cythonize");
    write_package(
        dir.path(),
        "cypkg",
        &[("__init__.py", ""), ("_cy.pyx", CYTHON_PYX)],
    )?;
    let mut cmd = Command::new(venv.dir.join("bin").join("cython"));
    cmd.args([
        "-3",
        "--module-name",
        "cypkg._cy",
        "cypkg/_cy.pyx",
        "-o",
        "_cy.c",
    ])
    .current_dir(dir.path());
    let out = run(cmd, None);
    if out.status != Status::Code(0) {
        return Err(format!("cython failed\n{out}"));
    }
    fs::read_to_string(dir.path().join("_cy.c")).map_err(|e| format!("read _cy.c: {e}"))
}

#[test]
fn a_cython_extension_imports_at_init() {
    let test = test_name!();
    let c_source = cythonize().unwrap_or_else(|e| panic!("{test}: {e}"));
    for_each_interpreter(test, |python| {
        let venv = venv("native-imports-cython", python, &[])
            .as_ref()
            .map_err(|e| e.to_string())?;
        let site = venv.site_packages()?;
        write_package(
            &site,
            "cypkg",
            &[("__init__.py", ""), ("_helper.py", HELPER)],
        )?;
        build_extension(python, &c_source, &site, "cypkg", "_cy")?;
        frozen_like_the_venv(
            python,
            venv,
            CYTHON_MAIN,
            "{\"helper\": \"helper 0.083\"}\n['cypkg', 'cypkg._cy', 'cypkg._helper']\n",
            "cypkg._helper (by cypkg._cy)",
        )
    });
}

/// `Connection.iterdump()` imports `sqlite3.dump` from C when it is called.
const ITERDUMP_MAIN: &str = r#"import sqlite3

con = sqlite3.connect(":memory:")
con.execute("CREATE TABLE t (x INTEGER, y TEXT)")
con.execute("INSERT INTO t VALUES (1, 'one')")
for line in con.iterdump():
    print(line)
"#;

#[test]
fn sqlite3_iterdump_works_frozen() {
    for_each_interpreter(test_name!(), |python| {
        let app = || write_app("iterdump", &[("main.py", ITERDUMP_MAIN)]);
        let frozen = bundle_of("iterdump", python, app)?;
        Ok(compare(
            python,
            &frozen.exe,
            &app(),
            &Case::new(&[], Status::Code(0)),
        ))
    });
}
