# Tests of the evidence that a module opens its package's files by path (manifest.py's
# matching of scan.file_use's constants with the data files), run after the analysis'
# parts by every interpreter the freezer's unit tests find
# (analysis::tests::evidence_is_matched_on_every_version).

import sys
import textwrap
import unittest

from .manifest import builds_path_to_data, data_holders, data_paths, file_evidence, named_data
from .scan import file_use

DATA = [
    "babel-2.0.dist-info/RECORD",
    "babel/global.dat",
    "babel/locale-data/en.dat",
    "babel/py.typed",
    "pkg/sub/data/x.json",
    "pkg/include/pkg.h",
    "pkg/stubs/mod.pyi",
    "app/templates/page.html",
    "numpy/_core/lib/npymath.ini",
    "setuptools/_vendor/.lock",
    "setuptools/_vendor/wheel-0.43.dist-info/RECORD",
]
PACKAGES = ["app", "babel", "numpy", "numpy._core", "pkg", "pkg.sub", "setuptools"]
PATHS = data_paths([{"name": name, "origin": "/" + name} for name in DATA], PACKAGES)


class Reached:
    def __init__(self, kind="python", is_package=False):
        self.kind = kind
        self.is_package = is_package


class Analysis:
    def __init__(self, **modules):
        self.reached = modules


class EvidenceTest(unittest.TestCase):
    def test_only_real_data_counts(self):
        self.assertIn("babel/locale-data", PATHS)
        self.assertIn("babel/global.dat", PATHS)
        self.assertIn("numpy/_core/lib", PATHS)
        for not_data in (
            "babel/py.typed",
            "pkg/include",
            "pkg/stubs",
            "babel-2.0.dist-info",
            # A subpackage's directory is named for its import, not opened.
            "numpy/_core",
            # Nothing there but metadata and a hidden file.
            "setuptools/_vendor",
        ):
            self.assertNotIn(not_data, PATHS)

    def test_a_path_from_file_counts_where_data_lies(self):
        holders = data_holders(PATHS)
        source = "import os\nHERE = os.path.dirname(__file__)\n"
        use = file_use(compile(source, "m.py", "exec", dont_inherit=True))
        modules = {
            "babel.core": Reached(),
            "pkg.sub": Reached(is_package=True),
            "pkg.stubs.mod": Reached(),
            "tool": Reached(),
        }
        analysis = Analysis(**modules)
        found = {name: builds_path_to_data(analysis, name, use, holders) for name in modules}
        # pkg/stubs holds only typing stubs; a top-level module's directory is the
        # freezer's to judge.
        self.assertEqual(
            found, {"babel.core": True, "pkg.sub": True, "pkg.stubs.mod": False, "tool": True}
        )

    def test_named_data(self):
        cases = {
            ("babel", "global.dat"): ("babel", "babel/global.dat"),
            ("babel", "locale-data"): ("babel", "babel/locale-data"),
            ("babel", "./locale-data/"): ("babel", "babel/locale-data"),
            # A file that is not there, in a directory that is: the directory.
            ("babel", "locale-data/fr.dat"): ("babel", "babel/locale-data"),
            ("pkg/sub", "data/x.json"): ("pkg/sub", "pkg/sub/data/x.json"),
            ("pkg/sub/deeper", "../data"): ("pkg/sub", "pkg/sub/data"),
            ("babel", "py.typed"): None,
            ("babel", "en.dat"): None,
            ("babel", "../babel/global.dat"): None,
            ("babel", "locale-data/../global.dat"): None,
            ("pkg", "include"): None,
            ("", "babel"): None,
        }
        for (base, constant), expected in cases.items():
            with self.subTest(base=base, constant=constant):
                self.assertEqual(named_data(base, constant, PATHS), expected)

    def evidence(self, name, source, **modules):
        code = compile(textwrap.dedent(source), "m.py", "exec", dont_inherit=True)
        analysis = Analysis(**modules)
        return [
            (e["constant"], e["data"], e["package"], e["via"])
            for e in file_evidence(analysis, name, file_use(code), PATHS)
        ]

    def test_a_module_reading_file_names_its_package_data(self):
        source = """
            import os
            _dirname = os.path.join(os.path.dirname(__file__), "locale-data")
            def load():
                return open(os.path.join(os.path.dirname(__file__), "global.dat"), "rb")
            """
        self.assertEqual(
            self.evidence("babel.core", source, **{"babel.core": Reached()}),
            [
                ("global.dat", "babel/global.dat", "babel", "file"),
                ("locale-data", "babel/locale-data", "babel", "file"),
            ],
        )
        # The same code in a package's __init__ looks in the package's own directory.
        self.assertEqual(
            self.evidence("babel", source, babel=Reached(is_package=True)),
            self.evidence("babel.core", source, **{"babel.core": Reached()}),
        )

    def test_a_separate_parent_constant_climbs_to_the_parent_package(self):
        source = """
            import os
            BASE = os.path.join(os.path.dirname(__file__), "..", "data", "x.json")
            """
        self.assertEqual(
            self.evidence("pkg.sub.deeper", source, **{"pkg.sub.deeper": Reached(is_package=True)}),
            [("data", "pkg/sub/data", "pkg.sub", "file")],
        )

    def test_a_module_that_only_mentions_file_or_names_no_data(self):
        self.assertEqual(
            self.evidence("babel.core", "X = 'global.dat'\n", **{"babel.core": Reached()}), []
        )
        self.assertEqual(
            self.evidence(
                "babel.core", "X = (__file__, 'other.dat')\n", **{"babel.core": Reached()}
            ),
            [],
        )
        # A top-level module has no package directory of data.
        self.assertEqual(self.evidence("tool", "X = (__file__, 'babel')\n", tool=Reached()), [])

    def test_package_loader_names_the_package_whose_templates_it_lists(self):
        modules = {"web": Reached(), "app": Reached(is_package=True)}
        self.assertEqual(
            self.evidence("web", "import jinja2\nL = jinja2.PackageLoader('app')\n", **modules),
            [("templates", "app/templates", "app", "package_loader")],
        )
        # A package that is not bundled is no evidence.
        self.assertEqual(
            self.evidence("web", "import jinja2\nL = jinja2.PackageLoader('gone')\n", **modules),
            [],
        )


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]])
