"""Start-up module of a pyfreeze bundle.

The stub imports it from CPython's frozen table right after the interpreter starts and
calls ``setup()``, which installs the finder serving the bundle's modules and returns
what the stub runs: the app's entry point, or the multiprocessing helper process the
bundle was started as. Nothing but builtins and the frozen importlib exists
yet, so it imports only those.

What only some apps need is in the other modules beside it (runtime-stub/python/),
ordinary bundled modules that its finder serves, imported when first needed:
_pyfreeze_resources (importlib.resources and importlib.metadata), _pyfreeze_hooks
(tracebacks with source lines), _pyfreeze_mp (multiprocessing's helper processes) and
_pyfreeze_ctypes (bundled libraries for ctypes); and, only in a build of `pyfreeze
check`, _pyfreeze_check, imported before the entry point runs (it reports sys.modules at
exit). All are compiled under the file name of importlib's own frames,
_pyfreeze.BOOT_FILENAME, so that CPython trims the loader's frames from tracebacks exactly
as it trims its own (``remove_importlib_frames`` in Python/import.c); the finder leaves
that name to them.
"""

import _frozen_importlib as _bootstrap
import _frozen_importlib_external as _bootstrap_external
import _imp
import _io
import sys

import _pyfreeze
from _pyfreeze import EXTENSION, HAS_SOURCE, NAMESPACE, PACKAGE

EXTENSION_SUFFIX = _imp.extension_suffixes()[0]

# The probe of a `pyfreeze check` build (freezer/src/check.rs).
CHECK_PROBE = "_pyfreeze_check"

# The directory holding the files the build put on disk (--collect-to-disk), or None.
_DISK = _pyfreeze.disk_dir


# What the bundle holds under each name find_spec looked up (_pyfreeze.find's answer),
# which create_module and exec_module ask again: the bundle never changes.
_FOUND = {}


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

    A submodule is searched for in its parent's ``__path__``, as PathFinder searches it:
    a directory of the bundle there (``<executable>/<dir>``) serves the module at that
    directory and the submodule's last name, whatever the parent is called (setuptools
    makes ``distutils.__path__`` its ``_distutils`` directory); a path with any other entry
    is left to PathFinder, which searches the bundle's directories through the path hook
    (_PackageDirectory). Specs carry nothing of the bundle's: the loader knows a module by
    the name it is imported under, so that a spec another loader takes over (LazyLoader
    owns ``loader_state``) or one an app makes (``spec_from_loader``) loads the same.
    """

    def __init__(self, root):
        self.root = root
        # The bundle's names of the modules this loader serves under another name (_Renamed).
        self._renamed = {}
        prefixes = [root + "/"]
        if _DISK is not None:
            # A package put on disk has its __path__ there; its modules are still ours.
            prefixes.append(_DISK + "/")
        self._prefixes = prefixes
        # directory_name's answers: a package's __path__ entry is searched at every import
        # of one of its modules.
        self._directories = {}

    def __repr__(self):
        return f"<pyfreeze.BundleImporter {self.root!r}>"

    def _lookup(self, fullname):
        """The bundle's name of the module imported as ``fullname``, and its bits."""
        name = self._renamed.get(fullname, fullname)
        bits = _FOUND.get(name)
        if bits is None:
            bits = _FOUND[name] = _pyfreeze.find(name)
        if not bits:
            raise ImportError(f"no module named {fullname!r} in this bundle", name=fullname)
        return name, bits

    def _filename(self, name, bits):
        """The file of the bundle's module ``name``."""
        if name == "__main__" and _pyfreeze.entry_kind == "script":
            return _place(self.root, _pyfreeze.entry_arg)
        base = name.replace(".", "/")
        if bits & EXTENSION:
            if bits & PACKAGE:
                return self.root + "/" + base + "/__init__" + EXTENSION_SUFFIX
            return self.root + "/" + base + EXTENSION_SUFFIX
        if bits & PACKAGE:
            return _place(self.root, base + "/__init__.py")
        return _place(self.root, base + ".py")

    def find_spec(self, fullname, path=None, target=None):
        if path is None:
            bits = _FOUND[fullname] = _pyfreeze.find(fullname)
            if bits & NAMESPACE:
                portion = self.root + "/" + fullname.replace(".", "/")
                return self._namespace_spec(fullname, [portion])
            return self._spec(fullname, fullname, bits) if bits else None
        portions = None
        for entry in path:
            try:
                directory = self._directories[entry]
            except (KeyError, TypeError):
                directory = self.directory_name(entry)
            if directory is None:
                # A directory on disk (or no path at all): PathFinder, after this finder,
                # searches the whole path in order, and this directory through the hook.
                return None
            spec = self.find_in(fullname, directory, entry)
            if spec is not None:
                if spec.loader is not None:
                    return spec
                portions = (portions or []) + spec.submodule_search_locations
        return None if portions is None else self._namespace_spec(fullname, portions)

    def directory_name(self, entry):
        """The dotted name of the bundle's directory at the path ``entry`` (``""`` for the
        top), or None if ``entry`` is not one."""
        if not isinstance(entry, str):
            return None
        name = None
        for prefix in self._prefixes:
            if entry.startswith(prefix) or entry == prefix[:-1]:
                relative = entry[len(prefix):]
                # A directory holding modules has a module's dotted name.
                if not ("." in relative or "//" in relative or relative.endswith("/")):
                    name = relative.replace("/", ".")
                break
        self._directories[entry] = name
        return name

    def find_in(self, fullname, directory, entry):
        """What a path-entry finder of the bundle's directory ``directory`` (a dotted name)
        at the path ``entry`` finds for ``fullname``: the spec of a module, or a namespace
        portion (a spec with no loader), PathFinder's protocol. PathFinder takes any
        directory that no module shadows for a portion, one holding only data too."""
        leaf = fullname.rpartition(".")[2]
        name = directory + "." + leaf if directory else leaf
        bits = _FOUND[name] = _pyfreeze.find(name)
        if bits and not bits & NAMESPACE:
            return self._spec(fullname, name, bits)
        if bits or _pyfreeze.list_data(name.replace(".", "/") + "/"):
            spec = _bootstrap.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = [entry + "/" + leaf]
            return spec
        return None

    def _spec(self, fullname, name, bits):
        """The spec of the bundle's module ``name``, imported as ``fullname``."""
        loader = self if name == fullname else _Renamed(self.root, fullname, name)
        is_package = bool(bits & PACKAGE)
        spec = _bootstrap.ModuleSpec(
            fullname, loader, origin=self._filename(name, bits), is_package=is_package
        )
        spec.has_location = True
        if is_package:
            spec.submodule_search_locations = [spec.origin.rpartition("/")[0]]
        return spec

    def _namespace_spec(self, fullname, portions):
        """The spec of a PEP 420 namespace package, made as PathFinder makes it: no loader
        and no origin, so that the import system gives the module its NamespaceLoader and
        no ``__file__``, and a ``_NamespacePath`` of ``portions``, the bundle's directories
        (which the path hook lists for pkgutil)."""
        spec = _bootstrap.ModuleSpec(fullname, None, is_package=True)
        spec.submodule_search_locations = _bootstrap_external._NamespacePath(
            fullname, portions, self._portions
        )
        return spec

    def _portions(self, name, parent_path):
        """What _NamespacePath asks for again when the parent's path has changed: the
        namespace package's spec on ``parent_path``, as PathFinder finds it (the bundle's
        directories through the path hook). A top-level one keeps the bundle's portion
        first (the bundle is searched before sys.path), those on the new sys.path follow."""
        found = _bootstrap_external.PathFinder._get_spec(name, parent_path)
        if "." in name:
            return found
        portion = self.root + "/" + name
        spec = _bootstrap.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations.append(portion)
        if found is not None and found.loader is None:
            spec.submodule_search_locations.extend(
                p for p in found.submodule_search_locations if p != portion
            )
        return spec

    def create_module(self, spec):
        name, bits = self._lookup(spec.name)
        if not bits & EXTENSION:
            return None
        # dlopen needs a path: the memfd holding the extension's bytes.
        in_memory = _bootstrap.ModuleSpec(spec.name, self, origin=_pyfreeze.extension_path(name))
        # Mapped (and its descriptor closed) before its init runs, with the app's flags.
        _pyfreeze.map_extension(name)
        try:
            return _bootstrap._call_with_frames_removed(_imp.create_dynamic, in_memory)
        finally:
            # Mapped by now (or not at all): the memfd's descriptor is closed.
            _pyfreeze.extension_loaded(name)

    def exec_module(self, module):
        spec = module.__spec__
        name, bits = self._lookup(spec.name)
        if bits & EXTENSION:
            _bootstrap._call_with_frames_removed(_imp.exec_dynamic, module)
            # create_dynamic named the memfd; the module's file is its place in the bundle.
            module.__file__ = spec.origin
            return
        code = self._code(name, bits)
        _bootstrap._call_with_frames_removed(exec, code, module.__dict__)
        adapter = _ADAPTERS.get(spec.name)
        if adapter is not None:
            part, adapt = adapter
            getattr(_bootstrap._gcd_import(part), adapt)(module)

    def get_filename(self, fullname):
        return self._filename(*self._lookup(fullname))

    def get_code(self, fullname):
        name, bits = self._lookup(fullname)
        return None if bits & EXTENSION else self._code(name, bits)

    def _code(self, name, bits):
        code = _pyfreeze.get_code(name)
        # Compiled with its path inside the bundle; make it match __file__ here. This
        # runtime's own modules keep importlib's file name (see the docstring).
        if code.co_filename != _pyfreeze.BOOT_FILENAME:
            _imp._fix_co_filename(code, self._filename(name, bits))
        return code

    def get_source(self, fullname):
        name, bits = self._lookup(fullname)
        if not bits & HAS_SOURCE:
            return None
        return _bootstrap_external.decode_source(_pyfreeze.get_source(name))

    def is_package(self, fullname):
        return bool(self._lookup(fullname)[1] & PACKAGE)

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
        name, bits = self._lookup(fullname)
        if not bits & PACKAGE:
            return None
        import _pyfreeze_resources

        return _pyfreeze_resources.reader(self.root, name)

    def find_distributions(self, context=None):
        """``importlib.metadata``: the bundled distributions, from their *.dist-info."""
        import _pyfreeze_resources

        return _pyfreeze_resources.distributions(self.root, context)


class _Renamed(BundleImporter):
    """The loader of a bundled module imported under another name, found through a
    package's ``__path__`` that leads to another package's directory: like CPython's file
    loaders, made for one module, which it serves under the name it is imported as."""

    def __init__(self, root, fullname, name):
        super().__init__(root)
        self._renamed[fullname] = name

    def __repr__(self):
        ((fullname, name),) = self._renamed.items()
        return f"<pyfreeze.BundleImporter {self.root!r}, {name} as {fullname}>"


class _PackageDirectory:
    """The path-entry finder of one of the bundle's directories in a ``__path__`` that
    PathFinder searches (see BundleImporter), and for
    ``pkgutil.iter_modules(package.__path__)`` and ``walk_packages``, which list its
    modules."""

    def __init__(self, importer, entry, directory):
        self._importer = importer
        self._entry = entry
        self._directory = directory

    def find_spec(self, fullname, target=None):
        return self._importer.find_in(fullname, self._directory, self._entry)

    def iter_modules(self, prefix=""):
        inside = self._directory + "." if self._directory else ""
        for module in _pyfreeze.list_modules(inside):
            bits = _pyfreeze.find(module)
            # pkgutil lists no directory without __init__.py, so no namespace package.
            if not bits & NAMESPACE:
                yield prefix + module.rpartition(".")[2], bool(bits & PACKAGE)

    def invalidate_caches(self):
        pass


class _LeftOut:
    """Last on ``sys.meta_path``, so asked only about names no other finder has: for a
    module the build left out on purpose (or one inside it), the import fails with the
    build option that brings it back instead of a bare "No module named". Only an import
    fails so: importlib.util.find_spec() asks to learn whether a module is there (an
    optional dependency's `find_spec("numpy") is not None`), and gets None as from
    CPython without it."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        # Called by importlib._bootstrap._find_spec, itself called by the import
        # statement's _find_and_load_unlocked or by importlib.util.find_spec.
        if sys._getframe(2).f_code.co_name != "_find_and_load_unlocked":
            return
        name = fullname
        while name:
            why = _pyfreeze.left_out(name)
            if why is not None:
                raise ModuleNotFoundError(
                    f"No module named {fullname!r} in this bundle: {why}", name=fullname
                )
            name = name.rpartition(".")[0]


def _path_hook(importer):
    def bundle_directory(path):
        directory = importer.directory_name(path)
        if directory is None:
            raise ImportError("not a directory of this bundle", path=path)
        return _PackageDirectory(importer, path, directory)

    return bundle_directory


def module_at(relative):
    """(name, bits) of the bundled module whose file is at ``relative`` in the bundle's
    tree, or None."""
    for suffix, kind in (
        ("/__init__.py", PACKAGE),
        ("/__init__" + EXTENSION_SUFFIX, PACKAGE | EXTENSION),
        (".py", 0),
        (EXTENSION_SUFFIX, EXTENSION),
    ):
        if relative.endswith(suffix):
            name = relative[: -len(suffix)].replace("/", ".")
            bits = _pyfreeze.find(name)
            # A namespace package has no __init__.py.
            if bits and bits & (PACKAGE | EXTENSION | NAMESPACE) == kind:
                return name, bits
            return None
    return None


# Run after these modules execute, to make them aware of the bundle: (the module of this
# runtime that holds the adapter, imported then; the adapter's name there).
_ADAPTERS = {
    "ctypes": ("_pyfreeze_ctypes", "adapt_ctypes"),
    "ctypes.util": ("_pyfreeze_ctypes", "adapt_ctypes_util"),
    "linecache": ("_pyfreeze_hooks", "adapt_linecache"),
    "multiprocessing.spawn": ("_pyfreeze_mp", "adapt_spawn"),
}
if sys.version_info < (3, 13):
    _ADAPTERS["threading"] = ("_pyfreeze_hooks", "adapt_threading")
if sys.version_info[:2] == (3, 9):
    _ADAPTERS["importlib._common"] = ("_pyfreeze_resources", "adapt_common")
elif sys.version_info[:2] == (3, 10):
    _ADAPTERS["importlib._common"] = ("_pyfreeze_resources", "adapt_as_file")
elif sys.version_info >= (3, 11):
    _ADAPTERS["importlib.resources._common"] = ("_pyfreeze_resources", "adapt_as_file")
if sys.version_info >= (3, 10):
    _ADAPTERS["importlib.readers"] = ("_pyfreeze_resources", "adapt_readers")


def _serve_file_loaders(importer):
    """Has CPython's file loaders serve the resources and data of the bundle's paths, as
    its importer does: native code that makes the specs of bundled extension modules
    itself (mypyc's groups, whose ``chardet.models`` package is an extension module with
    data beside it) gives them an ``ExtensionFileLoader`` of the virtual path, whose own
    reader would open files through the executable."""
    file_loader = _bootstrap_external.FileLoader
    reader_of = file_loader.get_resource_reader
    data_of = file_loader.get_data
    prefix = importer.root + "/"

    def get_resource_reader(self, name=None):
        if isinstance(self.path, str) and self.path.startswith(prefix):
            return importer.get_resource_reader(self.name if name is None else name)
        return reader_of(self) if name is None else reader_of(self, name)

    def get_data(self, path):
        if isinstance(path, str) and path.startswith(prefix):
            return importer.get_data(path)
        return data_of(self, path)

    file_loader.get_resource_reader = get_resource_reader
    file_loader.get_data = get_data


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
    import _pyfreeze_hooks

    sys.stderr.write(_pyfreeze_hooks.format_exception(exc_type, value, tb))


def _unraisable_hook(c_hook):
    """sys.unraisablehook, whose C version prints the traceback of the exception it
    reports (raised in ``__del__``, an atexit callback, ...) with the C traceback printer
    (see _print_exception): a hook printing what it prints with the traceback module."""

    def unraisablehook(unraisable):
        file = sys.stderr
        if file is None:
            return
        try:
            import _pyfreeze_hooks

            text = _pyfreeze_hooks.format_unraisable(unraisable)
        except Exception:  # noqa: BLE001
            # Late in the interpreter's shutdown nothing can be imported any more.
            return c_hook(unraisable)
        file.write(text)
        file.flush()

    return unraisablehook


def _multiprocessing_helper(args):
    """The multiprocessing helper process the command-line arguments ``args`` start, as a
    callable, or None: then they are the app's own. Only arguments that may be one of
    those multiprocessing writes (see _pyfreeze_mp) cost reading them."""
    if args[:1] != ["--multiprocessing-fork"] and args[-2:-1] != ["-c"]:
        return None
    import _pyfreeze_mp

    return _pyfreeze_mp.helper(args)


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
    sys.meta_path.append(_LeftOut)
    sys.path_hooks.insert(0, _path_hook(importer))
    _serve_file_loaders(importer)
    _adopt_frozen_modules(importer)
    _apply_python_options()
    if sys.version_info < (3, 13):
        # Also the "original" hook, so code that restores sys.__excepthook__ keeps lines.
        sys.excepthook = sys.__excepthook__ = _print_exception
    sys.unraisablehook = sys.__unraisablehook__ = _unraisable_hook(sys.__unraisablehook__)

    helper = _multiprocessing_helper(sys.argv[1:])
    if helper is not None:
        # __main__ stays as bare as python -c leaves it: a spawned child re-runs the
        # script in a module of its own (see _pyfreeze_mp.adapt_spawn).
        return helper

    if _pyfreeze.find(CHECK_PROBE):
        # Only a `pyfreeze check` build holds it: it reports sys.modules at exit.
        _bootstrap._gcd_import(CHECK_PROBE)

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
