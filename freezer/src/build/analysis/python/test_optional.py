# Tests of what tells an optional import from another: the guards the compiler workers
# find (compile.GUARDS) as scan reports them, and the distributions' declared
# dependencies (distributions.py); run by every interpreter the freezer's unit tests find
# (analysis::tests::optional_imports_are_told_on_every_version).

import os
import sys
import tempfile
import textwrap
import unittest

from .compile import GUARDS
from .distributions import Distributions, marker_environment, marker_holds
from .observe import Unobserved
from .scan import CALL, scan

EAGER, LAZY = True, False
WORKER = {}
exec(GUARDS, WORKER)  # noqa: S102 (the worker's own source, as it runs there)


def guarded_imports(source):
    """The imports scan finds with their guards, without their lines (see test_scan)."""
    source = textwrap.dedent(source).encode()
    code = compile(source, "m.py", "exec", dont_inherit=True)
    return {found[:5] for found in scan(code, WORKER["guards"](source, "m.py"))}


class GuardTest(unittest.TestCase):
    def test_try_bodies_and_their_handlers(self):
        found = guarded_imports(
            """
            try:
                import _fast
            except ImportError:
                import slow
            try:
                from json import loads
            except (ValueError, ModuleNotFoundError):
                loads = None
            else:
                import after
            def f():
                try:
                    import inner
                except ImportError:
                    import inner_fallback
            class C:
                try:
                    import in_class
                except ImportError:
                    import class_fallback
            try:
                import importlib
                mod = importlib.import_module("literal")
            except Exception:
                pass
            try:
                import not_import_errors
            except ValueError:
                import other
            import plain
            """
        )
        self.assertEqual(
            found,
            {
                ("_fast", 0, None, EAGER, 1),
                ("slow", 0, None, EAGER, -1),
                ("json", 0, ("loads",), EAGER, 2),
                ("after", 0, None, EAGER, 0),
                ("inner", 0, None, LAZY, 0),
                ("inner_fallback", 0, None, LAZY, 0),
                ("in_class", 0, None, EAGER, 3),
                ("class_fallback", 0, None, EAGER, -3),
                ("importlib", 0, None, EAGER, 4),
                ("literal", CALL, None, EAGER, 4),
                ("not_import_errors", 0, None, EAGER, 0),
                ("other", 0, None, EAGER, 0),
                ("plain", 0, None, EAGER, 0),
            },
        )

    def test_nested_tries_give_the_innermost(self):
        found = guarded_imports(
            """
            try:
                import outer
                try:
                    import inner
                except ImportError:
                    import inner_fallback
            except ImportError:
                import outer_fallback
            """
        )
        self.assertEqual(
            found,
            {
                ("outer", 0, None, EAGER, 1),
                ("inner", 0, None, EAGER, 2),
                ("inner_fallback", 0, None, EAGER, -2),
                ("outer_fallback", 0, None, EAGER, -1),
            },
        )

    def test_only_sources_that_name_a_failed_import_are_parsed(self):
        source = b"try:\n    import x\nexcept:\n    import y\n"
        self.assertEqual(WORKER["guards"](source, "m.py"), ())
        self.assertEqual(len(WORKER["guards"](source + b"# ImportError\n", "m.py")), 1)


class MarkerTest(unittest.TestCase):
    def test_markers(self):
        env = dict(marker_environment(), python_version="3.12", sys_platform="linux", extra="")
        self.assertTrue(marker_holds('python_version >= "3.8"', env))
        # As versions, not strings: "3.12" < "3.9" as text.
        self.assertFalse(marker_holds('python_version < "3.9"', env))
        self.assertTrue(marker_holds("python_version ~= '3.10'", env))
        self.assertFalse(marker_holds('sys_platform == "win32"', env))
        self.assertTrue(marker_holds('sys_platform == "win32" or os_name != "nt"', env))
        self.assertFalse(marker_holds('extra == "socks"', env))
        self.assertTrue(marker_holds('extra == "socks"', dict(env, extra="socks")))
        self.assertTrue(marker_holds('"linux" in sys_platform', env))
        # What cannot be read keeps what it guards.
        self.assertTrue(marker_holds("python_version >>> '3'", env))


class RequiresTest(unittest.TestCase):
    def dist(self, site, name, requires=(), files=()):
        info = os.path.join(site, f"{name}-1.0.dist-info")
        os.makedirs(info)
        lines = [f"Name: {name}", "Version: 1.0"] + [f"Requires-Dist: {r}" for r in requires]
        with open(os.path.join(info, "METADATA"), "w") as f:
            f.write("\n".join(lines) + "\n\nRequires-Dist: not-a-header\n")
        with open(os.path.join(info, "RECORD"), "w") as f:
            f.write("".join(f"{path},sha256=x,1\n" for path in files))

    def test_declared_dependencies_with_installed_extras(self):
        with tempfile.TemporaryDirectory() as site:
            self.dist(
                site,
                "app_lib",
                [
                    "Plain-Dep>=1",
                    'windows-only; sys_platform == "win32"',
                    'fast; extra == "speed"',
                    'fast-extra-part; extra == "speed"',
                    'missing-one; extra == "partial"',
                    'plain-dep; extra == "partial"',
                ],
                ["app_lib/__init__.py"],
            )
            for name in ("plain_dep", "fast", "fast_extra_part", "windows_only"):
                self.dist(site, name, files=[f"{name}/__init__.py"])
            infos = sorted(
                (item, os.path.join(site, item))
                for item in os.listdir(site)
                if item.endswith(".dist-info")
            )
            dists = Distributions(Unobserved(), infos)
            self.assertEqual(dists.of_file(os.path.join(site, "fast", "__init__.py")), "fast")
            self.assertEqual(dists.of_file(os.path.join(site, "other.py")), None)
            self.assertEqual(dists.requires("app-lib"), {"plain-dep", "fast", "fast-extra-part"})
            self.assertEqual(dists.name("fast-extra-part"), "fast_extra_part")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]])
