"""The printed report: a header on the machine and the tools, one table per app, and the
issue's targets with what was measured."""

import os
import subprocess
from dataclasses import dataclass, field

from .memory import INSTANCES

FLOOR = "floor"
MAIN_PY = "python main.py"
PYFREEZE = "pyfreeze"
# The memory rows' targets: (MemoryResult.name, how the targets section says it).
SCALE_ROW = f"stdlib x{INSTANCES}"
MEMORY_TARGETS = ((SCALE_ROW, f"stdlib, {INSTANCES} idle instances: PSS vs python main.py's"),
                  ("pool", "pool, parent + 8 workers: PSS vs python main.py's"))


@dataclass
class AppResult:
    name: str
    about: str
    order: list = field(default_factory=list)    # command names, in table order
    builds: dict = field(default_factory=dict)   # name -> builders.Built
    startup: object = None                       # measure.Startup
    writes: dict = field(default_factory=dict)   # name -> bytes per run
    skipped: list = field(default_factory=list)  # (tool, reason)
    notes: list = field(default_factory=list)
    error: str = ""                              # why the whole app was skipped
    io_readable: bool = True                     # whether /proc/PID/io could be read


@dataclass
class MemoryResult:
    """One memory row: a set of idle processes per command (see pfbench/memory.py)."""
    name: str
    about: str
    instances: int = 1
    order: list = field(default_factory=list)      # command names, in table order
    footprints: dict = field(default_factory=dict)  # name -> memory.Footprint
    skipped: list = field(default_factory=list)    # (tool, reason)
    notes: list = field(default_factory=list)
    error: str = ""                                # why the whole row was not measured


@dataclass
class PaddingResult:
    runs: int = 0
    ratio: float = None
    plain_ms: float = None
    padded_ms: float = None
    modules_added: int = None
    note: str = ""


def human_bytes(n):
    if n is None:
        return "-"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return os.uname().machine


def _git_revision(root):
    def git(*args):
        out = subprocess.run(["git", "-C", str(root)] + list(args), capture_output=True,
                             text=True, check=False)
        return out.stdout.strip() if out.returncode == 0 else ""

    rev = git("rev-parse", "--short", "HEAD") or "unknown revision"
    return rev + (" + uncommitted changes" if git("status", "--porcelain") else "")


def _gcc_version():
    out = subprocess.run(["gcc", "-dumpfullversion"], capture_output=True, text=True, check=False)
    return out.stdout.strip() if out.returncode == 0 else "not found"


def header(started, root, envs, runs, load, not_selected, build_timeout):
    lines = [
        "pyfreeze benchmark, {}".format(started.strftime("%Y-%m-%d %H:%M %Z")),
        (f"CPU: {_cpu_model()} ({os.cpu_count()} cores), kernel {os.uname().release}, "
         f"load average {load:.2f} at start"),
        (f"CPython {envs.interp.version} ({envs.interp.exe}); "
         f"python main.py runs in the virtualenv {envs.base_python}"),
        f"pyfreeze at {_git_revision(root)}",
    ]
    if envs.anchors:
        names = {"pyinstaller": "PyInstaller", "cx_freeze": "cx_Freeze", "nuitka": "Nuitka"}
        tools = ", ".join(f"{names[k]} {v}" for k, v in sorted(envs.anchors.items()))
        if "nuitka" in envs.anchors:
            tools += f" (gcc {_gcc_version()})"
        lines.append("anchors: " + tools)
    if not_selected:
        lines.append("anchors not selected (--anchors, --skip-anchors): " + ", ".join(not_selected))
    lines.append(f"start-up: {runs} interleaved rounds after 3 warm-up rounds, every command once "
                 "per round; ratios are medians of per-round ratios")
    lines.append(f"builds: a build taking more than {build_timeout:.0f} s is killed and skipped")
    return "\n".join(lines)


def _fmt_s(s):
    return "-" if s is None else f"{s:.2f} s"


def app_table(result):
    lines = ["", f"== {result.name}: {result.about} =="]
    if result.error:
        lines.append("skipped: " + result.error)
        return "\n".join(lines)
    st = result.startup
    columns = ("", "cold build", "rebuild", "size", "start-up", "x floor", "x main.py",
               "peak RSS", "writes/run")
    rows = []
    for name in result.order:
        built = result.builds.get(name)
        rows.append((
            name,
            _fmt_s(built.cold_s) if built else "-",
            _fmt_s(built.rebuild_s) if built else "-",
            human_bytes(built.size) if built else "-",
            f"{st.median_ms(name):.1f} ms",
            f"{st.ratio(name, FLOOR):.2f}",
            f"{st.ratio(name, MAIN_PY):.2f}",
            human_bytes(st.peak_rss_kib(name) * 1024),
            human_bytes(result.writes.get(name)),
        ))
    lines.extend(_aligned(columns, rows, result.skipped, result.notes))
    return "\n".join(lines)


def _aligned(columns, rows, skipped, notes):
    """The lines of a table, the first column left-aligned and the rest right-aligned, then
    what was skipped and the notes."""
    widths = [max(len(r[i]) for r in rows + [columns]) for i in range(len(columns))]
    fmt = "  ".join([f"{{:<{widths[0]}}}"] + [f"{{:>{w}}}" for w in widths[1:]])
    lines = [fmt.format(*columns)]
    lines.extend(fmt.format(*r) for r in rows)
    lines.extend(f"skipped: {tool}: {reason}" for tool, reason in skipped)
    lines.extend("note: " + note for note in notes)
    return lines


def _kib(n):
    return human_bytes(n * 1024)


def memory_table(row):
    lines = ["", f"== memory: {row.name}, {row.about} =="]
    if row.error:
        lines.append("skipped: " + row.error)
        return "\n".join(lines)
    per_instance = row.instances > 1
    columns = (("", "processes", "PSS", "x main.py") + (("per instance",) if per_instance else ())
               + ("anon", "file", "shmem", "memfd unmapped"))
    main_py = row.footprints[MAIN_PY].pss
    rows = []
    for name in row.order:
        fp = row.footprints[name]
        rows.append((name, str(fp.processes), _kib(fp.pss), f"{fp.pss / main_py:.2f}")
                    + ((_kib(fp.pss / fp.instances),) if per_instance else ())
                    + (_kib(fp.anon), _kib(fp.file), _kib(fp.shmem), _kib(fp.memfd_unmapped)))
    lines.extend(_aligned(columns, rows, row.skipped, row.notes))
    return "\n".join(lines)


def footer(results, io_readable, memory_measured):
    spawner = max((r.startup.spawner_rss_kib for r in results if r.startup), default=0)
    lines = [
        "",
        ("floor: python -I -S -c pass; python main.py: the app's sources with a warm "
         "__pycache__, run by the virtualenv's python."),
        ("cold build: empty work directory and caches; rebuild: the same command again, "
         "nothing changed. size: the file, or the folder's files."),
        ("peak RSS: largest ru_maxrss over the runs (for a onefile app, its largest process); "
         "no reading can go below the spawning helper's own "
         f"{human_bytes(spawner * 1024)} (see SPAWNER in bench/pfbench/measure.py)."),
        "writes/run: median over 3 runs of the larger of /proc/PID/io write_bytes and the "
        "bytes left in an empty TMPDIR, XDG_CACHE_HOME and current directory{}.".format(
            "" if io_readable else " (/proc/PID/io was NOT readable here: left files only)"),
    ]
    if memory_measured:
        lines += [
            ("memory: the processes of every instance (its session: a onefile bootloader's "
             "child, a pool's workers) once all have printed `ready`, idle; PSS: the sum of "
             "their /proc/PID/smaps_rollup Pss, a page shared by N processes counting 1/N in "
             "each; anon, file, shmem: its Pss_Anon, Pss_File, Pss_Shmem (a memfd is shmem)."),
            ("memfd unmapped: pages of memfds the processes hold but do not map (the machine's "
             "Shmem growth less their Pss_Shmem): in memory, yet in no process's PSS."),
        ]
    return "\n".join(lines)


class _Targets:
    def __init__(self):
        self.rows = []

    def add(self, what, target, measured, met):
        """measured: a string, or None when it could not be measured (met is then the reason)."""
        if measured is None:
            self.rows.append((what, target, "n/a", f"({met})"))
        else:
            self.rows.append((what, target, measured, "met" if met else "MISSED"))

    def render(self):
        w0 = max(len(r[0]) for r in self.rows)
        w1 = max(len(r[1]) for r in self.rows)
        w2 = max(len(r[2]) for r in self.rows)
        lines = ["", "== targets (issues 5 and 15) =="]
        lines += ["{:<{}}  {:<{}}  {:>{}}  {}".format(r[0], w0, r[1], w1, r[2], w2, r[3])
                  for r in self.rows]
        return "\n".join(lines)


def _ratio_target(t, results, app, what, name, to, limit, at_least=False):
    r = results.get(app)
    if r is None or r.error:
        t.add(what, _limit_text(limit, at_least), None,
              f"{app} not measured" if r is None else r.error)
        return
    if name not in r.order or to not in r.order:
        missing = name if name not in r.order else to
        t.add(what, _limit_text(limit, at_least), None, f"{missing} not measured")
        return
    value = r.startup.ratio(name, to)
    t.add(what, _limit_text(limit, at_least), f"{value:.2f}x",
          value >= limit if at_least else value <= limit)


def _limit_text(limit, at_least):
    return ("at least {:.2f}x" if at_least else "at most {:.2f}x").format(limit)


def _memory_targets(t, memory_rows, skipped_why):
    """memory_rows: the MemoryResults, or None when they were not measured (skipped_why)."""
    for name, what in MEMORY_TARGETS:
        row = next((r for r in memory_rows or () if r.name == name), None)
        if row is None or row.error:
            t.add(what, "at most 1.30x", None, row.error if row else skipped_why)
        elif PYFREEZE not in row.footprints:
            t.add(what, "at most 1.30x", None, "pyfreeze not measured")
        else:
            ratio = row.footprints[PYFREEZE].pss / row.footprints[MAIN_PY].pss
            t.add(what, "at most 1.30x", f"{ratio:.2f}x", ratio <= 1.3)


def targets(results_list, padding, memory_rows, memory_skipped_why=""):
    results = {r.name: r for r in results_list}
    t = _Targets()
    _ratio_target(t, results, "hello", "hello start-up vs floor", PYFREEZE, FLOOR, 1.15)
    _ratio_target(t, results, "hello", "hello start-up vs python main.py", PYFREEZE, MAIN_PY, 0.9)
    _ratio_target(t, results, "hello", "hello: PyInstaller --onefile start-up / pyfreeze's",
                  "pyinstaller-onefile", PYFREEZE, 20, at_least=True)
    for app in ("stdlib", "thirdparty"):
        _ratio_target(t, results, app, f"{app} start-up vs python main.py",
                      PYFREEZE, MAIN_PY, 0.85)

    hello = results.get("hello")
    what = "hello size vs PyInstaller --onefile's"
    if hello and not hello.error and "pyinstaller-onefile" in hello.builds:
        share = hello.builds[PYFREEZE].size / hello.builds["pyinstaller-onefile"].size
        t.add(what, "at most 50%", f"{100 * share:.0f}%", share <= 0.5)
    else:
        t.add(what, "at most 50%", None, "PyInstaller --onefile not measured")

    for r in results_list:
        what = f"{r.name} peak RSS vs python main.py's"
        if r.error:
            t.add(what, "at most +10%", None, r.error)
            continue
        extra = r.startup.peak_rss_kib(PYFREEZE) / r.startup.peak_rss_kib(MAIN_PY) - 1
        t.add(what, "at most +10%", f"{100 * extra:+.0f}%", extra <= 0.10)

    for app, limit in (("hello", 1.0), ("thirdparty", 3.0)):
        r = results.get(app)
        what = f"{app} cold build"
        if r is None or r.error:
            t.add(what, f"at most {limit:.0f} s", None,
                  f"{app} not measured" if r is None else r.error)
        else:
            cold = r.builds[PYFREEZE].cold_s
            t.add(what, f"at most {limit:.0f} s", f"{cold:.2f} s", cold <= limit)
    for r in results_list:
        what = f"{r.name} rebuild, no change"
        built = None if r.error else r.builds.get(PYFREEZE)
        if built is None or built.rebuild_s is None:
            t.add(what, "at most 0.2 s", None, r.error or (built.note if built else "no build"))
        else:
            t.add(what, "at most 0.2 s", f"{built.rebuild_s:.2f} s",
                  built.rebuild_s <= 0.2)

    what = "hello + 2,000 unused modules vs without"
    if padding is None:
        t.add(what, "at most 1.05x", None, "hello not measured")
    elif padding.ratio is None:
        t.add(what, "at most 1.05x", None, padding.note)
    else:
        t.add(what, "at most 1.05x", f"{padding.ratio:.3f}x", padding.ratio <= 1.05)
    _memory_targets(t, memory_rows, memory_skipped_why)
    return t.render()


def padding_lines(padding):
    if padding is None or padding.ratio is None:
        return ""
    text = ("\n== pyfreeze: hello with 2,000 unused modules ==\n"
            f"{padding.runs} interleaved rounds: {padding.padded_ms:.2f} ms with them, "
            f"{padding.plain_ms:.2f} ms without, "
            f"ratio {padding.ratio:.3f} (median of per-round ratios)")
    if padding.modules_added is not None:
        text += f"; the bundle holds {padding.modules_added} more modules"
    if padding.note:
        text += "\nnote: " + padding.note
    return text
