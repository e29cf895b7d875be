//! An app's modules named like the standard library's, vs `python -E -s -S main.py`: which
//! of the two an import gives depends on the version. The modules imported while the
//! interpreter starts (`abc`, `codecs`, `io`) and those FrozenImporter serves (`zipimport`
//! and `__hello__` always; `os`, `stat`, `posixpath`, `genericpath`, `runpy` from 3.11)
//! come before the app directory on `sys.path`; a C built-in (`time`) comes before
//! everything; the app's own wins over the rest (`shutil`, `warnings`, the extension module
//! `cmath`), also inside the standard library (`tempfile` imports `shutil` and `warnings`,
//! and on 3.8–3.10 the app's `os`).

use pyfreeze_tests::{
    bundle_of, bundle_with, check_exact, compare, compare_to, for_each_interpreter, run_frozen,
    test_name, write_app, AppDir, Case, Exact, Status,
};

const MAIN: &str = r#"import sys


def imported(name):
    # Each module of the app's sets ORIGIN; the standard library's has none.
    print(name, getattr(sys.modules[name], "ORIGIN", "stdlib"))


import abc; imported("abc")
import codecs; imported("codecs")
import io; imported("io")
import zipimport; imported("zipimport")
import os; imported("os")
import stat; imported("stat")
import posixpath; imported("posixpath")
import genericpath; imported("genericpath")
import runpy; imported("runpy")
import __hello__; imported("__hello__")
import shutil; imported("shutil")
import cmath; imported("cmath")
import time; imported("time")
import warnings; imported("warnings")
try:
    import tempfile
except Exception as e:
    print("tempfile", type(e).__name__)
else:
    print("tempfile", tempfile.gettempprefix(), getattr(tempfile._shutil, "ORIGIN", "stdlib"))
"#;

const ORIGIN: &str = "ORIGIN = \"app\"\n";

/// random, which tempfile imports, imports `warn` from warnings.
const WARNINGS: &str = "ORIGIN = \"app\"\n\n\ndef warn(*args, **kwargs):\n    pass\n";

fn app() -> AppDir {
    write_app(
        "shadowing",
        &[
            ("main.py", MAIN),
            ("abc.py", ORIGIN),
            ("codecs.py", ORIGIN),
            ("io.py", ORIGIN),
            ("zipimport.py", ORIGIN),
            ("os.py", ORIGIN),
            ("stat.py", ORIGIN),
            ("posixpath.py", ORIGIN),
            ("genericpath.py", ORIGIN),
            ("runpy.py", ORIGIN),
            ("__hello__.py", ORIGIN),
            ("shutil.py", ORIGIN),
            ("cmath.py", ORIGIN),
            ("time.py", ORIGIN),
            ("warnings.py", WARNINGS),
        ],
    )
}

/// What [`MAIN`] prints on CPython 3.`minor`, with FrozenImporter serving the standard
/// library's modules from 3.11 (`-X frozen_modules=on`, an installed interpreter's default)
/// or not, and with the warnings module imported while python starts (`-W`) or not.
fn expected(minor: u32, frozen_modules: bool, warnings_at_start: bool) -> String {
    let frozen_stdlib = minor >= 11 && frozen_modules;
    let (frozen, tempfile) = if frozen_stdlib {
        ("stdlib", "tempfile tmp app")
    } else {
        // The app's os lacks what tempfile imports from it.
        ("app", "tempfile ImportError")
    };
    let hello = match (minor >= 11, frozen_modules) {
        (false, _) => "Hello world!\n__hello__ stdlib",
        // Lib/__hello__.py prints only when run as a script.
        (true, true) => "__hello__ stdlib",
        (true, false) => "__hello__ app",
    };
    let warnings = if warnings_at_start { "stdlib" } else { "app" };
    format!(
        "abc stdlib\n\
         codecs stdlib\n\
         io stdlib\n\
         zipimport stdlib\n\
         os {frozen}\n\
         stat {frozen}\n\
         posixpath {frozen}\n\
         genericpath {frozen}\n\
         runpy {frozen}\n\
         {hello}\n\
         shutil app\n\
         cmath app\n\
         time stdlib\n\
         warnings {warnings}\n\
         {tempfile}\n"
    )
}

#[test]
fn app_modules_shadow_the_standard_library_as_under_cpython() {
    for_each_interpreter(test_name!(), |python| {
        let frozen = bundle_of("shadowing", python, app)?;
        let app = app();
        let mut problems = compare(python, &frozen.exe, &app, &Case::new(&[], Status::Code(0)));
        let out = run_frozen(&frozen.exe, &[], None, &[]);
        problems.extend(check_exact(
            &format!("{python}: frozen app"),
            &out,
            &Exact::clean(&expected(python.version_info.1, true, false)),
        ));
        Ok(problems)
    });
}

/// The interpreter options the bundle is built with decide too: `-W` has python import the
/// warnings module while it starts, `-X frozen_modules=off` leaves the standard library to
/// PathFinder (3.11+; an unknown `-X` option before).
#[test]
fn interpreter_options_decide_as_under_cpython() {
    const OPTIONS: [&str; 4] = ["-X", "frozen_modules=off", "-W", "default"];
    for_each_interpreter(test_name!(), |python| {
        let build_args = [
            "--python-option=-X frozen_modules=off",
            "--python-option=-W default",
        ];
        let frozen = bundle_with("shadowing", python, &build_args, app)?;
        let app = app();
        let mut reference = OPTIONS.to_vec();
        reference.push("main.py");
        let case = Case::new(&[], Status::Code(0));
        let mut problems = compare_to(python, &reference, &frozen.exe, &app, &case);
        let out = run_frozen(&frozen.exe, &[], None, &[]);
        problems.extend(check_exact(
            &format!("{python}: frozen app with {OPTIONS:?}"),
            &out,
            &Exact::clean(&expected(python.version_info.1, false, true)),
        ));
        Ok(problems)
    });
}
