"""filelock: a lock file taken, re-entered and contended with a timeout."""
# dists: filelock
import os
import tempfile

from filelock import FileLock, Timeout

path = os.path.join(tempfile.mkdtemp(), "x.lock")
a, b = FileLock(path), FileLock(path, is_singleton=False)
with a:
    with a:
        print("locked:", a.is_locked, a.lock_counter)
    try:
        b.acquire(timeout=0.05, blocking=True)
        print("second lock taken (unexpected for fcntl locks of one process? no: fcntl)")
    except Timeout:
        print("Timeout")
print("released:", a.is_locked)
