//! The build summary `pyfreeze build` prints once the bundle is written.

use std::collections::{BTreeMap, BTreeSet};

use crate::build::{BuildReport, CacheUse, LeftOut, LeftOutRule, Reuse, Unbundled, Via};
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
pub fn report(report: &BuildReport) -> String {
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
    if !report.missing_elsewhere.is_empty() {
        let names: Vec<&str> = report
            .missing_elsewhere
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        out.push_str(&format!(
            "note: {} imports in dependencies were not found (CPython fails only if they run; most are other platforms' modules): {}\n",
            names.len(),
            names.join(", ")
        ));
    }
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
