//! Target machines: the build summary and `pyfreeze ls` say which glibc and which system
//! libraries a bundle needs, as `readelf` reads them from the bundle's own native code;
//! `--min-glibc` refuses a bundle that needs more; and the bundle runs in a root file
//! system that holds only the system libraries the requirement names, and no Python.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use object::read::elf::{FileHeader, ProgramHeader};
use pyfreeze_archive::{Bundle, Kind};
use pyfreeze_tests::{
    build_args, bundle, for_each_interpreter, list_tree, ls_json, newest_interpreter, pyfreeze,
    run, tempdir, test_name, unshare_unavailable, Interpreter, Status, TempDir,
};
use serde_json::Value;

/// The architecture as pyfreeze names it.
fn arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "x86-64",
        "aarch64" => "AArch64",
        other => other,
    }
}

/// A glibc version as numbers, for comparing.
fn numbers(version: &str) -> Option<Vec<u32>> {
    version.split('.').map(|part| part.parse().ok()).collect()
}

/// What `readelf` says one object asks of the system.
#[derive(Debug, Default)]
struct Needs {
    needed: Vec<String>,
    /// The newest `GLIBC_x.y` it asks for, as "x.y".
    glibc: Option<String>,
}

/// `readelf --dynamic --version-info` on `file`, parsed: the DT_NEEDED names, and the
/// newest GLIBC_ version in the version needs section (not the definitions, whose
/// "Name:" lines are the object's own versions).
fn readelf(file: &Path) -> Result<Needs, String> {
    let mut cmd = Command::new("readelf");
    cmd.args(["--dynamic", "--version-info", "--wide"])
        .arg(file);
    let out = run(cmd, None);
    if out.status != Status::Code(0) {
        return Err(format!("readelf {} failed\n{out}", file.display()));
    }
    let mut needs = Needs::default();
    let mut in_needs = false;
    for line in out.stdout.lines() {
        if line.starts_with("Version ") {
            in_needs = line.starts_with("Version needs section");
        }
        if let Some((_, rest)) = line.split_once("(NEEDED)") {
            if let Some(name) = rest.split_once('[').and_then(|(_, n)| n.split_once(']')) {
                needs.needed.push(name.0.to_owned());
            }
        }
        let version = line
            .split_once("Name: GLIBC_")
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .filter(|v| in_needs && numbers(v).is_some());
        if let Some(version) = version {
            if needs
                .glibc
                .as_deref()
                .is_none_or(|newest| numbers(version) > numbers(newest))
            {
                needs.glibc = Some(version.to_owned());
            }
        }
    }
    Ok(needs)
}

/// What `readelf` says the bundle `exe` needs: each object's needs (the stub in front of
/// the archive, libpython, the extension modules and the libraries, written out to `dir`),
/// and the names of the libraries the bundle carries.
fn independent(
    exe: &Path,
    dir: &Path,
) -> Result<(BTreeMap<String, Needs>, BTreeSet<String>), String> {
    let bytes = fs::read(exe).map_err(|e| format!("{}: {e}", exe.display()))?;
    let bundle = Bundle::parse(&bytes).map_err(|e| format!("{}: {e}", exe.display()))?;
    let stub = &bytes[..bundle.archive_start() as usize];
    let mut objects = vec![("pyfreeze-stub".to_owned(), stub.to_vec())];
    let mut bundled = BTreeSet::new();
    for kind in [Kind::LibPython, Kind::Extension, Kind::Library] {
        for index in bundle.kind_range(kind) {
            let entry = bundle.entry(index).map_err(|e| e.to_string())?;
            let contents = entry.contents().map_err(|e| e.to_string())?;
            if kind != Kind::Extension {
                bundled.insert(entry.name.to_owned());
            }
            objects.push((entry.name.to_owned(), contents.into_owned()));
        }
    }
    let mut needs = BTreeMap::new();
    for (name, contents) in objects {
        let file = dir.join(&name);
        fs::write(&file, contents).map_err(|e| format!("{}: {e}", file.display()))?;
        needs.insert(name, readelf(&file)?);
    }
    Ok((needs, bundled))
}

/// The newest glibc any of `needs` asks for, and the libraries they need that the bundle
/// does not carry.
fn requirement(
    needs: &BTreeMap<String, Needs>,
    bundled: &BTreeSet<String>,
) -> (String, BTreeSet<String>) {
    let glibc = needs
        .values()
        .filter_map(|n| n.glibc.as_deref())
        .max_by_key(|v| numbers(v))
        .unwrap_or_default()
        .to_owned();
    let system = needs
        .values()
        .flat_map(|n| &n.needed)
        .filter(|name| !bundled.contains(*name))
        .cloned()
        .collect();
    (glibc, system)
}

/// The names `pyfreeze ls --json` gives as the bundle's system libraries.
fn listed_system_libraries(listing: &Value) -> BTreeSet<String> {
    listing["target"]["system_libraries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["name"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn the_summary_and_ls_say_which_glibc_and_system_libraries_the_bundle_needs() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle("hello", python)?;
        let dir = tempdir("target-objects");
        let (needs, bundled) = independent(&frozen.exe, dir.path())?;
        let (glibc, system) = requirement(&needs, &bundled);
        let mut problems = Vec::new();
        if glibc.is_empty() || system.is_empty() {
            problems.push(format!(
                "{python}: readelf finds no GLIBC_ version or no system library in the bundle: {needs:?}"
            ));
        }

        let summary = frozen
            .build
            .stderr
            .lines()
            .find_map(|l| l.strip_prefix("runs on "))
            .unwrap_or_default();
        let expected = format!("Linux {} with glibc ≥ {glibc}; system libraries: ", arch());
        if !summary.starts_with(&expected)
            || system.iter().any(|lib| !summary.contains(lib.as_str()))
        {
            problems.push(format!(
                "{python}: the build summary should say `runs on {expected}...` naming {system:?}\n{}",
                frozen.build
            ));
        }

        let listing = ls_json(&frozen.exe)?;
        let target = &listing["target"];
        if target["glibc"] != glibc.as_str() || target["arch"] != arch() {
            problems.push(format!(
                "{python}: pyfreeze ls --json says {} on {}, readelf glibc {glibc} on {}",
                target["glibc"],
                target["arch"],
                arch()
            ));
        }
        let listed = listed_system_libraries(&listing);
        if listed != system {
            problems.push(format!(
                "{python}: pyfreeze ls --json lists the system libraries {listed:?}, readelf {system:?}"
            ));
        }
        for object in target["objects"].as_array().into_iter().flatten() {
            let name = object["name"].as_str().unwrap_or_default();
            let theirs = needs.get(name).and_then(|n| n.glibc.as_deref());
            if object["glibc"]["version"].as_str() != theirs {
                problems.push(format!(
                    "{python}: pyfreeze ls --json says {name} needs glibc {}, readelf {theirs:?}",
                    object["glibc"]["version"]
                ));
            }
        }
        let listed_objects = target["objects"].as_array().map_or(0, Vec::len);
        if listed_objects != needs.len() {
            problems.push(format!(
                "{python}: pyfreeze ls --json gives {listed_objects} objects' needs, the bundle has {}",
                needs.len()
            ));
        }

        let human = pyfreeze(&[OsStr::new("ls"), frozen.exe.as_os_str()], dir.path());
        let header = format!("target:  {summary}\n");
        if human.status != Status::Code(0) || !human.stdout.contains(&header) {
            problems.push(format!(
                "{python}: pyfreeze ls should show `{}` as the summary does\n{human}",
                header.trim_end()
            ));
        }
        Ok(problems)
    });
}

/// A scratch directory with an empty `out/`, where a refused build must write nothing.
fn scene(name: &str) -> (TempDir, PathBuf) {
    let dir = tempdir(name);
    let out = dir.path().join("out");
    fs::create_dir(&out).expect("mkdir out");
    (dir, out)
}

fn snapshot(name: &str, dir: &Path, stderr: &str, filters: &[(&str, &str)]) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex::escape(&dir.to_string_lossy()), "[TMP]");
    for (filter, to) in filters {
        settings.add_filter(filter, *to);
    }
    settings.bind(|| insta::assert_snapshot!(name, stderr));
}

/// Builds `examples/hello` into `out/hello` with `extra` arguments.
fn build_hello(
    python: &Interpreter,
    dir: &Path,
    out: &Path,
    extra: &[&str],
) -> pyfreeze_tests::Output {
    let app = pyfreeze_tests::copy_example("hello");
    let output = out.join("hello");
    let mut args = build_args(&app.path, &output, &python.path);
    args.extend(extra.iter().map(OsStr::new));
    pyfreeze(&args, dir)
}

#[test]
fn min_glibc_refuses_a_bundle_that_needs_more_and_writes_nothing() {
    let test = test_name!();
    let python = newest_interpreter();
    let frozen = bundle("hello", python).unwrap_or_else(|e| panic!("{e}"));
    let objects = tempdir("target-objects");
    let (needs, bundled) =
        independent(&frozen.exe, objects.path()).unwrap_or_else(|e| panic!("{e}"));
    let (glibc, _) = requirement(&needs, &bundled);

    let (dir, out) = scene("min-glibc");
    let refused = build_hello(python, dir.path(), &out, &["--min-glibc", "2.2.5"]);
    assert_eq!(refused.status, Status::Code(1), "{refused}");
    assert_eq!(
        list_tree(&out),
        Vec::<PathBuf>::new(),
        "a refused build wrote\n{refused}"
    );
    // Every object that asks for more than 2.2.5, each with its newest GLIBC_ version.
    let mut culprits: Vec<(&String, &str)> = needs
        .iter()
        .filter_map(|(name, n)| Some((name, n.glibc.as_deref()?)))
        .filter(|(_, v)| numbers(v) > numbers("2.2.5"))
        .collect();
    culprits.sort_by(|a, b| numbers(b.1).cmp(&numbers(a.1)).then(a.0.cmp(b.0)));
    let named: Vec<String> = culprits
        .iter()
        .map(|(name, version)| format!("{name} (GLIBC_{version})"))
        .collect();
    let first = format!(
        "error: the bundle needs glibc {glibc}, newer than --min-glibc 2.2.5: {}\n",
        named.join(", ")
    );
    assert!(
        refused.stderr.starts_with(&first),
        "expected {first}\n{refused}"
    );
    // Which objects, and what they need, is this machine's: checked above.
    snapshot(
        test,
        dir.path(),
        &refused.stderr,
        &[(
            r"glibc [\d.]+, newer than --min-glibc 2\.2\.5: .*",
            "glibc [NEEDED], newer than --min-glibc 2.2.5: [OBJECTS (GLIBC_VERSION), ...]",
        )],
    );

    let enough = build_hello(python, dir.path(), &out, &["--min-glibc", &glibc]);
    assert_eq!(
        enough.status,
        Status::Code(0),
        "--min-glibc {glibc} should build\n{enough}"
    );
}

#[test]
fn a_malformed_min_glibc_is_refused() {
    let (dir, out) = scene("min-glibc-malformed");
    let refused = build_hello(
        newest_interpreter(),
        dir.path(),
        &out,
        &["--min-glibc", "2.x"],
    );
    assert_eq!(refused.status, Status::Code(1), "{refused}");
    assert_eq!(
        list_tree(&out),
        Vec::<PathBuf>::new(),
        "a refused build wrote\n{refused}"
    );
    snapshot(test_name!(), dir.path(), &refused.stderr, &[]);
}

/// Where this machine's loader finds `soname`, as its cache says (`ldconfig -p`).
fn host_library(soname: &str) -> Option<PathBuf> {
    let listing = ["ldconfig", "/sbin/ldconfig"].iter().find_map(|ldconfig| {
        let out = Command::new(ldconfig).arg("-p").output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    })?;
    // Only this architecture's: the cache may list a 32-bit libc.so.6 too.
    let arch_tag = std::env::consts::ARCH.replace('_', "-");
    listing.lines().find_map(|line| {
        let (name, path) = line.trim().split_once(" => ")?;
        let ours = name.split_whitespace().next() == Some(soname) && name.contains(&arch_tag);
        ours.then(|| PathBuf::from(path))
    })
}

/// The program interpreter (PT_INTERP) the kernel starts `exe` with.
fn program_interpreter(exe: &Path) -> Result<PathBuf, String> {
    let bytes = fs::read(exe).map_err(|e| format!("{}: {e}", exe.display()))?;
    let header = object::elf::FileHeader64::<object::Endianness>::parse(&*bytes)
        .map_err(|e| e.to_string())?;
    let endian = header.endian().map_err(|e| e.to_string())?;
    for segment in header
        .program_headers(endian, &*bytes)
        .map_err(|e| e.to_string())?
    {
        if let Some(path) = segment
            .interpreter(endian, &*bytes)
            .map_err(|e| e.to_string())?
        {
            return Ok(PathBuf::from(String::from_utf8_lossy(path).into_owned()));
        }
    }
    Err(format!("{} has no program interpreter", exe.display()))
}

/// Copies `file` (links followed) to the same path under `root`.
fn copy_into(root: &Path, file: &Path) -> Result<(), String> {
    let to = root.join(file.strip_prefix("/").unwrap_or(file));
    fs::create_dir_all(to.parent().expect("a file in a directory")).map_err(|e| e.to_string())?;
    fs::copy(file, &to).map_err(|e| format!("copy {} to {}: {e}", file.display(), to.display()))?;
    Ok(())
}

/// `exe` run as `/app` in a root file system made of it, the loader and `libraries`, with
/// the host's /proc (the stub reads itself through /proc/self/exe).
fn run_in_root(
    exe: &Path,
    loader: &Path,
    libraries: &[PathBuf],
) -> Result<pyfreeze_tests::Output, String> {
    let root = tempdir("target-root");
    copy_into(root.path(), loader)?;
    for library in libraries {
        copy_into(root.path(), library)?;
    }
    fs::copy(exe, root.path().join("app")).map_err(|e| e.to_string())?;
    fs::create_dir(root.path().join("proc")).map_err(|e| e.to_string())?;
    let mut cmd = Command::new("unshare");
    cmd.args([
        "-mr",
        "sh",
        "-c",
        r#"mount --rbind /proc "$1/proc" && exec chroot "$1" /app Ada"#,
        "sh",
    ])
    .arg(root.path());
    Ok(run(cmd, None))
}

#[test]
fn runs_in_a_root_file_system_of_only_the_system_libraries_it_names() {
    let test = test_name!();
    if let Some(why) = unshare_unavailable() {
        panic!("{test}: cannot make a root file system: {why}");
    }
    for_each_interpreter(test, |python| {
        let frozen = bundle("hello", python)?;
        let loader = program_interpreter(&frozen.exe)?;
        let names = listed_system_libraries(&ls_json(&frozen.exe)?);
        let mut libraries = Vec::new();
        for name in &names {
            let path = host_library(name).ok_or_else(|| {
                format!("{python}: the requirement names {name}, which ldconfig -p does not know")
            })?;
            libraries.push(path);
        }
        let mut problems = Vec::new();
        let out = run_in_root(&frozen.exe, &loader, &libraries)?;
        if out.status != Status::Code(0) || out.stdout != "Hello, Ada!\n" {
            problems.push(format!(
                "{python}: hello should greet Ada in a root file system of {} and {libraries:?}\n{out}",
                loader.display()
            ));
        }
        // Each library named is needed: without it the bundle does not start.
        for (at, name) in names.iter().enumerate() {
            if libraries[at].file_name() == loader.file_name() {
                continue;
            }
            let mut fewer = libraries.clone();
            fewer.remove(at);
            let out = run_in_root(&frozen.exe, &loader, &fewer)?;
            if out.status == Status::Code(0) || !out.stderr.contains(name.as_str()) {
                problems.push(format!(
                    "{python}: without {name}, the bundle should fail to start, naming it\n{out}"
                ));
            }
        }
        Ok(problems)
    });
}
