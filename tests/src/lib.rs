//! Harness of the end-to-end tests: finds the real binaries and every installed CPython,
//! freezes apps, and runs a frozen app and its CPython reference side by side.
//!
//! * [`interpreters`](mod@interpreters): every pyenv CPython 3.8–3.13 found at run time
//!   (newest patch of each minor), printed with the ones skipped and why. Nothing
//!   machine-specific is written in the repository: the pyenv root comes from `$PYENV_ROOT`
//!   or `pyenv root`. `PYFREEZE_TESTS_PYTHONS=3.8,3.13` narrows them to those minor versions
//!   while working on one thing; the others are reported as skipped. CI never sets it.
//! * [`binaries`](mod@binaries): `pyfreeze` and `pyfreeze-stub` in the target directory the
//!   running test was built into. They are brought up to date once per test process with
//!   `cargo build` (set `PYFREEZE_TESTS_NO_BUILD=1` to use them as they are).
//! * [`processes`]: [`run_frozen`], [`run_python`] and the rest run with a timeout; a
//!   process that outlives it is killed with every process it started (its process group)
//!   and the test fails, nothing hangs.
//! * [`bundles`]: [`freeze`] builds an app; [`bundle`] and its kin share one build per app,
//!   arguments and interpreter between the tests of a run; [`ls_json`] reads what a bundle
//!   holds.
//! * [`compare`](mod@compare): a [`Case`] run frozen and by CPython, compared whole once
//!   [`mask`](mod@mask) has made their stderrs comparable; [`check_exact`] holds a run to an
//!   [`Exact`] status, stdout and stderr.
//! * [`checks`]: [`for_each_interpreter`] collects every problem of every interpreter, then
//!   fails once; [`test_name!`] gives a test its own name.
//! * [`hiding`]: [`Hidden`] runs a frozen app with Python (and the system's libraries)
//!   hidden.
//! * [`venv`](mod@venv): virtualenvs made once per run; [`toolchain`]: the C compiler for
//!   extension modules; [`per_run`]: what makes a build or a venv once per run.
//!
//! Every file a test makes lives in a scratch directory under the target directory
//! (`<target>/tmp/pyfreeze-tests/run-<pid>`), never in the repository: example apps are
//! copied there before they are frozen or run, and `pyfreeze`'s build cache is there too
//! ([`scratch`]).

pub mod binaries;
pub mod bundles;
pub mod checks;
pub mod compare;
pub mod hiding;
pub mod interpreters;
pub mod mask;
pub mod per_run;
pub mod processes;
pub mod scratch;
pub mod toolchain;
pub mod venv;

pub use tempfile::TempDir;

pub use binaries::{binaries, examples_dir, release_stub, workspace_root, Binaries};
pub use bundles::{
    build_args, bundle, bundle_of, bundle_with, entries_of, freeze, holds_module, listed_entries,
    ls_json, pyfreeze, pyfreeze_env, BuildFailure, Frozen, BUILD_TIMEOUT,
};
pub use checks::{
    assert_no_problems, both, enclosing_function, for_each_interpreter, for_each_of, say, Checked,
    Stop,
};
pub use compare::{
    check_exact, compare, compare_to, differences, done_and_same, reference_problems, Case, Exact,
};
pub use hiding::{system_libraries, unshare_unavailable, Hidden, HIDDEN_LIBRARIES, LIBRARY_DIRS};
pub use interpreters::{
    interpreters, newest_and_3_8, newest_interpreter, pyenv_root, Interpreter, MINORS,
};
pub use mask::{mask, mask_frozen, mask_reference};
pub use per_run::PerRun;
pub use processes::{
    run, run_command, run_frozen, run_frozen_in, run_python, unavailable, Env, Output, Status,
    TIMEOUT,
};
pub use scratch::{
    build_cache_dir, copy_example, copy_executable, copy_tree, list_tree, scratch_root, tempdir,
    write_app, AppDir,
};
pub use toolchain::{c_toolchain, cc, cxx};
pub use venv::{venv, NoVenv, Venv};
