"""setuptools: finds packages, reads a pyproject.toml, and installed distributions' metadata."""
# dists: setuptools
import importlib.metadata
import os
import tempfile

import setuptools
from setuptools.config.pyprojecttoml import read_configuration

root = tempfile.mkdtemp()
for pkg in ("app", "app/sub", "tests"):
    os.makedirs(os.path.join(root, pkg))
    open(os.path.join(root, pkg, "__init__.py"), "w").close()
with open(os.path.join(root, "pyproject.toml"), "w") as f:
    f.write('[project]\nname = "demo"\nversion = "1.2"\ndependencies = ["rich>=13"]\n')
print(sorted(setuptools.find_packages(root, exclude=["tests"])))
print(read_configuration(os.path.join(root, "pyproject.toml"))["project"])
d = setuptools.Distribution({"name": "demo", "version": "1.2", "py_modules": ["x"]})
print(d.get_name(), d.get_version(), d.metadata.get_fullname())
print("setuptools metadata version:", importlib.metadata.version("setuptools") == setuptools.__version__)
print("numpy requires nothing:", importlib.metadata.requires("numpy") is None)
