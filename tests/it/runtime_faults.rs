//! Faults of the machine a bundle runs on, which python survives or explains: special files
//! (FIFOs, sockets, links, directories) in the `--collect-to-disk` cache are replaced and
//! never waited on; a bundle keeps no descriptor per loaded extension module or library,
//! so it runs under a low `ulimit -n` as python does; and when the stub cannot start, its
//! message names the real cause (no /proc, a bundle only executable, `ulimit -v`,
//! `ulimit -n`), each a snapshot.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use pyfreeze_tests::{
    bundle, bundle_of, bundle_with, check_exact, copy_executable, for_each_interpreter,
    run_command, run_frozen_in, run_python, tempdir, test_name, unavailable, unshare_unavailable,
    write_app, AppDir, Exact, Interpreter, Output, Status,
};

/// Long enough for a start that writes the cache; a start waiting on a FIFO never ends.
const START_TIMEOUT: Duration = Duration::from_secs(30);

fn disk_app() -> AppDir {
    write_app(
        "faultsdisk",
        &[
            (
                "main.py",
                "import os, pkg\n\
                 print(open(os.path.join(os.path.dirname(pkg.__file__), 'data.txt')).read().strip())\n",
            ),
            ("pkg/__init__.py", ""),
            ("pkg/data.txt", "from the cache\n"),
        ],
    )
}

/// The one content directory of the cache `<cache>/pyfreeze/`.
fn content_dir(cache: &Path) -> Result<std::path::PathBuf, String> {
    let root = cache.join("pyfreeze");
    let dirs: Vec<_> = fs::read_dir(&root)
        .map_err(|e| format!("{}: {e}", root.display()))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_none() && path.is_dir())
        .collect();
    match &dirs[..] {
        [dir] => Ok(dir.clone()),
        _ => Err(format!(
            "expected one content directory in {}, found {dirs:?}",
            root.display()
        )),
    }
}

/// Puts `kind` at `path` in place of what is there: a FIFO (with a reader and a writer
/// holding it open, returned, so that opening it would not fail either), a socket, a link
/// to a file elsewhere, or a directory with a file in it.
fn put_special(python: &Interpreter, path: &Path, kind: &str) -> Result<Option<fs::File>, String> {
    let meta = fs::symlink_metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
    .map_err(|e| format!("remove {}: {e}", path.display()))?;
    let made = match kind {
        "fifo" => {
            let out = pyfreeze_tests::run(
                {
                    let mut cmd = Command::new("mkfifo");
                    cmd.arg(path);
                    cmd
                },
                None,
            );
            if out.status != Status::Code(0) {
                return Err(format!("mkfifo {}: {out}", path.display()));
            }
            // Read and write: opening a FIFO so does not wait for the other end.
            let held = fs::OpenOptions::new().read(true).write(true).open(path);
            return held
                .map(Some)
                .map_err(|e| format!("open {}: {e}", path.display()));
        }
        // Bound by its name in its directory: the whole path is longer than a socket's
        // address may be.
        "socket" => {
            let dir = path.parent().expect("in a directory");
            let name = path.file_name().expect("named").to_string_lossy();
            let bind = format!("import socket; socket.socket(socket.AF_UNIX).bind({name:?})");
            let out = run_python(python, dir, &["-c", &bind], None, &[]);
            if out.status != Status::Code(0) {
                return Err(format!("bind a socket at {}: {out}", path.display()));
            }
            Ok(())
        }
        "link" => {
            let elsewhere = path.with_extension("elsewhere");
            fs::write(&elsewhere, "not from the bundle\n")
                .and_then(|()| std::os::unix::fs::symlink(&elsewhere, path))
        }
        "dir" => fs::create_dir(path).and_then(|()| fs::write(path.join("inside"), "")),
        _ => unreachable!("{kind}"),
    };
    made.map(|()| None)
        .map_err(|e| format!("make a {kind} at {}: {e}", path.display()))
}

#[test]
fn special_files_in_the_disk_cache_are_replaced_and_never_waited_on() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_with(
            "faultsdisk",
            python,
            &["--collect-to-disk", "pkg"],
            disk_app,
        )?;
        let app = disk_app();
        let cache = tempdir("cache");
        let cache_path = cache.path().to_str().expect("utf-8 path");
        let env = [("XDG_CACHE_HOME", Some(cache_path))];
        let start = || {
            let mut cmd = Command::new(&frozen.exe);
            cmd.current_dir(&app.path)
                .env("XDG_CACHE_HOME", cache_path)
                .env_remove("FORCE_COLOR");
            run_command(cmd, None, START_TIMEOUT)
        };
        let reference = run_python(python, &app.path, &["main.py"], None, &env);
        if reference.status != Status::Code(0) {
            return Err(format!("{python}: the reference run failed\n{reference}").into());
        }
        let first = start().map_err(|e| format!("{python}: the first start: {e}"))?;
        let mut problems: Vec<String> = check_exact(
            &format!("{python}: the first start"),
            &first,
            &Exact::of(&reference),
        )
        .into_iter()
        .collect();
        let dir = content_dir(cache.path()).map_err(|e| format!("{python}: {e}"))?;
        let root = cache.path().join("pyfreeze");
        let name = dir
            .file_name()
            .expect("named")
            .to_string_lossy()
            .into_owned();
        let places = [
            ("the lock", root.join(format!("{name}.lock")), false),
            ("the stamp", root.join(format!("{name}.stamp")), false),
            ("the content directory", dir.clone(), true),
            ("a cached file", dir.join("pkg/data.txt"), false),
        ];
        for (place, path, is_dir) in &places {
            for kind in ["fifo", "socket", "link", "dir"] {
                let what = format!("{python}: a {kind} in place of {place}");
                let held = put_special(python, path, kind).map_err(|e| format!("{what}: {e}"))?;
                // Twice: a start that left the damage would fail or wait the second time.
                for run in ["the start after it", "the start after that"] {
                    match start() {
                        Ok(out) => problems.extend(check_exact(
                            &format!("{what}, {run}"),
                            &out,
                            &Exact::of(&reference),
                        )),
                        Err(e) => problems.push(format!("{what}, {run}: {e}")),
                    }
                }
                drop(held);
                let right = fs::symlink_metadata(path).is_ok_and(|m| {
                    if *is_dir {
                        m.is_dir()
                    } else {
                        m.is_file()
                    }
                });
                if !right {
                    problems.push(format!("{what}: it is still there, not replaced"));
                }
            }
        }
        Ok(problems)
    });
}

/// Imports the standard library's extension modules (with the libraries they need:
/// libssl, libcrypto, libsqlite3, libffi, ...) and counts its open descriptors.
const MANY_EXTENSIONS: &str = r#"import os
import _bisect, _bz2, _contextvars, _csv, _ctypes, _datetime, _decimal, _elementtree
import _hashlib, _heapq, _json, _lzma, _multibytecodec, _pickle, _posixsubprocess, _queue
import _random, _socket, _sqlite3, _ssl, _struct, _uuid, array, binascii, fcntl, grp, math
import mmap, pyexpat, resource, select, termios, unicodedata, zlib

names = os.listdir("/proc/self/fd")
links = []
for name in names:
    try:
        links.append(os.readlink("/proc/self/fd/" + name))
    except OSError:
        pass  # listdir's own descriptor, closed by now
print("descriptors:", len(names))
print("memfds:", sum(link.startswith("/memfd:") for link in links))
print(sorted(links))
"#;

fn extensions_app() -> AppDir {
    write_app("faultsfds", &[("main.py", MANY_EXTENSIONS)])
}

/// The number after `descriptors:` in the app's output.
fn descriptors(out: &Output) -> Option<usize> {
    out.stdout
        .lines()
        .find_map(|line| line.strip_prefix("descriptors: "))
        .and_then(|n| n.parse().ok())
}

/// `command` (a program and its arguments) under `ulimit -n limit`, in `cwd`.
fn with_open_files_limit(limit: usize, command: &[&Path], cwd: &Path) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(format!("ulimit -n {limit} && exec \"$@\""))
        .arg("bash")
        .args(command)
        .current_dir(cwd)
        .env_remove("FORCE_COLOR");
    pyfreeze_tests::run(cmd, None)
}

#[test]
fn loaded_extension_modules_and_libraries_keep_no_descriptor() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("faultsfds", python, extensions_app)?;
        let app = extensions_app();
        let reference = run_python(python, &app.path, &["main.py"], None, &[]);
        let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
        let (Some(theirs), Some(ours)) = (descriptors(&reference), descriptors(&out)) else {
            return Err(format!(
                "{python}: no descriptor count\n--- python ---\n{reference}\n--- frozen ---\n{out}"
            )
            .into());
        };
        let mut problems = Vec::new();
        if ours > theirs || !out.stdout.contains("memfds: 0\n") {
            problems.push(format!(
                "{python}: the frozen app has {ours} descriptors open, python {theirs}\n\
                 --- python ---\n{reference}\n--- frozen ---\n{out}"
            ));
        }
        Ok(problems)
    });
}

/// While an extension module or library loads, the memfd holding it is open, and so is
/// the descriptor `dlopen` opens on it; python opens one, the file.
const WHILE_LOADING: usize = 1;

#[test]
fn a_low_open_files_limit_that_python_runs_under() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("faultsfds", python, extensions_app)?;
        let app = extensions_app();
        let main = app.path.join("main.py");
        let python_args = [
            &*python.path,
            Path::new("-E"),
            Path::new("-s"),
            Path::new("-S"),
            &main,
        ];
        let Some(lowest) = (3..=64).find(|&limit| {
            with_open_files_limit(limit, &python_args, &app.path).status == Status::Code(0)
        }) else {
            return Err(format!("{python}: python does not run the app under ulimit -n 64").into());
        };
        let limit = lowest + WHILE_LOADING;
        let out = with_open_files_limit(limit, &[&frozen.exe], &app.path);
        let mut problems = Vec::new();
        if out.status != Status::Code(0) || !out.stdout.contains("memfds: 0\n") {
            problems.push(format!(
                "{python}: python runs the app under ulimit -n {lowest}, the frozen app not \
                 under {limit}\n{out}"
            ));
        }
        Ok(problems)
    });
}

/// Snapshots the stub's message `stderr`, with `exe` and numbers that differ between
/// interpreters and machines filtered out.
fn snapshot(name: &str, exe: &Path, stderr: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex::escape(&exe.to_string_lossy()), "[EXE]");
    settings.add_filter(r"libpython3\.\d+", "libpython3.[MINOR]");
    settings.add_filter(r"ulimit -v \d+", "ulimit -v [KB]");
    settings.bind(|| insta::assert_snapshot!(name, stderr));
}

/// `exe` run as `program args...` (through `sh -c`), which must be the stub refusing to
/// start: exit status 70, nothing on stdout. Returns its stderr.
fn refused(
    python: &Interpreter,
    what: &str,
    out: Result<Output, String>,
) -> Result<String, String> {
    let out = out.map_err(|e| format!("{python}: {what}: {e}"))?;
    if out.status != Status::Code(70) || !out.stdout.is_empty() || out.stderr.contains("panicked") {
        return Err(format!(
            "{python}: {what}: expected the stub to refuse with status 70\n{out}"
        ));
    }
    Ok(out.stderr)
}

fn sh(script: &str, exe: &Path) -> Result<Output, String> {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", script])
        .arg(exe)
        .current_dir(exe.parent().expect("in a directory"));
    run_command(cmd, None, START_TIMEOUT).map_err(|e| e.to_string())
}

#[test]
fn the_stubs_messages_name_the_cause() {
    let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups"];
    let setpriv = unavailable("setpriv", &[&nobody[..], &["true"]].concat());
    let unshare = unshare_unavailable();
    for_each_interpreter(test_name!(), |python| {
        let hello = bundle("hello", python)?;
        let (_dir, exe) = copy_executable(&hello.exe);
        let size_kb = fs::metadata(&exe).map_err(|e| e.to_string())?.len() / 1024;
        let mut problems = Vec::new();

        // No room to map the bundle: it is larger than all the address space allowed.
        let script = format!("ulimit -v {size_kb} && exec \"$0\"");
        match refused(python, "under ulimit -v", sh(&script, &exe)) {
            Ok(stderr) => snapshot("ulimit_v", &exe, &stderr),
            Err(e) => problems.push(e),
        }

        // The executable, opened to copy libpython out, and the memfd it is copied into do
        // not fit in 0 to 3.
        match refused(
            python,
            "under ulimit -n 4",
            sh("ulimit -n 4 && exec \"$0\"", &exe),
        ) {
            Ok(stderr) => snapshot("ulimit_n", &exe, &stderr),
            Err(e) => problems.push(e),
        }

        match &unshare {
            Some(why) => problems.push(format!("{python}: cannot hide /proc: {why}")),
            None => {
                let hide = "mount -t tmpfs none /proc && exec \"$0\"";
                let out = sh(&format!("exec unshare -mr sh -c '{hide}' \"$0\""), &exe);
                match refused(python, "with no /proc", out) {
                    Ok(stderr) => snapshot("no_proc", &exe, &stderr),
                    Err(e) => problems.push(e),
                }
            }
        }

        // Root reads any file: the user is dropped to nobody, who can only execute it. The
        // directory of the copy is opened to others for that.
        match &setpriv {
            Some(why) => problems.push(format!("{python}: cannot run as nobody: {why}")),
            None => {
                let chmod = |path: &Path, mode| {
                    fs::set_permissions(path, fs::Permissions::from_mode(mode))
                        .map_err(|e| format!("chmod {}: {e}", path.display()))
                };
                chmod(exe.parent().expect("in a directory"), 0o711)?;
                chmod(&exe, 0o711)?;
                let script = format!("exec setpriv {} \"$0\"", nobody.join(" "));
                match refused(python, "executable only, as nobody", sh(&script, &exe)) {
                    Ok(stderr) => snapshot("execute_only", &exe, &stderr),
                    Err(e) => problems.push(e),
                }
            }
        }
        Ok(problems)
    });
}
