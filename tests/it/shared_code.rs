//! Native code run from the bundle's pages (issue 15): libpython, the libraries and the
//! extension modules have their code and read-only data mapped from the executable's own
//! file, shared between processes, and their constructors run by the stub.
//!
//! One app, built on every interpreter with native code made here: a C++ library with a
//! static constructor, an `__attribute__((constructor))` and a function that throws a C++
//! exception through many frames; a C++ extension module with a static constructor of its
//! own that catches that exception across the library boundary; a C library with an IFUNC,
//! which the build must copy whole; and the stdlib's ssl, sqlite3, decimal and zlib. It
//! also dumps its Python stack from a signal handler with `faulthandler`, and loads its
//! extension module with flags of its own (`RTLD_GLOBAL | RTLD_LAZY`). It is built
//! twice, as the build chooses (every object that can be mapped, mapped) and with
//! `--copy-native '*'` (every object copied whole), and each build is compared with
//! CPython running the same app. `pyfreeze ls --json` must say how each object is loaded,
//! and the frozen app itself, reading `/proc/self/maps`, where its code runs from.

use std::ffi::OsStr;
use std::fs;

use pyfreeze_tests::{
    c_toolchain, cc, compare, cxx, for_each_interpreter, freeze, ls_json, run_frozen, test_name,
    write_app, AppDir, Case, Frozen, Interpreter, Status,
};
use serde_json::Value;

const LIBRARY_CPP: &str = r#"#include <stdexcept>
#include <string>

namespace {
struct Greeting {
    std::string text;
    Greeting() : text(std::string("library static constructor ") + "ran") {}
};
Greeting greeting;
int started = 0;
__attribute__((constructor)) void start() { started = 7; }

int deeper(int n) {
    if (n == 0) {
        throw std::runtime_error("thrown " + std::to_string(started));
    }
    return deeper(n - 1) + 1;
}
}  // namespace

extern "C" const char *pfz_greeting() { return greeting.text.c_str(); }
extern "C" int pfz_started() { return started; }
int pfz_throw(int depth) { return deeper(depth); }
"#;

const IFUNC_C: &str = r#"static int fast(void) { return 11; }
static void *choose(void) { return (void *)fast; }
int pfz_ifunc(void) __attribute__((ifunc("choose")));
"#;

const EXTENSION_CPP: &str = r#"#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdexcept>
#include <string>

extern "C" const char *pfz_greeting();
extern "C" int pfz_started();
extern "C" int pfz_ifunc();
int pfz_throw(int depth);

static std::string own = std::string("extension static constructor ") + "ran";

static PyObject *greeting(PyObject *, PyObject *) {
    return PyUnicode_FromFormat("%s; %s; started %d; ifunc %d", pfz_greeting(), own.c_str(),
                                pfz_started(), pfz_ifunc());
}

static PyObject *catch_it(PyObject *, PyObject *arg) {
    long depth = PyLong_AsLong(arg);
    try {
        pfz_throw((int)depth);
    } catch (const std::runtime_error &e) {
        return PyUnicode_FromFormat("caught '%s' through %ld frames", e.what(), depth);
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"greeting", greeting, METH_NOARGS, nullptr},
    {"catch_it", catch_it, METH_O, nullptr},
    {nullptr, nullptr, 0, nullptr},
};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "pfzcpp", nullptr, -1, methods};
PyMODINIT_FUNC PyInit_pfzcpp(void) { return PyModule_Create(&def); }
"#;

const MAIN: &str = r#"import ctypes
import faulthandler
import os
import re
import signal
import sys
import tempfile

# The app's own flags for extension modules, as some packages set them: the stub loads
# them so too, so the module's symbols are global, as under CPython.
sys.setdlopenflags(os.RTLD_GLOBAL | os.RTLD_LAZY)
import pfzcpp  # noqa: E402


def where_code_runs():
    # Which file each object's code is mapped from: the bundle, a memfd, or another file.
    bundle = os.path.realpath(sys.executable)
    maps = []
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split(None, 5)
            start, end = (int(x, 16) for x in parts[0].split("-"))
            maps.append((start, end, parts[5].strip() if len(parts) > 5 else ""))
    functions = {
        "libpython": ctypes.pythonapi.Py_GetVersion,
        "libpfzthrow.so.1": ctypes.CDLL("libpfzthrow.so.1").pfz_started,
        "libz.so.1": ctypes.CDLL("libz.so.1").zlibVersion,
    }
    for name, function in functions.items():
        address = ctypes.cast(function, ctypes.c_void_p).value
        path = next(p for start, end, p in maps if start <= address < end)
        kind = "bundle" if path == bundle else "memfd" if path.startswith("/memfd:") else "file"
        print(name, "code runs from", kind)


def dump_from_a_signal():
    with tempfile.TemporaryFile("w+") as f:
        faulthandler.register(signal.SIGUSR1, file=f, all_threads=False)
        os.kill(os.getpid(), signal.SIGUSR1)
        faulthandler.unregister(signal.SIGUSR1)
        f.seek(0)
        for line in f.read().splitlines():
            found = re.search(r'File "(.*)", line (\d+) in (\S+)', line)
            if found:
                name, number, function = found.groups()
                print("faulthandler:", os.path.basename(name), number, function)


def main():
    if sys.argv[1:] == ["maps"]:
        where_code_runs()
        return
    print("global", hasattr(ctypes.CDLL(None), "PyInit_pfzcpp"))
    print(pfzcpp.greeting())
    for depth in (0, 3, 200):
        print(pfzcpp.catch_it(depth))
    dump_from_a_signal()
    import decimal
    import hashlib
    import sqlite3
    import ssl
    import zlib

    decimal.getcontext().prec = 30
    print("decimal", decimal.Decimal(1) / decimal.Decimal(7))
    print("sha256", hashlib.sha256(b"shared").hexdigest())
    print("zlib", zlib.crc32(zlib.compress(b"shared " * 100)))
    db = sqlite3.connect(":memory:")
    print("sqlite3", db.execute("select upper('shared'), 6 * 7").fetchone())
    print("ssl", ssl.create_default_context().verify_mode)


main()
"#;

/// C++ source of 400 exported functions named `prefix_N`: several pages of code.
fn filler(prefix: &str) -> String {
    (0..400)
        .map(|n| {
            format!(
                "extern \"C\" long {prefix}_{n}(long x) {{ return x * {n} + (x >> {}) - {}; }}\n",
                n % 13,
                n * 7
            )
        })
        .collect()
}

/// The app directory: `main.py`, the extension module beside it, its libraries in `lib/`.
fn shared_code_app(python: &Interpreter) -> Result<AppDir, String> {
    let (include, suffix) = c_toolchain(python)?;
    let app = write_app("shared_code", &[("main.py", MAIN)]);
    let top = app.path.parent().expect("app in a directory").to_owned();
    let (src, lib) = (top.join("src"), app.path.join("lib"));
    for dir in [&src, &lib] {
        fs::create_dir_all(dir).expect("mkdir");
    }
    // Code either side of the functions the app asks about, so that they sit in whole
    // pages of code: only whole pages can be mapped, and a tiny object has none.
    let library_source = [
        filler("pfz_lib_before"),
        LIBRARY_CPP.to_owned(),
        filler("pfz_lib_after"),
    ]
    .concat();
    let extension_source = [
        filler("pfz_ext_before"),
        EXTENSION_CPP.to_owned(),
        filler("pfz_ext_after"),
    ]
    .concat();
    for (name, text) in [
        ("lib.cpp", library_source.as_str()),
        ("ifunc.c", IFUNC_C),
        ("ext.cpp", extension_source.as_str()),
    ] {
        fs::write(src.join(name), text).expect("write a source");
    }
    let os = |s: &str| OsStr::new(s).to_owned();
    let library = |soname: &str, source: &str| {
        [
            os("-shared"),
            os("-fPIC"),
            os("-O1"),
            os(&format!("-Wl,-soname,{soname}")),
            os("-o"),
            lib.join(soname).into_os_string(),
            os(source),
        ]
    };
    let args = library("libpfzthrow.so.1", "lib.cpp");
    cxx(
        &src,
        &args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>(),
    );
    let args = library("libpfzifunc.so.1", "ifunc.c");
    cc(
        &src,
        &args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>(),
    );
    let extension = app.path.join(format!("pfzcpp{suffix}"));
    let args = [
        os("-shared"),
        os("-fPIC"),
        os(&format!("-I{}", include.display())),
        os("ext.cpp"),
        os("-o"),
        extension.into_os_string(),
        os(&format!("-L{}", lib.display())),
        os("-l:libpfzthrow.so.1"),
        os("-l:libpfzifunc.so.1"),
        os("-Wl,-rpath,$ORIGIN/lib"),
    ];
    cxx(
        &src,
        &args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>(),
    );
    Ok(app)
}

/// How `pyfreeze ls --json` says each native object of `frozen` is loaded: `(kind, name,
/// how)` for every libpython, library and extension entry.
fn loads(frozen: &Frozen) -> Result<Vec<(String, String, String)>, String> {
    let listing = ls_json(&frozen.exe)?;
    let entries = listing["entries"].as_array().cloned().unwrap_or_default();
    let natives: Vec<(String, String, String)> = entries
        .iter()
        .filter(|e| {
            matches!(
                e["kind"].as_str(),
                Some("libpython" | "library" | "extension")
            )
        })
        .map(|e| {
            let text = |v: &Value| v.as_str().unwrap_or("?").to_owned();
            (text(&e["kind"]), text(&e["name"]), text(&e["load"]["how"]))
        })
        .collect();
    if natives.is_empty() {
        return Err(format!(
            "pyfreeze ls --json lists no native code:\n{listing}"
        ));
    }
    Ok(natives)
}

fn how_loaded<'a>(loads: &'a [(String, String, String)], name: &str) -> &'a str {
    loads
        .iter()
        .find(|(kind, entry, _)| entry == name || (kind == "libpython" && name == "libpython"))
        .map_or("absent", |(_, _, how)| how.as_str())
}

#[test]
fn native_code_runs_from_the_bundle_and_copied_alike() {
    for_each_interpreter(test_name!(), |python| {
        let app = shared_code_app(python)?;
        let mut problems = Vec::new();
        for (build, args, code_runs_from) in [
            ("mapped", &[][..], "bundle"),
            ("copied", &["--copy-native", "*"][..], "memfd"),
        ] {
            let frozen = freeze(&app.path, python, args).map_err(|e| format!("{python}: {e}"))?;
            problems.extend(compare(
                python,
                &frozen.exe,
                &app,
                &Case::new(&[], Status::Code(0)),
            ));

            let loads = loads(&frozen)?;
            // The IFUNC library is copied whatever the build is asked; in the other build,
            // every object is.
            for (_, name, how) in &loads {
                let expected = if build == "copied" || name == "libpfzifunc.so.1" {
                    "copied"
                } else {
                    continue;
                };
                if how != expected {
                    problems.push(format!(
                        "{python}, {build} build: pyfreeze ls says {name} is {how}, not {expected}"
                    ));
                }
            }
            for name in ["libpython", "libpfzthrow.so.1", "pfzcpp", "libz.so.1"] {
                let how = how_loaded(&loads, name);
                if how != build {
                    problems.push(format!(
                        "{python}, {build} build: pyfreeze ls says {name} is {how}, not {build}; \
                         native code: {loads:?}"
                    ));
                }
            }

            let out = run_frozen(&frozen.exe, &["maps"], None, &[]);
            let expected: String = ["libpython", "libpfzthrow.so.1", "libz.so.1"]
                .iter()
                .map(|name| format!("{name} code runs from {code_runs_from}\n"))
                .collect();
            if out.status != Status::Code(0) || out.stdout != expected {
                problems.push(format!(
                    "{python}, {build} build: where the code runs, expected\n{expected}got\n{out}"
                ));
            }
        }
        Ok(problems)
    });
}
