"""Measuring built apps: does it print what `python main.py` prints, how fast does it start
(interleaved runs), how much memory, and how many bytes does one run write to disk."""

import os
import shutil
import signal
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from .procs import TimedOut, run_bounded

WARMUP = 3
RUN_TIMEOUT = 60


class RunFailed(Exception):
    """A command failed, or printed something else than `python main.py`."""


def check_output(name, argv, cwd, env, expected=None):
    """Runs argv once and returns (its stdout, seconds it took: what bounds later runs).
    Raises RunFailed if it fails, times out, or prints something else than `expected`."""
    start = time.perf_counter()
    try:
        done = run_bounded(argv, RUN_TIMEOUT, cwd=cwd, env=env)
    except TimedOut as e:
        raise RunFailed(f"{name}: {e}") from None
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RunFailed("{} exited with status {}: {}".format(
            name, done.returncode, done.stderr.decode(errors="replace").strip()[-500:]))
    if expected is not None and done.stdout != expected:
        raise RunFailed(f"{name} prints something else than python main.py:\n"
                        f"  {done.stdout[:300]!r}\n  {expected[:300]!r}")
    return done.stdout, elapsed


# The timed runs are made by a small helper interpreter (`python -I -S -c SPAWNER`), not by
# the benchmark process: on Linux a child's ru_maxrss starts at the RSS of the process it was
# spawned from (exec keeps the high-water mark of the image it replaces, and posix_spawn's
# vfork shares ours), so spawning from a bigger process would floor every peak RSS at its
# size. The helper is about as small as `python -I -S -c pass`, the smallest command measured.
#
# argv: RUNS WARMUP -- ARGV... -- ARGV...; it runs the commands round-robin (RUNS + WARMUP
# rounds, every command once per round, the order rotated each round so that none always
# follows the same one), stdin/stdout/stderr on /dev/null. It prints one line per measured
# run, "ROUND INDEX WALL_NS MAXRSS_KIB WAIT_STATUS", then "self VMHWM_KIB".
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
    order = list(range(r % n, n)) + list(range(r % n))
    for i in order:
        argv = cmds[i]
        t0 = time.perf_counter_ns()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=acts)
        _, status, usage = os.wait4(pid, 0)
        elapsed = time.perf_counter_ns() - t0
        if r >= warmup:
            out.append("%d %d %d %d %d" % (r - warmup, i, elapsed, usage.ru_maxrss, status))
with open("/proc/self/status") as f:
    hwm = [line.split()[1] for line in f if line.startswith("VmHWM:")]
out.append("self " + (hwm[0] if hwm else "0"))
sys.stdout.write("\n".join(out) + "\n")
"""


@dataclass
class Startup:
    """Interleaved start-up runs of several commands: per command, its wall time in each
    round (ns) and its peak RSS in each run (KiB)."""
    times: dict = field(default_factory=dict)
    rss: dict = field(default_factory=dict)
    spawner_rss_kib: int = 0
    failed: dict = field(default_factory=dict)  # name -> wait status, if a run failed

    def median_ms(self, name):
        return statistics.median(self.times[name]) / 1e6

    def ratio(self, name, to):
        """Median over rounds of name's time / to's time in the same round: both ran
        back to back, so drift in the machine's speed cancels out pair by pair."""
        return statistics.median(a / b for a, b in zip(self.times[name], self.times[to]))

    def peak_rss_kib(self, name):
        return max(self.rss[name])


def startup(spawner_python, commands, runs, cwd, env, per_run_s):
    """Times `runs` interleaved rounds of `commands` ([(name, argv)]). `per_run_s` is the
    one-run time of each command (from check_output), bounding the whole measurement."""
    argv = [spawner_python, "-I", "-S", "-c", SPAWNER, str(runs), str(WARMUP)]
    for _, cmd in commands:
        argv += ["--"] + [str(a) for a in cmd]
    # Generous (10x what single runs took) but bounded: a hung app must not hang the bench.
    timeout = 60 + 10 * (runs + WARMUP) * sum(per_run_s)
    try:
        done = run_bounded(argv, timeout, cwd=cwd, env=env)
    except TimedOut:
        raise RuntimeError(
            f"the timed runs took more than {timeout:.0f} s: a command must have hung (each "
            f"took at most {max(per_run_s):.1f} s alone)") from None
    if done.returncode != 0:
        raise RuntimeError("the spawner failed: " + done.stderr.decode(errors="replace"))
    result = Startup()
    for name, _ in commands:
        result.times[name], result.rss[name] = [], []
    for line in done.stdout.decode().splitlines():
        fields = line.split()
        if fields[0] == "self":
            result.spawner_rss_kib = int(fields[1])
            continue
        _, index, elapsed, maxrss, status = map(int, fields)
        name = commands[index][0]
        if status != 0:
            result.failed[name] = status
        result.times[name].append(elapsed)
        result.rss[name].append(maxrss)
    return result


def _proc_write_bytes(pid):
    """write_bytes from /proc/PID/io (None if unreadable): bytes the process caused to be
    written to storage, counted when the page is dirtied, so a file unpacked and deleted
    before exit still counts. Read while the process is a zombie, it includes what its
    waited-for children wrote (a onefile bootloader's child, for example)."""
    try:
        with open(f"/proc/{pid}/io") as f:
            fields = dict(line.split(":") for line in f if ":" in line)
        return int(fields["write_bytes"])
    except (OSError, KeyError, ValueError):
        return None


def _files_bytes(directory):
    total = 0
    for parent, _, files in os.walk(directory):
        for name in files:
            try:
                total += os.lstat(os.path.join(parent, name)).st_size
            except OSError:
                pass
    return total


def bytes_written(argv, scratch, env):
    """Bytes one run of argv writes to disk: the larger of /proc/PID/io write_bytes and what
    it leaves in its (empty at start) TMPDIR, XDG_CACHE_HOME and current directory (which
    catches files written to a tmpfs, where write_bytes counts nothing).
    Returns (bytes, whether /proc/PID/io could be read)."""
    scratch = Path(scratch)
    shutil.rmtree(scratch, ignore_errors=True)
    dirs = {name: scratch / name for name in ("cwd", "tmp", "cache")}
    for d in dirs.values():
        d.mkdir(parents=True)
    env = dict(env, TMPDIR=str(dirs["tmp"]), XDG_CACHE_HOME=str(dirs["cache"]))
    with subprocess.Popen([str(a) for a in argv], cwd=dirs["cwd"], env=env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, start_new_session=True) as proc:
        # Wait for the exit without reaping (WNOWAIT), so /proc/PID/io is still there.
        deadline = time.monotonic() + RUN_TIMEOUT
        while os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is None:
            if time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise RunFailed(f"{argv[0]} timed out after {RUN_TIMEOUT} s")
            time.sleep(0.002)
        written = _proc_write_bytes(proc.pid)
        proc.wait()
    left = sum(_files_bytes(d) for d in dirs.values())
    shutil.rmtree(scratch, ignore_errors=True)
    return max(written or 0, left), written is not None


def writes_per_run(argv, scratch, env, runs=3):
    """Median over a few runs of bytes_written; and whether /proc/PID/io was readable."""
    results = [bytes_written(argv, scratch, env) for _ in range(runs)]
    return statistics.median(b for b, _ in results), all(ok for _, ok in results)
