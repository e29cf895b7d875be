//! Packages from PyPI, end to end: `examples/thirdparty`, whose `requirements.txt` pip
//! installs into a virtualenv of every interpreter, frozen with
//! `pyfreeze build --python <venv>/bin/python`, prints what `<venv>/bin/python -E -s main.py`
//! prints, with nothing on stderr; then again with Python, the venv and the system's
//! libraries hidden (`unshare -mr`), so that only the bundle can serve it.
//!
//! The app covers data files through importlib.resources (certifi), C extension modules
//! (markupsafe, cffi), libraries a wheel vendors in `pillow.libs/` (libfreetype and
//! libharfbuzz, which need each other, among them), the hidden imports of
//! Pillow and pygments, and importlib.metadata (attrs reads its own version with it).
//!
//! pip must reach the package index: when it cannot, this test fails, as it has nothing to
//! freeze (the metadata tests of `data.rs` skip instead).

use pyfreeze_tests::{
    bundle, check_exact, copy_example, examples_dir, for_each_interpreter, reference_problems,
    run_frozen_in, test_name, unshare_unavailable, venv, Exact, Hidden,
};

const EXAMPLE: &str = "thirdparty";

/// Lines the reference must print whatever versions pip picked: each shows a package
/// working, so a broken venv cannot make the comparison pass vacuously.
const REFERENCE_MUST_HAVE: &[&str] = &[
    "certifi importlib.resources gives the same bytes: True\n",
    "ssl trusts certifi's roots: True\n",
    "markupsafe escape: &lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;\n",
    "markupsafe._speedups is an extension module: True\n",
    "markupsafe escapes with: markupsafe._speedups\n",
    "_cffi_backend is an extension module: True\n",
    "cffi strlen: 20\n",
    "cffi abs: 42 atoi: 123\n",
    "pillow JPEG JPEG (48, 32) RGB sha256 ",
    "pillow WEBP WEBP (48, 32) RGB sha256 ",
    "pillow TIFF TIFF (48, 32) RGB sha256 ",
    "pillow features: ['jpg', 'webp', 'zlib', 'libtiff', 'freetype2']\n",
    "pygments python line 2:     <span class=\"k\">return</span>",
    "pygments json: <span class=\"p\">{</span>",
    "requires cffi: ['pycparser",
    "attr.__version__ (read through importlib.metadata): ",
    "attrs: Point(x=1, y=0) {'x': 2, 'y': 3}\n",
];

#[test]
fn thirdparty_app_runs_like_its_venv_with_python_venv_and_libraries_hidden() {
    let test = test_name!();
    if let Some(why) = unshare_unavailable() {
        panic!("{test}: cannot hide Python, the venv and the libraries: {why}");
    }
    let requirements = examples_dir().join(EXAMPLE).join("requirements.txt");
    let requirements = requirements
        .to_str()
        .expect("the repository's path is UTF-8");
    for_each_interpreter(test, |base| {
        let venv = venv(EXAMPLE, base, &["-r", requirements])
            .as_ref()
            .map_err(|e| e.to_string())?;
        let python = &venv.python;
        let frozen = bundle(EXAMPLE, python)?;
        let app = copy_example(EXAMPLE);
        let reference = venv.run_main(&app.path);
        let mut problems: Vec<String> = reference_problems(
            python,
            "`<venv>/bin/python -E -s main.py`",
            &reference,
            REFERENCE_MUST_HAVE,
        )
        .into_iter()
        .collect();
        let out = run_frozen_in(&frozen.exe, &app.path, &[], None, &[]);
        problems.extend(check_exact(
            &format!("{python}: frozen thirdparty vs `<venv>/bin/python -E -s main.py`"),
            &out,
            &Exact::clean(&reference.stdout),
        ));
        let mut hidden = Hidden::python_and_libraries();
        hidden.hide_dir(&venv.dir);
        let out = hidden.run(&frozen.exe, python, &[]);
        problems.extend(check_exact(
            &format!(
                "{python}: frozen thirdparty with {} hidden vs `<venv>/bin/python -E -s \
                 main.py` with nothing hidden",
                hidden.describe()
            ),
            &out,
            &Exact::clean(&reference.stdout),
        ));
        Ok(problems)
    });
}
