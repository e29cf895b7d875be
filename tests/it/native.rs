//! Native code: the shared libraries extension modules need (libssl, libcrypto, libffi,
//! libz, libsqlite3, liblzma, libbz2 ...) travel in the bundle and are loaded from it.
//!
//! * One app (`native`, built once per interpreter and shared) exercises every stdlib
//!   extension module that needs such a library, plus `ctypes` loading `libz.so.1` by name.
//!   It is compared with CPython as it is, then run again with Python **and** those system
//!   libraries hidden (`unshare -mr`, a tmpfs over the Python directories and `/dev/null`
//!   bind-mounted over each library file and over `/etc/ld.so.cache`), so only the
//!   bundle's copies can serve it; its `tls` mode does a real TLS handshake with a
//!   certificate made at test time.
//! * `pyfreeze ls --json` of that bundle shows the libraries with what needs them.
//! * A C extension module built here, linked to a library built here: left out (and said
//!   so) when the library is gone at build time; bundled with its library otherwise, and
//!   still working once the library file has been moved away.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use pyfreeze_tests::{
    assert_no_problems, bundle_of, c_toolchain, cc, check_exact, compare, for_each_interpreter,
    for_each_of, freeze, ls_json, newest_and_3_8, newest_interpreter, reference_problems, run,
    run_frozen, run_python, system_libraries, tempdir, test_name, unavailable, unshare_unavailable,
    write_app, AppDir, Case, Exact, Frozen, Hidden, Interpreter, Output, Status, HIDDEN_LIBRARIES,
    LIBRARY_DIRS,
};
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------------------

/// Prints deterministic results of every library-backed stdlib extension module; with
/// `tls CERT KEY`, does a TLS handshake with itself on 127.0.0.1 instead.
const NATIVE_MAIN: &str = r#"import sys


def report():
    # ctypes first, before anything has loaded libz (shutil, imported by ctypes.util, and
    # base64, imported by ssl, load it through zlib and binascii): CDLL must find it alone.
    import ctypes

    libz = ctypes.CDLL("libz.so.1")
    libz.zlibVersion.restype = ctypes.c_char_p
    version = libz.zlibVersion().decode()
    print("ctypes abs", ctypes.CDLL(None).abs(-5))
    import ctypes.util

    found = ctypes.util.find_library("z")
    print("find_library z", isinstance(found, str) and found != "")

    import binascii
    import bz2
    import decimal
    import hashlib
    import json
    import json.decoder
    import lzma
    import sqlite3
    import ssl
    import zlib

    data = b"pyfreeze native code " * 64
    packed = zlib.compress(data, 9)
    print("zlib", zlib.decompress(packed) == data, len(packed), zlib.crc32(data), zlib.adler32(data))
    print("binascii", binascii.crc32(data), binascii.hexlify(data[:8]).decode(),
          binascii.b2a_base64(b"frozen").decode().strip())
    print("sha256", hashlib.sha256(data).hexdigest())
    print("sha3_256", hashlib.sha3_256(data).hexdigest())
    print("blake2b", hashlib.blake2b(data, digest_size=16).hexdigest())
    print("md5", hashlib.new("md5", data).hexdigest())
    print("json", json.decoder.c_scanstring is not None,
          json.dumps({"b": [1, 2.5, None], "a": "\u00e9"}, sort_keys=True))
    decimal.getcontext().prec = 40
    print("decimal", decimal.Decimal(1) / decimal.Decimal(7),
          decimal.Decimal("1.10") + decimal.Decimal("2.205"))
    xz = lzma.compress(data)
    print("lzma", lzma.decompress(xz) == data, len(xz))
    bz = bz2.compress(data)
    print("bz2", bz2.decompress(bz) == data, len(bz))
    db = sqlite3.connect(":memory:")
    db.execute("create table t (k text primary key, v integer)")
    db.executemany("insert into t values (?, ?)", [("a", 1), ("b", 2), ("c", 3)])
    print("sqlite3", sqlite3.sqlite_version,
          db.execute("select sum(v), group_concat(k, '-') from t").fetchone(),
          db.execute("select upper(k) from t where v > ? order by k desc", (1,)).fetchall())
    db.close()
    ctx = ssl.create_default_context()
    print("ssl", ssl.OPENSSL_VERSION, ctx.verify_mode, ctx.check_hostname)
    print("ctypes libz", version == zlib.ZLIB_VERSION, version)


def tls(cert, key):
    import socket
    import ssl
    import threading

    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.settimeout(10)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    errors = []

    def serve():
        try:
            conn, _ = listener.accept()
            conn.settimeout(10)
            with server_ctx.wrap_socket(conn, server_side=True) as tls_conn:
                line = b""
                while not line.endswith(b"\n"):
                    chunk = tls_conn.recv(1024)
                    if not chunk:
                        break
                    line += chunk
                tls_conn.sendall(b"echo: " + line)
        except Exception as e:
            errors.append(repr(e))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client_ctx = ssl.create_default_context(cafile=cert)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with client_ctx.wrap_socket(raw, server_hostname="localhost") as conn:
            conn.sendall(b"hello over tls\n")
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = conn.recv(1024)
                if not chunk:
                    break
                reply += chunk
            print("tls protocol", conn.cipher()[1].startswith("TLS"), conn.version().startswith("TLS"))
    thread.join(10)
    listener.close()
    print("tls reply", reply.decode().strip())
    print("tls server errors", errors)


if __name__ == "__main__":
    if sys.argv[1:2] == ["tls"]:
        tls(sys.argv[2], sys.argv[3])
    else:
        report()
"#;

/// Lines the reference's report must have, whatever the machine's library versions: a
/// broken app or interpreter cannot make the comparison pass vacuously.
const REPORT_MUST_HAVE: &[&str] = &[
    "zlib True ",
    "json True ",
    "lzma True ",
    "bz2 True ",
    "sqlite3 ",
    "ssl ",
    "ctypes abs 5\n",
    "ctypes libz True ",
    "find_library z True\n",
];

/// What the `tls` mode prints when the handshake and the exchange work.
const TLS_EXPECTED: &str =
    "tls protocol True True\ntls reply echo: hello over tls\ntls server errors []\n";

fn native_app() -> AppDir {
    write_app("native", &[("main.py", NATIVE_MAIN)])
}

/// The frozen `native` app for `python`, built once per test process.
fn native_bundle(python: &Interpreter) -> Result<&'static Frozen, String> {
    bundle_of("native", python, native_app)
}

/// The reference run of the `native` app with `args`: `python -E -s -S main.py <args>`.
fn native_reference(python: &Interpreter, args: &[&str]) -> Output {
    let app = native_app();
    let mut all = vec!["main.py"];
    all.extend_from_slice(args);
    run_python(python, &app.path, &all, None, &[])
}

fn report_problems(python: &Interpreter, reference: &Output) -> Option<String> {
    reference_problems(python, "the native app", reference, REPORT_MUST_HAVE)
}

// ---------------------------------------------------------------------------------------
// 1. The stdlib's native modules, compared with CPython
// ---------------------------------------------------------------------------------------

#[test]
fn native_stdlib_modules_match_cpython() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = native_bundle(python)?;
        let app = native_app();
        let mut problems: Vec<String> = report_problems(python, &native_reference(python, &[]))
            .into_iter()
            .collect();
        problems.extend(compare(
            python,
            &frozen.exe,
            &app,
            &Case::new(&[], Status::Code(0)),
        ));
        Ok(problems)
    });
}

// ---------------------------------------------------------------------------------------
// 2. The same, with Python and the system libraries hidden
// ---------------------------------------------------------------------------------------

#[test]
fn native_stdlib_modules_run_with_python_and_libraries_hidden() {
    let test = test_name!();
    if let Some(why) = unshare_unavailable() {
        panic!("{test}: cannot hide anything: {why}");
    }
    let hidden = Hidden::python_and_libraries();
    eprintln!("{test}: hiding {}", hidden.describe());
    if system_libraries().is_empty() {
        eprintln!(
            "{test}: none of {HIDDEN_LIBRARIES:?} \
             is in {LIBRARY_DIRS:?}: only Python is hidden"
        );
    }
    for_each_interpreter(test, |python| {
        let frozen = native_bundle(python)?;
        let reference = native_reference(python, &[]);
        if let Some(problem) = report_problems(python, &reference) {
            return Err(problem.into());
        }
        let out = hidden.run(&frozen.exe, python, &[]);
        Ok(check_exact(
            &format!(
                "{python}: the frozen native app with {} hidden vs `python -E -s -S main.py` \
                 with nothing hidden",
                hidden.describe()
            ),
            &out,
            &Exact::of(&reference),
        )
        .into_iter()
        .collect())
    });
}

// ---------------------------------------------------------------------------------------
// 3. A TLS handshake, with Python and the system libraries hidden
// ---------------------------------------------------------------------------------------

/// A self-signed certificate for `localhost` and its key, made with the `openssl` command,
/// in a fresh directory; or why it cannot be made here.
fn self_signed_certificate() -> Result<(pyfreeze_tests::TempDir, PathBuf, PathBuf), String> {
    if let Some(why) = unavailable("openssl", &["version"]) {
        return Err(why);
    }
    let dir = tempdir("tls-cert");
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    let mut cmd = Command::new("openssl");
    cmd.args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-days", "1", "-subj", "/CN=localhost"])
        .current_dir(dir.path());
    let out = run(cmd, None);
    assert!(
        out.status == Status::Code(0) && cert.is_file() && key.is_file(),
        "`openssl req -x509 ...` could not make a self-signed certificate\n{out}"
    );
    Ok((dir, cert, key))
}

#[test]
fn tls_handshake_with_python_and_libraries_hidden() {
    let test = test_name!();
    let (_dir, cert, key) = self_signed_certificate()
        .unwrap_or_else(|why| panic!("{test}: cannot make a certificate: {why}"));
    if let Some(why) = unshare_unavailable() {
        panic!("{test}: cannot hide anything: {why}");
    }
    let hidden = Hidden::python_and_libraries();
    let cert = cert.to_str().expect("utf-8 path");
    let key = key.to_str().expect("utf-8 path");
    let args = ["tls", cert, key];
    for_each_of(test, newest_and_3_8(test), |python| {
        let frozen = native_bundle(python)?;
        let mut problems = Vec::new();
        let reference = native_reference(python, &args);
        problems.extend(check_exact(
            &format!("{python}: the REFERENCE TLS run (a broken case?)"),
            &reference,
            &Exact::clean(TLS_EXPECTED),
        ));
        let out = hidden.run(&frozen.exe, python, &args);
        problems.extend(check_exact(
            &format!(
                "{python}: the frozen app's TLS handshake with {} hidden",
                hidden.describe()
            ),
            &out,
            &Exact::new(Status::Code(0), TLS_EXPECTED, &reference.stderr),
        ));
        Ok(problems)
    });
}

// ---------------------------------------------------------------------------------------
// 4. `pyfreeze ls --json`: the libraries and what needs them
// ---------------------------------------------------------------------------------------

/// The `entries` of `pyfreeze ls --json` for the bundle `exe`.
fn ls_entries(exe: &Path) -> Result<Vec<Value>, String> {
    let value = ls_json(exe)?;
    match value.get("entries") {
        Some(Value::Array(items)) => Ok(items.clone()),
        _ => Err(format!(
            "pyfreeze ls --json has no `entries` array:\n{value}"
        )),
    }
}

fn find_entry<'a>(entries: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    entries
        .iter()
        .find(|e| e["kind"] == kind && e["name"] == name)
}

/// The `needed_by` of an entry, as strings (empty if there is none).
fn needed_by(entry: &Value) -> Vec<String> {
    entry["needed_by"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Problems with `entries` (of the bundle built for `python`): a `library` entry for each
/// `(soname, needed by at least these)`, a `needs` entry for each of `needs`, no entry for
/// anything in `absent`.
fn check_libraries(
    python: &Interpreter,
    entries: &[Value],
    libraries: &[(&str, &[&str])],
    needs: &[&str],
    absent: &[&str],
) -> Vec<String> {
    let names = || {
        entries
            .iter()
            .filter(|e| e["kind"] == "library" || e["kind"] == "needs")
            .map(|e| format!("{} {}", e["kind"], e["name"]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut problems = Vec::new();
    for (soname, by) in libraries {
        match find_entry(entries, "library", soname) {
            None => problems.push(format!(
                "{python}: pyfreeze ls --json lists no library {soname:?}; libraries and needs: {}",
                names()
            )),
            Some(entry) => {
                let have = needed_by(entry);
                let lacking: Vec<&&str> = by
                    .iter()
                    .filter(|b| !have.iter().any(|h| h == **b))
                    .collect();
                if !lacking.is_empty() {
                    problems.push(format!(
                        "{python}: pyfreeze ls --json: library {soname} has needed_by {have:?}, \
                         which lacks {lacking:?}"
                    ));
                }
            }
        }
    }
    for name in needs {
        if find_entry(entries, "needs", name).is_none() {
            problems.push(format!(
                "{python}: pyfreeze ls --json lists no `needs` entry {name:?}; libraries and \
                 needs: {}",
                names()
            ));
        }
    }
    for name in absent {
        let found: Vec<String> = entries
            .iter()
            .filter(|e| e["name"] == *name)
            .map(|e| format!("{} {}", e["kind"], e["name"]))
            .collect();
        if !found.is_empty() {
            problems.push(format!(
                "{python}: {name} must never be bundled (every system has it), but pyfreeze ls \
                 --json lists {found:?}"
            ));
        }
    }
    problems
}

/// glibc's libraries: on every system, never bundled.
const GLIBC: &[&str] = &["libc.so.6", "libm.so.6", "ld-linux-x86-64.so.2"];

#[test]
fn ls_shows_libraries_and_what_needs_them() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = native_bundle(python)?;
        let entries = ls_entries(&frozen.exe).map_err(|e| format!("{python}: {e}"))?;
        let mut problems = check_libraries(
            python,
            &entries,
            &[
                ("libcrypto.so.3", &["_ssl", "_hashlib", "libssl.so.3"]),
                ("libssl.so.3", &["_ssl"]),
                ("libz.so.1", &["zlib", "binascii"]),
            ],
            &["_ssl", "_hashlib", "zlib", "_ctypes"],
            GLIBC,
        );
        // libffi's soname varies between systems (libffi.so.7, .8 ...)
        if !entries.iter().any(|e| {
            e["kind"] == "library"
                && e["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("libffi.so"))
                && needed_by(e).iter().any(|b| b == "_ctypes")
        }) {
            problems.push(format!(
                "{python}: pyfreeze ls --json lists no libffi.so.* library needed by _ctypes"
            ));
        }
        Ok(problems)
    });
}

// ---------------------------------------------------------------------------------------
// 5. An extension module whose library is missing, and one whose library is moved away
// ---------------------------------------------------------------------------------------

const LIBRARY_C: &str = "int pfz_answer(void) { return 42; }\n";

/// An extension module `MODNAME` (`PyInit_` `INIT`) whose `answer()` returns `pfz_answer()`,
/// from the library it is linked to.
const EXTENSION_C: &str = r#"#define PY_SSIZE_T_CLEAN
#include <Python.h>
extern int pfz_answer(void);
static PyObject *answer(PyObject *self, PyObject *args) {
    (void)self; (void)args;
    return PyLong_FromLong(pfz_answer());
}
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, MODNAME, NULL, -1, methods};
PyMODINIT_FUNC INIT(void) { return PyModule_Create(&def); }
"#;

const EXTENSIONS_MAIN: &str = r#"try:
    import pfzgone
except ImportError:
    print("pfzgone ImportError")
else:
    print("pfzgone answer", pfzgone.answer())
try:
    import pfzhere
except ImportError:
    print("pfzhere ImportError")
else:
    print("pfzhere answer", pfzhere.answer())
"#;

#[test]
fn extension_libraries_missing_and_bundled() {
    let test = test_name!();
    let python = newest_interpreter();
    let (include, suffix) =
        c_toolchain(python).unwrap_or_else(|why| panic!("{test}: needs a C toolchain: {why}"));
    // <tmp>/extensions/main.py + the two extension modules; <tmp>/gone/libpfzmissing.so.1
    // (deleted once linked), <tmp>/lib/libpfzpresent.so.1 (moved away before the frozen run).
    let app = write_app("extensions", &[("main.py", EXTENSIONS_MAIN)]);
    let top = app.path.parent().expect("app in a directory").to_owned();
    let gone = top.join("gone");
    let lib = top.join("lib");
    let src = top.join("src");
    for dir in [&gone, &lib, &src] {
        fs::create_dir_all(dir).expect("mkdir");
    }
    fs::write(src.join("lib.c"), LIBRARY_C).expect("write lib.c");
    fs::write(src.join("ext.c"), EXTENSION_C).expect("write ext.c");
    let os = |s: &str| OsStr::new(s).to_owned();
    for (dir, soname) in [(&gone, "libpfzmissing.so.1"), (&lib, "libpfzpresent.so.1")] {
        cc(
            &src,
            &[
                &os("-shared"),
                &os("-fPIC"),
                &os(&format!("-Wl,-soname,{soname}")),
                &os("-o"),
                dir.join(soname).as_os_str(),
                &os("lib.c"),
            ],
        );
    }
    let include_arg = format!("-I{}", include.display());
    // pfzgone: DT_RPATH (absolute) to gone/; pfzhere: DT_RUNPATH $ORIGIN/../lib.
    let gone_rpath = format!("-Wl,--disable-new-dtags,-rpath,{}", gone.display());
    for (module, dir, soname, rpath) in [
        ("pfzgone", &gone, "libpfzmissing.so.1", gone_rpath.as_str()),
        (
            "pfzhere",
            &lib,
            "libpfzpresent.so.1",
            "-Wl,-rpath,$ORIGIN/../lib",
        ),
    ] {
        let out = app.path.join(format!("{module}{suffix}"));
        cc(
            &src,
            &[
                &os("-shared"),
                &os("-fPIC"),
                &os(&include_arg),
                &os(&format!("-DMODNAME=\"{module}\"")),
                &os(&format!("-DINIT=PyInit_{module}")),
                &os("ext.c"),
                &os("-o"),
                out.as_os_str(),
                &os(&format!("-L{}", dir.display())),
                &os(&format!("-l:{soname}")),
                &os(rpath),
            ],
        );
    }
    fs::remove_file(gone.join("libpfzmissing.so.1")).expect("delete libpfzmissing.so.1");

    let expected = "pfzgone ImportError\npfzhere answer 42\n";
    let reference = run_python(python, &app.path, &["main.py"], None, &[]);
    assert!(
        reference.status == Status::Code(0) && reference.stdout == expected,
        "{python}: the REFERENCE run of the extensions app is not as the test expects (a broken \
         case?)\n--- expected stdout ---\n{expected}\n--- got ---\n{reference}"
    );

    let frozen = freeze(&app.path, python, &[]).unwrap_or_else(|e| panic!("{python}: {e}"));
    let mut problems = Vec::new();
    let stderr = &frozen.build.stderr;
    let warned = stderr.lines().any(|line| {
        line.contains("not bundled")
            && line.contains("pfzgone")
            && line.contains("libpfzmissing.so.1")
    });
    if !warned {
        problems.push(format!(
            "the build should say that pfzgone is not bundled because libpfzmissing.so.1 is \
             missing; it printed:\n{}",
            frozen.build
        ));
    }
    // The summary's `biggest:` line may name them among the bundle's parts; no warning may.
    let complains = stderr.lines().any(|line| {
        line.starts_with("warning:") && (line.contains("pfzhere") || line.contains("libpfzpresent"))
    });
    if complains {
        problems.push(format!(
            "the build should not complain about pfzhere, whose library is there; it printed:\n{}",
            frozen.build
        ));
    }
    match ls_entries(&frozen.exe) {
        Err(e) => problems.push(format!("{python}: {e}")),
        Ok(entries) => {
            problems.extend(check_libraries(
                python,
                &entries,
                &[("libpfzpresent.so.1", &["pfzhere"])],
                &["pfzhere"],
                &["pfzgone", "libpfzmissing.so.1"],
            ));
            if find_entry(&entries, "extension", "pfzhere").is_none() {
                problems.push(format!(
                    "{python}: pyfreeze ls --json lists no extension pfzhere"
                ));
            }
        }
    }

    // The library pfzhere needs goes away: CPython cannot load pfzhere any more, the frozen
    // app still can, from its bundle.
    let away = top.join("lib.away");
    fs::rename(&lib, &away).expect("move lib/ away");
    let after = run_python(python, &app.path, &["main.py"], None, &[]);
    assert!(
        after.status == Status::Code(0)
            && after.stdout == "pfzgone ImportError\npfzhere ImportError\n",
        "{python}: with lib/ moved away, CPython should fail to import pfzhere (else the frozen \
         run proves nothing)\n{after}"
    );
    let out = run_frozen(&frozen.exe, &[], None, &[]);
    problems.extend(check_exact(
        &format!(
            "{python}: the frozen extensions app (libpfzmissing.so.1 never there, \
             libpfzpresent.so.1 moved away after the build) vs CPython with libpfzpresent.so.1 \
             in place"
        ),
        &out,
        &Exact::clean(expected),
    ));
    assert_no_problems(test, &problems);
}
