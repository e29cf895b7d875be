//! The analysis run by every interpreter the tests find, and its protocol checked.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::Stdio;

use super::*;

/// Runs `test` with every interpreter the workspace's tests use (its version, e.g.
/// `3.11.7`, and path); fails if there is none.
pub(crate) fn with_each_python(test: impl Fn(&str, &Path)) {
    for python in pyfreeze_tests::interpreters() {
        eprintln!("== {python}");
        test(&python.version, &python.path);
    }
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, text).unwrap();
    }
}

fn executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    fs_err::write(path, text).unwrap();
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn request(app_dir: &Path, entry: EntrySpec) -> Request {
    Request {
        app_dir: app_dir.to_owned(),
        entry,
        includes: Vec::new(),
        excludes: Vec::new(),
        with: Vec::new(),
        stdlib_excludes: Vec::new(),
        optimize: 0,
        sources: true,
        extra_modules: Vec::new(),
        skip_dirs: Vec::new(),
        python_args: Vec::new(),
    }
}

fn script(app_dir: &Path, name: &str) -> Request {
    request(
        app_dir,
        EntrySpec::Script {
            path: app_dir.join(name),
        },
    )
}

fn by_name(analysis: &Analysis) -> BTreeMap<&str, &Module> {
    analysis
        .modules
        .iter()
        .map(|m| (m.name.as_str(), m))
        .collect()
}

fn missing(analysis: &Analysis) -> BTreeMap<&str, &[String]> {
    analysis
        .missing
        .iter()
        .map(|m| (m.name.as_str(), m.imported_by.as_slice()))
        .collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// A virtualenv without pip at `<dir>/.venv` (inside an app directory, what it holds is
/// not the app): its directory and its site-packages.
fn venv_in(dir: &Path, python: &Path) -> (PathBuf, PathBuf) {
    let venv = dir.join(".venv");
    let status = Command::new(python)
        .args(["-I", "-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(status.success());
    let site = PathBuf::from(python_says(
        &venv.join("bin/python"),
        "import sysconfig; print(sysconfig.get_paths()['purelib'])",
    ));
    (venv, site)
}

fn python_says(python: &Path, code: &str) -> String {
    let out = Command::new(python)
        .args(["-I", "-c", code])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn closure_of_an_app() {
    let app = tempfile::tempdir().unwrap();
    write(
        app.path(),
        &[
            (
                "main.py",
                "import greet\n\
                     import pkg.sub.deep\n\
                     from pkg import helper\n\
                     from greet import hello\n\
                     import importlib\n\
                     importlib.import_module('json')\n\
                     __import__('colorsys')\n\
                     import nspkg.mod\n\
                     import nspkg.deep.leaf, pkg.nsub.leaf\n\
                     import math\n\
                     import nosuchmod\n\
                     import pkg.nosuchsub\n\
                     import nosuchparent.child\n\
                     from . import relative_in_script\n",
            ),
            ("greet.py", "def hello():\n    return 'hi'\n"),
            ("unused.py", "import wave\n"),
            ("pkg/__init__.py", "from . import helper\n"),
            ("pkg/helper.py", "X = 1\n"),
            ("pkg/sub/__init__.py", ""),
            (
                "pkg/sub/deep.py",
                "from ..helper import X\nfrom . import sibling\n\ndef f():\n    import os.path\n",
            ),
            ("pkg/sub/sibling.py", "from .. import *\n"),
            ("nspkg/mod.py", "Y = 2\n"),
            ("nspkg/deep/leaf.py", ""),
            ("pkg/nsub/leaf.py", ""),
        ],
    );
    with_each_python(|version, python| {
        let analysis = analyse(python, &script(app.path(), "main.py"), None).unwrap();
        let info = &analysis.python;
        assert_eq!(info.major, 3);
        assert!(version.starts_with(&format!("3.{}.", info.minor)));
        assert_eq!(info.version, version);
        let magic = "import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())";
        assert_eq!(cache::hex(&info.magic), python_says(python, magic));
        if let Some(lib) = &info.libpython {
            assert!(lib.is_file(), "{}", lib.display());
        }

        let names: Vec<_> = analysis.modules.iter().map(|m| m.name.as_str()).collect();
        assert!(
            names.windows(2).all(|w| w[0] < w[1]),
            "not sorted: {names:?}"
        );
        let modules = by_name(&analysis);
        for name in [
            "__main__",
            "greet",
            "pkg",
            "pkg.helper",
            "pkg.sub",
            "pkg.sub.deep",
            "pkg.sub.sibling",
            "json",
            "json.decoder",
            "colorsys",
            "nspkg",
            "nspkg.mod",
            "os",
            "encodings.utf_8",
            "codecs",
            "io",
            "abc",
        ] {
            assert!(modules.contains_key(name), "{name} missing from {names:?}");
        }
        for name in ["unused", "wave", "_frozen_importlib", "sys", "builtins"] {
            assert!(!modules.contains_key(name), "{name} should not be bundled");
        }

        let main = modules["__main__"];
        assert_eq!(
            main.origin.as_deref(),
            Some(app.path().join("main.py").as_path())
        );
        let main_code = main.code.as_deref().unwrap();
        assert!(contains(main_code, "main.py"));
        assert!(!contains(main_code, &app.path().display().to_string()));
        let deep = modules["pkg.sub.deep"];
        assert!(contains(deep.code.as_deref().unwrap(), "pkg/sub/deep.py"));
        assert_eq!(deep.kind, ModuleKind::Python);
        assert!(!deep.is_package);
        let pkg = modules["pkg"];
        assert!(pkg.is_package);
        assert!(contains(pkg.code.as_deref().unwrap(), "pkg/__init__.py"));
        assert_eq!(
            modules["greet"].source.as_deref(),
            Some(&b"def hello():\n    return 'hi'\n"[..])
        );

        let nspkg = modules["nspkg"];
        assert!(nspkg.is_package);
        assert_eq!(nspkg.kind, ModuleKind::Namespace);
        assert!(nspkg.code.is_none() && nspkg.source.is_none());
        assert!(nspkg.origin.is_none() && !nspkg.bootstrap);
        // Nested ones too, in a namespace package and in a regular one.
        for name in ["nspkg.deep", "pkg.nsub"] {
            assert_eq!(modules[name].kind, ModuleKind::Namespace, "{name}");
            let leaf = format!("{name}.leaf");
            assert_eq!(modules[leaf.as_str()].kind, ModuleKind::Python, "{leaf}");
        }

        match modules.get("math") {
            Some(math) => {
                assert_eq!(math.kind, ModuleKind::Extension);
                assert!(math.code.is_none() && math.source.is_none());
                let origin = math.origin.as_deref().unwrap();
                assert!(
                    origin.extension().is_some_and(|e| e == "so"),
                    "{}",
                    origin.display()
                );
            }
            None => assert_eq!(
                python_says(
                    python,
                    "import sys; print('math' in sys.builtin_module_names)"
                ),
                "True"
            ),
        }

        let missing = missing(&analysis);
        let by_main = ["__main__".to_owned()];
        assert_eq!(missing.get("nosuchmod"), Some(&&by_main[..]));
        assert_eq!(missing.get("pkg.nosuchsub"), Some(&&by_main[..]));
        assert_eq!(missing.get("nosuchparent"), Some(&&by_main[..]));
        assert_eq!(missing.get(".relative_in_script"), Some(&&by_main[..]));
        for name in [
            "nosuchparent.child",
            "greet.hello",
            "os.path",
            "_frozen_importlib",
            "sys",
        ] {
            assert!(!missing.contains_key(name), "{name} reported missing");
        }
        assert!(analysis
            .missing
            .iter()
            .all(|m| m.imported_by.windows(2).all(|w| w[0] < w[1])));

        for name in [
            "encodings",
            "encodings.utf_8",
            "encodings.ascii",
            "encodings.latin_1",
            "encodings.aliases",
        ] {
            assert!(modules[name].bootstrap, "{name} should be bootstrap");
            assert!(!modules[name].locale_codec, "{name} is always in the table");
        }
        // The other text codecs go into the table only in a locale of their encoding;
        // those that import more than bootstrap modules (idna's re and stringprep, the
        // CJK codecs' extension modules) could not start CPython from it, nor what
        // only such a codec imports.
        for name in ["encodings.koi8_r", "encodings.cp1252", "encodings.utf_16"] {
            assert!(
                modules[name].locale_codec,
                "{name} should be a locale codec"
            );
            assert!(!modules[name].bootstrap, "{name} is not always needed");
        }
        for name in ["encodings.idna", "encodings.big5", "stringprep", "re"] {
            assert!(
                !modules[name].bootstrap && !modules[name].locale_codec,
                "{name} should be an ordinary module"
            );
        }
        // From 3.11 CPython has these frozen itself, and finds them before any table.
        for name in ["codecs", "io", "abc"] {
            assert_eq!(
                modules[name].bootstrap,
                info.minor <= 10,
                "{name} bootstrap on 3.{}",
                info.minor
            );
        }
        for name in [
            "json",
            "json.decoder",
            "greet",
            "__main__",
            "pkg",
            "colorsys",
        ] {
            assert!(!modules[name].bootstrap, "{name} should not be bootstrap");
        }
        assert!(analysis.skipped.is_empty(), "{:?}", analysis.skipped);
    });
}

#[test]
fn what_brought_each_module_in_is_told_with_the_importing_line() {
    let app = tempfile::tempdir().unwrap();
    write(
        app.path(),
        &[
            (
                "main.py",
                "import sys\n\nimport json\nif sys.platform == 'win32':\n    import winreg\n",
            ),
            ("pkg/__init__.py", ""),
        ],
    );
    with_each_python(|version, python| {
        let analysis = analyse(python, &script(app.path(), "main.py"), None).unwrap();
        let modules = by_name(&analysis);
        let brought_by = |name: &str| modules[name].brought_by.clone();
        let import = |by: &str| match brought_by(by) {
            Some(BroughtBy::Import { by, file, line, .. }) => (by, file, line),
            other => panic!("{version}: {other:?}"),
        };
        assert_eq!(
            brought_by("__main__"),
            Some(BroughtBy::Root {
                root: "the app's entry point".to_owned()
            }),
            "{version}"
        );
        assert_eq!(
            import("json"),
            ("__main__".to_owned(), Some("main.py".to_owned()), Some(3)),
            "{version}"
        );
        // json/__init__.py's `from .decoder import ...`, whatever its line in this version.
        let (by, file, line) = import("json.decoder");
        assert_eq!(
            (by.as_str(), file.as_deref()),
            ("json", Some("json/__init__.py"))
        );
        assert!(line.is_some(), "{version}");
        assert_eq!(import("_json").0, "json.decoder", "{version}");
        assert!(modules["json"].stdlib && !modules["__main__"].stdlib);
        let winreg = analysis
            .missing
            .iter()
            .find(|m| m.name == "winreg")
            .unwrap();
        assert_eq!(winreg.places["__main__"], "main.py:5", "{version}");
    });
}

#[test]
fn app_modules_named_like_what_python_serves_before_the_path_are_not_those() {
    let app = tempfile::tempdir().unwrap();
    write(
        app.path(),
        &[
            ("main.py", "import codecs, os, runpy, shutil, __hello__\n"),
            ("codecs.py", ""),
            ("os.py", ""),
            ("runpy.py", ""),
            ("shutil.py", ""),
            ("__hello__.py", ""),
        ],
    );
    with_each_python(|version, python| {
        let analysis = analyse(python, &script(app.path(), "main.py"), None).unwrap();
        let modules = by_name(&analysis);
        let from_app = |name: &str| {
            let file = app.path().join(format!("{name}.py"));
            modules[name].origin.as_deref() == Some(file.as_path())
        };
        // Imported while python starts, before the script's directory is on sys.path.
        assert!(!from_app("codecs"), "{version}");
        // FrozenImporter, before PathFinder, has them from 3.11 on.
        let frozen_stdlib = analysis.python.minor >= 11;
        assert_eq!(from_app("os"), !frozen_stdlib, "{version}");
        assert_eq!(from_app("runpy"), !frozen_stdlib, "{version}");
        assert!(from_app("shutil"), "{version}");
        // Frozen into every version; before 3.11 the standard library has no file of it,
        // and the interpreter serves it itself.
        if frozen_stdlib {
            assert!(!from_app("__hello__"), "{version}");
        } else {
            assert!(!modules.contains_key("__hello__"), "{version}");
            assert!(!missing(&analysis).contains_key("__hello__"), "{version}");
        }
    });
}

#[test]
fn excludes_and_includes() {
    let app = tempfile::tempdir().unwrap();
    write(
        app.path(),
        &[
            ("main.py", "import json\nimport greet\n"),
            ("greet.py", "import colorsys\n"),
        ],
    );
    with_each_python(|_, python| {
        let mut request = script(app.path(), "main.py");
        request.excludes = vec!["json".to_owned(), "colorsys".to_owned()];
        request.includes = vec!["xml.dom.minidom".to_owned(), "nosuch_included".to_owned()];
        let analysis = analyse(python, &request, None).unwrap();
        let modules = by_name(&analysis);
        for name in ["json", "json.decoder", "colorsys"] {
            assert!(!modules.contains_key(name), "{name} was excluded");
        }
        for name in ["greet", "xml", "xml.dom", "xml.dom.minidom"] {
            assert!(modules.contains_key(name), "{name} missing");
        }
        let missing = missing(&analysis);
        assert!(!missing.contains_key("json") && !missing.contains_key("colorsys"));
        assert_eq!(missing.get("nosuch_included").map(|by| by.len()), Some(0));
    });
}

#[test]
fn a_syntax_error_in_the_app_stops_the_build() {
    let app = tempfile::tempdir().unwrap();
    write(
        app.path(),
        &[
            ("main.py", "import bad\n"),
            ("bad.py", "x = 1\n\ndef f(:\n    pass\n"),
        ],
    );
    with_each_python(|_, python| {
        let error = analyse(python, &script(app.path(), "main.py"), None).unwrap_err();
        let AnalysisError::Script(ScriptError::Syntax {
            module, file, line, ..
        }) = &error
        else {
            panic!("expected a syntax error, got {error}");
        };
        assert_eq!(module, "bad");
        assert_eq!(file, &app.path().join("bad.py"));
        assert_eq!(*line, Some(3));
        assert!(error.to_string().contains("bad.py:3: "), "{error}");
    });
}

#[test]
fn a_broken_dependency_is_skipped() {
    with_each_python(|_, python| {
        // A virtualenv inside the app directory: what it holds is not the app.
        let app = tempfile::tempdir().unwrap();
        let (venv, site) = venv_in(app.path(), python);
        write(
            &site,
            &[
                ("dep_ok.py", "import colorsys\n"),
                ("dep_bad.py", "def f(:\n"),
            ],
        );
        write(
            app.path(),
            &[("main.py", "import dep_ok\nimport dep_bad\n")],
        );

        let analysis = analyse(
            &venv.join("bin/python"),
            &script(app.path(), "main.py"),
            None,
        )
        .unwrap();
        let modules = by_name(&analysis);
        assert_eq!(
            modules["dep_ok"].origin.as_deref(),
            Some(site.join("dep_ok.py").as_path())
        );
        assert!(modules.contains_key("colorsys"));
        assert!(!modules.contains_key("dep_bad"));
        let [skipped] = analysis.skipped.as_slice() else {
            panic!("expected one skipped module: {:?}", analysis.skipped);
        };
        assert_eq!(skipped.module, "dep_bad");
        assert_eq!(skipped.line, Some(1));
        // The venv's interpreter still reports the base interpreter's library.
        let base = analyse(python, &script(app.path(), "main.py"), None);
        assert!(matches!(base, Ok(ref b) if b.python.libpython == analysis.python.libpython));
    });
}

/// A virtualenv's site-packages sits inside what sysconfig calls `platstdlib`, and a base
/// interpreter's inside `stdlib`: what is installed there is still not the standard
/// library, whose lazy imports of development tools are left out.
#[test]
fn a_dependency_installed_beside_the_standard_library_is_not_it() {
    with_each_python(|_, python| {
        let app = tempfile::tempdir().unwrap();
        let (venv, site) = venv_in(app.path(), python);
        write(
            &site,
            &[("dep_cli.py", "def main():\n    import argparse, doctest\n")],
        );
        write(app.path(), &[("main.py", "import dep_cli, pickle\n")]);
        let analysis = analyse(
            &venv.join("bin/python"),
            &script(app.path(), "main.py"),
            None,
        )
        .unwrap();
        let modules = by_name(&analysis);
        for name in ["argparse", "doctest"] {
            assert!(modules.contains_key(name), "{name} not bundled");
        }
        let left: Vec<&str> = analysis.left_out.iter().map(|m| m.name.as_str()).collect();
        assert!(!left.contains(&"doctest"), "{left:?}");
    });
}

#[test]
fn known_hidden_imports_are_bundled_and_ignored_imports_are_not() {
    with_each_python(|_, python| {
        let app = tempfile::tempdir().unwrap();
        let (venv, site) = venv_in(app.path(), python);
        // Stand-ins for the real packages, importing by name as they do; this pycparser
        // has no lextab.
        write(
            &site,
            &[
                ("PIL/__init__.py", ""),
                (
                    "PIL/Image.py",
                    "def init():\n    for p in PLUGINS:\n        __import__('PIL.' + p)\n",
                ),
                ("PIL/PngImagePlugin.py", ""),
                (
                    "PIL/SpiderImagePlugin.py",
                    "def tk():\n    from . import ImageTk\n",
                ),
                ("PIL/ImageTk.py", "import tkinter\n"),
                ("PIL/ImageQt.py", ""),
                ("pycparser/__init__.py", ""),
                ("pycparser/c_parser.py", ""),
                ("pycparser/yacctab.py", ""),
            ],
        );
        write(
            app.path(),
            &[("main.py", "import PIL.Image\nimport pycparser.c_parser\n")],
        );
        let mut request = script(app.path(), "main.py");
        // As every build does: CPython's own tests import tkinter.
        request.stdlib_excludes = vec!["test".to_owned()];
        let analysis = analyse(&venv.join("bin/python"), &request, None).unwrap();
        let modules = by_name(&analysis);
        for name in [
            "PIL.PngImagePlugin",
            "PIL.SpiderImagePlugin",
            "PIL.ImageTk",
            "pycparser.yacctab",
        ] {
            assert!(modules.contains_key(name), "{name} missing");
        }
        for name in ["PIL.ImageQt", "tkinter", "pycparser.lextab"] {
            assert!(!modules.contains_key(name), "{name} bundled");
        }
        let missing = missing(&analysis);
        for name in ["tkinter", "pycparser.lextab"] {
            assert!(!missing.contains_key(name), "{name} reported missing");
        }
    });
}

#[test]
fn what_only_functions_of_dependencies_import_is_cold_or_left_out() {
    let app = tempfile::tempdir().unwrap();
    write(
        app.path(),
        &[
            (
                "main.py",
                "import os, pickle, random, traceback, warnings\n\
                     import helper\n\
                     def later():\n    import colorsys\n\
                     if __name__ == '__main__':\n    import wave\n",
            ),
            (
                "helper.py",
                "if __name__ == '__main__':\n    import sndhdr\n",
            ),
        ],
    );
    with_each_python(|_, python| {
        let analysis = analyse(python, &script(app.path(), "main.py"), None).unwrap();
        let modules = by_name(&analysis);
        // The app's imports, inside functions and under its own __main__ test too.
        for name in ["__main__", "helper", "os", "pickle", "colorsys", "wave"] {
            assert!(!modules[name].cold, "{name} should not be cold");
        }
        // os.popen() imports subprocess; encodings.bz2_codec imports bz2.
        for name in ["subprocess", "encodings.bz2_codec", "bz2"] {
            assert!(modules[name].cold, "{name} should be cold");
        }
        // A bytes-to-bytes codec is never the locale's: not in the frozen table.
        assert!(!modules["encodings.bz2_codec"].bootstrap);
        // The standard library's command-line mains (pickle's imports pprint), a
        // dependency's own __main__ block, the self-test of random (statistics), and
        // what only importlib.metadata and importlib.resources ask the path finder.
        for name in ["pprint", "sndhdr", "statistics", "importlib.metadata"] {
            assert!(!modules.contains_key(name), "{name} bundled");
        }
        // Tracebacks parse source with ast (3.11+), and never need inspect for that.
        // From 3.12 on typing imports inspect inside a function that counts.
        if analysis.python.minor == 11 {
            assert!(modules.contains_key("ast"));
            assert!(!modules.contains_key("inspect"), "inspect bundled");
        }
    });
}

#[test]
fn module_and_function_entries() {
    let app = tempfile::tempdir().unwrap();
    write(
        app.path(),
        &[
            ("tool/__init__.py", ""),
            ("tool/__main__.py", "from . import cli\nimport __main__\n"),
            ("tool/cli.py", "import greet\n"),
            ("greet.py", "def hello():\n    return 'hi'\n"),
            ("nomain/__init__.py", ""),
        ],
    );
    with_each_python(|_, python| {
        let module = EntrySpec::Module {
            module: "tool".to_owned(),
        };
        let analysis = analyse(python, &request(app.path(), module), None).unwrap();
        let modules = by_name(&analysis);
        for name in ["tool", "tool.__main__", "tool.cli", "greet"] {
            assert!(modules.contains_key(name), "{name} missing");
        }
        assert!(!modules.contains_key("__main__"));
        assert!(!missing(&analysis).contains_key("__main__"));

        let function = EntrySpec::Function {
            module: "greet".to_owned(),
            function: "hello".to_owned(),
        };
        let analysis = analyse(python, &request(app.path(), function), None).unwrap();
        assert!(by_name(&analysis).contains_key("greet"));

        let nosuch = EntrySpec::Module {
            module: "nosuch".to_owned(),
        };
        let error = analyse(python, &request(app.path(), nosuch), None).unwrap_err();
        assert!(
            matches!(&error, AnalysisError::Script(ScriptError::EntryNotFound { module, app_dir, .. })
                    if module == "nosuch" && app_dir == app.path()),
            "{error}"
        );
        assert!(error.to_string().contains("`nosuch`"), "{error}");

        let package = EntrySpec::Module {
            module: "nomain".to_owned(),
        };
        let error = analyse(python, &request(app.path(), package), None).unwrap_err();
        assert!(
            matches!(&error, AnalysisError::Script(ScriptError::PackageWithoutMain { package, origin })
                    if package == "nomain" && origin.as_deref() == Some(app.path().join("nomain/__init__.py").as_path())),
            "{error}"
        );

        let error = analyse(python, &script(app.path(), "absent.py"), None).unwrap_err();
        assert!(
            matches!(&error, AnalysisError::Script(ScriptError::UnreadableEntry { path, .. })
                    if path == &app.path().join("absent.py")),
            "{error}"
        );
    });
}

#[test]
fn extra_modules_and_bytecode_only_modules() {
    let app = tempfile::tempdir().unwrap();
    write(
        app.path(),
        &[
            ("main.py", "import compiled\n"),
            ("src/compiled.py", "import colorsys\n"),
        ],
    );
    with_each_python(|_, python| {
        let pyc = app.path().join("compiled.pyc");
        let compile = format!(
            "import py_compile; py_compile.compile({:?}, cfile={:?}, doraise=True)",
            app.path().join("src/compiled.py"),
            pyc
        );
        python_says(python, &compile);
        let mut request = script(app.path(), "main.py");
        const BOOT: &str = "import sys\nimport stat\n\ndef f():\n    import sched, colorsys\n";
        const PART: &str = "import _pyfreeze_boot\nimport bisect\n";
        request.extra_modules = vec![
            ExtraModule {
                name: "_pyfreeze_boot".to_owned(),
                source: BOOT.to_owned(),
                filename: None,
                lazy_imports: Some(vec!["colorsys".to_owned()]),
                bootstrap: true,
            },
            ExtraModule {
                name: "_pyfreeze_part".to_owned(),
                source: PART.to_owned(),
                filename: Some("<part>".to_owned()),
                lazy_imports: Some(Vec::new()),
                bootstrap: false,
            },
        ];
        let analysis = analyse(python, &request, None).unwrap();
        let modules = by_name(&analysis);

        let compiled = modules["compiled"];
        let on_disk = fs_err::read(&pyc).unwrap();
        let canonical = crate::marshal::canonical(&on_disk[16..], analysis.python.minor);
        assert_eq!(compiled.code.as_deref(), Some(&canonical.unwrap()[..]));
        assert!(compiled.source.is_none());
        assert!(modules.contains_key("colorsys"));

        let boot = modules["_pyfreeze_boot"];
        assert!(boot.bootstrap && boot.origin.is_none());
        assert!(contains(boot.code.as_deref().unwrap(), "_pyfreeze_boot.py"));
        assert_eq!(boot.source.as_deref(), Some(BOOT.as_bytes()));
        // Of the imports in its functions, only those listed count.
        assert!(!modules.contains_key("sched"));
        // `stat` is in CPython's own frozen set from 3.11 on.
        assert_eq!(modules["stat"].bootstrap, analysis.python.minor <= 10);
        // A part the boot module imports later: neither it nor what it imports is
        // in the frozen table, and none of it is cold.
        let part = modules["_pyfreeze_part"];
        assert!(contains(part.code.as_deref().unwrap(), "<part>"));
        for name in ["_pyfreeze_part", "bisect"] {
            assert!(!modules[name].bootstrap && !modules[name].cold, "{name}");
        }
    });
}

#[test]
fn output_is_reproducible() {
    let app = tempfile::tempdir().unwrap();
    write(
        app.path(),
        &[(
            "main.py",
            "import json, argparse\nprint('x' in {'a', 'b', 'c', 'x'})\n",
        )],
    );
    with_each_python(|_, python| {
        let request = script(app.path(), "main.py");
        let first = analyse(python, &request, None).unwrap();
        let second = analyse(python, &request, None).unwrap();
        let bytes = |a: &Analysis| -> Vec<_> {
            a.modules
                .iter()
                .map(|m| (m.name.clone(), m.bootstrap, m.code.clone()))
                .collect()
        };
        assert_eq!(bytes(&first), bytes(&second));
    });
}

/// What a build's display would have been told.
#[derive(Default)]
struct Recorded(std::cell::RefCell<Vec<(usize, usize)>>);

impl crate::progress::Progress for Recorded {
    fn step(&self, _: crate::progress::Step) {}
    fn compiled(&self, done: usize, total: usize) {
        self.0.borrow_mut().push((done, total));
    }
}

#[test]
fn the_compiling_is_reported_as_it_goes() {
    let app = tempfile::tempdir().unwrap();
    write(app.path(), &[("main.py", "import json, argparse\n")]);
    with_each_python(|_, python| {
        let recorded = Recorded::default();
        let request = script(app.path(), "main.py");
        let analysis = analyse_after(python, &request, None, &recorded, || Ok(())).unwrap();
        let seen = recorded.0.into_inner();
        let compiled = analysis
            .modules
            .iter()
            .filter(|m| m.kind == ModuleKind::Python)
            .count();
        // One report per module compiled, counting up, the total never below the count.
        let done: Vec<usize> = seen.iter().map(|&(done, _)| done).collect();
        assert_eq!(done, (1..=seen.len()).collect::<Vec<_>>());
        assert!(seen.iter().all(|&(done, total)| done <= total), "{seen:?}");
        assert_eq!(seen.last(), Some(&(compiled, compiled)), "{seen:?}");
    });
}

#[test]
fn a_wrapped_interpreter_without_shared_libpython() {
    let app = tempfile::tempdir().unwrap();
    write(
        app.path(),
        &[("main.py", "import greet\n"), ("greet.py", "")],
    );
    with_each_python(|_, python| {
        // A different -c that patches sysconfig, then runs the analysis from argv.
        let wrapper = app.path().join("python-wrapper");
        let prelude = "import sys, sysconfig\n\
                           sysconfig.get_config_vars()['Py_ENABLE_SHARED'] = 0\n\
                           exec(sys.argv[-1])\n";
        let text = format!(
            "#!/bin/sh\nexec '{}' -I -c \"{prelude}\" \"$@\"\n",
            python.display()
        );
        executable(&wrapper, &text);

        let analysis = analyse(&wrapper, &script(app.path(), "main.py"), None).unwrap();
        assert_eq!(analysis.python.libpython, None);
        assert!(by_name(&analysis).contains_key("greet"));
    });
}

#[test]
fn interpreter_failures() {
    let app = tempfile::tempdir().unwrap();
    let request = script(app.path(), "main.py");
    let error = analyse(&app.path().join("no-python"), &request, None).unwrap_err();
    assert!(matches!(error, AnalysisError::Spawn { .. }), "{error}");

    let failing = app.path().join("failing");
    executable(&failing, "#!/bin/sh\necho broken >&2\nexit 3\n");
    let error = analyse(&failing, &request, None).unwrap_err();
    assert!(
        matches!(&error, AnalysisError::Failed { status, stderr, .. } if status == "3" && stderr == "broken"),
        "{error}"
    );
}

#[test]
fn a_request_of_another_protocol_is_refused() {
    let app = tempfile::tempdir().unwrap();
    let request = script(app.path(), "main.py");
    with_each_python(|_, python| {
        let sent = Sent {
            protocol: PROTOCOL + 1,
            request: &request,
            cache: None,
        };
        let stdout = run(python, &sent, TIMEOUT, &crate::progress::Silent).unwrap();
        let error = split(python, &stdout).unwrap_err();
        assert!(
            matches!(&error, AnalysisError::Script(ScriptError::ProtocolMismatch { script, request: Some(sent) })
                    if *script == PROTOCOL && *sent == PROTOCOL + 1),
            "{error}"
        );
    });
}

#[test]
fn the_scanner_reads_imports_on_every_version() {
    let scan = PARTS.iter().find(|(name, _)| *name == "scan.py").unwrap();
    passes_on_every_version(&program(&[
        *scan,
        ("test_scan.py", include_str!("python/test_scan.py")),
    ]));
}

#[test]
fn optional_imports_are_told_on_every_version() {
    let parts: Vec<(&str, &str)> = PARTS
        .iter()
        .copied()
        .filter(|(name, _)| {
            [
                "protocol.py",
                "observe.py",
                "scan.py",
                "compile.py",
                "distributions.py",
            ]
            .contains(name)
        })
        .chain([("test_optional.py", include_str!("python/test_optional.py"))])
        .collect();
    passes_on_every_version(&program(&parts));
}

#[test]
fn evidence_is_matched_on_every_version() {
    let mut parts: Vec<(&str, &str)> = PARTS
        .iter()
        .copied()
        .filter(|(name, _)| *name != "main.py")
        .collect();
    parts.push(("test_evidence.py", include_str!("python/test_evidence.py")));
    passes_on_every_version(&program(&parts));
}

#[test]
fn entry_functions_are_told_on_every_version() {
    let mut parts: Vec<(&str, &str)> = PARTS
        .iter()
        .copied()
        .filter(|(name, _)| *name != "main.py")
        .collect();
    parts.push(("test_entry.py", include_str!("python/test_entry.py")));
    passes_on_every_version(&program(&parts));
}

/// Runs `tests`, a program that ends with unittest's run, with every interpreter: it must
/// pass on each.
fn passes_on_every_version(tests: &str) {
    with_each_python(|_, python| {
        // From stdin: as a `-c` argument it would meet the kernel's limit on one argument.
        let mut child = Command::new(python)
            .args(["-I", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(tests.as_bytes()).unwrap();
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        let report = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{report}");
        assert!(report.trim_end().ends_with("OK"), "{report}");
    });
}

#[test]
fn native_imports_are_found_on_every_version() {
    let part = |wanted: &str| *PARTS.iter().find(|(name, _)| *name == wanted).unwrap();
    passes_on_every_version(&program(&[
        part("observe.py"),
        part("native_imports.py"),
        (
            "test_native_imports.py",
            include_str!("python/test_native_imports.py"),
        ),
    ]));
}

/// Prints the top-level names that more than one of the parts on stdin (JSON, `[name,
/// text]` pairs) defines, as JSON.
const REDEFINED: &str = r#"
import ast, collections, json, sys
where = collections.defaultdict(list)
for name, text in json.load(sys.stdin):
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            where[node.name].append(name)
        for target in getattr(node, "targets", [getattr(node, "target", None)]):
            if isinstance(target, ast.Name):
                where[target.id].append(name)
print(json.dumps({n: files for n, files in where.items() if len(set(files)) > 1}))
"#;

/// Joined, the parts share one namespace: none may define a name another does, nor
/// use a part that comes after it.
#[test]
fn the_parts_join_into_one_program() {
    for (i, (name, text)) in PARTS.iter().enumerate() {
        for line in text.lines().filter(|l| l.starts_with("from .")) {
            let part = format!("{}.py", line["from .".len()..].split(' ').next().unwrap());
            assert!(
                PARTS[..i].iter().any(|(earlier, _)| *earlier == part),
                "{name} imports from {part}, which is not a part before it"
            );
        }
    }
    let program = program(&PARTS);
    assert!(!program.contains("\nfrom ."), "{program}");
    with_each_python(|_, python| {
        let mut child = Command::new(python)
            .args(["-I", "-c", REDEFINED])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let parts = serde_json::to_vec(&PARTS).unwrap();
        child.stdin.take().unwrap().write_all(&parts).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "{}");
    });
}

/// A cache of its own (outside the app: what is in the app directory is the app's).
fn open_cache() -> (tempfile::TempDir, Cache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path().join("cache")).unwrap();
    (dir, cache)
}

fn code_of(analysis: &Analysis) -> Vec<(String, Option<Vec<u8>>)> {
    analysis
        .modules
        .iter()
        .map(|m| (m.name.clone(), m.code.clone()))
        .collect()
}

#[test]
fn a_cached_answer_is_reused_while_what_it_read_is_unchanged() {
    with_each_python(|_, python| {
        let app = tempfile::tempdir().unwrap();
        write(
            app.path(),
            &[
                (
                    "main.py",
                    "import greet
import colorsys
",
                ),
                (
                    "greet.py",
                    "WHO = 'world'
",
                ),
            ],
        );
        let (_dir, cache) = open_cache();
        let request = script(app.path(), "main.py");
        let again = || analyse(python, &request, Some(&cache)).unwrap();

        let first = again();
        let Reuse::Code { cached, compiled } = first.reuse else {
            panic!("the first analysis ran: {:?}", first.reuse);
        };
        assert!(
            cached == 0 && compiled > 3,
            "{cached} cached, {compiled} compiled"
        );
        let second = again();
        assert_eq!(second.reuse, Reuse::Answer);
        assert_eq!(code_of(&second), code_of(&first));
        assert_eq!(second.python.libpython, first.python.libpython);

        // Same size, other contents, times as fresh as the cached answer's.
        write(
            app.path(),
            &[(
                "greet.py",
                "WHO = 'there'
",
            )],
        );
        let edited = again();
        assert_eq!(
            edited.reuse,
            Reuse::Code {
                cached: compiled - 1,
                compiled: 1
            }
        );
        assert!(contains(
            by_name(&edited)["greet"].code.as_deref().unwrap(),
            "there"
        ));
        assert_eq!(again().reuse, Reuse::Answer);

        // A module of the app's now shadows the standard library's.
        write(app.path(), &[("colorsys.py", "")]);
        let shadowed = again();
        assert!(matches!(shadowed.reuse, Reuse::Code { compiled: 1, .. }));
        assert_eq!(
            by_name(&shadowed)["colorsys"].origin.as_deref(),
            Some(app.path().join("colorsys.py").as_path())
        );

        // Another request is another answer, from cached code.
        let mut optimised = script(app.path(), "main.py");
        optimised.includes = vec!["greet".to_owned()];
        let other = analyse(python, &optimised, Some(&cache)).unwrap();
        assert!(
            matches!(other.reuse, Reuse::Code { compiled: 0, .. }),
            "{:?}",
            other.reuse
        );
    });
}

/// The evidence that a module opens its package's files by path comes from code the cache
/// holds and from the data files beside it: a new data file is a new answer.
#[test]
fn file_evidence_follows_the_code_and_the_data_files() {
    with_each_python(|_, python| {
        let app = tempfile::tempdir().unwrap();
        let langs = "import os\nHERE = os.path.dirname(__file__)\n\n\
                     def table():\n    return open(os.path.join(HERE, 'table.csv'))\n";
        write(
            app.path(),
            &[
                ("main.py", "import langs\n"),
                ("langs/__init__.py", langs),
                ("langs/notes.txt", ""),
            ],
        );
        let (_dir, cache) = open_cache();
        let request = script(app.path(), "main.py");
        let again = || analyse(python, &request, Some(&cache)).unwrap();
        let evidence = |analysis: &Analysis| by_name(analysis)["langs"].file_evidence.clone();

        let first = again();
        assert!(by_name(&first)["langs"].builds_path_from_file);
        assert!(!by_name(&first)["__main__"].builds_path_from_file);
        assert_eq!(evidence(&first), []);

        write(app.path(), &[("langs/table.csv", "a,b\n")]);
        let with_table = again();
        assert!(
            matches!(with_table.reuse, Reuse::Code { compiled: 0, .. }),
            "{:?}",
            with_table.reuse
        );
        let expected = [FileEvidence {
            constant: "table.csv".into(),
            data: "langs/table.csv".into(),
            package: "langs".into(),
            via: Via::File,
        }];
        assert_eq!(evidence(&with_table), expected);
        let cached = again();
        assert_eq!(cached.reuse, Reuse::Answer);
        assert_eq!(evidence(&cached), expected);
    });
}

#[test]
fn a_damaged_answer_or_code_entry_is_a_miss() {
    with_each_python(|_, python| {
        let app = tempfile::tempdir().unwrap();
        write(
            app.path(),
            &[
                (
                    "main.py",
                    "import greet
",
                ),
                ("greet.py", ""),
            ],
        );
        let (_dir, cache) = open_cache();
        let request = script(app.path(), "main.py");
        let first = analyse(python, &request, Some(&cache)).unwrap();
        let damage = |kind| {
            for entry in fs_err::read_dir(cache.dir(kind)).unwrap().flatten() {
                let mut bytes = fs_err::read(entry.path()).unwrap();
                let last = bytes.len() - 1;
                bytes[last] ^= 0xff;
                fs_err::write(entry.path(), bytes).unwrap();
            }
        };
        damage(cache::Kind::Analysis);
        let again = analyse(python, &request, Some(&cache)).unwrap();
        assert!(
            matches!(again.reuse, Reuse::Code { compiled: 0, .. }),
            "{:?}",
            again.reuse
        );
        damage(cache::Kind::Analysis);
        damage(cache::Kind::Code);
        let recompiled = analyse(python, &request, Some(&cache)).unwrap();
        assert_eq!(recompiled.reuse, first.reuse);
        assert_eq!(code_of(&recompiled), code_of(&first));
        assert_eq!(
            analyse(python, &request, Some(&cache)).unwrap().reuse,
            Reuse::Answer
        );
    });
}

#[test]
fn a_script_interpreter_never_reuses_an_answer() {
    let app = tempfile::tempdir().unwrap();
    write(
        app.path(),
        &[
            (
                "main.py",
                "import greet
",
            ),
            ("greet.py", ""),
        ],
    );
    with_each_python(|_, python| {
        // What a shim runs may change with no file it looked at changing.
        let shim = app.path().join("python-shim");
        executable(
            &shim,
            &format!("#!/bin/sh\nexec '{}' \"$@\"\n", python.display()),
        );
        let (_dir, cache) = open_cache();
        let request = script(app.path(), "main.py");
        analyse(&shim, &request, Some(&cache)).unwrap();
        let second = analyse(&shim, &request, Some(&cache)).unwrap();
        assert!(
            matches!(second.reuse, Reuse::Code { compiled: 0, .. }),
            "{:?}",
            second.reuse
        );
    });
}

fn parse(interpreter: &Path, stdout: &[u8]) -> Result<Analysis, AnalysisError> {
    let (manifest, blobs) = split(interpreter, stdout)?;
    into_analysis(interpreter, manifest, blobs, Reuse::None)
}

fn answer(manifest: &str, blobs: &[u8]) -> Vec<u8> {
    let mut out = (manifest.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(manifest.as_bytes());
    out.extend_from_slice(blobs);
    out
}

const PYTHON: &str =
    r#"{"version":"3.11.7","major":3,"minor":11,"magic":[167,13,13,10],"libpython":null}"#;

#[test]
fn answers_are_checked() {
    let python = Path::new("python");
    let manifest_of = |kind: &str, code: &str| {
        format!(
            r#"{{"manifest":{{"python":{PYTHON},"modules":[{{"name":"m","kind":"{kind}","is_package":true,"bootstrap":false,"locale_codec":false,"cold":false,"origin":null,"code":{code},"source":null,"builds_path_from_file":false,"file_evidence":[],"native_importers":[],"stdlib":false,"brought_by":null}}],"data":[],"app_data":[],"missing":[],"errors":[],"left_out":[],"native_import_failures":[],"not_utf8":[],"code_cache":null,"deps":null}}}}"#
        )
    };
    let manifest = |code: &str| manifest_of("python", code);
    let namespace = parse(python, &answer(&manifest_of("namespace", "null"), b"")).unwrap();
    assert_eq!(namespace.modules[0].kind, ModuleKind::Namespace);
    assert_eq!(namespace.python.magic, [0xa7, 0x0d, 0x0d, 0x0a]);
    // The marshalled int 5 flagged as shared, which no reference needs: the flag goes.
    let ok = parse(
        python,
        &answer(
            &manifest(r#"{"offset":1,"len":5}"#),
            b"x\xe9\x05\x00\x00\x00",
        ),
    )
    .unwrap();
    assert_eq!(
        ok.modules[0].code.as_deref(),
        Some(&b"i\x05\x00\x00\x00"[..])
    );

    for (out, what) in [
        (
            answer(&manifest(r#"{"offset":2,"len":3}"#), b"xabc"),
            "lies outside the 4-byte blob region",
        ),
        (
            answer(&manifest(r#"{"offset":18446744073709551615,"len":2}"#), b""),
            "lies outside",
        ),
        (answer(&manifest("null"), b""), "has no code"),
        (
            answer(
                &manifest_of("namespace", r#"{"offset":1,"len":1}"#),
                b"xNNN",
            ),
            "namespace package `m` has code",
        ),
        (
            answer(&manifest(r#"{"offset":1,"len":3}"#), b"xNNN"),
            "the code of module `m` is not what marshal writes: 2 bytes follow",
        ),
        (b"\x01\x02".to_vec(), "too short"),
        (answer("{}", b"")[..9].to_vec(), "only 1 bytes follow"),
        (answer("{}", b""), "not valid"),
    ] {
        let error = parse(python, &out).unwrap_err();
        assert!(
            matches!(&error, AnalysisError::Protocol { what: w, .. } if w.contains(what)),
            "{error} (expected {what})"
        );
    }

    let syntax = r#"{"failed":{"error":"syntax","module":"app","file":"/a.py","line":null,"message":"bad"}}"#;
    let error = parse(python, &answer(syntax, b"")).unwrap_err();
    assert_eq!(error.to_string(), "/a.py:?: bad (in module `app`)");
    assert_eq!(
        crate::fault::Help::help(&error).as_deref(),
        Some("fix the error and build again")
    );
    let unknown = r#"{"failed":{"error":"no_such_error"}}"#;
    let error = parse(python, &answer(unknown, b"")).unwrap_err();
    assert!(matches!(error, AnalysisError::Protocol { .. }), "{error}");
}
