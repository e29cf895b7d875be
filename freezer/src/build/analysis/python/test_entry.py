# Tests of what a MODULE:FUNCTION entry point's module is seen to bind (entry.py); run by
# every interpreter the freezer's unit tests find
# (analysis::tests::entry_functions_are_told_on_every_version).

import ast
import sys
import textwrap
import unittest

from .entry import module_level_names


def names(source):
    return module_level_names(ast.parse(textwrap.dedent(source)))


class ModuleLevelNamesTest(unittest.TestCase):
    def test_what_statements_bind(self):
        found = names(
            """
            import os.path, json as j
            from x import y, z as w
            def f(a=1): b = 2
            async def g(): pass
            class C:
                inner = 1
            v = u = 0
            (t, [s, *r]) = 1, [2, 3]
            n: int = 1
            for i in (): pass
            with open("x") as fh: pass
            try:
                import tomllib
            except ImportError:
                tomllib = None
            if True:
                def h(): pass
            """
        )
        for name in ("os", "j", "y", "w", "f", "g", "C", "v", "u", "t", "s", "r", "n", "i"):
            self.assertIn(name, found)
        for name in ("fh", "tomllib", "h"):
            self.assertIn(name, found)
        for name in ("a", "b", "inner", "json", "x", "z", "path"):
            self.assertNotIn(name, found)
        if sys.version_info >= (3, 10):
            found = names("match 1:\n    case [a, *b]: pass\n    case {'k': c, **d}: pass\n")
            self.assertTrue({"a", "b", "c", "d"} <= found, found)

    def test_a_function_declaring_a_global_may_bind_it(self):
        self.assertIn("late", names("def setup():\n    global late\n    late = 1\n"))

    def test_what_cannot_be_told_is_none(self):
        for source in (
            "from x import *",
            "globals()['main'] = print",
            "vars().update(main=print)",
            "exec('def main(): pass')",
            "def __getattr__(name): return print",
            "import sys\nsetattr(sys.modules[__name__], 'main', print)",
        ):
            self.assertIsNone(names(source), source)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]])
