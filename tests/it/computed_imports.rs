//! Imports by a name computed at run time, frozen and run against CPython on every
//! interpreter: the standard library's own (sysconfig's build variables, dbm's modules
//! behind shelve, C code importing `sqlite3.dump` and `_strptime`, xml's parsers,
//! `find_spec`); a name with a literal prefix whose modules' file names are not
//! identifiers; a distribution's entry points for its own group; a table of module names;
//! `--include` of a package bringing all its submodules; and an app importing CPython's
//! `test` package, which is left out only where the standard library imports it.
//!
//! What an app imports itself comes with its packages whole, so the packages whose
//! computed imports are tested live in a virtualenv (made without pip), as dependencies do.

use std::fs;
use std::path::Path;

use pyfreeze_tests::{
    check_exact, for_each_interpreter, freeze, listed_entries, reference_problems, run_frozen_in,
    run_python, test_name, venv, write_app, Exact, Interpreter, Output, PerRun, Venv,
};

/// Every problem of the frozen run of the app `what` against its reference: the reference
/// must succeed and print `done` (else the test is wrong), and the frozen run must print
/// exactly what it printed.
fn against(python: &Interpreter, what: &str, reference: &Output, frozen: &Output) -> Vec<String> {
    reference_problems(python, what, reference, &["done\n"])
        .into_iter()
        .chain(check_exact(
            &format!("{python}: {what}, frozen vs CPython"),
            frozen,
            &Exact::of(reference),
        ))
        .collect()
}

/// Whether the bundle `exe` holds the module `name`.
fn bundles(exe: &Path, name: &str) -> Result<bool, String> {
    Ok(listed_entries(exe)?.iter().any(|(_, n)| n == name))
}

const STDLIB_MAIN: &str = r#"import dbm
import importlib.util
import os
import shelve
import sqlite3
import sysconfig
import tempfile
import time
import xml.dom
import xml.sax

# sysconfig loads the build's variables from _sysconfigdata_<abi>_<platform>_<multiarch>.
print("SOABI", sysconfig.get_config_var("SOABI"))
print("variables", len(sysconfig.get_config_vars()) > 100)
# shelve opens a database with the first of dbm's modules (imported by name) that works.
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "db")
    with shelve.open(path) as db:
        db["key"] = [1, 2, 3]
    with shelve.open(path, "r") as db:
        print("shelve", db["key"])
    print("whichdb", dbm.whichdb(path))
# C code imports _strptime, and sqlite3.dump.
print("strptime", time.strptime("2024-02-29", "%Y-%m-%d")[:3])
connection = sqlite3.connect(":memory:")
connection.execute("CREATE TABLE t (x)")
print("iterdump", list(connection.iterdump()))
# xml's parser and DOM implementation, by the names their tables list.
print("sax", type(xml.sax.make_parser()).__module__)
print("dom", type(xml.dom.getDOMImplementation()).__module__)
print("find_spec", importlib.util.find_spec("html.parser").name)
print("done")
"#;

#[test]
fn the_standard_librarys_computed_imports_work_as_unfrozen() {
    for_each_interpreter(test_name!(), |python| {
        let app = write_app("stdlib_computed", &[("main.py", STDLIB_MAIN)]);
        let frozen = freeze(&app.path, python, &[]).map_err(|e| format!("{python}: {e}"))?;
        let reference = run_python(python, &app.path, &["main.py"], None, &[]);
        let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
        Ok(against(python, "stdlib computed imports", &reference, &out))
    });
}

/// The packages of the virtualenv `computed` (see [`plugin_venv`]): `(path in
/// site-packages, contents)`.
const PLUGIN_PACKAGES: &[(&str, &str)] = &[
    // A prefix: import_module(f"uniprefix._data.unicode{version}"), file names that are
    // not identifiers; `other.py` does not match and stays out.
    (
        "uniprefix/__init__.py",
        "import importlib\n\n\n\
         def table(version):\n    \
             return importlib.import_module(f\"uniprefix._data.unicode{version}\").TABLE\n",
    ),
    // The same relative to a package, as rich does.
    (
        "uniprefix/_data/__init__.py",
        "from importlib import import_module\n\n\n\
         def table(version):\n    \
             return import_module(f\".unicode{version}\", \"uniprefix._data\").TABLE\n",
    ),
    ("uniprefix/_data/unicode9-0-0.py", "TABLE = 'unicode 9'\n"),
    ("uniprefix/_data/unicode15-0-0.py", "TABLE = 'unicode 15'\n"),
    ("uniprefix/_data/other.py", "TABLE = 'not a unicode table'\n"),
    // A table of module names beside an import by computed name.
    (
        "tabled/__init__.py",
        "import importlib\n\n\
         BACKENDS = {\"fast\": \"tabled.backends.fast\", \"slow\": \"tabled.backends.slow:Slow\"}\n\n\n\
         def backend(name):\n    \
             return importlib.import_module(BACKENDS[name].partition(\":\")[0]).NAME\n",
    ),
    ("tabled/backends/__init__.py", ""),
    ("tabled/backends/fast.py", "NAME = 'fast backend'\n"),
    ("tabled/backends/slow.py", "NAME = 'slow backend'\n"),
    ("tabled/backends/unlisted.py", "NAME = 'listed nowhere'\n"),
    // Plugins named by the entry points of the distribution's own group; its console
    // script is another program's business.
    (
        "plugdist/__init__.py",
        "from importlib.metadata import entry_points\n\n\n\
         def plugins():\n    \
             found = entry_points()\n    \
             if hasattr(found, \"select\"):\n        \
                 group = found.select(group=\"plugdist.plugins\")\n    \
             else:\n        \
                 group = found.get(\"plugdist.plugins\", ())\n    \
             return sorted((ep.name, ep.load()()) for ep in group)\n",
    ),
    ("plugdist_hello.py", "def greet():\n    return 'hello from a plugin'\n"),
    ("plugdist_cli.py", "def main():\n    return 0\n"),
    (
        "plugdist-1.0.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: plugdist\nVersion: 1.0\n",
    ),
    (
        "plugdist-1.0.dist-info/top_level.txt",
        "plugdist\nplugdist_cli\nplugdist_hello\n",
    ),
    (
        "plugdist-1.0.dist-info/entry_points.txt",
        "[console_scripts]\nplugdist = plugdist_cli:main\n\n\
         [plugdist.plugins]\nhello = plugdist_hello:greet\n",
    ),
    ("plugdist-1.0.dist-info/RECORD", ""),
    // Imported by names joined at run time, brought by --include incl only.
    ("incl/__init__.py", ""),
    ("incl/alpha.py", "NAME = 'alpha'\n"),
    ("incl/sub/__init__.py", "NAME = 'sub'\n"),
    ("incl/sub/beta-1.py", "NAME = 'beta-1'\n"),
];

/// The virtualenv `computed` of `python`, without pip, with [`PLUGIN_PACKAGES`] written
/// into its site-packages once per run.
fn plugin_venv(python: &Interpreter) -> Result<&'static Venv, String> {
    static POPULATED: PerRun<String, Result<(), String>> = PerRun::new();
    let venv = venv("computed", python, &[])
        .as_ref()
        .map_err(|e| e.to_string())?;
    POPULATED
        .get(python.version.clone(), || {
            let site = venv.site_packages()?;
            for (rel, text) in PLUGIN_PACKAGES {
                let file = site.join(rel);
                fs::create_dir_all(file.parent().expect("file in a directory"))
                    .and_then(|()| fs::write(&file, text))
                    .map_err(|e| format!("write {}: {e}", file.display()))?;
            }
            Ok(())
        })
        .clone()?;
    Ok(venv)
}

const PLUGINS_MAIN: &str = r#"import plugdist
import tabled
import uniprefix
import uniprefix._data

print(uniprefix.table("15-0-0"), uniprefix.table("9-0-0"))
print(uniprefix._data.table("15-0-0"))
print(tabled.backend("fast"), tabled.backend("slow"))
print(plugdist.plugins())
print("done")
"#;

#[test]
fn prefixes_entry_points_and_name_tables_bring_their_modules() {
    for_each_interpreter(test_name!(), |python| {
        let venv = plugin_venv(python)?;
        let app = write_app("plugins", &[("main.py", PLUGINS_MAIN)]);
        let frozen = freeze(&app.path, &venv.python, &[]).map_err(|e| format!("{python}: {e}"))?;
        let reference = venv.run_main(&app.path);
        let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
        let mut problems = against(python, "plugins", &reference, &out);
        // Each rule brings what CPython could compute, and no more.
        for name in [
            "uniprefix._data.other",
            "tabled.backends.unlisted",
            "plugdist_cli",
        ] {
            if bundles(&frozen.exe, name)? {
                problems.push(format!(
                    "{python}: {name} is bundled, though nothing names it"
                ));
            }
        }
        Ok(problems)
    });
}

const INCLUDE_MAIN: &str = r#"import importlib

for parts in (["incl", "alpha"], ["incl", "sub"], ["incl", "sub", "beta-1"]):
    print(importlib.import_module(".".join(parts)).NAME)
print("done")
"#;

#[test]
fn include_brings_a_package_with_all_its_submodules() {
    for_each_interpreter(test_name!(), |python| {
        let venv = plugin_venv(python)?;
        let app = write_app("include", &[("main.py", INCLUDE_MAIN)]);
        let frozen = freeze(&app.path, &venv.python, &["--include", "incl"])
            .map_err(|e| format!("{python}: {e}"))?;
        let reference = venv.run_main(&app.path);
        let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
        Ok(against(python, "--include incl", &reference, &out))
    });
}

const TEST_PACKAGE_MAIN: &str = r#"import multiprocessing.util
from test import support

print(support.__name__, support.verbose)
print("done")
"#;

#[test]
fn an_app_that_imports_cpythons_test_package_gets_it() {
    for_each_interpreter(test_name!(), |python| {
        let app = write_app("uses_test", &[("main.py", TEST_PACKAGE_MAIN)]);
        let frozen = freeze(&app.path, python, &[]).map_err(|e| format!("{python}: {e}"))?;
        let reference = run_python(python, &app.path, &["main.py"], None, &[]);
        let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
        let mut problems = against(python, "import test.support", &reference, &out);
        // What multiprocessing.util imports of it, the app imports too: no note.
        let notes_test = frozen
            .build
            .stdout
            .lines()
            .filter_map(|line| line.strip_prefix("note: left out by default"))
            .filter_map(|line| line.split_once("): ")?.1.split_once(';'))
            .any(|(names, _)| names.split(", ").any(|name| name == "test"));
        if notes_test {
            problems.push(format!(
                "{python}: the build notes a default exclusion the app overrides\n{}",
                frozen.build
            ));
        }
        Ok(problems)
    });
}
