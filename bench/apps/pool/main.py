"""pool: a multiprocessing.Pool of 8 workers, each of which runs one task. What is measured
is the memory of the parent and its workers together: on Linux the workers are forked (the
default start method up to 3.13), so they share the parent's pages until they write to them,
and whatever the parent copied in (a bundler unpacking its native code) is theirs too.

It prints the same lines however it is run, so the benchmark can check every frozen build
against `python main.py`. With PFBENCH_IDLE=1 in its environment it then prints `ready` and
waits, with the pool alive, for its stdin to close.
"""
import multiprocessing
import os
import sys

WORKERS = 8
# A worker that never gets its task must fail the run rather than hang it.
BARRIER_TIMEOUT = 60

_barrier = None


def _keep(barrier):
    global _barrier
    _barrier = barrier


def square(n):
    # Every worker waits here until all of them hold a task: none can take a second one, so
    # each of the 8 has run app code when map returns.
    _barrier.wait(BARRIER_TIMEOUT)
    return n * n, os.getpid()


def main():
    barrier = multiprocessing.Barrier(WORKERS)
    with multiprocessing.Pool(WORKERS, initializer=_keep, initargs=(barrier,)) as pool:
        results = pool.map(square, range(WORKERS), chunksize=1)
        print("pool: squares", [n for n, _ in results])
        print("pool: distinct workers", len({pid for _, pid in results}))
        if os.environ.get("PFBENCH_IDLE") == "1":
            print("ready", flush=True)
            sys.stdin.read()


if __name__ == "__main__":
    multiprocessing.freeze_support()
    main()
