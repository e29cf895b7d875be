# Tests of scan.py, run after it as one program by every interpreter the freezer's unit
# tests find (analysis::tests::the_scanner_reads_imports_on_every_version).

import sys
import textwrap
import unittest

from .scan import (
    ARGUMENT,
    CALL,
    MAIN_BLOCK,
    METADATA,
    PREFIX,
    SEARCH_DIR,
    TABLE,
    file_use,
    read_code,
    scan,
)

EAGER, LAZY = True, False


def imports_of(source, filename="m.py", guards=()):
    """The imports scan finds, without their guards (see GuardTest)."""
    code = compile(textwrap.dedent(source), filename, "exec", dont_inherit=True)
    return {found[:4] for found in scan(code, guards)}


class ScanTest(unittest.TestCase):
    def assert_imports(self, source, *expected):
        self.assertEqual(imports_of(source), set(expected))

    def test_top_level_imports(self):
        self.assert_imports(
            """
            import os
            import xml.dom.minidom
            import json as j
            from collections import OrderedDict, deque
            from email.mime import *
            """,
            ("os", 0, None, EAGER),
            ("xml.dom.minidom", 0, None, EAGER),
            ("json", 0, None, EAGER),
            ("collections", 0, ("OrderedDict", "deque"), EAGER),
            ("email.mime", 0, ("*",), EAGER),
        )

    def test_relative_imports(self):
        self.assert_imports(
            """
            from . import sibling
            from .. import a, b
            from .sub.mod import name
            """,
            ("", 1, ("sibling",), EAGER),
            ("", 2, ("a", "b"), EAGER),
            ("sub.mod", 1, ("name",), EAGER),
        )

    def test_imports_in_functions_are_lazy_and_class_bodies_eager(self):
        self.assert_imports(
            """
            def f():
                import json
                def g():
                    from os import path
                return [__import__("wave") for _ in ()]
            class C:
                import colorsys
                def method(self):
                    import sched
            handler = lambda: __import__("zlib")
            """,
            ("json", 0, None, LAZY),
            ("os", 0, ("path",), LAZY),
            ("wave", CALL, None, LAZY),
            ("colorsys", 0, None, EAGER),
            ("sched", 0, None, LAZY),
            ("zlib", CALL, None, LAZY),
        )

    def test_the_main_block(self):
        self.assert_imports(
            """
            import os
            if __name__ == "__main__":
                import argparse
                from pprint import pprint
            else:
                import colorsys
            import json
            if __name__ != "__main__":
                import wave
            """,
            ("os", 0, None, EAGER),
            ("argparse", 0, None, MAIN_BLOCK),
            ("pprint", 0, ("pprint",), MAIN_BLOCK),
            ("colorsys", 0, None, EAGER),
            ("json", 0, None, EAGER),
            ("wave", 0, None, EAGER),
        )

    def test_a_main_block_in_a_function_is_lazy(self):
        self.assert_imports(
            """
            def main():
                if __name__ == "__main__":
                    import argparse
            """,
            ("argparse", 0, None, LAZY),
        )

    def test_try_except_import_error(self):
        self.assert_imports(
            """
            try:
                import cPickle as pickle
            except ImportError:
                import pickle
            try:
                from _json import scanstring
            except ImportError:
                scanstring = None
            """,
            ("cPickle", 0, None, EAGER),
            ("pickle", 0, None, EAGER),
            ("_json", 0, ("scanstring",), EAGER),
        )

    def test_import_module_and_dunder_import_with_literals(self):
        self.assert_imports(
            """
            import importlib
            from importlib import import_module
            importlib.import_module("json.decoder")
            import_module("colorsys")
            __import__("wave")
            importlib.import_module(".relative", "pkg")
            name = "computed"
            importlib.import_module(name)
            def later():
                importlib.import_module("sched")
            """,
            ("importlib", 0, None, EAGER),
            ("importlib", 0, ("import_module",), EAGER),
            ("json.decoder", CALL, None, EAGER),
            ("colorsys", CALL, None, EAGER),
            ("wave", CALL, None, EAGER),
            ("sched", CALL, None, LAZY),
            ("", PREFIX, None, EAGER),
        )

    def test_computed_names_with_a_literal_prefix(self):
        self.assert_imports(
            """
            import importlib
            importlib.import_module(f"rich._unicode_data.unicode{version}")
            def load(name, kind):
                importlib.import_module("anyio._backends._" + name)
                __import__("sqlalchemy.dialects.%s" % name)
                importlib.import_module("docutils.parsers.{}".format(name.lower()))
                importlib.import_module(f"pkg.{kind}.sub{name}")
                __import__("pkg_%s_%s" % (kind, name))
                importlib.import_module(f".unicode{name}", "rich._unicode_data")
            """,
            ("importlib", 0, None, EAGER),
            ("rich._unicode_data.unicode", PREFIX, None, EAGER),
            ("anyio._backends._", PREFIX, None, LAZY),
            ("sqlalchemy.dialects.", PREFIX, None, LAZY),
            ("docutils.parsers.", PREFIX, None, LAZY),
            ("pkg.", PREFIX, None, LAZY),
            ("pkg_", PREFIX, None, LAZY),
            (".unicode", PREFIX, None, LAZY),
            # The package argument, a dotted name in code that imports by computed name.
            ("rich._unicode_data", TABLE, None, EAGER),
        )

    def test_an_importer_imported_into_the_function_that_calls_it(self):
        self.assert_imports(
            """
            def load(name):
                from importlib import import_module
                import_module("pkg.plugins")
                return import_module(f"pkg.locales.{name}.locale")
            """,
            ("importlib", 0, ("import_module",), LAZY),
            ("pkg.plugins", CALL, None, LAZY),
            ("pkg.locales.", PREFIX, (".locale",), LAZY),
        )

    def test_literals_with_more_arguments_are_not_prefixes(self):
        self.assert_imports(
            """
            __import__("os", globals(), locals(), ["path"], 0)
            __import__("json", {}, {}, [])
            importlib.import_module("colorsys", package=__package__)
            importlib.import_module("x".upper())
            importlib.import_module(".sibling", __package__)
            importlib.import_module(".plugin_" + name, __package__)
            """,
            ("os", CALL, None, EAGER),
            ("json", CALL, None, EAGER),
            ("colorsys", CALL, None, EAGER),
            (".plugin_", PREFIX, None, EAGER),
        )

    def test_a_name_computed_whole_lists_the_dotted_constants(self):
        self.assert_imports(
            """
            _names = ["dbm.gnu", "dbm.ndbm", "not a module", "plain"]
            PLUGINS = {"a": "pkg.plugins.a:Plugin", "b": "pkg.plugins.b"}
            PACKAGES = ("pkg.languages.", "")
            def open_db(name):
                return __import__(name, fromlist=["open"])
            def load(version):
                name = f".unicode{version}"
                label = "version " + version
                return import_module(name, __package__)
            """,
            ("", PREFIX, None, LAZY),
            ("open_db", ARGUMENT, None, LAZY),
            (".unicode", PREFIX, None, LAZY),
            ("dbm.gnu", TABLE, None, LAZY),
            ("dbm.ndbm", TABLE, None, LAZY),
            ("pkg.plugins.a", TABLE, None, LAZY),
            ("pkg.plugins.b", TABLE, None, LAZY),
            ("pkg.languages.", TABLE, None, LAZY),
        )
        # Without an import by computed name, names are only names.
        self.assert_imports(
            '_names = ["dbm.gnu"]\nimport_module("json")\n', ("json", CALL, None, EAGER)
        )

    def test_bare_names_passed_to_the_modules_own_callables(self):
        self.assert_imports(
            """
            def _import(name):
                __import__(name)
            class Moved:
                def __init__(self, name, old, new=None):
                    self.mod = new or name
            MOVES = [Moved("configparser", "ConfigParser"), other("json"), helper(Moved, "wave")]
            maybe = Moved("c", "abc" if PY3 else "colorsys")
            def later():
                return Moved(name="sched")
            print("email")
            """,
            ("", PREFIX, None, LAZY),
            ("_import", ARGUMENT, None, LAZY),
            ("configparser", TABLE, None, LAZY),
            ("ConfigParser", TABLE, None, LAZY),
            ("sched", TABLE, None, LAZY),
            # Python 3.8 to 3.10 keep a function's qualified name among the constants.
            *([("Moved.__init__", TABLE, None, LAZY)] if sys.version_info < (3, 11) else []),
        )
        # Without an import by computed name, a bare word is only a word.
        self.assert_imports('def f(x):\n    pass\nf("queue")\n')

    def test_a_function_that_imports_its_parameter_is_named(self):
        self.assert_imports(
            """
            from importlib import import_module
            def select_backend(name):
                return import_module(name)
            def computed(x):
                return import_module(x + "_backend")
            class C:
                def method(self, name):
                    return import_module(name)
            """,
            ("importlib", 0, ("import_module",), EAGER),
            ("select_backend", ARGUMENT, None, LAZY),
            ("", PREFIX, None, LAZY),
            *([("C.method", TABLE, None, LAZY)] if sys.version_info < (3, 11) else []),
        )

    def test_a_function_that_imports_a_name_made_from_its_parameter_is_named(self):
        self.assert_imports(
            """
            from importlib import import_module
            def lazy_call(full_name):
                def handler():
                    module, _, attr = full_name.rpartition(".")
                    return getattr(import_module(module), attr)()
                return handler
            def no_parameter():
                name = compute()
                return import_module(name)
            """,
            ("importlib", 0, ("import_module",), EAGER),
            ("lazy_call", ARGUMENT, None, LAZY),
            ("", PREFIX, None, LAZY),
        )

    def test_a_literal_suffix_after_the_computed_part(self):
        self.assert_imports(
            """
            def load(name, a, b):
                import_module(f"pkg.locales.{name}.locale")
                __import__("pkg.%s.sub" % name)
                __import__("pkg.{}.sub.x".format(name))
                __import__("other.{}.{}".format(a, b))
                __import__(f"more.{a}.x.{b}")
                __import__(f"last.{name}not")
            """,
            ("pkg.locales.", PREFIX, (".locale",), LAZY),
            ("pkg.", PREFIX, (".sub",), LAZY),
            ("pkg.", PREFIX, (".sub.x",), LAZY),
            ("other.", PREFIX, None, LAZY),
            ("more.", PREFIX, None, LAZY),
            ("last.", PREFIX, None, LAZY),
        )

    def test_directories_put_on_sys_path_from_file(self):
        self.assert_imports(
            """
            import os
            import sys
            sys.path.extend([os.path.join(os.path.dirname(__file__), "_vendor")])
            def elsewhere():
                sys.path.append("plain")
            """,
            ("os", 0, None, EAGER),
            ("sys", 0, None, EAGER),
            ("_vendor", SEARCH_DIR, None, EAGER),
            # Python 3.8 to 3.10 keep a function's qualified name among the constants.
            *([("elsewhere", SEARCH_DIR, None, EAGER)] if sys.version_info < (3, 11) else []),
        )

    def test_distributions_whose_metadata_is_read_by_name(self):
        self.assert_imports(
            """
            import importlib.metadata as md
            from pkg_resources import get_distribution
            print(md.version("numpy"))
            def f(name):
                md.requires("Rich_Text")
                md.version(name)
                md.version("pre" + name)
                return get_distribution("setuptools").version
            """,
            ("importlib.metadata", 0, None, EAGER),
            ("pkg_resources", 0, ("get_distribution",), EAGER),
            ("numpy", METADATA, None, EAGER),
            ("Rich_Text", METADATA, None, LAZY),
            ("setuptools", METADATA, None, LAZY),
        )

    def test_find_spec_and_files_with_literals_only(self):
        self.assert_imports(
            """
            import importlib.util
            from importlib import resources
            if importlib.util.find_spec("html.parser"):
                pass
            zones = resources.files("tzdata").joinpath("zones")
            importlib.util.find_spec(name)
            resources.files(package)
            importlib.util.find_spec("pkg." + name)
            """,
            ("importlib.util", 0, None, EAGER),
            ("importlib", 0, ("resources",), EAGER),
            ("html.parser", CALL, None, EAGER),
            ("tzdata", CALL, None, EAGER),
        )

    def test_arguments_past_extended_arg(self):
        # Over 256 names and constants: the import's arguments take EXTENDED_ARG.
        assignments = "".join(f"v{i} = {i}\n" for i in range(300))
        self.assert_imports(
            assignments + 'from os import path\nimportlib.import_module("colorsys")\n',
            ("os", 0, ("path",), EAGER),
            ("colorsys", CALL, None, EAGER),
        )

    def file_use_of(self, source):
        return file_use(compile(textwrap.dedent(source), "m.py", "exec", dont_inherit=True))

    def test_file_use_keeps_path_constants_of_code_that_reads_file(self):
        reads, builds, constants, loaders = self.file_use_of(
            """
            import os
            def global_dat():
                return open(os.path.join(os.path.dirname(__file__), "global.dat"))
            STYLES = ["minimal.css", "plain.css"]
            MESSAGE = "cannot open the file"
            """
        )
        self.assertEqual((reads, builds, loaders), (True, True, ()))
        self.assertLessEqual({"global.dat", "minimal.css", "plain.css"}, set(constants))
        # A message is not a path.
        self.assertNotIn("cannot open the file", constants)

    def test_file_use_sees_pathlib_and_nested_code(self):
        for source in (
            "from pathlib import Path\nDATA = Path(__file__).with_name('mpl-data')\n",
            "import os\nclass C:\n    def f(self):\n        return os.path.dirname(__file__)\n",
        ):
            with self.subTest(source=source):
                reads, builds, _, _ = self.file_use_of(source)
                self.assertTrue(reads and builds)

    def test_file_use_without_a_path(self):
        # Reading __file__ to print it builds no path; code that never reads it keeps no
        # constants.
        self.assertEqual(self.file_use_of("print(__file__, 'x.txt')")[:2], (True, False))
        self.assertEqual(self.file_use_of("X = 'data/x.json'\n"), (False, False, (), ()))

    def test_file_use_finds_package_loader_targets(self):
        reads, _, constants, loaders = self.file_use_of(
            """
            import jinja2
            from jinja2 import PackageLoader
            a = jinja2.PackageLoader("myapp", "templates")
            def f():
                return PackageLoader("other.pkg")
            """
        )
        self.assertFalse(reads)
        self.assertEqual(loaders, ("myapp", "other.pkg"))
        self.assertIn("templates", constants)

    def test_each_import_comes_with_its_first_line(self):
        source = textwrap.dedent(
            """
            import os

            def f():
                import json
                import os
            import importlib
            importlib.import_module("colorsys")
            import os
            """
        )
        code = compile(source, "m.py", "exec", dont_inherit=True)
        lines = {(name, eager): line for name, _, _, eager, _, line in scan(code)}
        self.assertEqual(
            lines,
            {
                ("os", EAGER): 2,
                ("json", LAZY): 5,
                ("os", LAZY): 6,
                ("importlib", EAGER): 7,
                ("colorsys", EAGER): 8,
            },
        )

    def test_read_code(self):
        code = compile("import os\nX = __file__\n", "m.py", "exec")
        imports, use = read_code("m", code)
        self.assertEqual(imports, (("os", 0, None, EAGER, 0, 1),))
        self.assertEqual(use[:2], (True, False))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]])
