"""The probe of a bundle built by `pyfreeze check` (freezer/src/check.rs), which no other
build holds: the boot module imports it before the entry point runs. At exit (its atexit
function, registered before the app's, runs after them) it writes the names in
sys.modules, one a line, to the file named as the executable plus ".pyfreeze-check", if
that file exists: check makes it before each run, so a check build run elsewhere writes
nothing. It reads no environment, and imports only what a bundle already has."""

import atexit
import sys

import _pyfreeze

REPORT_SUFFIX = ".pyfreeze-check"


def _write():
    names = sorted(sys.modules)
    try:
        with open(_pyfreeze.executable + REPORT_SUFFIX, "r+", encoding="utf-8") as report:
            report.truncate()
            report.write("".join(name + "\n" for name in names))
    except OSError:
        # No such file: not check's run.
        return


atexit.register(_write)
