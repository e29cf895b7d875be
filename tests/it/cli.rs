//! The command line's own output: `--help` and `--version`, the build summary as text and
//! as JSON, `-q`, the progress display (on a pseudo-terminal, made by util-linux
//! `script`, and never in a pipe, in CI or on a dumb terminal), colours (never with
//! NO_COLOR), and the shell completions and manual page made from the same definition.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use pyfreeze_tests::{
    binaries, build_args, copy_example, newest_interpreter, pyfreeze, pyfreeze_env, run_command,
    tempdir, test_name, Output, Status, BUILD_TIMEOUT,
};
use serde_json::Value;

fn args<'a>(words: &'a [&'a str]) -> Vec<&'a OsStr> {
    words.iter().map(OsStr::new).collect()
}

/// `pyfreeze <words>`, which must succeed; its stdout.
fn stdout_of(words: &[&str]) -> String {
    let dir = tempdir(test_name!());
    let out = pyfreeze(&args(words), dir.path());
    assert_eq!(out.status, Status::Code(0), "{words:?}\n{out}");
    out.stdout
}

#[test]
fn help_is_as_snapshotted() {
    insta::assert_snapshot!("help", stdout_of(&["--help"]));
    insta::assert_snapshot!("build_help", stdout_of(&["build", "--help"]));
}

#[test]
fn the_version_names_the_bundle_format_and_the_pythons() {
    let version = stdout_of(&["--version"]);
    assert_eq!(
        version,
        format!(
            "pyfreeze {} (bundle format {}; CPython 3.8–3.13)\n",
            env!("CARGO_PKG_VERSION"),
            pyfreeze_archive::FORMAT_VERSION
        )
    );
}

#[test]
fn completions_and_the_manual_page_come_from_the_definition() {
    let bash = stdout_of(&["completions", "bash"]);
    assert!(
        bash.contains("complete -F") && bash.contains("build"),
        "{bash}"
    );
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        assert!(
            stdout_of(&["completions", shell]).contains("--python"),
            "{shell}"
        );
    }
    let man = stdout_of(&["man"]);
    assert!(
        man.contains(".TH pyfreeze") && man.contains("build"),
        "{man}"
    );
}

/// A scratch directory, hello copied, and where its bundle goes.
struct Scene {
    tmp: tempfile::TempDir,
    app: pyfreeze_tests::AppDir,
}

impl Scene {
    fn new(name: &str) -> Self {
        Scene {
            tmp: tempdir(name),
            app: copy_example("hello"),
        }
    }

    fn output(&self) -> std::path::PathBuf {
        self.tmp.path().join("hello")
    }

    /// `pyfreeze build hello -o <tmp>/hello --python <newest> <extra>` in a pipe.
    fn build(&self, extra: &[&str], env: &pyfreeze_tests::Env<'_>) -> Output {
        let output = self.output();
        let python = newest_interpreter();
        let mut words = build_args(&self.app.path, &output, &python.path);
        words.extend(extra.iter().map(OsStr::new));
        let out = pyfreeze_env(&words, self.tmp.path(), env);
        assert_eq!(out.status, Status::Code(0), "{out}");
        out
    }

    /// The same on a pseudo-terminal, with `env` and a fresh build cache (so that the
    /// analysis runs and compiles): what the terminal showed, stdout and stderr together.
    fn build_on_terminal(&self, extra: &str, env: &[(&str, &str)]) -> String {
        let python = newest_interpreter();
        let line = format!(
            "'{}' build '{}' -o '{}' --python '{}' {extra}",
            binaries().pyfreeze.display(),
            self.app.path.display(),
            self.output().display(),
            python.path.display(),
        );
        on_terminal(&line, self.tmp.path(), env)
    }
}

/// What `line` (a shell command line) shows on a pseudo-terminal, run in `cwd` with `env`,
/// outside CI and with a fresh build cache.
fn on_terminal(line: &str, cwd: &Path, env: &[(&str, &str)]) -> String {
    let cache = tempdir("cli-terminal-cache");
    let mut cmd = Command::new("script");
    cmd.args(["-qec", line, "/dev/null"])
        .current_dir(cwd)
        .env_remove("CI")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("TERM", "xterm")
        .env("PYFREEZE_CACHE_DIR", cache.path());
    for (name, value) in env {
        cmd.env(name, value);
    }
    let out = run_command(cmd, None, BUILD_TIMEOUT)
        .unwrap_or_else(|e| panic!("util-linux `script` runs the pseudo-terminal tests: {e}"));
    format!("{}{}", out.stdout, out.stderr)
}

/// The summary with what varies from build to build and machine to machine filtered.
fn snapshot_summary(name: &str, scene: &Scene, summary: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex::escape(&scene.tmp.path().to_string_lossy()), "[TMP]");
    for (pattern, replacement) in [
        (r"\(\d+\.\d MB\)", "([SIZE] MB)"),
        (r"with Python \d+\.\d+\.\d+", "with Python [VERSION]"),
        (
            r"\d+ (modules|extension modules|shared libraries|data files)\b",
            "[N] $1",
        ),
        (r"in \d+\.\d+s", "in [TIME]"),
        (
            r"note: \d+ imports in dependencies were not found (\(.*\)): .*",
            "note: [N] imports in dependencies were not found $1: [MODULES]",
        ),
        (r"(?m)^cache: .*$", "cache: [CACHE]"),
        (r"(?m)^runs on .*$", "runs on [TARGET]"),
        (r"(?m)^biggest: .*$", "biggest: [PARTS]"),
    ] {
        settings.add_filter(pattern, replacement);
    }
    settings.bind(|| insta::assert_snapshot!(name, summary));
}

#[test]
fn the_summary_as_text_quiet_and_json() {
    let scene = Scene::new(test_name!());
    let text = scene.build(&[], &[]);
    assert_eq!(text.stdout, "");
    snapshot_summary("summary_text", &scene, &text.stderr);

    let fallback = "_py_abc (instead of _abc)";
    assert!(!text.stderr.contains(fallback), "{text}");
    let verbose = scene.build(&["-v"], &[]);
    assert!(
        verbose.stderr.contains(&format!(
            "note: left out, as they are imported only where imports the build found fail: \
             {fallback}; --include NAME bundles one\n"
        )),
        "{verbose}"
    );

    let quiet = scene.build(&["-q"], &[]);
    assert_eq!((quiet.stdout.as_str(), quiet.stderr.as_str()), ("", ""));

    // A cache of its own, so that the analysis runs and the cache's every field is there.
    let cache = tempdir("cli-json-cache");
    let cache_dir = cache.path().to_str().expect("UTF-8");
    let json = scene.build(&["--json"], &[("PYFREEZE_CACHE_DIR", Some(cache_dir))]);
    assert_eq!(json.stderr, "", "the summary goes to stdout alone");
    assert_eq!(json.stdout.lines().count(), 1, "{}", json.stdout);
    let summary: Value = serde_json::from_str(&json.stdout).expect("the summary is JSON");
    assert_eq!(summary["schema_version"], 1);
    assert_eq!(
        summary["output"].as_str(),
        scene.output().to_str(),
        "{summary}"
    );
    assert_eq!(
        summary["python_version"].as_str(),
        Some(newest_interpreter().version.as_str())
    );
    let size = std::fs::metadata(scene.output()).expect("built").len();
    assert_eq!(summary["size"].as_u64(), Some(size));
    assert!(
        summary["contents"]["modules"].as_u64() > Some(10),
        "{summary}"
    );
    assert!(summary["elapsed_seconds"].as_f64() > Some(0.0), "{summary}");
    let missing = summary["missing_other_platforms"]
        .as_array()
        .expect("a list");
    assert!(
        missing.iter().any(|m| m["name"] == "nt"),
        "nt is another platform's module: {summary}"
    );
    assert_eq!(summary["cache"]["analysis"], "ran", "{summary}");
    assert_eq!(summary["cache"]["dir"].as_str(), Some(cache_dir));
    assert!(
        summary["cache"]["modules_compiled"].as_u64() > Some(10),
        "{summary}"
    );
    // Every field docs/build-json.md describes, with its type.
    let shape: Vec<String> = summary
        .as_object()
        .expect("an object")
        .iter()
        .map(|(key, value)| format!("{key}: {}", type_of(value)))
        .chain(
            summary["cache"]
                .as_object()
                .expect("the cache is used")
                .iter()
                .map(|(key, value)| format!("cache.{key}: {}", type_of(value))),
        )
        .collect();
    insta::assert_snapshot!("summary_json_shape", shape.join("\n"));
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// What the progress display writes whatever the step: the spinner's redraw of its line.
const CLEAR_LINE: &str = "\x1b[2K";

#[test]
fn progress_shows_on_a_terminal_only() {
    let scene = Scene::new(test_name!());
    let shown = scene.build_on_terminal("", &[]);
    for step in ["analysing imports", "writing"] {
        assert!(
            shown.contains(step),
            "no {step:?} on the terminal:\n{shown:?}"
        );
    }
    let counts = regex::Regex::new(r"analysing imports: compiled \d+/\d+ modules").expect("valid");
    assert!(counts.is_match(&shown), "no compile counts:\n{shown:?}");
    // Cleared before the summary, which stays.
    let summary = shown.rfind("Built ").expect("the summary");
    assert!(shown[..summary].ends_with(CLEAR_LINE), "{shown:?}");
    assert!(!shown[summary..].contains("analysing imports"), "{shown:?}");

    for (why, env) in [
        ("CI", ("CI", "true")),
        ("a dumb terminal", ("TERM", "dumb")),
    ] {
        let shown = scene.build_on_terminal("", &[env]);
        assert!(shown.contains("Built "), "{why}: {shown:?}");
        assert!(!shown.contains("analysing imports"), "{why}: {shown:?}");
    }
    let quiet = scene.build_on_terminal("-q", &[]);
    assert!(
        !quiet.contains("analysing imports") && !quiet.contains("Built "),
        "{quiet:?}"
    );

    let piped = scene.build(&["--no-cache"], &[("CI", None)]);
    for sign in ["analysing imports", "compiled", CLEAR_LINE, "\r"] {
        assert!(!piped.stderr.contains(sign), "{sign:?} in a pipe:\n{piped}");
    }
}

#[test]
fn colours_on_a_terminal_unless_no_color() {
    let dir = tempdir(test_name!());
    let missing = format!(
        "'{}' build '{}'",
        binaries().pyfreeze.display(),
        dir.path().join("missing").display()
    );
    let red_error = "\x1b[1m\x1b[31merror:\x1b[0m";
    let green_help = "\x1b[1m\x1b[32mhelp:\x1b[0m";
    let coloured = on_terminal(&missing, dir.path(), &[]);
    assert!(
        coloured.contains(red_error) && coloured.contains(green_help),
        "{coloured:?}"
    );
    for (what, line, env) in [
        ("NO_COLOR", missing.clone(), &[("NO_COLOR", "1")][..]),
        ("--color=never", format!("{missing} --color=never"), &[]),
    ] {
        let plain = on_terminal(&line, dir.path(), env);
        assert!(plain.starts_with("error: "), "{what}: {plain:?}");
        assert!(!plain.contains('\x1b'), "{what}: {plain:?}");
    }
    let piped = pyfreeze(&args(&["build", "missing"]), dir.path());
    assert!(piped.stderr.starts_with("error: ") && !piped.stderr.contains('\x1b'));
    let forced = pyfreeze(&args(&["build", "missing", "--color=always"]), dir.path());
    assert!(forced.stderr.contains(red_error), "{forced}");
    let forced = pyfreeze_env(
        &args(&["build", "missing"]),
        dir.path(),
        &[("CLICOLOR_FORCE", Some("1")), ("NO_COLOR", None)],
    );
    assert!(
        forced.stderr.contains(red_error),
        "CLICOLOR_FORCE: {forced}"
    );
}

#[test]
fn ls_of_a_file_that_is_not_a_bundle_says_what_to_give() {
    let dir = tempdir(test_name!());
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "not a bundle\n").expect("write");
    let out = pyfreeze(&[OsStr::new("ls"), notes.as_os_str()], dir.path());
    assert_eq!(out.status, Status::Code(1), "{out}");
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex::escape(&dir.path().to_string_lossy()), "[TMP]");
    settings.bind(|| insta::assert_snapshot!("ls_not_a_bundle", out.stderr));
}
