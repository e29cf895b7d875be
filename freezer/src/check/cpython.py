# The CPython run of `pyfreeze check` (freezer/src/check.rs), run as
#     python [OPTIONS] -c THIS REPORT APP_DIR KIND TARGET [ARGS...]
# KIND is script (TARGET its path), module (TARGET run as with -m) or function
# (TARGET is MODULE:FUNCTION). It runs the app as python would, with ARGS as its
# arguments, and at exit (its atexit function, registered before the app's, runs after
# them) writes to REPORT, one tab-separated record a line:
#     module NAME KIND   each name in sys.modules at exit, with what the module is
#     start NAME         each name in sys.modules before the app ran (python's, site's)
#     path DIR           each directory of sys.path as the app started
#     importer NAME BY   the module whose import statement first imported NAME (the
#                        "import" audit event; none for importlib.import_module)
#     file OWNER NAME    each file the app opened for reading in a package's directory
#                        (OWNER the package) or the app directory (OWNER "."), NAME its
#                        path as a bundle would hold it
# Comments, not a docstring, and everything inside main(), which deletes its own name:
# the app's __main__ gets no name of this code. It imports nothing python has not
# already imported when it starts (an audit hook records the files opened).


def main():
    import atexit
    import os
    import sys

    del globals()["main"]
    report, app_dir, kind, target = sys.argv[1:5]
    args = sys.argv[5:]
    start = sorted(sys.modules)
    opened = []
    importers = {}

    def audit(event, audit_args):
        # An exception here would fail the app's open() or import: none leaves.
        if event == "import":
            try:
                name = audit_args[0]
                frame = sys._getframe(1)
                while frame is not None and frame.f_globals.get("__name__", "").startswith(
                    "importlib._bootstrap"
                ):
                    frame = frame.f_back
                if frame is not None and name not in importers:
                    importers[name] = frame.f_globals.get("__name__")
            except Exception:  # noqa: BLE001, S110
                pass
            return
        if event != "open":
            return
        try:
            path, mode, flags = audit_args
            if isinstance(path, int):
                return
            if mode is not None and any(c in mode for c in "wax"):
                return
            if mode is None and flags & 3 == os.O_WRONLY:
                return
            opened.append(os.path.abspath(os.fsdecode(path)))
        except Exception:  # noqa: BLE001, S110
            pass

    def kind_of(name, module):
        if getattr(module, "__name__", None) != name:
            return "alias"
        spec = getattr(module, "__spec__", None)
        if name in sys.builtin_module_names or (spec is not None and spec.origin == "built-in"):
            return "builtin"
        if spec is None or name.startswith("_frozen_importlib"):
            return "other"
        origin = spec.origin
        if origin == "frozen":
            return "frozen"
        if origin is None and spec.submodule_search_locations is not None:
            return "namespace"
        if isinstance(origin, str) and origin.endswith((".so", ".pyd")):
            return "extension"
        return "other" if origin is None else "source"

    def data_files(modules):
        code = set()
        roots = [(os.path.normpath(app_dir), ".")]
        for name, module in modules:
            code.add(getattr(module, "__file__", None))
            try:
                directories = list(getattr(module, "__path__", None) or ())
            except Exception:  # noqa: BLE001, S112 (a __path__ that cannot be listed)
                continue
            for directory in directories:
                if isinstance(directory, str):
                    roots.append((os.path.normpath(os.path.abspath(directory)), name))
        # The deepest directory owns a file.
        roots.sort(key=lambda root: -len(root[0]))
        seen = set()
        for path in opened:
            if path in seen or path in code or "__pycache__" in path:
                continue
            seen.add(path)
            if path.endswith((".py", ".pyc", ".so", ".pth")) or not os.path.isfile(path):
                continue
            for directory, owner in roots:
                if path.startswith(directory + os.sep):
                    inside = os.path.relpath(path, directory).replace(os.sep, "/")
                    if owner != ".":
                        inside = owner.replace(".", "/") + "/" + inside
                    yield owner, inside
                    break

    def write():
        modules = sorted(sys.modules.copy().items())
        lines = []
        for name, module in modules:
            try:
                kind = kind_of(name, module)
            except Exception:  # noqa: BLE001 (a lazy module whose attributes fail)
                kind = "other"
            lines.append(f"module\t{name}\t{kind}")
        lines += [f"start\t{name}" for name in start]
        lines += [f"path\t{entry}" for entry in path]
        lines += [f"importer\t{name}\t{by}" for name, by in importers.items() if by]
        lines += [f"file\t{owner}\t{inside}" for owner, inside in data_files(modules)]
        with open(report, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write("".join(line + "\n" for line in lines if "\n" not in line))

    atexit.register(write)
    sys.addaudithook(audit)
    main_module = sys.modules["__main__"]
    if kind == "script":
        sys.argv[:] = [target] + args
        sys.path[0] = os.path.dirname(target)
        with open(target, "rb") as f:
            code = compile(f.read(), target, "exec")
        loader = sys.modules["_frozen_importlib_external"].SourceFileLoader("__main__", target)
        main_module.__dict__.update(__file__=target, __cached__=None, __loader__=loader)
    else:
        sys.argv[:] = ["-m" if kind == "module" else target] + args
        sys.path[0] = app_dir
    path = list(sys.path)

    def run():
        if kind == "script":
            exec(code, main_module.__dict__)  # noqa: S102 (the app's script, as python runs it)
        elif kind == "module":
            import runpy

            runpy._run_module_as_main(target)
        else:
            module, _, function = target.partition(":")
            sys.exit(getattr(__import__(module, fromlist=["_"]), function)())

    try:
        run()
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as error:  # noqa: BLE001
        # As python prints it, less this code's own frames.
        tb = error.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename == "<string>":
            tb = tb.tb_next
        sys.excepthook(type(error), error.with_traceback(tb), tb)
        sys.exit(1)


main()
