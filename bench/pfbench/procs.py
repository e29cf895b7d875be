"""Running commands: every one bounded in time, with the environment measured commands get."""

import os
import signal
import subprocess
import sys
import threading


class TimedOut(Exception):
    """A command ran past its time limit (and was killed, with everything it started)."""


def log(msg):
    """Progress goes to stderr; stdout only gets the report."""
    print("bench: " + msg, file=sys.stderr, flush=True)


def clean_env(**extra):
    """The environment commands get: ours, without PYTHON* variables and VIRTUAL_ENV (this
    machine exports PYTHONDONTWRITEBYTECODE and friends, a user's shell usually does not,
    and they would change what `python main.py` does), plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTHON") and k != "VIRTUAL_ENV"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _kill_group(proc):
    # The command runs in a session of its own, so its process group holds everything it
    # started: a build's compilers, a onefile app's unpacked child.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_bounded(argv, timeout, *, cwd=None, env=None, log_path=None):
    """Runs argv to completion or kills it after `timeout` seconds (raising TimedOut).

    Output goes to `log_path` (stdout and stderr together) if given, else it is captured and
    returned in the CompletedProcess (as bytes)."""
    if log_path is not None:
        with open(log_path, "wb") as out:
            return _run(argv, timeout, cwd, env, out, subprocess.STDOUT)
    return _run(argv, timeout, cwd, env, subprocess.PIPE, subprocess.PIPE)


def _run(argv, timeout, cwd, env, stdout, stderr):
    # A timer kills the command at its limit, and the wait blocks: waiting with a timeout
    # polls with sleeps of up to 50 ms, which added that much to builds timed here.
    fired = threading.Event()

    def expire(proc):
        fired.set()
        _kill_group(proc)

    with subprocess.Popen([str(a) for a in argv], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          stdout=stdout, stderr=stderr, start_new_session=True) as proc:
        timer = threading.Timer(timeout, expire, (proc,))
        timer.start()
        try:
            out, err = proc.communicate()
        finally:
            timer.cancel()
        if fired.is_set():
            raise TimedOut(f"{os.path.basename(str(argv[0]))} timed out after {timeout:.0f} s")
        return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def shown(path):
    """`path` as a report shows it: relative to the current directory when below it, so a
    report pasted elsewhere does not carry this machine's directories."""
    relative = os.path.relpath(str(path))
    return str(path) if relative.startswith("..") else relative


def last_line(data):
    """The last non-empty line of captured output (bytes): usually the error."""
    lines = [line.strip() for line in data.decode(errors="replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else "(no output)"


def last_line_of_file(path):
    with open(path, "rb") as f:
        return last_line(f.read())
