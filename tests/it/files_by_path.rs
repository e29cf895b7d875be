//! Code that opens its package's files by path works with no option: a package whose code
//! reads `__file__` and names its data files (babel's `global.dat` and `locale-data`,
//! matplotlib's `Path(__file__).with_name("mpl-data")`) is put on disk by itself, and the
//! build says so: the smallest package that holds the module and the data (a subpackage
//! alone, or a parent package that a `".."` climbs to); a package that merely mentions
//! `__file__` stays in memory and nothing is written; `--no-collect-to-disk` keeps a
//! package in memory.

use std::path::Path;

use pyfreeze_tests::{
    bundle_with, compare, for_each_of, list_tree, newest_and_3_8, run_frozen_in, tempdir,
    test_name, write_app, AppDir, Case, Status,
};

const MAIN: &str = r#"import pkgutil
import langdata, mpl_like, mentions, themes.dark, skins.light
print(langdata.global_data())
print(langdata.locales())
print(mpl_like.style())
print(themes.dark.colors(), skins.light.base())
print(mentions.where(), pkgutil.get_data("mentions", "notes.txt").decode().strip())
"#;

/// babel's and botocore's way: a directory joined to `dirname(__file__)` and listed, a
/// file next to `__file__` opened.
const LANGDATA: &str = r#"import os
_dirname = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale-data")

def global_data():
    with open(os.path.join(os.path.dirname(__file__), "global.dat")) as f:
        return f.read().strip()

def locales():
    return sorted(name for name in os.listdir(_dirname) if name.endswith(".dat"))
"#;

/// matplotlib's way.
const MPL_LIKE: &str = r#"from pathlib import Path
DATA = Path(__file__).with_name("mpl-data")

def style():
    return (DATA / "style.rc").read_text().strip()
"#;

/// A subpackage's own file: only the subpackage goes on disk.
const DARK: &str = r#"import os

def colors():
    with open(os.path.join(os.path.dirname(__file__), "colors.txt")) as f:
        return f.read().split()
"#;

/// A file of the parent package, reached with a `".."` of its own: the parent goes on disk.
const LIGHT: &str = r#"import os

def base():
    with open(os.path.join(os.path.dirname(__file__), "..", "shared", "base.txt")) as f:
        return f.read().strip()
"#;

/// Reads `__file__` but opens nothing by path: its data is read from memory, by the app.
const MENTIONS: &str = r#"import os

def where():
    return os.path.basename(__file__)
"#;

fn app() -> AppDir {
    write_app(
        "bypath",
        &[
            ("main.py", MAIN),
            ("langdata/__init__.py", LANGDATA),
            ("langdata/global.dat", "global data\n"),
            ("langdata/locale-data/en.dat", "en\n"),
            ("langdata/locale-data/fr.dat", "fr\n"),
            ("mpl_like/__init__.py", MPL_LIKE),
            ("mpl_like/mpl-data/style.rc", "lines.linewidth: 2\n"),
            ("mentions/__init__.py", MENTIONS),
            ("mentions/notes.txt", "kept in memory\n"),
            ("themes/__init__.py", ""),
            ("themes/dark/__init__.py", DARK),
            ("themes/dark/colors.txt", "black grey\n"),
            ("skins/__init__.py", ""),
            ("skins/light/__init__.py", LIGHT),
            ("skins/shared/base.txt", "white\n"),
        ],
    )
}

/// What the build puts on disk for [`app`]: the packages that open files by path.
const ON_DISK: &[&str] = &[
    "langdata/__init__.py",
    "langdata/global.dat",
    "langdata/locale-data/en.dat",
    "langdata/locale-data/fr.dat",
    "mpl_like/__init__.py",
    "mpl_like/mpl-data/style.rc",
    "skins/__init__.py",
    "skins/light/__init__.py",
    "skins/shared/base.txt",
    "themes/dark/__init__.py",
    "themes/dark/colors.txt",
];

/// The files below `<cache>/pyfreeze/<content directory>/`, as paths inside it.
fn cached_files(cache: &Path) -> Vec<String> {
    list_tree(&cache.join("pyfreeze"))
        .into_iter()
        .filter(|p| cache.join("pyfreeze").join(p).is_file())
        .filter_map(|p| {
            let p = p.to_string_lossy().into_owned();
            // Below a content directory; not its lock file.
            p.split_once('/').map(|(_, inside)| inside.to_owned())
        })
        .collect()
}

#[test]
fn packages_that_open_files_by_path_are_put_on_disk_with_no_option() {
    for_each_of(test_name!(), newest_and_3_8(test_name!()), |python| {
        let frozen = bundle_with("bypath", python, &[], app)?;
        let mut problems = Vec::new();
        let stderr = &frozen.build.stderr;
        for line in [
            "put on disk: langdata (langdata opens 'global.dat' next to __file__; \
             --no-collect-to-disk langdata keeps it in memory)",
            "put on disk: mpl_like (mpl_like opens 'mpl-data' next to __file__;",
            "put on disk: themes.dark (themes.dark opens 'colors.txt' next to __file__;",
            "put on disk: skins (skins.light opens 'shared' next to __file__;",
        ] {
            if !stderr.contains(line) {
                problems.push(format!("{python}: no {line:?} in\n{}", frozen.build));
            }
        }
        if stderr.contains("put on disk: mentions") || stderr.contains("hint:") {
            problems.push(format!(
                "{python}: mentions is not to be put on disk, nor hinted at\n{}",
                frozen.build
            ));
        }
        let cache = tempdir("cache");
        let cache_path = cache.path().to_str().expect("utf-8 path");
        let env = [("XDG_CACHE_HOME", Some(cache_path))];
        let case = Case::new(&[], Status::Code(0)).env(&env);
        problems.extend(compare(python, &frozen.exe, &app(), &case));
        let written = cached_files(cache.path());
        if written != ON_DISK {
            problems.push(format!("{python}: wrote {written:?}, expected {ON_DISK:?}"));
        }
        Ok(problems)
    });
}

const MENTIONS_MAIN: &str = r#"import pkgutil
import mentions
print(mentions.where(), pkgutil.get_data("mentions", "notes.txt").decode().strip())
"#;

#[test]
fn a_package_that_only_mentions_file_writes_nothing() {
    for_each_of(test_name!(), newest_and_3_8(test_name!()), |python| {
        let app = || {
            write_app(
                "mentions_only",
                &[
                    ("main.py", MENTIONS_MAIN),
                    ("mentions/__init__.py", MENTIONS),
                    ("mentions/notes.txt", "kept in memory\n"),
                ],
            )
        };
        let frozen = bundle_with("mentions_only", python, &[], app)?;
        let mut problems = Vec::new();
        if frozen.build.stderr.contains("put on disk") || frozen.build.stderr.contains("hint:") {
            problems.push(format!("{python}: unexpected\n{}", frozen.build));
        }
        let home = tempdir("home");
        let home_path = home.path().to_str().expect("utf-8 path");
        let env = [("HOME", Some(home_path)), ("XDG_CACHE_HOME", None)];
        let case = Case::new(&[], Status::Code(0)).env(&env);
        problems.extend(compare(python, &frozen.exe, &app(), &case));
        let written = list_tree(home.path());
        if !written.is_empty() {
            problems.push(format!("{python}: wrote {written:?} into HOME"));
        }
        Ok(problems)
    });
}

#[test]
fn no_collect_to_disk_keeps_a_package_in_memory() {
    for_each_of(test_name!(), newest_and_3_8(test_name!()), |python| {
        // `themes` keeps `themes.dark`, the package inside it, in memory.
        let args = [
            "--no-collect-to-disk",
            "langdata",
            "--no-collect-to-disk",
            "mpl_like",
            "--no-collect-to-disk",
            "themes",
            "--no-collect-to-disk",
            "skins",
        ];
        let frozen = bundle_with("bypath", python, &args, app)?;
        let mut problems = Vec::new();
        if frozen.build.stderr.contains("put on disk") {
            problems.push(format!("{python}: put on disk anyway\n{}", frozen.build));
        }
        let home = tempdir("home");
        let home_path = home.path().to_str().expect("utf-8 path");
        let env = [("HOME", Some(home_path)), ("XDG_CACHE_HOME", None)];
        let app = app();
        let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &env);
        // In memory, opening the file by path fails: the path leads through the executable.
        if out.status != Status::Code(1)
            || !out.stderr.contains("Error: [Errno 20] Not a directory")
        {
            problems.push(format!(
                "{python}: expected the file not to be found\n{out}"
            ));
        }
        let written = list_tree(home.path());
        if !written.is_empty() {
            problems.push(format!("{python}: wrote {written:?} into HOME"));
        }
        Ok(problems)
    });
}
