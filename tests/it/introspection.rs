//! Introspection and module identity in a frozen app, compared with
//! `python -E -s -S main.py <mode>` on the same interpreter (stdout, exit status, masked
//! stderr): tracebacks with source lines (app modules, packages, nested calls, chained
//! exceptions, threads, exceptions CPython ignores and reports), `inspect`, `linecache`,
//! warnings, `faulthandler`; the import system (module attributes, `find_spec`, failed and
//! missing imports, `reload`, `runpy`); and what depends on a module's identity or source:
//! threads, asyncio, pickle, copyreg, dataclasses, `typing.get_type_hints`, enum.
//!
//! One app, frozen once per interpreter, runs one part per mode (`main.py <mode>`). It prints
//! paths relative to the app or the stdlib itself (`rel`, `masked` in `helper.py`), so that
//! its stdout compares whole.

use pyfreeze_tests::{
    bundle_of, compare, for_each_interpreter, run_frozen, test_name, write_app, AppDir, Case,
    Status,
};

const MAIN: &str = r#""""Introspection, imports and module identity, one mode per run (sys.argv[1])."""
import sys
# Here, not in mode_objects: dataclasses resolves the annotation "typing.ClassVar[int]"
# in the globals of the class's module.
import typing

import helper
from helper import masked, rel


class AppError(Exception):
    """Defined in __main__: CPython before 3.11 prints it as __main__.AppError."""


def mode_traceback():
    from pkg import inner

    try:
        inner.outer(3)
    except ValueError as exc:
        try:
            raise AppError("wrapped") from exc
        except AppError:
            {}["while handling"]


def mode_import_error():
    import pkg.bad


def mode_introspect():
    import inspect
    import linecache
    import traceback

    import pkg
    from pkg import inner

    main = sys.modules[__name__]
    # Nothing in the cache: linecache must find the lines from the path alone, as warnings
    # asks it.
    linecache.clearcache()
    for module in (helper, inner, pkg, main):
        print(rel(module.__file__), [linecache.getline(module.__file__, n) for n in (1, 2)])
    for obj in (helper.fail, helper.Greeter, helper.Greeter.greet, helper.Greeter.Inner,
                inner, pkg, AppError, mode_traceback):
        print(inspect.getsource(obj), end="")
        print("--", rel(inspect.getfile(obj)), rel(inspect.getsourcefile(obj)),
              inspect.getsourcelines(obj)[1], inspect.getmodule(obj).__name__)
    for module in (helper, main):
        source = inspect.getsource(module)
        print(rel(inspect.getsourcefile(module)), len(source.splitlines()),
              source == module.__loader__.get_source(module.__name__))
    print(inspect.getdoc(helper.Greeter), inspect.getcomments(helper.fail))
    for frame in inner.through(inspect.stack):
        print(rel(frame.filename), frame.lineno, frame.function, frame.code_context, frame.index)
    print(masked("".join(inner.through(lambda: traceback.format_stack(limit=3)))), end="")


def mode_modules():
    import importlib
    import importlib.util
    import json

    import counter
    import pkg
    import pkg.inner

    for module in (helper, pkg, pkg.inner, json, sys.modules[__name__]):
        spec = module.__spec__
        path = getattr(module, "__path__", None)
        print(module.__name__, rel(getattr(module, "__file__", None)), module.__package__,
              rel(getattr(module, "__cached__", None)), path and [rel(p) for p in path])
        if spec is None:
            print("  no spec; loader has get_source:", hasattr(module.__loader__, "get_source"))
            continue
        print("  spec:", spec.name, spec.origin == module.__file__, spec.parent == module.__package__,
              spec.has_location, spec.cached == module.__cached__, spec.loader is module.__loader__,
              spec.submodule_search_locations == path, spec.loader.is_package(spec.name),
              spec.loader.get_source(spec.name) is not None)
    for name in ("helper", "pkg", "pkg.tool", "json", "asyncio", "asyncio.events", "sys", "nope", "pkg.nope"):
        spec = importlib.util.find_spec(name)
        if spec is None:
            print("find_spec", name, None)
            continue
        locations = spec.submodule_search_locations
        print("find_spec", name, spec.name, rel(spec.origin), spec.parent, spec.has_location,
              rel(spec.cached), locations and [rel(p) for p in locations],
              spec.name in sys.modules)
    for name in ("helper.nope", "nope.sub"):
        try:
            importlib.util.find_spec(name)
        except ImportError as exc:
            print("find_spec", name, type(exc).__name__, exc, exc.name)

    for statement in ("import nope", "import pkg.nope", "from pkg import nope",
                      "import helper.nope", "import json.nope", "from json import nope",
                      "import pkg.bad"):
        before = set(sys.modules)
        try:
            exec(statement, {})
        except Exception as exc:
            name = exc.name if isinstance(exc, ImportError) else None
            path = rel(exc.path) if isinstance(exc, ImportError) else None
            print(statement, "->", type(exc).__name__, masked(str(exc)), name, path,
                  sorted(set(sys.modules) - before))
    print("pkg.bad left in pkg:", hasattr(pkg, "bad"))
    try:
        import broken
    except RuntimeError as exc:
        print("first import:", exc, "broken" in sys.modules)
    import broken
    print("second import:", broken.VALUE, sys.modules["broken"] is broken)

    reloaded = importlib.reload(counter)
    print("reload:", reloaded is counter, counter.VALUE, counter.LOADS)
    print("reload package:", importlib.reload(pkg) is pkg, pkg.NAME)

    import runpy

    globals_ = runpy.run_module("pkg.tool", run_name="__main__", alter_sys=True)
    print("run_module:", rel(globals_["__file__"]), globals_["__name__"], "pkg.tool" in sys.modules)
    runpy.run_module("pkg")


def mode_warnings():
    import io
    import warnings

    from pkg import inner

    captured = io.StringIO()
    sys.stderr = captured
    try:
        helper.warn_user("from an app module")
        inner.warn_here()
        warnings.warn("from __main__")
        helper.warn_caller()
        helper.warn_deprecated_here()
        for _ in range(2):
            helper.warn_user("shown once")
    finally:
        sys.stderr = sys.__stderr__
    sys.stderr.write(masked(captured.getvalue()))
    warnings.simplefilter("error")
    try:
        inner.warn_here()
    except RuntimeWarning as exc:
        print("caught:", exc)
    helper.warn_user("an error now")


def mode_unraisable():
    import atexit
    import io
    import re

    captured = io.StringIO()

    def report():
        sys.stderr = sys.__stderr__
        sys.stderr.write(re.sub(" at 0x[0-9a-f]+", "", masked(captured.getvalue())))

    # atexit calls these last first.
    atexit.register(report)
    if sys.version_info >= (3, 10):
        atexit.register(helper.fail, "in an atexit callback")
    sys.stderr = captured
    helper.Holder()
    generator = helper.generator()
    next(generator)
    del generator
    print("done")


def mode_faulthandler():
    import faulthandler

    from pkg import inner

    # faulthandler writes to the file descriptor, past sys.stderr's buffer.
    sys.stderr.flush()
    inner.through(lambda: faulthandler.dump_traceback(sys.stderr, all_threads=False))


def mode_threads():
    import concurrent.futures
    import threading

    local = threading.local()
    lock = threading.Lock()
    barrier = threading.Barrier(4)
    results = {}

    def work(n):
        local.value = n
        # All four alive at once: each must still see its own local.
        barrier.wait()
        with lock:
            results[n] = (local.value, threading.current_thread().name)

    threads = [threading.Thread(target=work, args=(n,), name="worker-%d" % n) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(sorted(results.items()), hasattr(local, "value"))
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        print(list(pool.map(helper.Greeter.greet, map(helper.Greeter, "abcde"))))
    failing = threading.Thread(target=helper.fail, args=("in a thread",), name="failing")
    failing.start()
    failing.join()
    print("joined")


def mode_asyncio():
    import asyncio

    async def handle(reader, writer):
        line = await reader.readline()
        writer.write(line.upper())
        await writer.drain()
        writer.close()

    async def talk(port, word):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(word.encode() + b"\n")
        await writer.drain()
        reply = await reader.readline()
        writer.close()
        await writer.wait_closed()
        return reply

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        replies = await asyncio.gather(*(talk(port, w) for w in ("ping", "frozen", "app")))
        server.close()
        await server.wait_closed()
        return replies

    print(asyncio.run(asyncio.wait_for(main(), 30)))


class Local:
    """Pickled by reference to __main__."""

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return type(other) is Local and other.value == self.value


def twice(x):
    return 2 * x


def mode_objects():
    import dataclasses
    import pickle

    import annotated

    @dataclasses.dataclass
    class Pair:
        left: "int"
        right: "typing.ClassVar[int]" = 0

    for obj in (helper.Greeter("x").greet.__func__, helper.fail, helper.Greeter.Inner,
                helper.Color.GREEN, helper.Perm.R | helper.Perm.X, helper.Shape.SQUARE,
                helper.Vector(1, 2), Local(3), twice, AppError, annotated.Item("a", 1.5),
                [Local(1), Local(1)]):
        data = pickle.dumps(obj, protocol=4)
        back = pickle.loads(data)
        print(type(back).__qualname__, back == obj, back is obj, data)
    print(helper.Shape.__module__, helper.Color.RED.__module__, list(helper.Perm), helper.Color(2))
    item = annotated.Item("b", 2.0, ["t"], parent=annotated.Item("a"))
    print([f.name for f in dataclasses.fields(item)], dataclasses.asdict(item))
    print(dataclasses.replace(item, name="c"))
    try:
        item.name = "d"
    except dataclasses.FrozenInstanceError as exc:
        print(type(exc).__name__, exc)
    print([f.name for f in dataclasses.fields(Pair)], Pair(1))
    print(typing.get_type_hints(annotated.Item))
    print(typing.get_type_hints(annotated.total))
    print(typing.get_type_hints(Pair))
    print(annotated.Item.__annotations__)


MODES = {name[len("mode_"):].replace("_", "-"): f for name, f in globals().items()
         if name.startswith("mode_")}

if __name__ == "__main__":
    MODES[sys.argv[1]]()
"#;

const HELPER: &str = r#""""App module: what the introspection modes look at."""
import copyreg
import enum
import os
import warnings

ROOT = os.path.dirname(os.path.abspath(__file__))
STDLIB = os.path.dirname(os.path.abspath(os.__file__))


def rel(path):
    """`path` inside the app or the stdlib: the same text frozen and not."""
    if path is None:
        return None
    for base in (ROOT, STDLIB):
        if path.startswith(base + os.sep):
            return path[len(base) + 1:]
    return path


def masked(text):
    return text.replace(ROOT + os.sep, "").replace(STDLIB + os.sep, "")


# Raises for the tracebacks (and inspect.getcomments finds this).
def fail(what):
    raise ValueError("failed: " + what)


class Greeter:
    """A class whose source inspect finds."""

    def __init__(self, name):
        self.name = name

    def greet(self):
        return "hello " + self.name

    class Inner:
        pass


def warn_user(message):
    warnings.warn(message)


def warn_caller():
    warnings.warn("deprecated, says the caller's line", DeprecationWarning, stacklevel=2)


def warn_deprecated_here():
    warnings.warn("ignored: a DeprecationWarning outside __main__", DeprecationWarning)


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Perm(enum.Flag):
    R = 4
    W = 2
    X = 1


Shape = enum.Enum("Shape", "CIRCLE SQUARE")


class Vector:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return (self.x, self.y) == (other.x, other.y)


def make_vector(x, y):
    return Vector(x, y)


copyreg.pickle(Vector, lambda v: (make_vector, (v.x, v.y)))


class Holder:
    def __del__(self):
        fail("in __del__")


def generator():
    try:
        yield 1
    finally:
        fail("closing a generator")
"#;

const ANNOTATED: &str = r#"from __future__ import annotations

import dataclasses
from typing import ClassVar, List, Optional


@dataclasses.dataclass(frozen=True)
class Item:
    name: str
    price: float = 0.0
    tags: List[str] = dataclasses.field(default_factory=list)
    registry: ClassVar[dict] = {}
    parent: Optional[Item] = None


def total(items: List[Item], discount: Optional[float] = None) -> float:
    return sum(item.price for item in items) - (discount or 0)
"#;

const BROKEN: &str = r#"import builtins

ATTEMPTS = builtins.__dict__.setdefault("broken_attempts", [])
ATTEMPTS.append(__name__)
if len(ATTEMPTS) == 1:
    raise RuntimeError("the first import of broken fails")
VALUE = "imported on attempt %d" % len(ATTEMPTS)
"#;

const COUNTER: &str = r#"import builtins

LOADS = builtins.__dict__.setdefault("counter_loads", [])
LOADS.append(__name__)
VALUE = len(LOADS)
"#;

const PKG_INIT: &str = r#""""A package."""
NAME = "pkg"
"#;

const PKG_INNER: &str = r#"import warnings

import helper


def outer(depth):
    return middle(depth)


def middle(depth):
    if depth:
        return middle(depth - 1)
    return helper.fail("deep")


def through(function):
    return function()


def warn_here():
    warnings.warn("from a package module", RuntimeWarning)
"#;

const PKG_BAD: &str = r#"import pkg.inner

pkg.inner.outer(0)
"#;

const PKG_TOOL: &str = r#"import sys

from helper import rel

print("tool:", __name__, rel(__file__), __package__, __spec__.name, rel(__spec__.origin))
print("tool:", __loader__ is __spec__.loader, rel(__cached__), rel(sys.argv[0]))
"#;

const PKG_MAIN: &str = r#"print("pkg.__main__:", __name__, __spec__.name, __package__)
"#;

fn introspect_app() -> AppDir {
    write_app(
        "introspect",
        &[
            ("main.py", MAIN),
            ("helper.py", HELPER),
            ("annotated.py", ANNOTATED),
            ("broken.py", BROKEN),
            ("counter.py", COUNTER),
            ("pkg/__init__.py", PKG_INIT),
            ("pkg/inner.py", PKG_INNER),
            ("pkg/bad.py", PKG_BAD),
            ("pkg/tool.py", PKG_TOOL),
            ("pkg/__main__.py", PKG_MAIN),
        ],
    )
}

/// Compares each mode's run with CPython's, and checks that the frozen app prints the text
/// given with it (on stdout or stderr): the source lines the comparison is about, found
/// where CPython finds them in files.
fn compare_modes(test: &str, modes: &[(Case<'_>, Option<&str>)]) {
    for_each_interpreter(test, |python| {
        let frozen = bundle_of("introspect", python, introspect_app)?;
        let app = introspect_app();
        let mut problems = Vec::new();
        for (case, shows) in modes {
            problems.extend(compare(python, &frozen.exe, &app, case));
            let Some(shows) = shows else { continue };
            let out = run_frozen(&frozen.exe, case.args, None, &[]);
            if !out.stdout.contains(shows) && !out.stderr.contains(shows) {
                problems.push(format!(
                    "{python}, args {:?}: the frozen app does not show {shows:?}\n{out}",
                    case.args
                ));
            }
        }
        Ok(problems)
    });
}

#[test]
fn tracebacks_inspect_linecache_warnings_faulthandler() {
    compare_modes(
        test_name!(),
        &[
            (
                Case::new(&["traceback"], Status::Code(1)),
                Some("    {}[\"while handling\"]\n"),
            ),
            (
                Case::new(&["import-error"], Status::Code(1)),
                Some("    pkg.inner.outer(0)\n"),
            ),
            (
                Case::new(&["introspect"], Status::Code(0)),
                Some("pkg/inner.py ['import warnings\\n', '\\n']\n"),
            ),
            (
                Case::new(&["warnings"], Status::Code(1)),
                Some("UserWarning: from __main__\n  warnings.warn(\"from __main__\")\n"),
            ),
            (
                Case::new(&["unraisable"], Status::Code(0)),
                Some("    fail(\"closing a generator\")\n"),
            ),
            (Case::new(&["faulthandler"], Status::Code(0)), None),
        ],
    );
}

#[test]
fn module_attributes_find_spec_failed_imports_reload_runpy() {
    compare_modes(
        test_name!(),
        &[(Case::new(&["modules"], Status::Code(0)), None)],
    );
}

#[test]
fn threads_asyncio_pickle_dataclasses_typing_enum() {
    compare_modes(
        test_name!(),
        &[
            (
                Case::new(&["threads"], Status::Code(0)),
                Some("    raise ValueError(\"failed: \" + what)\n"),
            ),
            (Case::new(&["asyncio"], Status::Code(0)), None),
            (Case::new(&["objects"], Status::Code(0)), None),
        ],
    );
}
