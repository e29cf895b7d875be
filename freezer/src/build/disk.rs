//! `--collect-to-disk`: the files of the bundle's tree that the stub writes to its per-user
//! cache directory for code that opens files next to `__file__`; the packages put there
//! with no option because their code shows it does that; and the build's hint where the
//! code builds a path from `__file__` but shows nothing more.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use pyfreeze_archive::MAIN_MODULE;

use crate::build::analysis::{Analysis, DataFile, Module, ModuleKind, Via};

/// The `--collect-to-disk` value naming the app's own directory.
pub(crate) const APP_DIR: &str = ".";

/// A file to write on disk at run time: its path in the bundle's tree and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DiskFile {
    pub(crate) name: String,
    pub(crate) data: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum DiskError {
    #[error("--collect-to-disk {0}: no package or module `{0}` is in the bundle")]
    NotBundled(String),
    #[error("--no-collect-to-disk {0}: no package or module `{0}` is in the bundle")]
    NotBundledOptOut(String),
    #[error("--collect-to-disk {0} and --no-collect-to-disk {1} contradict each other")]
    Contradiction(String, String),
    #[error(transparent)]
    Read(#[from] std::io::Error),
}

impl crate::fault::Help for DiskError {
    fn help(&self) -> Option<String> {
        let help = match self {
            DiskError::NotBundled(_) => {
                "name one the app imports (a package such as `certifi`), or `.` for the app's \
                 own directory"
            }
            DiskError::NotBundledOptOut(_) => {
                "name a package the build summary says it put on disk"
            }
            DiskError::Contradiction(..) => "give one of them",
            DiskError::Read(_) => return None,
        };
        Some(help.to_owned())
    }
}

impl crate::fault::Blame for DiskError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            DiskError::NotBundled(_)
            | DiskError::NotBundledOptOut(_)
            | DiskError::Contradiction(..) => crate::fault::Fault::User,
            DiskError::Read(_) => crate::fault::Fault::Internal,
        }
    }
}

/// A package put on disk with no `--collect-to-disk`, because its code shows that it
/// opens its files by path; with the first module (by name) that shows it, and how.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AutoCollected {
    pub package: String,
    pub module: String,
    /// The string constant of the module's code that names the package's data.
    pub constant: String,
    pub via: Via,
}

/// Whether `name` names a bundled module, package or a package's submodule.
fn is_bundled(name: &str, analysis: &Analysis) -> bool {
    analysis.modules.iter().any(|m| in_tree(&m.name, name))
}

/// The packages put on disk with no option: for each module that shows it opens a
/// package's files by path (see [`FileEvidence`](crate::build::analysis::FileEvidence)),
/// that package, the smallest bundled one holding the module (or the one it names to
/// jinja2's `PackageLoader`) and the data, not the top-level package. Each package on disk
/// costs a write on the first run and a comparison of every file at every start, and an
/// unneeded one (numpy's `f2py` names its meson template, which an app seldom runs) should
/// cost only its own files; a package's path to a sibling's files
/// (`dirname(dirname(__file__))`) still leads there when the sibling shows evidence too,
/// as every package on disk is laid out in one tree. Left out are packages inside another
/// chosen one, those `--collect-to-disk` already puts there (`asked`, `.` covering the
/// app's own packages) and those `--no-collect-to-disk` keeps in memory (`refused`: a
/// package, or one inside or around it). Sorted by package.
pub(crate) fn automatic(
    analysis: &Analysis,
    app_modules: &HashSet<&str>,
    asked: &[String],
    refused: &[String],
) -> Result<Vec<AutoCollected>, DiskError> {
    for name in refused {
        if let Some(both) = asked.iter().find(|a| in_tree(a, name) || in_tree(name, a)) {
            return Err(DiskError::Contradiction(both.clone(), name.clone()));
        }
        if !is_bundled(name, analysis) {
            return Err(DiskError::NotBundledOptOut(name.clone()));
        }
    }
    let app_dir_asked = asked.iter().any(|a| a == APP_DIR);
    let mut chosen: BTreeMap<&str, AutoCollected> = BTreeMap::new();
    for module in &analysis.modules {
        for evidence in &module.file_evidence {
            let package = evidence.package.as_str();
            let covered = asked.iter().any(|a| in_tree(package, a))
                || app_dir_asked && app_modules.contains(package);
            let kept = refused
                .iter()
                .any(|r| in_tree(package, r) || in_tree(r, package));
            if !covered && !kept {
                chosen.entry(package).or_insert_with(|| AutoCollected {
                    package: package.to_owned(),
                    module: module.name.clone(),
                    constant: evidence.constant.clone(),
                    via: evidence.via,
                });
            }
        }
    }
    let packages: Vec<&str> = chosen.keys().copied().collect();
    Ok(chosen
        .into_values()
        .filter(|c| {
            !packages
                .iter()
                .any(|p| *p != c.package && in_tree(&c.package, p))
        })
        .collect())
}

/// The path of a module's file in the bundle's tree (what its `__file__` is below the
/// executable), for modules that have one: not extension modules, namespace packages or
/// modules given as text.
fn module_path(module: &Module, script: Option<&str>) -> Option<String> {
    if module.kind != ModuleKind::Python || module.origin.is_none() {
        return None;
    }
    if module.name == MAIN_MODULE {
        return script.map(str::to_owned);
    }
    let base = module.name.replace('.', "/");
    Some(if module.is_package {
        base + "/__init__.py"
    } else {
        base + ".py"
    })
}

fn in_tree(module: &str, top: &str) -> bool {
    module == top
        || module
            .strip_prefix(top)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// The files of bundled modules' sources that `--no-source` keeps out of the bundle, and
/// so off the disk: `.py` origins of Python modules stored without their source (a
/// module loaded from a `.pyc` has none to keep out).
fn withheld_sources(analysis: &Analysis) -> HashSet<&Path> {
    analysis
        .modules
        .iter()
        .filter(|m| m.kind == ModuleKind::Python && m.source.is_none())
        .filter_map(|m| m.origin.as_deref())
        .filter(|o| o.extension().is_some_and(|e| e == "py"))
        .collect()
}

/// What the bundle writes on disk for `targets` (package names, or [`APP_DIR`]), sorted
/// by path: each package's module sources (when sources are kept) and data files; for
/// the app directory, every file in it (`app_data`, which says what is left out) but
/// the sources `--no-source` keeps out, and the sources and data of the app's bundled
/// modules and packages. Scripts nothing imports are files the app reads, run or loads
/// by path, not bundled code, so `--no-source` does not keep them out.
pub(crate) fn plan(
    targets: &[String],
    analysis: &Analysis,
    app_modules: &HashSet<&str>,
    app_dir: &Path,
    script: Option<&str>,
) -> Result<Vec<DiskFile>, DiskError> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut add_sources = |wanted: &dyn Fn(&Module) -> bool| {
        let mut any = false;
        for module in analysis.modules.iter().filter(|m| wanted(m)) {
            any = true;
            if let (Some(path), Some(source)) = (module_path(module, script), &module.source) {
                files.insert(path, source.clone());
            }
        }
        any
    };
    let mut data_files = Vec::new();
    for target in targets {
        if target == APP_DIR {
            add_sources(&|m| app_modules.contains(m.name.as_str()));
            let withheld = withheld_sources(analysis);
            data_files.extend(
                analysis
                    .app_data
                    .iter()
                    .filter(|f| !withheld.contains(f.origin.as_path())),
            );
            data_files.extend(
                analysis
                    .data
                    .iter()
                    .filter(|d| d.origin.starts_with(app_dir)),
            );
        } else {
            if !add_sources(&|m| in_tree(&m.name, target)) {
                return Err(DiskError::NotBundled(target.clone()));
            }
            let prefix = format!("{}/", target.replace('.', "/"));
            data_files.extend(analysis.data.iter().filter(|d| d.name.starts_with(&prefix)));
        }
    }
    for file in data_files {
        if !files.contains_key(&file.name) {
            files.insert(file.name.clone(), fs_err::read(&file.origin)?);
        }
    }
    Ok(files
        .into_iter()
        .map(|(name, data)| DiskFile { name, data })
        .collect())
}

/// Hints for what no evidence decided: top-level packages (and the app directory) that
/// have data files and a module that builds a path from `__file__` (`dirname(__file__)`,
/// `Path(__file__).parent`) with no constant naming their data, which may open their files
/// by a computed name; the hint names the option that puts the whole package on disk.
/// Modules inside `targets` (the packages on disk, asked for or chosen) or `refused`
/// (those `--no-collect-to-disk` keeps in memory) need none.
pub(crate) fn hints(
    analysis: &Analysis,
    app_modules: &HashSet<&str>,
    targets: &[String],
    refused: &[String],
) -> Vec<String> {
    let decided = |name: &str| targets.iter().chain(refused).any(|t| in_tree(name, t));
    let mut data_count: BTreeMap<&str, usize> = BTreeMap::new();
    for file in &analysis.data {
        let top = file.name.split('/').next().unwrap_or_default();
        if !top.ends_with(".dist-info") {
            *data_count.entry(top).or_default() += 1;
        }
    }
    let mut hints = Vec::new();
    for (top, count) in data_count {
        let app_covered = targets.iter().any(|t| t == APP_DIR) && app_modules.contains(top);
        if app_covered {
            continue;
        }
        let users: BTreeSet<&str> = analysis
            .modules
            .iter()
            .filter(|m| m.builds_path_from_file && in_tree(&m.name, top) && !decided(&m.name))
            .map(|m| m.name.as_str())
            .collect();
        if let Some(first) = users.first() {
            hints.push(format!(
                "package `{top}` has {count} data files and `{first}` builds a path from \
                 __file__ that no name of its files shows; if it opens them by path, build \
                 with --collect-to-disk {top}"
            ));
        }
    }
    // The app's files that are not code to the bundle: neither a bundled module's file
    // nor a bundled package's data (hinted at above), so also the scripts nothing imports.
    let bundled: HashSet<&Path> = analysis
        .modules
        .iter()
        .filter_map(|m| m.origin.as_deref())
        .chain(analysis.data.iter().map(|d| d.origin.as_path()))
        .collect();
    let app_files: Vec<&DataFile> = analysis
        .app_data
        .iter()
        .filter(|f| !bundled.contains(f.origin.as_path()))
        .collect();
    let app_users: BTreeSet<&str> = analysis
        .modules
        .iter()
        .filter(|m| m.builds_path_from_file && app_modules.contains(m.name.as_str()))
        .map(|m| m.name.as_str())
        .collect();
    if let (Some(first), Some(example)) = (app_users.first(), app_files.first()) {
        if !targets.iter().any(|t| t == APP_DIR) {
            hints.push(format!(
                "the app directory holds files that are not code ({}, such as {}) and \
                 `{first}` builds a path from __file__; if it opens them by path, build with \
                 --collect-to-disk {APP_DIR}",
                app_files.len(),
                example.name
            ));
        }
    }
    hints
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::build::analysis::{FileEvidence, PythonInfo, Reuse};

    fn module(name: &str, package: bool, source: &str, builds_path: bool) -> Module {
        Module {
            name: name.to_owned(),
            kind: ModuleKind::Python,
            is_package: package,
            bootstrap: false,
            locale_codec: false,
            cold: false,
            origin: Some(PathBuf::from(format!("/src/{name}.py"))),
            code: Some(Vec::new()),
            source: Some(source.as_bytes().to_vec()),
            builds_path_from_file: builds_path,
            file_evidence: Vec::new(),
            native_importers: Vec::new(),
            stdlib: false,
            brought_by: None,
        }
    }

    fn analysis(dir: &Path) -> Analysis {
        let write = |name: &str, text: &str| {
            let path = dir.join(name.replace('/', "_"));
            std::fs::write(&path, text).unwrap();
            DataFile {
                name: name.to_owned(),
                origin: path,
            }
        };
        Analysis {
            python: PythonInfo {
                version: "3.12.0".into(),
                major: 3,
                minor: 12,
                magic: [0xcb, 0x0d, 0x0d, 0x0a],
                libpython: None,
            },
            modules: vec![
                module("__main__", false, "main()", true),
                module("certifi", true, "init", false),
                module("certifi.core", false, "core", true),
                module("certifier", false, "other", true),
            ],
            data: vec![
                write("certifi-1.0.dist-info/METADATA", "meta"),
                write("certifi/cacert.pem", "pem"),
            ],
            app_data: vec![write("config.json", "{}")],
            missing: Vec::new(),
            left_out: Vec::new(),
            skipped: Vec::new(),
            native_import_failures: Vec::new(),
            not_utf8: Vec::new(),
            reuse: Reuse::None,
        }
    }

    /// The plan for `target` in the test analysis: names, and the files.
    fn plan_for(target: &str) -> (Vec<String>, Vec<DiskFile>) {
        let dir = tempfile::tempdir().unwrap();
        let analysis = analysis(dir.path());
        let app: HashSet<&str> = ["__main__"].into();
        let files = plan(
            &[target.into()],
            &analysis,
            &app,
            dir.path(),
            Some("main.py"),
        )
        .unwrap();
        (files.iter().map(|f| f.name.clone()).collect(), files)
    }

    #[test]
    fn a_package_brings_its_sources_and_data_only() {
        let (names, files) = plan_for("certifi");
        assert_eq!(
            names,
            [
                "certifi/__init__.py",
                "certifi/cacert.pem",
                "certifi/core.py"
            ]
        );
        assert_eq!(files[1].data, b"pem");
    }

    #[test]
    fn the_app_directory_brings_the_script_and_its_files() {
        let (names, _) = plan_for(APP_DIR);
        // The dist-info files are under the app directory in this test, as a venv's are not.
        assert_eq!(
            names,
            [
                "certifi-1.0.dist-info/METADATA",
                "certifi/cacert.pem",
                "config.json",
                "main.py"
            ]
        );
    }

    #[test]
    fn the_app_directory_brings_unimported_scripts_even_without_sources() {
        let dir = tempfile::tempdir().unwrap();
        let mut analysis = analysis(dir.path());
        let script = dir.path().join("0001_init.py");
        std::fs::write(&script, "print(1)").unwrap();
        analysis.app_data.extend([
            DataFile {
                name: "main.py".into(),
                origin: PathBuf::from("/src/__main__.py"),
            },
            DataFile {
                name: "migrations/0001_init.py".into(),
                origin: script,
            },
        ]);
        let app: HashSet<&str> = ["__main__"].into();
        let names = |analysis: &Analysis| {
            plan(
                &[APP_DIR.into()],
                analysis,
                &app,
                dir.path(),
                Some("main.py"),
            )
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect::<Vec<_>>()
        };
        assert!(names(&analysis).contains(&"main.py".to_owned()));
        for module in &mut analysis.modules {
            module.source = None;
        }
        let without_sources = names(&analysis);
        assert!(!without_sources.contains(&"main.py".to_owned()));
        assert!(without_sources.contains(&"migrations/0001_init.py".to_owned()));
        // The script is not bundled code: it counts among the files the hint is about.
        let hints = hints(&analysis, &app, &[], &[]);
        assert!(hints[1].contains("(2, such as config.json)"), "{hints:?}");
    }

    #[test]
    fn an_unknown_package_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let analysis = analysis(dir.path());
        let err = plan(
            &["certif".into()],
            &analysis,
            &HashSet::new(),
            dir.path(),
            None,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("--collect-to-disk certif"),
            "{err}"
        );
    }

    /// `module`, showing with `constant` that it opens `data` below `package`.
    fn showing(mut module: Module, constant: &str, data: &str, package: &str) -> Module {
        module.file_evidence.push(FileEvidence {
            constant: constant.into(),
            data: data.into(),
            package: package.into(),
            via: Via::File,
        });
        module
    }

    /// An analysis of babel-like, docutils-like and namespace (`google.protobuf`)
    /// packages whose code names their data, and of `plain`, whose code builds a path from
    /// `__file__` and names none of its data.
    fn with_evidence(dir: &Path) -> Analysis {
        let mut analysis = analysis(dir);
        let mut namespace = module("google", true, "", false);
        namespace.kind = ModuleKind::Namespace;
        namespace.source = None;
        namespace.code = None;
        namespace.origin = None;
        analysis.modules.extend([
            module("babel", true, "", false),
            showing(
                module("babel.core", false, "", true),
                "global.dat",
                "babel/global.dat",
                "babel",
            ),
            showing(
                module("babel.localedata", false, "", true),
                "locale-data",
                "babel/locale-data",
                "babel",
            ),
            module("docutils", true, "", false),
            module("docutils.writers", true, "", false),
            module("docutils.writers.html5", true, "", false),
            showing(
                module("docutils.writers.html5.base", false, "", true),
                "minimal.css",
                "docutils/writers/html5/minimal.css",
                "docutils.writers.html5",
            ),
            namespace,
            module("google.protobuf", true, "", false),
            showing(
                module("google.protobuf.text", false, "", false),
                "../protobuf/data",
                "google/protobuf/data",
                "google.protobuf",
            ),
            module("plain", true, "", true),
        ]);
        analysis.modules.sort_by(|a, b| a.name.cmp(&b.name));
        let write = |name: &str| {
            let path = dir.join(name.replace('/', "_"));
            std::fs::write(&path, name).unwrap();
            DataFile {
                name: name.to_owned(),
                origin: path,
            }
        };
        analysis.data.extend([
            write("babel/global.dat"),
            write("babel/locale-data/en.dat"),
            write("docutils/writers/html5/minimal.css"),
            write("google/protobuf/data/x.bin"),
            write("plain/table.csv"),
        ]);
        analysis
    }

    fn chosen(
        analysis: &Analysis,
        asked: &[&str],
        refused: &[&str],
    ) -> Result<Vec<(String, String, String)>, DiskError> {
        let strings = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let app: HashSet<&str> = ["__main__"].into();
        Ok(
            automatic(analysis, &app, &strings(asked), &strings(refused))?
                .into_iter()
                .map(|a| (a.package, a.module, a.constant))
                .collect(),
        )
    }

    #[test]
    fn evidence_puts_the_smallest_package_holding_the_data_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let analysis = with_evidence(dir.path());
        let triple = |p: &str, m: &str, c: &str| (p.to_owned(), m.to_owned(), c.to_owned());
        assert_eq!(
            chosen(&analysis, &[], &[]).unwrap(),
            [
                triple("babel", "babel.core", "global.dat"),
                triple(
                    "docutils.writers.html5",
                    "docutils.writers.html5.base",
                    "minimal.css"
                ),
                triple(
                    "google.protobuf",
                    "google.protobuf.text",
                    "../protobuf/data"
                ),
            ]
        );
        let app: HashSet<&str> = ["__main__"].into();
        let target = ["docutils.writers.html5".to_owned()];
        let files = plan(&target, &analysis, &app, dir.path(), None).unwrap();
        let names: Vec<_> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "docutils/writers/html5/__init__.py",
                "docutils/writers/html5/base.py",
                "docutils/writers/html5/minimal.css"
            ]
        );

        // Evidence in a package and in one inside it: the outer one holds both.
        let mut analysis = analysis;
        let docutils = analysis
            .modules
            .iter_mut()
            .find(|m| m.name == "docutils")
            .unwrap();
        *docutils = showing(
            docutils.clone(),
            "writers/html5/minimal.css",
            "docutils/writers/html5/minimal.css",
            "docutils",
        );
        let packages: Vec<_> = chosen(&analysis, &[], &[])
            .unwrap()
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(packages, ["babel", "docutils", "google.protobuf"]);
    }

    #[test]
    fn asked_and_refused_packages_are_not_chosen() {
        let dir = tempfile::tempdir().unwrap();
        let analysis = with_evidence(dir.path());
        let packages = |asked: &[&str], refused: &[&str]| {
            chosen(&analysis, asked, refused)
                .unwrap()
                .into_iter()
                .map(|c| c.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            packages(&["babel"], &["docutils.writers"]),
            ["google.protobuf"]
        );
        assert_eq!(
            packages(&[], &["google", "babel.core"]),
            ["docutils.writers.html5"]
        );
        let unknown = chosen(&analysis, &[], &["babl"]).unwrap_err();
        assert!(
            unknown
                .to_string()
                .contains("--no-collect-to-disk babl: no package"),
            "{unknown}"
        );
        let both = chosen(&analysis, &["babel"], &["babel.core"]).unwrap_err();
        assert!(matches!(both, DiskError::Contradiction(..)), "{both}");
    }

    #[test]
    fn hints_only_where_no_evidence_decided() {
        let dir = tempfile::tempdir().unwrap();
        let analysis = with_evidence(dir.path());
        let app: HashSet<&str> = ["__main__"].into();
        let on_disk: Vec<String> = chosen(&analysis, &[], &[])
            .unwrap()
            .into_iter()
            .map(|c| c.0)
            .collect();
        let hints = hints(&analysis, &app, &on_disk, &[]);
        let packages: Vec<&str> = hints
            .iter()
            .filter_map(|h| h.strip_prefix("package `")?.split('`').next())
            .collect();
        // certifi.core and plain build paths from __file__ that nothing decided.
        assert_eq!(packages, ["certifi", "plain"], "{hints:?}");
        assert!(hints[1].ends_with("--collect-to-disk plain"), "{hints:?}");
        let refused = ["plain".to_owned(), "certifi".to_owned()];
        let hints = super::hints(&analysis, &app, &on_disk, &refused);
        assert_eq!(hints.len(), 1, "{hints:?}");
        assert!(hints[0].starts_with("the app directory"), "{hints:?}");
    }

    #[test]
    fn hints_name_packages_with_data_read_through_file() {
        let dir = tempfile::tempdir().unwrap();
        let analysis = analysis(dir.path());
        let app: HashSet<&str> = ["__main__"].into();
        let hints = hints(&analysis, &app, &[], &[]);
        assert_eq!(hints.len(), 2, "{hints:?}");
        assert!(hints[0].contains("--collect-to-disk certifi"), "{hints:?}");
        assert!(hints[1].contains("config.json") && hints[1].contains("--collect-to-disk ."));
        assert!(super::hints(&analysis, &app, &["certifi".into(), ".".into()], &[]).is_empty());
    }
}
