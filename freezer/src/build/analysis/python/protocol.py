# pyfreeze analysis: run by the *target* interpreter as `python -I -c <program>` with a
# JSON request on stdin, so that module resolution, syntax and bytecode are exactly that
# interpreter's. Nothing of the app is imported: modules are found with PathFinder and
# their imports read from the compiled code.
#
# The program is the files that freezer/src/build/analysis/mod.rs lists (PARTS), joined
# in that order without their imports of each other (`from .x import ...`, there for the
# linter and the reader): they share one namespace, in which no two define the same name.
# It must run unchanged on CPython 3.8 to 3.13 with the standard library only, and must
# not depend on sys.argv or __file__ (it may be exec'd by a wrapper).
#
# This file: the request and the answer, as freezer/src/build/analysis/protocol.rs types
# them. The answer on stdout is an 8-byte little-endian length N, N bytes of JSON, then a
# blob region that the manifest's {"offset", "len"} pairs point into. The JSON is either
# {"manifest": ...} or {"failed": {"error": TAG, ...}}, a tagged error with its data.
# Progress goes to stderr, as lines the freezer takes out of what it shows of stderr.

import sys

# Anything printed by code we run (a .pth-installed finder, a warning hook) would corrupt
# the binary answer; keep the real stdout for ourselves.
ANSWER_OUT = sys.stdout.buffer
PROGRESS_OUT = sys.stderr
sys.stdout = sys.stderr

import json

# The version of the request and answer formats, the freezer's PROTOCOL; a request of
# another version is refused.
PROTOCOL = 6


class Failure(Exception):
    """What stops the analysis: answered as the tagged error `error` with `data`."""

    def __init__(self, error, **data):
        super().__init__(error)
        self.tagged = dict(data, error=error)


def read_request():
    request = json.loads(sys.stdin.buffer.read())
    if request.get("protocol") != PROTOCOL:
        raise Failure("protocol_mismatch", script=PROTOCOL, request=request.get("protocol"))
    return request


# The start of a progress line, the freezer's PROGRESS_PREFIX.
PROGRESS_PREFIX = "\x1epyfreeze-progress "


def report_compiled(done, total):
    """`done` of the `total` modules sent to the compilers so far are compiled."""
    PROGRESS_OUT.write(f"{PROGRESS_PREFIX}compiled {done} {total}\n")
    # Before 3.9 stderr is block-buffered on a pipe: the line must go now to be progress.
    PROGRESS_OUT.flush()


def write_answer(answer, blobs=()):
    data = json.dumps(answer, separators=(",", ":")).encode("utf-8")
    ANSWER_OUT.write(len(data).to_bytes(8, "little"))
    ANSWER_OUT.write(data)
    for blob in blobs:
        ANSWER_OUT.write(blob)
    ANSWER_OUT.flush()
