#!/usr/bin/env python3
"""Benchmark of pyfreeze against PyInstaller, cx_Freeze and Nuitka (stdlib only).

    python3 bench/run.py [-n N] [--python 3.11|INTERP] [--no-build] [--skip-anchors]
                         [--apps hello,stdlib,thirdparty] [--anchors pyinstaller,cx_freeze,nuitka]
                         [--skip-memory]

One command does everything: builds pyfreeze (cargo build --release), makes virtualenvs of
the chosen CPython in the scratch directory (target/bench/) and installs the anchors and the
apps' requirements from the package index, builds each app in bench/apps/ with each tool
(cold, then again with nothing changed), checks that every build prints what
`python main.py` prints, times interleaved start-ups of all of them, measures peak RSS and
bytes written to disk per run, and prints one table per app and the issue's targets.
Then the memory rows (unless --skip-memory): the summed PSS of 16 idle instances of the
stdlib app started together, and of the pool app (bench/apps/pool: a multiprocessing.Pool of
8 workers) with its workers, for pyfreeze and PyInstaller against `python main.py`.

Exit status 0 when it ran, whatever the numbers (missed targets are reported); 1 when
pyfreeze itself fails to build, freeze or run an app. A tool that fails to install, build or
run is reported as skipped, with the reason. See bench/README.md.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

from pfbench import apps as apps_mod
from pfbench import measure, memory, pythons, report
from pfbench.builders import BuildFailed, CxFreeze, Nuitka, Pyfreeze, PyInstaller, build
from pfbench.procs import TimedOut, clean_env, last_line_of_file, log, run_bounded

ROOT = Path(__file__).resolve().parent.parent
CARGO_TIMEOUT = 1800
DEFAULT_BUILD_TIMEOUT = 300


class PyfreezeFailed(Exception):
    """pyfreeze itself failed: the one thing that makes the benchmark fail."""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=50,
                        help="interleaved start-up rounds per app (default 50)")
    parser.add_argument("--python", metavar="VERSION|INTERP",
                        help="CPython to benchmark: a version (3.12: pyenv's newest 3.12.x), "
                             "a command or a path (default: pyenv's newest 3.11, else its "
                             "newest, else python3)")
    parser.add_argument("--no-build", action="store_true",
                        help="use target/release/pyfreeze as it is (no cargo build)")
    parser.add_argument("--skip-anchors", action="store_true",
                        help="pyfreeze only: no PyInstaller, cx_Freeze or Nuitka")
    parser.add_argument("--apps", default="hello,stdlib,thirdparty",
                        help="apps to benchmark, comma-separated (default: all three)")
    parser.add_argument("--anchors", default=",".join(pythons.ANCHORS),
                        help="anchors to compare with, comma-separated (default: all)")
    parser.add_argument("--skip-memory", action="store_true",
                        help="no memory rows: neither the 16 idle stdlib instances nor the "
                             "pool app")
    parser.add_argument("--build-timeout", type=float, default=DEFAULT_BUILD_TIMEOUT,
                        metavar="S", help="seconds one build may take before it is killed "
                                          f"and skipped (default {DEFAULT_BUILD_TIMEOUT})")
    parser.add_argument("--work-dir", default=str(ROOT / "target" / "bench"),
                        help="scratch directory: venvs, builds, runs (default target/bench)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("-n must be at least 1")
    known = {a.name: a for a in apps_mod.all_apps()}
    names = [n for n in args.apps.split(",") if n]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        parser.error("--apps: unknown {} (known: {})".format(unknown, ", ".join(known)))
    args.apps = [known[n] for n in known if n in names]
    anchors = [] if args.skip_anchors else [a for a in args.anchors.split(",") if a]
    unknown = [a for a in anchors if a not in pythons.ANCHORS]
    if unknown:
        parser.error("--anchors: unknown {} (known: {})".format(
            unknown, ", ".join(pythons.ANCHORS)))
    args.anchors = anchors
    return args


def build_pyfreeze(no_build, work):
    pyfreeze = ROOT / "target" / "release" / "pyfreeze"
    if not no_build:
        log("cargo build --release -p pyfreeze -p pyfreeze-stub")
        log_path = Path(work) / "cargo-build.log"
        try:
            done = run_bounded(
                ["cargo", "build", "--release", "-p", "pyfreeze", "-p", "pyfreeze-stub"],
                CARGO_TIMEOUT, cwd=ROOT, log_path=log_path)
        except TimedOut as e:
            raise PyfreezeFailed(f"cargo build: {e}")
        if done.returncode != 0:
            raise PyfreezeFailed(
                f"cargo build failed: {last_line_of_file(log_path)} (log: {log_path})")
    if not pyfreeze.is_file():
        raise PyfreezeFailed(f"{pyfreeze} is missing (run without --no-build)")
    return pyfreeze


# The builds the memory rows measure, in the app tables' order. PyInstaller's two are the
# cases to compare with: onefile unpacks its libraries for each instance, onedir maps them
# from one folder as python does.
MEMORY_TOOLS = (report.PYFREEZE, "pyinstaller-onefile", "pyinstaller-onedir")


def app_copy(work, name):
    """Where warm_copy puts the app: the memory rows run `python main.py` from there too."""
    return Path(work) / "apps" / name


def warm_copy(app, envs, work):
    """The app's sources with a warm __pycache__, for `python main.py`."""
    src = apps_mod.copy_app(app.source, app_copy(work, app.name))
    # compileall writes .pyc files even if PYTHONDONTWRITEBYTECODE is set (this machine sets it)
    subprocess.run([envs.base_python, "-m", "compileall", "-q", str(src)], check=True,
                   env=clean_env())
    return src


def builders_for(envs, pyfreeze):
    found = [Pyfreeze(pyfreeze, envs.base_python)]
    if envs.tools_python:
        tools = envs.tools_python
        found += [PyInstaller(tools, onefile=True), PyInstaller(tools, onefile=False),
                  CxFreeze(tools), Nuitka(tools)]
    return found


def build_and_check(app, builder, envs, args, work, cwd, env, expected, result):
    """Builds the app with one tool and runs it once, checking its output. Returns (Built,
    seconds of that run), or (None, None) after adding the reason to result.skipped.
    Raises PyfreezeFailed if the tool is pyfreeze."""
    log(f"{app.name}: building with {builder.name} (cold, then rebuild)")
    tools_bin = str(Path(envs.tools_python).parent) if envs.tools_python else None
    try:
        built = build(builder, app.source, Path(work) / "builds" / app.name / builder.name,
                      args.build_timeout, tools_bin=tools_bin)
        if built.note and builder.name == report.PYFREEZE:
            raise BuildFailed(built.note)
        _, run_s = measure.check_output(builder.name, [built.executable], cwd, env, expected)
    except (BuildFailed, measure.RunFailed) as e:
        if builder.name == report.PYFREEZE:
            raise PyfreezeFailed(f"{app.name} app: {e}")
        log(f"{app.name}: skipping {builder.name}: {e}")
        result.skipped.append((builder.name, str(e)))
        return None, None
    log("{}: {} built in {:.2f} s, rebuilt in {}".format(
        app.name, builder.name, built.cold_s,
        f"{built.rebuild_s:.2f} s" if built.rebuild_s is not None else "(failed)"))
    if built.note:
        result.notes.append(f"{builder.name}: {built.note}")
    return built, run_s


def run_place(work, name):
    """(cwd, env) of the app's runs: every command runs in an empty directory, with TMPDIR
    and XDG_CACHE_HOME in the scratch directory (a onefile app unpacks there on every start)."""
    run_dir = Path(work) / "runs" / name
    for d in ("cwd", "tmp", "cache"):
        (run_dir / d).mkdir(parents=True, exist_ok=True)
    return run_dir / "cwd", clean_env(TMPDIR=run_dir / "tmp", XDG_CACHE_HOME=run_dir / "cache")


def usable(builder, envs, result):
    """Whether the builder's anchor is installed; if it was selected but did not install,
    adds why to result.skipped."""
    if builder.anchor and builder.anchor not in envs.anchors:
        if builder.anchor in envs.skipped:
            result.skipped.append((builder.name, envs.skipped[builder.anchor]))
        return False
    return True


def bench_app(app, envs, pyfreeze, args, work):
    """Builds, checks and measures one app with every tool; returns a report.AppResult."""
    result = report.AppResult(app.name, app.about)
    src = warm_copy(app, envs, work)
    cwd, env = run_place(work, app.name)

    commands = [(report.FLOOR, [envs.interp.exe, "-I", "-S", "-c", "pass"]),
                (report.MAIN_PY, [envs.base_python, src / "main.py"])]
    try:
        _, floor_s = measure.check_output(report.FLOOR, commands[0][1], cwd, env)
        expected, main_s = measure.check_output(report.MAIN_PY, commands[1][1], cwd, env)
    except measure.RunFailed as e:
        result.error = f"the app does not run from its sources: {e}"
        return result
    per_run_s = [floor_s, main_s]

    for builder in builders_for(envs, pyfreeze):
        if not usable(builder, envs, result):
            continue
        built, run_s = build_and_check(app, builder, envs, args, work, cwd, env, expected, result)
        if built:
            commands.append((builder.name, [built.executable]))
            result.builds[builder.name] = built
            per_run_s.append(run_s)

    log(f"{app.name}: {measure.WARMUP} + {args.runs} interleaved rounds of "
        f"{len(commands)} commands")
    startup = measure.startup(envs.interp.exe, commands, args.runs, cwd, env, per_run_s)
    for name, status in startup.failed.items():
        if name == report.PYFREEZE:
            raise PyfreezeFailed(f"{app.name} app: a timed run failed (wait status {status})")
        result.notes.append(f"{name}: some timed runs failed (wait status {status}); its "
                            "numbers are suspect")
    result.startup = startup
    result.order = [name for name, _ in commands]

    log(f"{app.name}: measuring bytes written per run")
    io_readable = True
    for name, argv in commands:
        try:
            result.writes[name], readable = measure.writes_per_run(
                argv, Path(work) / "io", env)
            io_readable &= readable
        except measure.RunFailed as e:
            result.notes.append(f"writes/run of {name}: {e}")
    result.io_readable = io_readable
    return result


def _module_count(pyfreeze, bundle):
    out = subprocess.run([str(pyfreeze), "ls", str(bundle), "--json"],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise ValueError(out.stderr.strip())
    kinds = json.loads(out.stdout)["totals"]["by_kind"]
    return sum(k["count"] for k in kinds if k["kind"] == "module")


def bench_padding(hello, envs, pyfreeze, args, work):
    """pyfreeze-only: hello with a package of 2,000 unused modules must start within 5% of
    hello without them (finding a module must not cost more in a bigger bundle)."""
    padding = report.PaddingResult()
    plain = hello.builds[report.PYFREEZE]
    src = apps_mod.copy_app(apps_mod.APPS_DIR / "hello", Path(work) / "apps" / "hello-padded")
    package = apps_mod.add_padding(src)
    log(f"hello + {apps_mod.PADDING_MODULES} modules: building with pyfreeze --include {package}")
    builder = Pyfreeze(pyfreeze, envs.base_python, ["--include", package])
    cwd = Path(work) / "runs" / "hello" / "cwd"
    env = clean_env(TMPDIR=cwd.parent / "tmp", XDG_CACHE_HOME=cwd.parent / "cache")
    try:
        padded = build(builder, src, Path(work) / "builds" / "hello-padded" / "pyfreeze",
                       args.build_timeout, rebuild=False)
        expected, plain_s = measure.check_output("pyfreeze", [plain.executable], cwd, env)
        _, padded_s = measure.check_output("pyfreeze + padding", [padded.executable], cwd, env,
                                           expected)
    except (BuildFailed, measure.RunFailed) as e:
        raise PyfreezeFailed(f"hello with {apps_mod.PADDING_MODULES} extra modules: {e}")
    try:
        padding.modules_added = (_module_count(pyfreeze, padded.executable)
                                 - _module_count(pyfreeze, plain.executable))
        if padding.modules_added < apps_mod.PADDING_MODULES:
            padding.note = (f"only {padding.modules_added} more modules in the bundle than "
                            "without the package")
    except (ValueError, KeyError) as e:
        padding.note = f"could not count the bundle's modules with pyfreeze ls --json: {e}"

    # Cheap runs, and a 5% bound needs a steady median: 4x the rounds of the app tables.
    padding.runs = 4 * args.runs
    commands = [("plain", [plain.executable]), ("padded", [padded.executable])]
    log(f"hello + {apps_mod.PADDING_MODULES} modules: {padding.runs} interleaved rounds")
    st = measure.startup(envs.interp.exe, commands, padding.runs, cwd, env, [plain_s, padded_s])
    if st.failed:
        raise PyfreezeFailed("hello with extra modules: a timed run failed")
    padding.ratio = st.ratio("padded", "plain")
    padding.plain_ms, padding.padded_ms = st.median_ms("plain"), st.median_ms("padded")
    return padding


def measure_memory(row, commands, cwd, env, work):
    """Fills the memory row with the footprint of each command's idle instances. Raises
    PyfreezeFailed if pyfreeze's do not start; another tool's failure is a skipped line."""
    logs = Path(work) / "memory"
    logs.mkdir(parents=True, exist_ok=True)
    for name, argv in commands:
        log(f"memory, {row.name}: {name}")
        try:
            row.footprints[name] = memory.measure_idle(
                name, argv, row.instances, cwd, env,
                logs / f"{row.name}-{name}.log".replace(" ", "-"))
            row.order.append(name)
        except measure.RunFailed as e:
            if name == report.PYFREEZE:
                raise PyfreezeFailed(f"memory row {row.name}: {e}")
            if name == report.MAIN_PY:
                row.error = f"python main.py did not start idle: {e}"
                return
            row.skipped.append((name, str(e)))


def memory_at_scale(stdlib, envs, args, work):
    """The stdlib app's builds (made for its table), 16 instances of each at once: what
    every instance copies costs 16 times, what they map from one file once."""
    row = report.MemoryResult(report.SCALE_ROW, f"{memory.INSTANCES} idle instances of "
                              "the stdlib app, started together", instances=memory.INSTANCES)
    if stdlib is None or stdlib.error:
        row.error = stdlib.error if stdlib else "stdlib not in --apps"
        return row
    commands = [(report.MAIN_PY, [envs.base_python, app_copy(work, "stdlib") / "main.py"])]
    commands += [(name, [stdlib.builds[name].executable]) for name in MEMORY_TOOLS
                 if name in stdlib.builds]
    row.skipped += [(tool, why) for tool, why in stdlib.skipped if tool in MEMORY_TOOLS]
    if "pyinstaller" not in args.anchors:
        row.skipped.append(("pyinstaller", "not selected (--anchors, --skip-anchors)"))
    cwd, env = run_place(work, "stdlib")
    measure_memory(row, commands, cwd, env, work)
    return row


def memory_pool(envs, pyfreeze, args, work):
    """The pool app, built for this row only: its parent and 8 forked workers at once."""
    app = apps_mod.pool_app()
    row = report.MemoryResult(app.name, app.about)
    src = warm_copy(app, envs, work)
    cwd, env = run_place(work, app.name)
    main_py = [envs.base_python, src / "main.py"]
    try:
        expected, _ = measure.check_output(report.MAIN_PY, main_py, cwd, env)
    except measure.RunFailed as e:
        row.error = f"the app does not run from its sources: {e}"
        return row
    commands = [(report.MAIN_PY, main_py)]
    for builder in builders_for(envs, pyfreeze):
        if builder.name in MEMORY_TOOLS and usable(builder, envs, row):
            built, _ = build_and_check(app, builder, envs, args, work, cwd, env, expected, row)
            if built:
                commands.append((builder.name, [built.executable]))
    if "pyinstaller" not in args.anchors:
        row.skipped.append(("pyinstaller", "not selected (--anchors, --skip-anchors)"))
    measure_memory(row, commands, cwd, env, work)
    return row


def run(args):
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    started = datetime.datetime.now().astimezone()
    load = os.getloadavg()[0]
    interp = pythons.choose_interpreter(args.python)
    log(f"CPython {interp.version} at {interp.exe}")
    pyfreeze = build_pyfreeze(args.no_build, work)
    envs = pythons.prepare(interp, work, args.apps, args.anchors)

    results = []
    for app in args.apps:
        if app.name in envs.broken_apps:
            results.append(report.AppResult(app.name, app.about, error=envs.broken_apps[app.name]))
            continue
        results.append(bench_app(app, envs, pyfreeze, args, work))
    hello = next((r for r in results if r.name == "hello" and not r.error), None)
    padding = bench_padding(hello, envs, pyfreeze, args, work) if hello else None
    memory_rows = None
    if not args.skip_memory:
        stdlib = next((r for r in results if r.name == "stdlib"), None)
        memory_rows = [memory_at_scale(stdlib, envs, args, work),
                       memory_pool(envs, pyfreeze, args, work)]

    measured = [r for r in results if not r.error]
    text = "\n".join([
        report.header(started, ROOT, envs, args.runs, load,
                      [a for a in pythons.ANCHORS if a not in args.anchors],
                      args.build_timeout),
        *(report.app_table(r) for r in results),
        report.padding_lines(padding),
        *(report.memory_table(r) for r in memory_rows or ()),
        report.footer(measured, all(r.io_readable for r in measured), bool(memory_rows)),
        report.targets(results, padding, memory_rows, "--skip-memory"),
    ])
    print(text)
    saved = work / "report.txt"
    saved.write_text(text + "\n")
    log(f"report saved to {saved}")


def main():
    args = parse_args()
    try:
        run(args)
    except PyfreezeFailed as e:
        sys.exit(f"bench: pyfreeze failed: {e}")
    except RuntimeError as e:
        print(f"bench: error: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
