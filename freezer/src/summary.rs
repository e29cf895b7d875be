//! The build summary `pyfreeze build` prints once the bundle is written: as text for a
//! person ([`report`]), or as JSON for scripts ([`json`], described in docs/build-json.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::build::{
    AutoCollected, BuildReport, CacheUse, CompileError, Contents, LeftOut, LeftOutRule, Missing,
    NativeImportFailure, NotBundled, Reuse, Unbundled, Via,
};
use crate::cache::Hits;

/// "distribution (by importer, ...)" for each distribution left out as optional, the
/// importers named by their top-level packages.
fn optional_left_out(left_out: &[LeftOut]) -> Vec<String> {
    let mut by: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for left in left_out {
        if let LeftOutRule::Optional { distribution } = &left.rule {
            let importers = by.entry(distribution).or_default();
            for importer in &left.imported_by {
                importers.insert(importer.split('.').next().unwrap_or(importer));
            }
        }
    }
    by.into_iter()
        .map(|(distribution, importers)| {
            let importers: Vec<&str> = importers.into_iter().collect();
            format!("{distribution} (by {})", importers.join(", "))
        })
        .collect()
}

/// The summary `pyfreeze build` prints: what it built, then warnings and notes.
/// `verbose` adds the imports of dependencies that were not found, and what is left out
/// as a fallback.
pub fn report(report: &BuildReport, verbose: u8) -> String {
    let mut out = String::new();
    let c = report.contents;
    out.push_str(&format!(
        "Built {} ({:.1} MB) with Python {}: {} modules, {} extension modules, {} shared libraries, {} data files, in {:.2}s\n",
        report.output.display(),
        report.size as f64 / 1e6,
        report.python_version,
        c.modules,
        c.extensions,
        c.libraries,
        c.data_files,
        report.elapsed.as_secs_f64(),
    ));
    out.push_str(&format!("runs on {}\n", report.target.describe()));
    if let Some(line) = crate::sizes::biggest_line(&report.biggest) {
        out.push_str(&line);
        out.push('\n');
    }
    for missing in &report.missing_in_app {
        let by = if missing.imported_by.is_empty() {
            "--include".to_owned()
        } else {
            missing.imported_by.join(", ")
        };
        out.push_str(&format!(
            "warning: module {} not found (imported by {by}); it is not bundled, and importing it will raise ImportError\n",
            missing.name
        ));
    }
    out.push_str(&crate::platforms::not_found_notes(
        &report.missing_elsewhere,
        &report.missing_other_platforms,
        verbose,
    ));
    let standard: Vec<&str> = report
        .left_out
        .iter()
        .filter(|m| m.rule == LeftOutRule::StandardLibrary)
        .map(|m| m.name.as_str())
        .collect();
    if !standard.is_empty() {
        out.push_str(&format!(
            "note: left out by default, as only the standard library imports them (inside functions, or its tests): {}; --include NAME bundles one\n",
            standard.join(", ")
        ));
    }
    if verbose > 0 {
        let fallbacks: Vec<String> = report
            .left_out
            .iter()
            .filter_map(|m| match &m.rule {
                LeftOutRule::Fallback { instead_of } => {
                    Some(format!("{} (instead of {})", m.name, instead_of.join(", ")))
                }
                _ => None,
            })
            .collect();
        if !fallbacks.is_empty() {
            out.push_str(&format!(
                "note: left out, as they are imported only where imports the build found fail: {}; --include NAME bundles one\n",
                fallbacks.join(", ")
            ));
        }
    }
    let optional = optional_left_out(&report.left_out);
    if !optional.is_empty() {
        out.push_str(&format!(
            "note: optional dependencies left out, as only functions of packages that do not require them import them: {}; --with NAME bundles one\n",
            optional.join(", ")
        ));
    }
    let not_bundled = |unloadable: bool| -> Vec<String> {
        report
            .not_bundled
            .iter()
            .filter_map(|m| match (&m.why, unloadable) {
                (Unbundled::Missing(needs), false) => {
                    Some(format!("{} ({})", m.module, needs.join(", ")))
                }
                (Unbundled::Unloadable(why), true) => {
                    Some(format!("{} ({})", m.module, why.join("; ")))
                }
                _ => None,
            })
            .collect()
    };
    let (missing, unloadable) = (not_bundled(false), not_bundled(true));
    if !missing.is_empty() {
        out.push_str(&format!(
            "warning: {} extension modules are not bundled because shared libraries they need are not on this machine; importing them will raise ImportError: {}\n",
            missing.len(),
            missing.join(", ")
        ));
    }
    if !unloadable.is_empty() {
        out.push_str(&format!(
            "warning: {} extension modules are not bundled because shared libraries they need could not be loaded from the bundle; importing them will raise ImportError: {}\n",
            unloadable.len(),
            unloadable.join(", ")
        ));
    }
    if !report.native_imports.is_empty() {
        let modules: Vec<String> = report
            .native_imports
            .iter()
            .map(|(module, by)| format!("{module} (by {})", by.join(", ")))
            .collect();
        out.push_str(&format!(
            "note: {} modules are bundled because extension modules import them from native code: {}\n",
            modules.len(),
            modules.join(", ")
        ));
    }
    for failure in &report.native_import_failures {
        out.push_str(&format!(
            "warning: what extension module {} imports from native code may not all be bundled: {}\n",
            failure.module, failure.reason
        ));
    }
    for put in &report.put_on_disk {
        let why = match put.via {
            Via::File => format!("{} opens '{}' next to __file__", put.module, put.constant),
            Via::PackageLoader => format!(
                "{} loads '{}' with jinja2's PackageLoader",
                put.module, put.constant
            ),
        };
        out.push_str(&format!(
            "put on disk: {} ({why}; --no-collect-to-disk {} keeps it in memory)\n",
            put.package, put.package
        ));
    }
    for path in &report.not_utf8 {
        out.push_str(&format!(
            "warning: {path} left out: its name is not UTF-8, as a bundle's names must be; rename it to bundle it\n"
        ));
    }
    if c.disk_files > 0 {
        out.push_str(&format!(
            "{} files are written to the per-user cache directory when the bundle starts (--collect-to-disk)\n",
            c.disk_files
        ));
    }
    match &report.cache {
        CacheUse::Off => {}
        CacheUse::Unavailable(error) => {
            out.push_str(&format!(
                "warning: built without the build cache: {error}\n"
            ));
            if let Some(help) = crate::fault::Help::help(error) {
                out.push_str(&format!("help: {help}\n"));
            }
        }
        CacheUse::Used(cache) => {
            let analysis = match cache.analysis {
                Reuse::Answer => "analysis cached".to_owned(),
                Reuse::Code { cached, compiled } => {
                    format!(
                        "analysis ran ({compiled} of {} modules compiled)",
                        cached + compiled
                    )
                }
                Reuse::None => "analysis ran".to_owned(),
            };
            let hits = |h: Hits| format!("{}/{}", h.hits, h.lookups);
            out.push_str(&format!(
                "cache: {analysis}, native code {} cached, compressed files {} cached ({})\n",
                hits(cache.native),
                hits(cache.deflated),
                cache.dir.display()
            ));
            if let Some(error) = &cache.write_error {
                out.push_str(&format!("warning: {error}\n"));
            }
        }
    }
    for hint in &report.hints {
        out.push_str(&format!("hint: {hint}\n"));
    }
    for error in &report.skipped {
        out.push_str(&format!(
            "warning: {} left out: {}:{}: {}\n",
            error.module,
            error.file.display(),
            error.line.map_or_else(|| "?".to_owned(), |l| l.to_string()),
            error.message
        ));
    }
    out
}

/// The lines of the text summary that `-q` keeps: the warnings, each with the `help:`
/// that follows it.
pub fn warnings(summary: &str) -> String {
    let mut kept = String::new();
    let mut keeping = false;
    for line in summary.split_inclusive('\n') {
        keeping = line.starts_with("warning:") || (keeping && line.starts_with("help:"));
        if keeping {
            kept.push_str(line);
        }
    }
    kept
}

/// The version of the JSON summary's layout: raised when a field changes meaning or goes
/// away (a new field does not raise it).
pub const SCHEMA_VERSION: u32 = 1;

/// The JSON summary, as docs/build-json.md describes it.
#[derive(Serialize)]
struct Json<'a> {
    schema_version: u32,
    output: &'a Path,
    size: u64,
    python_version: &'a str,
    elapsed_seconds: f64,
    contents: Contents,
    target: &'a crate::target::Target,
    biggest: &'a [crate::sizes::Contributor],
    missing_in_app: &'a [Missing],
    missing_elsewhere: &'a [Missing],
    missing_other_platforms: &'a [Missing],
    left_out: &'a [LeftOut],
    not_bundled: &'a [NotBundled],
    skipped: &'a [CompileError],
    native_imports: Vec<NativeImport<'a>>,
    native_import_failures: &'a [NativeImportFailure],
    put_on_disk: &'a [AutoCollected],
    not_utf8: &'a [String],
    hints: &'a [String],
    cache: CacheJson<'a>,
}

#[derive(Serialize)]
struct NativeImport<'a> {
    module: &'a str,
    imported_by: &'a [String],
}

#[derive(Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum CacheJson<'a> {
    Off,
    Unavailable {
        error: String,
    },
    Used {
        dir: &'a Path,
        /// "cached" (no Python ran) or "ran".
        analysis: &'static str,
        /// Of the modules Python compiled or found compiled: None when it did not run.
        modules_cached: Option<usize>,
        modules_compiled: Option<usize>,
        native: Hits,
        compressed: Hits,
        write_error: Option<String>,
    },
}

/// The summary as JSON, one object on one line; a path that is not UTF-8 cannot be said.
pub fn json(report: &BuildReport) -> serde_json::Result<String> {
    let cache = match &report.cache {
        CacheUse::Off => CacheJson::Off,
        CacheUse::Unavailable(error) => CacheJson::Unavailable {
            error: error.to_string(),
        },
        CacheUse::Used(cache) => {
            let (modules_cached, modules_compiled) = match cache.analysis {
                Reuse::Code { cached, compiled } => (Some(cached), Some(compiled)),
                Reuse::Answer | Reuse::None => (None, None),
            };
            CacheJson::Used {
                dir: &cache.dir,
                analysis: match cache.analysis {
                    Reuse::Answer => "cached",
                    Reuse::Code { .. } | Reuse::None => "ran",
                },
                modules_cached,
                modules_compiled,
                native: cache.native,
                compressed: cache.deflated,
                write_error: cache.write_error.as_ref().map(ToString::to_string),
            }
        }
    };
    let json = Json {
        schema_version: SCHEMA_VERSION,
        output: &report.output,
        size: report.size,
        python_version: &report.python_version,
        elapsed_seconds: report.elapsed.as_secs_f64(),
        contents: report.contents,
        target: &report.target,
        biggest: &report.biggest,
        missing_in_app: &report.missing_in_app,
        missing_elsewhere: &report.missing_elsewhere,
        missing_other_platforms: &report.missing_other_platforms,
        left_out: &report.left_out,
        not_bundled: &report.not_bundled,
        skipped: &report.skipped,
        native_imports: report
            .native_imports
            .iter()
            .map(|(module, imported_by)| NativeImport {
                module,
                imported_by,
            })
            .collect(),
        native_import_failures: &report.native_import_failures,
        put_on_disk: &report.put_on_disk,
        not_utf8: &report.not_utf8,
        hints: &report.hints,
        cache,
    };
    serde_json::to_string(&json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_keeps_the_warnings_only() {
        let summary = "Built x\nwarning: a\nhelp: fix a\nnote: b\nhelp: fix b\nwarning: c\n";
        assert_eq!(warnings(summary), "warning: a\nhelp: fix a\nwarning: c\n");
    }
}
