# The import closure: the modules the app imports, found as the import system would find
# them, and everything they import in turn, read from their code as it is compiled.

import _imp
import fnmatch
import importlib.machinery
import importlib.util
import io
import marshal
import os
import pkgutil
import subprocess
import sys
import sysconfig

from .compile import Compilers
from .distributions import Distributions, distribution_key
from .native_imports import NativeImports
from .protocol import Failure
from .scan import (
    ARGUMENT,
    CALL,
    MAIN_BLOCK,
    METADATA,
    PREFIX,
    SEARCH_DIR,
    TABLE,
    listed_names,
    read_code,
)
from .tables import (
    BOOTSTRAP_ROOTS,
    DEV_TOOLS,
    HIDDEN_IMPORTS,
    IGNORED_IMPORTS,
    LAZY_FOR_THE_CALLER,
    NARROW_LAZY_IMPORTS,
    PROVIDED_NAMES,
)

PathFinder = importlib.machinery.PathFinder
# What the import system makes a namespace package's __loader__ (public from 3.11 on).
NamespaceLoader = (
    getattr(importlib.machinery, "NamespaceLoader", None)
    or importlib._bootstrap_external._NamespaceLoader
)
ExtensionFileLoader = importlib.machinery.ExtensionFileLoader
SourcelessFileLoader = importlib.machinery.SourcelessFileLoader
MAGIC_NUMBER = importlib.util.MAGIC_NUMBER
SOURCE_SUFFIXES = tuple(importlib.machinery.SOURCE_SUFFIXES)
# Files that are modules, not data.
CODE_SUFFIXES = tuple(importlib.machinery.all_suffixes()) + (".pyc", ".pyo")
STDLIB_DIRS = tuple(
    os.path.normpath(sysconfig.get_paths()[key]) + os.sep for key in ("stdlib", "platstdlib")
)
# site-packages sits inside the standard library's directory (or, in a virtualenv, inside
# what sysconfig calls platstdlib): what is installed there is not the standard library.
SITE_DIRS = tuple(
    os.path.normpath(sysconfig.get_paths()[key]) + os.sep for key in ("purelib", "platlib")
)


def in_stdlib(origin):
    """Whether the file `origin` (or None) is the standard library's."""
    return bool(origin) and origin.startswith(STDLIB_DIRS) and not origin.startswith(SITE_DIRS)


STANDARD_FINDERS = (
    PathFinder,
    importlib.machinery.BuiltinImporter,
    importlib.machinery.FrozenImporter,
)


class Found:
    """A sentinel result of a module search."""

    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return self.what


PROVIDED = Found("provided")  # builtin: in libpython already
MISSING = Found("missing")
# The parent is a plain module: only a module that registers itself in sys.modules (as os
# does with os.path) can answer, which nothing short of running it can tell.
NOT_IN_PACKAGE = Found("not in a package")


# What Analysis.distribution says of the app's modules and the standard library's.
APP = Found("the app")
STDLIB = Found("the standard library")


# How a module was brought in without an import statement of its importer's (see
# Analysis.edges), and why a module was added with no importer (Analysis.roots): the
# words `pyfreeze why` prints.
VIA_HIDDEN = "a hidden import pyfreeze knows of"
VIA_DATA_PACKAGE = "a package of data files in it"
VIA_ENTRY_POINT = "an entry point its distribution declares"
ROOT_ENTRY = "the app's entry point"
ROOT_RUNPY = "runs the entry module, as python -m does"
ROOT_INCLUDE = "named by --include"
ROOT_RUNTIME = "pyfreeze's runtime"
ROOT_STARTUP = "CPython imports it while it starts"
ROOT_CODECS = "a codec of encodings, all of which are bundled, as CPython looks codecs up by name"
ROOT_OTHER = "added by the analysis"


def edge_rank(how):
    """How an import of Analysis.edges sorts: a line first, then a way, then nothing."""
    if isinstance(how, int):
        return (0, how, "")
    return (1, 0, how) if how is not None else (2, 0, "")


def relative_to(package, name, level):
    """The absolute name of the import of `name` at `level` (dots) in `package`, or None
    when it reaches beyond the top-level package."""
    bits = package.rsplit(".", level - 1) if package else []
    if len(bits) < level:
        return None
    return bits[0] + "." + name if name else bits[0]


class Module:
    __slots__ = (
        "bundle_path",
        "cache_key",
        "imports",
        "in_app",
        "is_package",
        "kind",
        "lazy_imports",
        "lazy_only",
        "loader",
        "locations",
        "name",
        "narrow",
        "origin",
        "source_text",
    )

    def __init__(self, name, kind, is_package, origin, locations, loader, in_app):
        self.name = name
        self.kind = kind
        self.is_package = is_package
        self.origin = origin
        # Where submodules are searched (packages only).
        self.locations = locations
        self.loader = loader
        self.in_app = in_app
        # Given for extra modules and the script, read from `origin` otherwise.
        self.source_text = None
        self.bundle_path = name.replace(".", "/") + ("/__init__.py" if is_package else ".py")
        # The imports inside functions that count, when not all of them do (see run).
        self.lazy_imports = None
        # Reached only through NARROW_LAZY_IMPORTS: its own lazy imports wait.
        self.narrow = False
        # Reached only through imports that may never run (inside functions of
        # dependencies): what it imports by a call (scan.CALL) is optional too.
        self.lazy_only = False
        # What follow_imports was given, to follow the lazy ones once it is not narrow.
        self.imports = None
        # Where its compiled form goes in the code cache, while it is being compiled.
        self.cache_key = None


def find_on_path(name, path):
    """PathFinder.find_spec(name, path) without the _NamespacePath it makes of a namespace
    package's portions: that looks the parent package up in sys.modules, and nothing of
    the app is imported here."""
    spec = PathFinder._get_spec(name, path)
    if spec is None or spec.loader is None and not spec.submodule_search_locations:
        return None
    return spec


# Run by the interpreter started as the bundle starts it: what it has imported before a
# script runs, and, from 3.11, what FrozenImporter serves (`-X frozen_modules` decides).
SERVED_BEFORE_PATH = """
import _imp, sys
print(*sys.modules)
names = getattr(_imp, "_frozen_module_names", None)
if names is None:
    print("-")
else:
    print(*(name for name in names() if _imp.find_frozen(name) is not None))
"""


def served_before_path(python_args):
    """The top-level modules `python -S` has imported before it runs a script (encodings,
    codecs, io, abc, ... as the version and the options have it), and the modules its
    FrozenImporter serves (None before 3.11, which cannot turn them off: this process
    knows), asked of this interpreter started with the bundle's options: `python main.py`
    finds both before the script's directory on sys.path."""
    if not sys.executable:
        raise Failure("no_executable")
    child = subprocess.run(
        [sys.executable, "-I", "-S", *python_args, "-"],
        input=SERVED_BEFORE_PATH.encode(),
        capture_output=True,
        check=False,
    )
    if child.returncode != 0:
        raise RuntimeError(f"{sys.executable} {python_args} failed: {child.stderr.decode()}")
    imported, frozen = child.stdout.decode().splitlines()
    startup = frozenset(name for name in imported.split() if "." not in name) - {"__main__"}
    return startup, None if frozen == "-" else frozenset(frozen.split())


def is_within(name, packages):
    """Whether `name` is one of `packages` or one of their submodules."""
    for x in packages:
        if name == x or name.startswith(x + "."):
            return True
    return False


def text_lines(observations, path):
    """A UTF-8 text file, read (and recorded) whole, as open() would give it."""
    return io.StringIO(observations.read_file(path).decode("utf-8"), newline=None)


def distribution_tops(observations, info):
    """The top-level names a distribution's *.dist-info says it installs."""
    try:
        with text_lines(observations, os.path.join(info, "top_level.txt")) as f:
            return {line.strip() for line in f if line.strip()}
    except OSError:
        pass
    tops = set()
    try:
        with text_lines(observations, os.path.join(info, "RECORD")) as f:
            for line in f:
                first = line.split(",", 1)[0].split("/", 1)[0]
                if first and not first.endswith((".dist-info", ".data")) and first != "..":
                    tops.add(first[: -len(".py")] if first.endswith(".py") else first.split(".")[0])
    except OSError:
        pass
    return tops


def distribution_infos(search_path):
    """(name, path) of every *.dist-info directory of the search path, in its order."""
    for entry in search_path:
        try:
            listing = sorted(os.listdir(entry))
        except OSError:
            continue
        for item in listing:
            info = os.path.join(entry, item)
            if item.endswith(".dist-info") and os.path.isdir(info):
                yield item, info


def own_entry_points(observations, info, tops):
    """The modules of the entry points a distribution declares for its own groups (those
    named after one of its top-level names, such as Markdown's `markdown.extensions`):
    plugins it loads by name. Other groups are other programs' (console_scripts)."""
    try:
        lines = text_lines(observations, os.path.join(info, "entry_points.txt"))
    except (OSError, UnicodeDecodeError):
        return []
    modules = []
    own = False
    for line in lines:
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            own = line[1:-1].strip().partition(".")[0] in tops
        elif own and "=" in line and not line.startswith(("#", ";")):
            value = line.partition("=")[2]
            modules.append(value.partition(":")[0].partition("[")[0].strip())
    return modules


def is_data_package(directory):
    """Whether `directory` is a package of data files: an __init__ its only code, with
    files beside it (tzdata.zoneinfo.America, lark.grammars). Nothing imports such a
    package; importlib.resources.files() does, by name, to read its files."""
    try:
        with os.scandir(directory) as it:
            entries = list(it)
    except OSError:
        return False
    names = {e.name for e in entries}
    if not any(n.startswith("__init__.") and n.endswith(SOURCE_SUFFIXES) for n in names):
        return False
    data = False
    for entry in entries:
        if entry.name.endswith(CODE_SUFFIXES):
            if not entry.name.startswith("__init__."):
                return False
        elif entry.is_file():
            data = True
    return data


class Analysis:
    def __init__(self, request, observations):
        self.observations = observations
        self.code_cache = None  # a CodeCache, if the build has a cache
        self.app_dir = os.path.abspath(request["app_dir"])
        cwd = os.getcwd()
        self.search_path = [self.app_dir] + [
            p for p in sys.path if p and p != cwd and p != self.app_dir
        ]
        self.optimize = int(request["optimize"])
        self.sources = bool(request["sources"])
        self.excludes = tuple(request["excludes"])
        # Left out only where the standard library imports them, outside themselves (see
        # excluded); what was left out so, with its importers.
        self.stdlib_excludes = tuple(request.get("stdlib_excludes", ()))
        self.left_out = {}
        # Distributions whose metadata code reads by name (scan.METADATA), normalized.
        self.metadata_read = set()
        # The distributions (Distributions), read once an optional import needs them.
        self.dists = None
        # What --with names: distributions (normalized) or top-level modules whose
        # optional imports are followed whatever declares them.
        self.with_names = tuple(request.get("with", ()))
        self.with_keys = {distribution_key(name) for name in self.with_names}
        # Distributions with a module in the closure; the optional imports put off into
        # the others, (name, level, fromlist, importer, eager), followed once they are
        # used; and, for what stays out, its top-level names and importers.
        self.used = set()
        self.deferred = {}
        self.optional = {}
        # Fallback imports not made in the bundle: name -> (importer, what it is the
        # fallback of).
        self.fallbacks = {}
        # Packages bundled with all their submodules, whatever the names of their files:
        # those asked for by --include (PyInstaller's collect_submodules).
        self.whole = tuple(request["includes"])
        # Top-level name -> the *.dist-info directories that install it, once needed.
        self.distributions = None
        # Hidden imports of built-in modules already added (they are never reached), and
        # whether only for narrow importers.
        self.builtins_hidden = {}
        # While true, what is added with no importer is narrow: the modules CPython and
        # the runtime need to start, whose imports inside functions run only for an app
        # that reaches them itself (os.popen's subprocess). See add.
        self.narrow_roots = False
        self.other_finders = [
            f for f in sys.meta_path if f not in STANDARD_FINDERS and hasattr(f, "find_spec")
        ]
        self.extra_names = []  # the runtime's own modules (request["extra_modules"])
        self.found = {}  # name -> Module | Found, every search done once
        self.python_args = list(request.get("python_args", ()))
        self.before_path = None  # served_before_path(), once asked
        self.reached = {}  # name -> Module in the closure
        self.queue = []
        # The modules whose `if __name__ == "__main__":` block runs: the entry's. The
        # standard library's command-line mains (pickle's, tarfile's...) never run in an app.
        self.main_names = set()
        # importer -> the modules it imports when it is itself imported
        self.eager_edges = {}
        # Imports that may run while the app starts: the eager ones, and all of the app's.
        self.start_edges = {}
        self.missing = {}  # name -> importers
        self.missing_at = {}  # name -> {importer: the first line of its that imports it}
        self.errors = []
        self.app_errors = []
        self.compiled = {}  # name -> (code bytes, source bytes or None)
        self.file_use = {}  # name -> what its code does with __file__ (see file_use)
        self.skip_dirs = {os.path.abspath(d) for d in request.get("skip_dirs", ())}
        self.native = NativeImports()
        # top-level name -> the package another finder serves under it (see _aliased),
        # or the module of a directory its package's code puts on sys.path
        self.aliases = {}
        # The directories of packages that their code puts on sys.path (setuptools'
        # _vendor), searched for the top-level modules found nowhere else, and the
        # imports that were not found before they were known: (name, fromlist,
        # importer, eager).
        self.search_dirs = []
        self.unresolved = []
        # module -> its functions that import the name they are given (scan.ARGUMENT)
        self.importing_functions = {}
        # (module, function) -> (caller, eager) of the modules that import the function
        # from the module before it is scanned
        self.callers = {}
        # What `pyfreeze why` tells (see manifest.parents): (importer, module) -> the
        # first line of the importer's file that imports it, or else how it does
        # (VIA_HIDDEN...), or None; and what each module added without an importer was
        # added for (ROOT_ENTRY...). While an import statement is followed, `at` is its
        # place, (importer, line); while a table or rule adds modules, `via` says which.
        self.edges = {}
        self.roots = {}
        self.at = None
        self.via = None
        self.root_reason = ROOT_OTHER

    # -- finding -----------------------------------------------------------------------

    def find(self, name):
        try:
            return self.found[name]
        except KeyError:
            result = self.found[name] = self._find(name)
            return result

    def _find(self, name):
        parent_name, _, _ = name.rpartition(".")
        if not parent_name:
            if name in PROVIDED_NAMES:
                return PROVIDED
            spec = find_on_path(name, self.search_path)
            if spec is not None and find_on_path(name, [self.app_dir]) is not None:
                beyond = find_on_path(name, self.search_path[1:])
                if self._served_before_path(name, beyond):
                    if beyond is None:
                        # Frozen into the interpreter only (__hello__ before 3.11).
                        return PROVIDED
                    spec = beyond
            if spec is None:
                spec = self._find_elsewhere(name)
                if spec is not None:
                    alias = self._aliased(name, spec)
                    if alias is not None:
                        return alias
            if spec is None:
                return self._find_in_search_dirs(name)
            return self._module(name, spec, None)
        parent = self.find(parent_name)
        if not isinstance(parent, Module) or parent.locations is None:
            return NOT_IN_PACKAGE
        spec = find_on_path(name, parent.locations)
        if spec is None:
            return MISSING
        return self._module(name, spec, parent)

    def _served_before_path(self, name, beyond):
        """Whether `import name` in `python main.py` gives the interpreter's module even
        though the app directory, first on sys.path, has one of that name (`beyond`, the
        spec of the one on the rest of the path, or None): FrozenImporter, which comes
        before PathFinder on sys.meta_path, has it (os, stat, runpy... from 3.11 unless
        `-X frozen_modules=off`; zipimport and __hello__ always), or the standard library's
        was imported while the interpreter started."""
        stdlib = beyond is not None and in_stdlib(beyond.origin)
        if not (stdlib or _imp.is_frozen(name)):
            # The options can only turn frozen modules off; start-up ones are stdlib's.
            return False
        if self.is_frozen(name):
            return True
        return stdlib and name in self._before_path()[0]

    def is_frozen(self, name):
        """Whether CPython's own frozen modules have `name` in the bundle's interpreter,
        started with the bundle's options."""
        if self.python_args:
            frozen = self._before_path()[1]
            if frozen is not None:
                return name in frozen
        return _imp.is_frozen(name)

    def _before_path(self):
        if self.before_path is None:
            self.before_path = served_before_path(self.python_args)
        return self.before_path

    def _find_elsewhere(self, name):
        # Finders that site-packages installed through .pth files (setuptools' editable
        # installs) can see top-level packages PathFinder cannot.
        for finder in self.other_finders:
            try:
                spec = finder.find_spec(name, None)
            except Exception:  # noqa: BLE001, S112
                # Another finder's bug is no reason to stop: it has not found the module.
                continue
            if spec is not None:
                self.observations.cannot_cache(
                    f"module {name} was found by {finder!r}, whose answers cannot be checked"
                )
                return spec
        return None

    def dotted_at(self, directory):
        """The dotted name of the package at `directory`, below an entry of the search
        path, or None."""
        for entry in self.search_path:
            relative = os.path.relpath(directory, entry)
            package = relative.replace(os.sep, ".")
            if not relative.startswith(os.pardir) and all(
                part.isidentifier() for part in package.split(".")
            ):
                return package
        return None

    def _find_in_search_dirs(self, name):
        """The top-level `name` as the module of a directory a package puts on sys.path,
        under its name in that package (which the bundle's path hook serves as `name`),
        or MISSING."""
        for directory in self.search_dirs:
            if find_on_path(name, [directory]) is None:
                continue
            found = self.find(self.dotted_at(directory) + "." + name)
            if isinstance(found, Module):
                self.aliases[name] = found.name
                return found
        return MISSING

    def add_search_dir(self, module, name):
        """`module`'s code may put the directory `name` beside it on sys.path (see
        scan.SEARCH_DIR): the imports not found so far are looked for again."""
        directory = os.path.join(os.path.dirname(module.origin or ""), name)
        if (
            not module.origin
            or directory in self.search_dirs
            or not os.path.isdir(directory)
            or self.dotted_at(directory) is None
        ):
            return
        self.search_dirs.append(directory)
        unresolved, self.unresolved = self.unresolved, []
        for imported, fromlist, importer, eager in unresolved:
            top = imported.partition(".")[0]
            if self.found.get(top) is MISSING:
                del self.found[top]
                self.missing.pop(top, None)
            self.need_from(imported, fromlist, importer, eager)

    def _aliased(self, name, spec):
        """The package of the search path that another finder (a .pth file's hook)
        serves under the top-level `name`, if its spec is that package's (setuptools'
        `_distutils_hack` makes `distutils` its `setuptools._distutils`): the package's
        Module, whose submodules `name`'s are (see need), or None."""
        origin = spec.origin or ""
        directory, base = os.path.split(origin)
        package = self.dotted_at(directory) if base.startswith("__init__.") else None
        if not package or package.rpartition(".")[2] == name:
            # The package itself, from a directory below the app's (an editable
            # install of the app's src/ layout): bundled under its own name.
            return None
        found = self.find(package)
        if isinstance(found, Module) and found.origin == origin:
            self.aliases[name] = package
            return found
        return None

    def _module(self, name, spec, parent):
        locations = spec.submodule_search_locations
        if locations is not None:
            locations = list(locations)
        origin = spec.origin
        if locations is not None and (
            spec.loader is None or isinstance(spec.loader, NamespaceLoader)
        ):
            # PEP 420: PathFinder leaves the loader to the import system; finders that
            # installed themselves (editable installs) may set a NamespaceLoader. Nothing
            # to compile: the stub makes it a namespace package again.
            module = Module(name, "namespace", True, None, locations, None, False)
        elif isinstance(spec.loader, ExtensionFileLoader):
            # An extension module can be a package's __init__ (mypyc's chardet.models):
            # its submodules and data are found in its directory like any package's.
            is_package = locations is not None
            module = Module(name, "extension", is_package, origin, locations, spec.loader, False)
        else:
            is_package = locations is not None
            module = Module(name, "python", is_package, origin, locations, spec.loader, False)
        if parent is not None:
            module.in_app = parent.in_app
        else:
            module.in_app = self._in_app_dir(module)
        return module

    def _in_app_dir(self, module):
        # The app's own modules sit directly in app_dir; a virtualenv inside the app
        # directory holds dependencies, not the app.
        if module.origin is None:
            return any(os.path.dirname(p) == self.app_dir for p in module.locations or ())
        directory = os.path.dirname(module.origin)
        if module.is_package:
            directory = os.path.dirname(directory)
        return directory == self.app_dir

    # -- the closure -------------------------------------------------------------------

    def note_edge(self, importer, name):
        """Records the import of `name` by `importer` (None: a root) for `pyfreeze why`:
        the line of the statement being followed, if it is `importer`'s."""
        if importer is None:
            self.roots.setdefault(name, self.root_reason)
            return
        how = self.via
        if how is None and self.at is not None and self.at[0] == importer:
            how = self.at[1]
        # The same whatever order the compilers answer in: the first line, else the
        # first of the ways, else none.
        known = self.edges.get((importer, name), how)
        self.edges[importer, name] = min(known, how, key=edge_rank)

    def add(self, module, importer, eager, narrow=False):
        self.note_edge(importer, module.name)
        if importer is not None and eager:
            self.eager_edges.setdefault(importer, set()).add(module.name)
        if importer is not None and (eager or self.reached[importer].in_app):
            self.start_edges.setdefault(importer, set()).add(module.name)
        # Narrow: only the modules CPython and the runtime start with, their imports and
        # NARROW_LAZY_IMPORTS reach it, whose code uses it only in ways that import
        # nothing inside functions; its own lazy imports wait until something else
        # reaches it (the app's `import os`), and it is followed again then.
        narrow = (
            narrow
            or self.is_narrow(importer)
            or (not eager and module.name in NARROW_LAZY_IMPORTS.get(importer, ()))
        )
        by = self.reached.get(importer) if importer is not None else None
        surely = by is None or by.in_app or (eager is not False and not by.lazy_only)
        if module.name in self.reached:
            if (module.narrow and not narrow) or (module.lazy_only and surely):
                unnarrowed = module.narrow and not narrow
                module.narrow = module.narrow and narrow
                module.lazy_only = module.lazy_only and not surely
                if module.imports is not None:
                    self.follow_imports(module, module.imports)
                if unnarrowed and module.name in HIDDEN_IMPORTS:
                    self.need_hidden(module.name)
        else:
            module.narrow = narrow
            module.lazy_only = not surely
            self.reached[module.name] = module
            self.queue.append(module)
            self.use_distribution(module)
            # The app's own packages come whole: code that finds its plugins with
            # pkgutil.iter_modules(package.__path__) must find what is on disk.
            if module.is_package and (module.in_app or is_within(module.name, self.whole)):
                self.need_all_submodules(module.name)
            elif module.is_package and module.kind == "python":
                self.need_data_packages(module)
            if module.name in HIDDEN_IMPORTS:
                self.need_hidden(module.name)
            if "." not in module.name:
                self.need_entry_points(module.name)

    def need_hidden(self, importer, reached=True, narrow=False):
        """Adds the hidden imports of `importer`; one that is not `reached` (a built-in
        module) is not their importer, and they are `narrow` as its importer was."""
        by = importer if reached else None
        saved = self.via, self.root_reason
        self.via = VIA_HIDDEN
        self.root_reason = f"a hidden import of the built-in module {importer}"
        for target in HIDDEN_IMPORTS[importer]:
            package, _, last = target.rpartition(".")
            names = [target]
            if "*" in last:
                parent = self.find(package)
                if not isinstance(parent, Module) or parent.locations is None:
                    continue
                names = sorted(
                    package + "." + info.name
                    for info in pkgutil.iter_modules(parent.locations)
                    if fnmatch.fnmatchcase(info.name, last)
                )
            for name in names:
                if isinstance(self.find(name), Module):
                    self.need(name, by, narrow=narrow)
        self.via, self.root_reason = saved

    def need_data_packages(self, package):
        """Adds the packages of data files in `package`'s directory (see is_data_package),
        each bringing its own in turn: importlib.resources imports them by name."""
        directory = os.path.dirname(package.origin or "")
        if not package.origin or not os.path.basename(package.origin).startswith("__init__."):
            return
        try:
            with os.scandir(directory) as it:
                subdirs = sorted(e.name for e in it if e.is_dir() and e.name.isidentifier())
        except OSError:
            return
        saved, self.via = self.via, VIA_DATA_PACKAGE
        for name in subdirs:
            if is_data_package(os.path.join(directory, name)):
                self.need(package.name + "." + name, package.name)
        self.via = saved

    def need_entry_points(self, top):
        """Adds the modules of the entry points that the distributions installing `top`
        declare for their own groups (see own_entry_points)."""
        if self.distributions is None:
            self.distributions = {}
            for _, info in distribution_infos(self.search_path):
                for name in distribution_tops(self.observations, info):
                    self.distributions.setdefault(name, []).append(info)
        saved, self.via = self.via, VIA_ENTRY_POINT
        for info in self.distributions.get(top, ()):
            tops = distribution_tops(self.observations, info)
            for name in own_entry_points(self.observations, info, tops):
                if isinstance(self.find(name), Module):
                    self.need(name, top)
        self.via = saved

    def need_prefix(self, prefix, importer, eager, suffixes=()):
        """Adds what an import of a name computed from the literal `prefix` may import:
        the modules and packages of the prefix's package whose names start with the rest,
        whatever their file names (rich's `unicode15-0-0.py`), and in each of those
        packages the submodule a literal suffix names (`.locale` of pendulum's
        f"pendulum.locales.{name}.locale"). A prefix without a package would match
        across all of sys.path, and is left alone."""
        package, _, start = prefix.rpartition(".")
        if not package or not isinstance(self.find(package), Module):
            return
        parent = self.need(package, importer, eager)
        if parent is None or parent.locations is None:
            return
        for info in pkgutil.iter_modules(parent.locations):
            if info.name.startswith(start):
                self.need(package + "." + info.name, importer, eager)
                for suffix in suffixes if info.ispkg else ():
                    name = package + "." + info.name + suffix
                    if isinstance(self.find(name), Module):
                        self.need(name, importer, eager)

    def need_listed(self, name, importer, eager):
        """Adds the module a table of module names lists, if it resolves: `name`, else the
        module part of `module.Class` (but never a whole top-level package for it); for a
        package's name and a dot, what a name computed from that prefix may import; a
        bare name (scan.bare_arguments) only if it is a top-level module."""
        if is_within(name, DEV_TOOLS):
            # A table lists what a module may import, not what it does: six.moves'
            # would bring tkinter to every app that imports six.
            return
        if name.endswith("."):
            self.need_prefix(name, importer, eager)
            return
        if "." not in name:
            if isinstance(self.find(name), Module):
                self.need(name, importer, eager)
            return
        while "." in name:
            if isinstance(self.find(name), Module):
                self.need(name, importer, eager)
                return
            name = name.rpartition(".")[0]

    def excluded(self, name, importer, imported=None):
        """Whether an import of `name` by `importer` is left out: by --exclude, or by a
        default exclusion when the standard library imports it from outside it (what
        the app and its dependencies import themselves is always bundled). Left out so,
        the `imported` names (`name` unless given) are recorded, with the importer: the
        modules --include would bring back."""
        if is_within(name, self.excludes):
            return True
        left_out = [x for x in self.stdlib_excludes if is_within(name, (x,))]
        module = self.reached.get(importer)
        if (
            not left_out
            or module is None
            or not in_stdlib(module.origin)
            or is_within(importer, left_out)
        ):
            return False
        for left in imported or (name,):
            self.left_out.setdefault(left, set()).add(importer)
        return True

    def report_missing(self, name, importer):
        importers = self.missing.setdefault(name, set())
        if importer is not None:
            importers.add(importer)
            if self.at is not None and self.at[0] == importer and self.at[1] is not None:
                places = self.missing_at.setdefault(name, {})
                places[importer] = min(places.get(importer, self.at[1]), self.at[1])

    def is_narrow(self, importer):
        """Whether what `importer` (None: a root) imports is narrow (see add)."""
        if importer is None:
            return self.narrow_roots
        module = self.reached.get(importer)
        return importer in self.extra_names or (module is not None and module.narrow)

    def unaliased(self, name):
        """`name`, or the name of its package's module when its top-level name is an
        alias (see _aliased), which finding the top-level name tells."""
        top = name.partition(".")[0]
        if top not in self.found:
            self.find(top)
        if top in self.aliases:
            return self.aliases[top] + name[len(top) :]
        return name

    def need(self, name, importer, eager=False, narrow=False):
        """Adds `name` and its parents; returns its Module, or None. The submodules of
        an alias (see _aliased) are its package's."""
        name = self.unaliased(name)
        parts = name.split(".")
        if not all(parts) or self.excluded(name, importer):
            return None
        prefix = None
        found = None
        for part in parts:
            prefix = part if prefix is None else prefix + "." + part
            found = self.find(prefix)
            if (
                found is PROVIDED
                and prefix in HIDDEN_IMPORTS
                and self.builtins_hidden.get(prefix, True)
            ):
                # A built-in module has no Module to reach: its hidden imports come now,
                # as narrow as what imports it.
                hidden_narrow = self.is_narrow(importer)
                self.builtins_hidden[prefix] = hidden_narrow
                self.need_hidden(prefix, reached=False, narrow=hidden_narrow)
            if found is MISSING:
                self.report_missing(prefix, importer)
                return None
            if not isinstance(found, Module):
                return None
            self.add(found, importer, eager, narrow)
        return found

    def need_from(self, name, fromlist, importer, eager):
        # `from test import support` left out brings back with --include test.support.
        subs = [f"{name}.{attr}" for attr in fromlist or () if attr != "*"]
        if self.excluded(name, importer, [s for s in subs if isinstance(self.find(s), Module)]):
            return
        module = self.need(name, importer, eager)
        if module is None and self.found.get(name.partition(".")[0]) is MISSING:
            self.unresolved.append((name, fromlist, importer, eager))
        if module is None or module.locations is None or not fromlist:
            return
        for attr in fromlist:
            if attr == "*" or not isinstance(attr, str):
                continue
            sub = module.name + "." + attr
            if self.excluded(sub, importer):
                continue
            # Not a submodule: `from pkg import attr` then names an attribute.
            found = self.find(sub)
            if isinstance(found, Module):
                self.add(found, importer, eager)

    def need_all_submodules(self, name):
        package = self.need(name, None)
        if package is None or package.locations is None:
            return
        subs = sorted(info.name for info in pkgutil.iter_modules(package.locations))
        saved = self.root_reason
        if is_within(name, self.whole):
            self.root_reason = f"--include {name} brings all its submodules"
        elif package.in_app:
            self.root_reason = f"the app's package {name} is bundled whole"
        for sub in subs:
            self.need(name + "." + sub, None)
        self.root_reason = saved

    def run(self, request):
        for name in self.with_names:
            known = self.installed().known(distribution_key(name))
            if not known and not isinstance(self.find(name.partition(".")[0]), Module):
                raise Failure("unknown_with", name=name, executable=sys.executable)
        self.extra_names = [extra["name"] for extra in request["extra_modules"]]
        self.root_reason = ROOT_RUNTIME
        for extra in request["extra_modules"]:
            module = Module(extra["name"], "python", False, None, None, None, True)
            module.source_text = extra["source"].encode("utf-8")
            if extra.get("filename"):
                module.bundle_path = extra["filename"]
            # The runtime's own modules import, inside functions, what only an app that uses
            # a feature needs (importlib.metadata for find_distributions, ...): the app's
            # own imports bring those in. Only the ones it always needs count.
            if extra.get("lazy_imports") is not None:
                module.lazy_imports = frozenset(extra["lazy_imports"])
            self.found[module.name] = module
            self.need(module.name, None)
        self.boot_names = [e["name"] for e in request["extra_modules"] if e["bootstrap"]]

        entry = request["entry"]
        self.root_reason = ROOT_ENTRY
        if entry["kind"] == "script":
            self.main_names = {"__main__"}
            self.add_script(entry["path"])
        else:
            # Always in sys.modules at run time, whatever module runs as it.
            self.found["__main__"] = PROVIDED
            if entry["kind"] == "module":
                # The stub runs the module as `python -m` does, with runpy.
                self.root_reason = ROOT_RUNPY
                self.need("runpy", None)
                self.root_reason = ROOT_ENTRY
            name = entry["module"]
            if entry["kind"] == "module":
                self.main_names = {name, name + ".__main__"}
            module = self.need(name, None)
            if module is None:
                raise Failure(
                    "entry_not_found",
                    module=name,
                    app_dir=self.app_dir,
                    executable=sys.executable,
                )
            # Its compile errors stop the build wherever it was found.
            module.in_app = True
            if entry["kind"] == "module" and module.locations is not None:
                main = self.find(name + ".__main__")
                if not isinstance(main, Module):
                    raise Failure("package_without_main", package=name, origin=module.origin)
                main.in_app = True
                self.need(main.name, None)

        self.start_roots = [entry.get("module", "__main__"), "runpy", *request["includes"]]
        self.root_reason = ROOT_INCLUDE
        for name in request["includes"]:
            self.need(name, None)
        self.root_reason = ROOT_STARTUP
        self.narrow_roots = True
        for name in BOOTSTRAP_ROOTS[1:]:
            self.need(name, None)
        self.root_reason = ROOT_CODECS
        self.need_all_submodules(BOOTSTRAP_ROOTS[0])
        self.narrow_roots = False
        self.root_reason = ROOT_OTHER

        compilers = Compilers(self.optimize)
        try:
            # What extension modules import is looked for once the rest is known, so
            # that one child imports them all.
            while self.queue or compilers.pending or self.native.follow(self):
                while self.queue:
                    self.submit(compilers, self.queue.pop())
                if compilers.pending:
                    self.compiled_answer(*compilers.answer())
        finally:
            compilers.close()
        if self.code_cache is not None:
            self.code_cache.finish()

    def add_script(self, path):
        path = os.path.abspath(path)
        try:
            source = self.observations.read_file(path)
        except OSError as e:
            raise Failure("unreadable_entry", path=path, reason=e.strerror or str(e)) from None
        module = Module("__main__", "python", False, path, None, None, True)
        module.source_text = source
        module.bundle_path = os.path.basename(path)
        self.found[module.name] = module
        self.add(module, None, False)

    # -- compiling and scanning --------------------------------------------------------

    def submit(self, compilers, module):
        if module.kind != "python":
            return
        if module.source_text is None:
            try:
                module.source_text = self.read(module)
            except OSError as e:
                self.error(module, None, f"cannot read it: {e.strerror or e}")
                return
        if module.source_text is None:
            self.load_bytecode(module)
            return
        if self.code_cache is not None:
            module.cache_key = self.code_cache.key(module.bundle_path, module.source_text)
            answer = self.code_cache.get(module, module.cache_key)
            if answer is not None:
                self.code_cache.hits += 1
                self.use_compiled(module, answer)
                return
        compilers.submit(module, module.source_text)

    def read(self, module):
        origin = module.origin
        if origin and origin.endswith(SOURCE_SUFFIXES):
            get_data = getattr(module.loader, "get_data", None)
            if get_data is None:
                return self.observations.read_file(origin)
            data = get_data(origin)
            self.observations.read(origin, data)
            return data
        return None

    def load_bytecode(self, module):
        # A module shipped as a .pyc only: its bytecode is bundled as it is on disk.
        if not isinstance(module.loader, SourcelessFileLoader):
            self.error(
                module,
                None,
                "neither source nor bytecode that pyfreeze can bundle "
                f"(loader {type(module.loader).__name__})",
            )
            return
        try:
            data = module.loader.get_data(module.origin)
            self.observations.read(module.origin, data)
            if data[:4] != MAGIC_NUMBER:
                self.error(module, None, "bytecode for another Python version")
                return
            code = marshal.loads(data[16:])
        except (OSError, EOFError, ValueError, TypeError) as e:
            self.error(module, None, f"cannot load its bytecode: {e}")
            return
        self.compiled[module.name] = (data[16:], None)
        imports, self.file_use[module.name] = read_code(module.name, code)
        self.follow_imports(module, imports)

    def compiled_answer(self, module, answer):
        """Takes a compiler's answer, (code bytes,) or (None, line, message), into the code
        cache as (code bytes, imports, file use) or the error."""
        if answer[0] is not None:
            answer = (answer[0],) + read_code(module.name, marshal.loads(answer[0]), answer[1])
        if self.code_cache is not None:
            self.code_cache.compiled += 1
            # Code whose imports could not be read is compiled again, warning again.
            if answer[0] is None or answer[1] is not None:
                self.code_cache.put(module, module.cache_key, answer)
        self.use_compiled(module, answer)

    def use_compiled(self, module, answer):
        code, imports, file_use = answer
        if code is None:
            self.error(module, imports, file_use)
            return
        source = module.source_text if self.sources else None
        self.compiled[module.name] = (code, source)
        self.file_use[module.name] = file_use
        self.follow_imports(module, imports)

    def follow_imports(self, module, imports):
        """Follows `imports` (None when they could not be read) of `module`."""
        if imports is None:
            return
        module.imports = imports
        if module.is_package:
            package = module.name
        else:
            package = module.name.rpartition(".")[0]
        ignored = IGNORED_IMPORTS.get(module.name.partition(".")[0], ())
        for_the_caller = LAZY_FOR_THE_CALLER.get(module.name, ())
        stdlib = in_stdlib(module.origin)
        found_first = self.resolved_guards(imports, package)
        # Its own statements, even when a rule's adding modules brought it in.
        saved = self.at, self.via
        self.via = None
        for name, level, fromlist, eager, guard, line in imports:
            self.at = (module.name, line)
            # Optional: made inside a function, or by a call (see scan.CALL) in a module
            # that itself may never be imported.
            optional = not eager or (level == CALL and module.lazy_only)
            if level == CALL:
                level = 0
            if level == SEARCH_DIR:
                self.add_search_dir(module, name)
                continue
            if level == METADATA:
                self.metadata_read.add(distribution_key(name))
                continue
            if level == ARGUMENT:
                if stdlib:
                    # Its importing functions are used everywhere (importlib.util's
                    # find_spec imports the parent of what it is given); the standard
                    # library's computed imports are in the tables instead.
                    continue
                self.importing_functions.setdefault(module.name, set()).add(name)
                for caller, called_when in self.callers.pop((module.name, name), ()):
                    self.need_callers_table(caller, called_when)
                for caller, called_when in self.callers.get((module.name, None), ()):
                    if not in_stdlib(self.reached[caller].origin) and name in self.names_used(
                        caller
                    ):
                        self.need_callers_table(caller, called_when)
                continue
            if level > 0:
                absolute = relative_to(package, name, level)
                if absolute is None:
                    # Beyond the top-level package (or in a script): fails when run.
                    for target in (name,) if name else fromlist or ("",):
                        self.report_missing("." * level + target, module.name)
                    continue
                name = absolute
            if is_within(name, ignored):
                continue
            if eager is MAIN_BLOCK and module.name not in self.main_names:
                continue
            if not eager and (module.narrow or name in for_the_caller):
                continue
            if not eager and module.lazy_imports is not None and name not in module.lazy_imports:
                continue
            if not eager and stdlib and is_within(name, DEV_TOOLS):
                # Recorded so that the bundle can say what brings it back if the import
                # runs after all; a tool this interpreter lacks is merely missing.
                if isinstance(self.find(name), Module):
                    self.left_out.setdefault(name, set()).add(module.name)
                continue
            if level == PREFIX and name.startswith("."):
                # Relative to the module's own package, as import_module(".x", __name__).
                dots = len(name) - len(name.lstrip("."))
                name = relative_to(package, name[dots:], dots)
                if name is None:
                    continue
            if level in (PREFIX, TABLE) and module.name in HIDDEN_IMPORTS:
                # Its row says what it imports by computed name (Pillow's plugins, not
                # every PIL module that "PIL." + name could be).
                continue
            if guard < 0 and -guard in found_first:
                # A fallback (`except ImportError:`) of imports the build finds: it runs
                # only where they fail, which the bundle, holding them, never sees.
                self.note_fallback(name, fromlist, module.name, found_first[-guard])
                continue
            if optional:
                left = self.undeclared(module, name)
                if left is not None:
                    self.defer(*left, name, module.name, level, fromlist, eager, line)
                    continue
            self.follow_one(name, level, fromlist, module.name, eager)
        self.at, self.via = saved

    def follow_one(self, name, level, fromlist, importer, eager):
        """Follows one import of the absolute `name` by `importer`."""
        if level == PREFIX:
            self.need_prefix(name, importer, eager, fromlist or ())
        elif level == TABLE:
            self.need_listed(name, importer, eager)
        else:
            self.need_from(name, fromlist, importer, eager)
            if not fromlist:
                self.note_call(name, None, importer, eager)
            for function in fromlist or ():
                self.note_call(name, function, importer, eager)
                # `from pkg import module`, then `module.function(...)`.
                self.note_call(f"{name}.{function}", None, importer, eager)

    # -- optional imports --------------------------------------------------------------

    def resolved_guards(self, imports, package):
        """The guards (see scan.scan) whose `try` imports are all found, each with their
        names: the imports of its handlers are fallbacks that never run in the bundle. A
        `try` that also imports a name computed at run time, or nothing, cannot tell."""
        names = {}
        for name, level, fromlist, eager, guard, _ in imports:
            if guard <= 0 or not eager:
                continue
            if level > 0:
                name = relative_to(package, name, level)
            elif level < 0 and level != CALL:
                name = None
            names.setdefault(guard, []).append((name, fromlist or ()))
        return {
            guard: sorted(name for name, _ in found)
            for guard, found in names.items()
            if all(self.resolves(name, fromlist) for name, fromlist in found)
        }

    def resolves(self, name, fromlist):
        """Whether `name` is found, and not left out by --exclude, with what `fromlist`
        takes from it: of a package, only its submodules can be told from attributes
        its __init__ may lack (`from . import _speedups` of an extension not built)."""
        if not name or is_within(name, self.excludes):
            return False
        name = self.unaliased(name)
        prefix = None
        found = None
        for part in name.split("."):
            prefix = part if prefix is None else prefix + "." + part
            found = self.find(prefix)
            if found is not PROVIDED and not isinstance(found, Module):
                return False
        if isinstance(found, Module) and found.locations is not None:
            for attr in fromlist:
                if attr == "*" or not isinstance(self.find(f"{name}.{attr}"), Module):
                    return False
        return True

    def note_fallback(self, name, fromlist, importer, instead_of):
        """Records the fallback import of `name` that `importer` does not make in the
        bundle, if it names a module: what an import of it says, if it runs after all."""
        targets = [name] + [f"{name}.{attr}" for attr in fromlist or () if attr != "*"]
        for target in targets:
            if isinstance(self.find(target), Module):
                self.fallbacks.setdefault(target, (importer, tuple(instead_of)))

    def installed(self):
        """The distributions, read once an optional import asks (a build with none reads
        no RECORD), with those of the modules reached so far noted as used."""
        if self.dists is None:
            self.dists = Distributions(self.observations, distribution_infos(self.search_path))
            for module in list(self.reached.values()):
                self.use_distribution(module)
        return self.dists

    def distribution(self, module):
        """The key of the distribution that installed `module`; APP, STDLIB, or None when
        no *.dist-info lists its file (a namespace package, a directory on the path)."""
        if module.in_app:
            return APP
        if in_stdlib(module.origin):
            return STDLIB
        return self.installed().of_file(module.origin)

    def undeclared(self, importer, name):
        """(the distribution, the module found) of `name` if an optional import of it
        (inside a function, or by a call) by `importer` is not followed, else None. It is followed into the app,
        the standard library and the importer's own distribution; into a distribution
        that the importer's declares (Requires-Dist, with the extras installed), that the
        closure already uses, or that --with names; and whenever the importer is the
        app's, the standard library's (which uses what is installed: zoneinfo's tzdata)
        or one no *.dist-info lists."""
        own = self.distribution(importer)
        if own in (None, APP, STDLIB):
            return None
        target = self.origin_module(name)
        if target is None:
            return None
        key = self.distribution(target)
        if key in (None, APP, STDLIB, own) or key in self.used:
            return None
        if key in self.with_keys or target.name.partition(".")[0] in self.with_names:
            return None
        if key in self.installed().requires(own):
            return None
        return key, target

    def origin_module(self, name):
        """The module, with a file, that an import of `name` finds last: `name`'s own or
        its deepest package's (not a namespace package's), or None."""
        name = self.unaliased(name)
        while name:
            found = self.find(name)
            if isinstance(found, Module) and found.origin:
                return found
            name = name.rpartition(".")[0]
        return None

    def defer(self, key, target, name, importer, level, fromlist, eager, line):
        """Puts off an optional import of `name` (`target` the module it finds) into the
        distribution `key`: followed once the closure uses that distribution, else
        reported (see manifest.left_out)."""
        self.deferred.setdefault(key, []).append((name, level, fromlist, importer, eager, line))
        tops, importers = self.optional.setdefault(key, (set(), set()))
        tops.add(target.name.partition(".")[0])
        importers.add(importer)

    def use_distribution(self, module):
        """Notes that the closure holds `module`: the optional imports put off into its
        distribution are followed now. Before any optional import asked (see installed),
        there is nothing to follow."""
        if self.dists is None:
            return
        key = self.distribution(module)
        if key in (None, APP, STDLIB) or key in self.used:
            return
        self.used.add(key)
        self.optional.pop(key, None)
        saved = self.at, self.via
        self.via = None
        for name, level, fromlist, importer, eager, line in self.deferred.pop(key, ()):
            self.at = (importer, line)
            self.follow_one(name, level, fromlist, importer, eager)
        self.at, self.via = saved

    def note_call(self, module_name, function, caller, eager):
        """`caller` imports `function` from `module_name` (None: imports the module, and
        may call any function it names as an attribute): if the function imports the
        name it is given (scan.ARGUMENT), the names `caller` lists are what it may be
        given (pyzmq's backends, which zmq.backend hands to zmq.backend.select's
        select_backend; boto3's handlers, which boto3.session hands to
        boto3.utils.lazy_call), now or once the function's module is scanned."""
        module = self.reached.get(module_name)
        if module is None:
            return
        if module.imports is None:
            self.callers.setdefault((module_name, function), []).append((caller, eager))
        elif function is None:
            # The standard library's modules name each other's functions all over; only
            # a dependency's handing names to a function of its own counts.
            if not in_stdlib(self.reached[caller].origin) and not self.importing_functions.get(
                module_name, set()
            ).isdisjoint(self.names_used(caller)):
                self.need_callers_table(caller, eager)
        elif function in self.importing_functions.get(module_name, ()):
            self.need_callers_table(caller, eager)

    def names_used(self, caller):
        """The names `caller`'s code and its nested code use (globals and attributes)."""
        code = self.compiled.get(caller)
        if code is None:
            return set()
        names = set()
        stack = [marshal.loads(code[0])]
        while stack:
            co = stack.pop()
            names.update(co.co_names)
            stack.extend(c for c in co.co_consts if isinstance(c, type(co)))
        return names

    def need_callers_table(self, caller, eager):
        """Adds the modules that the dotted names of `caller`'s code name."""
        code = self.compiled.get(caller)
        if code is None:
            return
        for name in sorted(listed_names(marshal.loads(code[0]))):
            if not self.excluded(name, caller):
                self.need_listed(name, caller, eager)

    def error(self, module, line, message):
        # The app's own errors stop the build; a dependency that fails is left out.
        (self.app_errors if module.in_app else self.errors).append(
            {
                "module": module.name,
                "file": module.origin or module.bundle_path,
                "line": line,
                "message": message,
            }
        )
