"""Start-up module of a pyfreeze bundle.

The stub imports it from CPython's frozen table right after the interpreter starts and
calls ``setup()``, which installs the finder serving the bundle's modules and returns
what the stub runs as ``__main__``. Nothing but builtins and the frozen importlib exists
yet, so it imports only those. It is compiled under the file name of importlib's own
frames, so that CPython trims the loader's frames from tracebacks exactly as it trims
its own (``remove_importlib_frames`` in Python/import.c).
"""

import sys
import _imp
import _pyfreeze
import _frozen_importlib as _bootstrap
import _frozen_importlib_external as _bootstrap_external

# Bits of _pyfreeze.find(name), which is 0 for a name the bundle does not hold; the Rust
# half (runtime-stub/src/importer.rs) has the same.
_PACKAGE = 2
_EXTENSION = 4
_HAS_SOURCE = 8

_EXTENSION_SUFFIX = _imp.extension_suffixes()[0]


class BundleImporter:
    """Finds and loads the modules stored in this executable.

    A module's ``__file__`` is ``<executable>/<path inside the bundle>``, the way a
    zipapp's is ``<archive>/<path>``: nothing exists at that path; the source comes from
    ``get_source`` and the code from the executable's own mapping.
    """

    def __init__(self, root):
        self.root = root

    def __repr__(self):
        return "<pyfreeze.BundleImporter {!r}>".format(self.root)

    def _bits(self, fullname):
        bits = _pyfreeze.find(fullname)
        if not bits:
            raise ImportError("no module named {!r} in this bundle".format(fullname), name=fullname)
        return bits

    def _filename(self, fullname, bits):
        if fullname == "__main__" and _pyfreeze.entry_kind == "script":
            return self.root + "/" + _pyfreeze.entry_arg
        base = self.root + "/" + fullname.replace(".", "/")
        if bits & _EXTENSION:
            return base + _EXTENSION_SUFFIX
        if bits & _PACKAGE:
            return base + "/__init__.py"
        return base + ".py"

    def find_spec(self, fullname, path=None, target=None):
        bits = _pyfreeze.find(fullname)
        if not bits:
            return None
        is_package = bool(bits & _PACKAGE)
        # loader_state carries the bits to create_module and exec_module: one lookup an import.
        spec = _bootstrap.ModuleSpec(
            fullname,
            self,
            origin=self._filename(fullname, bits),
            loader_state=bits,
            is_package=is_package,
        )
        spec.has_location = True
        if is_package:
            spec.submodule_search_locations = [self.root + "/" + fullname.replace(".", "/")]
        return spec

    def _spec_bits(self, spec):
        bits = spec.loader_state
        return self._bits(spec.name) if bits is None else bits

    def create_module(self, spec):
        if not self._spec_bits(spec) & _EXTENSION:
            return None
        # dlopen needs a path: the memfd holding the extension's bytes.
        in_memory = _bootstrap.ModuleSpec(
            spec.name, self, origin=_pyfreeze.extension_path(spec.name)
        )
        return _bootstrap._call_with_frames_removed(_imp.create_dynamic, in_memory)

    def exec_module(self, module):
        spec = module.__spec__
        bits = self._spec_bits(spec)
        if bits & _EXTENSION:
            _bootstrap._call_with_frames_removed(_imp.exec_dynamic, module)
            # create_dynamic named the memfd; the module's file is its place in the bundle.
            module.__file__ = spec.origin
            return
        code = self._code(spec.name, bits)
        _bootstrap._call_with_frames_removed(exec, code, module.__dict__)
        adapt = _ADAPTERS.get(spec.name)
        if adapt is not None:
            adapt(module)

    def get_filename(self, fullname):
        return self._filename(fullname, self._bits(fullname))

    def get_code(self, fullname):
        bits = self._bits(fullname)
        return None if bits & _EXTENSION else self._code(fullname, bits)

    def _code(self, fullname, bits):
        code = _pyfreeze.get_code(fullname)
        # Compiled with its path inside the bundle; make it match __file__ here.
        _imp._fix_co_filename(code, self._filename(fullname, bits))
        return code

    def get_source(self, fullname):
        bits = self._bits(fullname)
        if not bits & _HAS_SOURCE:
            return None
        return _bootstrap_external.decode_source(_pyfreeze.get_source(fullname))

    def is_package(self, fullname):
        return bool(self._bits(fullname) & _PACKAGE)

    def get_data(self, path):
        """A data file of the bundle by its path under the executable, as ``__file__``
        gives it: ``pkgutil.get_data`` and ``open(os.path.join(dirname(__file__), x))``
        users reach their files through here."""
        prefix = self.root + "/"
        if path.startswith(prefix):
            data = _pyfreeze.get_data(path[len(prefix):])
            if data is not None:
                return data
        raise FileNotFoundError(2, "No such file in the bundle", path)

    def get_resource_reader(self, fullname):
        if not self._bits(fullname) & _PACKAGE:
            return None
        return _ResourceReader(_BundlePath(self.root, fullname.replace(".", "/")))

    def find_distributions(self, context=None):
        """``importlib.metadata``: the bundled distributions, from their *.dist-info."""
        name = getattr(context, "name", None)
        wanted = None if name is None else _normalize(name)
        found = []
        for entry in _pyfreeze.list_data(""):
            if not entry.endswith(".dist-info/"):
                continue
            info = entry[:-1]
            project = info[: -len(".dist-info")].rpartition("-")[0]
            if wanted is None or _normalize(project) == wanted:
                found.append(_distribution_type()(self.root, info))
        return iter(found)


class _PackageDirectory:
    """The path-entry finder of a bundled package's ``__path__`` entry, so that
    ``pkgutil.iter_modules(package.__path__)`` and ``walk_packages`` list its modules."""

    def __init__(self, importer, package):
        self._importer = importer
        self._package = package

    def find_spec(self, fullname, target=None):
        if fullname.rpartition(".")[0] != self._package:
            return None
        return self._importer.find_spec(fullname)

    def iter_modules(self, prefix=""):
        for module in _pyfreeze.list_modules(self._package + "."):
            yield prefix + module.rpartition(".")[2], bool(_pyfreeze.find(module) & _PACKAGE)

    def invalidate_caches(self):
        pass


def _path_hook(importer):
    prefix = importer.root + "/"

    def bundle_package_directory(path):
        if path.startswith(prefix):
            package = path[len(prefix):].replace("/", ".")
            if _pyfreeze.find(package) & _PACKAGE:
                return _PackageDirectory(importer, package)
        raise ImportError("not a package directory of this bundle", path=path)

    return bundle_package_directory


def _normalize(name):
    """A project name as PEP 503 compares them, without importing re at start-up."""
    name = name.lower().replace("_", "-").replace(".", "-")
    while "--" in name:
        name = name.replace("--", "-")
    return name


class _BundlePath:
    """A directory or file of the bundle's tree, as ``importlib.resources.files()``
    hands them out (a Traversable). Nothing exists at its path on disk; ``as_file()``
    copies a file to a temporary one when real path is asked for."""

    def __init__(self, root, relative):
        self._root = root
        self._relative = relative

    def __repr__(self):
        return "<BundlePath {!r}>".format(self._relative)

    def __str__(self):
        return self._root + "/" + self._relative

    @property
    def name(self):
        return self._relative.rpartition("/")[2]

    def _module(self):
        """(name, bits) of the bundled module whose file this path is, or None."""
        relative = self._relative
        for suffix, kind in (("/__init__.py", _PACKAGE), (".py", 0), (_EXTENSION_SUFFIX, _EXTENSION)):
            if relative.endswith(suffix):
                name = relative[: -len(suffix)].replace("/", ".")
                bits = _pyfreeze.find(name)
                if bits and bits & (_PACKAGE | _EXTENSION) == kind:
                    return name, bits
                return None
        return None

    def _package(self):
        """The bundled package this directory is, or None."""
        name = self._relative.replace("/", ".")
        return name if _pyfreeze.find(name) & _PACKAGE else None

    def iterdir(self):
        package = self._package()
        children = set()
        if package is not None:
            children.add("__init__.py")
            for module in _pyfreeze.list_modules(package + "."):
                bits = _pyfreeze.find(module)
                leaf = module.rpartition(".")[2]
                if bits & _PACKAGE:
                    children.add(leaf + "/")
                elif bits & _EXTENSION:
                    children.add(leaf + _EXTENSION_SUFFIX)
                else:
                    children.add(leaf + ".py")
        children.update(_pyfreeze.list_data(self._relative + "/"))
        for child in sorted(children):
            yield _BundlePath(self._root, self._relative + "/" + child.rstrip("/"))

    def is_dir(self):
        return self._package() is not None or bool(_pyfreeze.list_data(self._relative + "/"))

    def is_file(self):
        return self._module() is not None or _pyfreeze.get_data(self._relative) is not None

    def exists(self):
        return self.is_file() or self.is_dir()

    def joinpath(self, *descendants):
        relative = self._relative
        for part in descendants:
            for piece in str(part).split("/"):
                if piece and piece != ".":
                    relative = relative + "/" + piece if relative else piece
        return _BundlePath(self._root, relative)

    __truediv__ = joinpath

    def read_bytes(self):
        data = _pyfreeze.get_data(self._relative)
        if data is None:
            module = self._module()
            if module is not None and module[1] & _HAS_SOURCE:
                data = _pyfreeze.get_source(module[0])
        if data is None:
            raise FileNotFoundError(2, "No such file in the bundle", str(self))
        return data

    def read_text(self, encoding=None, errors=None):
        with self.open("r", encoding=encoding, errors=errors) as stream:
            return stream.read()

    def open(self, mode="r", *args, **kwargs):
        import io

        stream = io.BytesIO(self.read_bytes())
        if "b" in mode:
            return stream
        return io.TextIOWrapper(stream, *args, **kwargs)


class _ResourceReader:
    """Resources of a package: ``files()`` for 3.9 and later, and the older
    ``open_resource`` / ``resource_path`` / ``is_resource`` / ``contents`` for 3.8."""

    def __init__(self, package):
        self._package = package

    def files(self):
        return self._package

    def open_resource(self, resource):
        return self._package.joinpath(resource).open("rb")

    def resource_path(self, resource):
        # No file on disk: importlib.resources then copies the bytes to a temporary file.
        raise FileNotFoundError(resource)

    def is_resource(self, name):
        return self._package.joinpath(name).is_file()

    def contents(self):
        return iter(child.name for child in self._package.iterdir())


_distribution = None


def _distribution_type():
    """The Distribution class for bundled *.dist-info, made on first use: importing
    importlib.metadata at start-up would cost every app that never asks."""
    global _distribution
    if _distribution is None:
        import importlib.metadata

        class BundleDistribution(importlib.metadata.Distribution):
            def __init__(self, root, info):
                self._root = root
                self._info = info

            def read_text(self, filename):
                data = _pyfreeze.get_data(self._info + "/" + filename)
                return None if data is None else data.decode("utf-8")

            def locate_file(self, path):
                # Relative to the bundle's top, where site-packages' contents are.
                return _BundlePath(self._root, str(path))

        _distribution = BundleDistribution
    return _distribution


def _adapt_ctypes(ctypes):
    """``ctypes.CDLL("libz.so.1")`` must get the bundled copy of a library: load it first,
    and the dynamic loader finds it, already loaded, by its soname."""
    cdll_init = ctypes.CDLL.__init__

    def __init__(self, name, *args, **kwargs):
        if isinstance(name, str) and "/" not in name:
            _pyfreeze.load_library(name)
        cdll_init(self, name, *args, **kwargs)

    __init__.__doc__ = cdll_init.__doc__
    ctypes.CDLL.__init__ = __init__


def _adapt_ctypes_util(util):
    """``ctypes.util.find_library(name)`` finds bundled libraries first, as it would have
    found them on the machine the bundle was built on."""
    find_on_system = util.find_library

    def find_library(name):
        return _pyfreeze.find_library(name) or find_on_system(name)

    find_library.__doc__ = find_on_system.__doc__
    util.find_library = find_library


def _adapt_resources_common(common):
    """On 3.9 ``importlib.resources.files()`` asks no loader: it takes the directory of
    ``__spec__.origin``, which for a bundled package is not on disk. Ask ours."""
    from_package = common.from_package

    def from_bundle_or_package(package):
        spec = package.__spec__
        if isinstance(spec.loader, BundleImporter):
            return spec.loader.get_resource_reader(spec.name).files()
        return from_package(package)

    common.from_package = from_bundle_or_package


# Run after these modules execute, to make them aware of the bundle.
_ADAPTERS = {"ctypes": _adapt_ctypes, "ctypes.util": _adapt_ctypes_util}
if sys.version_info[:2] == (3, 9):
    _ADAPTERS["importlib._common"] = _adapt_resources_common


def _adopt_frozen_modules(importer):
    """Gives the modules CPython imported from the frozen table before the finder existed
    (encodings, codecs, io, ...) the spec, loader and file they would have had from it."""
    for name, module in list(sys.modules.items()):
        spec = getattr(module, "__spec__", None)
        if spec is None or spec.origin != "frozen":
            continue
        ours = importer.find_spec(name)
        if ours is None:
            continue
        module.__spec__ = ours
        module.__loader__ = importer
        module.__file__ = ours.origin
        if ours.submodule_search_locations is not None:
            module.__path__ = list(ours.submodule_search_locations)


def _print_exception(exc_type, value, tb):
    """sys.excepthook before 3.13, whose C traceback printer reads source lines only from
    files on disk; the traceback module asks the loader through linecache instead."""
    import traceback

    report = traceback.TracebackException(exc_type, value, tb)
    if sys.version_info < (3, 11):
        _qualify_main_exceptions(report)
    for line in report.format():
        sys.stderr.write(line)


def _qualify_main_exceptions(report):
    """Before 3.11 the C printer names an exception class defined in ``__main__`` as
    ``__main__.Name`` where the traceback module writes ``Name``; print what python does."""
    seen = set()
    pending = [report]
    while pending:
        report = pending.pop()
        if report is None or id(report) in seen:
            continue
        seen.add(id(report))
        pending.extend((report.__cause__, report.__context__))
        exc_type = report.exc_type
        if exc_type is None or exc_type.__module__ != "__main__":
            continue
        name = exc_type.__qualname__
        only = report.format_exception_only

        def qualified(only=only, name=name):
            for line in only():
                if line.startswith(name + ":") or line == name + "\n":
                    line = "__main__." + line
                yield line

        report.format_exception_only = qualified


def _run_function():
    """Runs a ``module:function`` entry point the way a console-script wrapper does."""
    module = _bootstrap._gcd_import(_pyfreeze.entry_module)
    sys.exit(getattr(module, _pyfreeze.entry_arg)())


def setup():
    root = _pyfreeze.executable
    sys.executable = root
    sys._base_executable = root
    sys.argv = _pyfreeze.argv
    sys.frozen = True
    # The bundle is the only place modules come from; no directory is searched.
    sys.path[:] = []

    importer = BundleImporter(root)
    at = sys.meta_path.index(_bootstrap.FrozenImporter)
    sys.meta_path.insert(at, importer)
    sys.path_hooks.insert(0, _path_hook(importer))
    _adopt_frozen_modules(importer)
    if sys.version_info < (3, 13):
        # Also the "original" hook, so code that restores sys.__excepthook__ keeps lines.
        sys.excepthook = sys.__excepthook__ = _print_exception

    kind = _pyfreeze.entry_kind
    if kind == "script":
        main = sys.modules["__main__"]
        main.__file__ = importer.get_filename("__main__")
        main.__cached__ = None
        main.__loader__ = importer
        return importer.get_code("__main__")
    if kind == "function":
        return _run_function
    return None
