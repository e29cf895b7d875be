#!/usr/bin/env python3
"""The popular-packages corpus: freezes one smoke-test app per PyPI package and compares the
frozen app, run with the virtualenv and every Python hidden, with the same app under CPython.

    python3 bench/corpus/run.py [--python 3.12] [--only numpy,rich] [-j N] [--no-build]

One command (standard library only, Python >= 3.8): builds pyfreeze (cargo build --release),
makes one virtualenv under target/corpus/ and installs bench/corpus/requirements.txt into it
(binary wheels only), then for each app in bench/corpus/apps/: runs it twice under CPython
(it must pass and print the same both times), freezes it, runs the bundle in a user and
mount namespace where the pyenv root, the system's Python directories and the virtualenv are
hidden under empty tmpfs mounts, and compares exit status, stdout, stderr (paths masked) and
the modules in sys.modules at exit. Prints a table (also target/corpus/report.txt and
report.json). Exit 0 when the corpus ran, whatever failed in it; 2 when it could not run
(cargo, venv or pip failed). See bench/corpus/README.md.
"""

import argparse
import concurrent.futures
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))

from pfbench import pythons
from pfbench.procs import TimedOut, clean_env, last_line_of_file, run_bounded

CARGO_TIMEOUT = 1800
PIP_TIMEOUT = 1800
DEFAULT_BUILD_TIMEOUT = 600
DEFAULT_RUN_TIMEOUT = 120
PROBE = "_corpus_probe"
PROBE_LINE = f"import {PROBE}  # added by bench/corpus/run.py\n"

# Modules that are in sys.modules at exit in only one of the two modes by construction, so the
# module-set comparison leaves them out (bench/corpus/README.md says why, one by one):
IGNORED_MODULES = {
    "site": "CPython imports it at start-up; a bundle runs as `python -I -S`",
    "_sitebuiltins": "imported by site (exit, quit, help builtins)",
    "sitecustomize": "imported by site if present",
    "usercustomize": "imported by site if present",
    "_distutils_hack": "setuptools' distutils-precedence.pth, run by site",
    "_bootlocale": "3.8 and 3.9: imported by site, which reads pyvenv.cfg and .pth files as text",
}
IGNORED_PREFIXES = {
    "_pyfreeze": "the bundle's own runtime (its importer), never in a CPython run",
}
# CPython's file-system loaders answer importlib.resources with importlib.readers (which
# imports zipfile, pathlib ...); a bundle's importer answers with a reader of its own. When
# the CPython run imported importlib.readers and the frozen run did not, the modules that
# `import importlib.readers` brings in (computed at start: loader_only()) are left out of the
# comparison and of recall, where CPython imported them and the frozen run did not.
LOADER_READERS = "importlib.readers"
# Not counted for recall: these cannot be bundled entries, in either mode.
NOT_BUNDLABLE = {"_frozen_importlib", "_frozen_importlib_external"}


class CorpusFailed(Exception):
    """The corpus itself could not run (cargo, venv, pip)."""


def log(msg):
    print("corpus: " + msg, file=sys.stderr, flush=True)


def ignored(name):
    return name in IGNORED_MODULES or any(name.startswith(p) for p in IGNORED_PREFIXES)


# --------------------------------------------------------------------------------------------
# Setting up: pyfreeze, the interpreter, the virtualenv


def build_pyfreeze(args, work):
    target = Path(args.target_dir)
    pyfreeze = target / "release" / "pyfreeze"
    if not args.no_build:
        argv = ["cargo", "build", "--release", "-p", "pyfreeze", "-p", "pyfreeze-stub",
                "--target-dir", str(target)]
        log(" ".join(argv))
        log_path = work / "cargo-build.log"
        try:
            done = run_bounded(argv, CARGO_TIMEOUT, cwd=ROOT, log_path=log_path)
        except TimedOut as e:
            raise CorpusFailed(f"cargo build: {e}")
        if done.returncode != 0:
            raise CorpusFailed(f"cargo build failed: {last_line_of_file(log_path)} (log: {log_path})")
    if not pyfreeze.is_file():
        raise CorpusFailed(f"{pyfreeze} is missing (run without --no-build)")
    return pyfreeze


def prepare_venv(interp, work):
    """One virtualenv per interpreter, remade whenever requirements.txt changes."""
    requirements = HERE / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes() + interp.exe.encode()).hexdigest()[:16]
    venv = work / f"venv-{interp.version}"
    stamp = venv / ".corpus-requirements"
    python = venv / "bin" / "python"
    if stamp.is_file() and stamp.read_text().strip() == digest and python.exists():
        log(f"reusing {venv}")
        return python, venv
    shutil.rmtree(str(venv), ignore_errors=True)
    log("creating {} and installing {} packages (binary wheels only)".format(
        venv, sum(1 for line in requirements.read_text().splitlines()
                  if line.strip() and not line.startswith("#"))))
    steps = [
        ([interp.exe, "-m", "venv", str(venv)], "venv.log"),
        ([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q",
          "--only-binary", ":all:", "-r", str(requirements)], "pip-install.log"),
    ]
    for argv, name in steps:
        log_path = work / name
        try:
            done = run_bounded(argv, PIP_TIMEOUT, env=clean_env(), log_path=log_path)
        except TimedOut as e:
            raise CorpusFailed(f"{name}: {e}")
        if done.returncode != 0:
            raise CorpusFailed("{} failed: {} (log: {})".format(
                " ".join(argv[:4]), last_line_of_file(log_path), log_path))
    stamp.write_text(digest + "\n")
    return python, venv


def python_dirs():
    """Where a Python can live: the pyenv root, /usr/lib/python3*, /usr/local/lib/python3*."""
    dirs = [pythons._pyenv_root()]
    for parent in ("/usr/lib", "/usr/local/lib"):
        if os.path.isdir(parent):
            dirs += sorted(Path(parent) / n for n in os.listdir(parent)
                           if n.startswith("python3") and (Path(parent) / n).is_dir())
    return [d for d in dirs if d.is_dir()]


def unshare_unavailable():
    try:
        done = subprocess.run(["unshare", "-mr", "true"], capture_output=True, check=False)
    except OSError as e:
        return f"could not run unshare: {e}"
    if done.returncode != 0:
        return "`unshare -mr true` failed: {}".format(done.stderr.decode(errors="replace").strip())
    return None


# Mounts an empty tmpfs over each directory, checks that the interpreter no longer starts,
# then execs the bundle: `sh -c HIDE sh exe python dir...`
HIDE_SCRIPT = r"""
exe=$1; python=$2; shift 2
for dir in "$@"; do
    mount -t tmpfs corpus-hide "$dir" || { echo "corpus: could not mount a tmpfs over $dir" >&2; exit 97; }
done
if "$python" -c pass 2>/dev/null; then
    echo "corpus: $python still runs with every Python directory hidden" >&2; exit 98
fi
exec "$exe"
"""


# --------------------------------------------------------------------------------------------
# Apps


class App:
    def __init__(self, path):
        self.path = path
        self.name = path.stem
        self.text = path.read_text(encoding="utf-8")
        doc = re.match(r'\s*(?:"""|\'\'\')(.*?)(?:\n|"""|\'\'\')', self.text)
        self.title = doc.group(1).strip() if doc else ""
        m = re.search(r"^# dists: *(.+)$", self.text, re.MULTILINE)
        dists = [d.strip().lower().replace("_", "-") for d in (m.group(1).split(",") if m else [])]
        self.dists = list(dict.fromkeys(d for d in dists if d))  # in order: the first is tested
        m = re.search(r"^# timeout: *(\d+)", self.text, re.MULTILINE)
        self.timeout = int(m.group(1)) if m else None
        if re.search(r"^from __future__", self.text, re.MULTILINE):
            raise SystemExit(f"corpus: {path}: no `from __future__` in apps (the runner puts "
                             f"`import {PROBE}` first)")


def find_apps(only):
    apps = [App(p) for p in sorted((HERE / "apps").glob("*.py"))]
    if only:
        names = [n for n in only.split(",") if n]
        known = {a.name for a in apps}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise SystemExit("corpus: --only: unknown app(s) {} (known: {})".format(
                ", ".join(unknown), ", ".join(sorted(known))))
        apps = [a for a in apps if a.name in names]
    return apps


def write_if_changed(path, text):
    # Unchanged files keep their identity, so the build cache's analysis is reused.
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.write_text(text, encoding="utf-8")


def stage(app, work):
    """The app's directory as frozen and run: main.py (the app with the probe imported
    first) and _corpus_probe.py."""
    src = work / "apps" / app.name / "src"
    src.mkdir(parents=True, exist_ok=True)
    write_if_changed(src / "main.py", PROBE_LINE + app.text)
    write_if_changed(src / (PROBE + ".py"), (HERE / (PROBE + ".py")).read_text(encoding="utf-8"))
    for stale in src.iterdir():
        if stale.name not in ("main.py", PROBE + ".py", "__pycache__"):
            if stale.is_dir():
                shutil.rmtree(str(stale))
            else:
                stale.unlink()
    return src


# --------------------------------------------------------------------------------------------
# Running


class Run:
    def __init__(self, status, stdout, stderr, modules, seconds, timed_out=False):
        self.status, self.stdout, self.stderr = status, stdout, stderr
        self.modules, self.seconds, self.timed_out = modules, seconds, timed_out

    def status_text(self):
        if self.timed_out:
            return "timed out"
        if self.status < 0:
            return f"killed by signal {-self.status}"
        return f"exit {self.status}"


def read_modules(path):
    modules = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            name, _, kind = line.partition("\t")
            modules[name] = kind
    return modules


def run_app(argv, scratch, timeout, cwd_name="cwd"):
    """Runs argv in an empty directory, HOME and TMPDIR empty directories of their own."""
    scratch.mkdir(parents=True)
    cwd, home, tmp = scratch / cwd_name, scratch / "home", scratch / "tmp"
    for d in (cwd, home, tmp):
        d.mkdir()
    out = scratch / "modules.txt"
    env = clean_env(HOME=home, TMPDIR=tmp, CORPUS_MODULES_OUT=out)
    for var in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "MPLCONFIGDIR",
                "FORCE_COLOR", "NO_COLOR", "COLUMNS", "LINES", "TERM"):
        env.pop(var, None)
    start = time.monotonic()
    try:
        done = run_bounded(argv, timeout, cwd=str(cwd), env=env)
    except TimedOut:
        return Run(None, "", "", {}, time.monotonic() - start, timed_out=True)
    (scratch / "stdout.txt").write_bytes(done.stdout)
    (scratch / "stderr.txt").write_bytes(done.stderr)
    return Run(done.returncode, done.stdout.decode("utf-8", "replace"),
               done.stderr.decode("utf-8", "replace"), read_modules(out),
               time.monotonic() - start)


def mask(text, roots):
    """Paths below any of `roots` lose the root: a traceback's `File "ROOT/pkg/mod.py"`
    becomes `File "pkg/mod.py"`, any other mention `[P]/pkg/mod.py`. Longest root first."""
    roots = sorted({str(r).rstrip("/") for r in roots if str(r).strip("/")}, key=len,
                   reverse=True)
    lines = []
    for line in text.splitlines(keepends=True):
        for root in roots:
            line = line.replace(f'File "{root}/', 'File "')
            line = re.sub(re.escape(root) + r"(?![\w-])", "[P]", line)
        lines.append(line)
    return "".join(lines)


def error_lines(stderr):
    """The exception line of each traceback in stderr, in order (the first is the root cause
    when exceptions are chained); an empty message gets its next line appended. With no
    traceback, the last non-empty line."""
    lines = [l.rstrip() for l in stderr.splitlines() if l.strip()]
    found = []
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            for j in range(i + 1, len(lines)):
                if not lines[j].startswith(" "):
                    text = lines[j]
                    if text.endswith(":") and j + 1 < len(lines):
                        text += " " + lines[j + 1].strip()
                    found.append(text[:300])
                    break
    if not found and lines:
        found.append(lines[-1][:300])
    return found


def first_error_line(stderr):
    found = error_lines(stderr)
    return found[0] if found else ""


def classify(err_line, frozen):
    if frozen.timed_out:
        return "timeout"
    if frozen.status is not None and frozen.status < 0:
        return f"crash by signal {-frozen.status}"
    m = re.search(r"ModuleNotFoundError: No module named '([^']+)'", err_line)
    if m:
        return f"ModuleNotFoundError {m.group(1)}"
    if re.search(r"ImportError", err_line):
        return "ImportError"
    if re.search(r"FileNotFoundError|No such file or directory|NotADirectoryError|"
                 r"not found|does not exist|cannot find|Can't find|could not find", err_line,
                 re.IGNORECASE):
        return "missing data file"
    return "exception" if err_line else "wrong output"


def loader_only(python):
    """What importing importlib.readers (and importlib.resources.readers) adds to
    sys.modules once importlib.resources is imported (3.12: zipfile, threading, struct ...)."""
    code = ("import sys, importlib, importlib.resources; before = set(sys.modules)\n"
            "for name in ('importlib.readers', 'importlib.resources.readers'):\n"
            "    try:\n        importlib.import_module(name)\n"
            "    except ImportError:\n        pass\n"
            "print(' '.join(sorted(set(sys.modules) - before)))")
    done = subprocess.run([str(python), "-I", "-S", "-c", code], capture_output=True, text=True,
                          env=clean_env(), check=False)
    return set(done.stdout.split()) if done.returncode == 0 else {LOADER_READERS}


def loader_exempt(ref, frozen, ctx):
    """The CPython loader's own imports, when only the CPython run has importlib.readers."""
    if LOADER_READERS in ref and frozen is not None and LOADER_READERS not in frozen:
        return ctx["loader_only"]
    return set()


def compare_modules(ref, frozen, exempt=frozenset()):
    a = {n for n in ref if not ignored(n)}
    b = {n for n in frozen if not ignored(n)}
    return sorted(a - b - exempt), sorted(b - a)


def bundled_modules(pyfreeze, exe):
    done = subprocess.run([str(pyfreeze), "ls", "--json", str(exe)], capture_output=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError("pyfreeze ls failed: " + done.stderr.decode(errors="replace"))
    listing = json.loads(done.stdout.decode())
    return {e["name"] for e in listing["entries"] if e["kind"] in ("module", "extension")
            and not e["name"].startswith("_pyfreeze")}


def counted_imports(ref_modules):
    """What the CPython run imported that a bundle could hold as an entry: modules with a
    file (source, extension), namespace packages and frozen stdlib modules; not built-in
    modules, aliases (sys.modules[name] named otherwise) or modules made at run time."""
    return {n for n, k in ref_modules.items()
            if k in ("source", "extension", "namespace", "frozen")
            and not ignored(n) and n not in NOT_BUNDLABLE}


def recall_precision(ref_modules, bundled, exempt=frozenset()):
    """Recall: what CPython imported that the bundle holds, over what CPython imported;
    precision: the same over what the bundle holds. A module CPython took from its frozen
    table (os, codecs, zipimport ... on 3.11+) counts only if the bundle holds it: a bundle
    that does not gets it from libpython's same table."""
    imported = {n for n in counted_imports(ref_modules)
                if (ref_modules[n] != "frozen" or n in bundled)
                and (n not in exempt or n in bundled)}
    hit = imported & bundled
    return (len(hit) / len(imported) if imported else 1.0,
            len(hit) / len(bundled) if bundled else 1.0, sorted(imported - bundled))


def do_app(app, ctx):
    r = {"name": app.name, "title": app.title, "dists": app.dists, "result": "FAIL",
         "class": "", "error": "", "size": None, "build_s": None, "bundled": None,
         "recall": None, "precision": None, "missing": [], "extra": [],
         "recall_misses": [], "notes": []}
    work, timeout = ctx["work"], app.timeout or ctx["run_timeout"]
    appwork = work / "apps" / app.name
    src = stage(app, work)
    runs = appwork / "runs"
    shutil.rmtree(str(runs), ignore_errors=True)
    python, venv = ctx["python"], ctx["venv"]

    # The reference, twice: it must pass and be deterministic, else the app is at fault.
    refs = [run_app([str(python), "-E", "-s", str(src / "main.py")], runs / f"ref{i}",
                    timeout) for i in (1, 2)]
    ref = refs[0]
    ref_mask = [src, ctx["site_packages"], ctx["stdlib"], venv, runs / "ref1", runs / "ref2"]

    def ref_stderr(i):
        return mask(refs[i].stderr, ref_mask + [runs / f"ref{i + 1}"])

    if ref.timed_out or ref.status != 0:
        r.update(result="APP-BUG", error=first_error_line(ref.stderr) or ref.status_text())
        r["class"] = f"app fails under CPython ({ref.status_text()})"
        return r
    if (refs[0].status, refs[0].stdout, ref_stderr(0), sorted(refs[0].modules)) != \
            (refs[1].status, refs[1].stdout, ref_stderr(1), sorted(refs[1].modules)):
        r.update(result="APP-BUG", error=diff_line(refs[0].stdout, refs[1].stdout))
        r["class"] = "nondeterministic app"
        return r

    # Build.
    exe = appwork / app.name
    build_log = appwork / "build.log"
    start = time.monotonic()
    try:
        done = run_bounded([str(ctx["pyfreeze"]), "build", str(src), "-o", str(exe),
                            "--python", str(python)], ctx["build_timeout"],
                           env=clean_env(PYFREEZE_CACHE_DIR=work / "cache"), log_path=build_log)
        r["build_s"] = time.monotonic() - start
        built = done.returncode == 0 and exe.is_file()
    except TimedOut:
        r["build_s"] = time.monotonic() - start
        r.update(error="build timed out after {:.0f} s".format(ctx["build_timeout"]))
        r["class"] = "build failed"
        return r
    if not built:
        r.update(error=last_line_of_file(build_log))
        r["class"] = "build failed"
        return r
    r["size"] = exe.stat().st_size
    bundled = bundled_modules(ctx["pyfreeze"], exe)
    r["bundled"] = len(bundled)

    # The bundle, with every Python and the venv hidden.
    if ctx["unshare"] is None:
        argv = ["unshare", "-mr", "sh", "-c", HIDE_SCRIPT, "sh", str(exe), str(python)] + \
               [str(d) for d in ctx["hide"]]
    else:
        argv = [str(exe)]
    frozen = run_app(argv, runs / "frozen", timeout)
    if frozen.status in (97, 98) and frozen.stderr.startswith("corpus:"):
        raise CorpusFailed(frozen.stderr.strip())
    fro_stderr = mask(frozen.stderr, [exe, runs / "frozen"])
    exempt = loader_exempt(ref.modules, frozen.modules if frozen.modules else None, ctx)
    r["recall"], r["precision"], r["recall_misses"] = recall_precision(ref.modules, bundled,
                                                                       exempt)
    missing, extra = compare_modules(ref.modules, frozen.modules, exempt)
    r["missing"], r["extra"] = missing, extra
    same = (frozen.status, frozen.stdout, fro_stderr) == (ref.status, ref.stdout, ref_stderr(0))
    if same and not missing and not extra:
        r["result"] = "pass"
        return r
    if frozen.status != ref.status or frozen.timed_out:
        errors = error_lines(frozen.stderr)
        r["error"] = errors[0] if errors else frozen.status_text()
        if len(errors) > 1 and errors[-1] != errors[0]:
            r["notes"].append("last error: " + errors[-1])
        # A chained ModuleNotFoundError or ImportError is the cause worth classifying by.
        imports = [e for e in errors if "ModuleNotFoundError" in e or "ImportError" in e]
        r["class"] = classify(imports[0] if imports else r["error"], frozen)
        if imports and imports[0] != r["error"]:
            r["error"] += " -> " + imports[0]
        if frozen.status not in (0, 1) and not frozen.timed_out and frozen.status > 0:
            r["notes"].append(frozen.status_text())
    elif frozen.stdout != ref.stdout:
        r["error"] = first_error_line(frozen.stderr) or diff_line(ref.stdout, frozen.stdout)
        r["class"] = "wrong output"
    elif fro_stderr != ref_stderr(0):
        r["error"] = diff_line(ref_stderr(0), fro_stderr)
        r["class"] = "stderr differs"
    else:
        r["class"] = "module set differs"
        r["error"] = "not frozen: {}{}".format(
            ", ".join(missing[:6]) + (f" (+{len(missing) - 6})" if len(missing) > 6
                                      else ""),
            "; only frozen: " + ", ".join(extra[:6]) if extra else "")
    if (missing or extra) and r["class"] != "module set differs":
        r["notes"].append(f"module set differs too ({len(missing)} not frozen, {len(extra)} only frozen)")
    return r


def diff_line(a, b):
    la, lb = a.splitlines(), b.splitlines()
    for i in range(max(len(la), len(lb))):
        x = la[i] if i < len(la) else "<end>"
        y = lb[i] if i < len(lb) else "<end>"
        if x != y:
            return f"line {i + 1}: expected {x[:100]!r}, got {y[:100]!r}"
    return "(same lines, different line endings)"


# --------------------------------------------------------------------------------------------
# The report


def mb(n):
    return f"{n / 1e6:.1f}" if n is not None else "-"


def pct(x):
    return f"{100 * x:.0f}%" if x is not None else "-"


def report(results, header):
    lines = list(header)
    lines.append("")
    widths = (max([len(r["name"]) for r in results] + [3]), 7, 26, 8, 7, 7, 6, 6)
    fmt = "{{:<{}}}  {{:<{}}}  {{:<{}}}  {{:>{}}}  {{:>{}}}  {{:>{}}}  {{:>{}}}  {{:>{}}}  {{}}".format(
        *widths)
    lines.append(fmt.format("app", "result", "class", "size MB", "build s", "modules",
                            "recall", "prec.", "first error line / difference"))
    for r in sorted(results, key=lambda r: r["name"]):
        lines.append(fmt.format(
            r["name"], r["result"], r["class"][:widths[2]], mb(r["size"]),
            "{:.1f}".format(r["build_s"]) if r["build_s"] is not None else "-",
            r["bundled"] if r["bundled"] is not None else "-", pct(r["recall"]),
            pct(r["precision"]), (r["error"] or "")[:240]).rstrip())
    lines.append("")
    passes = [r for r in results if r["result"] == "pass"]
    app_bugs = [r for r in results if r["result"] == "APP-BUG"]
    sizes = [r["size"] for r in results if r["size"] is not None]
    precisions = [r["precision"] for r in results if r["precision"] is not None]
    recalls = [(r["recall"], r["name"]) for r in results if r["recall"] is not None]
    # An app's first `# dists:` entry is the distribution it tests; the others it uses.
    tested = sorted({r["dists"][0] for r in results if r["dists"]})
    used = sorted({d for r in results for d in r["dists"]})
    pass_tested = sorted({r["dists"][0] for r in passes if r["dists"]})
    lines.append(f"passes: {len(passes)}/{len(results)} apps; distributions: {len(tested)} tested (the first of each app's "
                 f"`# dists:`), {len(pass_tested)} of them passing; {len(used)} used in all")
    if app_bugs:
        lines.append("corpus bugs (the app fails or is nondeterministic under CPython): " +
                     ", ".join(r["name"] for r in app_bugs))
    if sizes:
        lines.append(f"bundle size: median {mb(statistics.median(sizes))} MB, total {mb(sum(sizes))} MB over {len(sizes)} bundles")
    if precisions:
        lines.append(f"precision (imported by CPython and bundled / bundled): mean {pct(statistics.mean(precisions))}, "
                     f"min {pct(min(precisions))}")
    if recalls:
        worst = min(recalls)
        lines.append(f"recall (imported by CPython and bundled / imported by CPython): min {pct(worst[0])} "
                     f"({worst[1]}), {sum(1 for x, _ in recalls if x == 1.0)} of {len(recalls)} apps at 100%")
    by_class = {}
    for r in results:
        if r["result"] != "pass":
            by_class.setdefault(r["class"].split(" ")[0] if r["class"].startswith(
                "ModuleNotFound") else r["class"], []).append(r["name"])
    if by_class:
        lines.append("failures by class:")
        for cls, names in sorted(by_class.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            lines.append("  {:<28} {:>3}  {}".format(cls, len(names), ", ".join(sorted(names))))
    misses = [r for r in results if r["recall_misses"]]
    if misses:
        lines.append("recall misses (imported by CPython, not in the bundle):")
        for r in sorted(misses, key=lambda r: r["name"]):
            lines.append("  {}: {}".format(r["name"], ", ".join(r["recall_misses"][:12]) + (
                " (+{})".format(len(r["recall_misses"]) - 12) if len(r["recall_misses"]) > 12
                else "")))
    differs = [r for r in results if r["missing"] or r["extra"]]
    if differs:
        lines.append("module sets at exit that differ (not frozen / only frozen):")
        for r in sorted(differs, key=lambda r: r["name"]):
            lines.append("  {}: {} / {}".format(
                r["name"], ", ".join(r["missing"][:10]) + (
                    " (+{})".format(len(r["missing"]) - 10) if len(r["missing"]) > 10 else ""),
                ", ".join(r["extra"][:10]) or "-"))
    return "\n".join(lines) + "\n"


def compared(results, baseline):
    """Lines of "before -> after" against an earlier report.json: the totals, and each
    app whose size, result or recall changed (the largest changes first)."""
    before = {r["name"]: r for r in baseline["apps"]}
    path = baseline.get("path", "the baseline")
    lines = ["", f"against {path} ({baseline['header'][0].split(', ')[1]}):"]

    def totals(rows):
        sizes = [r["size"] for r in rows if r["size"] is not None]
        precisions = [r["precision"] for r in rows if r["precision"] is not None]
        return (sum(1 for r in rows if r["result"] == "pass"),
                statistics.median(sizes) if sizes else None, sum(sizes),
                statistics.mean(precisions) if precisions else None)

    common = [r for r in results if r["name"] in before]
    (p0, m0, t0, q0), (p1, m1, t1, q1) = totals([before[r["name"]] for r in common]), totals(common)
    lines.append(f"  passes {p0} -> {p1} of {len(common)}; median size {mb(m0)} -> {mb(m1)} MB; "
                 f"total {mb(t0)} -> {mb(t1)} MB; mean precision {pct(q0)} -> {pct(q1)}")
    changed = []
    for r in common:
        old = before[r["name"]]
        delta = (r["size"] or 0) - (old["size"] or 0)
        if (abs(delta) >= 0.1e6 or r["result"] != old["result"] or r["recall"] != old["recall"]):
            changed.append((-abs(delta), r["name"], old, r))
    for _, name, old, new in sorted(changed):
        lines.append(
            f"  {name:<20} {mb(old['size']):>7} -> {mb(new['size']):<7} MB  "
            f"{old['result']} -> {new['result']}  recall {pct(old['recall'])} -> "
            f"{pct(new['recall'])}  prec. {pct(old['precision'])} -> {pct(new['precision'])}")
    return lines


# --------------------------------------------------------------------------------------------


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--python", default="3.12", metavar="VERSION|INTERP",
                   help="CPython of the virtualenv: a version (pyenv's newest 3.12.x), a "
                        "command or a path (default 3.12)")
    p.add_argument("--only", metavar="APP,...", help="run only these apps")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                   help="apps run in parallel (default: the number of cores)")
    p.add_argument("--no-build", action="store_true", help="use the pyfreeze already built")
    p.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR",
                                                          str(ROOT / "target")),
                   help="cargo's target directory (default $CARGO_TARGET_DIR, else target/)")
    p.add_argument("--work-dir", default=str(ROOT / "target" / "corpus"),
                   help="scratch directory: venv, build cache, bundles, runs, report")
    p.add_argument("--run-timeout", type=float, default=DEFAULT_RUN_TIMEOUT,
                   help=f"seconds one run may take (default {DEFAULT_RUN_TIMEOUT}; an app's `# timeout: S` line "
                        "overrides it)")
    p.add_argument("--build-timeout", type=float, default=DEFAULT_BUILD_TIMEOUT,
                   help=f"seconds one build may take (default {DEFAULT_BUILD_TIMEOUT})")
    p.add_argument("--compare", metavar="REPORT.json",
                   help="an earlier run's report.json: add what changed since, app by app")
    return p.parse_args()


def main():
    args = parse_args()
    started = time.monotonic()
    baseline = None
    if args.compare:
        try:
            baseline = json.loads(Path(args.compare).read_text())
            baseline["path"] = args.compare
        except (OSError, ValueError) as e:
            log(f"cannot read --compare {args.compare}: {e}")
            return 2
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    apps = find_apps(args.only)
    try:
        pyfreeze = build_pyfreeze(args, work)
        interp = pythons.choose_interpreter(args.python)
        python, venv = prepare_venv(interp, work)
    except CorpusFailed as e:
        log(f"cannot run the corpus: {e}")
        return 2
    paths = json.loads(subprocess.run(
        [str(python), "-c", "import sysconfig, json; print(json.dumps(sysconfig.get_paths()))"],
        capture_output=True, text=True, env=clean_env(), check=True).stdout)
    unshare = unshare_unavailable()
    if unshare:
        log(f"NOT hiding Python (frozen apps run with it visible): {unshare}")
    hide = python_dirs() + [venv]
    for d in hide:
        if str(work).startswith(str(d) + "/"):
            log(f"cannot run the corpus: the work directory is inside {d}, which runs hide")
            return 2
    ctx = {"work": work, "pyfreeze": pyfreeze, "python": python, "venv": venv,
           "site_packages": Path(paths["purelib"]), "stdlib": Path(paths["stdlib"]),
           "hide": hide, "unshare": unshare, "loader_only": loader_only(python), "run_timeout": args.run_timeout,
           "build_timeout": args.build_timeout}

    log(f"{len(apps)} apps, {args.jobs} at a time, CPython {interp.version}")
    results, lock = [], threading.Lock()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = {pool.submit(do_app, app, ctx): app for app in apps}
            for fut in concurrent.futures.as_completed(futures):
                app = futures[fut]
                try:
                    r = fut.result()
                except CorpusFailed:
                    raise
                except Exception as e:  # noqa: BLE001 (a bug of the runner: reported as the app's row)
                    r = {"name": app.name, "title": app.title, "dists": app.dists,
                         "result": "ERROR", "class": "runner error", "error": repr(e)[:300],
                         "size": None, "build_s": None, "bundled": None, "recall": None,
                         "precision": None, "missing": [], "extra": [], "recall_misses": [],
                         "notes": []}
                with lock:
                    results.append(r)
                    log("[{}/{}] {}: {}{}".format(len(results), len(apps), app.name,
                                                  r["result"], " ({}: {})".format(
                                                      r["class"], r["error"][:120])
                                                  if r["result"] != "pass" else ""))
    except CorpusFailed as e:
        log(f"cannot run the corpus: {e}")
        return 2

    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=str(ROOT),
                         capture_output=True, text=True, check=False).stdout.strip()
    header = [
        "pyfreeze corpus, {} UTC, pyfreeze {}{}, CPython {} ({}), {} ({} cores), {} apps, -j {}"
        .format(datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"), rev or "?",
                "" if not subprocess.run(["git", "status", "--porcelain", "--", "freezer",
                                          "runtime-stub"], cwd=str(ROOT), capture_output=True,
                                         text=True, check=False).stdout.strip() else "+changes",
                interp.version, platform.machine(), "Linux " + platform.release(), os.cpu_count(), len(apps), args.jobs),
        "frozen runs: {}".format("in `unshare -mr` with tmpfs over " + ", ".join(
            str(d) for d in hide) if not unshare else "NOT hidden: " + unshare),
        "module sets compared without: {}, {}*; and where only CPython imported {}, what "
        "importing it adds: {} (bench/corpus/README.md)".format(
            ", ".join(sorted(IGNORED_MODULES)), "*, ".join(sorted(IGNORED_PREFIXES)),
            LOADER_READERS, ", ".join(sorted(ctx["loader_only"]))),
    ]
    elapsed = time.monotonic() - started
    text = report(results, header) + f"total run time: {elapsed:.0f} s\n"
    if baseline is not None:
        text += "\n".join(compared(results, baseline)) + "\n"
    sys.stdout.write(text)
    (work / "report.txt").write_text(text)
    (work / "report.json").write_text(json.dumps({
        "header": header, "python": interp.version, "elapsed_s": elapsed,
        "ignored_modules": IGNORED_MODULES, "ignored_prefixes": IGNORED_PREFIXES,
        "apps": sorted(results, key=lambda r: r["name"])}, indent=1, sort_keys=True) + "\n")
    log("report: {} and report.json".format(work / "report.txt"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
