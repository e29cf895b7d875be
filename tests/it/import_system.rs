//! The import system's APIs in a frozen app, each compared with `python -E -s -S main.py
//! <mode>` on every interpreter (stdout, exit status, masked stderr): `LazyLoader`; a package
//! made another one by a meta-path finder, as setuptools' `_distutils_hack` makes `distutils`
//! `setuptools._distutils`, whose submodules come from its `__path__`; vendoring aliases made
//! with `__path__` and a `__path__` emptied; `pkgutil.extend_path` and directories on disk in a
//! bundled package's `__path__`; `reload`; `module_from_spec` and `spec_from_loader`;
//! `find_spec` then `exec_module`; `invalidate_caches`; `sys.modules` manipulation (pip's
//! `_vendor` aliases); data-only namespace packages and a subpackage nothing imports read with
//! `importlib.resources`; the resources of a package whose `__init__` is an extension module.
//!
//! One app, frozen once per interpreter, runs one behaviour per mode (`main.py <mode>`); it
//! prints paths relative to itself (the bundle, frozen) or to the temporary directory a mode
//! writes modules to, so that its stdout compares whole. Each test also holds the frozen app
//! to its exact stdout, so that a comparison of two failures cannot pass.

use std::ffi::OsStr;

use pyfreeze_tests::{
    bundle_with, c_toolchain, cc, check_exact, compare, for_each_interpreter, freeze, run_frozen,
    run_frozen_in, test_name, write_app, AppDir, Case, Exact, Interpreter, Status,
};

const MAIN: &str = r#""""The import system's APIs, one mode per run (sys.argv[1]); paths are printed relative
to the app (the bundle, frozen) or to a temporary directory, so that stdout compares
whole."""
import importlib
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def rel(path, start=HERE):
    return None if path is None else os.path.relpath(path, start)


def rel_tmp(paths, tmp):
    """``paths`` relative to the app, or to the temporary directory ``tmp``."""
    return [rel(p) if p.startswith(HERE) else "<tmp>/" + rel(p, tmp) for p in paths]


def write(path, text):
    with open(path, "w") as file:
        file.write(text)


def bundled():
    """Never called: what only the modes' dynamic imports reach, for the build to see."""
    import lazy_pkg.sub
    import lazy_target
    import plain
    import realpkg.mod


def lazy(name):
    """The module ``name`` imported through LazyLoader, as its documentation does it."""
    spec = importlib.util.find_spec(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


def mode_lazy():
    target = lazy("lazy_target")
    print("lazy_target set up, not run")
    print("VALUE", target.VALUE)
    print(type(target).__name__, target.__name__, rel(target.__file__), target.__spec__.name,
          target.__loader__ is target.__spec__.loader,
          isinstance(target.__loader__, importlib.util.LazyLoader))
    lazy("lazy_pkg")
    print("lazy_pkg set up, not run")
    import lazy_pkg.sub

    print(lazy_pkg.NAME, lazy_pkg.sub.NAME, rel(lazy_pkg.sub.__file__))


def describe(module):
    import inspect
    import linecache

    spec = module.__spec__
    loader = module.__loader__
    print(module.__name__, module.WHO, rel(module.__file__), module.__package__,
          rel(module.__cached__), spec.name, rel(spec.origin), spec.parent, spec.has_location,
          loader is spec.loader)
    print("  source:", loader.get_source(module.__name__).splitlines()[0],
          loader.is_package(module.__name__), rel(loader.get_filename(module.__name__)),
          repr(linecache.getline(module.__file__, 1)), inspect.getsource(module).splitlines()[0])


def mode_alias():
    import traceback

    import fakesetup.hack

    fakesetup.hack.install()
    import shadowed

    print(shadowed.__name__, shadowed.WHO, shadowed is sys.modules["fakesetup._distutils"],
          [rel(p) for p in shadowed.__path__])
    import shadowed.core
    from shadowed.command import build

    for module in (shadowed.core, build):
        describe(module)
    print(shadowed.core.where())
    try:
        shadowed.core.fail()
    except ValueError as exc:
        for frame in traceback.extract_tb(exc.__traceback__):
            print("  ", rel(frame.filename), frame.lineno, frame.name, frame.line)
    print(sorted(n for n in sys.modules if n.startswith(("shadowed", "fakesetup"))))


def mode_path():
    import aliaspkg.mod

    describe(aliaspkg.mod)
    print([rel(p) for p in aliaspkg.__path__], "realpkg.mod" in sys.modules)
    import emptied

    emptied.__path__ = []
    try:
        import emptied.sub
    except ImportError as exc:
        print(type(exc).__name__, exc, exc.name)
    emptied.__path__ = aliaspkg.__path__
    import emptied.mod

    describe(emptied.mod)


def mode_extend():
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        portion = os.path.join(tmp, "extended")
        os.mkdir(portion)
        write(os.path.join(portion, "on_disk.py"), "WHERE = 'on disk'\n")
        write(os.path.join(portion, "bundled.py"), "WHERE = 'on disk, shadowed'\n")
        sys.path.append(tmp)
        import extended

        print(rel_tmp(extended.__path__, tmp))
        import extended.bundled
        import extended.on_disk

        print(extended.bundled.WHERE, rel(extended.bundled.__file__))
        print(extended.on_disk.WHERE, rel(extended.on_disk.__file__, tmp),
              type(extended.on_disk.__loader__).__name__)
        shadow = os.path.join(tmp, "shadow")
        os.mkdir(shadow)
        write(os.path.join(shadow, "first.py"), "WHERE = 'on disk, first'\n")
        extended.__path__.insert(0, shadow)
        import extended.first

        print(extended.first.WHERE, rel(extended.first.__file__, tmp))
        write(os.path.join(portion, "later.py"), "WHERE = 'written later'\n")
        importlib.invalidate_caches()
        import extended.later

        print(extended.later.WHERE, rel(extended.later.__file__, tmp))
        for name in [n for n in sys.modules if n.startswith("extended")]:
            del sys.modules[name]


def mode_reload():
    import counter

    counter.VALUE = "changed"
    again = importlib.reload(counter)
    print(again is counter, counter.VALUE, counter.LOADS)
    import realpkg.mod

    realpkg.mod.WHO = "changed"
    importlib.reload(realpkg)
    importlib.reload(realpkg.mod)
    print(realpkg.mod.WHO, rel(realpkg.mod.__file__))
    import aliaspkg.mod

    aliaspkg.mod.WHO = "changed"
    importlib.reload(aliaspkg.mod)
    print(aliaspkg.mod.__name__, aliaspkg.mod.WHO, rel(aliaspkg.mod.__file__))
    import emptied.sub

    emptied.__path__ = []
    try:
        importlib.reload(emptied.sub)
    except ImportError as exc:
        print(type(exc).__name__, exc, exc.name)


def mode_specs():
    spec = importlib.util.find_spec("plain")
    loader = spec.loader
    made = importlib.util.spec_from_loader("plain", loader)
    print(made.name, rel(made.origin), made.has_location, made.submodule_search_locations,
          made.loader is loader, rel(made.cached), repr(made.parent))
    module = importlib.util.module_from_spec(made)
    print(module.__name__, rel(module.__file__), hasattr(module, "VALUE"), "plain" in sys.modules)
    made.loader.exec_module(module)
    print(module.VALUE, rel(module.__file__), rel(module.__cached__))
    package_loader = importlib.util.find_spec("realpkg").loader
    package = importlib.util.spec_from_loader("realpkg", package_loader)
    print(package.name, rel(package.origin), [rel(p) for p in package.submodule_search_locations])
    not_package = importlib.util.spec_from_loader("plain", loader, is_package=False)
    print(not_package.submodule_search_locations)
    filename = loader.get_filename("plain")
    located = importlib.util.spec_from_file_location("plain", filename, loader=loader)
    module = importlib.util.module_from_spec(located)
    located.loader.exec_module(module)
    print(located.name, rel(located.origin), module.VALUE, located.loader is loader)


def mode_find_exec():
    def load(name):
        spec = importlib.util.find_spec(name)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    module = load("realpkg.mod")
    describe(module)
    print(sys.modules["realpkg.mod"] is module, "realpkg" in sys.modules)
    module.WHO = "changed"
    module.__spec__.loader.exec_module(module)
    print(module.WHO)
    package = load("nsmods")
    print(type(package.__path__).__name__, [rel(p) for p in package.__path__],
          package.__spec__.origin, package.__spec__.loader is package.__loader__)
    print(load("nsmods.a").WHERE)


def mode_invalidate():
    import tempfile

    import nsmods.a
    import realpkg.mod

    importlib.invalidate_caches()
    import nsmods.b

    print(nsmods.a.WHERE, nsmods.b.WHERE, [rel(p) for p in nsmods.__path__])
    with tempfile.TemporaryDirectory() as tmp:
        sys.path.append(tmp)
        portion = os.path.join(tmp, "nsmods")
        os.mkdir(portion)
        write(os.path.join(portion, "c.py"), "WHERE = 'c on disk'\n")
        importlib.invalidate_caches()
        import nsmods.c

        print(nsmods.c.WHERE, rel_tmp(nsmods.__path__, tmp))
        try:
            import written_later
        except ImportError as exc:
            print(type(exc).__name__, exc)
        write(os.path.join(tmp, "written_later.py"), "WHERE = 'written later'\n")
        importlib.invalidate_caches()
        import written_later

        print(written_later.WHERE)
        sys.path.remove(tmp)
    importlib.invalidate_caches()
    print([rel(p) for p in nsmods.__path__])
    first = realpkg.mod
    del sys.modules["realpkg.mod"]
    import realpkg.mod

    print(realpkg.mod.WHO, realpkg.mod is first)


def mode_sys_modules():
    import types

    fake = types.ModuleType("fake_top")
    fake.WHERE = "put in sys.modules"
    sys.modules["fake_top"] = fake
    import fake_top

    print(fake_top is fake, fake_top.WHERE)
    sys.modules["realpkg.mod"] = fake
    from realpkg import mod

    print(mod is fake, "realpkg" in sys.modules)
    sys.modules["plain"] = None
    try:
        import plain
    except ImportError as exc:
        print(type(exc).__name__, exc, exc.name)
    del sys.modules["plain"]
    import plain

    first = plain
    del sys.modules["plain"]
    import plain

    print(plain is first, plain.VALUE)
    import vendorpkg._vendor

    from vendorpkg._vendor import plain as vendored

    print(vendored is plain, sys.modules["vendorpkg._vendor.plain"] is plain)
    import vendorpkg._vendor.plain

    print(vendorpkg._vendor.plain is plain)
    for name in [n for n in sys.modules if n == "realpkg" or n.startswith("realpkg.")]:
        del sys.modules[name]
    import realpkg.mod

    print(realpkg.mod.WHO, realpkg.mod is not fake)


def mode_data():
    import pkgutil

    import acme

    resources = [("acme.data", "a.json"), ("acme.data.deeper", "b.json"),
                 ("acme.unimported", "info.txt"), ("acme.zoneinfo.America", "New_York")]
    for name, leaf in resources:
        try:
            if sys.version_info >= (3, 9):
                from importlib.resources import files

                root = files(name)
                names = [p.name for p in root.iterdir()]
                text = (root / leaf).read_text()
            else:
                import importlib.resources as r

                names = list(r.contents(name))
                text = r.read_text(name, leaf)
        except Exception as exc:
            print(name, "raised", type(exc).__name__)
        else:
            print(name, sorted(n for n in names if n != "__pycache__"), repr(text))
    import acme.data

    print(type(acme.data.__path__).__name__, [rel(p) for p in acme.data.__path__],
          acme.data.__spec__.origin, hasattr(acme.data, "__file__"))
    print(sorted(m.name for m in pkgutil.iter_modules(acme.__path__)))
    try:
        import acme.nothing
    except ImportError as exc:
        print(type(exc).__name__, exc)


globals()["mode_" + sys.argv[1]]()
"#;

fn import_system_app() -> AppDir {
    let mut files = vec![("main.py", MAIN)];
    files.extend_from_slice(FILES);
    write_app("import_system", &files)
}

/// The app's modules and data besides `main.py`.
const FILES: &[(&str, &str)] = &[
    ("acme/__init__.py", "\n"),
    ("acme/data/a.json", "{\"a\": 1}\n"),
    ("acme/data/deeper/b.json", "{\"b\": 2}\n"),
    ("acme/unimported/__init__.py", "WHO = \"acme.unimported\"\n"),
    ("acme/unimported/info.txt", "unimported info\n"),
    ("acme/zoneinfo/America/New_York", "EST5EDT\n"),
    ("acme/zoneinfo/__init__.py", "\n"),
    (
        "aliaspkg/__init__.py",
        r#""""A vendoring alias: its modules are realpkg's."""
import os

__path__ = [os.path.join(os.path.dirname(os.path.dirname(__file__)), "realpkg")]
"#,
    ),
    (
        "counter.py",
        r#"import builtins

LOADS = builtins.__dict__.setdefault("counter_loads", [])
LOADS.append(__name__)
VALUE = len(LOADS)
"#,
    ),
    ("emptied/__init__.py", "WHO = \"emptied\"\n"),
    ("emptied/sub.py", "WHO = \"emptied.sub\"\n"),
    (
        "extended/__init__.py",
        r#"import pkgutil

__path__ = pkgutil.extend_path(__path__, __name__)
"#,
    ),
    ("extended/bundled.py", "WHERE = 'in the app'\n"),
    ("fakesetup/__init__.py", "\n"),
    (
        "fakesetup/_distutils/__init__.py",
        "WHO = \"fakesetup._distutils\"\n",
    ),
    ("fakesetup/_distutils/command/__init__.py", "\n"),
    (
        "fakesetup/_distutils/command/build.py",
        "WHO = \"fakesetup's build\"\n",
    ),
    (
        "fakesetup/_distutils/core.py",
        r#"WHO = "fakesetup's core"


def where():
    return __name__, __spec__.name, __package__


def fail():
    raise ValueError("from " + __name__)
"#,
    ),
    (
        "fakesetup/hack.py",
        r#""""What setuptools' _distutils_hack does for distutils, for the name ``shadowed``: a
meta-path finder that makes it fakesetup._distutils, whose __path__ then serves its
submodules."""
import importlib
import importlib.abc
import importlib.util
import sys


class DistutilsLoader(importlib.abc.Loader):
    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        self.module.__name__ = "shadowed"
        return self.module

    def exec_module(self, module):
        pass


class DistutilsMetaFinder:
    def find_spec(self, fullname, path, target=None):
        if path is not None or fullname != "shadowed":
            return None
        module = importlib.import_module("fakesetup._distutils")
        return importlib.util.spec_from_loader(
            "shadowed", DistutilsLoader(module), origin=module.__file__
        )


def install():
    sys.meta_path.insert(0, DistutilsMetaFinder())
"#,
    ),
    (
        "lazy_pkg/__init__.py",
        r#"print("lazy_pkg runs")
NAME = "lazy_pkg"
"#,
    ),
    (
        "lazy_pkg/sub.py",
        r#"print("lazy_pkg.sub runs")
NAME = "lazy_pkg.sub"
"#,
    ),
    (
        "lazy_target.py",
        r#"print("lazy_target runs")
VALUE = 42
"#,
    ),
    ("nsmods/a.py", "WHERE = 'nsmods.a'\n"),
    ("nsmods/b.py", "WHERE = 'nsmods.b'\n"),
    (
        "plain.py",
        r#"print("plain runs")
VALUE = "plain"
"#,
    ),
    ("realpkg/__init__.py", "WHO = \"realpkg\"\n"),
    ("realpkg/mod.py", "WHO = \"realpkg.mod\"\n"),
    ("shadowed/__init__.py", "WHO = \"shadowed itself\"\n"),
    ("shadowed/command/__init__.py", "\n"),
    (
        "shadowed/command/build.py",
        "WHO = \"shadowed's own build\"\n",
    ),
    ("shadowed/core.py", "WHO = \"shadowed's own core\"\n"),
    ("vendorpkg/__init__.py", "\n"),
    (
        "vendorpkg/_vendor/__init__.py",
        r#""""Vendored modules as pip's _vendor makes them: aliases in sys.modules of the real ones."""
import sys


def vendored(modulename):
    vendored_name = "{0}.{1}".format(__name__, modulename)
    try:
        __import__(modulename, globals(), locals(), level=0)
    except ImportError:
        pass
    else:
        sys.modules[vendored_name] = sys.modules[modulename]
        base, head = vendored_name.rsplit(".", 1)
        setattr(sys.modules[base], head, sys.modules[modulename])


vendored("plain")
"#,
    ),
];

/// `pyfreeze build` arguments for `python`: on 3.13 `PathFinder.invalidate_caches` imports
/// `importlib.metadata` (modes `extend` and `invalidate`), which the analysis does not
/// bundle for an app that only calls `importlib.invalidate_caches()`: bringing it with
/// `importlib` would put it into nearly every bundle.
fn build_args(python: &Interpreter) -> &'static [&'static str] {
    match python.version_info.1 {
        ..=12 => &[],
        _ => &["--include", "importlib.metadata"],
    }
}

/// Compares the run of `mode` with CPython's on every interpreter, and holds the frozen app
/// to `expected` (what the mode prints for a minor version), in which `TAG` stands for the
/// interpreter's digits in its cache tag (`cpython-TAG.pyc`).
fn check_mode(test: &str, mode: &str, expected: impl Fn(u32) -> &'static str) {
    for_each_interpreter(test, |python| {
        let frozen = bundle_with(
            "import_system",
            python,
            build_args(python),
            import_system_app,
        )?;
        let app = import_system_app();
        let args = [mode];
        let mut problems = compare(
            python,
            &frozen.exe,
            &app,
            &Case::new(&args, Status::Code(0)),
        );
        let (major, minor) = (python.version_info.0, python.version_info.1);
        let stdout = expected(minor).replace("TAG", &format!("{major}{minor}"));
        let out = run_frozen(&frozen.exe, &args, None, &[]);
        problems.extend(check_exact(
            &format!("{python}, mode {mode}: frozen app"),
            &out,
            &Exact::clean(&stdout),
        ));
        Ok(problems)
    });
}

/// What mode `lazy` prints.
const LAZY_STDOUT: &str = r#"lazy_target set up, not run
lazy_target runs
VALUE 42
module lazy_target lazy_target.py lazy_target True False
lazy_pkg set up, not run
lazy_pkg runs
lazy_pkg.sub runs
lazy_pkg lazy_pkg.sub lazy_pkg/sub.py
"#;

#[test]
fn lazy_loader_runs_a_module_at_its_first_attribute_access() {
    check_mode(test_name!(), "lazy", |_| LAZY_STDOUT);
}

/// What mode `alias` prints.
const ALIAS_STDOUT: &str = r#"shadowed fakesetup._distutils True ['fakesetup/_distutils']
shadowed.core fakesetup's core fakesetup/_distutils/core.py shadowed fakesetup/_distutils/__pycache__/core.cpython-TAG.pyc shadowed.core fakesetup/_distutils/core.py shadowed True True
  source: WHO = "fakesetup's core" False fakesetup/_distutils/core.py 'WHO = "fakesetup\'s core"\n' WHO = "fakesetup's core"
shadowed.command.build fakesetup's build fakesetup/_distutils/command/build.py shadowed.command fakesetup/_distutils/command/__pycache__/build.cpython-TAG.pyc shadowed.command.build fakesetup/_distutils/command/build.py shadowed.command True True
  source: WHO = "fakesetup's build" False fakesetup/_distutils/command/build.py 'WHO = "fakesetup\'s build"\n' WHO = "fakesetup's build"
('shadowed.core', 'shadowed.core', 'shadowed')
   main.py 90 mode_alias shadowed.core.fail()
   fakesetup/_distutils/core.py 9 fail raise ValueError("from " + __name__)
['fakesetup', 'fakesetup._distutils', 'fakesetup.hack', 'shadowed', 'shadowed.command', 'shadowed.command.build', 'shadowed.core']
"#;

#[test]
fn a_package_aliased_like_distutils_serves_its_submodules_under_the_alias() {
    check_mode(test_name!(), "alias", |_| ALIAS_STDOUT);
}

/// What mode `path` prints.
const PATH_STDOUT: &str = r#"aliaspkg.mod realpkg.mod realpkg/mod.py aliaspkg realpkg/__pycache__/mod.cpython-TAG.pyc aliaspkg.mod realpkg/mod.py aliaspkg True True
  source: WHO = "realpkg.mod" False realpkg/mod.py 'WHO = "realpkg.mod"\n' WHO = "realpkg.mod"
['realpkg'] False
ModuleNotFoundError No module named 'emptied.sub' emptied.sub
emptied.mod realpkg.mod realpkg/mod.py emptied realpkg/__pycache__/mod.cpython-TAG.pyc emptied.mod realpkg/mod.py emptied True True
  source: WHO = "realpkg.mod" False realpkg/mod.py 'WHO = "realpkg.mod"\n' WHO = "realpkg.mod"
"#;

#[test]
fn a_replaced_path_serves_another_directory_and_an_emptied_one_nothing() {
    check_mode(test_name!(), "path", |_| PATH_STDOUT);
}

/// What mode `extend` prints.
const EXTEND_STDOUT: &str = r#"['extended', '<tmp>/extended']
in the app extended/bundled.py
on disk extended/on_disk.py SourceFileLoader
on disk, first shadow/first.py
written later extended/later.py
"#;

#[test]
fn extend_path_and_directories_on_disk_in_a_bundled_package_path() {
    check_mode(test_name!(), "extend", |_| EXTEND_STDOUT);
}

/// What mode `reload` prints.
const RELOAD_STDOUT: &str = r#"True 2 ['counter', 'counter']
realpkg.mod realpkg/mod.py
aliaspkg.mod realpkg.mod realpkg/mod.py
ModuleNotFoundError spec not found for the module 'emptied.sub' emptied.sub
"#;

#[test]
fn reload_finds_a_module_again_where_its_parent_path_leads() {
    check_mode(test_name!(), "reload", |_| RELOAD_STDOUT);
}

/// What mode `specs` prints.
const SPECS_STDOUT: &str = r#"plain plain.py True None True __pycache__/plain.cpython-TAG.pyc ''
plain plain.py False False
plain runs
plain plain.py __pycache__/plain.cpython-TAG.pyc
realpkg realpkg/__init__.py ['realpkg']
None
plain runs
plain plain.py plain True
"#;

#[test]
fn module_from_spec_and_spec_from_loader() {
    check_mode(test_name!(), "specs", |_| SPECS_STDOUT);
}

/// What mode `find_exec` prints.
const FIND_EXEC_STDOUT: &str = r#"realpkg.mod realpkg.mod realpkg/mod.py realpkg realpkg/__pycache__/mod.cpython-TAG.pyc realpkg.mod realpkg/mod.py realpkg True True
  source: WHO = "realpkg.mod" False realpkg/mod.py 'WHO = "realpkg.mod"\n' WHO = "realpkg.mod"
True True
realpkg.mod
_NamespacePath ['nsmods'] None True
nsmods.a
"#;

#[test]
fn find_spec_then_exec_module() {
    check_mode(test_name!(), "find_exec", |_| FIND_EXEC_STDOUT);
}

/// What mode `invalidate` prints.
const INVALIDATE_STDOUT: &str = r#"nsmods.a nsmods.b ['nsmods']
c on disk ['nsmods', '<tmp>/nsmods']
ModuleNotFoundError No module named 'written_later'
written later
['nsmods']
realpkg.mod False
"#;

#[test]
fn invalidate_caches_keeps_the_bundle_and_finds_new_files() {
    check_mode(test_name!(), "invalidate", |_| INVALIDATE_STDOUT);
}

/// What mode `sys_modules` prints.
const SYS_MODULES_STDOUT: &str = r#"True put in sys.modules
True True
ModuleNotFoundError import of plain halted; None in sys.modules plain
plain runs
plain runs
False plain
True True
True
realpkg.mod True
"#;

#[test]
fn sys_modules_entries_put_none_removed_and_vendored() {
    check_mode(test_name!(), "sys_modules", |_| SYS_MODULES_STDOUT);
}

/// What mode `data` prints: 3.8 has no `files()`, and neither it nor 3.9 reads a namespace
/// package's resources.
const DATA_STDOUT_3_8: &str = r#"acme.data raised FileNotFoundError
acme.data.deeper raised FileNotFoundError
acme.unimported ['__init__.py', 'info.txt'] 'unimported info\n'
acme.zoneinfo.America raised FileNotFoundError
_NamespacePath ['acme/data'] None True
['unimported', 'zoneinfo']
ModuleNotFoundError No module named 'acme.nothing'
"#;
const DATA_STDOUT_3_9: &str = r#"acme.data raised TypeError
acme.data.deeper raised TypeError
acme.unimported ['__init__.py', 'info.txt'] 'unimported info\n'
acme.zoneinfo.America raised TypeError
_NamespacePath ['acme/data'] None True
['unimported', 'zoneinfo']
ModuleNotFoundError No module named 'acme.nothing'
"#;
const DATA_STDOUT: &str = r#"acme.data ['a.json', 'deeper'] '{"a": 1}\n'
acme.data.deeper ['b.json'] '{"b": 2}\n'
acme.unimported ['__init__.py', 'info.txt'] 'unimported info\n'
acme.zoneinfo.America ['New_York'] 'EST5EDT\n'
_NamespacePath ['acme/data'] None True
['unimported', 'zoneinfo']
ModuleNotFoundError No module named 'acme.nothing'
"#;

#[test]
fn data_only_namespace_packages_and_unimported_subpackages_serve_their_files() {
    check_mode(test_name!(), "data", |minor| match minor {
        8 => DATA_STDOUT_3_8,
        9 => DATA_STDOUT_3_9,
        _ => DATA_STDOUT,
    });
}

/// The extension module `extpkg`, built as `extpkg/__init__<suffix>`: a package.
const EXTPKG_C: &str = r#"#define PY_SSIZE_T_CLEAN
#include <Python.h>
static PyObject *kind(PyObject *self, PyObject *args) {
    (void)self; (void)args;
    return PyUnicode_FromString("extension package");
}
static PyMethodDef methods[] = {{"kind", kind, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "extpkg", NULL, -1, methods};
PyMODINIT_FUNC PyInit_extpkg(void) { return PyModule_Create(&def); }
"#;

/// Reads `extpkg`'s files as chardet reads its models (`files("chardet.models")`), with the
/// older API on 3.8.
const EXTPKG_MAIN: &str = r#"import importlib.machinery
import sys

import extpkg
import extpkg.helper

suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
print(extpkg.kind(), extpkg.__file__.endswith("/extpkg/__init__" + suffix), len(extpkg.__path__))
print(extpkg.helper.WHERE)
if sys.version_info >= (3, 9):
    from importlib.resources import files

    root = files("extpkg")
    print(sorted(p.name for p in root.iterdir() if p.name != "__pycache__"))
    print(repr((root / "top.txt").read_text()), (root / "res" / "idf.bin").read_bytes())
else:
    import importlib.resources

    print(sorted(n for n in importlib.resources.contents("extpkg") if n != "__pycache__"))
    print(repr(importlib.resources.read_text("extpkg", "top.txt")))
"#;

#[test]
fn an_extension_module_package_serves_its_resources() {
    for_each_interpreter(test_name!(), |python| {
        let (include, suffix) = c_toolchain(python)?;
        let app = write_app(
            "extpkg",
            &[
                ("main.py", EXTPKG_MAIN),
                ("extpkg/helper.py", "WHERE = 'extpkg.helper'\n"),
                ("extpkg/top.txt", "top of extpkg\n"),
                ("extpkg/res/idf.bin", "idf\n"),
            ],
        );
        let src = app.path.parent().expect("app in a directory");
        std::fs::write(src.join("extpkg.c"), EXTPKG_C).expect("write extpkg.c");
        let init = app.path.join("extpkg").join(format!("__init__{suffix}"));
        let include = format!("-I{}", include.display());
        let args = ["-shared", "-fPIC", &include, "extpkg.c", "-o"].map(OsStr::new);
        cc(src, &[&args[..], &[init.as_os_str()]].concat());
        let frozen = freeze(&app.path, python, &[]).map_err(|e| format!("{python}: {e}"))?;
        let mut problems = compare(python, &frozen.exe, &app, &Case::new(&[], Status::Code(0)));
        let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
        let listing = format!("['__init__{suffix}', 'helper.py', 'res', 'top.txt']");
        let expected = if python.version_info.1 >= 9 {
            format!("{listing}\n'top of extpkg\\n' b'idf\\n'\n")
        } else {
            format!("{listing}\n'top of extpkg\\n'\n")
        };
        let expected = format!("extension package True 1\nextpkg.helper\n{expected}");
        problems.extend(check_exact(
            &format!("{python}: frozen app"),
            &out,
            &Exact::clean(&expected),
        ));
        Ok(problems)
    });
}
