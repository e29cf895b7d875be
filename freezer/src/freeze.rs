//! `pyfreeze build`: the build's straight path, step by step.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use pyfreeze_archive::MAIN_MODULE;

use crate::analysis::{self, ExtraModule, Missing, Request};
use crate::native::{self, NotBundled};
use crate::{interpreter, output, pack, project};

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
}

/// What a build made, for the summary.
#[derive(Debug, Clone)]
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

pub fn build(options: &BuildOptions) -> anyhow::Result<BuildReport> {
    let started = Instant::now();
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
        optimize: options.optimize,
        sources: options.sources,
        extra_modules: vec![ExtraModule {
            name: BOOT_MODULE.to_owned(),
            source: BOOT_SOURCE.to_owned(),
            filename: Some(BOOT_FILENAME.to_owned()),
        }],
    };
    let analysis = analysis::analyse(&python, &request)?;
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
    let native = native::collect(&analysis, &python)?;
    let not_bundled = native.not_bundled.clone();
    let (archive, contents) = pack::pack(&project.entry, options.optimize, &analysis, native)
        .context("cannot lay out the bundle")?;
    let size = output::write(&stub, archive, &output)?;

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
    fn cpythons_test_package_is_left_out_unless_included() {
        assert_eq!(excludes(&[]), ["_pyfreeze", "test"]);
        assert_eq!(excludes(&["test.support"]), ["_pyfreeze"]);
        assert_eq!(excludes(&["testing"]), ["_pyfreeze", "test"]);
    }
}
