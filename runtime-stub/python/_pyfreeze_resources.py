"""The bundle's files as ``importlib.resources`` and ``importlib.metadata`` see them.

Imported by the finder (_pyfreeze_boot) when an app first asks for a package's resources
or for distributions, and by the adapters of importlib's resource modules.
"""

import _io
import sys

import _pyfreeze
import _pyfreeze_boot as _boot
from _pyfreeze import EXTENSION, HAS_SOURCE, NAMESPACE, PACKAGE


def reader(root, package):
    """The resource reader of the bundled package ``package``: of real files if the build
    put it on disk, else of the bundle's tree below ``root``."""
    relative = package.replace(".", "/")
    if _pyfreeze.disk_dir is not None and _pyfreeze.on_disk(relative + "/__init__.py"):
        return _DiskResourceReader(_pyfreeze.disk_dir + "/" + relative)
    return _ResourceReader(_BundlePath(root, relative))


def distributions(root, context):
    """The bundled distributions, from their *.dist-info, that ``context`` (of
    ``importlib.metadata``) asks for."""
    name = getattr(context, "name", None)
    wanted = None if name is None else _normalize(name)
    found = []
    for entry in _pyfreeze.list_data(""):
        if not entry.endswith(".dist-info/"):
            continue
        info = entry[:-1]
        project = info[: -len(".dist-info")].rpartition("-")[0]
        if wanted is None or _normalize(project) == wanted:
            found.append(_distribution_type()(root, info))
    return iter(found)


def _normalize(name):
    """A project name as PEP 503 compares them, without importing re."""
    name = name.lower().replace("_", "-").replace(".", "-")
    while "--" in name:
        name = name.replace("--", "-")
    return name


class _BundlePath:
    """A directory or file of the bundle's tree, as ``importlib.resources.files()``
    hands them out (a Traversable). Nothing exists at its path on disk; ``as_file()``
    gives a copy in the per-user cache when a real path is asked for (see _AsFile)."""

    def __init__(self, root, relative):
        self._root = root
        self._relative = relative

    def __repr__(self):
        return f"<BundlePath {self._relative!r}>"

    def __str__(self):
        return self._root + "/" + self._relative

    @property
    def name(self):
        return self._relative.rpartition("/")[2]

    def _package(self):
        """The bundled package this directory is, or None."""
        name = self._relative.replace("/", ".")
        return name if _pyfreeze.find(name) & PACKAGE else None

    def iterdir(self):
        package = self._package()
        children = set()
        if package is not None:
            bits = _pyfreeze.find(package)
            if bits & EXTENSION:
                children.add("__init__" + _boot.EXTENSION_SUFFIX)
            elif not bits & NAMESPACE:
                children.add("__init__.py")
            for module in _pyfreeze.list_modules(package + "."):
                bits = _pyfreeze.find(module)
                leaf = module.rpartition(".")[2]
                if bits & PACKAGE:
                    children.add(leaf + "/")
                elif bits & EXTENSION:
                    children.add(leaf + _boot.EXTENSION_SUFFIX)
                else:
                    children.add(leaf + ".py")
        children.update(_pyfreeze.list_data(self._relative + "/"))
        for child in sorted(children):
            yield _BundlePath(self._root, self._relative + "/" + child.rstrip("/"))

    def is_dir(self):
        return self._package() is not None or bool(_pyfreeze.list_data(self._relative + "/"))

    def is_file(self):
        return (
            _boot.module_at(self._relative) is not None
            or _pyfreeze.get_data(self._relative) is not None
        )

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
            module = _boot.module_at(self._relative)
            if module is not None and module[1] & HAS_SOURCE:
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
        # importlib.resources.path() of 3.8 to 3.10 asks this first: the same copy as
        # as_file() gives, not a temporary file.
        return _cached_copy(self._package.joinpath(resource))

    def is_resource(self, name):
        return self._package.joinpath(name).is_file()

    def contents(self):
        return iter(child.name for child in self._package.iterdir())


class _AsFile:
    """What ``importlib.resources.as_file()`` returns for a path of the bundle: a context
    manager giving a copy of it in the per-user cache, at
    ``<cache>/pyfreeze/<SHA-256 of its name and contents>/<its name>``, written once and
    reused by later calls and runs while intact (``_pyfreeze.as_file``), never a
    temporary file: ``certifi.where()`` and the like keep their path for the whole run
    and leave nothing behind. As CPython's, it does its work on entering."""

    def __init__(self, path):
        self._path = path

    def __enter__(self):
        import pathlib

        return pathlib.Path(_cached_copy(self._path))

    def __exit__(self, *exc_info):
        return None


def _cached_copy(path):
    """The path of the copy of ``path`` (a _BundlePath) in the cache: of its bytes, or
    from 3.12, as ``as_file()`` takes directories, of the tree below it."""
    if sys.version_info >= (3, 12) and path.is_dir():
        items = []
        _add_tree(path, path.name, items)
    else:
        items = [path.name, path.read_bytes()]
    return _pyfreeze.as_file(items) + "/" + path.name


def _add_tree(directory, relative, items):
    items += [relative, None]
    for child in directory.iterdir():
        inside = relative + "/" + child.name
        if child.is_dir():
            _add_tree(child, inside, items)
            continue
        try:
            data = child.read_bytes()
        except FileNotFoundError:
            # An extension module, or a module bundled without its source: the bundle
            # holds no bytes to copy. A tree of data files is what apps ask for.
            continue
        items += [inside, data]


def adapt_as_file(common):
    """``as_file()`` (importlib's ``_common``: 3.9 and 3.10 ``importlib._common``, from
    3.11 ``importlib.resources._common``) dispatches on the type of the path: give the
    bundle's paths their cached copies."""
    common.as_file.register(_BundlePath, _AsFile)


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
    """The Distribution class for bundled *.dist-info, made on first use: an app that
    asks for resources only does not import importlib.metadata."""
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

            @property
            def _normalized_name(self):
                # From the directory's name, as CPython's PathDistribution takes it:
                # entry_points() (3.10+) tells distributions apart by it, and reading
                # METADATA instead would parse every one with the email package.
                stem = self._info.rpartition("/")[2][: -len(".dist-info")]
                return _normalize(stem.partition("-")[0]).replace("-", "_")

        _distribution = BundleDistribution
    return _distribution


def adapt_common(common):
    """On 3.9 ``importlib.resources.files()`` asks no loader: it takes the directory of
    ``__spec__.origin``, which for a bundled package is not on disk. Ask ours, or the
    file loader native code gave a bundled package (see _boot._serve_file_loaders)."""
    from_package = common.from_package
    prefix = _pyfreeze.executable + "/"

    def from_bundle_or_package(package):
        spec = package.__spec__
        if isinstance(spec.loader, _boot.BundleImporter) or (
            isinstance(spec.loader, _boot._bootstrap_external.FileLoader)
            and (spec.origin or "").startswith(prefix)
        ):
            return spec.loader.get_resource_reader(spec.name).files()
        return from_package(package)

    common.from_package = from_bundle_or_package
    adapt_as_file(common)


def adapt_readers(readers):
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
