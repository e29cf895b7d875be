"""The console scripts: each function's result is the exit status, as pip's wrappers make it."""

import sys

from greeter import words


def greet():
    """Greets the names given, in the language of --lang (English by default)."""
    args = sys.argv[1:]
    language = "en"
    if args[:1] == ["--lang"]:
        language, args = args[1], args[2:]
    if language not in words.GREETINGS:
        print("unknown language:", language, file=sys.stderr)
        return 2
    print(words.greeting(" and ".join(args) or "world", language))
    return 0


def info():
    """Prints how the interpreter runs: [tool.pyfreeze] sets it for the frozen app."""
    print("optimize:", sys.flags.optimize)
    print("__debug__:", __debug__)
    print("utf8_mode:", sys.flags.utf8_mode)
    print("docstrings:", info.__doc__ is not None)
    try:
        assert False, "asserts run"
        print("asserts: skipped")
    except AssertionError:
        print("asserts: run")
    return len(sys.argv) - 1
