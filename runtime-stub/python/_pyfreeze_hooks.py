"""Tracebacks printed as python prints them, with the bundle's source lines.

Before 3.13 CPython's C traceback printer reads source lines only from files on disk,
and nothing of the bundle is there: the boot module's hooks (sys.excepthook,
sys.unraisablehook) and threading's, adapted here, print what it prints with the
traceback module, which asks the loader through linecache. Imported by those hooks at
their first use, and when threading or linecache is imported.
"""

import sys

import _pyfreeze
import _pyfreeze_boot as _boot


def format_exception(exc_type, value, tb):
    import traceback

    report = traceback.TracebackException(exc_type, value, tb)
    if sys.version_info < (3, 11):
        _qualify_main_exceptions(report)
    return "".join(report.format())


def format_unraisable(unraisable):
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
        # Whatever the object's repr() raises, as the C hook catches it.
        except Exception:  # noqa: BLE001
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
        # Whatever the exception's str() raises, as the C hook catches it.
        except Exception:  # noqa: BLE001
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


def adapt_threading(threading):
    """Before 3.13 threading.excepthook prints with the C traceback printer; print what
    it prints with the traceback module."""
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
            text = f"Exception in thread {name}:\n" + format_exception(
                args.exc_type, args.exc_value, args.exc_traceback
            )
        except Exception:  # noqa: BLE001
            # Late in the interpreter's shutdown nothing can be imported any more.
            return c_hook(args)
        file.write(text)
        file.flush()

    threading.excepthook = excepthook
    if sys.version_info >= (3, 10):
        threading.__excepthook__ = excepthook


def adapt_linecache(linecache):
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
                module = _boot.module_at(relative)
                name = None if module is None else module[0]
            if name is not None:
                module_globals = {"__name__": name, "__loader__": importer}
        return lazycache(filename, module_globals)

    lazycache_from_bundle.__doc__ = lazycache.__doc__
    linecache.lazycache = lazycache_from_bundle
