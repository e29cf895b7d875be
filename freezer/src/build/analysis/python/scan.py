# The imports a module's code makes, read from its bytecode, as each version encodes it.

import bisect
import dis
import opcode
import re
import sys
import types

CodeType = types.CodeType

DYNAMIC_IMPORTERS = ("import_module", "__import__")
# Functions whose literal first argument names a module they find or import, followed like
# `import_module` with a literal: importlib.util.find_spec ("html.parser", to check it is
# there before importing it) and importlib.resources.files ("tzdata", a package it imports
# to read its files). What they are called with when it is computed is not an import.
FINDERS = ("find_spec", "files")
IMPORT_CALLS = DYNAMIC_IMPORTERS + FINDERS
# Functions whose literal first argument names an installed distribution whose metadata
# they read, importlib.metadata's (`version("numpy")`) and pkg_resources'
# (`get_distribution("numpy")`): its *.dist-info is bundled even if nothing imports it.
METADATA_CALLS = ("version", "metadata", "requires", "distribution", "get_distribution")
# `level` of what scan() reports that is not an import statement's level: PREFIX for the
# literal prefix of a name computed at run time ("pkg.plugin_" of
# import_module(f"pkg.plugin_{name}"), ".unicode" of import_module(f".unicode{v}", pkg);
# "" when none of the name is literal; its `fromlist` is the literal suffix after the
# computed part, (".locale",) of import_module(f"pendulum.locales.{name}.locale"), if
# any), TABLE for a dotted name listed in code that imports by computed name (a table of
# module names), ARGUMENT for the name of a function of the module that imports the
# name it is given or one made from it (pyzmq's `select_backend(name)`, boto3's
# `lazy_call(full_name)`: its callers list the names).
PREFIX = -1
TABLE = -2
ARGUMENT = -3
# ... and SEARCH_DIR for the identifiers among the strings of code that puts a path built
# from `__file__` on sys.path: the names of directories beside the module it may put
# there (setuptools' `sys.path.extend(... "setuptools", "_vendor" ...)`).
SEARCH_DIR = -4
# ... and METADATA for a distribution named to one of METADATA_CALLS.
METADATA = -5
# ... and CALL for a whole literal name given to one of IMPORT_CALLS: imported as by an
# import statement, but by a call, which a package's own `import_module` may make to see
# whether an optional dependency is there (sympy's returns None when it is not).
CALL = -6
PATH_CHANGES = ("append", "extend", "insert")
# A string that may start a module name: a dotted or relative one, as a prefix.
NAME_START = re.compile(r"\.*[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\.?\Z")
# A string that may end a module name after a computed part: submodules' names.
NAME_END = re.compile(r"(\.[A-Za-z_]\w*)+\Z")
# A dotted module name, as tables of plugin modules list them, maybe with an attribute
# of it after a colon, as entry points name one (`pkg.plugins.a:Plugin`), or a package's
# name and a dot, the prefix of the names computed from it (docutils' languages).
DOTTED_NAME = re.compile(r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(?::[A-Za-z_][\w.]*|(\.))?\Z")
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
# Loads of a local variable, whose argument indexes co_varnames (the locals come first in
# 3.11+'s localsplus too): `from importlib import import_module` inside the function that
# calls it (pendulum's locales).
LOCAL_LOADS = frozenset(op for op in (_op("LOAD_FAST"), _op("LOAD_FAST_CHECK")) if op != -1)
# ... and a closure's variables too.
VARIABLE_LOADS = LOCAL_LOADS | frozenset(op for op in (_op("LOAD_DEREF"),) if op != -1)


def callee(op, arg, names, varnames):
    """The name an instruction loads, if it may load an importer: a global, an attribute
    or a local variable."""
    if op in NAME_LOADS:
        return names[arg >> NAME_LOADS[op]]
    if op in LOCAL_LOADS and arg < len(varnames):
        return varnames[arg]
    return None


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

# `eager` of an import in the module's `if __name__ == "__main__":` block.
MAIN_BLOCK = None

# How the string constant that follows an importer is used, read by following the stack
# (see first_argument): whole, by the call, or as the start of a computed name, by an
# f-string, `+`, `%` or `str.format`.
HAVE_ARGUMENT = opcode.HAVE_ARGUMENT
CACHE_OPS = frozenset((_op("CACHE"), _op("NOP")))
BUILD_STRING = _op("BUILD_STRING")
BINARY_ADD = _op("BINARY_ADD")
BINARY_MODULO = _op("BINARY_MODULO")
BINARY_OP = _op("BINARY_OP")
# BINARY_OP's arguments for `+` and `%`.
NB_ADD = 0
NB_REMAINDER = 6
ATTRIBUTE_LOADS = frozenset((_op("LOAD_ATTR"), _op("LOAD_METHOD")))
CALLS = frozenset(
    _op(name)
    for name in (
        "CALL",
        "CALL_FUNCTION",
        "CALL_FUNCTION_EX",
        "CALL_FUNCTION_KW",
        "CALL_KW",
        "CALL_METHOD",
        "PRECALL",
    )
)
# A computed name's prefix ends where its template's first placeholder starts, and its
# suffix starts after the placeholder's last character (`%s`'s conversion, `{}`'s brace).
TEMPLATE_START = {"+": None, "%": "%", "format": "{"}
TEMPLATE_END = {"%": re.compile(r"%[a-z]"), "format": re.compile(r"\{[^{}]*\}")}
# Instructions followed past the constant before giving up: its call is near.
LOOKAHEAD = 64
# Loads of a function or class that the module defines (see bare_arguments).
GLOBAL_LOADS = frozenset(op for op in (_op("LOAD_NAME"), _op("LOAD_GLOBAL")) if op != -1)
PUSH_NULL = _op("PUSH_NULL")
JUMPS = frozenset(opcode.hasjrel) | frozenset(opcode.hasjabs)


def stack_effect(op, arg):
    """The net effect of an instruction on the stack, or None if the interpreter will
    not say."""
    try:
        return opcode.stack_effect(op, arg) if op >= HAVE_ARGUMENT else opcode.stack_effect(op)
    except ValueError:
        return None


def template_suffix(how, const):
    """The literal end of the `%` or `.format` template `const` after its one
    placeholder, if it may end a module name."""
    pattern = TEMPLATE_END.get(how)
    parts = pattern.split(const) if pattern else ()
    return parts[1] if len(parts) == 2 and NAME_END.match(parts[1]) else None


def first_argument(wordcode, start, names, consts, const):
    """What the string `const`, loaded at `start` as an importer's first argument, makes
    of it: (0, const, None) when the call takes it whole, (PREFIX, the part before the
    placeholder, the suffix after it or None) when it starts an f-string, a `+`, a `%`
    or a `.format` template, or None when the code does something else with it. The
    instructions after it are followed with the depth of the stack above the constant,
    until one takes it off. A suffix is read from an f-string of three parts
    (`f"pkg.{name}.locale"`) and a template with one placeholder."""
    depth = 1
    extended = 0
    last_const = None
    end = min(len(wordcode), start + 2 * LOOKAHEAD)
    for i in range(start + 2, end, 2):
        op = wordcode[i]
        if op == EXTENDED_ARG:
            extended = (extended | wordcode[i + 1]) << 8
            continue
        if op in CACHE_OPS:
            continue
        arg = extended | wordcode[i + 1]
        extended = 0
        how = None
        if op == BUILD_STRING:
            if arg >= depth:
                how = "+"
        elif op == BINARY_ADD or op == BINARY_OP and arg == NB_ADD:
            how = "+"
        elif op == BINARY_MODULO or op == BINARY_OP and arg == NB_REMAINDER:
            how = "%"
        elif op in ATTRIBUTE_LOADS and depth == 1:
            if names[arg >> NAME_LOADS[op]] != "format":
                return None
            how = "format"
        effect = stack_effect(op, arg)
        if effect is None:
            return None
        if how is not None and (op == BUILD_STRING or depth <= 2):
            cut = TEMPLATE_START[how]
            if cut is not None:
                return PREFIX, const.partition(cut)[0], template_suffix(how, const)
            suffix = None
            if op == BUILD_STRING and arg == depth == 3 and NAME_END.match(last_const or ""):
                suffix = last_const
            return PREFIX, const, suffix
        if op in CALLS and depth + effect <= 0:
            return 0, const, None
        last_const = consts[arg] if op == LOAD_CONST and isinstance(consts[arg], str) else None
        if depth == 1 and effect <= 0:
            # Something other than a load takes the constant off the stack.
            return None
        depth += effect
        if depth < 1:
            return None
    return None


def dotted_names(const):
    """The dotted names among the strings of a constant (tuples of them included)."""
    if isinstance(const, str):
        match = DOTTED_NAME.match(const)
        if match:
            yield match.group(1) + (match.group(2) or "")
    elif isinstance(const, (tuple, frozenset)):
        for item in const:
            yield from dotted_names(item)


def scan(code, guards=()):
    """The imports in `code` and its nested code, as a set of
    (name, level, fromlist, eager, guard, line), `line` the first line that makes the
    import (None for what no instruction of its own shows, a table's names): eager (True) ones run when the module itself is
    imported, others (False) when a function runs, MAIN_BLOCK ones when it runs as
    __main__. A literal name given to an importing function has the level CALL. `guards` are the module's `try` statements that catch a failed import, as
    the compiler found them (see compile.py): the guard of an eager import in the body
    of the n-th is n, in one of its handlers -n, 0 elsewhere (see guard_of). Imports by computed name come with the level PREFIX, and make the dotted
    names among the code's constants, and the bare ones it passes to its own functions
    and classes, imports of level TABLE. A function of the module's own level that
    imports its parameter is reported by name, with the level ARGUMENT, and the names
    of directories code may put on sys.path with the level SEARCH_DIR, the distributions
    whose metadata it reads by name with the level METADATA."""
    # (name, level, fromlist, eager, guard) -> its first line: `pyfreeze why` names one.
    imports = {}

    def found(name, level, fromlist, when, guard, line=None):
        key = (name, level, fromlist, when, guard)
        first = imports.get(key)
        if key not in imports or (line is not None and (first is None or line < first)):
            imports[key] = line

    # The `eager` of each import by computed name, and the strings importers were given.
    computed = set()
    arguments = set()
    # With each code object, the function of the module's own level it is part of.
    stack = [(code, True, None)]
    while stack:
        co, eager, function = stack.pop()
        for const in co.co_consts:
            if isinstance(const, CodeType):
                own = co is code and const.co_flags & CO_NEWLOCALS
                stack.append(
                    (const, eager and not const.co_flags & CO_NEWLOCALS, const if own else function)
                )
        names = co.co_names
        if not names:
            continue
        if "__file__" in names and "path" in names and any(m in names for m in PATH_CHANGES):
            for const in co.co_consts:
                if isinstance(const, str) and const.isidentifier():
                    found(const, SEARCH_DIR, None, eager, 0)
        varnames = co.co_varnames
        wordcode = co.co_code
        dynamic = any(name in names for name in IMPORT_CALLS + METADATA_CALLS)
        # Opcodes sit at even offsets; most code objects import nothing.
        if not dynamic and IMPORT_NAME not in wordcode[::2]:
            continue
        consts = co.co_consts
        lines = line_starts(co)
        # Only an eager import's guard matters (see guard_of).
        guarded = guards if eager else ()
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
                line = line_of(lines, i)
                found(
                    names[arg],
                    level,
                    fromlist,
                    MAIN_BLOCK if i < main_end else eager,
                    guard_of(line, guarded),
                    line,
                )
            elif dynamic and callee(op1, arg1, names, varnames) in IMPORT_CALLS:
                importer = callee(op1, arg1, names, varnames)
                when = MAIN_BLOCK if i < main_end else eager
                target = consts[arg] if op == LOAD_CONST else None
                if isinstance(target, str):
                    how = first_argument(wordcode, i, names, consts, target)
                    arguments.add(target)
                    # A relative name is resolved against a package argument: a prefix
                    # against the module's own package, which is what that argument
                    # nearly always is. The finders' computed names are not imports.
                    if (
                        how is not None
                        and (how[0] == PREFIX or not how[1].startswith("."))
                        and (how[0] == 0 or importer in DYNAMIC_IMPORTERS)
                    ):
                        suffix = (how[2],) if how[2] else None
                        level = CALL if how[0] == 0 else how[0]
                        line = line_of(lines, i)
                        found(how[1], level, suffix, when, guard_of(line, guarded), line)
                        if how[0] == PREFIX:
                            computed.add(when)
                elif importer in DYNAMIC_IMPORTERS and (stack_effect(op, arg) or 0) > 0:
                    # Called with what a load leaves: a name computed whole, maybe from
                    # a prefix the same code builds it with first (rich's
                    # `name = f".unicode{v}"; import_module(name, package)`).
                    line = line_of(lines, i)
                    found("", PREFIX, None, when, 0, line)
                    computed.add(when)
                    prefixes = built_prefixes(co)
                    for prefix in prefixes:
                        found(prefix, PREFIX, None, when, 0, line)
                    if (
                        not prefixes
                        and op in VARIABLE_LOADS
                        and function is not None
                        and function.co_argcount + function.co_kwonlyargcount > 0
                        and (first_argument(wordcode, i, names, consts, "") or (None,))[0] == 0
                    ):
                        # A variable, of the function or of a closure it returns, most
                        # likely what it was given or made from it (boto3's
                        # `lazy_call(full_name)`, whose handler imports the module part).
                        found(function.co_name, ARGUMENT, None, when, 0, line)
            elif (
                dynamic
                and op == LOAD_CONST
                and callee(op1, arg1, names, varnames) in METADATA_CALLS
                and isinstance(consts[arg], str)
                and (first_argument(wordcode, i, names, consts, consts[arg]) or (None,))[0] == 0
            ):
                when = MAIN_BLOCK if i < main_end else eager
                found(consts[arg], METADATA, None, when, 0, line_of(lines, i))
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
    if computed:
        when = True if True in computed else False if False in computed else MAIN_BLOCK
        for name in (listed_names(code) | bare_arguments(code)) - arguments:
            found(name, TABLE, None, when, 0)
    return {key + (line,) for key, line in imports.items()}


def line_starts(co):
    """The offsets where `co`'s lines start, and the line of each."""
    starts = [(offset, line) for offset, line in dis.findlinestarts(co) if line is not None]
    return [offset for offset, _ in starts], [line for _, line in starts]


def line_of(lines, offset):
    """The line of the instruction at `offset`, from line_starts, or None."""
    offsets, numbers = lines
    at = bisect.bisect_right(offsets, offset) - 1
    return numbers[at] if at >= 0 else None


def guard_of(line, guards):
    """The guard (see scan) of the import at `line`, from the innermost `try` that holds
    it."""
    if line is None:
        return 0
    found, span = 0, None
    for n, (first, last, handlers) in enumerate(guards, 1):
        ranges = [(first, last, n)] + [(start, end, -n) for start, end in handlers]
        for start, end, guard in ranges:
            if start <= line <= end and (span is None or end - start < span):
                found, span = guard, end - start
    return found


def built_prefixes(co):
    """The prefixes of the names `co` builds from a literal start that may be a module
    name's (see NAME_START), with an f-string, `+`, `%` or `.format`."""
    wordcode = co.co_code
    consts = co.co_consts
    prefixes = set()
    extended = 0
    for i in range(0, len(wordcode), 2):
        op = wordcode[i]
        if op == EXTENDED_ARG:
            extended = (extended | wordcode[i + 1]) << 8
            continue
        arg = extended | wordcode[i + 1]
        extended = 0
        if op != LOAD_CONST or not isinstance(consts[arg], str):
            continue
        const = consts[arg]
        how = None
        if NAME_START.match(const):
            how = first_argument(wordcode, i, co.co_names, consts, const)
        if how is not None and how[0] == PREFIX and "." in how[1]:
            prefixes.add(how[1])
    return prefixes


def listed_names(code):
    """The dotted names among the constants of `code` and its nested code: what a module
    that imports by computed name may list of the modules it imports (dbm's
    `_names = ["dbm.gnu", "dbm.ndbm", "dbm.dumb"]`, the values of a dict of plugins)."""
    found = set()
    stack = [code]
    while stack:
        co = stack.pop()
        for const in co.co_consts:
            if isinstance(const, CodeType):
                stack.append(const)
            else:
                found.update(dotted_names(const))
    return found


def bare_arguments(code):
    """The identifiers among the string constants passed, in `code` and its nested code,
    to the functions and classes its own level defines: the top-level modules a module
    that imports by computed name may hand to its own importer (six's
    `MovedModule("configparser", "ConfigParser")`). Elsewhere a bare word is too often
    something else. A call with a jump among its arguments (`a if c else b`) is left out."""
    callables = {c.co_name for c in code.co_consts if isinstance(c, CodeType)}
    found = set()
    stack = [code]
    while stack:
        co = stack.pop()
        stack.extend(c for c in co.co_consts if isinstance(c, CodeType))
        names = co.co_names
        if callables.isdisjoint(names):
            continue
        wordcode = co.co_code
        extended = 0
        previous = None
        for i in range(0, len(wordcode), 2):
            op = wordcode[i]
            if op == EXTENDED_ARG:
                extended = (extended | wordcode[i + 1]) << 8
                continue
            arg = extended | wordcode[i + 1]
            extended = 0
            if op in GLOBAL_LOADS and names[arg >> NAME_LOADS[op]] in callables:
                # Before 3.13 the NULL a call takes is pushed before the callable.
                depth = stack_effect(op, arg) + (previous == PUSH_NULL)
                found.update(call_arguments(co, i, depth))
            previous = op
    return found


def call_arguments(co, start, depth):
    """The identifiers among the string constants loaded as the arguments of the call of
    what the instruction at `start` loads, `depth` entries of the stack being the call's
    already; none when the instructions after it are not a call of it."""
    wordcode = co.co_code
    strings = []
    extended = 0
    for i in range(start + 2, min(len(wordcode), start + 2 * LOOKAHEAD), 2):
        op = wordcode[i]
        if op == EXTENDED_ARG:
            extended = (extended | wordcode[i + 1]) << 8
            continue
        if op in CACHE_OPS:
            continue
        arg = extended | wordcode[i + 1]
        extended = 0
        effect = stack_effect(op, arg)
        if op in JUMPS or effect is None:
            return ()
        const = co.co_consts[arg] if op == LOAD_CONST else None
        if isinstance(const, str) and const.isidentifier():
            strings.append(const)
        depth += effect
        if op in CALLS and depth == 1:
            return strings
        if depth < 1:
            return ()
    return ()


# What code that opens its files by path calls with `__file__`: os.path's and pathlib's
# ways of building a path from it (`dirname(__file__)`, `Path(__file__).parent`).
PATH_BUILDERS = frozenset(
    ("abspath", "dirname", "join", "joinpath", "parent", "parents", "Path", "PurePath")
    + ("realpath", "resolve", "split", "with_name")
)
# jinja2's loader of a package's templates: PackageLoader("pkg", "templates") lists the
# real directory pkg/templates, found from the package's __file__.
PACKAGE_LOADER = "PackageLoader"
# A string that may be a relative path of a package's data ("global.dat", "locale-data",
# "../data/x.json"): not absolute, no whitespace or NUL, not too long for a path. Other
# constants (messages, formats) would only bloat the code cache.
PATH_CONSTANT = re.compile(r"[^/\s\0][^\s\0]{0,254}\Z")


def path_constants(const, found):
    """Adds to `found` the strings of a constant (tuples of them included, as a list of
    literals compiles to) that may be relative paths."""
    if isinstance(const, str):
        if PATH_CONSTANT.match(const):
            found.add(const)
    elif isinstance(const, (tuple, frozenset)):
        for item in const:
            path_constants(item, found)


def loader_packages(co):
    """The literal package names `co` calls PackageLoader with."""
    names = co.co_names
    varnames = co.co_varnames
    wordcode = co.co_code
    packages = set()
    extended = 0
    op1 = arg1 = -1
    for i in range(0, len(wordcode), 2):
        op = wordcode[i]
        if op == EXTENDED_ARG:
            extended = (extended | wordcode[i + 1]) << 8
            continue
        if op in SKIPPED_OPS:
            continue
        arg = extended | wordcode[i + 1]
        extended = 0
        if op == LOAD_CONST and callee(op1, arg1, names, varnames) == PACKAGE_LOADER:
            const = co.co_consts[arg]
            if isinstance(const, str):
                packages.add(const)
        op1, arg1 = op, arg
    return packages


def file_use(code):
    """How `code` and its nested code use the module's file, as (reads __file__, builds a
    path from it, the constants that may be paths of its data, the packages it gives
    PackageLoader): the constants are kept only from code that reads __file__ or calls
    PackageLoader, what the analysis matches with the package's data files."""
    reads = builds = False
    constants = set()
    loaders = set()
    stack = [code]
    while stack:
        co = stack.pop()
        names = co.co_names
        if "__file__" in names:
            reads = True
            builds = builds or not PATH_BUILDERS.isdisjoint(names)
        if PACKAGE_LOADER in names:
            loaders.update(loader_packages(co))
        for const in co.co_consts:
            if isinstance(const, CodeType):
                stack.append(const)
            else:
                path_constants(const, constants)
    if not (reads or loaders):
        constants = ()
    return reads, builds, tuple(sorted(constants)), tuple(sorted(loaders))


def read_code(name, code, guards=()):
    """(the imports of `code`, its file_use); the imports are None when they cannot be
    read."""
    try:
        imports = tuple(scan(code, guards))
    except Exception as e:  # noqa: BLE001
        # Odd code must not stop the build; what it imports is then unknown.
        sys.stderr.write(f"pyfreeze: cannot scan {name} for imports: {e!r}\n")
        imports = None
    return imports, file_use(code)
