# pyfreeze analysis: run by the *target* interpreter as `python -I -c <this text>` with a
# JSON request on stdin, so that module resolution, syntax and bytecode are exactly that
# interpreter's. Nothing of the app is imported: modules are found with PathFinder and
# their imports read from the compiled code.
#
# Answer on stdout: 8-byte little-endian length N, N bytes of JSON manifest, then a blob
# region that the manifest's [offset, len] pairs point into.
#
# With the build cache (request["cache"]), compiled modules are looked up in and added to
# its code entries, and the manifest lists what the answer depends on ("deps"), so that
# the freezer can reuse the whole answer without running Python while none of it changes.
#
# Must run unchanged on CPython 3.8 to 3.13 with the standard library only, and must not
# depend on sys.argv or __file__ (it may be exec'd by a wrapper).

import sys

# Anything printed by code we run (a .pth-installed finder, a warning hook) would corrupt
# the binary answer; keep the real stdout for ourselves.
_OUT = sys.stdout.buffer
sys.stdout = sys.stderr

import binascii
import fnmatch
import hashlib
import importlib.machinery
import importlib.util
import io
import json
import _imp
import marshal
import opcode
import os
import pkgutil
import platform
import posix
import queue
import stat
import subprocess
import sysconfig
import threading
import time
import types

PathFinder = importlib.machinery.PathFinder
# What the import system makes a namespace package's __loader__ (public from 3.11 on).
NamespaceLoader = getattr(
    importlib.machinery, "NamespaceLoader", None
) or importlib._bootstrap_external._NamespaceLoader
ExtensionFileLoader = importlib.machinery.ExtensionFileLoader
SourcelessFileLoader = importlib.machinery.SourcelessFileLoader
MAGIC_NUMBER = importlib.util.MAGIC_NUMBER
SOURCE_SUFFIXES = tuple(importlib.machinery.SOURCE_SUFFIXES)
CodeType = types.CodeType

DYNAMIC_IMPORTERS = ("import_module", "__import__")
# Flag of code objects that run in their own frame (functions, lambdas, comprehensions):
# what they import is not imported when their module is.
CO_NEWLOCALS = 0x2

# Scanning reads the wordcode directly: dis.get_instructions costs more than compiling on
# module-level code, and only three kinds of instruction matter. Opcodes that a version
# lacks (or has only as a pseudo-instruction, >= 256) never match a code byte.
def _op(name):
    return opcode.opmap.get(name, -1)


IMPORT_NAME = _op("IMPORT_NAME")
LOAD_CONST = _op("LOAD_CONST")
EXTENDED_ARG = _op("EXTENDED_ARG")
# Never separate an import from its arguments: 3.11+ inline caches, line-number
# placeholders, and the NULL that 3.13 pushes after the callable.
SKIPPED_OPS = frozenset((_op("CACHE"), _op("NOP"), _op("PUSH_NULL")))
# Instructions loading a name that may be `import_module` / `__import__`, with how far
# their argument is shifted before it indexes co_names (3.11 and 3.12 use the low bit as
# a flag for LOAD_GLOBAL and LOAD_ATTR).
NAME_LOADS = {
    _op("LOAD_NAME"): 0,
    _op("LOAD_GLOBAL"): 1 if sys.version_info >= (3, 11) else 0,
    _op("LOAD_ATTR"): 1 if sys.version_info >= (3, 12) else 0,
    _op("LOAD_METHOD"): 0,
}
NAME_LOADS.pop(-1, None)
# `if __name__ == "__main__":` never runs in a module that is imported: what it imports is
# bundled (to be safe) but not needed at import time. Recognising it takes the compare
# and the conditional jump, whose encodings changed from version to version.
LOAD_NAME = _op("LOAD_NAME")
COMPARE_OP = _op("COMPARE_OP")
COMPARE_EQ = opcode.cmp_op.index("==")
COMPARE_SHIFT = {(3, 12): 4, (3, 13): 5}.get(sys.version_info[:2], 0)
JUMP_IF_FALSE = frozenset((_op("POP_JUMP_IF_FALSE"), _op("POP_JUMP_FORWARD_IF_FALSE")))
JUMP_ABSOLUTE_UNIT = 2 if sys.version_info >= (3, 10) else 1
# Relative jumps count from the end of the instruction and its inline caches (one for
# POP_JUMP_IF_FALSE on 3.13).
JUMP_RELATIVE_BASE = 4 if sys.version_info >= (3, 13) else 2

# Part of libpython itself (the import system), never found on sys.path.
PROVIDED_NAMES = frozenset(sys.builtin_module_names) | {
    "_frozen_importlib",
    "_frozen_importlib_external",
}
# Needed before the stub's finder is installed, with all they import.
# `warnings` too: CPython imports it while starting when warning options are set (-W,
# -b, -X dev), before the bundle's finder exists.
BOOTSTRAP_ROOTS = ("encodings", "codecs", "io", "abc", "warnings")
# The codecs of `encodings` that are not text encodings: CPython refuses them for the
# standard streams and the file system, so they are never imported while it starts.
BYTES_CODECS = (
    "base64_codec",
    "bz2_codec",
    "hex_codec",
    "quopri_codec",
    "rot_13",
    "uu_codec",
    "zlib_codec",
)
# Hidden imports of well-known packages: modules imported under a name computed at run
# time, which no bytecode shows, bundled whenever the module that imports them is (what
# PyInstaller's hooks call "hiddenimports"). A last part with `*` is a pattern matched
# against the package's submodules. A name that an installed version lacks is skipped
# without a word: the table covers every version.
HIDDEN_IMPORTS = {
    # Image.open() and save() of a format other than BMP, GIF, JPEG, PPM and PNG call
    # Image.init(), which imports every name of PIL._plugins.
    "PIL.Image": ("PIL.*ImagePlugin",),
    # ply imports the parser tables by name; without them it rebuilds them at every start
    # (seconds) and writes lextab.py and yacctab.py into the current directory. cffi
    # imports them itself, other users of pycparser 2.x do not.
    "pycparser.c_parser": ("pycparser.lextab", "pycparser.yacctab"),
    # `from pygments.lexers import PythonLexer`, get_lexer_by_name(), the formatters'
    # equivalents, and the style every formatter looks up by name ("default" unless told).
    "pygments.formatters": ("pygments.formatters.*",),
    "pygments.lexers": ("pygments.lexers.*",),
    "pygments.styles": ("pygments.styles.*",),
}
# Imports that well-known packages make only for an optional feature, not followed from
# the package's own modules (PyInstaller's "excludedimports"): an app that uses the
# feature imports the module itself, and it is bundled then.
IGNORED_IMPORTS = {
    # SpiderImagePlugin's tkPhotoImage() imports ImageTk, which would bring Tcl/Tk and X11.
    "PIL": ("tkinter",),
}
# Lazy imports (inside functions) of the standard library that run only for a caller that
# has imported the target itself: PathFinder.find_distributions() is called by
# importlib.metadata, FileLoader.get_resource_reader() by importlib.resources, and
# random imports statistics only in its self-test. An app that uses one imports it.
LAZY_FOR_THE_CALLER = {
    "importlib._bootstrap_external": ("importlib.metadata", "importlib.readers"),
    "random": ("statistics",),
}
# Lazy imports whose importer uses only parts of the target that import nothing lazily:
# tracebacks (3.11+) place their carets with ast.parse() and ast's node classes, and never
# reach ast.get_docstring() (inspect) or ast.main() (argparse). The target's own lazy
# imports are followed only if it is reached in another way too.
NARROW_LAZY_IMPORTS = {
    "traceback": ("ast",),
}
# Development tools that standard-library modules import only inside functions, for what
# a frozen app rarely does: the self-tests of pickle and many others import doctest,
# breakpoint() imports pdb, help() pydoc, the command-line mains of ast, calendar, dis,
# tarfile, tokenize, zipfile ... argparse. Such imports are not followed (Nuitka's
# "anti-bloat" does the same); an app that imports one of these itself, or --include,
# bundles it.
DEV_TOOLS = (
    "argparse",
    "bdb",
    "cProfile",
    "doctest",
    "ensurepip",
    "idlelib",
    "lib2to3",
    "optparse",
    "pdb",
    "profile",
    "pstats",
    "pydoc",
    "pydoc_data",
    "tkinter",
    "turtle",
    "turtledemo",
    "unittest",
    "venv",
)
STDLIB_DIRS = tuple(
    os.path.normpath(sysconfig.get_paths()[key]) + os.sep for key in ("stdlib", "platstdlib")
)
STANDARD_FINDERS = (
    PathFinder,
    importlib.machinery.BuiltinImporter,
    importlib.machinery.FrozenImporter,
)


# Compiling is most of the work, so worker interpreters do it in parallel. They also make
# the bytecode reproducible: before 3.11 marshal writes frozenset constants in hash order,
# which -I leaves randomised, and the workers run with PYTHONHASHSEED=0. What else
# marshal's output owes to the worker's history (which objects it flags as shared, by
# their reference counts) the freezer's `marshal` module takes out.
#
# Worker protocol, both ways: 8-byte little-endian length, then a marshalled value.
# Job: (source bytes, filename, optimize). Answer: (code bytes,) or (None, line, message).
MAX_WORKERS = 8
WORKER = r"""
import sys
# Before 3.11 nothing but -I keeps the current directory off sys.path.
sys.path[:] = [p for p in sys.path if p]
import marshal
import warnings

# SyntaxWarnings of dependencies (invalid escapes, `is` with a literal) are not the
# user's to fix, and running from a .pyc would not show them either.
warnings.simplefilter("ignore")
read = sys.stdin.buffer.read
out = sys.stdout.buffer


def compile_one(source, filename, optimize):
    try:
        code = compile(source, filename, "exec", dont_inherit=True, optimize=optimize)
        answer = (marshal.dumps(code),)
    except SyntaxError as e:
        answer = (None, e.lineno, e.msg)
    except (ValueError, RecursionError, MemoryError) as e:
        # ValueError: null bytes (before 3.12) or an undecodable source.
        answer = (None, None, str(e) or type(e).__name__)
    data = marshal.dumps(answer)
    out.write(len(data).to_bytes(8, "little"))
    out.write(data)
    out.flush()


while True:
    header = read(8)
    if len(header) < 8:
        break
    compile_one(*marshal.loads(read(int.from_bytes(header, "little"))))
"""


class Fatal(Exception):
    """A problem with the request that no manifest can describe."""


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


class Module:
    __slots__ = (
        "name",
        "kind",
        "is_package",
        "origin",
        "locations",
        "loader",
        "in_app",
        "source_text",
        "bundle_path",
        "lazy_imports",
        "narrow",
        "imports",
        "cache_key",
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
        self.bundle_path = (
            name.replace(".", "/") + ("/__init__.py" if is_package else ".py")
        )
        # The imports inside functions that count, when not all of them do (see run).
        self.lazy_imports = None
        # Reached only through NARROW_LAZY_IMPORTS: its own lazy imports wait.
        self.narrow = False
        # What follow_imports was given, to follow the lazy ones once it is not narrow.
        self.imports = None
        # Where its compiled form goes in the code cache, while it is being compiled.
        self.cache_key = None


def read_exactly(stream, size):
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the compiler process exited")
    return data


class Compilers:
    """The worker interpreters, each served by a thread of this process. They are started
    as jobs come, no more than are kept busy: with the code cache, a rebuild after an edit
    compiles one module, and starting an interpreter costs more than compiling it."""

    def __init__(self, optimize):
        if not sys.executable:
            raise Fatal("the interpreter cannot tell its own path (sys.executable is empty)")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        self.env["PYTHONHASHSEED"] = "0"
        try:
            cpus = len(os.sched_getaffinity(0))
        except AttributeError:
            cpus = os.cpu_count() or 1
        self.limit = max(1, min(cpus, MAX_WORKERS))
        self.optimize = optimize
        self.jobs = queue.Queue()
        self.answers = queue.Queue()
        self.pending = 0
        self.workers = []

    def start_worker(self):
        try:
            worker = subprocess.Popen(
                [sys.executable, "-s", "-S", "-c", WORKER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=self.env,
            )
        except OSError as e:
            raise Fatal("cannot start %s to compile modules: %s" % (sys.executable, e))
        self.workers.append(worker)
        threading.Thread(target=self.serve, args=(worker,), daemon=True).start()

    def submit(self, module, source):
        if self.pending >= len(self.workers) and len(self.workers) < self.limit:
            self.start_worker()
        job = marshal.dumps((source, module.bundle_path, self.optimize))
        self.jobs.put((module, job))
        self.pending += 1

    def answer(self):
        module, answer = self.answers.get()
        self.pending -= 1
        if isinstance(answer, Exception):
            raise Fatal(
                "a compiler process failed on module `%s` (%s): %r"
                % (module.name, module.origin or module.bundle_path, answer)
            )
        return module, answer

    def serve(self, worker):
        while True:
            job = self.jobs.get()
            if job is None:
                return
            module, data = job
            try:
                worker.stdin.write(len(data).to_bytes(8, "little"))
                worker.stdin.write(data)
                worker.stdin.flush()
                size = int.from_bytes(read_exactly(worker.stdout, 8), "little")
                answer = marshal.loads(read_exactly(worker.stdout, size))
            except Exception as e:
                self.answers.put((module, e))
                return
            self.answers.put((module, answer))

    def close(self):
        for _ in self.workers:
            self.jobs.put(None)
        for worker in self.workers:
            worker.stdin.close()
            worker.wait()
            worker.stdout.close()


# The entry format of freezer/src/cache.rs: magic, key, payload length, CRC-32, payload.
CACHE_MAGIC = b"pyfzc\0\0\x01"
CACHE_HEADER = 8 + 32 + 8 + 4


class CodeCache:
    """The code entries of the build cache: for a module's source, the file name it is
    compiled under and the optimisation level, with this interpreter (its version and
    build, as bytecode is theirs) and this script (which reads the imports), what the
    compiler answered, with the imports and the use of __file__ read from the code:
    (code bytes, imports, uses __file__), or (None, line, message) for an error.

    Creating a file costs more than compiling a small module on some file systems, and
    hundreds of standard library modules are compiled for even the smallest app, so the
    modules of each directory of the search path other than the app's (the standard
    library, a site-packages: shared by the apps built with this interpreter, seldom
    changed) are kept together in one entry, read once and written again only when it
    gains modules. The app's own modules, which change as it is worked on, have an entry
    each."""

    def __init__(self, directory, salt, optimize, app_dir, search_path):
        self.dir = directory
        self.app_dir = app_dir
        # Longest first: a virtualenv inside the app directory is not the app.
        self.roots = sorted(search_path, key=len, reverse=True)
        self.prefix = hashlib.sha256()
        for field in (salt, sys.version, MAGIC_NUMBER.hex(), str(optimize)):
            self.update(self.prefix, field.encode("utf-8"))
        self.packs = {}  # root -> {key: answer}, as read
        self.added = {}  # root -> {key: answer}, compiled here
        self.hits = 0
        self.compiled = 0

    @staticmethod
    def update(digest, data):
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)

    def key(self, filename, source):
        digest = self.prefix.copy()
        self.update(digest, filename.encode("utf-8", "surrogateescape"))
        self.update(digest, source)
        return digest.digest()

    def root(self, module):
        """The search path directory whose entry holds `module`, None for the app's."""
        origin = module.origin
        for root in self.roots if origin else ():
            if origin.startswith(root.rstrip("/") + "/"):
                return None if root == self.app_dir else root
        return None

    def pack_key(self, root):
        digest = self.prefix.copy()
        self.update(digest, b"modules below " + root.encode("utf-8", "surrogateescape"))
        return digest.digest()

    def pack(self, root):
        if root not in self.packs:
            pack = self.read(self.pack_key(root))
            self.packs[root] = pack if isinstance(pack, dict) else {}
        return self.packs[root]

    def get(self, module, key):
        root = self.root(module)
        answer = self.read(key) if root is None else self.pack(root).get(key)
        return answer if is_compiled_answer(answer) else None

    def put(self, module, key, answer):
        root = self.root(module)
        if root is None:
            self.write(key, answer)
        else:
            self.added.setdefault(root, {})[key] = answer

    def finish(self):
        """Stores the entries that gained modules, with what another build may have
        stored in them meanwhile."""
        for root, added in self.added.items():
            pack = self.read(self.pack_key(root))
            pack = pack if isinstance(pack, dict) else {}
            pack.update(added)
            self.write(self.pack_key(root), pack)

    def read(self, key):
        try:
            with open(os.path.join(self.dir, key.hex()), "rb") as f:
                entry = f.read()
        except OSError:
            return None
        payload = entry[CACHE_HEADER:]
        if (
            entry[:8] != CACHE_MAGIC
            or entry[8:40] != key
            or int.from_bytes(entry[40:48], "little") != len(payload)
            or int.from_bytes(entry[48:52], "little") != binascii.crc32(payload)
        ):
            return None
        try:
            return marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return None

    def write(self, key, value):
        """Stores an entry as the freezer does, through a temporary file renamed into
        place; a failure only costs the next build a compilation."""
        payload = marshal.dumps(value)
        header = len(payload).to_bytes(8, "little") + binascii.crc32(payload).to_bytes(4, "little")
        temp = os.path.join(self.dir, ".tmp-%d-%s" % (os.getpid(), os.urandom(8).hex()))
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            with open(fd, "wb") as f:
                f.write(CACHE_MAGIC + key + header + payload)
            os.replace(temp, os.path.join(self.dir, key.hex()))
        except OSError:
            try:
                os.unlink(temp)
            except OSError:
                pass


def is_compiled_answer(answer):
    if not (isinstance(answer, tuple) and len(answer) == 3):
        return False
    code, second, third = answer
    return (
        isinstance(code, bytes) and isinstance(second, tuple) and isinstance(third, bool)
    ) or (code is None and isinstance(third, str))


# -- what the answer depends on --------------------------------------------------------
#
# The freezer reuses a cached answer, without running Python, while nothing it was made
# from has changed; freezer/src/analysis/deps.rs checks these records again:
# * "stats": the kind of every path stat()ed ("f" file, "d" directory, "o" other, "-" no
#   such path): how importlib, pkgutil and os.path look for modules, packages, markers;
# * "listings": a digest of every directory listed, its entry names and types, so a new
#   module that would shadow one found further along a search path is noticed;
# * "reads": size, mtime, ctime and inode of every file read, with the SHA-256 of what
#   was read when its times are too recent to be sure a later change moves them (the
#   file system's clock ticks coarsely; git calls such files "racily clean");
# * the working directory and sys.path, as the search path leaves out an entry equal to
#   the working directory.
# The os functions are wrapped, so that what the import system and the standard library
# look at on our behalf is recorded as surely as what this script looks at itself.
RACY_NS = 2 * 10**9
REAL_STAT = posix.stat
REAL_SCANDIR = posix.scandir


def stat_kind(mode):
    if stat.S_ISREG(mode):
        return "f"
    if stat.S_ISDIR(mode):
        return "d"
    return "o"


def entry_kind(entry):
    if entry.is_symlink():
        return "l"
    if entry.is_dir(follow_symlinks=False):
        return "d"
    if entry.is_file(follow_symlinks=False):
        return "f"
    return "o"


class Entries:
    """What os.scandir returns, over entries already read."""

    def __init__(self, entries):
        self.entries = iter(entries)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.entries)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        pass

    def close(self):
        pass


class Observations:
    """The file system as the analysis saw it (see above)."""

    def __init__(self):
        self.start = time.time_ns()
        self.stats = {}
        self.listings = {}
        self.reads = {}
        self.uncacheable = None

    @staticmethod
    def where(path):
        """`path` as recorded: absolute text; None for a file descriptor."""
        if isinstance(path, int):
            return None
        path = os.fsdecode(path)
        return path if path.startswith("/") else os.path.join(os.getcwd(), path)

    def install(self):
        def recorded_stat(path, *args, **kwargs):
            where = None if args or kwargs else self.where(path)
            try:
                result = REAL_STAT(path, *args, **kwargs)
            except OSError:
                if where is not None:
                    self.stats.setdefault(where, "-")
                raise
            if where is not None:
                self.stats.setdefault(where, stat_kind(result.st_mode))
            return result

        def recorded_scandir(path="."):
            return Entries(self.list(path))

        def recorded_listdir(path=None):
            return [entry.name for entry in self.list("." if path is None else path)]

        posix.stat = os.stat = recorded_stat
        posix.scandir = os.scandir = recorded_scandir
        posix.listdir = os.listdir = recorded_listdir

    def list(self, path):
        where = self.where(path)
        if where is None:
            self.uncacheable = "a directory was listed through a file descriptor"
        try:
            with REAL_SCANDIR(path) as it:
                entries = list(it)
        except OSError:
            if where is not None:
                self.listings.setdefault(where, "-")
            raise
        if where is not None and where not in self.listings:
            digest = hashlib.sha256()
            for name, kind in sorted((os.fsencode(e.name), entry_kind(e)) for e in entries):
                digest.update(name + b"\0" + kind.encode() + b"\n")
                if kind == "l":
                    # What a walk makes of a link is what it points to.
                    try:
                        os.stat(os.path.join(where, os.fsdecode(name)))
                    except OSError:
                        pass
            self.listings[where] = digest.hexdigest()
        return entries

    def read(self, path, data=None):
        """Records a file read; `data` is what was read, if the caller has it."""
        where = self.where(path)
        if where in self.reads:
            return
        try:
            st = REAL_STAT(where)
        except OSError:
            self.stats.setdefault(where, "-")
            return
        digest = None
        if max(st.st_mtime_ns, st.st_ctime_ns) >= self.start - RACY_NS:
            if data is None:
                try:
                    with open(where, "rb") as f:
                        data = f.read()
                except OSError as e:
                    self.uncacheable = "cannot read %s again: %s" % (where, e.strerror)
                    return
            digest = hashlib.sha256(data).hexdigest()
        self.reads[where] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, digest]

    def startup(self):
        """What made this interpreter's sys.path and sys.meta_path as they are: the modules
        it imported while starting (site, and what .pth files import), the .pth files,
        pyvenv.cfg, zip files on sys.path."""
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if isinstance(path, str):
                self.read(path)
        executable_dir = os.path.dirname(sys.executable)
        for directory in (executable_dir, os.path.dirname(executable_dir)):
            config = os.path.join(directory, "pyvenv.cfg")
            if os.path.isfile(config):
                self.read(config)
        site = sys.modules.get("site")
        for directory in site.getsitepackages() if site else ():
            try:
                names = os.listdir(directory)
            except OSError:
                continue
            for name in names:
                if name.endswith(".pth"):
                    self.read(os.path.join(directory, name))
        for entry in sys.path:
            if entry and os.path.isfile(entry):
                self.read(entry)

    def answer(self):
        def paths(records):
            for path, record in records.items():
                try:
                    path.encode("utf-8")
                except UnicodeEncodeError:
                    self.uncacheable = "a path is not UTF-8: %r" % path
                    continue
                yield [path] + (record if isinstance(record, list) else [record])

        answer = {
            "cwd": os.getcwd(),
            "sys_path": [path for [path] in paths({p: [] for p in sys.path})],
            "stats": list(paths(self.stats)),
            "listings": list(paths(self.listings)),
            "reads": list(paths(self.reads)),
        }
        answer["uncacheable"] = self.uncacheable
        return answer


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
        "magic": importlib.util.MAGIC_NUMBER.hex(),
        "executable": sys.executable,
        "libpython": libpython,
    }


def find_on_path(name, path):
    """PathFinder.find_spec(name, path) without the _NamespacePath it makes of a namespace
    package's portions: that looks the parent package up in sys.modules, and nothing of
    the app is imported here."""
    spec = PathFinder._get_spec(name, path)
    if spec is None or spec.loader is None and not spec.submodule_search_locations:
        return None
    return spec


def is_excluded(name, excludes):
    for x in excludes:
        if name == x or name.startswith(x + "."):
            return True
    return False


class Analysis:
    def __init__(self, request):
        self.code_cache = None  # a CodeCache, if the build has a cache
        self.app_dir = os.path.abspath(request["app_dir"])
        cwd = os.getcwd()
        self.search_path = [self.app_dir] + [
            p for p in sys.path if p and p != cwd and p != self.app_dir
        ]
        self.optimize = int(request["optimize"])
        self.sources = bool(request["sources"])
        self.excludes = tuple(request["excludes"])
        self.other_finders = [
            f
            for f in sys.meta_path
            if f not in STANDARD_FINDERS and hasattr(f, "find_spec")
        ]
        self.found = {}  # name -> Module | Found, every search done once
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
        self.errors = []
        self.compiled = {}  # name -> (code bytes, source bytes or None)
        self.uses_file = set()  # names of modules whose code reads __file__
        self.skip_dirs = {os.path.abspath(d) for d in request.get("skip_dirs", ())}

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
            if spec is None:
                spec = self._find_elsewhere(name)
            if spec is None:
                return MISSING
            return self._module(name, spec, None)
        parent = self.find(parent_name)
        if not isinstance(parent, Module) or parent.locations is None:
            return NOT_IN_PACKAGE
        spec = find_on_path(name, parent.locations)
        if spec is None:
            return MISSING
        return self._module(name, spec, parent)

    def _find_elsewhere(self, name):
        # Finders that site-packages installed through .pth files (setuptools' editable
        # installs) can see top-level packages PathFinder cannot.
        for finder in self.other_finders:
            try:
                spec = finder.find_spec(name, None)
            except Exception:
                continue
            if spec is not None:
                if OBSERVATIONS is not None:
                    OBSERVATIONS.uncacheable = (
                        "module %s was found by %r, whose answers cannot be checked"
                        % (name, finder)
                    )
                return spec
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
            module = Module(name, "extension", False, origin, None, spec.loader, False)
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

    def add(self, module, importer, eager):
        if importer is not None and eager:
            self.eager_edges.setdefault(importer, set()).add(module.name)
        if importer is not None and (eager or self.reached[importer].in_app):
            self.start_edges.setdefault(importer, set()).add(module.name)
        narrow = not eager and module.name in NARROW_LAZY_IMPORTS.get(importer, ())
        if module.name in self.reached:
            if module.narrow and not narrow:
                module.narrow = False
                if module.imports is not None:
                    self.follow_imports(module, module.imports, False)
        else:
            module.narrow = narrow
            self.reached[module.name] = module
            self.queue.append(module)
            # The app's own packages come whole: code that finds its plugins with
            # pkgutil.iter_modules(package.__path__) must find what is on disk.
            if module.in_app and module.is_package:
                self.need_all_submodules(module.name)
            if module.name in HIDDEN_IMPORTS:
                self.need_hidden(module.name)

    def need_hidden(self, importer):
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
                    self.need(name, importer)

    def report_missing(self, name, importer):
        importers = self.missing.setdefault(name, set())
        if importer is not None:
            importers.add(importer)

    def need(self, name, importer, eager=False):
        """Adds `name` and its parents; returns its Module, or None."""
        parts = name.split(".")
        if not all(parts):
            return None
        prefix = None
        found = None
        for part in parts:
            prefix = part if prefix is None else prefix + "." + part
            if is_excluded(prefix, self.excludes):
                return None
            found = self.find(prefix)
            if found is MISSING:
                self.report_missing(prefix, importer)
                return None
            if not isinstance(found, Module):
                return None
            self.add(found, importer, eager)
        return found

    def need_from(self, name, fromlist, importer, eager):
        module = self.need(name, importer, eager)
        if module is None or module.locations is None or not fromlist:
            return
        for attr in fromlist:
            if attr == "*" or not isinstance(attr, str):
                continue
            sub = name + "." + attr
            if is_excluded(sub, self.excludes):
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
        for sub in subs:
            self.need(name + "." + sub, None)

    def run(self, request):
        for extra in request["extra_modules"]:
            module = Module(extra["name"], "python", False, None, None, None, True)
            module.source_text = extra["source"].encode("utf-8")
            if extra.get("filename"):
                module.bundle_path = extra["filename"]
            # The stub's own module imports, inside functions, what only an app that uses
            # a feature needs (importlib.metadata for find_distributions, ...): the app's
            # own imports bring those in. Only the ones it always needs count.
            if extra.get("lazy_imports") is not None:
                module.lazy_imports = frozenset(extra["lazy_imports"])
            self.found[module.name] = module
            self.need(module.name, None)
        self.extra_names = [extra["name"] for extra in request["extra_modules"]]

        entry = request["entry"]
        if entry["kind"] == "script":
            self.main_names = {"__main__"}
            self.add_script(entry["path"])
        else:
            # Always in sys.modules at run time, whatever module runs as it.
            self.found["__main__"] = PROVIDED
            if entry["kind"] == "module":
                # The stub runs the module as `python -m` does, with runpy.
                self.need("runpy", None)
            name = entry["module"]
            if entry["kind"] == "module":
                self.main_names = {name, name + ".__main__"}
            module = self.need(name, None)
            if module is None:
                raise Fatal(
                    "cannot find the entry module `%s` in %s or in the sys.path of %s"
                    % (name, self.app_dir, sys.executable)
                )
            # Its compile errors stop the build wherever it was found.
            module.in_app = True
            if entry["kind"] == "module" and module.locations is not None:
                main = self.find(name + ".__main__")
                if not isinstance(main, Module):
                    raise Fatal(
                        "`%s` is a package without a __main__ module (%s); "
                        "name the module to run instead" % (name, module.origin)
                    )
                main.in_app = True
                self.need(main.name, None)

        self.start_roots = [entry.get("module", "__main__"), "runpy", *request["includes"]]
        for name in request["includes"]:
            self.need(name, None)
        for name in BOOTSTRAP_ROOTS[1:]:
            self.need(name, None)
        self.need_all_submodules(BOOTSTRAP_ROOTS[0])

        compilers = Compilers(self.optimize)
        try:
            while self.queue or compilers.pending:
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
            source = read_file(path)
        except OSError as e:
            raise Fatal("cannot read the entry script %s: %s" % (path, e.strerror))
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
                self.error(module, None, "cannot read it: %s" % (e.strerror or e))
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
                return read_file(origin)
            data = get_data(origin)
            if OBSERVATIONS is not None:
                OBSERVATIONS.read(origin, data)
            return data
        return None

    def load_bytecode(self, module):
        # A module shipped as a .pyc only: its bytecode is bundled as it is on disk.
        if not isinstance(module.loader, SourcelessFileLoader):
            self.error(
                module,
                None,
                "neither source nor bytecode that pyfreeze can bundle (loader %s)"
                % type(module.loader).__name__,
            )
            return
        try:
            data = module.loader.get_data(module.origin)
            if OBSERVATIONS is not None:
                OBSERVATIONS.read(module.origin, data)
            if data[:4] != MAGIC_NUMBER:
                self.error(module, None, "bytecode for another Python version")
                return
            code = marshal.loads(data[16:])
        except (OSError, EOFError, ValueError, TypeError) as e:
            self.error(module, None, "cannot load its bytecode: %s" % e)
            return
        self.compiled[module.name] = (data[16:], None)
        self.follow_imports(module, *read_code(module, code))

    def compiled_answer(self, module, answer):
        """Takes a compiler's answer, (code bytes,) or (None, line, message), into the code
        cache as (code bytes, imports, uses __file__) or the error."""
        if answer[0] is not None:
            answer = (answer[0],) + read_code(module, marshal.loads(answer[0]))
        if self.code_cache is not None:
            self.code_cache.compiled += 1
            # Code whose imports could not be read is compiled again, warning again.
            if answer[0] is None or answer[1] is not None:
                self.code_cache.put(module, module.cache_key, answer)
        self.use_compiled(module, answer)

    def use_compiled(self, module, answer):
        code, imports, uses = answer
        if code is None:
            self.error(module, imports, uses)
            return
        source = module.source_text if self.sources else None
        self.compiled[module.name] = (code, source)
        self.follow_imports(module, imports, uses)

    def follow_imports(self, module, imports, uses):
        """Follows `imports` (None when they could not be read) of `module`."""
        if uses:
            self.uses_file.add(module.name)
        if imports is None:
            return
        module.imports = imports
        if module.is_package:
            package = module.name
        else:
            package = module.name.rpartition(".")[0]
        ignored = IGNORED_IMPORTS.get(module.name.partition(".")[0], ())
        for_the_caller = LAZY_FOR_THE_CALLER.get(module.name, ())
        stdlib = bool(module.origin) and module.origin.startswith(STDLIB_DIRS)
        for name, level, fromlist, eager in imports:
            if level > 0:
                bits = package.rsplit(".", level - 1) if package else []
                if len(bits) < level:
                    # Beyond the top-level package (or in a script): fails when run.
                    for target in (name,) if name else fromlist or ("",):
                        self.report_missing("." * level + target, module.name)
                    continue
                name = bits[0] + "." + name if name else bits[0]
            if is_excluded(name, ignored):
                continue
            if eager is MAIN_BLOCK and module.name not in self.main_names:
                continue
            if not eager and (module.narrow or name in for_the_caller):
                continue
            if not eager and module.lazy_imports is not None and name not in module.lazy_imports:
                continue
            if not eager and stdlib and is_excluded(name, DEV_TOOLS):
                continue
            self.need_from(name, fromlist, module.name, eager)

    def error(self, module, line, message):
        self.errors.append(
            {
                "module": module.name,
                "file": module.origin or module.bundle_path,
                "line": line,
                "message": message,
                "in_app": module.in_app,
            }
        )

    # -- the answer --------------------------------------------------------------------

    def bootstrap_names(self, names):
        seeds = [n for n in self.extra_names if n in names]
        seeds += [n for n in BOOTSTRAP_ROOTS[1:] if n in names]
        root = BOOTSTRAP_ROOTS[0]
        seeds += [
            n
            for n in names
            if n == root or n.startswith(root + ".") and n[len(root) + 1 :] not in BYTES_CODECS
        ]
        boot = closure(names, seeds, self.eager_edges)
        # What CPython has frozen itself (codecs, io, abc... from 3.11 on, deep-frozen in
        # 3.11 and 3.12) it finds without unmarshalling anything; a table entry would shadow it.
        return {n for n in boot if n in self.extra_names or not _imp.is_frozen(n)}

    def cold_names(self, names, roots):
        """The modules of `names` that no import that may run while the app starts
        reaches from `roots`: only a function of a dependency imports them (os.popen's
        subprocess, the codecs' extension modules...), or they are hidden imports. They
        are stored compressed, which costs only if they are ever imported."""
        return names - closure(names, roots, self.start_edges)

    def data_files(self, names):
        """Files of the bundle's tree that are not code, as (path inside the bundle, file):
        the *.dist-info of every distribution that provides a bundled top-level name
        (importlib.metadata needs them whatever the code asks for), and the data files of
        every bundled package."""
        files = {}
        tops = {name.partition(".")[0] for name in names}
        for entry in self.search_path:
            try:
                listing = sorted(os.listdir(entry))
            except OSError:
                continue
            for item in listing:
                info = os.path.join(entry, item)
                if not item.endswith(".dist-info") or not os.path.isdir(info):
                    continue
                if distribution_tops(info) & tops:
                    for path, rel in walk_files(info, lambda d: True):
                        files.setdefault(item + "/" + rel, path)
        for name in sorted(names):
            module = self.reached[name]
            origin = module.origin or ""
            if module.kind == "namespace":
                # importlib.resources merges the files of all its portions.
                package_dirs = module.locations
            elif module.is_package and origin.endswith("__init__.py"):
                package_dirs = [os.path.dirname(origin)]
            else:
                continue
            prefix = name.replace(".", "/") + "/"

            def is_data_dir(directory):
                # A subpackage's files are its own, collected if it is bundled.
                return not os.path.isfile(os.path.join(directory, "__init__.py"))

            for package_dir in package_dirs:
                for path, rel in walk_files(package_dir, is_data_dir):
                    if not rel.endswith(CODE_SUFFIXES):
                        files.setdefault(prefix + rel, path)
        return [{"name": name, "origin": files[name]} for name in sorted(files)]

    def app_data_files(self):
        """The files in the app's directory that are not code, as (path inside the bundle,
        file): code may open them next to ``__file__``; they are bundled only when the build
        is asked to put the app directory on disk. Hidden entries, virtualenvs and the
        build's output directory are not the app's; packages have their own."""

        def keep_dir(directory):
            # A package's files are its own data files, collected with the package.
            return not (
                os.path.basename(directory).startswith(".")
                or directory in self.skip_dirs
                or os.path.exists(os.path.join(directory, "pyvenv.cfg"))
                or os.path.isfile(os.path.join(directory, "__init__.py"))
            )

        return [
            {"name": rel, "origin": path}
            for path, rel in walk_files(self.app_dir, keep_dir)
            if not rel.endswith(CODE_SUFFIXES) and not rel.rpartition("/")[2].startswith(".")
        ]

    def manifest(self):
        blobs = []
        size = 0

        def blob(data):
            nonlocal size
            blobs.append(data)
            ref = [size, len(data)]
            size += len(data)
            return ref

        failed = {e["module"] for e in self.errors}
        names = {n for n in self.reached if n not in failed}
        boot = self.bootstrap_names(names)
        cold = self.cold_names(
            names,
            [*self.extra_names, *BOOTSTRAP_ROOTS, *self.main_names, *self.start_roots],
        )
        modules = []
        for name in sorted(names):
            module = self.reached[name]
            code = source = None
            if module.kind == "python":
                code_bytes, source_bytes = self.compiled[name]
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
                    "cold": name in cold,
                    "origin": module.origin,
                    "code": code,
                    "source": source,
                    "uses_file": name in self.uses_file,
                }
            )
        manifest = {
            "python": python_info(),
            "modules": modules,
            "data": self.data_files(names),
            "app_data": self.app_data_files(),
            "missing": [
                {"name": name, "imported_by": sorted(self.missing[name])}
                for name in sorted(self.missing)
            ],
            "errors": sorted(self.errors, key=lambda e: e["module"]),
        }
        if self.code_cache is not None:
            manifest["code_cache"] = [self.code_cache.hits, self.code_cache.compiled]
        if OBSERVATIONS is not None:
            # Last: making the rest of the manifest looks at the file system too.
            manifest["deps"] = OBSERVATIONS.answer()
        return json.dumps(manifest, separators=(",", ":")).encode("utf-8"), blobs


def read_file(path):
    """The bytes of `path`, recorded as read (or as missing)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        if OBSERVATIONS is not None:
            OBSERVATIONS.stats.setdefault(OBSERVATIONS.where(path), "-")
        raise
    if OBSERVATIONS is not None:
        OBSERVATIONS.read(path, data)
    return data


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


def read_code(module, code):
    """(the imports of `code`, whether it uses __file__); the imports are None when they
    cannot be read."""
    try:
        imports = tuple(scan(code))
    except Exception as e:
        # Odd code must not stop the build; what it imports is then unknown.
        sys.stderr.write("pyfreeze: cannot scan %s for imports: %r\n" % (module.name, e))
        imports = None
    return imports, uses_file(code)


# Files that are modules, not data.
CODE_SUFFIXES = tuple(importlib.machinery.all_suffixes()) + (".pyc", ".pyo")


def walk_files(top, keep_dir):
    """(path, path relative to `top` with '/') of the files below `top`, sorted, entering
    only the directories `keep_dir(path)` accepts."""
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(
            d for d in dirnames if d != "__pycache__" and keep_dir(os.path.join(dirpath, d))
        )
        for filename in sorted(filenames):
            path = os.path.join(dirpath, filename)
            yield path, os.path.relpath(path, top).replace(os.sep, "/")


def text_lines(path):
    """A UTF-8 text file, read (and recorded) whole, as open() would give it."""
    return io.StringIO(read_file(path).decode("utf-8"), newline=None)


def distribution_tops(info):
    """The top-level names a distribution's *.dist-info says it installs."""
    try:
        with text_lines(os.path.join(info, "top_level.txt")) as f:
            return {line.strip() for line in f if line.strip()}
    except OSError:
        pass
    tops = set()
    try:
        with text_lines(os.path.join(info, "RECORD")) as f:
            for line in f:
                first = line.split(",", 1)[0].split("/", 1)[0]
                if first and not first.endswith((".dist-info", ".data")) and first != "..":
                    tops.add(first[: -len(".py")] if first.endswith(".py") else first.split(".")[0])
    except OSError:
        pass
    return tops


def uses_file(code):
    """Whether `code` or code nested in it reads the name ``__file__``."""
    stack = [code]
    while stack:
        co = stack.pop()
        if "__file__" in co.co_names:
            return True
        stack.extend(c for c in co.co_consts if isinstance(c, CodeType))
    return False


# `eager` of an import in the module's `if __name__ == "__main__":` block.
MAIN_BLOCK = None


def scan(code):
    """The imports in `code` and its nested code, as a set of
    (name, level, fromlist, eager): eager (True) ones run when the module itself is
    imported, others (False) when a function runs, MAIN_BLOCK ones when it runs as
    __main__."""
    imports = set()
    stack = [(code, True)]
    while stack:
        co, eager = stack.pop()
        for const in co.co_consts:
            if isinstance(const, CodeType):
                stack.append((const, eager and not const.co_flags & CO_NEWLOCALS))
        names = co.co_names
        if not names:
            continue
        wordcode = co.co_code
        dynamic = "import_module" in names or "__import__" in names
        # Opcodes sit at even offsets; most code objects import nothing.
        if not dynamic and IMPORT_NAME not in wordcode[::2]:
            continue
        consts = co.co_consts
        find_main = eager and "__name__" in names and "__main__" in consts
        main_end = -1
        extended = 0
        # The three previous instructions, as (opcode, argument).
        op1 = arg1 = op2 = arg2 = op3 = arg3 = -1
        for i in range(0, len(wordcode), 2):
            op = wordcode[i]
            if op == EXTENDED_ARG:
                extended = (extended | wordcode[i + 1]) << 8
                continue
            if op in SKIPPED_OPS:
                continue
            arg = extended | wordcode[i + 1]
            extended = 0
            if op == IMPORT_NAME:
                level, fromlist = 0, None
                if op2 == LOAD_CONST and op1 == LOAD_CONST:
                    level, fromlist = consts[arg2], consts[arg1]
                if not isinstance(level, int):
                    level = 0
                if isinstance(fromlist, tuple):
                    fromlist = tuple(x for x in fromlist if isinstance(x, str))
                else:
                    fromlist = None
                imports.add((names[arg], level, fromlist, MAIN_BLOCK if i < main_end else eager))
            elif dynamic and op == LOAD_CONST and op1 in NAME_LOADS:
                target = consts[arg]
                if (
                    isinstance(target, str)
                    and names[arg1 >> NAME_LOADS[op1]] in DYNAMIC_IMPORTERS
                    and not target.startswith(".")
                ):
                    imports.add((target, 0, None, MAIN_BLOCK if i < main_end else eager))
            elif (
                find_main
                and op in JUMP_IF_FALSE
                and op1 == COMPARE_OP
                and arg1 >> COMPARE_SHIFT == COMPARE_EQ
                and op2 == LOAD_CONST
                and consts[arg2] == "__main__"
                and op3 == LOAD_NAME
                and names[arg3] == "__name__"
            ):
                if op in opcode.hasjabs:
                    main_end = arg * JUMP_ABSOLUTE_UNIT
                else:
                    main_end = i + JUMP_RELATIVE_BASE + 2 * arg
            op3, arg3, op2, arg2, op1, arg1 = op2, arg2, op1, arg1, op, arg
    return imports


# What the answer depends on, recorded when it may be cached.
OBSERVATIONS = None


def main():
    global OBSERVATIONS
    request = json.loads(sys.stdin.buffer.read())
    cache = request.get("cache")
    if cache and cache["deps"]:
        OBSERVATIONS = Observations()
        OBSERVATIONS.install()
        OBSERVATIONS.startup()
    analysis = Analysis(request)
    if cache:
        analysis.code_cache = CodeCache(
            cache["code_dir"],
            cache["salt"],
            analysis.optimize,
            analysis.app_dir,
            analysis.search_path,
        )
    analysis.run(request)
    manifest, blobs = analysis.manifest()
    _OUT.write(len(manifest).to_bytes(8, "little"))
    _OUT.write(manifest)
    for data in blobs:
        _OUT.write(data)
    _OUT.flush()


try:
    main()
except Fatal as e:
    sys.stderr.write("pyfreeze: %s\n" % e)
    sys.exit(2)
