//! The C compiler, for tests that build extension modules and the libraries they link to.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::interpreters::Interpreter;
use crate::processes::{run, run_python, unavailable, Status};
use crate::scratch::scratch_root;

/// Why C extension modules cannot be built here for `python`, or its include directory
/// and extension suffix.
pub fn c_toolchain(python: &Interpreter) -> Result<(PathBuf, String), String> {
    if let Some(why) = unavailable("cc", &["--version"]) {
        return Err(why);
    }
    let include = PathBuf::from(python_says(
        python,
        "import sysconfig; print(sysconfig.get_paths()['include'])",
    )?);
    if !include.join("Python.h").is_file() {
        return Err(format!(
            "{python} has no {}",
            include.join("Python.h").display()
        ));
    }
    let suffix = python_says(
        python,
        "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))",
    )?;
    Ok((include, suffix))
}

/// Runs `cc args` in `dir`; panics with its output if it fails.
pub fn cc(dir: &Path, args: &[&OsStr]) {
    compile("cc", dir, args);
}

/// Runs the C++ compiler, `c++ args`, in `dir`; panics with its output if it fails.
pub fn cxx(dir: &Path, args: &[&OsStr]) {
    compile("c++", dir, args);
}

fn compile(compiler: &str, dir: &Path, args: &[&OsStr]) {
    let mut cmd = Command::new(compiler);
    cmd.args(args).current_dir(dir);
    let out = run(cmd, None);
    assert!(
        out.status == Status::Code(0),
        "`{compiler} {}` failed\n{out}",
        args.iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
}

/// `python -c <code>`'s stdout, trimmed, or why it failed.
fn python_says(python: &Interpreter, code: &str) -> Result<String, String> {
    let out = run_python(python, scratch_root(), &["-c", code], None, &[]);
    if out.status == Status::Code(0) {
        Ok(out.stdout.trim().to_owned())
    } else {
        Err(format!(
            "`{} -c {code:?}` failed\n{out}",
            python.path.display()
        ))
    }
}
