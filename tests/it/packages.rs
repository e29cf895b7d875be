//! Packages as CPython finds them on disk: `pkgutil.iter_modules` and `walk_packages` over a
//! bundled package's `__path__`; a PEP 420 namespace package split between the app and a
//! virtualenv; an extension module next to a `.py` file of the same name.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use pyfreeze_tests::{
    freeze, run, run_command, run_frozen_in, write_app, AppDir, Interpreter, Output, Status,
};

use crate::native::{c_toolchain, cc};
use crate::{bundle_of, compare, for_each_interpreter, Case};

const MAIN: &str = r#"import pkgutil
import shop
import shop.cart, shop.prices.tax

print(sorted((m.name, m.ispkg) for m in pkgutil.iter_modules(shop.__path__)))
print(sorted(m.name for m in pkgutil.iter_modules(shop.__path__, "shop.")))
print(sorted(m.name for m in pkgutil.walk_packages(shop.__path__, "shop.")))
print(sorted(m.name for m in pkgutil.iter_modules(shop.prices.__path__)))
"#;

fn app() -> AppDir {
    write_app(
        "pkgutil",
        &[
            ("main.py", MAIN),
            ("shop/__init__.py", ""),
            ("shop/cart.py", "ITEMS = []\n"),
            ("shop/stock.py", "COUNT = 0\n"),
            ("shop/prices/__init__.py", ""),
            ("shop/prices/tax.py", "RATE = 0.2\n"),
        ],
    )
}

#[test]
fn iter_modules_and_walk_packages_list_what_cpython_lists() {
    for_each_interpreter(
        "iter_modules_and_walk_packages_list_what_cpython_lists",
        |python| {
            let frozen = match bundle_of("pkgutil", python, app) {
                Ok(f) => f,
                Err(e) => return vec![e],
            };
            let app = app();
            let mut problems = compare(python, &frozen.exe, &app, &Case::new(&[], Status::Code(0)));
            let out = pyfreeze_tests::run_frozen(&frozen.exe, &[], None, &[]);
            let expected = "[('cart', False), ('prices', True), ('stock', False)]\n\
                        ['shop.cart', 'shop.prices', 'shop.stock']\n\
                        ['shop.cart', 'shop.prices', 'shop.prices.tax', 'shop.stock']\n\
                        ['tax']\n";
            if out.stdout != expected {
                problems.push(format!("{python}: expected\n{expected}\n{out}"));
            }
            problems
        },
    );
}

/// Imports from both portions of `nsp` and prints what tells a namespace package from a
/// regular one, and nothing that holds a path.
const NAMESPACE_MAIN: &str = r#"import importlib.resources
import importlib.util
import pkgutil
import nsp.alpha, nsp.beta

print(nsp.alpha.A, nsp.beta.B)
print(type(nsp.__path__).__name__)
print(nsp.__spec__.origin)
print(hasattr(nsp, "__file__"), getattr(nsp, "__file__", None))
print(type(nsp.__loader__).__name__)
print(sorted(m.name for m in pkgutil.iter_modules(nsp.__path__)))
print(importlib.util.find_spec("nsp").submodule_search_locations is not None)
try:
    print((importlib.resources.files(nsp) / "data.txt").read_text().strip())
except Exception as e:
    print("files:", type(e).__name__)
"#;

/// What [`NAMESPACE_MAIN`] prints on CPython 3.`minor`: `files()` is 3.9+, and handles
/// namespace packages from 3.10 on.
fn namespace_stdout(minor: u32) -> String {
    let loader = if minor >= 11 {
        "NamespaceLoader"
    } else {
        "_NamespaceLoader"
    };
    let resource = match minor {
        8 => "files: AttributeError",
        9 => "files: TypeError",
        _ => "data of the venv portion",
    };
    format!(
        "a b\n_NamespacePath\nNone\nTrue None\n{loader}\n['alpha', 'beta', 'delta', 'gamma']\n\
         True\n{resource}\n"
    )
}

/// `<dir>/bin/python` of a virtualenv made by `python -m venv --without-pip` (no network),
/// and its site-packages; or why there is none.
fn bare_venv(python: &Interpreter, dir: &Path) -> Result<(PathBuf, PathBuf), String> {
    let mut cmd = Command::new(&python.path);
    cmd.args(["-E", "-s", "-m", "venv", "--without-pip"])
        .arg(dir);
    let out = run_command(cmd, None, Duration::from_secs(120))
        .map_err(|e| format!("{python}: `python -m venv`: {e}"))?;
    if out.status != Status::Code(0) {
        return Err(format!(
            "{python}: `python -m venv --without-pip` failed\n{out}"
        ));
    }
    let venv_python = dir.join("bin").join("python");
    let mut cmd = Command::new(&venv_python);
    cmd.args([
        "-E",
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['purelib'])",
    ]);
    let out = run(cmd, None);
    if out.status != Status::Code(0) {
        return Err(format!("{python}: the venv's site-packages\n{out}"));
    }
    Ok((venv_python, PathBuf::from(out.stdout.trim())))
}

/// Differences between a frozen run and its reference, and between the reference and what
/// the test expects of it.
fn same_as_reference(
    what: &str,
    reference: &Output,
    frozen: &Output,
    expected: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    if reference.status != Status::Code(0) || reference.stdout != expected {
        problems.push(format!(
            "{what}: the REFERENCE is not as the test expects (a wrong test?)\n\
             --- expected stdout ---\n{expected}\n--- got ---\n{reference}"
        ));
    }
    if frozen.status != reference.status
        || frozen.stdout != reference.stdout
        || frozen.stderr != reference.stderr
    {
        problems.push(format!(
            "{what}: frozen app and CPython differ\n--- CPython ---\n{reference}\n\
             --- frozen ---\n{frozen}"
        ));
    }
    problems
}

#[test]
fn a_namespace_package_split_between_app_and_venv_is_one_as_unfrozen() {
    for_each_interpreter(
        "a_namespace_package_split_between_app_and_venv_is_one_as_unfrozen",
        |python| {
            // <tmp>/nsapp/nsp holds one portion, <tmp>/venv/.../site-packages/nsp the other;
            // gamma and delta are imported by nothing.
            let app = write_app(
                "nsapp",
                &[
                    ("main.py", NAMESPACE_MAIN),
                    ("nsp/alpha.py", "A = 'a'\n"),
                    ("nsp/gamma.py", "G = 'g'\n"),
                ],
            );
            let venv = app.path.parent().expect("app in a directory").join("venv");
            let (venv_python, site) = match bare_venv(python, &venv) {
                Ok(found) => found,
                Err(e) => return vec![e],
            };
            let portion = site.join("nsp");
            std::fs::create_dir_all(&portion).expect("mkdir site-packages/nsp");
            for (name, text) in [
                ("beta.py", "B = 'b'\n"),
                ("delta.py", "D = 'd'\n"),
                ("data.txt", "data of the venv portion\n"),
            ] {
                std::fs::write(portion.join(name), text).expect("write the venv portion");
            }
            let venv_interpreter = Interpreter {
                path: venv_python.clone(),
                ..python.clone()
            };
            let frozen = match freeze(&app.path, &venv_interpreter, &[]) {
                Ok(frozen) => frozen,
                Err(e) => return vec![format!("{python}: {e}")],
            };
            // The venv's python needs `site` for its site-packages: `-E -s`, not `-S`.
            let mut cmd = Command::new(&venv_python);
            cmd.args(["-E", "-s", "main.py"])
                .current_dir(&app.path)
                .env_remove("FORCE_COLOR");
            let reference = run(cmd, None);
            let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
            same_as_reference(
                &format!("{python}: namespace package, `<venv>/bin/python -E -s main.py`"),
                &reference,
                &out,
                &namespace_stdout(python.version_info.1),
            )
        },
    );
}

/// An extension module `pkg.fast` whose `kind()` says so.
const FAST_C: &str = r#"#define PY_SSIZE_T_CLEAN
#include <Python.h>
static PyObject *kind(PyObject *self, PyObject *args) {
    (void)self; (void)args;
    return PyUnicode_FromString("extension");
}
static PyMethodDef methods[] = {{"kind", kind, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "pkg.fast", NULL, -1, methods};
PyMODINIT_FUNC PyInit_fast(void) { return PyModule_Create(&def); }
"#;

const FAST_MAIN: &str = r#"import importlib.machinery
import pkg.fast

print(pkg.fast.kind())
print(getattr(pkg.fast, "ONLY_IN_PY", None))
print(pkg.fast.__file__.endswith(importlib.machinery.EXTENSION_SUFFIXES[0]))
"#;

#[test]
fn an_extension_module_wins_over_a_py_file_of_the_same_name() {
    let test = "an_extension_module_wins_over_a_py_file_of_the_same_name";
    for_each_interpreter(test, |python| {
        let (include, suffix) = match c_toolchain(python) {
            Ok(found) => found,
            Err(why) => {
                eprintln!("{test}: SKIPPED for {python}: {why}");
                return Vec::new();
            }
        };
        let app = write_app(
            "extwins",
            &[
                ("main.py", FAST_MAIN),
                ("pkg/__init__.py", ""),
                (
                    "pkg/fast.py",
                    "ONLY_IN_PY = True\n\ndef kind():\n    return 'python'\n",
                ),
            ],
        );
        let src = app.path.parent().expect("app in a directory");
        std::fs::write(src.join("fast.c"), FAST_C).expect("write fast.c");
        let out = app.path.join("pkg").join(format!("fast{suffix}"));
        let include = format!("-I{}", include.display());
        cc(
            src,
            &[
                OsStr::new("-shared"),
                OsStr::new("-fPIC"),
                OsStr::new(&include),
                OsStr::new("fast.c"),
                OsStr::new("-o"),
                out.as_os_str(),
            ],
        );
        let frozen = match freeze(&app.path, python, &[]) {
            Ok(frozen) => frozen,
            Err(e) => return vec![format!("{python}: {e}")],
        };
        let mut problems = compare(python, &frozen.exe, &app, &Case::new(&[], Status::Code(0)));
        let got = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
        let expected = "extension\nNone\nTrue\n";
        if got.stdout != expected {
            problems.push(format!("{python}: expected\n{expected}\n{got}"));
        }
        problems
    });
}
