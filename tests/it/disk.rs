//! `--collect-to-disk`: code that opens files next to `__file__` works frozen as unfrozen
//! once the package (or the app directory) is put on disk, in a private, content-addressed,
//! verified per-user cache that concurrent first runs share safely; with no option, the
//! build puts a package whose code names its data next to `__file__` on disk itself (see
//! `files_by_path.rs`, which also checks that nothing is written for a package kept in
//! memory) and hints at the option where it cannot tell.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use pyfreeze_tests::{
    bundle_with, compare, for_each_interpreter, freeze, list_tree, newest_interpreter,
    run_frozen_in, tempdir, test_name, write_app, AppDir, Case, Status,
};

const MAIN: &str = r#"import os, sys, pkgutil
import importlib.resources as resources
import shapes, shapes.draw

def read(path):
    with open(path) as f:
        return f.read().strip()

here = os.path.dirname(os.path.abspath(__file__))
if "app" in sys.argv[1:]:
    print(read(os.path.join(here, "settings", "app.ini")))
print(read(os.path.join(os.path.dirname(shapes.__file__), "palette.txt")))
print(shapes.draw.template())
print(shapes.__path__[0] == os.path.dirname(shapes.__file__), os.path.isfile(shapes.draw.__file__))
print(sorted(m.name for m in pkgutil.iter_modules(shapes.__path__)))
print(pkgutil.get_data("shapes", "templates/box.txt").decode().strip())
if sys.version_info >= (3, 9):
    real = resources.as_file(resources.files("shapes") / "palette.txt")
else:
    real = resources.path("shapes", "palette.txt")
with real as path:
    # A package on disk hands out its own files, not temporary copies.
    print(os.path.dirname(str(path)) == os.path.dirname(shapes.__file__), path.read_text())
"#;

const DRAW: &str = r#"import os

def template():
    with open(os.path.join(os.path.dirname(__file__), "templates", "box.txt")) as f:
        return f.read().strip()
"#;

fn app() -> AppDir {
    write_app(
        "diskapp",
        &[
            ("main.py", MAIN),
            ("settings/app.ini", "[app]\nname = demo\n"),
            ("shapes/__init__.py", ""),
            ("shapes/draw.py", DRAW),
            ("shapes/palette.txt", "red green blue\n"),
            ("shapes/templates/box.txt", "+--+\n"),
        ],
    )
}

/// What `--collect-to-disk .` puts in the cache: the app directory's files.
const APP_FILES: &[&str] = &[
    "main.py",
    "settings/app.ini",
    "shapes/__init__.py",
    "shapes/draw.py",
    "shapes/palette.txt",
    "shapes/templates/box.txt",
];

/// The regular files below the one content directory in `<cache>/pyfreeze/`, and that
/// directory; checks that only it and its lock and stamp files are there.
fn cached_files(cache: &Path) -> Result<(PathBuf, Vec<String>), String> {
    let root = cache.join("pyfreeze");
    let mut dirs = Vec::new();
    for entry in fs::read_dir(&root).map_err(|e| format!("{}: {e}", root.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.is_dir() && name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
            dirs.push(path);
        } else if !name.ends_with(".lock") && !name.ends_with(".stamp") {
            return Err(format!("unexpected {} in the cache", path.display()));
        }
    }
    let [dir] = &dirs[..] else {
        return Err(format!(
            "expected one content directory in the cache, found {dirs:?}"
        ));
    };
    let files = list_tree(dir)
        .into_iter()
        .filter(|p| dir.join(p).is_file())
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    Ok((dir.clone(), files))
}

/// palette.txt changed without changing its size or inode: only its ctime tells.
const SAME_SIZE: &str = "RED GREEN BLUE\n";

fn mode(path: &Path) -> u32 {
    fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o777)
}

#[test]
fn files_next_to_file_are_on_disk_when_asked() {
    for_each_interpreter(test_name!(), |python| {
        let mut problems = Vec::new();
        for (target, args, expected) in [
            (".", &["app"][..], APP_FILES),
            (
                "shapes",
                &[][..],
                &[
                    "shapes/__init__.py",
                    "shapes/draw.py",
                    "shapes/palette.txt",
                    "shapes/templates/box.txt",
                ][..],
            ),
        ] {
            let frozen = match bundle_with("diskapp", python, &["--collect-to-disk", target], app) {
                Ok(f) => f,
                Err(e) => {
                    problems.push(e);
                    continue;
                }
            };
            let cache = tempdir("cache");
            let cache_path = cache.path().to_str().expect("utf-8 path");
            let env = [("XDG_CACHE_HOME", Some(cache_path))];
            let case = Case::new(args, Status::Code(0)).env(&env);
            problems.extend(compare(python, &frozen.exe, &app(), &case));
            match cached_files(cache.path()) {
                Ok((dir, files)) => {
                    if files != expected {
                        problems.push(format!(
                            "{python}: --collect-to-disk {target} wrote {files:?}, expected {expected:?}"
                        ));
                    }
                    let private = [cache.path().join("pyfreeze"), dir];
                    for dir in private {
                        if mode(&dir) != 0o700 {
                            problems.push(format!(
                                "{python}: {} has mode {:o}, not 0700",
                                dir.display(),
                                mode(&dir)
                            ));
                        }
                    }
                }
                Err(e) => problems.push(format!("{python}: --collect-to-disk {target}: {e}")),
            }
        }
        Ok(problems)
    });
}

#[test]
fn concurrent_first_runs_share_the_cache_and_tampering_is_repaired() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_with("diskapp", python, &["--collect-to-disk", "."], app)?;
        let app = app();
        let cache = tempdir("cache");
        let cache_path = cache.path().to_str().expect("utf-8 path");
        let env = [("XDG_CACHE_HOME", Some(cache_path))];
        let run = || run_frozen_in(&frozen.exe, &app.path, &["app"], None, &env);
        let mut problems = Vec::new();

        let first_runs = std::thread::scope(|scope| {
            let runs: Vec<_> = (0..4).map(|_| scope.spawn(run)).collect();
            runs.into_iter()
                .map(|r| r.join().expect("run thread"))
                .collect::<Vec<_>>()
        });
        let expected = &first_runs[0];
        for out in &first_runs {
            if out.status != Status::Code(0) || out.stdout != expected.stdout {
                problems.push(format!(
                    "{python}: concurrent first runs differ\n{out}\n--- first ---\n{expected}"
                ));
            }
        }
        if !expected.stdout.contains("name = demo") {
            problems.push(format!("{python}: unexpected output\n{expected}"));
        }
        let dir = match cached_files(cache.path()) {
            Ok((dir, files)) if files == APP_FILES => dir,
            Ok((_, files)) => return Err(format!("{python}: cache holds {files:?}").into()),
            Err(e) => return Err(format!("{python}: {e}").into()),
        };

        let palette = dir.join("shapes/palette.txt");
        let stamp = dir.with_extension("stamp");
        let tampered: [(&str, &dyn Fn()); 6] = [
            ("a changed file", &|| {
                fs::write(&palette, SAME_SIZE).expect("write");
            }),
            ("a removed file", &|| {
                fs::remove_file(&palette).expect("rm");
            }),
            ("an added file", &|| {
                fs::write(dir.join("shapes/extra.py"), "X = 1\n").expect("write");
            }),
            // The stamp is the only thing checked at a start: a change of the file with
            // the stamp changed to match it is not noticed, but one the stamp does not
            // describe is, however the stamp is damaged.
            ("a changed file and a damaged stamp", &|| {
                fs::write(&palette, SAME_SIZE).expect("write");
                let text = fs::read(&stamp).expect("read the stamp");
                fs::write(&stamp, &text[..text.len() / 2]).expect("write");
            }),
            ("a stamp that is not one", &|| {
                fs::write(&stamp, vec![0xff; 1 << 20]).expect("write");
            }),
            ("no stamp", &|| {
                fs::write(&palette, SAME_SIZE).expect("write");
                fs::remove_file(&stamp).expect("rm");
            }),
        ];
        for (what, tamper) in tampered {
            tamper();
            let out = run();
            if out != *expected {
                problems.push(format!(
                    "{python}: after {what} in the cache the app ran differently\n{out}"
                ));
            }
            match cached_files(cache.path()) {
                Ok((_, files)) if files == APP_FILES => {}
                Ok((_, files)) => {
                    problems.push(format!("{python}: after {what} the cache holds {files:?}"))
                }
                Err(e) => problems.push(format!("{python}: after {what}: {e}")),
            }
            if fs::read_to_string(&palette).ok().as_deref() != Some("red green blue\n") {
                problems.push(format!(
                    "{python}: after {what} palette.txt was not restored"
                ));
            }
        }
        Ok(problems)
    });
}

#[test]
fn a_cache_directory_others_can_write_is_refused() {
    let python = newest_interpreter();
    let frozen = bundle_with("diskapp", python, &["--collect-to-disk", "."], app)
        .unwrap_or_else(|e| panic!("{e}"));
    let cache = tempdir("cache");
    let shared = cache.path().join("pyfreeze");
    fs::create_dir(&shared).expect("mkdir");
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o777)).expect("chmod");
    let cache_path = cache.path().to_str().expect("utf-8 path");
    let app = app();
    let out = run_frozen_in(
        &frozen.exe,
        &app.path,
        &["app"],
        None,
        &[("XDG_CACHE_HOME", Some(cache_path))],
    );
    assert_eq!(out.status, Status::Code(70), "{out}");
    assert!(
        out.stderr.contains(&*shared.to_string_lossy())
            && out.stderr.contains("writable by you alone"),
        "{out}"
    );
    assert_eq!(list_tree(&shared), Vec::<PathBuf>::new(), "{out}");
}

#[test]
fn the_build_decides_or_hints_and_checks_its_argument() {
    let python = newest_interpreter();
    let plain = freeze(&app().path, python, &[]).unwrap_or_else(|e| panic!("{e}"));
    let stderr = &plain.build.stderr;
    for hint in [
        "put on disk: shapes (shapes.draw opens 'templates' next to __file__; \
         --no-collect-to-disk shapes keeps it in memory)",
        "hint: the app directory holds files that are not code (1, such as settings/app.ini) \
         and `__main__` builds a path from __file__",
    ] {
        assert!(stderr.contains(hint), "no {hint:?} in\n{}", plain.build);
    }
    let collected =
        freeze(&app().path, python, &["--collect-to-disk", "."]).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !collected.build.stderr.contains("hint:")
            && !collected.build.stderr.contains("put on disk:"),
        "{}",
        collected.build
    );

    let failure = freeze(&app().path, python, &["--collect-to-disk", "shape"])
        .expect_err("a package that is not bundled");
    insta::assert_snapshot!("collect_to_disk_unknown_package", failure.output.stderr);
}
