//! (h) Builds that must fail: non-zero exit, a message on stderr that names the culprit, no
//! output file and no temporary file left beside where it would have gone. The messages are
//! snapshots (`it/snapshots/`), taken with the newest interpreter, with the scratch directory,
//! the interpreter's paths and its full version filtered, so they are the same whatever
//! interpreter is newest.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pyfreeze_tests::{
    build_args, check_exact, for_each_interpreter, freeze, list_tree, newest_interpreter,
    pyenv_root, pyfreeze, pyfreeze_env, run_frozen, tempdir, test_name, Env, Exact, Output, Status,
    TempDir,
};

/// pyfreeze's exit status for a failure: whose fault it is.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// The input was wrong; the message says how to fix it.
    User = 1,
    /// pyfreeze, the interpreter or the machine failed on input that was fine.
    Internal = 2,
}

/// A scratch directory with an empty `out/`, the directory the output would go to.
struct Scene {
    tmp: TempDir,
    out_dir: PathBuf,
}

impl Scene {
    fn new(name: &str) -> Self {
        let tmp = tempdir(name);
        let out_dir = tmp.path().join("out");
        fs::create_dir(&out_dir).expect("mkdir out");
        Scene { tmp, out_dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    fn write(&self, rel: &str, contents: &str) {
        let file = self.path(rel);
        fs::create_dir_all(file.parent().expect("in a directory")).expect("mkdir");
        fs::write(file, contents).expect("write");
    }

    /// An executable shell script at `rel`.
    fn script(&self, rel: &str, contents: &str) -> PathBuf {
        self.write(rel, contents);
        let path = self.path(rel);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    /// Runs `pyfreeze build <app> -o <output> --python <python>`, which must fail with
    /// exit status `fault` without touching `out/` (whose listing must stay
    /// `out_listing`), and with a stderr that contains every one of `names`. Returns the
    /// stderr.
    fn failed_build(
        &self,
        app: &Path,
        output: &Path,
        python: &Path,
        names: &[&str],
        out_listing: &[&str],
        fault: Fault,
    ) -> String {
        let args = build_args(app, output, python);
        let out = pyfreeze(&args, self.tmp.path());
        self.failed(out, names, out_listing, fault)
    }

    /// `pyfreeze build app -o out/app --python <python> <extra>` with `env`, which must
    /// fail as [`Scene::failed_build`] says, `out/` staying empty.
    fn failed_build_with(
        &self,
        python: &Path,
        extra: &[&str],
        env: &Env<'_>,
        names: &[&str],
        fault: Fault,
    ) -> String {
        let (app, output) = (self.path("app"), self.out_dir.join("app"));
        let mut args = build_args(&app, &output, python);
        args.extend(extra.iter().map(OsStr::new));
        let out = pyfreeze_env(&args, self.tmp.path(), env);
        self.failed(out, names, &[], fault)
    }

    fn failed(&self, out: Output, names: &[&str], out_listing: &[&str], fault: Fault) -> String {
        assert_eq!(
            out.status,
            Status::Code(fault as i32),
            "the build should have failed with exit status {} ({fault:?})\n{out}",
            fault as i32
        );
        assert!(!out.stderr.trim().is_empty(), "no message on stderr\n{out}");
        for name in names {
            assert!(
                out.stderr.contains(name),
                "stderr does not name {name:?}\n{out}"
            );
        }
        let listing: Vec<PathBuf> = list_tree(&self.out_dir);
        let expected: Vec<PathBuf> = out_listing.iter().map(PathBuf::from).collect();
        assert_eq!(
            listing, expected,
            "the failed build left files where its output would have gone\n{out}"
        );
        out.stderr
    }

    /// Snapshots `stderr` with the scratch directory, the interpreter and its version
    /// filtered out.
    fn snapshot(&self, name: &str, stderr: &str) {
        let python = newest_interpreter();
        let mut settings = insta::Settings::clone_current();
        let mut paths = vec![(self.tmp.path().to_path_buf(), "[TMP]")];
        paths.push((python.path.clone(), "[PYTHON]"));
        if let Ok(real) = fs::canonicalize(&python.path) {
            paths.push((real, "[PYTHON]"));
        }
        if let Some(parent) = python.stdlib.parent() {
            // <prefix>/lib: where libpython and the stdlib are
            paths.push((parent.to_path_buf(), "[PYLIB]"));
        }
        if let Some(root) = pyenv_root() {
            paths.push((root, "[PYENV]"));
        }
        for (path, placeholder) in paths {
            settings.add_filter(&regex::escape(&path.to_string_lossy()), placeholder);
        }
        settings.add_filter(
            &format!(r"\b{}\b", regex::escape(&python.version)),
            "[VERSION]",
        );
        settings.bind(|| insta::assert_snapshot!(name, stderr));
    }
}

#[test]
fn missing_app_dir() {
    let scene = Scene::new("missing-app");
    let app = scene.path("does-not-exist");
    let stderr = scene.failed_build(
        &app,
        &scene.out_dir.join("app"),
        &newest_interpreter().path,
        &["does-not-exist"],
        &[],
        Fault::User,
    );
    scene.snapshot(test_name!(), &stderr);
}

#[test]
fn dir_without_entry_point() {
    let scene = Scene::new("no-entry");
    scene.write("noentry/helper.py", "X = 1\n");
    let stderr = scene.failed_build(
        &scene.path("noentry"),
        &scene.out_dir.join("app"),
        &newest_interpreter().path,
        &["noentry"],
        &[],
        Fault::User,
    );
    scene.snapshot(test_name!(), &stderr);
}

#[test]
fn module_with_syntax_error() {
    let scene = Scene::new("syntax");
    scene.write("broken_app/main.py", "import broken\n\nbroken.run()\n");
    // the same message and position on CPython 3.8 to 3.13: "invalid syntax", line 4
    scene.write(
        "broken_app/broken.py",
        "\"\"\"A module with a syntax error on line 4.\"\"\"\n\n\nvalue = = 1\n",
    );
    let stderr = scene.failed_build(
        &scene.path("broken_app"),
        &scene.out_dir.join("app"),
        &newest_interpreter().path,
        &["broken.py:4"],
        &[],
        Fault::User,
    );
    scene.snapshot(test_name!(), &stderr);
}

#[test]
fn interpreter_without_shared_libpython() {
    let scene = Scene::new("no-libpython");
    scene.write("hello/main.py", "print('hello')\n");
    let real = &newest_interpreter().path;
    let real = real.to_str().expect("utf-8 interpreter path");
    assert!(!real.contains('\''), "cannot quote {real}");
    // pyfreeze runs `INTERP -I -c SCRIPT` (request on stdin): $3 is the analysis script,
    // run with sysconfig saying the interpreter was not built with --enable-shared. The
    // probe before it gets the truth: this is the analysis's own check.
    let wrapper = scene.script(
        "nolib/bin/python3",
        &format!(
            "#!/bin/sh\n[ \"$1\" = -I ] || exec '{real}' \"$@\"\n\
             exec '{real}' -I -c 'import sysconfig, sys; v = sysconfig.get_config_vars(); \
             v[\"Py_ENABLE_SHARED\"] = 0; exec(compile(sys.argv[1], \"<analysis>\", \"exec\"))' \"$3\"\n"
        ),
    );
    let out = scene.out_dir.join("app");
    let stderr = scene.failed_build(&scene.path("hello"), &out, &wrapper, &[], &[], Fault::User);
    let wrapper = wrapper.to_string_lossy();
    assert!(
        stderr.contains(&*wrapper) || stderr.contains(real),
        "stderr names neither the interpreter given ({wrapper}) nor the real one ({real}):\n{stderr}"
    );
    scene.snapshot(test_name!(), &stderr);
}

#[test]
fn output_path_is_a_directory() {
    let scene = Scene::new("out-is-dir");
    scene.write("hello/main.py", "print('hello')\n");
    let existing = scene.out_dir.join("existing");
    fs::create_dir(&existing).expect("mkdir");
    let stderr = scene.failed_build(
        &scene.path("hello"),
        &existing,
        &newest_interpreter().path,
        &["existing"],
        &["existing"],
        Fault::User,
    );
    assert!(existing.is_dir(), "the directory given as output is gone");
    scene.snapshot(test_name!(), &stderr);
}

#[test]
fn interpreter_that_crashes_is_an_internal_failure() {
    let scene = Scene::new("crashing-python");
    scene.write("hello/main.py", "print('hello')\n");
    let wrapper = scene.script(
        "crash/bin/python3",
        "#!/bin/sh\necho 'Fatal Python error: simulated' >&2\nexit 3\n",
    );
    let stderr = scene.failed_build(
        &scene.path("hello"),
        &scene.out_dir.join("app"),
        &wrapper,
        &["simulated"],
        &[],
        Fault::Internal,
    );
    assert!(stderr.contains("exit status 3"), "{stderr}");
}

#[test]
fn a_bad_command_line_is_a_user_error() {
    let scene = Scene::new("bad-command-line");
    for args in [&["build", "--no-such-option"][..], &["frobnicate"], &[]] {
        let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        let out = pyfreeze(&args, scene.tmp.path());
        assert_eq!(
            out.status,
            Status::Code(Fault::User as i32),
            "{args:?}\n{out}"
        );
        assert!(out.stderr.contains("Usage:"), "{args:?}\n{out}");
    }
    let help = pyfreeze(&[OsStr::new("--help")], scene.tmp.path());
    assert_eq!(help.status, Status::Code(0), "{help}");
    assert!(
        help.stdout.contains("Exit status: 0 on success; 1 when"),
        "{help}"
    );
}

#[test]
fn ls_of_a_file_that_is_not_a_bundle_is_a_user_error() {
    let scene = Scene::new("ls-not-a-bundle");
    scene.write("notes.txt", "not a bundle\n");
    let out = pyfreeze(
        &[OsStr::new("ls"), scene.path("notes.txt").as_os_str()],
        scene.tmp.path(),
    );
    assert_eq!(out.status, Status::Code(Fault::User as i32), "{out}");
    assert!(out.stderr.contains("notes.txt"), "{out}");
}

#[test]
fn with_an_unknown_distribution() {
    let scene = Scene::new("unknown-with");
    scene.write("withapp/main.py", "print('hi')\n");
    let python = newest_interpreter();
    let output = scene.out_dir.join("app");
    let app = scene.path("withapp");
    let mut args = build_args(&app, &output, &python.path);
    args.extend([OsStr::new("--with"), OsStr::new("no-such-dist")]);
    let out = pyfreeze(&args, scene.tmp.path());
    assert_eq!(out.status, Status::Code(Fault::User as i32), "{out}");
    assert!(list_tree(&scene.out_dir).is_empty(), "{out}");
    scene.snapshot(test_name!(), &out.stderr);
}

#[test]
fn a_copy_native_pattern_that_is_not_a_glob() {
    let scene = Scene::new("copy-native");
    scene.write("app/main.py", "print('hi')\n");
    let stderr = scene.failed_build_with(
        &newest_interpreter().path,
        &["--copy-native", "lib[crypto"],
        &[],
        &["lib[crypto", "help: "],
        Fault::User,
    );
    scene.snapshot(test_name!(), &stderr);
}

/// A fake interpreter at `<scene>/<name>/bin/python3`: pyfreeze's probe (`-E -s -S -c
/// PROBE`) runs on the newest interpreter made to say it is `implementation` `version`
/// with `Py_ENABLE_SHARED` = `shared`; `-I`, which only the analysis passes, is refused
/// as Python 2.7 refuses it, so a probe that let it through shows.
fn fake_python(
    scene: &Scene,
    name: &str,
    implementation: &str,
    (major, minor, micro): (u32, u32, u32),
    shared: &str,
) -> PathBuf {
    let real = newest_interpreter().path.to_str().expect("utf-8 path");
    assert!(!real.contains('\''), "cannot quote {real}");
    scene.script(
        &format!("{name}/bin/python3"),
        &format!(
            "#!/bin/sh\n\
             if [ \"$1\" = -I ]; then echo 'Unknown option: -I' >&2; exit 2; fi\n\
             [ \"$4\" = -c ] || {{ echo \"not the probe: $*\" >&2; exit 9; }}\n\
             exec '{real}' -E -s -S -c 'import sys, platform, sysconfig\n\
             sys.version_info = ({major}, {minor}, {micro}, \"final\", 0)\n\
             platform.python_version = lambda: \"{major}.{minor}.{micro}\"\n\
             platform.python_implementation = lambda: \"{implementation}\"\n\
             sysconfig.get_config_vars()[\"Py_ENABLE_SHARED\"] = {shared}\n\
             exec(sys.argv[1])' \"$5\"\n"
        ),
    )
}

#[test]
fn interpreters_that_cannot_build_are_refused_first() {
    let scene = Scene::new("unsupported-python");
    scene.write("app/main.py", "print('hello')\n");
    let cases = [
        ("python2.7", "CPython", (2, 7, 18), "0", "2.7.18"),
        ("python3.6", "CPython", (3, 6, 15), "1", "3.6.15"),
        ("python3.7", "CPython", (3, 7, 16), "1", "3.7.16"),
        ("python3.14", "CPython", (3, 14, 0), "1", "3.14.0"),
        ("pypy", "PyPy", (3, 10, 14), "None", "PyPy 3.10.14"),
        ("static", "CPython", (3, 11, 4), "0", "--enable-shared"),
    ];
    for (name, implementation, version, shared, said) in cases {
        let python = fake_python(&scene, name, implementation, version, shared);
        let stderr = scene.failed_build_with(
            &python,
            &[],
            &[],
            &[&python.to_string_lossy(), said, "CPython 3.8–3.13"],
            Fault::User,
        );
        let lines: Vec<&str> = stderr.lines().collect();
        assert!(
            lines.len() == 2 && lines[0].starts_with("error: ") && lines[1].starts_with("help: "),
            "one sentence and its fix:\n{stderr}"
        );
        scene.snapshot(&format!("{}_{name}", test_name!()), &stderr);
    }
}

/// Whether process `pid` still runs (a zombie waiting for its parent does not).
fn running(pid: &str) -> bool {
    fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
        .is_ok_and(|stat| !stat.rsplit(')').next().unwrap_or("").starts_with(" Z"))
}

/// Builds with `python`, which starts `sleep` (its pid written to `<scene>/pid`) and
/// never answers, under `limit` (an environment variable set to 1 s): the build must fail
/// within a few seconds, naming the limit and the variable, with `sleep` stopped.
fn stopped_at_the_limit(scene: &Scene, python: &Path, limit: &str, fault: Fault) -> String {
    let started = Instant::now();
    let stderr =
        scene.failed_build_with(python, &[], &[(limit, Some("1"))], &[limit, "1 s"], fault);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the build took {:?}",
        started.elapsed()
    );
    let pid = fs::read_to_string(scene.path("pid")).expect("the fake interpreter ran");
    let deadline = Instant::now() + Duration::from_secs(5);
    while running(&pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!running(&pid), "what the interpreter started still runs");
    stderr
}

#[test]
fn an_interpreter_that_never_answers_is_stopped() {
    let scene = Scene::new("silent-python");
    scene.write("app/main.py", "print('hello')\n");
    let pid = scene.path("pid");
    let python = scene.script(
        "silent/bin/python3",
        &format!(
            "#!/bin/sh\nsleep 120 &\necho $! > '{}'\nwait\n",
            pid.display()
        ),
    );
    let stderr = stopped_at_the_limit(&scene, &python, "PYFREEZE_PROBE_TIMEOUT", Fault::User);
    scene.snapshot(test_name!(), &stderr);
}

#[test]
fn an_analysis_that_never_ends_is_stopped() {
    let scene = Scene::new("endless-analysis");
    scene.write("app/main.py", "print('hello')\n");
    let real = newest_interpreter().path.to_str().expect("utf-8 path");
    let pid = scene.path("pid");
    // The probe gets the real interpreter; the analysis (`-I`) a sleep.
    let python = scene.script(
        "endless/bin/python3",
        &format!(
            "#!/bin/sh\n[ \"$1\" = -I ] || exec '{real}' \"$@\"\nsleep 120 &\necho $! > '{}'\nwait\n",
            pid.display()
        ),
    );
    let stderr = stopped_at_the_limit(
        &scene,
        &python,
        "PYFREEZE_ANALYSIS_TIMEOUT",
        Fault::Internal,
    );
    scene.snapshot(test_name!(), &stderr);
}

#[test]
fn a_time_limit_that_is_not_a_number_is_a_user_error() {
    let scene = Scene::new("bad-limit");
    scene.write("app/main.py", "print('hello')\n");
    let stderr = scene.failed_build_with(
        &newest_interpreter().path,
        &[],
        &[("PYFREEZE_ANALYSIS_TIMEOUT", Some("soon"))],
        &["PYFREEZE_ANALYSIS_TIMEOUT", "soon"],
        Fault::User,
    );
    scene.snapshot(test_name!(), &stderr);
}

#[test]
fn an_entry_script_outside_the_app_directory() {
    let scene = Scene::new("entry-outside");
    scene.write("app/main.py", "print('inside')\n");
    scene.write("outside.py", "print('outside')\n");
    std::os::unix::fs::symlink("../outside.py", scene.path("app/link.py")).expect("symlink");
    let python = &newest_interpreter().path;
    let absolute = scene.path("outside.py");
    for entry in ["link.py", absolute.to_str().expect("utf-8 path")] {
        let args = ["--entry", entry];
        scene.failed_build_with(python, &args, &[], &["outside.py", entry], Fault::User);
    }
    let stderr = scene.failed_build_with(
        python,
        &["--entry", "../outside.py"],
        &[],
        &["../outside.py"],
        Fault::User,
    );
    scene.snapshot(test_name!(), &stderr);
}

#[test]
fn an_entry_function_the_module_does_not_define() {
    let scene = Scene::new("entry-nofunc");
    scene.write("app/cli.py", "def main():\n    print('main')\n");
    let stderr = scene.failed_build_with(
        &newest_interpreter().path,
        &["--entry", "cli:nofunc"],
        &[],
        &["cli.py", "nofunc"],
        Fault::User,
    );
    scene.snapshot(test_name!(), &stderr);
}

#[test]
fn an_entry_function_a_star_import_may_bring_is_accepted() {
    let scene = Scene::new("entry-star");
    scene.write("app/cli.py", "from impl import *\n");
    scene.write("app/impl.py", "def main():\n    print('main from impl')\n");
    let python = newest_interpreter();
    let frozen = freeze(&scene.path("app"), python, &["--entry", "cli:main"])
        .unwrap_or_else(|e| panic!("{e}"));
    let out = run_frozen(&frozen.exe, &[], None, &[]);
    let problems = check_exact("cli:main", &out, &Exact::clean("main from impl\n"));
    assert!(problems.is_none(), "{problems:?}");
}

#[test]
fn a_relative_cache_dir_is_taken_from_the_working_directory() {
    let scene = Scene::new("relative-cache");
    scene.write("app/main.py", "print('hello')\n");
    let python = &newest_interpreter().path;
    let (app, output) = (scene.path("app"), scene.out_dir.join("app"));
    let env: &Env<'_> = &[("PYFREEZE_CACHE_DIR", Some("rel-cache"))];
    let out = pyfreeze_env(&build_args(&app, &output, python), scene.tmp.path(), env);
    assert_eq!(out.status, Status::Code(0), "{out}");
    let cache = scene.path("rel-cache");
    assert!(
        fs::read_dir(&cache).is_ok_and(|mut d| d.next().is_some()),
        "nothing in {}\n{out}",
        cache.display()
    );
    assert!(
        out.stderr.contains(&format!("({})", cache.display())),
        "the summary does not name {}\n{out}",
        cache.display()
    );
    let dir = pyfreeze_env(
        &[OsStr::new("cache"), OsStr::new("dir")],
        scene.tmp.path(),
        env,
    );
    assert_eq!(
        dir.stdout.trim_end(),
        cache.to_str().expect("utf-8"),
        "{dir}"
    );
}

#[test]
fn names_that_are_not_utf8_are_left_out_with_a_warning() {
    let test = test_name!();
    for_each_interpreter(test, |python| {
        let scene = Scene::new("not-utf8");
        scene.write(
            "app/main.py",
            "import os, pkg\n\
             here = os.path.dirname(os.path.abspath(__file__))\n\
             on_disk = os.listdir(here) if os.path.isdir(here) else []\n\
             print(pkg.VALUE, sorted(n for n in on_disk if n.endswith('.txt')))\n",
        );
        scene.write("app/notes.txt", "notes\n");
        scene.write("app/pkg/__init__.py", "VALUE = 1\n");
        scene.write("app/pkg/data.dat", "data\n");
        let latin1 = |rel: &[u8]| {
            let path = scene.path("app").join(OsStr::from_bytes(rel));
            fs::write(&path, "x\n").expect("write a latin-1 name");
            path
        };
        latin1(b"caf\xe9.txt");
        latin1(b"pkg/d\xe9.dat");
        let mut problems = Vec::new();
        for (label, suffix, args, expected) in [
            ("plain", "plain", &[][..], "1 []\n"),
            (
                "--collect-to-disk .",
                "collect",
                &["--collect-to-disk", "."][..],
                "1 ['notes.txt']\n",
            ),
        ] {
            let frozen = freeze(&scene.path("app"), python, args).map_err(|e| e.to_string())?;
            let warnings: String = frozen
                .build
                .stderr
                .lines()
                .filter(|l| l.contains("not UTF-8"))
                .map(|l| format!("{l}\n"))
                .collect();
            scene.snapshot(&format!("{test}_{suffix}"), &warnings);
            let out = run_frozen(&frozen.exe, &[], None, &[]);
            problems.extend(check_exact(label, &out, &Exact::clean(expected)));
        }
        Ok(problems)
    });
}
