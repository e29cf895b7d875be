//! Steps 3 to 6: the frozen table, the interpreter's start, the finder (the bundle's
//! `_pyfreeze_boot` module), `__main__`, and the exit status CPython would give.

use std::borrow::Cow;
use std::os::unix::ffi::OsStringExt;

use pyfreeze_archive::boot::BOOT_MODULE_C;
use pyfreeze_archive::{Bundle, EntryPointKind, Kind};

use crate::error::StubError;
use crate::ffi::frozen::{self, FrozenModule};
use crate::ffi::python::{Exit, Interpreter, Obj, Options, PyErr};
use crate::ffi::sys;
use crate::importer::{self, State};
use crate::{bundle, disk, libpython, locale};

pub(crate) fn run() -> Result<Exit, StubError> {
    let bundle = bundle::open()?;
    let disk_dir = disk::prepare(&bundle)?;
    let interpreter = libpython::load(&bundle)?;
    let frozen_table = frozen_table(&bundle, &interpreter)?;
    // Checking the bootstrap modules read them all; CPython reads back only those it imports.
    sys::release_mapping();

    let executable = std::env::current_exe()
        .map_err(StubError::reading_self)?
        .into_os_string()
        .into_vec();
    let program = String::from_utf8_lossy(&executable).into_owned();
    let (entry_kind, entry_module, entry_arg) = bundle.entry_point()?;
    let python_options = bundle.python_options()?;
    importer::install(State {
        bundle,
        executable,
        args: std::env::args_os().skip(1).map(|a| a.into_vec()).collect(),
        entry_kind,
        entry_module,
        entry_arg,
        disk_dir: disk_dir.map(|d| d.into_os_string().into_vec()),
        warnings: python_options.warnings.clone(),
        x_options: python_options.x_options.clone(),
    });

    interpreter
        .initialize(
            &Options {
                program: &program,
                optimize: bundle.optimize(),
                python_options: &python_options,
                frozen_table,
            },
            importer::init_module,
        )
        .map_err(StubError::Init)?;
    let (result, ran_a_script) = start(&interpreter, entry_kind, entry_module);
    if ran_a_script {
        interpreter.flush_io();
    }
    Ok(interpreter.finish(result))
}

/// The table of modules CPython imports before the finder exists.
fn frozen_table(
    bundle: &Bundle<'static>,
    interpreter: &Interpreter,
) -> Result<*const std::ffi::c_void, StubError> {
    let locale_codecs = locale::needed(bundle)?;
    let mut modules = Vec::new();
    for index in bundle.kind_range(Kind::Module) {
        let entry = bundle.entry(index)?;
        let code = if entry.is_bootstrap() {
            // Checked here: CPython reads the frozen table's code without asking the finder.
            match entry.contents()? {
                Cow::Borrowed(code) => code,
                Cow::Owned(_) => return Err(StubError::CompressedBootstrap(entry.name.to_owned())),
            }
        } else if entry.is_locale_codec() && locale_codecs.includes(&entry) {
            // CPython keeps pointing at the code for the life of the interpreter.
            match entry.contents()? {
                Cow::Borrowed(code) => code,
                Cow::Owned(code) => code.leak(),
            }
        } else {
            continue;
        };
        modules.push(FrozenModule {
            name: entry.c_name(),
            code,
            is_package: entry.is_package(),
        });
    }
    let (_, minor) = bundle.python_major_minor();
    // 3.8–3.10 search our table instead of their default one, which holds what
    // initialisation needs (importlib, zipimport) and what FrozenImporter serves before
    // the path is searched (__hello__): every row of it comes along.
    let carried = if minor <= 10 {
        let replaced: Vec<_> = modules.iter().map(|m| m.name).collect();
        interpreter.default_frozen_entries_before_311(&replaced)
    } else {
        Vec::new()
    };
    frozen::table(minor, &modules, &carried).map_err(StubError::FrozenTable)
}

/// Installs the finder and runs what `setup()` returns: the entry point, run like
/// `python script.py` (a code object), `python -m module` (None) or a console-script wrapper
/// for `module:function` (a callable), or the multiprocessing helper process the bundle was
/// started as (a callable). Also says whether what ran was a script, after which python
/// flushes the standard streams.
fn start(
    interpreter: &Interpreter,
    kind: EntryPointKind,
    module: &str,
) -> (Result<Obj, PyErr>, bool) {
    let runnable = match interpreter
        .import(BOOT_MODULE_C)
        .and_then(|boot| interpreter.getattr(&boot, c"setup"))
        .and_then(|setup| interpreter.call(&setup, Vec::new()))
    {
        Ok(runnable) => runnable,
        Err(e) => return (Err(e), false),
    };
    // `python script.py` flushes stdout and stderr after the script (so its output comes
    // before its traceback and atexit's); a console-script wrapper is a script too;
    // `python -m` and `python -c` (the multiprocessing helpers) do not.
    if interpreter.is_none(&runnable) {
        let run = || {
            let runpy = interpreter.import(c"runpy")?;
            let run_module = interpreter.getattr(&runpy, c"_run_module_as_main")?;
            let args = vec![interpreter.str(module)?, interpreter.bool(false)?];
            interpreter.call(&run_module, args)
        };
        (run(), false)
    } else if interpreter.is_callable(&runnable) {
        (
            interpreter.call(&runnable, Vec::new()),
            kind == EntryPointKind::Function,
        )
    } else {
        let run = || {
            let main = interpreter.import(c"__main__")?;
            interpreter.run_in_module(&runnable, &main)
        };
        (run(), true)
    }
}
