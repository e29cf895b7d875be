//! (h) Builds that must fail: non-zero exit, a message on stderr that names the culprit, no
//! output file and no temporary file left beside where it would have gone. The messages are
//! snapshots (`it/snapshots/`), taken with the newest interpreter, with the scratch directory,
//! the interpreter's paths and its full version filtered, so they are the same whatever
//! interpreter is newest.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use pyfreeze_tests::{
    build_args, list_tree, newest_interpreter, pyenv_root, pyfreeze, tempdir, test_name, Status,
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
    // run with sysconfig saying the interpreter was not built with --enable-shared.
    let wrapper = scene.path("nolib/bin/python3");
    scene.write(
        "nolib/bin/python3",
        &format!(
            "#!/bin/sh\nexec '{real}' -I -c 'import sysconfig, sys; v = sysconfig.get_config_vars(); \
             v[\"Py_ENABLE_SHARED\"] = 0; exec(compile(sys.argv[1], \"<analysis>\", \"exec\"))' \"$3\"\n"
        ),
    );
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).expect("chmod");
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
    scene.write(
        "crash/bin/python3",
        "#!/bin/sh\necho 'Fatal Python error: simulated' >&2\nexit 3\n",
    );
    use std::os::unix::fs::PermissionsExt;
    let wrapper = scene.path("crash/bin/python3");
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).expect("chmod");
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
