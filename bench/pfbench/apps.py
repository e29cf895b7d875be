"""The apps benchmarked (their sources are in bench/apps/), and the copies made of them."""

import shutil
from dataclasses import dataclass
from pathlib import Path

APPS_DIR = Path(__file__).resolve().parent.parent / "apps"
PADDING_MODULES = 2000
PADDING_PACKAGE = "bench_padding"


@dataclass
class App:
    name: str
    about: str
    source: Path
    requirements: Path = None  # installed into the venvs, so python main.py and every tool see them


def all_apps():
    def app(name, about):
        source = APPS_DIR / name
        req = source / "requirements.txt"
        return App(name, about, source, req if req.exists() else None)

    return [
        app("hello", "prints a line"),
        app("stdlib", "argparse, json, email, http.client, asyncio, decimal, sqlite3, ssl, "
                      "ctypes, hashlib, unicodedata"),
        app("thirdparty", "click + rich from PyPI"),
    ]


def pool_app():
    """The app of the multiprocessing memory row only: it has no start-up table (its start is
    the pool's, the same in every build), so it is not one of all_apps()."""
    return App("pool", "a multiprocessing.Pool(8), every worker has run a task",
               APPS_DIR / "pool")


def copy_app(app_source, dest):
    """A fresh copy of the app's sources (no bytecode, no requirements file)."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(app_source, dest,
                    ignore=shutil.ignore_patterns("__pycache__", "requirements.txt"))
    return Path(dest)


def add_padding(app_dir, count=PADDING_MODULES):
    """Adds a package of `count` tiny modules that the app never imports: a bundle that
    holds them must start as fast as one without (lookups must not scale with size)."""
    package = Path(app_dir) / PADDING_PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text('"""Never imported: only makes the bundle bigger."""\n')
    for i in range(count):
        (package / f"m{i:04d}.py").write_text(
            f"VALUE = {i}\n\n\ndef value():\n    return VALUE\n")
    return PADDING_PACKAGE
