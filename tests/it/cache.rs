//! The build cache: a rebuild with no change reuses everything and gives the same bytes as
//! a build without the cache; an edited module, a new module that shadows another, a
//! damaged entry and a concurrent build are all noticed or survived. What the cache did
//! is read from the build's `cache:` line, never from timings.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use pyfreeze_tests::{
    build_args, pyfreeze_env, run_frozen, tempdir, write_app, Interpreter, Status, TempDir,
};
use regex::Regex;

use crate::for_each_interpreter;

/// A scratch directory with a cache of its own.
struct Scene {
    dir: TempDir,
}

/// What a build wrote and what it said.
struct Built {
    exe: PathBuf,
    bytes: Vec<u8>,
    stderr: String,
}

impl Scene {
    fn new(name: &str) -> Self {
        Scene { dir: tempdir(name) }
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// `pyfreeze build <app> -o <out> --python <python> <extra>`, with this scene's cache.
    fn build(
        &self,
        python: &Interpreter,
        app: &Path,
        out: &str,
        extra: &[&str],
    ) -> Result<Built, String> {
        let exe = self.dir.path().join(out);
        let mut args = build_args(app, &exe, &python.path);
        args.extend(extra.iter().map(OsStr::new));
        let cache = self.cache();
        let env = [("PYFREEZE_CACHE_DIR", cache.to_str())];
        let output = pyfreeze_env(&args, self.dir.path(), &env);
        if output.status != Status::Code(0) {
            return Err(format!(
                "{python}: build of {} failed\n{output}",
                app.display()
            ));
        }
        let bytes = fs::read(&exe).map_err(|e| format!("{}: {e}", exe.display()))?;
        Ok(Built {
            exe,
            bytes,
            stderr: output.stderr,
        })
    }
}

impl Built {
    /// The build's `cache:` line.
    fn cache_line(&self) -> &str {
        self.stderr
            .lines()
            .find(|line| line.starts_with("cache: "))
            .unwrap_or("(no cache line)")
    }

    /// Whether the analysis was reused and every stripped and compressed file was cached.
    fn all_cached(&self) -> bool {
        let counts = Regex::new(r"(\d+)/(\d+) cached").expect("valid regex");
        let line = self.cache_line();
        line.starts_with("cache: analysis cached,")
            && counts.captures_iter(line).count() == 2
            && counts
                .captures_iter(line)
                .all(|c| c[1] == c[2] && &c[1] != "0")
    }

    /// How many modules the analysis compiled, if it ran.
    fn compiled(&self) -> Option<usize> {
        let ran = Regex::new(r"^cache: analysis ran \((\d+) of \d+ modules compiled\)")
            .expect("valid regex");
        ran.captures(self.cache_line())
            .map(|c| c[1].parse().expect("a number"))
    }

    fn run(&self, args: &[&str]) -> String {
        let out = run_frozen(&self.exe, args, None, &[]);
        format!("{}{}", out.stdout, out.stderr)
    }
}

fn greeting_app(name: &str) -> pyfreeze_tests::AppDir {
    write_app(
        name,
        &[
            ("main.py", "import greet\nprint(greet.hello())\n"),
            ("greet.py", "def hello():\n    return 'hello'\n"),
        ],
    )
}

#[test]
fn a_rebuild_with_no_change_is_cached_and_identical() {
    for_each_interpreter(
        "a_rebuild_with_no_change_is_cached_and_identical",
        |python| {
            let scene = Scene::new("cache-rebuild");
            let app = greeting_app("greeting");
            let builds = (|| {
                let first = scene.build(python, &app.path, "first", &[])?;
                let second = scene.build(python, &app.path, "second", &[])?;
                let uncached = scene.build(python, &app.path, "uncached", &["--no-cache"])?;
                Ok::<_, String>((first, second, uncached))
            })();
            let (first, second, uncached) = match builds {
                Ok(builds) => builds,
                Err(e) => return vec![e],
            };
            let mut problems = Vec::new();
            if !matches!(first.compiled(), Some(n) if n >= 10) {
                problems.push(format!(
                    "{python}: the first build should compile everything: {}",
                    first.cache_line()
                ));
            }
            if !second.all_cached() {
                problems.push(format!(
                    "{python}: the rebuild should be all cached: {}",
                    second.cache_line()
                ));
            }
            if second.bytes != first.bytes || uncached.bytes != first.bytes {
                problems.push(format!(
                    "{python}: the builds differ: {} bytes, {} cached, {} without the cache",
                    first.bytes.len(),
                    second.bytes.len(),
                    uncached.bytes.len()
                ));
            }
            if uncached.stderr.contains("cache:") {
                problems.push(format!(
                    "{python}: --no-cache used the cache:\n{}",
                    uncached.stderr
                ));
            }
            if second.run(&[]) != "hello\n" {
                problems.push(format!(
                    "{python}: the cached build runs wrong: {}",
                    second.run(&[])
                ));
            }
            problems
        },
    );
}

#[test]
fn an_edited_module_is_compiled_again_and_shows() {
    for_each_interpreter("an_edited_module_is_compiled_again_and_shows", |python| {
        let scene = Scene::new("cache-edit");
        let app = greeting_app("greeting");
        let builds = (|| {
            let before = scene.build(python, &app.path, "before", &[])?;
            // The same size, so that only the contents (or the times) can tell.
            fs::write(
                app.path.join("greet.py"),
                "def hello():\n    return 'howdy'\n",
            )
            .map_err(|e| e.to_string())?;
            let after = scene.build(python, &app.path, "after", &[])?;
            Ok::<_, String>((before, after))
        })();
        let (before, after) = match builds {
            Ok(builds) => builds,
            Err(e) => return vec![e],
        };
        let mut problems = Vec::new();
        if after.compiled() != Some(1) {
            problems.push(format!(
                "{python}: only the edited module should be compiled: {}",
                after.cache_line()
            ));
        }
        if after.bytes == before.bytes || after.run(&[]) != "howdy\n" {
            problems.push(format!(
                "{python}: the edit does not show: {:?}",
                after.run(&[])
            ));
        }
        problems
    });
}

#[test]
fn a_new_module_that_shadows_a_cached_one_is_noticed() {
    for_each_interpreter(
        "a_new_module_that_shadows_a_cached_one_is_noticed",
        |python| {
            let scene = Scene::new("cache-shadow");
            let app = write_app(
                "shadow",
                &[(
                    "main.py",
                    "import colorsys\nprint(getattr(colorsys, 'WHO', 'the standard library'))\n",
                )],
            );
            let builds = (|| {
                let before = scene.build(python, &app.path, "before", &[])?;
                let cached = scene.build(python, &app.path, "cached", &[])?;
                fs::write(app.path.join("colorsys.py"), "WHO = 'the app'\n")
                    .map_err(|e| e.to_string())?;
                let after = scene.build(python, &app.path, "after", &[])?;
                Ok::<_, String>((before, cached, after))
            })();
            let (before, cached, after) = match builds {
                Ok(builds) => builds,
                Err(e) => return vec![e],
            };
            let mut problems = Vec::new();
            if before.run(&[]) != "the standard library\n" || !cached.all_cached() {
                problems.push(format!(
                    "{python}: before: {:?}, {}",
                    before.run(&[]),
                    cached.cache_line()
                ));
            }
            if after.compiled() != Some(1) || after.run(&[]) != "the app\n" {
                problems.push(format!(
                    "{python}: the app's colorsys.py was not noticed: {}, runs {:?}",
                    after.cache_line(),
                    after.run(&[])
                ));
            }
            problems
        },
    );
}

#[test]
fn a_damaged_cache_is_recovered_from() {
    for_each_interpreter("a_damaged_cache_is_recovered_from", |python| {
        let scene = Scene::new("cache-damage");
        let app = greeting_app("greeting");
        let first = match scene.build(python, &app.path, "first", &[]) {
            Ok(built) => built,
            Err(e) => return vec![e],
        };
        // Every entry: one truncated, the next with a byte flipped, and so on.
        for (n, entry) in pyfreeze_tests::list_tree(&scene.cache()).iter().enumerate() {
            let path = scene.cache().join(entry);
            let Ok(mut bytes) = fs::read(&path) else {
                continue;
            };
            if n % 2 == 0 {
                bytes.truncate(bytes.len() / 2);
            } else if let Some(last) = bytes.last_mut() {
                *last ^= 0xff;
            }
            fs::write(&path, bytes).expect("damage an entry");
        }
        let builds = (|| {
            let repaired = scene.build(python, &app.path, "repaired", &[])?;
            let again = scene.build(python, &app.path, "again", &[])?;
            Ok::<_, String>((repaired, again))
        })();
        let (repaired, again) = match builds {
            Ok(builds) => builds,
            Err(e) => return vec![e],
        };
        let mut problems = Vec::new();
        if !matches!(repaired.compiled(), Some(n) if n >= 10) || repaired.bytes != first.bytes {
            problems.push(format!(
                "{python}: the build after the damage should redo everything, the same: {}",
                repaired.cache_line()
            ));
        }
        if !again.all_cached() || again.bytes != first.bytes {
            problems.push(format!(
                "{python}: the cache should be whole again: {}",
                again.cache_line()
            ));
        }
        problems
    });
}

#[test]
fn concurrent_builds_share_a_cache() {
    for_each_interpreter("concurrent_builds_share_a_cache", |python| {
        let scene = Scene::new("cache-concurrent");
        let app = greeting_app("greeting");
        let (one, two) = std::thread::scope(|scope| {
            let one = scope.spawn(|| scene.build(python, &app.path, "one", &[]));
            let two = scope.spawn(|| scene.build(python, &app.path, "two", &[]));
            (
                one.join().expect("build thread"),
                two.join().expect("build thread"),
            )
        });
        let (one, two) = match (one, two) {
            (Ok(one), Ok(two)) => (one, two),
            (one, two) => return one.err().into_iter().chain(two.err()).collect(),
        };
        let mut problems = Vec::new();
        if one.bytes != two.bytes {
            problems.push(format!("{python}: the concurrent builds differ"));
        }
        match scene.build(python, &app.path, "three", &[]) {
            Ok(third) if third.all_cached() && third.bytes == one.bytes => {}
            Ok(third) => problems.push(format!(
                "{python}: the build after them should be all cached: {}",
                third.cache_line()
            )),
            Err(e) => problems.push(e),
        }
        problems
    });
}
