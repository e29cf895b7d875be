//! `pyfreeze build`: the build's straight path, one module per step, each handing the next
//! a plain value:
//!
//! 1. [`project`]: the app directory, its name and its entry point (a [`zipapp`]'s
//!    extracted first);
//! 2. [`interpreter`]: which Python builds it;
//! 3. [`analysis`]: one run of that Python finds the import closure and compiles it;
//! 4. [`disk`]: what is put on disk at run time: what `--collect-to-disk` asks for, and
//!    the packages whose code shows it opens their files by path;
//! 5. [`native`]: libpython, the extension modules and the libraries they need, stripped;
//! 6. [`pack`]: the archive's entries;
//! 7. [`output`]: the archive appended to the stub and renamed into place, over nothing
//!    [`output_guard`] forbids, from a [`partial`] file no signal leaves behind.
//!
//! [`build`] runs them in that order; the steps that compute (analysis, stripping,
//! compression) reuse what earlier builds computed through the [`crate::cache`].

pub(crate) mod analysis;
pub(crate) mod child;
pub(crate) mod disk;
pub(crate) mod interpreter;
pub(crate) mod native;
pub(crate) mod output;
pub(crate) mod output_guard;
pub(crate) mod pack;
pub(crate) mod partial;
pub(crate) mod project;
pub(crate) mod zipapp;

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use pyfreeze_archive::boot::{BOOT_FILENAME, STUB_MODULE};
use pyfreeze_archive::{runtime_module, PythonOptions, UnsupportedOption, MAIN_MODULE};

use crate::cache::{self, Cache, CacheError, Hits};
use crate::progress::{Progress, Step};
use crate::target::{self, Target, Version};
use analysis::{ExtraModule, Request};

pub use analysis::{CompileError, LeftOut, LeftOutRule, Missing, NativeImportFailure, Reuse, Via};
pub use disk::AutoCollected;
pub use interpreter::supported_versions;
pub use native::{NotBundled, Unbundled};
pub use pack::Contents;

/// A module of the runtime's Python (see [`runtime_module`]): its name, and its source in
/// `runtime-stub/python/`.
macro_rules! runtime_python {
    ($role:ident) => {
        (
            runtime_module!($role),
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../runtime-stub/python/",
                runtime_module!($role),
                ".py"
            )),
        )
    };
}

/// The stub's start-up module, in the frozen table; see its docstring.
const BOOT: (&str, &str) = runtime_python!(boot);
/// The parts of the runtime the boot module imports when an app first uses what they
/// serve, and what they import inside functions whatever the app does: traceback, to
/// print tracebacks with source lines.
const PARTS: [((&str, &str), &[&str]); 4] = [
    (runtime_python!(ctypes), &[]),
    (runtime_python!(hooks), &["traceback"]),
    (runtime_python!(mp), &[]),
    (runtime_python!(resources), &[]),
];
/// The probe only a `pyfreeze check` build holds (see [`BuildOptions::check_probe`]).
const CHECK_PROBE: (&str, &str) = runtime_python!(check);
/// CPython's regression-test package, "meant for internal use by Python only": stdlib
/// helpers import it lazily (`multiprocessing.util` does), and through it `tkinter` and
/// an X11 stack would land in every bundle. Left out only there: an app (or a dependency)
/// that imports it gets it, and `--include` brings it back.
const INTERNAL_TEST_PACKAGE: &str = "test";

/// What `pyfreeze build` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub app: PathBuf,
    pub output: Option<PathBuf>,
    pub python: Option<PathBuf>,
    /// `[tool.pyfreeze] python`, taken after the active virtualenv's.
    pub configured_python: Option<PathBuf>,
    /// The `.venv` beside the project's `pyproject.toml`, taken after that.
    pub project_venv: Option<PathBuf>,
    pub entry: Option<String>,
    pub includes: Vec<String>,
    pub excludes: Vec<String>,
    /// Distributions (or top-level modules) bundled where any module imports them, even
    /// only optionally and undeclared.
    pub with: Vec<String>,
    pub optimize: u8,
    pub sources: bool,
    pub stub: Option<PathBuf>,
    /// Packages (or `.`, the app directory) whose files are put on disk at run time.
    pub collect_to_disk: Vec<String>,
    /// Packages kept in memory though their code shows it opens their files by path.
    pub no_collect_to_disk: Vec<String>,
    /// Native objects (names or globs) copied whole rather than mapped from the bundle.
    pub copy_native: Vec<String>,
    /// Interpreter options the bundle starts with, as given on the command line.
    pub python_options: Vec<String>,
    /// Build without the build cache, neither reading nor writing it.
    pub no_cache: bool,
    /// Replace an output that is a regular file but not a bundle.
    pub force: bool,
    /// Refuse a bundle that needs a newer glibc than this.
    pub min_glibc: Option<Version>,
    /// Add the probe of `pyfreeze check`, with which the bundle reports the modules it
    /// imported (see `runtime-stub/python/_pyfreeze_check.py`).
    pub check_probe: bool,
}

/// What a build made, for the summary.
#[derive(Debug)]
pub struct BuildReport {
    pub output: PathBuf,
    pub python_version: String,
    pub contents: Contents,
    pub size: u64,
    pub elapsed: Duration,
    /// Imports in the app's own modules that nothing resolves.
    pub missing_in_app: Vec<Missing>,
    /// The same in dependencies, but for other platforms' modules.
    pub missing_elsewhere: Vec<Missing>,
    /// Other platforms' modules (such as `nt`) that only dependencies import, which
    /// they import only where they exist.
    pub missing_other_platforms: Vec<Missing>,
    /// The five parts of the app (top-level packages, libpython, the standard library)
    /// that take the most bytes of the bundle, biggest first; see [`crate::sizes`].
    pub biggest: Vec<crate::sizes::Contributor>,
    /// What the closure left out on purpose (not `--exclude`), and why.
    pub left_out: Vec<LeftOut>,
    pub not_bundled: Vec<NotBundled>,
    pub skipped: Vec<CompileError>,
    /// Modules bundled because extension modules import them from native code (no Python
    /// import reaches them), each with those extension modules.
    pub native_imports: Vec<(String, Vec<String>)>,
    /// Extension modules whose native imports may not all be bundled, and why.
    pub native_import_failures: Vec<NativeImportFailure>,
    /// Packages put on disk because their code opens their files by path.
    pub put_on_disk: Vec<AutoCollected>,
    /// Paths left out because their names are not UTF-8 (escaped), where they would have
    /// been bundled.
    pub not_utf8: Vec<String>,
    /// Advice on options the build saw reason for.
    pub hints: Vec<String>,
    pub cache: CacheUse,
    /// The machines the bundle runs on.
    pub target: Target,
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
    /// Compressed entries (zstd, whatever the field's name says).
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

/// What is always left out, with `--exclude`: the runtime's own module, which the stub
/// provides.
fn excludes(options: &BuildOptions) -> Vec<String> {
    std::iter::once(STUB_MODULE.to_owned())
        .chain(options.excludes.iter().cloned())
        .collect()
}

/// What the boot module imports inside functions whatever the app does: for 3.8 and 3.9,
/// where it applies `-X faulthandler` and `-X tracemalloc` itself, those modules.
fn boot_lazy_imports(python_options: &PythonOptions) -> Vec<String> {
    let mut modules = Vec::new();
    for option in &python_options.x_options {
        let name = option.split('=').next().unwrap_or_default();
        if matches!(name, "faulthandler" | "tracemalloc") {
            modules.push(name.to_owned());
        }
    }
    modules
}

/// The runtime's Python, compiled under importlib's file name (see [`BOOT_FILENAME`]);
/// only the boot module goes into the frozen table.
fn runtime_modules(python_options: &PythonOptions, check_probe: bool) -> Vec<ExtraModule> {
    let module = |(name, source): (&str, &str), bootstrap, lazy_imports| ExtraModule {
        name: name.to_owned(),
        source: source.to_owned(),
        filename: Some(BOOT_FILENAME.to_owned()),
        lazy_imports: Some(lazy_imports),
        bootstrap,
    };
    let parts = PARTS
        .iter()
        .map(|&(part, lazy)| module(part, false, lazy.iter().map(|&m| m.into()).collect()));
    let probe = check_probe.then(|| module(CHECK_PROBE, false, Vec::new()));
    std::iter::once(module(BOOT, true, boot_lazy_imports(python_options)))
        .chain(parts)
        .chain(probe)
        .collect()
}

/// The `--python-option`s, and the optimisation level they and `-O` ask for together.
pub(crate) fn python_options(
    options: &BuildOptions,
) -> Result<(PythonOptions, u8), UnsupportedOption> {
    let mut parsed = PythonOptions::default();
    let mut optimize = options.optimize;
    for option in &options.python_options {
        if let Some(level) = parsed.add(option)? {
            optimize = optimize.max(level);
        }
    }
    Ok((parsed, optimize))
}

/// The options as python's arguments: `-W ARG` and `-X OPT` are two each.
pub(crate) fn python_args(python_options: &PythonOptions) -> Vec<String> {
    let mut args = Vec::new();
    for option in python_options.command_line() {
        match option.split_once(' ') {
            Some((flag, value)) => args.extend([flag.to_owned(), value.to_owned()]),
            None => args.push(option),
        }
    }
    args
}

/// The files of the app directory the bundle is made of, canonical: what an output must
/// never replace.
fn app_files(analysis: &analysis::Analysis, app_dir: &Path) -> Vec<PathBuf> {
    let modules = analysis.modules.iter().filter_map(|m| m.origin.as_deref());
    let data = analysis.data.iter().map(|d| d.origin.as_path());
    modules
        .chain(data)
        .filter(|file| file.starts_with(app_dir))
        .filter_map(|file| std::fs::canonicalize(file).ok())
        .collect()
}

/// What the bundle needs of the machines it runs on: what the stub and the native code, as
/// they are packed, ask of the system.
fn target_of(stub: &output::Stub, native: &native::Native) -> anyhow::Result<Target> {
    let libraries = std::iter::once(&native.libpython).chain(&native.libraries);
    let bundled: BTreeSet<&str> = libraries.clone().map(|l| l.name.as_str()).collect();
    let objects = std::iter::once((target::STUB, &stub.bytes[..])).chain(
        libraries
            .chain(&native.extensions)
            .map(|o| (o.name.as_str(), o.bytes.as_slice())),
    );
    Ok(target::of(objects, &bundled)?)
}

/// The interpreter `options` build with, in the order `--python`'s help gives.
pub(crate) fn interpreter_of(
    options: &BuildOptions,
) -> Result<PathBuf, interpreter::InterpreterError> {
    interpreter::choose(
        options.python.as_deref(),
        std::env::var_os("VIRTUAL_ENV"),
        options.configured_python.as_deref(),
        options.project_venv.as_deref(),
        std::env::var_os("PATH"),
    )
}

/// Builds what `options` ask for, telling `progress` which step it is at.
pub fn build(options: &BuildOptions, progress: &dyn Progress) -> anyhow::Result<BuildReport> {
    let started = Instant::now();
    let (python_options, optimize) = python_options(options).context("invalid --python-option")?;
    let copy_whole = native::CopyWhole::new(&options.copy_native)?;
    let zipapp = zipapp::extract(&options.app)?;
    let app = zipapp
        .as_ref()
        .map_or(options.app.as_path(), |z| z.dir.path());
    let mut project = project::resolve(app, options.entry.as_deref())?;
    if let Some(zipapp) = &zipapp {
        project.name.clone_from(&zipapp.name);
    }
    let output = options
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from("dist").join(&project.name));
    let stub = output::locate_stub(options.stub.as_deref())?;
    let (cache, unavailable) = match open_cache(options) {
        Ok(cache) => (cache, None),
        Err(error) => (None, Some(error)),
    };
    let python = interpreter_of(options)?;
    let mut guard = output_guard::OutputGuard {
        app_dir: project.app_dir.clone(),
        app_files: match &project.entry {
            analysis::EntrySpec::Script { path } => vec![path.clone()],
            _ => Vec::new(),
        },
        installations: interpreter::installations(&python),
        stub: std::fs::canonicalize(&stub.path).unwrap_or_else(|_| stub.path.clone()),
        force: options.force,
    };
    // Checked again when writing; checked here too so the mistake costs no analysis.
    let target = guard.check(&output).map_err(output::OutputError::from)?;

    let request = Request {
        app_dir: project.app_dir.clone(),
        entry: project.entry.clone(),
        includes: options.includes.clone(),
        excludes: excludes(options),
        with: options.with.clone(),
        stdlib_excludes: vec![INTERNAL_TEST_PACKAGE.to_owned()],
        optimize,
        sources: options.sources,
        extra_modules: runtime_modules(&python_options, options.check_probe),
        // A bundle built into the app directory (`dist/`) is not one of the app's files,
        // nor is a build cache there.
        skip_dirs: std::path::absolute(&target)
            .ok()
            .and_then(|o| o.parent().map(Path::to_owned))
            .into_iter()
            .chain(cache.as_ref().map(|cache| cache.root().to_owned()))
            .collect(),
        python_args: python_args(&python_options),
    };
    // Only an interpreter that answered before has a cached answer: one that never did is
    // asked what it is first, so that a Python that cannot build is refused in a sentence,
    // not by a traceback of the analysis; a rebuild pays nothing for it.
    progress.step(Step::Analysis);
    let analysis = analysis::analyse_after(&python, &request, cache.as_ref(), progress, || {
        Ok(interpreter::probe(&python)?)
    })?;
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
    let (missing_other_platforms, missing_elsewhere): (Vec<Missing>, Vec<Missing>) =
        missing_elsewhere
            .into_iter()
            .partition(|m| crate::platforms::is_other_platforms(&m.name));
    let script = match &project.entry {
        analysis::EntrySpec::Script { path } => path.file_name().and_then(|n| n.to_str()),
        _ => None,
    };
    let put_on_disk = disk::automatic(
        &analysis,
        &app_modules,
        &options.collect_to_disk,
        &options.no_collect_to_disk,
    )?;
    let targets: Vec<String> = options
        .collect_to_disk
        .iter()
        .cloned()
        .chain(put_on_disk.iter().map(|p| p.package.clone()))
        .collect();
    let on_disk = disk::plan(&targets, &analysis, &app_modules, &project.app_dir, script)?;
    let hints = disk::hints(
        &analysis,
        &app_modules,
        &targets,
        &options.no_collect_to_disk,
    );
    let native_imports = analysis
        .modules
        .iter()
        .filter(|m| !m.native_importers.is_empty())
        .map(|m| (m.name.clone(), m.native_importers.clone()))
        .collect();
    guard
        .app_files
        .extend(app_files(&analysis, &project.app_dir));
    let whole_app_dir = options.collect_to_disk.iter().any(|target| target == ".");
    let not_utf8 = analysis
        .not_utf8
        .iter()
        .filter(|n| whole_app_dir || !n.app_dir_only)
        .map(|n| n.path.clone())
        .collect();
    progress.step(Step::Native);
    let native = native::collect(&analysis, &python, cache.as_ref(), copy_whole)?;
    let target = target_of(&stub, &native)?;
    if let Some(limit) = &options.min_glibc {
        target.check(limit)?;
    }
    let not_bundled = native.not_bundled.clone();
    progress.step(Step::Packing);
    let (archive, contents) = pack::pack(
        &project.entry,
        optimize,
        python_options,
        &analysis,
        native,
        on_disk,
        &pack::left_out(&analysis, &options.excludes),
    )
    .context("cannot lay out the bundle")?;
    progress.step(Step::Writing);
    let size = output::write(&stub, archive, &output, &guard, |contents| {
        pack::compress_all(contents, cache.as_ref(), &project.app_dir, &python)
    })?;
    let biggest = crate::sizes::biggest(&output, 5)
        .with_context(|| format!("cannot read back {}", output.display()))?;
    let cache = match (cache, unavailable) {
        (Some(cache), _) => CacheUse::Used(CacheReport {
            dir: cache.root().to_owned(),
            analysis: analysis.reuse,
            native: cache.hits(cache::Kind::Native),
            deflated: cache.hits(cache::Kind::Compressed),
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
        missing_other_platforms,
        biggest,
        left_out: analysis.left_out.clone(),
        not_bundled,
        skipped: analysis.skipped,
        native_imports,
        native_import_failures: analysis.native_import_failures,
        put_on_disk,
        not_utf8,
        hints,
        cache,
        target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn python_args_are_the_options_as_python_takes_them() {
        let given = ["-u", "-W error", "-Xdev", "-bb"];
        let (parsed, _) = python_options(&BuildOptions {
            python_options: given.iter().map(|s| s.to_string()).collect(),
            ..BuildOptions::default()
        })
        .unwrap();
        assert_eq!(
            python_args(&parsed),
            ["-u", "-bb", "-W", "error", "-X", "dev"]
        );
    }

    #[test]
    fn only_the_boot_module_is_bootstrap_and_it_names_every_part() {
        let modules = runtime_modules(&PythonOptions::default(), false);
        let (boot, parts): (Vec<_>, Vec<_>) = modules.iter().partition(|m| m.bootstrap);
        assert_eq!(boot.len(), 1);
        assert_eq!(boot[0].name, "_pyfreeze_boot");
        assert_eq!(parts.len(), PARTS.len());
        for part in parts {
            assert!(boot[0].source.contains(&part.name), "{}", part.name);
        }
        for module in &modules {
            assert_eq!(module.filename.as_deref(), Some(BOOT_FILENAME));
        }
    }

    #[test]
    fn only_a_check_build_holds_the_probe_which_the_boot_module_names() {
        let names = |check_probe| -> Vec<String> {
            runtime_modules(&PythonOptions::default(), check_probe)
                .into_iter()
                .map(|m| m.name)
                .collect()
        };
        assert!(!names(false).iter().any(|n| n == CHECK_PROBE.0));
        assert!(names(true).iter().any(|n| n == CHECK_PROBE.0));
        assert!(BOOT
            .1
            .contains(&format!("CHECK_PROBE = \"{}\"", CHECK_PROBE.0)));
    }

    #[test]
    fn the_runtime_module_is_always_left_out() {
        let options = BuildOptions {
            excludes: vec!["json".to_owned()],
            ..BuildOptions::default()
        };
        assert_eq!(excludes(&options), ["_pyfreeze", "json"]);
    }
}
