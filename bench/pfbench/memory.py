"""Memory of apps that stay running: many idle instances of one app started together, or one
app with the worker processes it starts. Measured as PSS (proportional set size: a page that
several processes map counts 1/N in each), summed over every process, so what the instances
share (a library mapped from one file) counts once, and what each copies (into its own memory
or a memfd of its own) once per instance.

An app measured here has an idle mode: with PFBENCH_IDLE=1 in its environment it prints
`ready` when its work is done and then waits for its stdin to close, so every instance is
fully started, and still alive, when its memory is read.
"""

import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass

from .measure import RunFailed
from .procs import last_line_of_file, shown

IDLE_ENV = "PFBENCH_IDLE"
READY = b"ready"
INSTANCES = 16
START_TIMEOUT = 120   # all instances, started together on a shared 2-core machine
STOP_TIMEOUT = 10     # for all of them to exit once their stdin is closed

# smaps_rollup fields summed, all in kB.
ROLLUP_FIELDS = ("Pss", "Pss_Anon", "Pss_File", "Pss_Shmem")


@dataclass
class Footprint:
    """Memory of a set of processes, summed (KiB)."""
    instances: int
    processes: int
    pss: int
    anon: int
    file: int
    shmem: int
    # Pages of memfds the processes hold but do not map: resident, in nobody's PSS.
    memfd_unmapped: int


def _session(pid):
    """The session id of a living process; None if it is gone or a zombie (which holds no
    memory, and no longer has an smaps_rollup to read)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    # The command name, in parentheses, may hold spaces and parentheses itself.
    fields = text[text.rindex(")") + 2:].split()
    return None if fields[0] == "Z" else int(fields[3])


def session_members(sessions):
    """{session id: [pids]} of the living processes in `sessions` (zombies left out). Each
    instance is started in a session of its own, and its descendants stay in it: a onefile
    bootloader's child, a pool's workers, even one whose parent has exited (no longer below
    the instance in the process tree, but still its memory)."""
    members = {s: [] for s in sessions}
    for name in os.listdir("/proc"):
        if name.isdigit():
            session = _session(name)
            if session in members:
                members[session].append(int(name))
    return members


def _rollup(pid):
    """The ROLLUP_FIELDS of /proc/PID/smaps_rollup (kB; 0 for a field the kernel lacks)."""
    values = dict.fromkeys(ROLLUP_FIELDS, 0)
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in values:
                values[key] = int(rest.split()[0])
    return values


def system_shmem_kib():
    """The machine's shared memory (tmpfs, memfds), from /proc/meminfo: memfd pages count
    there whether a process maps them or not, and holes in them do not count at all."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("Shmem:"):
                return int(line.split()[1])
    return 0


def footprint(pids, instances, shmem_before):
    """The summed memory of `pids`, read while all of them are alive; `shmem_before` is the
    machine's shared memory before they started: what it grew by beyond the shared memory
    they map is memfd pages they hold unmapped (the benchmark runs alone)."""
    totals = dict.fromkeys(ROLLUP_FIELDS, 0)
    for pid in pids:
        for key, value in _rollup(pid).items():
            totals[key] += value
    grown = system_shmem_kib() - shmem_before
    return Footprint(instances=instances, processes=len(pids), pss=totals["Pss"],
                     anon=totals["Pss_Anon"], file=totals["Pss_File"],
                     shmem=totals["Pss_Shmem"],
                     memfd_unmapped=max(0, grown - totals["Pss_Shmem"]))


def _wait_ready(name, procs, log_path):
    """Reads every instance's stdout until it says READY; raises RunFailed if one exits or
    the time runs out first."""
    pending = {}
    with selectors.DefaultSelector() as sel:
        for proc in procs:
            sel.register(proc.stdout, selectors.EVENT_READ, proc)
            pending[proc.pid] = b""
        deadline = time.monotonic() + START_TIMEOUT
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RunFailed(f"{name}: {len(pending)} of {len(procs)} instances not ready "
                                f"after {START_TIMEOUT} s (stderr: {shown(log_path)})")
            for key, _ in sel.select(left):
                proc = key.data
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    why = last_line_of_file(log_path)
                    raise RunFailed(f"{name}: an instance exited before it was ready: {why}")
                pending[proc.pid] += chunk
                if READY in pending[proc.pid].splitlines():
                    sel.unregister(proc.stdout)
                    del pending[proc.pid]


def _stop(procs):
    """Ends every instance and everything it started. Closing stdin lets each exit on its
    own (a onefile bootloader then deletes what it unpacked); whatever is left after
    STOP_TIMEOUT, and any process still in an instance's group, is killed. The group is
    killed before its leader is reaped, so its id cannot have been reused."""
    for proc in procs:
        try:
            proc.stdin.close()
        except OSError:
            pass
    deadline = time.monotonic() + STOP_TIMEOUT
    for proc in procs:
        while (time.monotonic() < deadline and os.waitid(
                os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is None):
            time.sleep(0.01)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        proc.stdout.close()


def measure_idle(name, argv, instances, cwd, env, log_path):
    """Starts `instances` copies of argv together in idle mode, waits until all are ready,
    and returns the Footprint of all their processes. Every process started is gone when
    this returns, whatever happened. Raises RunFailed."""
    env = dict(env, **{IDLE_ENV: "1"})
    procs = []
    shmem_before = system_shmem_kib()
    with open(log_path, "wb") as log:
        try:
            for _ in range(instances):
                procs.append(subprocess.Popen(
                    [str(a) for a in argv], cwd=cwd, env=env, stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=log, bufsize=0, start_new_session=True))
            _wait_ready(name, procs, log_path)
            members = session_members([p.pid for p in procs])
            pids = [pid for pids in members.values() for pid in pids]
            return footprint(pids, instances, shmem_before)
        except OSError as e:
            raise RunFailed(f"{name}: {e}") from None
        finally:
            _stop(procs)
