//! Packages as CPython finds them on disk: `pkgutil.iter_modules` and `walk_packages` over a
//! bundled package's `__path__`; a PEP 420 namespace package split between the app and a
//! virtualenv; an extension module next to a `.py` file of the same name.

use std::ffi::OsStr;
use std::fs;

use pyfreeze_tests::{
    bundle_of, c_toolchain, cc, check_exact, compare, for_each_interpreter, freeze, run_frozen,
    run_frozen_in, test_name, venv, write_app, AppDir, Case, Exact, Status,
};

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
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("pkgutil", python, app)?;
        let app = app();
        let mut problems = compare(python, &frozen.exe, &app, &Case::new(&[], Status::Code(0)));
        let out = run_frozen(&frozen.exe, &[], None, &[]);
        problems.extend(check_exact(
            &format!("{python}: frozen app"),
            &out,
            &Exact::clean(
                "[('cart', False), ('prices', True), ('stock', False)]\n\
                 ['shop.cart', 'shop.prices', 'shop.stock']\n\
                 ['shop.cart', 'shop.prices', 'shop.prices.tax', 'shop.stock']\n\
                 ['tax']\n",
            ),
        ));
        Ok(problems)
    });
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

#[test]
fn a_namespace_package_split_between_app_and_venv_is_one_as_unfrozen() {
    for_each_interpreter(test_name!(), |python| {
        // <tmp>/nsapp/nsp holds one portion, the venv's site-packages/nsp the other; gamma
        // and delta are imported by nothing.
        let app = write_app(
            "nsapp",
            &[
                ("main.py", NAMESPACE_MAIN),
                ("nsp/alpha.py", "A = 'a'\n"),
                ("nsp/gamma.py", "G = 'g'\n"),
            ],
        );
        let venv = venv("nsapp", python, &[])
            .as_ref()
            .map_err(|e| e.to_string())?;
        let portion = venv.site_packages()?.join("nsp");
        fs::create_dir_all(&portion).expect("mkdir site-packages/nsp");
        for (name, text) in [
            ("beta.py", "B = 'b'\n"),
            ("delta.py", "D = 'd'\n"),
            ("data.txt", "data of the venv portion\n"),
        ] {
            fs::write(portion.join(name), text).expect("write the venv portion");
        }
        let frozen = freeze(&app.path, &venv.python, &[]).map_err(|e| format!("{python}: {e}"))?;
        let reference = venv.run_main(&app.path);
        let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
        let what = format!("{python}: namespace package");
        Ok(check_exact(
            &format!("{what}, REFERENCE `<venv>/bin/python -E -s main.py` (a wrong test?)"),
            &reference,
            &Exact::clean(&namespace_stdout(python.version_info.1)),
        )
        .into_iter()
        .chain(check_exact(
            &format!("{what}, frozen vs `<venv>/bin/python -E -s main.py`"),
            &out,
            &Exact::of(&reference),
        ))
        .collect())
    });
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
    let test = test_name!();
    for_each_interpreter(test, |python| {
        let (include, suffix) = c_toolchain(python)?;
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
        fs::write(src.join("fast.c"), FAST_C).expect("write fast.c");
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
        let frozen = freeze(&app.path, python, &[]).map_err(|e| format!("{python}: {e}"))?;
        let mut problems = compare(python, &frozen.exe, &app, &Case::new(&[], Status::Code(0)));
        let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
        problems.extend(check_exact(
            &format!("{python}: frozen app"),
            &out,
            &Exact::clean("extension\nNone\nTrue\n"),
        ));
        Ok(problems)
    });
}
