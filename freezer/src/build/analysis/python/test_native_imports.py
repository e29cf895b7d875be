# Tests of native_imports.py, run after it (and the parts it needs) as one program by every
# interpreter the freezer's unit tests find
# (analysis::tests::native_imports_are_found_on_every_version).

import os
import sys
import tempfile
import unittest

from .native_imports import NativeImports, remove_tree
from .observe import Unobserved


class Reached:
    def __init__(self, origin):
        self.origin = origin
        self.kind = "extension"


class FakeAnalysis:
    """What named_modules uses of the analysis: modules reached, found, read."""

    def __init__(self, reached, existing):
        self.reached = reached
        self.existing = existing
        self.observations = Unobserved()

    def find(self, name):
        return Reached(None) if name in self.existing else None


class NativeImportsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.path = [self.dir] + [p for p in sys.path if p]

    def tearDown(self):
        remove_tree(self.dir)

    def write(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(text)

    def test_what_extension_modules_import_at_init(self):
        native = NativeImports()
        native.probe(self.path, ["_pickle", "_elementtree"])
        self.assertEqual(native.failures, {})
        self.assertIn("copyreg", native.imports["_pickle"])
        self.assertIn("_compat_pickle", native.imports["_pickle"])
        # Already imported by another module in the same child: still recorded.
        self.assertIn("xml.etree.ElementPath", native.imports["_elementtree"])
        self.assertIn("copy", native.imports["_elementtree"])
        # Loaded on the way (by _elementtree), so known without a child of its own.
        self.assertIn("pyexpat", native.imports)

    def test_a_module_another_one_makes_imports_nothing_of_its_own(self):
        # As mypyc's group of modules puts its members into sys.modules without the
        # import system: what they import is recorded as the group's.
        self.write(
            "maker.py", "import sys, types\nsys.modules['made'] = types.ModuleType('made')\n"
        )
        native = NativeImports()
        native.probe(self.path, ["maker", "made"])
        self.assertEqual(native.imports["made"], ())
        self.assertNotIn("made", native.failures)

    def test_a_crash_a_hang_and_an_exception_are_blamed_and_the_rest_goes_on(self):
        self.write("crashes.py", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
        self.write("hangs.py", "import time\ntime.sleep(60)\n")
        self.write("raises.py", "raise RuntimeError('no')\n")
        native = NativeImports(timeout=2)
        native.probe(self.path, ["crashes", "hangs", "raises", "_pickle"])
        self.assertIn("signal 11", native.failures["crashes"])
        self.assertIn("did not finish in 2 s", native.failures["hangs"])
        self.assertEqual(native.failures["raises"], "RuntimeError: no")
        self.assertIn("copyreg", native.imports["_pickle"])
        self.assertNotIn("_pickle", native.failures)

    def test_modules_of_its_package_named_in_its_strings(self):
        self.write(
            "ext.so",
            "\0pkg._later\0pkg.Type\0pkg._native\0xpkg.other\0pkg.\0"
            "see pkg._doc.\0pkg._doc in a docstring\0",
        )
        analysis = FakeAnalysis(
            {"pkg._native": Reached(os.path.join(self.dir, "ext.so"))},
            {"pkg._later", "pkg._doc", "xpkg.other"},
        )
        self.assertEqual(NativeImports.named_modules(analysis, "pkg._native"), {"pkg._later"})


unittest.main(argv=["test_native_imports"], exit=False)
