# Whether a MODULE:FUNCTION entry point's module defines FUNCTION: the stub calls
# getattr(module, FUNCTION)(), so a name the module does not bind would fail only when
# the frozen app starts. What cannot be told from the source is accepted.

import ast

from .closure import Module
from .protocol import Failure

# Names through which a module may bind names that no statement shows: globals()["x"],
# vars(), exec, setattr(sys.modules[__name__], ...), a module __getattr__ (PEP 562).
DYNAMIC_NAMES = frozenset(
    {"globals", "vars", "locals", "exec", "eval", "setattr", "__getattr__", "__import__"}
)
DYNAMIC_ATTRIBUTES = frozenset({"__dict__", "modules", "__setattr__"})
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def module_level_names(tree):
    """The names `tree` binds at module level, or None if it may bind others too."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            return None
        if isinstance(node, ast.Name) and node.id in DYNAMIC_NAMES:
            return None
        if isinstance(node, ast.Attribute) and node.attr in DYNAMIC_ATTRIBUTES:
            return None
        if isinstance(node, ast.Global):
            # A function that declares it global may bind it when called.
            names.update(node.names)
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, SCOPES):
                if not isinstance(child, ast.Lambda):
                    names.add(child.name)
                # Decorators, defaults and bases run at module level; the body does not.
                stack.extend(getattr(child, "decorator_list", ()))
                stack.extend(getattr(child, "bases", ()))
                stack.extend(getattr(child, "keywords", ()))
                if not isinstance(child, ast.ClassDef):
                    stack.append(child.args)
                continue
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                names.add(child.id)
            elif isinstance(child, ast.alias):
                names.add(child.asname or child.name.partition(".")[0])
            elif type(child).__name__ in ("MatchAs", "MatchStar") and child.name:
                names.add(child.name)
            elif type(child).__name__ == "MatchMapping" and child.rest:
                names.add(child.rest)
            stack.append(child)
    return None if "__getattr__" in names else names


def check_entry_function(analysis, entry):
    """Fails with "entry_function_missing" if the module of a MODULE:FUNCTION entry point
    is Python source that surely does not bind FUNCTION (nor has a submodule of that name,
    which an import may have set as an attribute)."""
    if entry["kind"] != "function":
        return
    name, function = entry["module"], entry["function"]
    module = analysis.reached.get(name)
    if module is None or module.kind != "python" or not (module.origin or "").endswith(".py"):
        return
    if isinstance(analysis.find(name + "." + function), Module):
        return
    try:
        tree = ast.parse(analysis.observations.read_file(module.origin), module.origin)
    except (OSError, SyntaxError, ValueError):
        return
    names = module_level_names(tree)
    if names is not None and function not in names:
        raise Failure("entry_function_missing", module=name, function=function, file=module.origin)
