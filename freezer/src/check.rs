//! `pyfreeze check`: builds the app, runs it under the build's interpreter and as the
//! bundle, with the same arguments, working directory and environment, and compares the
//! two runs: exit status, stdout, stderr (paths masked), the modules in `sys.modules` at
//! exit and the data files the app opened. What the bundle lacks is named with the build
//! option that brings it in.
//!
//! The CPython run is `python -c` of [`CPYTHON_RUN`], which runs the app's entry point as
//! python would and reports at exit; the bundle is built with the check probe
//! (`runtime-stub/python/_pyfreeze_check.py`), which does the same from inside it. Neither
//! reads the environment: the app sees what it would see.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::Context;
use pyfreeze_archive::{Bundle, Kind};

use crate::build::analysis::EntrySpec;
use crate::build::{self, project, BuildOptions, BuildReport, LeftOutRule};

/// The CPython run's code: see its comments.
const CPYTHON_RUN: &str = include_str!("check/cpython.py");
/// What the check probe writes its report to: the executable's path and this.
const PROBE_REPORT_SUFFIX: &str = ".pyfreeze-check";
/// Where traceback paths and other mentions of the directories that differ between the
/// two runs are masked.
const MASK: &str = "[PATH]";
/// The runtime's own modules, in `sys.modules` of a bundle only.
const RUNTIME_PREFIX: &str = "_pyfreeze";

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("cannot make a temporary directory for the bundle: {0}")]
    TempDir(std::io::Error),
    #[error("cannot run {}: {source}", program.display())]
    Run {
        program: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot read what the check probe wrote: {source}", path.display())]
    Report {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot read the bundle just built: {error}", path.display())]
    Bundle {
        path: PathBuf,
        error: pyfreeze_archive::Error,
    },
}

/// What `pyfreeze check` found.
#[derive(Debug)]
pub struct Checked {
    pub build: BuildReport,
    /// The comparison, for people: a summary line, then what differs.
    pub report: String,
    /// Both runs agree and the bundle lacks nothing CPython used.
    pub passed: bool,
}

/// One run: how it ended, its output, and the modules in `sys.modules` at exit (none if
/// it left without running atexit functions, as `os._exit` does).
struct Run {
    output: Output,
    modules: Option<BTreeSet<String>>,
}

/// What the CPython run's report says beyond the modules.
#[derive(Default)]
struct CpythonReport {
    modules: BTreeMap<String, String>,
    start: BTreeSet<String>,
    path: Vec<String>,
    /// The module whose import statement first imported each module.
    importers: BTreeMap<String, String>,
    files: Vec<DataFile>,
}

/// A data file CPython opened: the package whose directory holds it (`.` for the app
/// directory) and its name in a bundle.
type DataFile = (String, String);

/// What the bundle holds, as the comparison needs it.
#[derive(Default)]
struct Holds {
    modules: BTreeSet<String>,
    data: BTreeSet<String>,
    disk: BTreeSet<String>,
}

/// Builds the app as `options` ask (into a temporary directory unless they name an
/// output), runs it both ways with `args`, and compares the runs.
pub fn check(options: &BuildOptions, args: &[OsString]) -> anyhow::Result<Checked> {
    let project = project::resolve(&options.app, options.entry.as_deref())?;
    let python = build::interpreter_of(options)?;
    let scratch = tempfile::Builder::new()
        .prefix("pyfreeze-check-")
        .tempdir()
        .map_err(CheckError::TempDir)?;
    let mut with_probe = options.clone();
    with_probe.check_probe = true;
    with_probe.output = Some(
        options
            .output
            .clone()
            .unwrap_or_else(|| scratch.path().join(&project.name)),
    );
    let built = build::build(&with_probe, &crate::progress::Silent)?;

    let (python_options, optimize) =
        build::python_options(options).context("invalid --python-option")?;
    let mut python_args = build::python_args(&python_options);
    if optimize > 0 {
        python_args.push(format!("-{}", "O".repeat(optimize.into())));
    }
    let cpython_report = scratch.path().join("cpython");
    let (kind, target) = match &project.entry {
        EntrySpec::Script { path } => ("script", path.as_os_str().to_owned()),
        EntrySpec::Module { module } => ("module", module.into()),
        EntrySpec::Function { module, function } => {
            ("function", format!("{module}:{function}").into())
        }
    };
    let mut cpython = Command::new(&python);
    cpython
        .args(&python_args)
        .arg("-c")
        .arg(CPYTHON_RUN)
        .arg(&cpython_report)
        .arg(&project.app_dir)
        .arg(kind)
        .arg(target)
        .args(args);
    let cpython_output = run(cpython, &python)?;
    let reference = read_cpython_report(&cpython_report)?;

    let exe = fs_err::canonicalize(&built.output)?;
    let mut probe_report = exe.clone().into_os_string();
    probe_report.push(PROBE_REPORT_SUFFIX);
    let probe_report = PathBuf::from(probe_report);
    fs_err::write(&probe_report, "")?;
    let mut frozen = Command::new(&exe);
    frozen.args(args);
    let frozen_output = run(frozen, &exe);
    let probe_text = fs_err::read_to_string(&probe_report);
    fs_err::remove_file(&probe_report)?;
    let frozen_output = frozen_output?;
    let probe_text = probe_text.map_err(|source| CheckError::Report {
        path: probe_report,
        source,
    })?;
    let frozen_modules =
        (!probe_text.is_empty()).then(|| probe_text.lines().map(str::to_owned).collect());

    let holds = holds(&exe)?;
    let comparison = Comparison {
        cpython: Run {
            output: cpython_output,
            modules: (!reference.modules.is_empty())
                .then(|| reference.modules.keys().cloned().collect()),
        },
        frozen: Run {
            output: frozen_output,
            modules: frozen_modules,
        },
        reference: &reference,
        holds: &holds,
        app_dir: &project.app_dir,
        exe: &exe,
        options,
        build: &built,
    };
    let (report, passed) = comparison.report();
    Ok(Checked {
        build: built,
        report,
        passed,
    })
}

fn run(mut command: Command, program: &Path) -> Result<Output, CheckError> {
    command
        .stdin(Stdio::null())
        .output()
        .map_err(|source| CheckError::Run {
            program: program.to_owned(),
            source,
        })
}

fn read_cpython_report(path: &Path) -> Result<CpythonReport, CheckError> {
    let mut report = CpythonReport::default();
    let text = match fs_err::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        // No atexit function ran (os._exit, a signal): nothing to compare modules with.
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(report),
        Err(source) => {
            return Err(CheckError::Report {
                path: path.to_owned(),
                source,
            })
        }
    };
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields[..] {
            ["module", name, kind] => {
                report.modules.insert(name.to_owned(), kind.to_owned());
            }
            ["start", name] => {
                report.start.insert(name.to_owned());
            }
            ["path", dir] => report.path.push(dir.to_owned()),
            ["importer", name, by] => {
                report.importers.insert(name.to_owned(), by.to_owned());
            }
            ["file", owner, name] => report.files.push((owner.to_owned(), name.to_owned())),
            _ => {}
        }
    }
    Ok(report)
}

fn holds(exe: &Path) -> anyhow::Result<Holds> {
    let bytes = fs_err::read(exe)?;
    let error = |error| CheckError::Bundle {
        path: exe.to_owned(),
        error,
    };
    let bundle = Bundle::parse(&bytes).map_err(error)?;
    let mut holds = Holds::default();
    for entry in bundle.entries() {
        let entry = entry.map_err(error)?;
        let set = match entry.kind {
            Kind::Module | Kind::Extension => &mut holds.modules,
            Kind::Data => &mut holds.data,
            Kind::Disk => &mut holds.disk,
            _ => continue,
        };
        set.insert(entry.name.to_owned());
    }
    Ok(holds)
}

struct Comparison<'a> {
    cpython: Run,
    frozen: Run,
    reference: &'a CpythonReport,
    holds: &'a Holds,
    app_dir: &'a Path,
    exe: &'a Path,
    options: &'a BuildOptions,
    build: &'a BuildReport,
}

/// A module CPython imported that the bundle lacks, why the build left it out, and what
/// brings it in (nothing when what brings in its importer does).
struct Lacking {
    name: String,
    why: String,
    fix: Option<Fix>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Fix {
    /// An option to add: `--include MOD`, `--with DIST`.
    Add(String),
    /// An `--exclude` to drop.
    Unexclude(String),
}

impl Comparison<'_> {
    fn report(&self) -> (String, bool) {
        let mut out = String::new();
        let (a, b) = (&self.cpython.output, &self.frozen.output);
        let status = |o: &Output| {
            o.status.code().map_or_else(
                || format!("signal {}", signal(o).unwrap_or_default()),
                |code| code.to_string(),
            )
        };
        let same_status = a.status.code() == b.status.code() && signal(a) == signal(b);
        let same_stdout = a.stdout == b.stdout;
        let (stderr_a, stderr_b) = self.masked_stderr();
        let same_stderr = stderr_a == stderr_b;

        let lacking = self.lacking_modules();
        let only_cpython = self.only_cpython(&lacking);
        let extra = self.extra();
        let runtime = extra
            .iter()
            .filter(|m| m.starts_with(RUNTIME_PREFIX))
            .count();
        let (files_lacking, in_memory) = self.lacking_files();

        let _ = write!(
            out,
            "check: exit status {} {} {}, stdout {}, stderr {}, modules: ",
            status(a),
            if same_status { "=" } else { "!=" },
            status(b),
            same(same_stdout),
            same(same_stderr),
        );
        if self.cpython.modules.is_none() || self.frozen.modules.is_none() {
            let which: Vec<&str> = [
                ("CPython", &self.cpython.modules),
                ("the bundle", &self.frozen.modules),
            ]
            .iter()
            .filter(|(_, m)| m.is_none())
            .map(|(who, _)| *who)
            .collect();
            let _ = writeln!(
                out,
                "not compared ({} left without running atexit functions)",
                which.join(" and ")
            );
        } else {
            let _ = write!(out, "{} missing", lacking.len());
            if !only_cpython.is_empty() {
                let _ = write!(out, ", {} not imported by the bundle", only_cpython.len());
            }
            let _ = write!(out, ", {} extra", extra.len());
            if runtime > 0 && runtime == extra.len() {
                out.push_str(" (pyfreeze runtime)");
            } else if runtime > 0 {
                let _ = write!(out, " ({runtime} of them pyfreeze runtime)");
            }
            out.push('\n');
        }
        if !same_stdout {
            difference(&mut out, "stdout", &lossy(&a.stdout), &lossy(&b.stdout));
        }
        if !same_stderr {
            difference(&mut out, "stderr", &stderr_a, &stderr_b);
            let last = |text: &str| {
                text.lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .map(str::to_owned)
            };
            if let Some(line) =
                last(&stderr_b).filter(|line| Some(line) != last(&stderr_a).as_ref())
            {
                let _ = writeln!(out, "stderr: the bundle's last line: {line:?}");
            }
        }
        let others: Vec<&str> = extra
            .iter()
            .filter(|m| !m.starts_with(RUNTIME_PREFIX))
            .map(String::as_str)
            .collect();
        if !others.is_empty() {
            let _ = writeln!(
                out,
                "note: modules only the bundle imported: {}",
                others.join(", ")
            );
        }
        // What a lacking module would have imported is no news.
        if !only_cpython.is_empty() && lacking.is_empty() {
            let _ = writeln!(
                out,
                "note: modules the bundle holds but did not import, as CPython did: {}",
                only_cpython.join(", ")
            );
        }
        if !lacking.is_empty() {
            let listed: Vec<String> = lacking
                .iter()
                .map(|m| format!("{} ({})", m.name, m.why))
                .collect();
            let _ = writeln!(
                out,
                "error: the bundle lacks {} CPython imported: {}",
                count(lacking.len(), "module"),
                listed.join(", ")
            );
            let _ = writeln!(out, "help: {}", fixes(&lacking));
        }
        if !files_lacking.is_empty() {
            let _ = writeln!(
                out,
                "error: the bundle lacks {} CPython opened: {}",
                count(files_lacking.len(), "data file"),
                describe_files(&files_lacking)
            );
            let _ = writeln!(out, "help: build with {}", disk_options(&files_lacking));
        }
        let passed = same_status
            && same_stdout
            && same_stderr
            && lacking.is_empty()
            && files_lacking.is_empty();
        if !passed && !in_memory.is_empty() {
            let _ = writeln!(
                out,
                "note: the bundle holds {} CPython opened in memory only, where open() cannot reach: {}; {} puts them on disk",
                count(in_memory.len(), "data file"),
                describe_files(&in_memory),
                disk_options(&in_memory)
            );
        }
        (out, passed)
    }

    /// Both stderrs with the paths that differ between the runs masked: in traceback
    /// frames, the directories of CPython's sys.path and the app directory, and the
    /// bundle's executable, are dropped (`File "pkg/mod.py"`); elsewhere they become
    /// [`MASK`].
    fn masked_stderr(&self) -> (String, String) {
        let mut roots: Vec<String> = self
            .reference
            .path
            .iter()
            .filter(|p| p.starts_with('/') && p.len() > 1)
            .cloned()
            .collect();
        roots.push(self.app_dir.to_string_lossy().into_owned());
        let exe = [self.exe.to_string_lossy().into_owned()];
        frozen_frames(
            &mask(&lossy(&self.cpython.output.stderr), &roots),
            &mask(&lossy(&self.frozen.output.stderr), &exe),
        )
    }

    /// The modules CPython imported (after it started) that the bundle did not import,
    /// as (name, what it is).
    fn not_imported(&self) -> Vec<(&str, &str)> {
        let (Some(_), Some(frozen)) = (&self.cpython.modules, &self.frozen.modules) else {
            return Vec::new();
        };
        self.reference
            .modules
            .iter()
            .filter(|(name, _)| !frozen.contains(*name) && !self.reference.start.contains(*name))
            .map(|(name, kind)| (name.as_str(), kind.as_str()))
            .collect()
    }

    /// Of [`Self::not_imported`], the modules of files (not built in, frozen into
    /// libpython, aliases or made at run time) the bundle does not hold.
    fn lacking_modules(&self) -> Vec<Lacking> {
        let names: BTreeSet<&str> = self
            .not_imported()
            .into_iter()
            .filter(|(name, kind)| {
                matches!(*kind, "source" | "extension" | "namespace")
                    && !self.holds.modules.contains(*name)
            })
            .map(|(name, _)| name)
            .collect();
        names
            .iter()
            .map(|name| match self.reference.importers.get(*name) {
                // The build follows the imports of what brings in the importer.
                Some(by) if names.contains(by.as_str()) => Lacking {
                    name: (*name).to_owned(),
                    why: format!("imported by {by}"),
                    fix: None,
                },
                _ => self.why_lacking(name),
            })
            .collect()
    }

    fn why_lacking(&self, name: &str) -> Lacking {
        let within = |top: &str| name == top || name.starts_with(&format!("{top}."));
        let include = Fix::Add(format!("--include {name}"));
        if let Some(excluded) = self.options.excludes.iter().find(|e| within(e)) {
            return Lacking {
                name: name.to_owned(),
                why: format!("left out by --exclude {excluded}"),
                fix: Some(Fix::Unexclude(excluded.clone())),
            };
        }
        let left = self.build.left_out.iter().find(|l| within(&l.name));
        let (why, fix) = match left.map(|l| (&l.rule, l.imported_by.join(", "))) {
            Some((LeftOutRule::Optional { distribution }, by)) => (
                format!(
                    "only functions of {by} import it, and their distributions do not require {distribution}"
                ),
                Fix::Add(format!("--with {distribution}")),
            ),
            Some((LeftOutRule::StandardLibrary, by)) => (
                format!("only the standard library imports it ({by}), inside functions"),
                include,
            ),
            Some((LeftOutRule::Fallback { instead_of }, by)) => (
                format!(
                    "{by} imports it only if importing {} fails",
                    instead_of.join(", ")
                ),
                include,
            ),
            None => (
                "imported by a name the build cannot see, at run time".to_owned(),
                include,
            ),
        };
        Lacking {
            name: name.to_owned(),
            why,
            fix: Some(fix),
        }
    }

    /// Of [`Self::not_imported`], the modules that are not [lacking](Self::lacking_modules).
    fn only_cpython(&self, lacking: &[Lacking]) -> Vec<String> {
        let lacking: BTreeSet<&str> = lacking.iter().map(|m| m.name.as_str()).collect();
        self.not_imported()
            .into_iter()
            .filter(|(name, kind)| {
                !lacking.contains(name) && matches!(*kind, "source" | "extension" | "namespace")
            })
            .map(|(name, _)| name.to_owned())
            .collect()
    }

    /// The modules the bundle imported and CPython did not.
    fn extra(&self) -> Vec<String> {
        let (Some(cpython), Some(frozen)) = (&self.cpython.modules, &self.frozen.modules) else {
            return Vec::new();
        };
        frozen.difference(cpython).cloned().collect()
    }

    /// The data files CPython opened that the bundle does not put on disk: those it does
    /// not hold at all, and those it holds in memory only.
    fn lacking_files(&self) -> (Vec<DataFile>, Vec<DataFile>) {
        let not_on_disk = self
            .reference
            .files
            .iter()
            .filter(|(_, name)| !self.holds.disk.contains(name))
            .cloned();
        not_on_disk.partition(|(_, name)| !self.holds.data.contains(name))
    }
}

fn signal(output: &Output) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    output.status.signal()
}

fn same(same: bool) -> &'static str {
    if same {
        "same"
    } else {
        "differs"
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// "NAME (in package PKG), NAME (in the app directory)": `files`, each with its owner.
fn describe_files(files: &[DataFile]) -> String {
    files
        .iter()
        .map(|(owner, name)| {
            if owner == "." {
                format!("{name} (in the app directory)")
            } else {
                format!("{name} (in package {owner})")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `--collect-to-disk` options for `files`, once each.
fn disk_options(files: &[DataFile]) -> String {
    let owners: BTreeSet<&str> = files.iter().map(|(owner, _)| owner.as_str()).collect();
    owners
        .iter()
        .map(|owner| format!("--collect-to-disk {owner}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// "build with OPTIONS, and without --exclude MOD": what brings in `lacking`, each once;
/// `--include` of a package covers its submodules.
fn fixes(lacking: &[Lacking]) -> String {
    let all: BTreeSet<&Fix> = lacking.iter().filter_map(|m| m.fix.as_ref()).collect();
    let includes: Vec<&str> = all
        .iter()
        .filter_map(|fix| match fix {
            Fix::Add(option) => option.strip_prefix("--include "),
            Fix::Unexclude(_) => None,
        })
        .collect();
    let covered = |option: &str| {
        option.strip_prefix("--include ").is_some_and(|name| {
            includes
                .iter()
                .any(|package| name.starts_with(&format!("{package}.")))
        })
    };
    let mut add = Vec::new();
    let mut drop = Vec::new();
    for fix in all {
        match fix {
            Fix::Add(option) if !covered(option) => add.push(option.as_str()),
            Fix::Add(_) => {}
            Fix::Unexclude(module) => drop.push(format!("--exclude {module}")),
        }
    }
    match (add.is_empty(), drop.is_empty()) {
        (false, true) => format!("build with {}", add.join(" ")),
        (true, false) => format!("build without {}", drop.join(" ")),
        _ => format!(
            "build with {}, and without {}",
            add.join(" "),
            drop.join(" ")
        ),
    }
}

/// "stdout: line N differs: CPython "...", bundle "..."": the first line where `a` and
/// `b` part.
fn difference(out: &mut String, what: &str, a: &str, b: &str) {
    let (mut lines_a, mut lines_b) = (a.lines(), b.lines());
    let mut number = 1;
    loop {
        match (lines_a.next(), lines_b.next()) {
            (Some(x), Some(y)) if x == y => number += 1,
            (x, y) => {
                let shown = |line: Option<&str>| {
                    line.map_or_else(
                        || "nothing".to_owned(),
                        |l| format!("{:?}", l.chars().take(200).collect::<String>()),
                    )
                };
                let _ = writeln!(
                    out,
                    "{what}: line {number} differs: CPython {}, bundle {}",
                    shown(x),
                    shown(y)
                );
                return;
            }
        }
    }
}

/// `text` with each of `roots` masked: in a traceback frame `File "<root>/x.py"`, the root
/// is dropped; anywhere else a root that is a whole path becomes [`MASK`]. Longest root
/// first, so a directory inside another one wins.
fn mask(text: &str, roots: &[String]) -> String {
    let mut roots: Vec<&str> = roots.iter().map(|r| r.trim_end_matches('/')).collect();
    roots.sort_by_key(|r| std::cmp::Reverse(r.len()));
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let mut line = line.to_owned();
        for root in &roots {
            line = line.replace(&format!("File \"{root}/"), "File \"");
        }
        for root in &roots {
            line = replace_path(&line, root);
        }
        out.push_str(&line);
    }
    out
}

/// The two masked stderrs with the frames of modules CPython runs from its frozen table
/// (3.11+: `File "<frozen runpy>"`, which python shows without source lines) and the
/// bundle from its own source (`File "runpy.py"`) made alike: the former named as the
/// latter, the latter without its source lines. importlib's own frames are frozen in both.
fn frozen_frames(cpython: &str, bundle: &str) -> (String, String) {
    const FROZEN: &str = "File \"<frozen ";
    let mut frozen = BTreeSet::new();
    let mut cpython_out = String::with_capacity(cpython.len());
    for line in cpython.split_inclusive('\n') {
        let renamed = line.split_once(FROZEN).and_then(|(before, rest)| {
            let (module, after) = rest.split_once(">\"")?;
            let path = format!("{}.py", module.replace('.', "/"));
            let line = format!("{before}File \"{path}\"{after}");
            frozen.insert(path);
            Some(line)
        });
        cpython_out.push_str(renamed.as_deref().unwrap_or(line));
    }
    let mut bundle_out = String::with_capacity(bundle.len());
    let mut skip_below: Option<usize> = None;
    for line in bundle.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        if skip_below.is_some_and(|frame| indent > frame && !line.trim().is_empty()) {
            continue;
        }
        skip_below = line
            .trim_start()
            .strip_prefix("File \"")
            .and_then(|rest| rest.split_once('"'))
            .filter(|(path, _)| frozen.contains(*path))
            .map(|_| indent);
        bundle_out.push_str(line);
    }
    (cpython_out, bundle_out)
}

/// `root` replaced by [`MASK`] where it is a whole path, not the start of a longer name.
fn replace_path(text: &str, root: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(root) {
        let after = &rest[at + root.len()..];
        let whole = !matches!(after.chars().next(), Some(c) if c.is_alphanumeric() || c == '_' || c == '-' || c == '.');
        out.push_str(&rest[..at]);
        out.push_str(if whole { MASK } else { root });
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_drops_roots_from_frames_and_masks_them_elsewhere() {
        let roots = ["/usr/lib/python3.12".to_owned(), "/app".to_owned()];
        let text = "  File \"/app/main.py\", line 3, in <module>\n  File \"/usr/lib/python3.12/json/decoder.py\", line 1\nFileNotFoundError: '/app/x.txt' not in /application\n";
        assert_eq!(
            mask(text, &roots),
            "  File \"main.py\", line 3, in <module>\n  File \"json/decoder.py\", line 1\nFileNotFoundError: '[PATH]/x.txt' not in /application\n"
        );
    }

    #[test]
    fn frames_of_frozen_modules_read_as_the_bundle_s_without_source_lines() {
        let cpython = "Traceback (most recent call last):\n  File \"<frozen runpy>\", line 198, in _run_module_as_main\n  File \"app.py\", line 1, in <module>\n    boom()\nValueError\n";
        let bundle = "Traceback (most recent call last):\n  File \"runpy.py\", line 198, in _run_module_as_main\n    return _run_code(code, main_globals, None,\n                     \"__main__\", mod_spec)\n  File \"app.py\", line 1, in <module>\n    boom()\nValueError\n";
        let (a, b) = frozen_frames(cpython, bundle);
        assert_eq!(a, b);
        assert!(a.contains("  File \"runpy.py\", line 198"), "{a}");
        assert!(a.contains("    boom()\n"), "{a}");
    }

    #[test]
    fn an_include_of_a_package_covers_its_submodules_and_excludes_are_dropped() {
        let lacking = |name: &str, fix: Option<Fix>| Lacking {
            name: name.to_owned(),
            why: String::new(),
            fix,
        };
        let add = |option: &str| Some(Fix::Add(option.to_owned()));
        let mut all = vec![
            lacking("plugins", add("--include plugins")),
            lacking("plugins.fancy", add("--include plugins.fancy")),
            lacking("pluginsx", add("--include pluginsx")),
            lacking("textwrap", None),
            lacking("rich", add("--with rich")),
        ];
        assert_eq!(
            fixes(&all),
            "build with --include plugins --include pluginsx --with rich"
        );
        all.push(lacking("json", Some(Fix::Unexclude("json".to_owned()))));
        assert_eq!(
            fixes(&all),
            "build with --include plugins --include pluginsx --with rich, and without --exclude json"
        );
        assert_eq!(fixes(&all[5..]), "build without --exclude json");
    }

    #[test]
    fn the_first_differing_line_is_shown() {
        let mut out = String::new();
        difference(&mut out, "stdout", "a\nb\nc\n", "a\nB\n");
        difference(&mut out, "stderr", "a\n", "a\nmore\n");
        assert_eq!(
            out,
            "stdout: line 2 differs: CPython \"b\", bundle \"B\"\nstderr: line 2 differs: CPython nothing, bundle \"more\"\n"
        );
    }
}
