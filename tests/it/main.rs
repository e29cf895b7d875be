//! End-to-end tests: freeze the examples (and small apps written here) with the real
//! `pyfreeze` and every pyenv CPython 3.8–3.13, run them, and compare them with CPython.
//! The harness is this package's library (`src/`); `tests/README.md` says what each module
//! covers.

mod as_file;
mod bad_input;
mod behaviour;
mod cache;
mod check;
mod cli;
mod cold;
mod collect_app_dir;
mod computed_imports;
mod config;
mod damage;
mod data;
mod differential;
mod disk;
mod files_by_path;
mod fuzz;
mod import_system;
mod introspection;
mod isolation;
mod library_cycles;
mod ls;
mod multiprocessing;
mod native;
mod native_imports;
mod optional_imports;
mod options;
mod outputs;
mod packages;
mod popular_packages;
mod reproducible;
mod runtime;
mod runtime_faults;
mod shadowing;
mod shared_code;
mod stdlib_imports;
mod stub_errors;
mod target;
mod thirdparty;
mod why;
mod zipapps;
