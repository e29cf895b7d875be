//! The binaries under test, built for the profile the tests were built with, and where the
//! repository is.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::processes::{run_command, Status};

/// The binaries under test.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// `target/<profile>/pyfreeze`.
    pub pyfreeze: PathBuf,
    /// `target/<profile>/pyfreeze-stub`.
    pub stub: PathBuf,
    /// `target/`.
    pub target_dir: PathBuf,
}

/// The repository root (the workspace).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_owned()
}

/// `examples/` in the repository. Never run or freeze in place: use [`copy_example`](crate::copy_example).
pub fn examples_dir() -> PathBuf {
    workspace_root().join("examples")
}

/// `(target dir, profile dir, target triple if any)` of the running test executable
/// (`target/[<triple>/]<profile>/deps/<test>-<hash>`).
pub(crate) fn target_layout() -> (PathBuf, PathBuf, Option<String>) {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("test executable has a directory");
    let profile_dir = if deps.file_name() == Some(OsStr::new("deps")) {
        deps.parent().expect("deps/ has a parent").to_owned()
    } else {
        deps.to_owned()
    };
    let above = profile_dir.parent().expect("profile dir has a parent");
    // cargo marks the target directory itself with CACHEDIR.TAG; `<target>/<triple>/` has none.
    if above.join("CACHEDIR.TAG").exists() || above.parent().is_none() {
        (above.to_owned(), profile_dir, None)
    } else {
        let triple = above.file_name().map(|n| n.to_string_lossy().into_owned());
        (
            above.parent().expect("checked above").to_owned(),
            profile_dir,
            triple,
        )
    }
}

/// `pyfreeze` and `pyfreeze-stub` next to the running test's target directory, brought up to
/// date once per process with `cargo build -p pyfreeze -p pyfreeze-stub` for the same profile
/// (unless `PYFREEZE_TESTS_NO_BUILD` is set). Panics with what to do if they are missing.
pub fn binaries() -> &'static Binaries {
    static BINARIES: OnceLock<Binaries> = OnceLock::new();
    BINARIES.get_or_init(|| {
        let (target_dir, profile_dir, triple) = target_layout();
        if std::env::var_os("PYFREEZE_TESTS_NO_BUILD").is_none() {
            if let Some(cargo) = std::env::var_os("CARGO") {
                cargo_build(
                    Path::new(&cargo),
                    &target_dir,
                    &profile_dir,
                    triple.as_deref(),
                );
            }
        }
        let bins = Binaries {
            pyfreeze: profile_dir.join("pyfreeze"),
            stub: profile_dir.join("pyfreeze-stub"),
            target_dir,
        };
        for bin in [&bins.pyfreeze, &bins.stub] {
            assert!(
                bin.is_file(),
                "{} is missing: run `cargo test --workspace`, which builds them (or \
                 `cargo build -p pyfreeze -p pyfreeze-stub` before `cargo test -p pyfreeze-tests`)",
                bin.display()
            );
        }
        bins
    })
}

/// The stub as it is released (`cargo build --release`), for tests of its own bytes: the
/// code a damaged byte would run is the optimised one users get. Built once per process,
/// unless the tests are a release build (then it is [`binaries`]' stub) or
/// `PYFREEZE_TESTS_NO_BUILD` is set.
pub fn release_stub() -> &'static Path {
    static STUB: OnceLock<PathBuf> = OnceLock::new();
    STUB.get_or_init(|| {
        let (target_dir, profile_dir, triple) = target_layout();
        if profile_dir.file_name() == Some(OsStr::new("release")) {
            return binaries().stub.clone();
        }
        let release_dir = profile_dir.with_file_name("release");
        if std::env::var_os("PYFREEZE_TESTS_NO_BUILD").is_none() {
            if let Some(cargo) = std::env::var_os("CARGO") {
                cargo_build_packages(
                    Path::new(&cargo),
                    &["pyfreeze-stub"],
                    &target_dir,
                    &release_dir,
                    triple.as_deref(),
                );
            }
        }
        let stub = release_dir.join("pyfreeze-stub");
        assert!(
            stub.is_file(),
            "{} is missing: `cargo build --release -p pyfreeze-stub` makes it",
            stub.display()
        );
        stub
    })
}

fn cargo_build(cargo: &Path, target_dir: &Path, profile_dir: &Path, triple: Option<&str>) {
    cargo_build_packages(
        cargo,
        &["pyfreeze", "pyfreeze-stub"],
        target_dir,
        profile_dir,
        triple,
    );
}

fn cargo_build_packages(
    cargo: &Path,
    packages: &[&str],
    target_dir: &Path,
    profile_dir: &Path,
    triple: Option<&str>,
) {
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root())
        .args(["build", "--quiet"])
        .args(packages.iter().flat_map(|p| ["-p", p]))
        .arg("--target-dir")
        .arg(target_dir);
    match profile_dir.file_name().and_then(OsStr::to_str) {
        Some("debug") => {}
        Some("release") => {
            cmd.arg("--release");
        }
        Some(other) => {
            cmd.args(["--profile", other]);
        }
        None => {}
    }
    if let Some(triple) = triple {
        cmd.args(["--target", triple]);
    }
    let out = run_command(cmd, None, Duration::from_secs(900))
        .unwrap_or_else(|e| panic!("could not run cargo to build {packages:?}: {e}"));
    assert!(
        out.status == Status::Code(0),
        "`cargo build` of {packages:?} for {} failed ({}):\n{}",
        profile_dir.display(),
        out.status,
        out.stderr
    );
}
