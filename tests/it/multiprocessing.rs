//! multiprocessing in a frozen app and the bundle run again as `sys.executable`, compared
//! with CPython running the same app on every interpreter. A frozen app's spawned children,
//! fork server and resource tracker are the bundle itself, started with multiprocessing's
//! own command lines; any other arguments, `-c` and `-m` included, are the app's.
//!
//! The app counts the processes that re-run its script (each child logs its top level to a
//! file), and every wait in it has a timeout: a child that ran the app instead of its task
//! exits at once (the app's main block refuses to run in a child), and if processes
//! multiplied anyway the harness kills the whole process group after its timeout.

use std::path::Path;

use pyfreeze_tests::{
    bundle_of, bundle_with, check_exact, compare, compare_to, for_each_interpreter, run_frozen_in,
    run_python, test_name, write_app, AppDir, Case, Exact, Status,
};

const APP: &str = r#"import multiprocessing
import os
import subprocess
import sys
import tempfile

# Every child that re-runs this script as __mp_main__ records it, once the parent has
# made the log (the parent's own run comes first, without one).
if "MPTEST_LOG" in os.environ:
    with open(os.environ["MPTEST_LOG"], "a") as log:
        log.write("%s %d\n" % (__name__, os.getpid()))


def record_worker():
    with open(os.environ["MPTEST_LOG"], "a") as log:
        log.write("worker %d\n" % os.getpid())


def square(x):
    return x * x


def pid_and_square(x):
    return os.getpid(), x * x


def no_threes(x):
    if x == 3:
        raise ValueError("no threes, got %d" % x)
    return x


def produce(queue, count):
    for i in range(count):
        queue.put(("item", i, multiprocessing.current_process().name))
    queue.put(None)


def shout(inbox, outbox):
    for word in iter(inbox.get, None):
        outbox.put(word.upper())


def grandchild(queue):
    queue.put("grandchild " + multiprocessing.current_process().name)


def child(queue):
    inner = multiprocessing.get_context("spawn").Process(target=grandchild, args=(queue,))
    inner.start()
    inner.join(30)
    queue.put("child %s: grandchild exit code %s" % (multiprocessing.current_process().name, inner.exitcode))


def write_shared(name, lock):
    from multiprocessing import shared_memory

    with lock:
        shm = shared_memory.SharedMemory(name=name)
        shm.buf[:5] = b"hello"
        shm.close()


def start_log():
    fd, path = tempfile.mkstemp(prefix="mptest-")
    os.close(fd)
    os.environ["MPTEST_LOG"] = path
    return path


def read_log(path):
    """{what: [pid, ...]} of the log's lines."""
    found = {}
    with open(path) as log:
        for line in log:
            what, pid = line.split()
            found.setdefault(what, []).append(int(pid))
    os.remove(path)
    return found


def pool(method):
    log = start_log()
    with multiprocessing.get_context(method).Pool(4, initializer=record_worker) as workers:
        results = workers.map_async(pid_and_square, range(40), chunksize=1).get(timeout=30)
        workers.close()
        workers.join()
    found = read_log(log)
    workers = set(found.get("worker", []))
    print("sum of squares:", sum(square for _, square in results))
    print("processes that ran the app's main block:", len(found.get("__main__", [])))
    print("re-runs of the script as __mp_main__:", len(found.get("__mp_main__", [])))
    print("pool workers:", len(found.get("worker", [])), "distinct:", len(workers))
    print("each worker re-ran the script once:", sorted(found.get("__mp_main__", [])) == sorted(workers))
    print("tasks ran in the workers:", {pid for pid, _ in results} <= workers)


def pool_error():
    with multiprocessing.get_context("spawn").Pool(2) as workers:
        workers.map_async(no_threes, range(5)).get(timeout=30)


def forkserver():
    log = start_log()
    ctx = multiprocessing.get_context("forkserver")
    with ctx.Pool(2, initializer=record_worker) as workers:
        print(workers.map_async(square, range(10)).get(timeout=30))
        workers.close()
        workers.join()
    queue = ctx.Queue()
    producer = ctx.Process(target=produce, args=(queue, 3))
    producer.start()
    print(list(iter(lambda: queue.get(timeout=30), None)))
    producer.join(30)
    print("producer exit code", producer.exitcode)
    found = read_log(log)
    print("re-runs of the script as __mp_main__:", len(found.get("__mp_main__", [])))
    print("processes that ran the app's main block:", len(found.get("__main__", [])))


def queues():
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    producer = ctx.Process(target=produce, args=(queue, 5))
    producer.start()
    print(list(iter(lambda: queue.get(timeout=30), None)))
    producer.join(30)
    inbox, outbox = ctx.Queue(), ctx.Queue()
    shouter = ctx.Process(target=shout, args=(inbox, outbox))
    shouter.start()
    for word in ("frozen", "spawn", "queue"):
        inbox.put(word)
    inbox.put(None)
    print([outbox.get(timeout=30) for _ in range(3)])
    shouter.join(30)
    print("exit codes", producer.exitcode, shouter.exitcode)


def nested():
    log = start_log()
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    parent = ctx.Process(target=child, args=(queue,))
    parent.start()
    print(queue.get(timeout=30))
    print(queue.get(timeout=30))
    parent.join(30)
    print("child exit code", parent.exitcode)
    print("re-runs of the script as __mp_main__:", len(read_log(log).get("__mp_main__", [])))


def executor():
    from concurrent.futures import ProcessPoolExecutor

    log = start_log()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=spawn) as pool:
        print(list(pool.map(square, range(10), timeout=30)))
    runs = len(read_log(log).get("__mp_main__", []))
    print("re-runs of the script as __mp_main__ within max_workers:", 1 <= runs <= 2)


def resources():
    from multiprocessing import shared_memory

    ctx = multiprocessing.get_context("spawn")
    lock = ctx.Lock()
    shm = shared_memory.SharedMemory(create=True, size=16)
    writer = ctx.Process(target=write_shared, args=(shm.name, lock))
    writer.start()
    writer.join(30)
    with lock:
        print("shared memory holds", bytes(shm.buf[:5]), "exit code", writer.exitcode)
    shm.close()
    shm.unlink()
    semaphore = ctx.Semaphore(2)
    with semaphore:
        print("semaphore value", semaphore.get_value())


def leak():
    from multiprocessing import shared_memory

    shm = shared_memory.SharedMemory(create=True, size=16)
    print(shm.name)


def rerun():
    if getattr(sys, "frozen", False):
        command = [sys.executable]
    else:
        flags = subprocess._args_from_interpreter_flags()
        command = [sys.executable] + flags + [os.path.abspath(__file__)]
    done = subprocess.run(
        command + ["-c", "print(1)", "a b"],
        stdout=subprocess.PIPE,
        universal_newlines=True,
        timeout=30,
    )
    print("re-run said", repr(done.stdout), "exit code", done.returncode)


MODES = {
    "pool": lambda: pool("spawn"),
    "pool-error": pool_error,
    "forkserver": forkserver,
    "queues": queues,
    "nested": nested,
    "executor": executor,
    "resources": resources,
    "leak": leak,
    "rerun": rerun,
}

if __name__ == "__main__":
    if "freeze-support" in sys.argv:
        multiprocessing.freeze_support()
    if "MPTEST_LOG" in os.environ:
        sys.exit("a child process ran the app's main block: %r" % sys.argv)
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode in MODES:
        MODES[mode]()
    else:
        print("arguments:", sys.argv[1:])
"#;

fn mp_app() -> AppDir {
    write_app("mpapp", &[("main.py", APP)])
}

/// Runs each case on the frozen app and on `python main.py` and compares them; where an
/// exact stdout is given, checks the frozen app's too: what the comparison stands on.
fn differential(test: &str, cases: &[(Case<'_>, Option<&str>)]) {
    for_each_interpreter(test, |python| {
        let frozen = bundle_of("mpapp", python, mp_app)?;
        let app = mp_app();
        let mut problems = Vec::new();
        for (case, stdout) in cases {
            problems.extend(compare(python, &frozen.exe, &app, case));
            if let Some(stdout) = stdout {
                let out = run_frozen_in(&frozen.exe, &app.path, case.args, None, &[]);
                let what = format!("{python}: frozen app {:?}", case.args);
                problems.extend(check_exact(&what, &out, &Exact::clean(stdout)));
            }
        }
        Ok(problems)
    });
}

const POOL_STDOUT: &str = "sum of squares: 20540\n\
processes that ran the app's main block: 0\n\
re-runs of the script as __mp_main__: 4\n\
pool workers: 4 distinct: 4\n\
each worker re-ran the script once: True\n\
tasks ran in the workers: True\n";

#[test]
fn spawn_pool_starts_exactly_its_workers() {
    // other freezers need multiprocessing.freeze_support(); here it changes nothing
    differential(
        test_name!(),
        &[
            (Case::new(&["pool"], Status::Code(0)), Some(POOL_STDOUT)),
            (
                Case::new(&["pool", "freeze-support"], Status::Code(0)),
                Some(POOL_STDOUT),
            ),
        ],
    );
}

#[test]
fn forkserver_pool_and_process() {
    let stdout = "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]\n\
[('item', 0, 'ForkServerProcess-3'), ('item', 1, 'ForkServerProcess-3'), ('item', 2, 'ForkServerProcess-3')]\n\
producer exit code 0\n\
re-runs of the script as __mp_main__: 3\n\
processes that ran the app's main block: 0\n";
    differential(
        test_name!(),
        &[(Case::new(&["forkserver"], Status::Code(0)), Some(stdout))],
    );
}

#[test]
fn queues_and_nested_processes() {
    let nested = "grandchild SpawnProcess-1:1\n\
child SpawnProcess-1: grandchild exit code 0\n\
child exit code 0\n\
re-runs of the script as __mp_main__: 2\n";
    differential(
        test_name!(),
        &[
            (Case::new(&["queues"], Status::Code(0)), None),
            (Case::new(&["nested"], Status::Code(0)), Some(nested)),
        ],
    );
}

#[test]
fn process_pool_executor() {
    differential(
        test_name!(),
        &[(Case::new(&["executor"], Status::Code(0)), None)],
    );
}

#[test]
fn exception_in_a_worker_shows_its_source_lines() {
    // the worker's traceback travels to the parent as text, with the source lines of the
    // script it re-ran as __mp_main__: equal to CPython's once paths are masked
    differential(
        test_name!(),
        &[(Case::new(&["pool-error"], Status::Code(1)), None)],
    );
}

#[test]
fn resource_tracker_cleans_up() {
    // shared memory and a lock used by a spawned child, a semaphore: all registered with
    // the resource tracker, a process of the bundle, and released without a warning
    differential(
        test_name!(),
        &[(
            Case::new(&["resources"], Status::Code(0)),
            Some("shared memory holds b'hello' exit code 0\nsemaphore value 1\n"),
        )],
    );
}

#[test]
fn resource_tracker_reports_and_removes_a_leak() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("mpapp", python, mp_app)?;
        let app = mp_app();
        let reference = run_python(python, &app.path, &["main.py", "leak"], None, &[]);
        let leaked = run_frozen_in(&frozen.exe, &app.path, &["leak"], None, &[]);
        let mut problems = Vec::new();
        // the warning's text is CPython's, but its file and source line differ: checked, not compared
        for (who, out) in [("CPython", &reference), ("frozen", &leaked)] {
            let segment = Path::new("/dev/shm").join(out.stdout.trim());
            if out.status != Status::Code(0)
                || !out.stdout.starts_with("psm_")
                || !out
                    .stderr
                    .contains("There appear to be 1 leaked shared_memory objects")
                || segment.exists()
            {
                problems.push(format!(
                    "{python}: {who}: the resource tracker must report the leaked \
                     SharedMemory and remove it ({} exists: {}):\n{out}",
                    segment.display(),
                    segment.exists()
                ));
            }
        }
        Ok(problems)
    });
}

#[test]
fn module_entry_point_children() {
    // `--entry main`: the children re-run it by module name, through the bundle's finder
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_with("mpapp", python, &["--entry", "main"], mp_app)?;
        let app = mp_app();
        let mut problems = Vec::new();
        for case in [
            Case::new(&["pool"], Status::Code(0)),
            Case::new(&["nested"], Status::Code(0)),
        ] {
            problems.extend(compare_to(
                python,
                &["-m", "main"],
                &frozen.exe,
                &app,
                &case,
            ));
        }
        let pool = run_frozen_in(&frozen.exe, &app.path, &["pool"], None, &[]);
        problems.extend(check_exact(
            &format!("{python}: Pool(4), module entry"),
            &pool,
            &Exact::clean(POOL_STDOUT),
        ));
        Ok(problems)
    });
}

/// Command lines that only look like multiprocessing's: the app gets them as arguments.
const NOT_HELPERS: &[&[&str]] = &[
    &["-c", "print(1)"],
    &["-m", "json.tool"],
    &[
        "-I",
        "-S",
        "-c",
        "from multiprocessing.resource_tracker import main;main(0); print(2)",
    ],
    &[
        "-c",
        "from multiprocessing.resource_tracker import main;main(len('ab'))",
    ],
    &[
        "-c",
        "from multiprocessing.resource_tracker import main as m;m(0)",
    ],
    &["-c", "from multiprocessing.spawn import main;main(0)"],
    &[
        "-Q",
        "-c",
        "from multiprocessing.resource_tracker import main;main(0)",
    ],
    &[
        "-c",
        "from multiprocessing.resource_tracker import main;main(0)",
        "x",
    ],
    &["--multiprocessing-fork", "pipe_handle=3;x"],
    &["--multiprocessing-fork", "tracker_fd=3"],
    &["--multiprocessing-fork", "pipe_handle=3", "pipe_handle=4"],
];

#[test]
fn bundle_runs_again_with_the_apps_arguments() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("mpapp", python, mp_app)?;
        let app = mp_app();
        let mut problems = compare(
            python,
            &frozen.exe,
            &app,
            &Case::new(&["rerun"], Status::Code(0)),
        );
        for args in NOT_HELPERS {
            problems.extend(compare(
                python,
                &frozen.exe,
                &app,
                &Case::new(args, Status::Code(0)),
            ));
        }
        // subprocess.run([sys.executable, "-c", "print(1)", "a b"]) runs the app again
        let rerun = run_frozen_in(&frozen.exe, &app.path, &["rerun"], None, &[]);
        let expected = "re-run said \"arguments: ['-c', 'print(1)', 'a b']\\n\" exit code 0\n";
        problems.extend(check_exact(
            &format!("{python}: subprocess with sys.executable"),
            &rerun,
            &Exact::clean(expected),
        ));
        let print1 = run_frozen_in(&frozen.exe, &app.path, &["-c", "print(1)"], None, &[]);
        problems.extend(check_exact(
            &format!("{python}: -c print(1)"),
            &print1,
            &Exact::clean("arguments: ['-c', 'print(1)']\n"),
        ));
        // the exact command line of the resource tracker is one (reading fd 0, at its end
        // at once), and the app does not run
        let tracker = [
            "-B",
            "-S",
            "-I",
            "-c",
            "from multiprocessing.resource_tracker import main;main(0)",
        ];
        let out = run_frozen_in(&frozen.exe, &app.path, &tracker, None, &[]);
        problems.extend(check_exact(
            &format!("{python}: the resource tracker's command line"),
            &out,
            &Exact::clean(""),
        ));
        Ok(problems)
    });
}
