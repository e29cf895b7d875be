//! Every module of the standard library, imported one by one by one frozen app, against
//! the same app under CPython, on every interpreter: the same modules import (or fail with
//! the same exception), and each has the same names (a digest of `sorted(dir(module))`).
//!
//! The app names every module in an `import` statement of its own, so each is bundled
//! whatever the analysis makes of the others: what the test holds the analysis to is what
//! those modules import as they are imported, CPython's own computed imports included
//! (zoneinfo and ensurepip ask sysconfig for build variables, which it imports from a
//! module by a computed name; C modules import Python ones). For that, the modules that
//! only a computed name reaches (`_sysconfigdata_*`) are not named by the app.

use pyfreeze_tests::{
    check_exact, for_each_interpreter, freeze, reference_problems, run_frozen_in, run_python,
    tempdir, test_name, venv, write_app, Exact, Status,
};

/// What the app does not import, with why. A name stands for its submodules too.
const SKIPPED: &[(&str, &str)] = &[
    ("antigravity", "opens a web browser when imported"),
    ("this", "prints the Zen of Python when imported"),
    (
        "__hello__",
        "prints when imported (CPython's frozen test modules)",
    ),
    ("__hello_alias__", "prints when imported"),
    ("__hello_only__", "prints when imported"),
    ("__phello__", "prints when imported"),
    ("__phello_alias__", "prints when imported"),
    ("idlelib", "Tk: needs a display"),
    ("tkinter", "Tk: needs a display"),
    ("_tkinter", "Tk: needs a display"),
    ("turtle", "Tk: needs a display"),
    ("turtledemo", "Tk: needs a display"),
    ("test", "CPython's own test suite"),
    (
        "site",
        "rewrites sys.path and the builtins when imported (a bundle runs as python -S)",
    ),
    (
        "_sysconfigdata",
        "imported by a computed name only: sysconfig must find it itself",
    ),
];

/// Lists the modules to import, one a line, sorted: the top-level names of the standard
/// library (`sys.stdlib_module_names` from 3.10 on; before, the built-in modules and what
/// the stdlib directory and lib-dynload hold), with the submodules of its packages, found
/// on disk without importing anything. Left out: `SKIPPED` (given on the command line),
/// `__main__` modules (they run a command-line program when imported) and the packages of
/// CPython's tests (`ctypes.test`, `lib2to3.tests`, `idlelib.idle_test` ...).
const LIST_MODULES: &str = r#"
import importlib.util
import os
import pkgutil
import sys
import sysconfig

skipped = tuple(sys.argv[1:])
stdlib = sysconfig.get_paths()["stdlib"]
if hasattr(sys, "stdlib_module_names"):
    tops = set(sys.stdlib_module_names)
else:
    tops = set(sys.builtin_module_names)
    for directory in (stdlib, os.path.join(stdlib, "lib-dynload")):
        tops.update(info.name for info in pkgutil.iter_modules([directory]))


def wanted(name):
    parts = name.split(".")
    return not (
        any(name == s or name.startswith(s + ".") or s == "_sysconfigdata" and name.startswith(s) for s in skipped)
        or "__main__" in parts
        or any(p in ("test", "tests", "idle_test") for p in parts[1:])
    )


names = []
stack = [(top, None) for top in tops]
while stack:
    name, locations = stack.pop()
    if not wanted(name):
        continue
    names.append(name)
    if locations is None:
        spec = importlib.util.find_spec(name)
        locations = spec.submodule_search_locations if spec else None
    for info in pkgutil.iter_modules(list(locations or ())):
        if info.ispkg:
            sub = [os.path.join(info.module_finder.path, info.name)]
        else:
            sub = []
        stack.append((name + "." + info.name, sub))
print("\n".join(sorted(names)))
"#;

/// The app: the imports, each in a `try` of its own, then what each gave.
fn app_source(modules: &[&str]) -> String {
    let mut source = String::from(
        "import hashlib\nimport re\nimport sys\nimport warnings\n\n\
         # Deprecation warnings of old modules are not what is compared.\n\
         warnings.simplefilter(\"ignore\")\n\
         failed = {}\n\n",
    );
    for module in modules {
        source += &format!(
            "try:\n    import {module}\nexcept BaseException as e:\n    \
             failed[{module:?}] = f\"{{type(e).__name__}}: {{e}}\"\n"
        );
    }
    source += r#"
for name in NAMES:
    if name in failed:
        # Without the file a message may name: "cannot import name 'x' from 'm' (path)".
        print(name, "failed", re.sub(r" \(/[^()]*\)$", "", failed[name]))
    elif name == "sys":
        # A bundle's sys has `frozen`.
        print(name, "imported")
    else:
        # Whether __file__ and __cached__ are set is the runtime's business, which the
        # modules CPython needs while it starts (abc, codecs, io, encodings, zipimport)
        # get otherwise than CPython's own frozen modules do.
        names = sorted(set(dir(sys.modules[name])) - {"__file__", "__cached__"})
        print(name, hashlib.sha256("\n".join(names).encode()).hexdigest()[:12])
print("done")
"#;
    source.replace(
        "NAMES",
        &format!(
            "[{}]",
            modules
                .iter()
                .map(|m| format!("{m:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

#[test]
fn every_stdlib_module_imports_as_unfrozen() {
    for_each_interpreter(test_name!(), |python| {
        let scratch = tempdir("stdlib-list");
        let mut args = vec!["-c", LIST_MODULES];
        args.extend(SKIPPED.iter().map(|(name, _)| *name));
        let listed = run_python(python, scratch.path(), &args, None, &[]);
        if listed.status != Status::Code(0) || !listed.stderr.is_empty() {
            return Err(format!("{python}: listing the standard library failed\n{listed}").into());
        }
        let modules: Vec<&str> = listed.stdout.lines().collect();
        if modules.len() < 300 {
            return Err(format!(
                "{python}: only {} stdlib modules listed\n{listed}",
                modules.len()
            )
            .into());
        }
        let app = write_app("every_stdlib_module", &[("main.py", &app_source(&modules))]);
        // Built by a virtualenv's python, whose site-packages is empty: what else the
        // interpreter has installed (docutils, which distutils.command.check uses if it
        // can) is as invisible to the bundle as to the reference, run with -S.
        let venv = venv("stdlib-only", python, &[])
            .as_ref()
            .map_err(|e| e.to_string())?;
        let frozen = freeze(&app.path, &venv.python, &[]).map_err(|e| format!("{python}: {e}"))?;
        let reference = run_python(python, &app.path, &["main.py"], None, &[]);
        let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
        let what = format!("every stdlib module ({})", modules.len());
        let mut problems: Vec<String> = reference_problems(python, &what, &reference, &["done\n"])
            .into_iter()
            .collect();
        problems.extend(check_exact(
            &format!("{python}: {what}, frozen vs CPython"),
            &out,
            &Exact::of(&reference),
        ));
        Ok(problems)
    });
}
