//! Imports by a name computed at run time, frozen and run against CPython on every
//! interpreter: the standard library's own (sysconfig's build variables, dbm's modules
//! behind shelve, C code importing `sqlite3.dump` and `_strptime`, xml's parsers,
//! `find_spec`); a name with a literal prefix whose modules' file names are not
//! identifiers, and one with a literal suffix too; a distribution's entry points for its
//! own group; a table of module names, bare names handed to a class of the importing
//! module (six.moves), names handed to another module's importing function (pyzmq);
//! submodules of a package that a `.pth` file's hook serves under another name
//! (setuptools' `distutils`), and of a directory a package puts on `sys.path`
//! (setuptools' `_vendor`);
//! `--include` of a package bringing all its submodules; and an app importing CPython's
//! `test` package, which is left out only where the standard library imports it.
//!
//! What an app imports itself comes with its packages whole, so the packages whose
//! computed imports are tested live in a virtualenv (made without pip), as dependencies do.

use std::fs;

use pyfreeze_tests::{
    done_and_same, for_each_interpreter, freeze, holds_module, run_frozen_in, run_python,
    test_name, venv, write_app, Interpreter, PerRun, Venv,
};

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
        Ok(done_and_same(
            python,
            "stdlib computed imports",
            &reference,
            &out,
        ))
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
    // Bare module names handed to a class of the module that imports them by name, as
    // six.moves does; tkinter, a development tool, is not followed from a table.
    (
        "moved/__init__.py",
        "import sys\n\n\n\
         def _import(name):\n    \
             __import__(name)\n    \
             return sys.modules[name]\n\n\n\
         class Moved:\n    \
             def __init__(self, name, old):\n        \
                 self.name = name\n\n    \
             def load(self):\n        \
                 return _import(self.name)\n\n\n\
         MOVES = [Moved(\"colorsys\", \"ColorSys\"), Moved(\"sched\", \"Sched\"), Moved(\"tkinter\", \"Tkinter\")]\n\
         WORDS = len(\"wave\")\n\n\n\
         def load(name):\n    \
             return {m.name: m for m in MOVES}[name].load()\n",
    ),
    // A function of one module imports the name it is given; another module, which
    // imports the function, names the modules (pyzmq's backends).
    (
        "backsel/select.py",
        "from importlib import import_module\n\n\n\
         def select_backend(name):\n    \
             return import_module(name).NAME\n",
    ),
    (
        "backsel/__init__.py",
        "from .select import select_backend\n\n\
         first, second = (\"backsel.fast\", \"backsel.slow\")\n\
         try:\n    \
             NAME = select_backend(first)\n\
         except ImportError:\n    \
             NAME = select_backend(second)\n",
    ),
    // A function returns a handler that imports the module part of the dotted name it
    // was given; another module, which imports the function's module, names them
    // (boto3's `boto3.utils.lazy_call("boto3.s3.inject.inject_s3_transfer_methods")`).
    (
        "lazyreg/utils.py",
        "from importlib import import_module\n\n\n\
         def lazy_call(full_name):\n    \
             def handler():\n        \
                 module, _, attr = full_name.rpartition('.')\n        \
                 return getattr(import_module(module), attr)()\n\n    \
             return handler\n",
    ),
    ("lazyreg/__init__.py", ""),
    (
        "lazyreg/session.py",
        "import lazyreg.utils\n\n\
         HANDLERS = [lazyreg.utils.lazy_call('lazyreg.handlers.s3.inject')]\n",
    ),
    ("lazyreg/handlers/__init__.py", ""),
    ("lazyreg/handlers/s3.py", "def inject():\n    return 's3 injected'\n"),
    ("lazyreg/handlers/unused.py", "def inject():\n    return 'named nowhere'\n"),
    ("backsel/fast.py", "NAME = 'fast backend'\n"),
    ("backsel/slow.py", "NAME = 'slow backend'\n"),
    ("backsel/unused.py", "NAME = 'named nowhere'\n"),
    // A prefix and a literal suffix: a submodule of each package under the prefix
    // (pendulum's locales).
    (
        "localed/__init__.py",
        "def locale(name):\n    \
             from importlib import import_module\n\n    \
             return import_module(f\"localed.locales.{name}.locale\").NAME\n",
    ),
    ("localed/locales/__init__.py", ""),
    ("localed/locales/en/__init__.py", ""),
    ("localed/locales/en/locale.py", "NAME = 'en'\n"),
    ("localed/locales/en/other.py", "NAME = 'not a locale'\n"),
    ("localed/locales/fr_fr/__init__.py", ""),
    ("localed/locales/fr_fr/locale.py", "NAME = 'fr_fr'\n"),
    // A .pth file's meta path hook serves a package under another top-level name, as
    // setuptools' `_distutils_hack` serves `setuptools._distutils` as `distutils`; the
    // package installs the hook itself when it is imported, as setuptools does.
    ("aliashack.pth", "import aliashack_shim; aliashack_shim.install()\n"),
    (
        "aliashack_shim.py",
        "import importlib\nimport importlib.util\nimport sys\n\n\n\
         class Loader:\n    \
             def __init__(self, module):\n        \
                 self.module = module\n\n    \
             def create_module(self, spec):\n        \
                 return self.module\n\n    \
             def exec_module(self, module):\n        \
                 pass\n\n\n\
         class Finder:\n    \
             def find_spec(self, fullname, path, target=None):\n        \
                 if fullname != \"aliased\":\n            \
                     return None\n        \
                 real = importlib.import_module(\"realpkg._impl\")\n        \
                 return importlib.util.spec_from_loader(\"aliased\", Loader(real), origin=real.__file__)\n\n\n\
         def install():\n    \
             if not any(isinstance(f, Finder) for f in sys.meta_path):\n        \
                 sys.meta_path.insert(0, Finder())\n",
    ),
    (
        "realpkg/__init__.py",
        "import aliashack_shim\n\naliashack_shim.install()\n",
    ),
    ("realpkg/_impl/__init__.py", ""),
    ("realpkg/_impl/core.py", "NAME = 'core of the alias'\n"),
    // A package that puts a directory of its own on sys.path, whose packages it then
    // imports as top-level ones (setuptools' `_vendor`).
    (
        "vendoring/__init__.py",
        "import os\nimport sys\n\n\
         sys.path.append(os.path.join(os.path.dirname(__file__), \"_vendor\"))\n\n\
         import vendored_dep.sub\n\n\
         NAME = vendored_dep.sub.NAME\n",
    ),
    ("vendoring/_vendor/vendored_dep/__init__.py", ""),
    ("vendoring/_vendor/vendored_dep/sub.py", "NAME = 'vendored'\n"),
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

const PLUGINS_MAIN: &str = r#"import sys

import backsel
import lazyreg.session
import localed
import moved
import plugdist
import realpkg
import tabled
import uniprefix
import uniprefix._data
import vendoring

import aliased.core

print(uniprefix.table("15-0-0"), uniprefix.table("9-0-0"))
print(uniprefix._data.table("15-0-0"))
print(tabled.backend("fast"), tabled.backend("slow"))
print(plugdist.plugins())
print(moved.load("colorsys").rgb_to_hsv(1.0, 0.0, 0.0), moved.load("sched").scheduler)
print(backsel.NAME, localed.locale("en"), localed.locale("fr_fr"))
print(lazyreg.session.HANDLERS[0]())
print(aliased.core.__name__, aliased.core.NAME, realpkg.__name__)
print(vendoring.NAME, sys.modules["vendored_dep.sub"].__name__)
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
        let mut problems = done_and_same(python, "plugins", &reference, &out);
        // Each rule brings what CPython could compute, and no more.
        for name in [
            "uniprefix._data.other",
            "tabled.backends.unlisted",
            "plugdist_cli",
            "wave",
            "tkinter",
            "backsel.unused",
            "lazyreg.handlers.unused",
            "localed.locales.en.other",
        ] {
            if holds_module(&frozen.exe, name)? {
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
        Ok(done_and_same(python, "--include incl", &reference, &out))
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
        let mut problems = done_and_same(python, "import test.support", &reference, &out);
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
