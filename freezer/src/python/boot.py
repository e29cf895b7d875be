"""Start-up module of a pyfreeze bundle.

The stub imports it from CPython's frozen table right after the interpreter starts and
calls ``setup()``, which installs the finder serving the bundle's modules and returns
what the stub runs: the app's entry point, or the multiprocessing helper process the
bundle was started as. Nothing but builtins and the frozen importlib exists
yet, so it imports only those. It is compiled under the file name of importlib's own
frames, so that CPython trims the loader's frames from tracebacks exactly as it trims
its own (``remove_importlib_frames`` in Python/import.c).
"""

import sys
import _imp
import _io
import _pyfreeze
import _frozen_importlib as _bootstrap
import _frozen_importlib_external as _bootstrap_external

# Bits of _pyfreeze.find(name), which is 0 for a name the bundle does not hold; the Rust
# half (runtime-stub/src/importer.rs) has the same.
_PACKAGE = 2
_EXTENSION = 4
_HAS_SOURCE = 8
_NAMESPACE = 16

_EXTENSION_SUFFIX = _imp.extension_suffixes()[0]

# The directory holding the files the build put on disk (--collect-to-disk), or None.
_DISK = _pyfreeze.disk_dir


def _place(root, path):
    """Where the file at `path` in the bundle's tree is: in the on-disk directory if the
    build put it there (its package's ``__file__`` and ``__path__`` then lead to real
    files), else below the executable."""
    if _DISK is not None and _pyfreeze.on_disk(path):
        return _DISK + "/" + path
    return root + "/" + path


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
            return _place(self.root, _pyfreeze.entry_arg)
        base = fullname.replace(".", "/")
        if bits & _EXTENSION:
            return self.root + "/" + base + _EXTENSION_SUFFIX
        if bits & _PACKAGE:
            return _place(self.root, base + "/__init__.py")
        return _place(self.root, base + ".py")

    def find_spec(self, fullname, path=None, target=None):
        bits = _pyfreeze.find(fullname)
        if bits & _NAMESPACE:
            return self._namespace_spec(fullname)
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
            spec.submodule_search_locations = [spec.origin.rpartition("/")[0]]
        return spec

    def _namespace_spec(self, fullname):
        """The spec of a PEP 420 namespace package, made as PathFinder makes it: no loader
        and no origin, so that the import system gives the module its NamespaceLoader and
        no ``__file__``, and a ``_NamespacePath`` whose portion is the bundle's directory
        (which the path hook lists for pkgutil)."""
        portion = self.root + "/" + fullname.replace(".", "/")

        def portions(name, parent_path):
            # _NamespacePath asks again when the parent's path changes (the app extends
            # sys.path): the bundle's portion stays first, those on the new path follow.
            found = _bootstrap_external.PathFinder._get_spec(name, parent_path)
            spec = _bootstrap.ModuleSpec(name, None, is_package=True)
            spec.submodule_search_locations.append(portion)
            if found is not None and found.loader is None:
                spec.submodule_search_locations.extend(
                    p for p in found.submodule_search_locations if p != portion
                )
            return spec

        spec = _bootstrap.ModuleSpec(fullname, None, is_package=True)
        spec.submodule_search_locations = _bootstrap_external._NamespacePath(
            fullname, [portion], portions
        )
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
        elif _DISK is not None and path.startswith(_DISK + "/"):
            with _io.FileIO(path, "r") as file:
                return file.readall()
        raise FileNotFoundError(2, "No such file in the bundle", path)

    def get_resource_reader(self, fullname):
        if not self._bits(fullname) & _PACKAGE:
            return None
        relative = fullname.replace(".", "/")
        if _DISK is not None and _pyfreeze.on_disk(relative + "/__init__.py"):
            return _DiskResourceReader(_DISK + "/" + relative)
        return _ResourceReader(_BundlePath(self.root, relative))

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
            bits = _pyfreeze.find(module)
            # pkgutil lists no directory without __init__.py, so no namespace package.
            if not bits & _NAMESPACE:
                yield prefix + module.rpartition(".")[2], bool(bits & _PACKAGE)

    def invalidate_caches(self):
        pass


def _path_hook(importer):
    prefixes = [importer.root + "/"]
    if _DISK is not None:
        prefixes.append(_DISK + "/")

    def bundle_package_directory(path):
        for prefix in prefixes:
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
                # A namespace package has no __init__.py.
                if bits and bits & (_PACKAGE | _EXTENSION | _NAMESPACE) == kind:
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
            if not _pyfreeze.find(package) & _NAMESPACE:
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


class _DiskResourceReader:
    """Resources of a package the build put on disk: real files, so ``as_file()`` and
    ``importlib.resources.path()`` hand out their paths without copying anything."""

    def __init__(self, directory):
        self._directory = directory

    def files(self):
        import pathlib

        return pathlib.Path(self._directory)

    def open_resource(self, resource):
        return _io.open(self.resource_path(resource), "rb")

    def resource_path(self, resource):
        return self._directory + "/" + resource

    def is_resource(self, name):
        return self.files().joinpath(name).is_file()

    def contents(self):
        return iter(child.name for child in self.files().iterdir())


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


def _adapt_readers(readers):
    """From 3.10 ``importlib.resources.files()`` of a namespace package asks its
    NamespaceLoader, whose reader opens every portion as a directory on disk (or, from
    3.13, as a zip file); the bundle's portion is a directory of the bundle."""
    on_disk = readers.NamespaceReader

    class NamespaceReader(on_disk):
        def __new__(cls, namespace_path):
            prefix = _pyfreeze.executable + "/"
            for portion in namespace_path:
                if portion.startswith(prefix):
                    # Not an instance of cls, so __init__ and its disk checks do not run.
                    relative = portion[len(prefix):]
                    return _ResourceReader(_BundlePath(_pyfreeze.executable, relative))
            return super().__new__(cls)

    readers.NamespaceReader = NamespaceReader


class _ScriptSource:
    """``__loader__`` of the app's script re-run as ``__mp_main__``: linecache asks it for
    the source of that name, which the bundle holds as ``__main__``."""

    def __init__(self, importer):
        self._importer = importer

    def get_source(self, fullname):
        return self._importer.get_source("__main__")


def _adapt_multiprocessing_spawn(spawn):
    """A spawned child re-runs the parent's script as ``__mp_main__``, so that what it
    defines can be unpickled, with ``runpy.run_path(<the script's __file__>)``; nothing is
    on disk there, so run the bundled script as run_path would. A module entry point is
    re-run by name (``runpy.run_module``), which the finder serves as it is."""
    if _pyfreeze.entry_kind != "script":
        return
    import os

    importer = spawn.__spec__.loader
    script = os.path.normpath(importer.get_filename("__main__"))
    fixup_main_from_path = spawn._fixup_main_from_path

    def _fixup_main_from_path(main_path):
        current = sys.modules["__main__"]
        if main_path != script or getattr(current, "__file__", None) == main_path:
            return fixup_main_from_path(main_path)
        spawn.old_main_modules.append(current)
        main = type(sys)("__mp_main__")
        main.__dict__.update(
            __file__=main_path,
            __cached__=None,
            __loader__=_ScriptSource(importer),
            __package__="",
            __spec__=None,
        )
        # As run_path's temporary module: what the script pickles while it runs resolves.
        sys.modules["__mp_main__"] = main
        exec(importer.get_code("__main__"), main.__dict__)
        sys.modules["__main__"] = main

    spawn._fixup_main_from_path = _fixup_main_from_path


def _adapt_linecache(linecache):
    """``linecache.getline(path)`` asked without the module's globals, as warnings asks
    it for the line a warning shows, finds nothing at a bundled module's path: give it
    the globals of the module bundled there, so that it asks the loader."""
    importer = linecache.__spec__.loader
    prefix = importer.root + "/"
    lazycache = linecache.lazycache

    def lazycache_from_bundle(filename, module_globals):
        if not module_globals and filename.startswith(prefix):
            relative = filename[len(prefix):]
            if _pyfreeze.entry_kind == "script" and relative == _pyfreeze.entry_arg:
                name = "__main__"
            else:
                module = _BundlePath(importer.root, relative)._module()
                name = None if module is None else module[0]
            if name is not None:
                module_globals = {"__name__": name, "__loader__": importer}
        return lazycache(filename, module_globals)

    lazycache_from_bundle.__doc__ = lazycache.__doc__
    linecache.lazycache = lazycache_from_bundle


def _adapt_threading(threading):
    """Before 3.13 threading.excepthook prints with the C traceback printer (see
    _print_exception); print what it prints with the traceback module."""
    c_hook = threading.excepthook

    def excepthook(args):
        if args.exc_type is SystemExit:
            return
        file = sys.stderr
        if file is None:
            file = None if args.thread is None else args.thread._stderr
            if file is None:
                return
        try:
            if args.thread is not None and hasattr(args.thread, "name"):
                name = args.thread.name
            else:
                import _thread

                name = _thread.get_ident()
            text = "Exception in thread {}:\n".format(name) + _format_exception(
                args.exc_type, args.exc_value, args.exc_traceback
            )
        except Exception:
            # Late in the interpreter's shutdown nothing can be imported any more.
            return c_hook(args)
        file.write(text)
        file.flush()

    threading.excepthook = excepthook
    if sys.version_info >= (3, 10):
        threading.__excepthook__ = excepthook


# Run after these modules execute, to make them aware of the bundle.
_ADAPTERS = {
    "ctypes": _adapt_ctypes,
    "ctypes.util": _adapt_ctypes_util,
    "linecache": _adapt_linecache,
    "multiprocessing.spawn": _adapt_multiprocessing_spawn,
}
if sys.version_info < (3, 13):
    _ADAPTERS["threading"] = _adapt_threading
if sys.version_info[:2] == (3, 9):
    _ADAPTERS["importlib._common"] = _adapt_resources_common
if sys.version_info >= (3, 10):
    _ADAPTERS["importlib.readers"] = _adapt_readers


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
    sys.stderr.write(_format_exception(exc_type, value, tb))


def _format_exception(exc_type, value, tb):
    import traceback

    report = traceback.TracebackException(exc_type, value, tb)
    if sys.version_info < (3, 11):
        _qualify_main_exceptions(report)
    return "".join(report.format())


def _unraisable_hook(c_hook):
    """sys.unraisablehook, whose C version prints the traceback of the exception it
    reports (raised in ``__del__``, an atexit callback, ...) with the C traceback printer
    (see _print_exception): a hook printing what it prints with the traceback module."""

    def unraisablehook(unraisable):
        file = sys.stderr
        if file is None:
            return
        try:
            text = _format_unraisable(unraisable)
        except Exception:
            # Late in the interpreter's shutdown nothing can be imported any more.
            return c_hook(unraisable)
        file.write(text)
        file.flush()

    return unraisablehook


def _format_unraisable(unraisable):
    """What the C hook writes (write_unraisable_exc_file in Python/errors.c)."""
    import traceback

    text = ""
    if unraisable.object is not None:
        if unraisable.err_msg is None:
            text += "Exception ignored in: "
        else:
            text += str(unraisable.err_msg) + ": "
        try:
            text += repr(unraisable.object)
        except Exception:
            text += "<object repr() failed>"
        text += "\n"
    elif unraisable.err_msg is not None:
        text += str(unraisable.err_msg) + ":\n"
    tb = unraisable.exc_traceback
    if tb is not None:
        if sys.version_info >= (3, 13):
            # 3.13's C printer marks no columns under the lines, as frames without
            # positions print.
            frames = traceback.StackSummary.from_list(
                [(f.f_code.co_filename, line, f.f_code.co_name, None)
                 for f, line in traceback.walk_tb(tb)]
            )
        else:
            frames = traceback.extract_tb(tb)
        text += "Traceback (most recent call last):\n" + "".join(frames.format())
    exc_type = unraisable.exc_type
    if exc_type is None:
        return text
    module = getattr(exc_type, "__module__", None)
    unqualified = ("builtins", "__main__") if sys.version_info >= (3, 11) else ("builtins",)
    if not isinstance(module, str):
        text += "<unknown>"
    elif module not in unqualified:
        text += module + "."
    name = getattr(exc_type, "__qualname__", None)
    text += name if isinstance(name, str) else "<unknown>"
    if unraisable.exc_value is not None:
        try:
            text += ": " + str(unraisable.exc_value)
        except Exception:
            text += ": <exception str() failed>"
    return text + "\n"


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


# The modules whose ``main`` multiprocessing runs with ``-c`` (forkserver.py,
# resource_tracker.py), and the parameters of the spawn_main it runs a spawned child with.
_HELPER_MODULES = ("multiprocessing.forkserver", "multiprocessing.resource_tracker")
_SPAWN_PARAMETERS = ("pipe_handle", "parent_pid", "tracker_fd")
# What subprocess._args_from_interpreter_flags() repeats as -<letter>..., e.g. -I, -OO.
_FLAG_LETTERS = "OdBSvbqIEsP"


def _multiprocessing_helper(args):
    """The multiprocessing helper process the command-line arguments ``args`` start, as a
    callable, or None: then they are the app's own.

    With ``sys.frozen`` set, multiprocessing starts ``sys.executable``, the bundle, as a
    spawned child (``--multiprocessing-fork name=value...``, spawn.get_command_line), the
    fork server and the resource tracker (``<interpreter flags> -c "from
    multiprocessing.<module> import main; main(<literals>)"``). Only these exact forms
    are recognised, and nothing of the ``-c`` text is executed: its syntax tree must be
    that import and that call, and ``main`` is called with the literals' values.
    """
    if args[:1] == ["--multiprocessing-fork"]:
        kwargs = _spawn_arguments(args[1:])
        if kwargs is None or not _pyfreeze.find("multiprocessing.spawn"):
            return None
        import _functools

        spawn = _bootstrap._gcd_import("multiprocessing.spawn")
        return _functools.partial(spawn.spawn_main, **kwargs)
    if len(args) < 2 or args[-2] != "-c" or not _are_interpreter_flags(args[:-2]):
        return None
    call = _helper_call(args[-1])
    if call is None or not _pyfreeze.find(call[0]):
        return None
    import _functools

    module, positional, keywords = call
    return _functools.partial(_bootstrap._gcd_import(module).main, *positional, **keywords)


def _spawn_arguments(args):
    """spawn_main's keyword arguments from spawn.get_command_line's ``name=value``
    (an int or None), or None if ``args`` are anything else."""
    kwargs = {}
    for arg in args:
        name, equals, value = arg.partition("=")
        if not equals or name not in _SPAWN_PARAMETERS or name in kwargs:
            return None
        if value == "None":
            kwargs[name] = None
        elif value.isascii() and value.isdigit():
            kwargs[name] = int(value)
        else:
            return None
    return kwargs if "pipe_handle" in kwargs else None


def _are_interpreter_flags(args):
    """Whether ``args`` are options as subprocess._args_from_interpreter_flags() writes
    them: ``-<letter>`` repeated, ``-W<option>``, ``-X <option>``. They are not applied:
    the letters restate what the bundle always starts with, and the -W/-X options an app
    may have added at run time do not reach the helpers."""
    i = 0
    while i < len(args):
        flag = args[i]
        if flag == "-X" and i + 1 < len(args):
            i += 2
        elif (flag.startswith("-W") and len(flag) > 2) or (
            len(flag) > 1
            and flag[0] == "-"
            and flag[1] in _FLAG_LETTERS
            and flag[1:] == flag[1] * (len(flag) - 1)
        ):
            i += 1
        else:
            return False
    return True


def _helper_call(command):
    """``(module, args, kwargs)`` if ``command`` is exactly ``from <module> import main;
    main(<args>, <kwargs>)`` with a module of _HELPER_MODULES and literal arguments,
    else None. The text is only parsed."""
    import _ast

    try:
        tree = compile(command, "<string>", "exec", _ast.PyCF_ONLY_AST, True)
    except (SyntaxError, ValueError):
        return None
    if len(tree.body) != 2:
        return None
    imported, statement = tree.body
    if not (
        isinstance(imported, _ast.ImportFrom)
        and imported.module in _HELPER_MODULES
        and imported.level == 0
        and [(alias.name, alias.asname) for alias in imported.names] == [("main", None)]
        and isinstance(statement, _ast.Expr)
        and isinstance(statement.value, _ast.Call)
        and isinstance(statement.value.func, _ast.Name)
        and statement.value.func.id == "main"
    ):
        return None
    call = statement.value
    try:
        args = [_literal(_ast, node) for node in call.args]
        kwargs = {}
        for keyword in call.keywords:
            value = _literal(_ast, keyword.value)
            if keyword.arg is not None:
                value = {keyword.arg: value}
            elif not isinstance(value, dict):
                return None
            for name, item in value.items():
                if name in kwargs:
                    return None
                kwargs[name] = item
    except ValueError:
        return None
    return imported.module, args, kwargs


def _literal(_ast, node):
    """The value of ``node`` if it is a literal of ints, strings, None, lists, tuples and
    dicts with string keys, as ``%r`` writes the helpers' arguments; else ValueError."""
    if isinstance(node, _ast.Constant) and type(node.value) in (int, str, type(None)):
        return node.value
    if isinstance(node, _ast.List):
        return [_literal(_ast, item) for item in node.elts]
    if isinstance(node, _ast.Tuple):
        return tuple(_literal(_ast, item) for item in node.elts)
    if isinstance(node, _ast.Dict) and all(
        isinstance(key, _ast.Constant) and type(key.value) is str for key in node.keys
    ):
        return {key.value: _literal(_ast, value) for key, value in zip(node.keys, node.values)}
    raise ValueError("not a literal")


def _run_function():
    """Runs a ``module:function`` entry point the way a console-script wrapper does."""
    module = _bootstrap._gcd_import(_pyfreeze.entry_module)
    sys.exit(getattr(module, _pyfreeze.entry_arg)())


def _apply_python_options():
    """The build's ``-W`` and, before 3.10, ``-X`` options, as python applies its own.

    python lists warning options as dev mode's "default", then ``-W``, then the
    BytesWarning filter of ``-b``, and the warnings module applies them in that order
    (the last one wins) when it is imported; CPython may already have imported it for dev
    mode or ``-b``, in which case the ``-W`` filters are added now and the BytesWarning
    filter put back on top."""
    given = _pyfreeze.warnoptions
    if given:
        options = sys.warnoptions
        bytes_filter = [o for o in options if o.endswith("::BytesWarning")][-1:]
        before = [o for o in options if o not in bytes_filter]
        options[:] = before + given + bytes_filter
        warnings = sys.modules.get("warnings")
        if warnings is not None:
            warnings._processoptions(given + bytes_filter)
    if sys.version_info < (3, 10):
        for option in _pyfreeze.xoptions:
            name, eq, value = option.partition("=")
            sys._xoptions[name] = value if eq else True
            if name == "faulthandler":
                import faulthandler

                faulthandler.enable()
            elif name == "tracemalloc":
                import tracemalloc

                tracemalloc.start(int(value) if eq else 1)
            elif name == "int_max_str_digits" and hasattr(sys, "set_int_max_str_digits"):
                sys.set_int_max_str_digits(int(value))


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
    _apply_python_options()
    if sys.version_info < (3, 13):
        # Also the "original" hook, so code that restores sys.__excepthook__ keeps lines.
        sys.excepthook = sys.__excepthook__ = _print_exception
    sys.unraisablehook = sys.__unraisablehook__ = _unraisable_hook(sys.__unraisablehook__)

    helper = _multiprocessing_helper(sys.argv[1:])
    if helper is not None:
        # __main__ stays as bare as python -c leaves it: a spawned child re-runs the
        # script in a module of its own (see _adapt_multiprocessing_spawn).
        return helper

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
