//! The build cache: a rebuild with no change reuses everything and gives the same bytes as
//! a build without the cache; an edited module, a new module that shadows another, a
//! damaged entry and a concurrent build are all noticed or survived. What the cache did
//! is read from the build's summary, snapshotted whole (`it/snapshots/it__cache__*.snap`),
//! never from timings.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use pyfreeze_tests::{
    both, build_args, for_each_interpreter, list_tree, pyfreeze_env, run_frozen, tempdir,
    test_name, write_app, Interpreter, Status, TempDir,
};

/// A scratch directory with a cache of its own.
struct Scene {
    dir: TempDir,
}

/// What a build wrote and what it said.
struct Built {
    exe: PathBuf,
    bytes: Vec<u8>,
    summary: String,
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
            summary: output.stderr,
        })
    }
}

impl Built {
    fn run(&self, args: &[&str]) -> String {
        let out = run_frozen(&self.exe, args, None, &[]);
        format!("{}{}", out.stdout, out.stderr)
    }
}

/// What varies in a build's summary with the interpreter and the machine, and what of it
/// the tests hold to: a first build compiles 10 modules or more (`[10+]`), an edit
/// compiles exactly 1; `all [N] cached` is every lookup a hit, and at least one; `0/[N]`
/// none, `[SOME]/[N]` some.
const SUMMARY_FILTERS: &[(&str, &str)] = &[
    (r"\(\d+\.\d MB\)", "([SIZE] MB)"),
    (r"with Python \d+\.\d+\.\d+", "with Python [VERSION]"),
    (
        r"\d+ (modules|extension modules|shared libraries|data files)\b",
        "[N] $1",
    ),
    (r"in \d+\.\d+s", "in [TIME]"),
    (r"(?m)^biggest: .*", "biggest: [PARTS]"),
    (
        r"runs on Linux \S+ with glibc ≥ [\d.]+; system libraries: .*",
        "runs on Linux [ARCH] with glibc ≥ [GLIBC]; system libraries: [LIBRARIES]",
    ),
    (
        r"note: \d+ imports in dependencies were not found (\(.*\)): .*",
        "note: [N] imports in dependencies were not found $1: [MODULES]",
    ),
    (
        r"note: left out by default(.*\)): [^;]*;",
        "note: left out by default$1: [MODULES];",
    ),
    (
        r"\b[1-9]\d+ of \[N\] modules compiled",
        "[10+] of [N] modules compiled",
    ),
    (r"\ball [1-9]\d* cached", "all [N] cached"),
    (r"\b[1-9]\d*/\d+ cached", "[SOME]/[N] cached"),
    (r"\b0/\d+ cached", "0/[N] cached"),
];

/// `text` with each `n/n` (every lookup a hit) spelled `all n`: a regex, and so an insta
/// filter, cannot tell that two numbers are equal.
fn all_hits(text: &str) -> String {
    let words = text.split(' ').map(|word| match word.split_once('/') {
        Some((hits, lookups))
            if hits == lookups && !hits.is_empty() && hits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("all {hits}")
        }
        _ => word.to_owned(),
    });
    words.collect::<Vec<_>>().join(" ")
}

/// The summaries of the builds of one test, each checked against the snapshot
/// `<test>-<build>` once every interpreter has been through the test's other checks: a
/// snapshot that differs ends the test.
struct Summaries {
    test: &'static str,
    taken: Vec<(String, &'static str, PathBuf, String)>,
}

impl Summaries {
    fn new(test: &'static str) -> Self {
        Summaries {
            test,
            taken: Vec::new(),
        }
    }

    /// Keeps what `built` (of `scene`, with `python`) said, as the build `name`.
    fn take(&mut self, python: &Interpreter, scene: &Scene, name: &'static str, built: &Built) {
        self.taken.push((
            python.to_string(),
            name,
            scene.dir.path().to_owned(),
            all_hits(&built.summary),
        ));
    }

    fn check(self) {
        let test = self.test;
        for (python, name, dir, summary) in self.taken {
            eprintln!("{test}: {python}: the summary of the build `{name}`");
            let mut filters = vec![(regex::escape(&dir.to_string_lossy()), "[SCENE]")];
            filters.extend(SUMMARY_FILTERS.iter().map(|(f, to)| ((*f).to_owned(), *to)));
            let filters: Vec<(&str, &str)> =
                filters.iter().map(|(f, to)| (f.as_str(), *to)).collect();
            insta::with_settings!({filters => filters}, {
                insta::assert_snapshot!(format!("{test}-{name}"), summary);
            });
        }
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
    let mut summaries = Summaries::new(test_name!());
    for_each_interpreter(summaries.test, |python| {
        let scene = Scene::new("cache-rebuild");
        let app = greeting_app("greeting");
        let first = scene.build(python, &app.path, "first", &[])?;
        let second = scene.build(python, &app.path, "second", &[])?;
        let uncached = scene.build(python, &app.path, "uncached", &["--no-cache"])?;
        summaries.take(python, &scene, "first", &first);
        summaries.take(python, &scene, "second", &second);
        summaries.take(python, &scene, "uncached", &uncached);
        let mut problems = Vec::new();
        if second.bytes != first.bytes || uncached.bytes != first.bytes {
            problems.push(format!(
                "{python}: the builds differ: {} bytes, {} cached, {} without the cache",
                first.bytes.len(),
                second.bytes.len(),
                uncached.bytes.len()
            ));
        }
        if second.run(&[]) != "hello\n" {
            problems.push(format!(
                "{python}: the cached build runs wrong: {}",
                second.run(&[])
            ));
        }
        Ok(problems)
    });
    summaries.check();
}

#[test]
fn an_edited_module_is_compiled_again_and_shows() {
    let mut summaries = Summaries::new(test_name!());
    for_each_interpreter(summaries.test, |python| {
        let scene = Scene::new("cache-edit");
        let app = greeting_app("greeting");
        let before = scene.build(python, &app.path, "before", &[])?;
        // The same size, so that only the contents (or the times) can tell.
        fs::write(
            app.path.join("greet.py"),
            "def hello():\n    return 'howdy'\n",
        )
        .map_err(|e| e.to_string())?;
        let after = scene.build(python, &app.path, "after", &[])?;
        summaries.take(python, &scene, "after", &after);
        let mut problems = Vec::new();
        if after.bytes == before.bytes || after.run(&[]) != "howdy\n" {
            problems.push(format!(
                "{python}: the edit does not show: {:?}",
                after.run(&[])
            ));
        }
        Ok(problems)
    });
    summaries.check();
}

#[test]
fn a_new_module_that_shadows_a_cached_one_is_noticed() {
    let mut summaries = Summaries::new(test_name!());
    for_each_interpreter(summaries.test, |python| {
        let scene = Scene::new("cache-shadow");
        let app = write_app(
            "shadow",
            &[(
                "main.py",
                "import colorsys\nprint(getattr(colorsys, 'WHO', 'the standard library'))\n",
            )],
        );
        let before = scene.build(python, &app.path, "before", &[])?;
        let cached = scene.build(python, &app.path, "cached", &[])?;
        fs::write(app.path.join("colorsys.py"), "WHO = 'the app'\n").map_err(|e| e.to_string())?;
        let after = scene.build(python, &app.path, "after", &[])?;
        summaries.take(python, &scene, "cached", &cached);
        summaries.take(python, &scene, "after", &after);
        let mut problems = Vec::new();
        if before.run(&[]) != "the standard library\n" {
            problems.push(format!("{python}: before: {:?}", before.run(&[])));
        }
        if after.run(&[]) != "the app\n" {
            problems.push(format!(
                "{python}: the app's colorsys.py was not noticed: runs {:?}",
                after.run(&[])
            ));
        }
        Ok(problems)
    });
    summaries.check();
}

#[test]
fn a_damaged_cache_is_recovered_from() {
    let mut summaries = Summaries::new(test_name!());
    for_each_interpreter(summaries.test, |python| {
        let scene = Scene::new("cache-damage");
        let app = greeting_app("greeting");
        let first = scene.build(python, &app.path, "first", &[])?;
        // Every entry: one truncated, the next with a byte flipped, and so on.
        for (n, entry) in list_tree(&scene.cache()).iter().enumerate() {
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
        let repaired = scene.build(python, &app.path, "repaired", &[])?;
        let again = scene.build(python, &app.path, "again", &[])?;
        summaries.take(python, &scene, "repaired", &repaired);
        summaries.take(python, &scene, "again", &again);
        let mut problems = Vec::new();
        if repaired.bytes != first.bytes {
            problems.push(format!(
                "{python}: the build after the damage should be the same as before it"
            ));
        }
        if again.bytes != first.bytes {
            problems.push(format!(
                "{python}: the build with the cache whole again should be the same as the first"
            ));
        }
        Ok(problems)
    });
    summaries.check();
}

#[test]
fn concurrent_builds_share_a_cache() {
    let mut summaries = Summaries::new(test_name!());
    for_each_interpreter(summaries.test, |python| {
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
        let (one, two) = both(one, two)?;
        let mut problems = Vec::new();
        if one.bytes != two.bytes {
            problems.push(format!("{python}: the concurrent builds differ"));
        }
        match scene.build(python, &app.path, "three", &[]) {
            Ok(third) => {
                summaries.take(python, &scene, "three", &third);
                if third.bytes != one.bytes {
                    problems.push(format!(
                        "{python}: the build after them differs from theirs"
                    ));
                }
            }
            Err(e) => problems.push(e),
        }
        Ok(problems)
    });
    summaries.check();
}
