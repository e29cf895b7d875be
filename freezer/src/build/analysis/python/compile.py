# Compiling is most of the work, so worker interpreters do it in parallel. They also make
# the bytecode reproducible: before 3.11 marshal writes frozenset constants in hash order,
# which -I leaves randomised, and the workers run with PYTHONHASHSEED=0. What else
# marshal's output owes to the worker's history (which objects it flags as shared, by
# their reference counts) the freezer's `marshal` module takes out.
#
# Worker protocol, both ways: 8-byte little-endian length, then a marshalled value.
# Job: (source bytes, filename, optimize). Answer: (code bytes, guards) or (None, line,
# message). The guards are the `try` statements that run when the module is imported
# (not inside a function) with a handler that catches a failed import, as
# (first line of the body, last line of the body, ((first, last line of a handler), ...)):
# which imports are optional, and which are the fallback of others, no bytecode says the
# same way on every version, and the source does.

import marshal
import os
import queue
import subprocess
import sys
import threading

from .protocol import Failure, report_compiled

MAX_WORKERS = 8
# The `try` statements of a source that catch a failed import (see the protocol above):
# part of the worker, and of the tests.
GUARDS = r"""
import ast

# What a handler of a failed import catches: ImportError, its subclass, or more.
IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
TRY = (ast.Try, getattr(ast, "TryStar", ast.Try))
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def catches_import_error(handler):
    caught = handler.type
    if caught is None:
        return True
    for node in caught.elts if isinstance(caught, ast.Tuple) else (caught,):
        name = getattr(node, "id", None) or getattr(node, "attr", None)
        if name in IMPORT_ERRORS:
            return True
    return False


def guards(source, filename):
    # Parsing costs about half as much again as compiling: only sources that name a
    # failed import are parsed (a bare `except:` around an import elsewhere is taken for
    # a plain import).
    if b"ImportError" not in source and b"ModuleNotFoundError" not in source:
        return ()
    try:
        tree = compile(source, filename, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()  # the compiler said what it had to; its imports then count as plain
    found = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, TRY) and node.body:
            handlers = tuple(
                (h.lineno, h.end_lineno) for h in node.handlers if catches_import_error(h)
            )
            if handlers:
                found.append((node.body[0].lineno, node.body[-1].end_lineno, handlers))
        for child in ast.iter_child_nodes(node):
            # Statements only: an expression holds no import statement, and what a
            # function does runs later, not as the module is imported.
            if not isinstance(child, (ast.expr, *FUNCTIONS)):
                stack.append(child)
    return tuple(sorted(found))
"""
WORKER = (
    r"""
import sys
# Before 3.11 nothing but -I keeps the current directory off sys.path.
sys.path[:] = [p for p in sys.path if p]
import marshal
import warnings

# SyntaxWarnings of dependencies (invalid escapes, `is` with a literal) are not the
# user's to fix, and running from a .pyc would not show them either.
warnings.simplefilter("ignore")
read = sys.stdin.buffer.read
out = sys.stdout.buffer
"""
    + GUARDS
    + r"""

def compile_one(source, filename, optimize):
    try:
        code = compile(source, filename, "exec", dont_inherit=True, optimize=optimize)
        answer = (marshal.dumps(code), guards(source, filename))
    except SyntaxError as e:
        answer = (None, e.lineno, e.msg)
    except (ValueError, RecursionError, MemoryError) as e:
        # ValueError: null bytes (before 3.12) or an undecodable source.
        answer = (None, None, str(e) or type(e).__name__)
    data = marshal.dumps(answer)
    out.write(len(data).to_bytes(8, "little"))
    out.write(data)
    out.flush()


while True:
    header = read(8)
    if len(header) < 8:
        break
    compile_one(*marshal.loads(read(int.from_bytes(header, "little"))))
"""
)


def read_exactly(stream, size):
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the compiler process exited")
    return data


class Compilers:
    """The worker interpreters, each served by a thread of this process. They are started
    as jobs come, no more than are kept busy: with the code cache, a rebuild after an edit
    compiles one module, and starting an interpreter costs more than compiling it."""

    def __init__(self, optimize):
        if not sys.executable:
            raise Failure("no_executable")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        self.env["PYTHONHASHSEED"] = "0"
        try:
            cpus = len(os.sched_getaffinity(0))
        except AttributeError:
            cpus = os.cpu_count() or 1
        self.limit = max(1, min(cpus, MAX_WORKERS))
        self.optimize = optimize
        self.jobs = queue.Queue()
        self.answers = queue.Queue()
        self.pending = 0
        self.done = 0
        self.workers = []

    def start_worker(self):
        try:
            worker = subprocess.Popen(
                [sys.executable, "-s", "-S", "-c", WORKER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=self.env,
            )
        except OSError as e:
            raise Failure("cannot_start_workers", executable=sys.executable, reason=str(e))
        self.workers.append(worker)
        threading.Thread(target=self.serve, args=(worker,), daemon=True).start()

    def submit(self, module, source):
        if self.pending >= len(self.workers) and len(self.workers) < self.limit:
            self.start_worker()
        job = marshal.dumps((source, module.bundle_path, self.optimize))
        self.jobs.put((module, job))
        self.pending += 1

    def answer(self):
        module, answer = self.answers.get()
        self.pending -= 1
        self.done += 1
        report_compiled(self.done, self.done + self.pending)
        if isinstance(answer, Exception):
            raise Failure(
                "compiler_failed",
                module=module.name,
                file=module.origin or module.bundle_path,
                reason=repr(answer),
            )
        return module, answer

    def serve(self, worker):
        while True:
            job = self.jobs.get()
            if job is None:
                return
            module, data = job
            try:
                worker.stdin.write(len(data).to_bytes(8, "little"))
                worker.stdin.write(data)
                worker.stdin.flush()
                size = int.from_bytes(read_exactly(worker.stdout, 8), "little")
                answer = marshal.loads(read_exactly(worker.stdout, size))
            except Exception as e:  # noqa: BLE001
                # The thread's end: the analysis reports it as the compiler's failure.
                self.answers.put((module, e))
                return
            self.answers.put((module, answer))

    def close(self):
        for _ in self.workers:
            self.jobs.put(None)
        for worker in self.workers:
            worker.stdin.close()
            worker.wait()
            worker.stdout.close()
