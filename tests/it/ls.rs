//! (g) `pyfreeze ls` on a real bundle: the JSON parses and lists the app's modules,
//! libpython and how the codecs are stored; the human output names the Python version
//! and marks the locale codecs. Its table, tree, filters and totals, a module's source
//! and disassembly (by each interpreter, of its own bytecode) and `--extract`; the
//! outputs and messages are snapshots taken with the newest interpreter.

use std::ffi::OsStr;
use std::fs;
use std::path::Path;

use pyfreeze_tests::{
    bundle, bundle_with, copy_example, entries_of, examples_dir, for_each_interpreter,
    interpreters, list_tree, ls_json, newest_interpreter, pyenv_root, pyfreeze, pyfreeze_env,
    run_python, say, scratch_root, tempdir, test_name, Env, Interpreter, Output, Status,
};
use serde_json::Value;

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        _ => {}
    }
}

#[test]
fn ls_lists_the_bundle() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle("hello", python)?;
        let dir = frozen.exe.parent().expect("exe in a directory");
        let mut problems = Vec::new();

        match ls_json(&frozen.exe) {
            Err(e) => problems.push(format!("{python}: {e}")),
            Ok(value) => {
                let found = entries_of(&value);
                for (kind, name) in [("module", "__main__"), ("module", "greet")] {
                    if !found.iter().any(|(k, n)| k == kind && n == name) {
                        problems.push(format!(
                            "{python}: pyfreeze ls --json lists no {kind} {name:?}; entries: {found:?}"
                        ));
                    }
                }
                if !found.iter().any(|(k, _)| k == "libpython") {
                    problems.push(format!(
                        "{python}: pyfreeze ls --json lists no libpython entry; entries: {found:?}"
                    ));
                }
                // Hello's codecs: the start-up ones raw in the frozen table, the others
                // compressed, for the table only in a locale of their encoding.
                for (name, bootstrap, locale_codec, compression) in [
                    ("encodings.utf_8", true, false, "none"),
                    ("encodings.koi8_r", false, true, "zstd"),
                ] {
                    let entry = value["entries"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|e| e["kind"] == "module" && e["name"] == name);
                    let listed = entry.map(|e| {
                        (
                            e["bootstrap"].as_bool(),
                            e["locale_codec"].as_bool(),
                            e["compression"].as_str(),
                        )
                    });
                    if listed != Some((Some(bootstrap), Some(locale_codec), Some(compression))) {
                        problems.push(format!(
                            "{python}: module {name} should be listed with bootstrap \
                             {bootstrap}, locale_codec {locale_codec}, compression \
                             {compression}; found {entry:?}"
                        ));
                    }
                }
                let mut all = Vec::new();
                strings(&value, &mut all);
                if !all.iter().any(|s| s == &python.version) {
                    problems.push(format!(
                        "{python}: pyfreeze ls --json does not give the Python version {}",
                        python.version
                    ));
                }
            }
        }

        let human = pyfreeze(&[OsStr::new("ls"), frozen.exe.as_os_str()], dir);
        if human.status != Status::Code(0)
            || !human.stdout.contains(&python.version)
            || !human.stdout.contains("__main__")
            || !human.stdout.contains("greet")
            || !human.stdout.contains("encodings.koi8_r  (locale codec)")
        {
            problems.push(format!(
                "{python}: pyfreeze ls should succeed and show the version {}, __main__, greet \
                 and the locale codec encodings.koi8_r\n{human}",
                python.version
            ));
        }
        Ok(problems)
    });
}

/// `pyfreeze ls <exe> <args>`.
fn ls(exe: &Path, args: &[&str]) -> Output {
    ls_env(exe, args, &[])
}

fn ls_env(exe: &Path, args: &[&str], env: &Env<'_>) -> Output {
    let mut all = vec![OsStr::new("ls"), exe.as_os_str()];
    all.extend(args.iter().map(OsStr::new));
    pyfreeze_env(&all, exe.parent().expect("exe in a directory"), env)
}

/// `out`'s stdout, which must be a success's.
fn succeeded(out: &Output) -> &str {
    assert_eq!(out.status, Status::Code(0), "pyfreeze ls failed\n{out}");
    &out.stdout
}

/// `out`'s stderr, which must be a user error's (exit 1) with nothing on stdout.
fn refused(out: &Output) -> &str {
    assert_eq!(
        out.status,
        Status::Code(1),
        "pyfreeze ls should refuse\n{out}"
    );
    assert!(out.stdout.is_empty(), "a refusal printed on stdout\n{out}");
    &out.stderr
}

/// Snapshots `text`, what `pyfreeze ls` said of a bundle of `python`'s, with what
/// differs between machines and versions filtered: the scratch paths, the version, the
/// magic number, sizes (which depend on the bytecode) and code objects' addresses.
fn snapshot(name: &str, text: &str, python: &Interpreter) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(
        &regex::escape(&scratch_root().to_string_lossy()),
        "[SCRATCH]",
    );
    settings.add_filter(r"\[SCRATCH\]/[^/\s]+", "[TMP]");
    if let Some(root) = pyenv_root() {
        settings.add_filter(&regex::escape(&root.to_string_lossy()), "[PYENV]");
    }
    settings.add_filter(r"\[PYENV\]/versions/[^/\s]+", "[PYENV]/versions/[V]");
    settings.add_filter(&regex::escape(&python.version), "[VERSION]");
    settings.add_filter(&regex::escape(&python.minor_version()), "[MINOR]");
    settings.add_filter(r"magic [0-9a-f]{8}", "magic [MAGIC]");
    settings.add_filter(r#""magic": "[0-9a-f]{8}""#, r#""magic": "[MAGIC]""#);
    // With the padding before them, which varies with their width.
    settings.add_filter(r" +\d+(\.\d)? (B|kB|MB)\b", " [SIZE]");
    settings.add_filter(r"\(\d+(\.\d)? (B|kB|MB)\b", "([SIZE]");
    settings.add_filter(
        r#""(stored|original|stub_size|crc32)": \d+"#,
        r#""$1": [N]"#,
    );
    settings.add_filter(r" at 0x[0-9a-f]+", " at [ADDR]");
    // What the machine's glibc and libraries make it: tests/it/target.rs checks it.
    settings.add_filter(r"(?m)^target:  .*$", "target:  [TARGET]");
    settings.add_filter(r#"(?s)"target": \{.*?\n  \},"#, r#""target": [TARGET],"#);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// The `BY PACKAGE` table that ends a human listing: `(package, stored)`.
fn package_totals(listing: &str) -> Vec<(String, u64)> {
    listing
        .lines()
        .skip_while(|line| !line.starts_with("BY PACKAGE"))
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let stored = fields[fields.len() - 2].parse().expect("a byte count");
            (fields[..fields.len() - 3].join(" "), stored)
        })
        .collect()
}

#[test]
fn ls_tables_trees_and_filters() {
    let python = newest_interpreter();
    let frozen = bundle("package_app", python).expect("package_app builds");
    let exe = &frozen.exe;

    let flat = ls(exe, &["shop*"]);
    snapshot("flat-shop", succeeded(&flat), python);
    let tree = ls(exe, &["--tree", "--name", "shop*"]);
    snapshot("tree-shop", succeeded(&tree), python);
    let sources = ls(exe, &["--kind", "source", "--name", "shop.orders*"]);
    snapshot("sources-of-shop-orders", succeeded(&sources), python);

    // The whole listing: only extension modules with --kind, and totals by package that
    // add up to what the listing holds, largest first.
    let extensions = ls(exe, &["--kind", "extension", "--bytes"]);
    let kinds: Vec<&str> = succeeded(&extensions)
        .lines()
        .skip_while(|line| !line.starts_with("KIND"))
        .skip(1)
        .take_while(|line| !line.is_empty())
        .map(|line| line.split_whitespace().next().unwrap_or_default())
        .collect();
    assert!(
        !kinds.is_empty() && kinds.iter().all(|k| *k == "extension"),
        "--kind extension listed {kinds:?}\n{extensions}"
    );
    let all = ls(exe, &["--bytes"]);
    let totals = package_totals(succeeded(&all));
    // The largest packages by name, then the others summed on one line.
    let named = &totals[..totals.len().saturating_sub(1)];
    assert!(
        named.len() == 15
            && named.windows(2).all(|w| w[0].1 >= w[1].1)
            && named[0].0 == "(libpython)"
            && totals
                .last()
                .is_some_and(|(rest, _)| rest.ends_with(" more)")),
        "the totals by package should be the 15 largest, largest first, then the others: \
         {totals:?}\n{all}"
    );
    let listing = ls_json(exe).expect("ls --json");
    let json_total: u64 = listing["totals"]["by_package"]
        .as_array()
        .expect("by_package")
        .iter()
        .map(|p| p["stored"].as_u64().expect("stored"))
        .sum();
    let human_total: u64 = totals.iter().map(|(_, stored)| stored).sum();
    assert_eq!(json_total, human_total, "the human and JSON totals differ");
}

#[test]
fn ls_json_has_a_schema_version() {
    let python = newest_interpreter();
    let frozen = bundle("package_app", python).expect("package_app builds");
    let json = ls(&frozen.exe, &["--json", "--name", "shop.pricing*"]);
    let value: Value = serde_json::from_str(succeeded(&json)).expect("JSON");
    assert_eq!(value["schema_version"], 1, "{json}");
    snapshot("json-shop-pricing", &json.stdout, python);
}

#[test]
fn ls_prints_a_module_s_source_and_a_data_file() {
    let python = newest_interpreter();
    let frozen = bundle("package_app", python).expect("package_app builds");
    let app = examples_dir().join("package_app");
    for (module, file) in [
        ("shop.pricing.tax", "shop/pricing/tax.py"),
        ("shop", "shop/__init__.py"),
        ("__main__", "main.py"),
    ] {
        let printed = ls(&frozen.exe, &[module]);
        let original = fs::read_to_string(app.join(file)).expect("read the example");
        assert_eq!(
            succeeded(&printed),
            original,
            "pyfreeze ls BIN {module} should print {file}"
        );
    }
}

#[test]
fn ls_disassembles_a_module_bundled_without_source() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_with("hello", python, &["--no-source"], || copy_example("hello"))?;
        let mut problems = Vec::new();
        let python_path = python.path.to_string_lossy();
        // With the interpreter given, and as `pyfreeze ls` finds one of the version.
        for args in [vec!["greet", "--python", &python_path], vec!["greet"]] {
            let out = ls(&frozen.exe, &args);
            let names = ["greeting", "DEFAULT_NAME", "format"];
            if out.status != Status::Code(0) || !names.iter().all(|n| out.stdout.contains(n)) {
                problems.push(format!(
                    "{python}: `pyfreeze ls BIN {}` should disassemble greet, naming {names:?}\n{out}",
                    args.join(" ")
                ));
            }
        }
        Ok(problems)
    });
}

#[test]
fn ls_dis_of_a_bundled_source_and_the_wrong_python() {
    let pythons = interpreters();
    let python = newest_interpreter();
    let frozen = bundle("hello", python).expect("hello builds");
    let dis = ls(&frozen.exe, &["greet", "--dis"]);
    assert!(
        succeeded(&dis).contains("LOAD_CONST") && dis.stdout.contains("greeting"),
        "--dis should disassemble greet although its source is bundled\n{dis}"
    );
    // Nothing on PATH, an empty pyenv root: no Python of the version.
    let empty = tempdir("no-pythons");
    let root = empty.path().to_string_lossy();
    let none = ls_env(
        &frozen.exe,
        &["greet", "--dis"],
        &[("PATH", Some(&root)), ("PYENV_ROOT", Some(&root))],
    );
    snapshot("no-python", refused(&none), python);
    let Some(other) = pythons
        .iter()
        .find(|p| p.version_info != python.version_info)
    else {
        say("ls_dis_of_a_bundled_source_and_the_wrong_python: one interpreter only, the wrong one not tried");
        return;
    };
    let wrong = ls(
        &frozen.exe,
        &["greet", "--dis", "--python", &other.path.to_string_lossy()],
    );
    let message = refused(&wrong)
        .replace(&other.path.to_string_lossy().into_owned(), "[OTHER_PYTHON]")
        .replace(&other.minor_version(), "[OTHER]");
    snapshot("wrong-python", &message, python);
}

#[test]
fn ls_refuses_what_it_cannot_do() {
    let python = newest_interpreter();
    let frozen = bundle("package_app", python).expect("package_app builds");
    for (name, args) in [
        ("no-such-module", &["shop.nowhere"][..]),
        ("bad-pattern", &["--name", "shop[.*"][..]),
        ("bad-kind", &["--kind", "modules"][..]),
    ] {
        let out = ls(&frozen.exe, args);
        snapshot(name, refused(&out), python);
    }
}

#[test]
fn ls_extracts_sources_and_bytecode() {
    let python = newest_interpreter();
    let frozen = bundle("package_app", python).expect("package_app builds");
    let scratch = tempdir("extract");
    let dir = scratch.path().join("out");
    let out = ls(&frozen.exe, &["--extract", &dir.to_string_lossy()]);
    succeeded(&out);
    let app = examples_dir().join("package_app");
    for file in list_tree(&app.join("shop")) {
        if file.extension().is_some_and(|e| e == "py") {
            let extracted = fs::read(dir.join("shop").join(&file)).unwrap_or_default();
            let original = fs::read(app.join("shop").join(&file)).expect("read the example");
            assert!(
                extracted == original,
                "shop/{} was not extracted as it is\n{out}",
                file.display()
            );
        }
    }
    assert_eq!(
        fs::read(dir.join("__main__.py")).ok(),
        fs::read(app.join("main.py")).ok(),
        "main.py should be extracted as __main__.py"
    );
    let leftovers: Vec<_> = fs::read_dir(scratch.path())
        .expect("read the scratch directory")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(leftovers, ["out"], "extracting left files beside DIR");

    // Again into the now non-empty directory: refused, and it is left as it was.
    let before = list_tree(&dir);
    let again = ls(&frozen.exe, &["--extract", &dir.to_string_lossy()]);
    snapshot("extract-into-a-non-empty-dir", refused(&again), python);
    assert_eq!(list_tree(&dir), before, "a refused --extract changed DIR");

    // Without sources, bytecode that the bundle's Python imports from the tree.
    let sourceless = bundle_with("package_app", python, &["--no-source"], || {
        copy_example("package_app")
    })
    .expect("package_app builds --no-source");
    let pyc_dir = scratch.path().join("pyc");
    succeeded(&ls(
        &sourceless.exe,
        &["--extract", &pyc_dir.to_string_lossy()],
    ));
    assert!(pyc_dir.join("shop/pricing/tax.pyc").is_file());
    let imported = run_python(
        python,
        &pyc_dir,
        &[
            "-c",
            "import shop.pricing.tax as t; print(t.price_with_tax(1000, 'food'))",
        ],
        None,
        &[],
    );
    assert_eq!(
        imported.stdout.trim(),
        "1070",
        "the extracted .pyc files should import\n{imported}"
    );
}
