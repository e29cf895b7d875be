#!/usr/bin/env python3
"""Start-up benchmark of a frozen app against CPython (stdlib only).

    python3 bench/run.py [--python INTERP] [--runs N] [--no-build]

Builds the release binaries, freezes examples/hello with target/release/pyfreeze, prepares
a copy of examples/hello with a warm __pycache__, then times N interleaved runs of:

  floor      python -I -S -c pass         (the least an interpreter start costs)
  main.py    python main.py               (the app from its sources, bytecode cache warm)
  frozen     the frozen hello             (one executable, no Python installed needed)

(each run: os.posix_spawn + os.wait4, timed with time.perf_counter_ns, from a small helper
interpreter, see SPAWNER) and prints the median wall time, the ratios to the floor and to
`python main.py`, the peak RSS of each command (ru_maxrss from wait4) and the size of the
frozen executable. Everything it writes goes to bench/out/ (git-ignored). See
bench/README.md.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
HELLO = os.path.join(ROOT, "examples", "hello")
WARMUP = 3


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def clean_env():
    """The environment the measured commands get: ours, without PYTHON* variables (the
    machine may export PYTHONDONTWRITEBYTECODE and friends; a user's shell usually does not)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def real_interpreter(python):
    """The interpreter binary behind `python` (resolving pyenv shims and the like, whose own
    start-up must not be measured)."""
    found = shutil.which(python)
    if found is None:
        sys.exit("bench: interpreter {!r} not found".format(python))
    out = subprocess.run(
        [found, "-c", "import sys; print(sys.executable); print(sys.version.split()[0])"],
        check=True, capture_output=True, text=True, env=clean_env(),
    )
    exe, version = out.stdout.split("\n")[:2]
    return exe, version


def build(python, no_build):
    pyfreeze = os.path.join(ROOT, "target", "release", "pyfreeze")
    if not no_build:
        log("bench: cargo build --release -p pyfreeze -p pyfreeze-stub")
        subprocess.run(
            ["cargo", "build", "--release", "-p", "pyfreeze", "-p", "pyfreeze-stub"],
            cwd=ROOT, check=True,
        )
    if not os.path.isfile(pyfreeze):
        sys.exit("bench: {} is missing (run without --no-build)".format(pyfreeze))
    os.makedirs(OUT, exist_ok=True)
    frozen = os.path.join(OUT, "hello")
    if os.path.exists(frozen):
        os.remove(frozen)
    log("bench: pyfreeze build examples/hello --python {}".format(python))
    subprocess.run([pyfreeze, "build", HELLO, "-o", frozen, "--python", python], check=True)

    warm = os.path.join(OUT, "hello-src")
    shutil.rmtree(warm, ignore_errors=True)
    shutil.copytree(HELLO, warm, ignore=shutil.ignore_patterns("__pycache__"))
    # compileall writes .pyc files on purpose, whatever PYTHONDONTWRITEBYTECODE says
    subprocess.run([python, "-m", "compileall", "-q", warm], check=True, env=clean_env())
    if not os.path.isdir(os.path.join(warm, "__pycache__")):
        sys.exit("bench: compileall wrote no __pycache__ in {}".format(warm))
    return frozen, warm


# The runs are made by a small helper interpreter (`python -I -S -c SPAWNER`), not by this
# script: on Linux a child's ru_maxrss starts at the RSS of the process it was spawned from
# (exec keeps the high-water mark of the image it replaces, and posix_spawn's vfork shares
# ours), so spawning from this bigger process would floor every peak RSS at ours. The helper
# is about as small as `python -I -S -c pass`, the smallest command measured.
#
# argv: RUNS WARMUP -- ARGV... -- ARGV...; prints one line per measured run,
# "INDEX WALL_NS MAXRSS_KIB WAIT_STATUS", then "self VMHWM_KIB".
SPAWNER = r"""
import os, sys, time
args = sys.argv[1:]
runs, warmup = int(args[0]), int(args[1])
cmds = []
for a in args[2:]:
    if a == "--":
        cmds.append([])
    else:
        cmds[-1].append(a)
devnull = os.open(os.devnull, os.O_RDWR)
acts = [(os.POSIX_SPAWN_DUP2, devnull, fd) for fd in (0, 1, 2)]
env = os.environ
n = len(cmds)
out = []
for r in range(warmup + runs):
    # rotate the order so that no command always runs right after the same one
    order = list(range(r % n, n)) + list(range(r % n))
    for i in order:
        argv = cmds[i]
        t0 = time.perf_counter_ns()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=acts)
        _, status, usage = os.wait4(pid, 0)
        elapsed = time.perf_counter_ns() - t0
        if r >= warmup:
            out.append("%d %d %d %d" % (i, elapsed, usage.ru_maxrss, status))
with open("/proc/self/status") as f:
    hwm = [line.split()[1] for line in f if line.startswith("VmHWM:")]
out.append("self " + (hwm[0] if hwm else "0"))
sys.stdout.write("\n".join(out) + "\n")
"""


def measure(python, commands, runs, env):
    """{name: [(wall ns, maxrss KiB)]} and the spawner's own peak RSS, from interleaved runs."""
    argv = [python, "-I", "-S", "-c", SPAWNER, str(runs), str(WARMUP)]
    for _, cmd in commands:
        argv += ["--"] + cmd
    out = subprocess.run(argv, env=env, check=True, capture_output=True, text=True).stdout
    results = {name: [] for name, _ in commands}
    spawner_rss = 0
    for line in out.splitlines():
        fields = line.split()
        if fields[0] == "self":
            spawner_rss = int(fields[1])
            continue
        index, elapsed, maxrss, status = map(int, fields)
        name = commands[index][0]
        if status != 0:
            sys.exit("bench: {} failed during the runs (wait status {})".format(name, status))
        results[name].append((elapsed, maxrss))
    return results, spawner_rss


def check_outputs(commands, env):
    """Each command succeeds, and the frozen app prints what `python main.py` prints."""
    outputs = {}
    for name, argv in commands:
        out = subprocess.run(argv, env=env, capture_output=True)
        if out.returncode != 0:
            sys.exit("bench: {} failed ({}):\n{}".format(name, out.returncode, out.stderr.decode()))
        outputs[name] = out.stdout
    if outputs["frozen"] != outputs["main.py"]:
        sys.exit("bench: the frozen app prints something else than python main.py:\n"
                 "{!r}\n{!r}".format(outputs["frozen"], outputs["main.py"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default="python3",
                        help="interpreter to freeze with and compare to (default: python3)")
    parser.add_argument("-n", "--runs", type=int, default=50, help="runs of each command (default 50)")
    parser.add_argument("--no-build", action="store_true",
                        help="use target/release/pyfreeze as it is (no cargo build)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    python, version = real_interpreter(args.python)
    frozen, warm = build(python, args.no_build)
    env = clean_env()
    commands = [
        ("floor", [python, "-I", "-S", "-c", "pass"]),
        ("main.py", [python, "main.py"]),
        ("frozen", [frozen]),
    ]
    # every command runs in the warm copy of the app (posix_spawn has no cwd argument)
    os.chdir(warm)
    check_outputs(commands, env)

    log("bench: {} warm-up + {} interleaved runs of each command".format(WARMUP, args.runs))
    results, spawner_rss = measure(python, commands, args.runs, env)
    times = {name: [t for t, _ in r] for name, r in results.items()}
    rss = {name: max(m for _, m in r) for name, r in results.items()}

    median = {name: statistics.median(t) / 1e6 for name, t in times.items()}
    sizes = {"frozen": os.path.getsize(frozen)}
    print()
    print("CPython {} ({}), {} runs each, median wall time".format(version, python, args.runs))
    print()
    header = "{:<9} {:>10} {:>10} {:>10} {:>10} {:>14} {:>13}".format(
        "command", "median ms", "min ms", "x floor", "x main.py", "peak RSS KiB", "size bytes")
    print(header)
    print("-" * len(header))
    for name, _ in commands:
        print("{:<9} {:>10.2f} {:>10.2f} {:>10.2f} {:>10.2f} {:>14} {:>13}".format(
            name, median[name], min(times[name]) / 1e6,
            median[name] / median["floor"], median[name] / median["main.py"],
            rss[name], sizes.get(name, "-")))
    print()
    print("floor:   {} -I -S -c pass".format(python))
    print("main.py: {} main.py   (in {}, __pycache__ warm)".format(python, warm))
    print("frozen:  {}".format(frozen))
    print("peak RSS is the largest ru_maxrss over the runs; a reading cannot go below the")
    print("spawning helper's own peak RSS, {} KiB (see SPAWNER in bench/run.py)".format(spawner_rss))


if __name__ == "__main__":
    main()
