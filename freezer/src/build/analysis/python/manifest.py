# The answer: what the closure holds, as the freezer's manifest (see protocol.rs), with
# which modules CPython needs while it starts, which the app may never import, and the
# files that are not code.

import importlib.util
import os
import platform
import sys
import sysconfig

from .closure import (
    CODE_SUFFIXES,
    ROOT_ENTRY,
    ROOT_INCLUDE,
    ROOT_RUNPY,
    ROOT_RUNTIME,
    ROOT_STARTUP,
    distribution_infos,
    distribution_key,
    distribution_tops,
    in_stdlib,
)
from .protocol import Failure
from .tables import BOOTSTRAP_ROOTS, BYTES_CODECS


def python_info():
    libpython = None
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        libdir = sysconfig.get_config_var("LIBDIR") or ""
        for var in ("INSTSONAME", "LDLIBRARY"):
            soname = sysconfig.get_config_var(var)
            if libdir and soname and os.path.isfile(os.path.join(libdir, soname)):
                libpython = os.path.join(libdir, soname)
                break
    return {
        "version": platform.python_version(),
        "major": sys.version_info[0],
        "minor": sys.version_info[1],
        "magic": list(importlib.util.MAGIC_NUMBER),
        "libpython": libpython,
    }


# The codecs CPython imports while it starts in a UTF-8, ASCII (the C locale) or Latin-1
# locale, always in the frozen table; the stub (runtime-stub/src/locale.rs) maps the
# locale's codeset to these names to tell whether it needs the other ones.
STARTUP_CODECS = ("utf_8", "ascii", "latin_1")


def bootstrap_names(analysis, names):
    """The modules CPython imports before the stub's finder exists, as (hot, codecs): hot,
    for every start, the boot modules, the bootstrap roots, `encodings` with its aliases
    and STARTUP_CODECS, and what these import while being imported; codecs, only in a
    locale whose encoding is another one, the other text codecs that need nothing but
    hot or built-in modules (those that import an extension module, as the CJK ones do,
    cannot start CPython from the table anyway)."""
    root = BOOTSTRAP_ROOTS[0]
    seeds = [*analysis.boot_names, *BOOTSTRAP_ROOTS, root + ".aliases"]
    seeds += [root + "." + codec for codec in STARTUP_CODECS]
    boot = closure(names, [n for n in seeds if n in names], analysis.eager_edges)
    # What CPython has frozen itself (codecs, io, abc... from 3.11 on, deep-frozen in
    # 3.11 and 3.12) it finds without unmarshalling anything; a table entry would shadow it.
    # Not under `-X frozen_modules=off`, which leaves only the import system's.
    hot = {n for n in boot if n in analysis.boot_names or not analysis.is_frozen(n)}
    text_codecs = {
        n
        for n in names - boot
        if n.startswith(root + ".") and n[len(root) + 1 :] not in BYTES_CODECS
    }
    codecs = {n for n in text_codecs if closure(names, [n], analysis.eager_edges) - {n} <= boot}
    return hot, codecs


def cold_names(analysis, names, roots):
    """The modules of `names` that no import that may run while the app starts
    reaches from `roots`: only a function of a dependency imports them (os.popen's
    subprocess, the codecs' extension modules...), or they are hidden imports. They
    are stored compressed, which costs only if they are ever imported."""
    return names - closure(names, roots, analysis.start_edges)


def is_utf8(path):
    """Whether `path` (as os functions give it: undecodable bytes as surrogates) is UTF-8,
    as every name of a bundle and every path of the answer must be."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def escaped(path):
    """`path` printable: the bytes that are not UTF-8 as \\xNN."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def data_files(analysis, names, not_utf8):
    """Files of the bundle's tree that are not code, as (path inside the bundle, file):
    the *.dist-info of every distribution that provides a bundled top-level name
    (importlib.metadata needs them whatever the code asks for) or whose metadata code
    reads by name (`importlib.metadata.version("pip")`), and the data files of
    every bundled package."""
    files = {}
    tops = {name.partition(".")[0] for name in names}
    for item, info in distribution_infos(analysis.search_path):
        named = distribution_key(item.partition("-")[0]) in analysis.metadata_read
        if named or distribution_tops(analysis.observations, info) & tops:
            for path, rel in walk_files(info, lambda d: True, not_utf8):
                if is_utf8(path):
                    files.setdefault(item + "/" + rel, path)
                else:
                    not_utf8.add(path)
    for name in sorted(names):
        module = analysis.reached[name]
        origin = module.origin or ""
        if module.kind == "namespace":
            # importlib.resources merges the files of all its portions.
            package_dirs = module.locations
        elif module.is_package and os.path.basename(origin).startswith("__init__."):
            package_dirs = [os.path.dirname(origin)]
        else:
            continue
        prefix = name.replace(".", "/") + "/"

        def is_data_dir(directory):
            # A subpackage's files are its own, collected if it is bundled.
            return not os.path.isfile(os.path.join(directory, "__init__.py"))

        for package_dir in package_dirs:
            for path, rel in walk_files(package_dir, is_data_dir, not_utf8):
                if rel.endswith(CODE_SUFFIXES):
                    continue
                if is_utf8(path):
                    files.setdefault(prefix + rel, path)
                else:
                    not_utf8.add(path)
    return [{"name": name, "origin": files[name]} for name in sorted(files)]


# Files of a package that are not data its code opens by path: typing stubs and their
# marker, Cython and C sources and headers (what builds against the package reads them).
NOT_DATA_SUFFIXES = (".pyi", ".pyx", ".pxd", ".pxi", ".h", ".hpp", ".c", ".cpp")
NOT_DATA_NAMES = ("py.typed",)
# What file_use says of code it has not read (extension modules, namespace packages).
NO_FILE_USE = (False, False, (), ())


def data_paths(data, packages):
    """The paths in the bundle's tree of the packages' real data: every data file that is
    not metadata (a *.dist-info anywhere: vendored ones too), hidden (setuptools'
    _vendor/.lock) or listed above, and every directory that holds one but is not one of
    the bundled `packages` (names), whose directory's name is its import's (numpy's
    "_core") rather than a path to open."""
    package_dirs = {name.replace(".", "/") for name in packages}
    paths = set()
    for item in data:
        parts = item["name"].split("/")
        if any(part.endswith(".dist-info") for part in parts):
            continue
        name = parts[-1]
        if name.startswith(".") or name in NOT_DATA_NAMES or name.endswith(NOT_DATA_SUFFIXES):
            continue
        paths.add(item["name"])
        for n in range(1, len(parts)):
            directory = "/".join(parts[:n])
            if directory not in package_dirs:
                paths.add(directory)
    return paths


def data_holders(paths):
    """Every directory of the bundle's tree that holds real data (see data_paths), at any
    depth, packages' directories included."""
    holders = set()
    for path in paths:
        while "/" in path:
            path = path.rpartition("/")[0]
            holders.add(path)
    return holders


def own_package(analysis, name):
    """The package whose directory holds module `name`'s file ("" for a top-level
    module)."""
    return name if analysis.reached[name].is_package else name.rpartition(".")[0]


def builds_path_to_data(analysis, name, file_use, holders):
    """Whether module `name` builds a path from __file__ (see scan.file_use) where data
    may lie: in its package's directory or below, if that holds data (pandas.util finding
    its own frames opens nothing), or in a top-level module's directory, which the
    freezer judges (the app's directory holds the app's files)."""
    package = own_package(analysis, name)
    return file_use[1] and (not package or package.replace(".", "/") in holders)


def named_data(base, constant, paths):
    """The data that `constant`, a relative path, names below the package directory
    `base` (a path in the bundle's tree), as (the package directory it starts from, the
    data file or directory), or None. A leading ".." climbs to a parent package, never
    above the top-level one; the longest leading part of the constant that is data
    counts, as code joins a directory's name and lists it (babel's "locale-data"), or
    names a file inside it ("templates/page.html")."""
    parts = [p for p in constant.split("/") if p not in ("", ".")]
    while parts and parts[0] == "..":
        parts.pop(0)
        base = base.rpartition("/")[0]
    if not base or not parts or ".." in parts:
        return None
    for n in range(len(parts), 0, -1):
        path = base + "/" + "/".join(parts[:n])
        if path in paths:
            return base, path
    return None


def file_evidence(analysis, name, file_use, paths):
    """What shows that module `name` opens a package's files by path: each of its
    constants that names real data of its own package when it reads __file__, or of a
    package it gives jinja2's PackageLoader by name (with that loader's default
    "templates"), as {"constant", "data", "package" (whose directory the path starts
    from), "via"}."""
    reads, _, constants, loaders = file_use
    bases = []
    if reads:
        package = own_package(analysis, name)
        bases.append((package, constants, "file"))
        # os.path.join(dirname(__file__), "..", "shared") climbs with a constant of its own.
        if ".." in constants and "." in package:
            bases.append((package.rpartition(".")[0], constants, "file"))
    for package in loaders:
        target = analysis.reached.get(package)
        if target is not None and target.is_package:
            bases.append((package, constants + ("templates",), "package_loader"))
    evidence = {}
    for package, candidates, via in bases:
        for constant in candidates:
            named = named_data(package.replace(".", "/"), constant, paths)
            if named is not None and (constant, named[1]) not in evidence:
                evidence[constant, named[1]] = {
                    "constant": constant,
                    "data": named[1],
                    "package": named[0].replace("/", "."),
                    "via": via,
                }
    return [evidence[key] for key in sorted(evidence)]


def app_data_files(analysis, not_utf8):
    """Every file of the app's directory that CPython could read, as (path inside the
    bundle, file), sorted; bundled only when the build is asked to put the app directory
    on disk. Code may open, run (runpy.run_path) or load (spec_from_file_location) any
    of them next to ``__file__``, so sources, modules nothing imports and packages'
    files are here too. What is left out, here and nowhere else (the README says the
    same):

    * hidden entries, a name starting with "." (.git, .env, editor files);
    * virtualenvs, a directory holding pyvenv.cfg: what the app imports of them is
      bundled as modules;
    * the build's output directory and build cache (``analysis.skip_dirs``);
    * ``__pycache__``, CPython's cache of compiled modules;
    * a name that is not UTF-8 (with what it holds), added to the set `not_utf8`.

    Links are followed, as open() follows them, except a link to a directory the walk
    is already inside, which would never end; what is not a file once followed (a
    dangling link, a socket, a FIFO, whose read would block) cannot be read as one."""

    def keep_dir(directory):
        name = os.path.basename(directory)
        return not (
            name.startswith(".")
            or name == "__pycache__"
            or directory in analysis.skip_dirs
            or os.path.exists(os.path.join(directory, "pyvenv.cfg"))
        )

    files = []
    # The real directories from the app directory down to each directory to walk.
    chains = {analysis.app_dir: ()}
    for dirpath, dirnames, filenames in os.walk(analysis.app_dir, followlinks=True):
        chain = chains.pop(dirpath) + (os.path.realpath(dirpath),)
        kept = []
        for d in sorted(dirnames):
            sub = os.path.join(dirpath, d)
            if keep_dir(sub) and os.path.realpath(sub) not in chain:
                if not is_utf8(sub):
                    not_utf8.add(sub)
                    continue
                chains[sub] = chain
                kept.append(d)
        dirnames[:] = kept
        for filename in filenames:
            path = os.path.join(dirpath, filename)
            if not filename.startswith(".") and os.path.isfile(path):
                if not is_utf8(path):
                    not_utf8.add(path)
                    continue
                rel = os.path.relpath(path, analysis.app_dir).replace(os.sep, "/")
                files.append({"name": rel, "origin": path})
    return sorted(files, key=lambda f: f["name"])


def manifest(analysis):
    """The manifest and the blobs it points into; the app's own first error instead."""
    if analysis.app_errors:
        raise Failure("syntax", **min(analysis.app_errors, key=lambda e: e["module"]))
    blobs = []
    size = 0

    def blob(data):
        nonlocal size
        blobs.append(data)
        ref = {"offset": size, "len": len(data)}
        size += len(data)
        return ref

    # A bundle's names are UTF-8, as are the answer's paths: a module or file under
    # another name is left out, and named in "not_utf8". No import statement can name such
    # a module (pkgutil.iter_modules lists it for --include); the app directory's files
    # are left out only when it is put on disk whole (app_not_utf8).
    not_utf8, app_not_utf8 = set(), set()
    for name, module in analysis.reached.items():
        if not (is_utf8(name) and is_utf8(module.origin or "")):
            not_utf8.add(module.origin or name)
    errors = [e for e in analysis.errors if is_utf8(e["module"]) and is_utf8(e["file"])]
    failed = {e["module"] for e in analysis.errors}
    names = {
        n
        for n, module in analysis.reached.items()
        if n not in failed and is_utf8(n) and is_utf8(module.origin or "")
    }
    boot, locale_codecs = bootstrap_names(analysis, names)
    cold = cold_names(
        analysis,
        names,
        [*analysis.extra_names, *BOOTSTRAP_ROOTS, *analysis.main_names, *analysis.start_roots],
    )
    data = data_files(analysis, names, not_utf8)
    paths = data_paths(data, [n for n in names if analysis.reached[n].is_package])
    holders = data_holders(paths)
    modules = []
    brought_by = parents(analysis, names)
    for name in sorted(names):
        module = analysis.reached[name]
        file_use = analysis.file_use.get(name, NO_FILE_USE)
        code = source = None
        if module.kind == "python":
            code_bytes, source_bytes = analysis.compiled[name]
            code = blob(code_bytes)
            if source_bytes is not None:
                source = blob(source_bytes)
        modules.append(
            {
                "name": name,
                "kind": module.kind,
                "is_package": module.is_package,
                # Extensions cannot go into the frozen table.
                "bootstrap": module.kind == "python" and name in boot,
                "locale_codec": module.kind == "python" and name in locale_codecs,
                "cold": name in cold,
                "origin": module.origin,
                "code": code,
                "source": source,
                "builds_path_from_file": builds_path_to_data(analysis, name, file_use, holders),
                "file_evidence": file_evidence(analysis, name, file_use, paths),
                "native_importers": sorted(analysis.native.importers.get(name, ())),
                "stdlib": in_stdlib(module.origin),
                "brought_by": brought_by.get(name),
            }
        )
    manifest = {
        "python": python_info(),
        "modules": modules,
        "data": data,
        "app_data": app_data_files(analysis, app_not_utf8),
        "missing": [
            {
                "name": name,
                "imported_by": sorted(analysis.missing[name]),
                "places": {
                    importer: f"{place(analysis, importer)}:{line}"
                    for importer, line in sorted(analysis.missing_at.get(name, {}).items())
                },
            }
            for name in sorted(analysis.missing)
        ],
        "errors": sorted(errors, key=lambda e: e["module"]),
        "left_out": left_out(analysis),
        "native_import_failures": [
            {"module": name, "reason": reason}
            for name, reason in sorted(analysis.native.failures.items())
            if name in names
        ],
    }
    manifest["not_utf8"] = sorted(
        [{"path": escaped(p), "app_dir_only": False} for p in not_utf8]
        + [{"path": escaped(p), "app_dir_only": True} for p in app_not_utf8 - not_utf8],
        key=lambda f: f["path"],
    )
    code_cache = analysis.code_cache
    manifest["code_cache"] = (
        None if code_cache is None else {"cached": code_cache.hits, "compiled": code_cache.compiled}
    )
    # Last: making the rest of the manifest looks at the file system too.
    manifest["deps"] = analysis.observations.answer()
    return manifest, blobs


def place(analysis, name):
    """The file of module `name` as the bundle names it (`json/__init__.py`, `main.py`)."""
    return analysis.reached[name].bundle_path


def parents(analysis, names):
    """What brought each module of `names` into the bundle, for `pyfreeze why`: the
    importer through which the fewest imports reach it from what the closure started
    with, as {"by", "file", "line", "via"} (the line of the importer's file, else how it
    imports it), or {"root": why it was added} for a start itself. The entry point and
    --include are started from first, so that what the app imports is told through the
    app even where the runtime or CPython's start-up imports it too; what only a rule
    added (a package bundled whole, a built-in's hidden imports) last."""
    edges = {}
    for (importer, name), how in sorted(analysis.edges.items(), key=lambda e: str(e[0])):
        if importer in names and name in names and importer != name:
            edges.setdefault(importer, []).append((name, how))
    first = (ROOT_ENTRY, ROOT_RUNPY, ROOT_INCLUDE)
    then = (ROOT_RUNTIME, ROOT_STARTUP)
    found = {}
    for reasons in (first, then, None):
        frontier = sorted(
            name
            for name, reason in analysis.roots.items()
            if name in names
            and name not in found
            and (reason in reasons if reasons else reason not in first + then)
        )
        for name in frontier:
            found[name] = {"root": analysis.roots[name]}
        while frontier:
            following = []
            for importer in frontier:
                for name, how in edges.get(importer, ()):
                    if name in found:
                        continue
                    line = how if isinstance(how, int) else None
                    found[name] = {
                        "by": importer,
                        "file": place(analysis, importer) if line is not None else None,
                        "line": line,
                        "via": how if isinstance(how, str) else None,
                    }
                    following.append(name)
            frontier = following
    return found


def left_out(analysis):
    """What the closure left out on purpose (see protocol.rs' LeftOut), unless it was
    reached another way (the app imports it itself)."""
    found = {}
    for name, importers in analysis.left_out.items():
        found[name] = {"imported_by": sorted(importers), "rule": "standard_library"}
    for key, (tops, importers) in analysis.optional.items():
        distribution = analysis.installed().name(key)
        for name in tops:
            found.setdefault(
                name,
                {
                    "imported_by": sorted(importers),
                    "rule": "optional",
                    "distribution": distribution,
                },
            )
    for name, (importer, instead_of) in analysis.fallbacks.items():
        found.setdefault(
            name, {"imported_by": [importer], "rule": "fallback", "instead_of": list(instead_of)}
        )
    return [dict(found[name], name=name) for name in sorted(found) if name not in analysis.reached]


def closure(names, seeds, edges):
    """The modules of `names` that `seeds` reach through `edges` (importer -> imported
    names) and the parent packages of what they reach."""
    reached = set()
    stack = list(seeds)
    while stack:
        name = stack.pop()
        if name in reached or name not in names:
            continue
        reached.add(name)
        stack.extend(edges.get(name, ()))
        parent = name.rpartition(".")[0]
        if parent:
            stack.append(parent)
    return reached


def walk_files(top, keep_dir, not_utf8):
    """(path, path relative to `top` with '/') of the files below `top`, sorted, entering
    only the directories `keep_dir(path)` accepts. A directory whose name is not UTF-8 is
    not entered but added to the set `not_utf8`; such files are the caller's to check."""
    for dirpath, dirnames, filenames in os.walk(top):
        kept = []
        for d in sorted(dirnames):
            sub = os.path.join(dirpath, d)
            if d == "__pycache__" or not keep_dir(sub):
                continue
            if is_utf8(sub):
                kept.append(d)
            else:
                not_utf8.add(sub)
        dirnames[:] = kept
        for filename in sorted(filenames):
            path = os.path.join(dirpath, filename)
            yield path, os.path.relpath(path, top).replace(os.sep, "/")
