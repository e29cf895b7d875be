"""Imported first by every corpus app (the runner adds `import _corpus_probe` as the app's
first line): at exit, writes every entry of sys.modules to the file named by
CORPUS_MODULES_OUT, one per line: `name<TAB>kind`, sorted by name.

kind is what the module is, as its spec tells: builtin, frozen, extension, source,
namespace (a PEP 420 package), alias (sys.modules[name].__name__ is another name:
re-exported modules), other (no spec or no origin: a module made at run time, such as
six.moves, which a meta-path finder of six's makes). Standard library only, and
imports nothing that a frozen app without `site` does not already have at start-up."""

import atexit
import os
import sys


def _kind(name, module):
    if getattr(module, "__name__", None) != name:
        return "alias"
    spec = getattr(module, "__spec__", None)
    if spec is None:
        return "builtin" if name in sys.builtin_module_names else "other"
    origin = spec.origin
    if origin == "built-in" or name in sys.builtin_module_names:
        return "builtin"
    if origin == "frozen" or name.startswith("_frozen_importlib"):
        return "frozen"
    if origin is None and spec.submodule_search_locations is not None and (
            spec.loader is None or type(spec.loader).__name__ == "NamespaceLoader"):
        return "namespace"
    if isinstance(origin, str) and origin.endswith((".so", ".pyd")):
        return "extension"
    if origin is None:
        return "other"
    return "source"


def _write():
    path = os.environ.get("CORPUS_MODULES_OUT")
    if not path:
        return
    lines = []
    for name, module in sorted(sys.modules.copy().items()):
        try:
            kind = _kind(name, module)
        except Exception:  # noqa: BLE001 (a lazy module whose attribute access fails)
            kind = "other"
        lines.append(f"{name}\t{kind}\n")
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(lines)


atexit.register(_write)
