# Imports made by native code. Extension modules import Python modules by name from C,
# C++, Cython or Rust: numpy's core imports numpy._core._exceptions, cryptography's Rust
# imports _cffi_backend, a mypyc-compiled package its <hash>__mypyc helper, orjson imports
# uuid and json (and crashes if they are missing). No bytecode shows these, and the
# extension's strings do not either (Cython 3 compresses its string table). So each
# extension module of the closure is imported, once, in a child of the target interpreter,
# which records what its initialisation imports; the analysis follows those as imports of
# the extension, made when it is imported. What native code imports only when one of its
# functions runs, no import at build time shows: the modules of its own package that its C
# strings name (C and Cython before 3.0 keep them plain) are followed as imports made
# inside functions, and NATIVE_CALL_TIME_IMPORTS lists what else is known.

import marshal
import os
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import time

from .observe import REAL_SCANDIR

# How `pyfreeze why` says an extension module imports what it does (see Analysis.edges).
VIA_NATIVE = "imported by its native code"

# Imports native code makes when one of its functions runs, bundled (stored compressed
# unless something else imports them while the app starts) whenever the extension module
# is, if they are installed. The standard library's: the dotted names of existing modules
# among the strings of its extension modules, 3.8 to 3.13 (they are of other packages than
# the extension's own, which a build does not look for); the others: what their modules
# import from native code while the corpus' apps run (bench/corpus), names that Rust and
# Cython 3 keep out of sight.
NATIVE_CALL_TIME_IMPORTS = {
    # Connection.iterdump() runs sqlite3.dump._iterdump.
    "_sqlite3": ("sqlite3.dump",),
    # Its scanner raises json.decoder.JSONDecodeError.
    "_json": ("json.decoder",),
    "_zoneinfo": ("zoneinfo._common", "zoneinfo._tzpath"),
    # Its serializers look up the types they know, on first use; its errors name
    # pydantic's version when pydantic is installed.
    "pydantic_core._pydantic_core": ("pathlib", "pydantic.version", "uuid"),
}

# How long a child may stay silent (no extension module started or finished) before it is
# taken to hang: importing the largest packages (scipy, pandas, pyarrow) takes a few
# seconds, with many extension modules along the way.
PROBE_TIMEOUT = 60

# The child: reads (sys.path, [module...]) marshalled on stdin, imports each module, and
# writes its events, marshalled and each preceded by its 4-byte little-endian length, to
# the pipe that was its stdout, flushed as it goes, so that what it did before a crash or
# a hang is known: ("target", name) before each import it was asked for, ("start", name)
# and ("done", name, imports, error) around the loading of every extension module,
# ("failed", name, error) for an import that raised, ("made", name) for a module asked for
# that is in sys.modules though the import system never loaded it and .pth files did not
# import it (mypyc's group of modules initialises its members itself: what they import
# is recorded as the group's), ("end",) when it is through. Its own
# output goes to /dev/null; its stdin is /dev/null once read. It imports nothing before it
# watches (marshal is built in; site, which runs the .pth files, comes after): an
# extension module imported unwatched tells nothing.
#
# What an extension module imports is recorded while its loading (creation and execution,
# for single- and multi-phase initialisation) is the innermost one in progress: a module
# not yet in sys.modules reaches importlib's _find_and_load, which C's import calls; one
# already there does not, but C's import (and Python's) then reads its spec's _initializing,
# which a property of the spec's class records.
PROBE = r"""
import marshal
import os
import sys

_bootstrap = sys.modules["_frozen_importlib"]
ModuleSpec = _bootstrap.ModuleSpec
path, modules = marshal.loads(sys.stdin.buffer.read())
results = os.fdopen(os.dup(1), "wb")
null = os.open(os.devnull, os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(null, fd)
# The modules being loaded, innermost last, each with the set of what it imports if it
# is an extension module.
loading = []


def report(*event):
    data = marshal.dumps(event)
    results.write(len(data).to_bytes(4, "little") + data)
    results.flush()


def imported(name):
    if loading and loading[-1][1] is not None:
        loading[-1][1].add(name)


class Traced(ModuleSpec):
    @property
    def _initializing(self):
        imported(self.name)
        return self.__dict__.get("_initializing", False)

    @_initializing.setter
    def _initializing(self, value):
        self.__dict__["_initializing"] = value


def trace(spec):
    if type(spec) is ModuleSpec:
        spec.__class__ = Traced


find_and_load = _bootstrap._find_and_load
load_unlocked = _bootstrap._load_unlocked
ExtensionFileLoader = sys.modules["_frozen_importlib_external"].ExtensionFileLoader


def traced_find_and_load(name, import_):
    imported(name)
    return find_and_load(name, import_)


# The modules the import system loaded, and those an extension module's loading made
# without it, each counted as made by the innermost one.
loaded = set()
made = set()


# The extension modules put into sys.modules since it held `before`, not by the import
# system: mypyc's group of modules initialises its members itself, with specs of its own,
# when one imports another.
def made_natively(before):
    found = set()
    for name in sys.modules.keys() - before - loaded - made:
        spec = getattr(sys.modules[name], "__spec__", None)
        if isinstance(getattr(spec, "loader", None), ExtensionFileLoader):
            found.add(name)
    made.update(found)
    return found


def traced_load_unlocked(spec):
    trace(spec)
    loaded.add(spec.name)
    native = isinstance(spec.loader, ExtensionFileLoader)
    if native:
        report("start", spec.name)
        before = set(sys.modules)
    imports = set() if native else None
    loading.append((spec.name, imports))
    error = None
    try:
        return load_unlocked(spec)
    except BaseException as e:
        error = f"{type(e).__name__}: {e}"
        raise
    finally:
        loading.pop()
        if native:
            imports.update(made_natively(before))
            imports.discard(spec.name)
            report("done", spec.name, tuple(sorted(imports)), error)


for module in list(sys.modules.values()):
    trace(getattr(module, "__spec__", None))
_bootstrap._find_and_load = traced_find_and_load
_bootstrap._load_unlocked = traced_load_unlocked
# What .pth files import (finders of editable installs, ...) is imported watched.
import site

site.main()
startup = set(sys.modules)
sys.path[:] = path
for name in modules:
    report("target", name)
    try:
        _bootstrap._gcd_import(name)
    except BaseException as e:
        report("failed", name, f"{type(e).__name__}: {e}")
    else:
        if name not in loaded and name not in startup:
            report("made", name)
report("end")
"""


class NativeImports:
    """What the extension modules of the closure import when they are imported, found by
    importing them in children of the target interpreter."""

    def __init__(self, timeout=PROBE_TIMEOUT):
        self.timeout = timeout
        self.imports = {}  # extension module -> the names it imports, as recorded
        # The extension modules of the closure whose imports were followed: one loaded
        # on the way (pytokens by black) is recorded before it is in the closure.
        self.followed = set()
        self.failures = {}  # extension module -> why what it imports is not (all) known
        # module -> the extension modules that import it, for the modules that are in the
        # closure because they do
        self.importers = {}

    def follow(self, analysis):
        """Finds what the extension modules of the closure not yet looked at import, and
        follows it; whether that reached new modules."""
        pending = sorted(
            name
            for name, module in analysis.reached.items()
            if module.kind == "extension" and name not in self.followed
        )
        if not pending:
            return False
        self.followed.update(pending)
        self.probe(analysis.search_path, [n for n in pending if n not in self.imports])
        for name in pending:
            self.imports.setdefault(name, ())
            for target in self.imports[name]:
                self.need(analysis, target, name, True)
            for target in NATIVE_CALL_TIME_IMPORTS.get(name, ()):
                # A module that is not installed is no more missing than in CPython.
                if hasattr(analysis.find(target), "kind"):
                    self.need(analysis, target, name, False)
            for target in sorted(self.named_modules(analysis, name)):
                self.need(analysis, target, name, False)
        return bool(analysis.queue)

    @staticmethod
    def named_modules(analysis, name):
        """The modules of the package of extension module `name` that its strings name: C
        strings, whole (the name of a module a docstring mentions, before a space or a
        full stop, is not imported)."""
        top = name.partition(".")[0]
        if top == name:
            return set()
        try:
            data = analysis.observations.read_file(analysis.reached[name].origin)
        except OSError:
            return set()
        # A pattern that starts with a literal is searched for quickly; one that looks
        # behind first is tried at every byte, 15 times slower on large binaries.
        pattern = re.compile(re.escape(top.encode()) + rb"(?:\.\w+)+\0")
        named = set()
        for match in pattern.finditer(data):
            before = data[match.start() - 1 : match.start()]
            if not (before.isalnum() or before in (b"_", b".")):
                named.add(match.group()[:-1].decode("ascii"))
        named.discard(name)
        # Most are the names of its types and functions (`numpy.dtype`).
        return {n for n in named if n in analysis.reached or hasattr(analysis.find(n), "kind")}

    def need(self, analysis, name, importer, eager):
        # Only what no Python import brought in is in because of native code.
        because = name in self.importers or name not in analysis.reached
        saved, analysis.via = analysis.via, VIA_NATIVE
        needed = analysis.need(name, importer, eager)
        analysis.via = saved
        if needed is not None and because:
            self.importers.setdefault(name, set()).add(importer)

    def probe(self, search_path, names):
        """Imports `names` in children, as many as it takes: a child that crashes or hangs
        is blamed on the extension module it was loading (or the module it was importing),
        and the next one goes on with the rest."""
        remaining = names
        while remaining:
            self.run_child(search_path, remaining)
            remaining = [n for n in remaining if n not in self.imports and n not in self.failures]

    def run_child(self, search_path, names):
        request = marshal.dumps((search_path, names))
        # Whatever importing writes (caches, configuration) goes to a scratch directory,
        # and nothing of the user's configuration is read.
        scratch = tempfile.mkdtemp(prefix="pyfreeze-native-imports-")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "XDG_"))}
        env.update(HOME=scratch, TMPDIR=scratch)
        try:
            child = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", PROBE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=scratch,
                env=env,
                start_new_session=True,
            )
        except OSError as e:
            remove_tree(scratch)
            for name in names:
                self.failures[name] = f"cannot start {sys.executable}: {e.strerror or e}"
            return
        try:
            self.read_events(child, request, names)
        finally:
            # Whatever the child started goes with it.
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except OSError:
                pass
            child.wait()
            child.stdout.close()
            remove_tree(scratch)

    def read_events(self, child, request, names):
        try:
            child.stdin.write(request)
            child.stdin.close()
        except OSError:
            pass
        target = None
        started = []  # the extension modules being loaded, innermost last
        ended = False
        buffered = b""
        with selectors.DefaultSelector() as selector:
            selector.register(child.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + self.timeout
            while not ended:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    why = f"importing it did not finish in {self.timeout} s"
                    break
                data = os.read(child.stdout.fileno(), 1 << 16)
                if not data:
                    status = child.wait()
                    if status < 0:
                        why = f"importing it killed the interpreter (signal {-status})"
                    else:
                        why = f"importing it ended the interpreter (exit status {status})"
                    break
                deadline = time.monotonic() + self.timeout
                buffered += data
                while len(buffered) >= 4:
                    size = 4 + int.from_bytes(buffered[:4], "little")
                    if len(buffered) < size:
                        break
                    event = marshal.loads(buffered[4:size])
                    buffered = buffered[size:]
                    kind = event[0]
                    if kind == "target":
                        target = event[1]
                    elif kind == "start":
                        started.append(event[1])
                    elif kind == "done":
                        self.done(*event[1:], started)
                    elif kind == "made":
                        self.imports.setdefault(event[1], ())
                    elif kind == "failed":
                        # Its package failed before it could be loaded, if it has no
                        # "done" of its own.
                        if event[1] not in self.imports:
                            self.failures.setdefault(event[1], event[2])
                    else:
                        ended = True
        if ended:
            # What crashes after the last import (an exit handler) is no module's doing.
            # A module that was imported and never loaded was in sys.modules already: a
            # .pth file imported it as the interpreter started.
            for name in names:
                if name not in self.imports:
                    self.failures.setdefault(name, "it is imported while the interpreter starts")
            return
        if started:
            # The innermost one is to blame; those around it were cut short by it.
            self.failures[started[-1]] = why
            for outer in started[:-1]:
                self.failures.setdefault(outer, f"while it imported {started[-1]}: {why}")
        elif target is not None:
            self.failures.setdefault(target, why)
        else:
            for name in names:
                self.failures.setdefault(name, why)

    def done(self, name, imports, error, started):
        if started and started[-1] == name:
            started.pop()
        self.imports[name] = tuple(sorted(set(self.imports.get(name, ())) | set(imports)))
        if error is not None:
            self.failures.setdefault(name, f"importing it raised {error}")


def remove_tree(path):
    """Removes the directory `path` with what it holds, as far as it can, through functions
    that observe.py does not wrap: the answer does not depend on a scratch directory."""
    try:
        with REAL_SCANDIR(path) as entries:
            for entry in list(entries):
                if entry.is_dir(follow_symlinks=False):
                    remove_tree(entry.path)
                else:
                    os.unlink(entry.path)
        os.rmdir(path)
    except OSError:
        pass
