# What pyfreeze knows of modules beyond their bytecode: which are part of libpython, which
# CPython needs while it starts, and the imports of well-known packages and of the
# standard library that the closure adds or leaves out (PyInstaller's hooks, Nuitka's
# anti-bloat).

import sys
import sysconfig

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
PACKAGE_HIDDEN_IMPORTS = {
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
# The standard library's imports by computed name, and its C modules' imports, that the
# closure's rules do not find (from an audit of the sources of 3.8 to 3.13, and of the
# module names in their extension modules): what CPython computes, computed here by the
# same interpreter. The rest need no row: `encodings` is bundled whole; the lazy imports
# of module __getattr__ functions (concurrent.futures, email's, multiprocessing's
# contexts) are import statements; dbm's `_names`, xml.sax's `default_parser_list` and
# xml.dom.domreg's `well_known_implementations` are tables of module names beside an
# import by computed name (scan.TABLE); and pickle's find_class, logging.config,
# importlib.metadata's EntryPoint.load, unittest.mock.patch, pkgutil.resolve_name,
# warnings' `-W` categories, multiprocessing's forkserver preloads and runpy import
# names that the app gives them.
STDLIB_HIDDEN_IMPORTS = {
    # sysconfig.get_config_var() and get_config_vars() (zoneinfo's TZPATH, packaging's
    # tags) load the build's variables from _sysconfigdata_<abiflags>_<platform>_<multiarch>
    # (its _init_posix); distutils.sysconfig did the same on 3.8 and 3.9.
    "sysconfig": (sysconfig._get_sysconfigdata_name(),),
    "distutils.sysconfig": (sysconfig._get_sysconfigdata_name(),),
    # sqlite3's Connection.iterdump() is C code that imports sqlite3.dump.
    "_sqlite3": ("sqlite3.dump",),
    # time.strptime() and datetime.strptime() are C code that imports _strptime.
    "time": ("_strptime",),
    "_datetime": ("_strptime",),
    # The C decimal module builds DecimalTuple with collections.namedtuple and registers
    # its types with numbers' and collections.abc's ABCs as it is imported.
    "_decimal": ("collections", "collections.abc", "numbers"),
    # array registers array.array as a collections.abc.MutableSequence as it is imported.
    "array": ("collections.abc",),
    # files() of a namespace package asks NamespaceLoader.get_resource_reader(), which
    # imports importlib.readers (3.10+; 3.9 has no such module, and the row is skipped).
    "importlib.resources": ("importlib.readers",),
}
HIDDEN_IMPORTS = {**PACKAGE_HIDDEN_IMPORTS, **STDLIB_HIDDEN_IMPORTS}
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
