//! Outputs never replace what they must not: the build refuses the app's files, a file of the
//! interpreter's installation, a directory, a device, a FIFO, a socket and links to them,
//! and a regular file that is not a bundle unless `--force` (snapshots of each message); it
//! replaces an earlier bundle (through a link, its target). Its temporary file goes when a
//! signal ends the build, and a killed build's is removed by the next one unless a build
//! still holds its lock. Freezer-only, so with the newest interpreter.

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pyfreeze_tests::{
    binaries, build_args, newest_interpreter, pyenv_root, pyfreeze, tempdir, test_name,
    Interpreter, Output, Status, TempDir,
};

/// pyfreeze's exit status when the input is wrong.
const USER_ERROR: i32 = 1;

/// A scratch directory with an app (`app/main.py` importing `app/helper.py`) and an empty
/// `out/`.
struct Scene {
    tmp: TempDir,
    python: &'static Interpreter,
}

impl Scene {
    fn new(name: &str) -> Self {
        let tmp = tempdir(name);
        fs::create_dir_all(tmp.path().join("app")).expect("mkdir app");
        fs::create_dir_all(tmp.path().join("out")).expect("mkdir out");
        fs::write(
            tmp.path().join("app/main.py"),
            "import helper\nprint(helper.GREETING)\n",
        )
        .expect("write main.py");
        fs::write(tmp.path().join("app/helper.py"), "GREETING = 'hello'\n")
            .expect("write helper.py");
        Scene {
            tmp,
            python: newest_interpreter(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// `pyfreeze build app -o <output> --python <newest> <extra>`.
    fn build(&self, output: &Path, extra: &[&str]) -> Output {
        let app = self.path("app");
        let mut args = build_args(&app, output, &self.python.path);
        args.extend(extra.iter().map(OsStr::new));
        pyfreeze(&args, self.tmp.path())
    }

    /// A build to `output` that must be refused with a message naming it; returns the
    /// message.
    fn refused(&self, output: &Path, extra: &[&str]) -> String {
        let out = self.build(output, extra);
        assert_eq!(out.status, Status::Code(USER_ERROR), "{out}");
        let name = output.file_name().expect("a file name").to_string_lossy();
        assert!(
            out.stderr.contains(&*name),
            "stderr does not name {name}\n{out}"
        );
        assert_no_temporary_files(&self.path("out"));
        out.stderr
    }

    /// Snapshots `stderr` with the scratch directory, the interpreter's paths and its
    /// version filtered out.
    fn snapshot(&self, name: &str, stderr: &str) {
        let mut settings = insta::Settings::clone_current();
        let mut paths = vec![(self.tmp.path().to_path_buf(), "[TMP]")];
        if let Ok(real) = fs::canonicalize(self.tmp.path()) {
            paths.insert(0, (real, "[TMP]"));
        }
        paths.push((self.python.stdlib.clone(), "[STDLIB]"));
        if let Ok(real) = fs::canonicalize(&self.python.stdlib) {
            paths.push((real, "[STDLIB]"));
        }
        if let Some(root) = pyenv_root() {
            paths.push((root, "[PYENV]"));
        }
        for (path, placeholder) in paths {
            settings.add_filter(&regex::escape(&path.to_string_lossy()), placeholder);
        }
        settings.add_filter(
            &format!(r"\b{}\b", regex::escape(&self.python.version)),
            "[VERSION]",
        );
        settings.bind(|| insta::assert_snapshot!(name, stderr));
    }
}

/// The temporary files of builds in `dir`.
fn temporary_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read the output directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".pyfreeze-"))
        .collect();
    names.sort();
    names
}

fn assert_no_temporary_files(dir: &Path) {
    let left = temporary_files(dir);
    assert!(
        left.is_empty(),
        "temporary files left in {}: {left:?}",
        dir.display()
    );
}

fn is_bundle(path: &Path) -> bool {
    let bytes = fs::read(path).unwrap_or_default();
    bytes.starts_with(b"\x7fELF") && bytes.ends_with(&pyfreeze_archive::MAGIC)
}

/// Runs the bundle at `exe`, which must print the app's greeting.
fn assert_runs(exe: &Path) {
    let out = Command::new(exe).output().expect("run the bundle");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello\n",
        "{}: {out:?}",
        exe.display()
    );
}

#[test]
fn the_app_s_own_files_are_never_replaced() {
    let scene = Scene::new("out-app-file");
    let main = scene.path("app/main.py");
    let before = fs::read(&main).expect("read main.py");
    let stderr = scene.refused(&main, &["--force"]);
    assert_eq!(fs::read(&main).expect("read main.py"), before);
    scene.snapshot(test_name!(), &stderr);

    // The entry script is known before the analysis; a module it imports only after it,
    // and is refused all the same, before the rename.
    let helper = scene.path("app/helper.py");
    let before = fs::read(&helper).expect("read helper.py");
    let stderr = scene.refused(&helper, &["--force"]);
    assert_eq!(fs::read(&helper).expect("read helper.py"), before);
    scene.snapshot(&format!("{}-imported", test_name!()), &stderr);
}

#[test]
fn a_file_of_the_interpreter_is_never_replaced() {
    let scene = Scene::new("out-interpreter");
    let os_py = scene.python.stdlib.join("os.py");
    let before = fs::read(&os_py).expect("read os.py");
    let stderr = scene.refused(&os_py, &["--force"]);
    assert_eq!(fs::read(&os_py).expect("read os.py"), before);
    assert_no_temporary_files(os_py.parent().expect("in the stdlib"));
    scene.snapshot(test_name!(), &stderr);
}

#[test]
fn a_directory_is_refused() {
    let scene = Scene::new("out-directory");
    let dir = scene.path("out/existing");
    fs::create_dir(&dir).expect("mkdir");
    let stderr = scene.refused(&dir, &["--force"]);
    assert!(dir.is_dir());
    assert_eq!(fs::read_dir(&dir).expect("read").count(), 0);
    scene.snapshot(test_name!(), &stderr);
}

#[test]
fn dev_null_is_refused() {
    let scene = Scene::new("out-dev-null");
    let null = Path::new("/dev/null");
    assert!(fs::metadata(null)
        .expect("stat")
        .file_type()
        .is_char_device());
    let stderr = scene.refused(null, &["--force"]);
    assert!(
        fs::symlink_metadata(null)
            .expect("stat /dev/null")
            .file_type()
            .is_char_device(),
        "/dev/null is no longer a character device"
    );
    scene.snapshot(test_name!(), &stderr);
}

#[test]
fn a_fifo_a_socket_and_links_to_a_fifo_or_to_nothing_are_refused() {
    let scene = Scene::new("out-special");
    let fifo = scene.path("out/fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success(), "mkfifo failed");
    let socket = scene.path("out/socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind a socket");
    let link = scene.path("out/link");
    std::os::unix::fs::symlink(&fifo, &link).expect("symlink");

    let stderr = scene.refused(&fifo, &["--force"]);
    scene.snapshot(&format!("{}-fifo", test_name!()), &stderr);
    let stderr = scene.refused(&socket, &["--force"]);
    scene.snapshot(&format!("{}-socket", test_name!()), &stderr);
    let stderr = scene.refused(&link, &["--force"]);
    scene.snapshot(&format!("{}-link", test_name!()), &stderr);

    let dangling = scene.path("out/dangling");
    std::os::unix::fs::symlink("nowhere", &dangling).expect("symlink");
    let stderr = scene.refused(&dangling, &["--force"]);
    scene.snapshot(&format!("{}-dangling", test_name!()), &stderr);
    assert!(
        !scene.path("out/nowhere").exists(),
        "the link's target was created"
    );

    let kind = |path: &Path| fs::symlink_metadata(path).expect("stat").file_type();
    assert!(kind(&fifo).is_fifo());
    assert!(kind(&socket).is_socket());
    assert!(kind(&link).is_symlink());
    assert_eq!(fs::read_link(&link).expect("readlink"), fifo);
}

#[test]
fn a_regular_file_is_replaced_only_with_force() {
    let scene = Scene::new("out-regular");
    let notes = scene.path("out/notes.txt");
    fs::write(&notes, "my notes\n").expect("write");
    let stderr = scene.refused(&notes, &[]);
    assert_eq!(fs::read_to_string(&notes).expect("read"), "my notes\n");
    scene.snapshot(test_name!(), &stderr);

    let out = scene.build(&notes, &["--force"]);
    assert_eq!(out.status, Status::Code(0), "{out}");
    assert!(
        is_bundle(&notes),
        "--force did not replace the file with a bundle"
    );
    assert_runs(&notes);
    assert_no_temporary_files(&scene.path("out"));
}

#[test]
fn an_earlier_bundle_is_replaced_and_a_link_to_one_replaces_its_target() {
    let scene = Scene::new("out-bundle");
    let exe = scene.path("out/app");
    for _ in 0..2 {
        let out = scene.build(&exe, &[]);
        assert_eq!(out.status, Status::Code(0), "{out}");
        assert_runs(&exe);
    }
    let link = scene.path("link");
    std::os::unix::fs::symlink(&exe, &link).expect("symlink");
    fs::write(scene.path("app/helper.py"), "GREETING = 'hello'  # again\n").expect("edit");
    let before = fs::read(&exe).expect("read the bundle");
    let out = scene.build(&link, &[]);
    assert_eq!(out.status, Status::Code(0), "{out}");
    assert!(fs::symlink_metadata(&link).expect("stat").is_symlink());
    assert_eq!(fs::read_link(&link).expect("readlink"), exe);
    assert_ne!(
        fs::read(&exe).expect("read"),
        before,
        "the link's target was not rebuilt"
    );
    assert_runs(&link);
    assert_no_temporary_files(&scene.path("out"));
    assert_no_temporary_files(scene.tmp.path());
}

#[test]
fn refusals_come_before_the_analysis() {
    let scene = Scene::new("out-early");
    // An interpreter that fails if the build ever runs it: the refusals must come first.
    let python = scene.path("crash/python3");
    fs::create_dir_all(python.parent().expect("a directory")).expect("mkdir");
    fs::write(&python, "#!/bin/sh\necho 'the analysis ran' >&2\nexit 3\n").expect("write");
    fs::set_permissions(&python, fs::Permissions::from_mode(0o755)).expect("chmod");
    fs::write(scene.path("out/notes.txt"), "my notes\n").expect("write");
    fs::create_dir(scene.path("out/dir")).expect("mkdir");
    for output in [
        scene.path("out/notes.txt"),
        scene.path("out/dir"),
        scene.path("app/main.py"),
        PathBuf::from("/dev/null"),
    ] {
        let app = scene.path("app");
        let args = build_args(&app, &output, &python);
        let out = pyfreeze(&args, scene.tmp.path());
        assert_eq!(
            out.status,
            Status::Code(USER_ERROR),
            "{}\n{out}",
            output.display()
        );
        assert!(!out.stderr.contains("the analysis ran"), "{out}");
        assert!(
            out.stderr.contains(&*output.to_string_lossy()),
            "{}\n{out}",
            output.display()
        );
    }
    assert_eq!(
        fs::read_to_string(scene.path("out/notes.txt")).expect("read"),
        "my notes\n"
    );
}

/// Whether this process ignores `signal` (then so does the build it starts: a shell's
/// background job ignores SIGINT).
fn ignored(signal: i32) -> bool {
    let status = fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .expect("SigIgn in /proc/self/status");
    let mask = u64::from_str_radix(mask.trim(), 16).expect("a hex mask");
    mask & (1 << (signal - 1)) != 0
}

#[test]
fn a_signal_while_the_output_is_written_leaves_no_temporary_file() {
    let scene = Scene::new("out-signals");
    let out_dir = scene.path("out");
    let exe = out_dir.join("app");
    // SIGINT, SIGTERM, SIGHUP
    for (signal, name) in [(2, "INT"), (15, "TERM"), (1, "HUP")] {
        // --no-cache: the entries are compressed while the temporary file is open, which
        // takes a few hundred milliseconds, the window the signal is sent in.
        let mut child = Command::new(&binaries().pyfreeze)
            .args(build_args(&scene.path("app"), &exe, &scene.python.path))
            .arg("--no-cache")
            .current_dir(scene.tmp.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start pyfreeze");
        let started = Instant::now();
        let seen = loop {
            if !temporary_files(&out_dir).is_empty() {
                break true;
            }
            if child.try_wait().expect("wait").is_some()
                || started.elapsed() > Duration::from_secs(120)
            {
                break false;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        if !seen {
            let _ = child.kill();
            let _ = child.wait();
            panic!("SIG{name}: the build ended before its temporary file was seen");
        }
        let sent = Command::new("kill")
            .args(["-s", name, &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success(), "kill -s {name} failed");
        let status = child.wait().expect("wait for pyfreeze");
        if ignored(signal) {
            assert_eq!(status.code(), Some(0), "SIG{name} is ignored: {status:?}");
            assert!(is_bundle(&exe));
            fs::remove_file(&exe).expect("remove the bundle");
        } else {
            assert_eq!(status.signal(), Some(signal), "SIG{name}: {status:?}");
            assert!(!exe.exists(), "SIG{name}: an output was written");
        }
        assert_no_temporary_files(&out_dir);
    }
}

#[test]
fn a_killed_build_s_temporary_file_is_removed_unless_a_build_holds_it() {
    let scene = Scene::new("out-stale");
    let out_dir = scene.path("out");
    // As a build killed by SIGKILL leaves it: a stub's first bytes, no lock.
    let stale = out_dir.join(".pyfreeze-Kil1ed");
    fs::write(&stale, b"\x7fELF\x02\x01\x01 and so on").expect("write");
    fs::set_permissions(&stale, fs::Permissions::from_mode(0o600)).expect("chmod");
    // As a concurrent build is writing it: locked.
    let writing = out_dir.join(".pyfreeze-Wr1tng");
    let mut held = fs::File::create(&writing).expect("create");
    held.write_all(b"\x7fELF\x02\x01\x01").expect("write");
    held.try_lock().expect("lock");
    // Not a build's at all.
    let other = out_dir.join(".pyfreeze-n0tour");
    fs::write(&other, "someone else's\n").expect("write");

    let exe = out_dir.join("app");
    let out = scene.build(&exe, &[]);
    assert_eq!(out.status, Status::Code(0), "{out}");
    assert_runs(&exe);
    assert!(
        !stale.exists(),
        "the killed build's temporary file is still there"
    );
    assert!(writing.exists(), "the locked temporary file was removed");
    assert!(other.exists(), "a file that is no build's was removed");
    assert_eq!(
        temporary_files(&out_dir),
        [".pyfreeze-Wr1tng", ".pyfreeze-n0tour"]
    );
    drop(held);
}
