//! `pyfreeze build`: the build's straight path, step by step.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use pyfreeze_archive::{PythonOptions, UnsupportedOption, MAIN_MODULE};

use crate::analysis::{self, ExtraModule, Missing, Request, Reuse};
use crate::cache::{self, Cache, CacheError, Hits};
use crate::native::{self, NotBundled};
use crate::{disk, interpreter, output, pack, project};

/// The stub's start-up module; see its docstring.
const BOOT_SOURCE: &str = include_str!("python/boot.py");
/// Its name in the bundle, imported by the stub.
pub const BOOT_MODULE: &str = "_pyfreeze_boot";
/// The builtin module the stub itself provides to the boot module.
const STUB_MODULE: &str = "_pyfreeze";
/// CPython's regression-test package, "meant for internal use by Python only": stdlib
/// helpers import it lazily (`multiprocessing.util` does), and through it `tkinter` and
/// an X11 stack would land in every bundle. `--include test` brings it back.
const INTERNAL_TEST_PACKAGE: &str = "test";
/// The file name importlib gives its own frames: CPython trims frames with it from
/// tracebacks, so the loader's frames vanish exactly like importlib's.
pub const BOOT_FILENAME: &str = "<frozen importlib._bootstrap_external>";

/// What `pyfreeze build` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub app: PathBuf,
    pub output: Option<PathBuf>,
    pub python: Option<PathBuf>,
    pub entry: Option<String>,
    pub includes: Vec<String>,
    pub excludes: Vec<String>,
    pub optimize: u8,
    pub sources: bool,
    pub stub: Option<PathBuf>,
    /// Packages (or `.`, the app directory) whose files are put on disk at run time.
    pub collect_to_disk: Vec<String>,
    /// Interpreter options the bundle starts with, as given on the command line.
    pub python_options: Vec<String>,
    /// Build without the build cache, neither reading nor writing it.
    pub no_cache: bool,
}

/// What a build made, for the summary.
#[derive(Debug)]
pub struct BuildReport {
    pub output: PathBuf,
    pub python_version: String,
    pub contents: pack::Contents,
    pub size: u64,
    pub elapsed: Duration,
    /// Imports in the app's own modules that nothing resolves.
    pub missing_in_app: Vec<Missing>,
    /// The same in dependencies (mostly other platforms' modules, such as `nt`).
    pub missing_elsewhere: Vec<Missing>,
    pub not_bundled: Vec<NotBundled>,
    pub skipped: Vec<analysis::CompileError>,
    /// Advice on options the build saw reason for.
    pub hints: Vec<String>,
    pub cache: CacheUse,
}

/// What the build cache did for a build.
#[derive(Debug)]
pub enum CacheUse {
    /// `--no-cache`.
    Off,
    /// It could not be used: the build went without it.
    Unavailable(CacheError),
    Used(CacheReport),
}

#[derive(Debug)]
pub struct CacheReport {
    pub dir: PathBuf,
    pub analysis: Reuse,
    /// Stripped native code and compressed sources and data found in the cache.
    pub native: Hits,
    pub deflated: Hits,
    /// What could not be stored (the build itself succeeded).
    pub write_error: Option<CacheError>,
}

/// The build cache, unless the build goes without: where the environment says, or
/// nowhere if it cannot be used.
fn open_cache(options: &BuildOptions) -> Result<Option<Cache>, CacheError> {
    if options.no_cache {
        return Ok(None);
    }
    let dir = cache::default_dir(|name| std::env::var_os(name))?;
    Cache::open(dir).map(Some)
}

/// What is left out unless asked for.
fn default_excludes(options: &BuildOptions) -> impl Iterator<Item = String> {
    let test_included = options
        .includes
        .iter()
        .any(|m| m == INTERNAL_TEST_PACKAGE || m.starts_with("test."));
    std::iter::once(STUB_MODULE)
        .chain((!test_included).then_some(INTERNAL_TEST_PACKAGE))
        .map(str::to_owned)
}

/// What the boot module imports inside functions whatever the app does: traceback, to
/// print tracebacks with source lines; and, for 3.8 and 3.9, where the boot module applies
/// `-X faulthandler` and `-X tracemalloc` itself, those modules.
fn boot_lazy_imports(python_options: &PythonOptions) -> Vec<String> {
    let mut modules = vec!["traceback".to_owned()];
    for option in &python_options.x_options {
        let name = option.split('=').next().unwrap_or_default();
        if matches!(name, "faulthandler" | "tracemalloc") {
            modules.push(name.to_owned());
        }
    }
    modules
}

/// The `--python-option`s, and the optimisation level they and `-O` ask for together.
fn python_options(options: &BuildOptions) -> Result<(PythonOptions, u8), UnsupportedOption> {
    let mut parsed = PythonOptions::default();
    let mut optimize = options.optimize;
    for option in &options.python_options {
        if let Some(level) = parsed.add(option)? {
            optimize = optimize.max(level);
        }
    }
    Ok((parsed, optimize))
}

pub fn build(options: &BuildOptions) -> anyhow::Result<BuildReport> {
    let started = Instant::now();
    let (python_options, optimize) = python_options(options).context("invalid --python-option")?;
    let project = project::resolve(&options.app, options.entry.as_deref())?;
    let output = options
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from("dist").join(&project.name));
    // Checked again when writing; checked here too so the mistake costs no analysis.
    if output.is_dir() {
        return Err(output::OutputError::OutputIsDirectory(output).into());
    }
    let stub = output::locate_stub(options.stub.as_deref())?;
    let (cache, unavailable) = match open_cache(options) {
        Ok(cache) => (cache, None),
        Err(error) => (None, Some(error)),
    };
    let python = interpreter::choose(
        options.python.as_deref(),
        std::env::var_os("VIRTUAL_ENV"),
        std::env::var_os("PATH"),
    )?;

    let request = Request {
        app_dir: project.app_dir.clone(),
        entry: project.entry.clone(),
        includes: options.includes.clone(),
        excludes: default_excludes(options)
            .chain(options.excludes.iter().cloned())
            .collect(),
        optimize,
        sources: options.sources,
        extra_modules: vec![ExtraModule {
            name: BOOT_MODULE.to_owned(),
            source: BOOT_SOURCE.to_owned(),
            filename: Some(BOOT_FILENAME.to_owned()),
            lazy_imports: Some(boot_lazy_imports(&python_options)),
        }],
        // A bundle built into the app directory (`dist/`) is not one of the app's files,
        // nor is a build cache there.
        skip_dirs: std::path::absolute(&output)
            .ok()
            .and_then(|o| o.parent().map(Path::to_owned))
            .into_iter()
            .chain(cache.as_ref().map(|cache| cache.root().to_owned()))
            .collect(),
    };
    let analysis = analysis::analyse(&python, &request, cache.as_ref())?;
    let app_modules: HashSet<&str> = analysis
        .modules
        .iter()
        .filter(|m| {
            m.name == MAIN_MODULE
                || m.origin
                    .as_deref()
                    .is_some_and(|o| o.starts_with(&project.app_dir))
        })
        .map(|m| m.name.as_str())
        .collect();
    let (missing_in_app, missing_elsewhere): (Vec<Missing>, Vec<Missing>) =
        analysis.missing.iter().cloned().partition(|m| {
            m.imported_by.is_empty()
                || m.imported_by
                    .iter()
                    .any(|i| app_modules.contains(i.as_str()))
        });
    let script = match &project.entry {
        analysis::EntrySpec::Script { path } => path.file_name().and_then(|n| n.to_str()),
        _ => None,
    };
    let on_disk = disk::plan(
        &options.collect_to_disk,
        &analysis,
        &app_modules,
        &project.app_dir,
        script,
    )?;
    let hints = disk::hints(&analysis, &app_modules, &options.collect_to_disk);
    let native = native::collect(&analysis, &python, cache.as_ref())?;
    let not_bundled = native.not_bundled.clone();
    let (archive, contents) = pack::pack(
        &project.entry,
        optimize,
        python_options,
        &analysis,
        native,
        on_disk,
    )
    .context("cannot lay out the bundle")?;
    let size = output::write(&stub, archive, &output, |contents| {
        pack::deflate_all(contents, cache.as_ref(), &project.app_dir, &python)
    })?;
    let cache = match (cache, unavailable) {
        (Some(cache), _) => CacheUse::Used(CacheReport {
            dir: cache.root().to_owned(),
            analysis: analysis.reuse,
            native: cache.hits(cache::Kind::Native),
            deflated: cache.hits(cache::Kind::Deflate),
            write_error: cache.write_error(),
        }),
        (None, Some(error)) => CacheUse::Unavailable(error),
        (None, None) => CacheUse::Off,
    };

    Ok(BuildReport {
        output,
        python_version: analysis.python.version.clone(),
        contents,
        size,
        elapsed: started.elapsed(),
        missing_in_app,
        missing_elsewhere,
        not_bundled,
        skipped: analysis.skipped,
        hints,
        cache,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excludes(includes: &[&str]) -> Vec<String> {
        default_excludes(&BuildOptions {
            includes: includes.iter().map(|s| s.to_string()).collect(),
            ..BuildOptions::default()
        })
        .collect()
    }

    #[test]
    fn python_options_can_raise_the_optimisation_level() {
        let with = |optimize, given: &[&str]| {
            python_options(&BuildOptions {
                optimize,
                python_options: given.iter().map(|s| s.to_string()).collect(),
                ..BuildOptions::default()
            })
        };
        let (parsed, optimize) = with(1, &["-u", "-OO"]).unwrap();
        assert!(parsed.unbuffered);
        assert_eq!(optimize, 2);
        assert_eq!(with(2, &["-O"]).unwrap().1, 2);
        assert!(with(0, &["-S"]).is_err());
    }

    #[test]
    fn cpythons_test_package_is_left_out_unless_included() {
        assert_eq!(excludes(&[]), ["_pyfreeze", "test"]);
        assert_eq!(excludes(&["test.support"]), ["_pyfreeze"]);
        assert_eq!(excludes(&["testing"]), ["_pyfreeze", "test"]);
    }
}
