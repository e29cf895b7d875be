"""multiprocessing in a bundle: the helper processes it starts the bundle as, and the
script a spawned child re-runs.

With ``sys.frozen`` set, multiprocessing starts ``sys.executable``, the bundle, as a
spawned child (``--multiprocessing-fork name=value...``, spawn.get_command_line), the
fork server and the resource tracker (``<interpreter flags> -c "from
multiprocessing.<module> import main; main(<literals>)"``). Imported by the boot module
(_pyfreeze_boot) when the command line may be one of those, and when
multiprocessing.spawn is imported.
"""

import _frozen_importlib as _bootstrap
import sys

import _pyfreeze

# The modules whose ``main`` multiprocessing runs with ``-c`` (forkserver.py,
# resource_tracker.py), and the parameters of the spawn_main it runs a spawned child with.
_HELPER_MODULES = ("multiprocessing.forkserver", "multiprocessing.resource_tracker")
_SPAWN_PARAMETERS = ("pipe_handle", "parent_pid", "tracker_fd")
# What subprocess._args_from_interpreter_flags() repeats as -<letter>..., e.g. -I, -OO.
_FLAG_LETTERS = "OdBSvbqIEsP"


def helper(args):
    """The multiprocessing helper process the command-line arguments ``args`` start, as a
    callable, or None: then they are the app's own.

    Only the exact forms multiprocessing writes are recognised, and nothing of the ``-c``
    text is executed: its syntax tree must be that import and that call, and ``main`` is
    called with the literals' values.
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


class _ScriptSource:
    """``__loader__`` of the app's script re-run as ``__mp_main__``: linecache asks it for
    the source of that name, which the bundle holds as ``__main__``."""

    def __init__(self, importer):
        self._importer = importer

    def get_source(self, fullname):
        return self._importer.get_source("__main__")


def adapt_spawn(spawn):
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
        exec(importer.get_code("__main__"), main.__dict__)  # noqa: S102
        sys.modules["__main__"] = main

    spawn._fixup_main_from_path = _fixup_main_from_path
