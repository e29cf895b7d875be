//! The CPython C API, resolved by name from the libpython loaded at run time, so one stub
//! serves every CPython 3.8–3.13 without headers or link-time libpython. Only functions
//! and variables exported unchanged by all six versions are used.

use std::ffi::{c_char, c_int, c_long, c_void, CStr, CString};
use std::sync::OnceLock;

use pyfreeze_archive::boot::STUB_MODULE_C;
use pyfreeze_archive::PythonOptions;

use super::sys::Library;

/// `PyStatus`, returned by value by the initialisation functions (same in 3.8–3.13).
#[repr(C)]
pub(crate) struct PyStatus {
    kind: c_int,
    func: *const c_char,
    err_msg: *const c_char,
    exitcode: c_int,
}

/// `struct PyPreConfig` on Linux in 3.8–3.13: ten ints, at these indices.
const PRECONFIG_INTS: usize = 10;
const PRECONFIG_PARSE_ARGV: usize = 1;
const PRECONFIG_ISOLATED: usize = 2;
const PRECONFIG_USE_ENVIRONMENT: usize = 3;
const PRECONFIG_UTF8_MODE: usize = 7;
const PRECONFIG_DEV_MODE: usize = 8;

/// An opaque `PyObject`.
#[repr(C)]
pub(crate) struct PyObject {
    _private: [u8; 0],
}

pub(crate) type PyCFunction = unsafe extern "C" fn(*mut PyObject, *mut PyObject) -> *mut PyObject;
type InitFunc = unsafe extern "C" fn() -> *mut PyObject;

macro_rules! c_api {
    (
        functions { $( fn $name:ident($($arg:ty),*) -> $ret:ty; )* }
        variables { $( $var:ident: $vty:ty; )* }
    ) => {
        /// Function pointers and variable addresses of one loaded libpython.
        #[allow(non_snake_case)]
        pub(crate) struct Api {
            $( $name: unsafe extern "C" fn($($arg),*) -> $ret, )*
            $( $var: *mut $vty, )*
        }

        impl Api {
            fn resolve(lib: Library) -> Result<Api, String> {
                Ok(Api {
                    $(
                        // SAFETY: the symbol is the C function of that name, whose
                        // signature is the one declared here in every supported version.
                        $name: unsafe {
                            std::mem::transmute::<*mut c_void, unsafe extern "C" fn($($arg),*) -> $ret>(
                                lib.symbol(&cstr(stringify!($name)))?,
                            )
                        },
                    )*
                    $( $var: lib.symbol(&cstr(stringify!($var)))?.cast::<$vty>(), )*
                })
            }
        }
    };
}

c_api! {
    functions {
        fn Py_GetVersion() -> *const c_char;
        fn PyPreConfig_InitPythonConfig(*mut c_int) -> ();
        fn Py_PreInitialize(*const c_int) -> PyStatus;
        fn Py_SetPath(*const libc::wchar_t) -> ();
        fn Py_SetProgramName(*const libc::wchar_t) -> ();
        fn PyImport_AppendInittab(*const c_char, Option<InitFunc>) -> c_int;
        fn Py_InitializeEx(c_int) -> ();
        fn Py_FinalizeEx() -> c_int;
        fn Py_IncRef(*mut PyObject) -> ();
        fn Py_DecRef(*mut PyObject) -> ();
        fn PyImport_ImportModule(*const c_char) -> *mut PyObject;
        fn PyObject_GetAttrString(*mut PyObject, *const c_char) -> *mut PyObject;
        fn PyObject_SetAttrString(*mut PyObject, *const c_char, *mut PyObject) -> c_int;
        fn PyObject_CallObject(*mut PyObject, *mut PyObject) -> *mut PyObject;
        fn PyEval_EvalCode(*mut PyObject, *mut PyObject, *mut PyObject) -> *mut PyObject;
        fn PyModule_GetDict(*mut PyObject) -> *mut PyObject;
        fn PyModule_Create2(*mut ModuleDef, c_int) -> *mut PyObject;
        fn PyErr_ExceptionMatches(*mut PyObject) -> c_int;
        fn PyErr_Print() -> ();
        fn PyErr_Fetch(*mut *mut PyObject, *mut *mut PyObject, *mut *mut PyObject) -> ();
        fn PyErr_Restore(*mut PyObject, *mut PyObject, *mut PyObject) -> ();
        fn PyErr_Clear() -> ();
        fn PySys_GetObject(*const c_char) -> *mut PyObject;
        fn PyErr_SetString(*mut PyObject, *const c_char) -> ();
        fn PyUnicode_AsUTF8AndSize(*mut PyObject, *mut isize) -> *const c_char;
        fn PyUnicode_FromStringAndSize(*const c_char, isize) -> *mut PyObject;
        fn PyUnicode_DecodeFSDefaultAndSize(*const c_char, isize) -> *mut PyObject;
        fn PyBytes_FromStringAndSize(*const c_char, isize) -> *mut PyObject;
        fn PyMarshal_ReadObjectFromString(*const c_char, isize) -> *mut PyObject;
        fn PyList_New(isize) -> *mut PyObject;
        fn PyList_SetItem(*mut PyObject, isize, *mut PyObject) -> c_int;
        fn PyList_Size(*mut PyObject) -> isize;
        fn PyList_GetItem(*mut PyObject, isize) -> *mut PyObject;
        fn PyBytes_AsStringAndSize(*mut PyObject, *mut *mut c_char, *mut isize) -> c_int;
        fn PyErr_SetObject(*mut PyObject, *mut PyObject) -> ();
        fn PyTuple_New(isize) -> *mut PyObject;
        fn PyTuple_SetItem(*mut PyObject, isize, *mut PyObject) -> c_int;
        fn PyLong_FromLong(c_long) -> *mut PyObject;
        fn PyLong_AsLong(*mut PyObject) -> c_long;
        fn PyErr_Occurred() -> *mut PyObject;
        fn PyBool_FromLong(c_long) -> *mut PyObject;
        fn PyCallable_Check(*mut PyObject) -> c_int;
        fn PySys_AddXOption(*const libc::wchar_t) -> ();
    }
    variables {
        Py_IsolatedFlag: c_int;
        Py_NoSiteFlag: c_int;
        Py_DontWriteBytecodeFlag: c_int;
        Py_IgnoreEnvironmentFlag: c_int;
        Py_NoUserSiteDirectory: c_int;
        Py_FrozenFlag: c_int;
        Py_OptimizeFlag: c_int;
        Py_UnbufferedStdioFlag: c_int;
        Py_BytesWarningFlag: c_int;
        Py_VerboseFlag: c_int;
        PyImport_FrozenModules: *const c_void;
        _Py_NoneStruct: PyObject;
        PyExc_KeyboardInterrupt: *mut PyObject;
        PyExc_ImportError: *mut PyObject;
        PyExc_OSError: *mut PyObject;
        PyExc_TypeError: *mut PyObject;
    }
}

// SAFETY: the pointers are addresses inside a library that is never unloaded; CPython
// itself serialises access to them with the GIL.
unsafe impl Send for Api {}
// SAFETY: see `Send`.
unsafe impl Sync for Api {}

fn cstr(s: &str) -> CString {
    CString::new(s).expect("symbol names have no NUL")
}

static API: OnceLock<Api> = OnceLock::new();

/// The API of the one libpython of this process.
pub(crate) fn api() -> &'static Api {
    API.get()
        .expect("libpython is loaded before any Python call")
}

/// Resolves the C API of `lib` and makes it the process's libpython.
pub(crate) fn load(lib: Library) -> Result<&'static Api, String> {
    let api = Api::resolve(lib)?;
    Ok(API.get_or_init(|| api))
}

/// The layout-free part of `struct PyModuleDef` and `PyMethodDef`: both are in the stable
/// ABI and have not changed in 3.8–3.13.
#[repr(C)]
pub(crate) struct ModuleDef {
    ob_refcnt: isize,
    ob_type: *mut c_void,
    m_init: *mut c_void,
    m_index: isize,
    m_copy: *mut c_void,
    m_name: *const c_char,
    m_doc: *const c_char,
    m_size: isize,
    m_methods: *mut MethodDef,
    m_slots: *mut c_void,
    m_traverse: *mut c_void,
    m_clear: *mut c_void,
    m_free: *mut c_void,
}

#[repr(C)]
pub(crate) struct MethodDef {
    ml_name: *const c_char,
    ml_meth: Option<PyCFunction>,
    ml_flags: c_int,
    ml_doc: *const c_char,
}

const METH_O: c_int = 0x0008;
const PYTHON_API_VERSION: c_int = 1013;

/// An owned (strong) reference, released on drop.
pub(crate) struct Obj(*mut PyObject);

impl Drop for Obj {
    fn drop(&mut self) {
        // SAFETY: `Obj` holds a strong reference it owns; the GIL is held by this, the
        // only Python thread the stub's Rust code runs on.
        unsafe { (api().Py_DecRef)(self.0) }
    }
}

impl Obj {
    /// Takes ownership of a new reference, or reports the pending Python exception.
    fn new(ptr: *mut PyObject) -> Result<Obj, PyErr> {
        if ptr.is_null() {
            Err(PyErr)
        } else {
            Ok(Obj(ptr))
        }
    }

    pub(crate) fn into_raw(self) -> *mut PyObject {
        let ptr = self.0;
        std::mem::forget(self);
        ptr
    }
}

/// A Python exception is set (CPython holds it; [`Interpreter::exit_status`] reports it).
#[derive(Debug)]
pub(crate) struct PyErr;

/// Converts a Rust wide string for the `Py_Set*` functions, which keep the pointer.
fn leak_wide(s: &str) -> *const libc::wchar_t {
    let wide: Vec<libc::wchar_t> = s
        .chars()
        .map(|c| c as libc::wchar_t)
        .chain(std::iter::once(0))
        .collect();
    wide.leak().as_ptr()
}

/// The interpreter before and after initialisation.
#[derive(Clone, Copy)]
pub(crate) struct Interpreter {
    api: &'static Api,
}

/// Start-up options applied before `Py_InitializeEx`.
pub(crate) struct Options<'a> {
    pub(crate) program: &'a str,
    pub(crate) optimize: u8,
    /// `-u`, `-b`, `-v`, `-W`, `-X` as fixed at build time.
    pub(crate) python_options: &'a PythonOptions,
    /// A table in the layout of this libpython's `struct _frozen`, terminated by a
    /// zeroed entry, valid for the life of the process.
    pub(crate) frozen_table: *const c_void,
}

impl Interpreter {
    pub(crate) fn new(api: &'static Api) -> Interpreter {
        Interpreter { api }
    }

    /// `Py_GetVersion()`, which is safe to call before initialisation.
    pub(crate) fn version(&self) -> String {
        // SAFETY: returns a static NUL-terminated string in every version.
        unsafe { CStr::from_ptr((self.api.Py_GetVersion)()) }
            .to_string_lossy()
            .into_owned()
    }

    /// The frozen-module table libpython starts with.
    pub(crate) fn default_frozen_table(&self) -> *const c_void {
        // SAFETY: `PyImport_FrozenModules` is a pointer variable exported by libpython.
        unsafe { *self.api.PyImport_FrozenModules }
    }

    /// Configures an isolated interpreter (no site, no environment, no user site, no
    /// bytecode writing, no path search), registers the `_pyfreeze` builtin module and
    /// starts CPython with its signal handlers, as `python -I` does.
    pub(crate) fn initialize(
        &self,
        options: &Options<'_>,
        module_init: InitFunc,
    ) -> Result<(), String> {
        let api = self.api;
        // Pre-initialise from the configuration `python` itself uses, so the C and POSIX
        // locales get UTF-8 mode and locale coercion (PEP 538, 540) exactly as there; the
        // legacy Py_InitializeEx alone would pre-initialise with the compatibility
        // configuration, which has neither. A spare tail guards against a larger struct.
        let mut preconfig: [c_int; 2 * PRECONFIG_INTS] = [0; 2 * PRECONFIG_INTS];
        // SAFETY: the buffer is larger than PyPreConfig; the init function fills it.
        let status = unsafe {
            (api.PyPreConfig_InitPythonConfig)(preconfig.as_mut_ptr());
            preconfig[PRECONFIG_PARSE_ARGV] = 0;
            preconfig[PRECONFIG_ISOLATED] = 1;
            preconfig[PRECONFIG_USE_ENVIRONMENT] = 0;
            if let Some(utf8) = options.python_options.utf8_mode() {
                preconfig[PRECONFIG_UTF8_MODE] = c_int::from(utf8);
            }
            if options.python_options.dev_mode() {
                preconfig[PRECONFIG_DEV_MODE] = 1;
            }
            (api.Py_PreInitialize)(preconfig.as_ptr())
        };
        if status.kind != 0 {
            let message = if status.err_msg.is_null() {
                "unknown error".into()
            } else {
                // SAFETY: a non-NULL err_msg is a static NUL-terminated string.
                unsafe { CStr::from_ptr(status.err_msg) }.to_string_lossy()
            };
            return Err(format!("Python pre-initialisation failed: {message}"));
        }
        // SAFETY: before Py_InitializeEx nothing else reads these variables; the table
        // and strings handed over are leaked, so they outlive the interpreter.
        unsafe {
            *api.Py_IsolatedFlag = 1;
            *api.Py_NoSiteFlag = 1;
            *api.Py_DontWriteBytecodeFlag = 1;
            *api.Py_IgnoreEnvironmentFlag = 1;
            *api.Py_NoUserSiteDirectory = 1;
            *api.Py_FrozenFlag = 1;
            *api.Py_OptimizeFlag = c_int::from(options.optimize);
            let python = options.python_options;
            *api.Py_UnbufferedStdioFlag = c_int::from(python.unbuffered);
            *api.Py_BytesWarningFlag = c_int::from(python.bytes_warning);
            *api.Py_VerboseFlag = c_int::from(python.verbose);
            // Kept by CPython in a pre-initialisation list that 3.10 and later turn into
            // sys._xoptions and what they configure (faulthandler, importtime, ...); 3.8
            // and 3.9 drop it, and the boot module completes sys._xoptions. Warning
            // options are the boot module's alone: this list would put them after the
            // BytesWarning filter, where python puts them before.
            for opt in &python.x_options {
                (api.PySys_AddXOption)(leak_wide(opt));
            }
            *api.PyImport_FrozenModules = options.frozen_table;
            // A non-empty path that is no directory: an empty one means the current
            // directory on 3.8–3.10, and none at all makes CPython compute the prefix of
            // the build machine and import a foreign stdlib if one happens to be there.
            (api.Py_SetPath)(leak_wide(options.program));
            (api.Py_SetProgramName)(leak_wide(options.program));
            (api.PyImport_AppendInittab)(STUB_MODULE_C.as_ptr(), Some(module_init));
            (api.Py_InitializeEx)(1);
        }
        Ok(())
    }

    pub(crate) fn import(&self, name: &CStr) -> Result<Obj, PyErr> {
        // SAFETY: initialised interpreter, GIL held, NUL-terminated name.
        Obj::new(unsafe { (self.api.PyImport_ImportModule)(name.as_ptr()) })
    }

    pub(crate) fn getattr(&self, obj: &Obj, name: &CStr) -> Result<Obj, PyErr> {
        // SAFETY: `obj` is a live reference, GIL held.
        Obj::new(unsafe { (self.api.PyObject_GetAttrString)(obj.0, name.as_ptr()) })
    }

    /// Calls `callable(*args)`.
    pub(crate) fn call(&self, callable: &Obj, args: Vec<Obj>) -> Result<Obj, PyErr> {
        // SAFETY: a new tuple filled with owned references (PyTuple_SetItem steals them),
        // then a call with live objects; GIL held.
        unsafe {
            let tuple = Obj::new((self.api.PyTuple_New)(args.len() as isize))?;
            for (i, arg) in args.into_iter().enumerate() {
                (self.api.PyTuple_SetItem)(tuple.0, i as isize, arg.into_raw());
            }
            Obj::new((self.api.PyObject_CallObject)(callable.0, tuple.0))
        }
    }

    /// Runs `code` in the namespace of `module`, as `python script.py` runs the script in
    /// `__main__`: no frame of the stub's own appears in a traceback.
    pub(crate) fn run_in_module(&self, code: &Obj, module: &Obj) -> Result<Obj, PyErr> {
        // SAFETY: live objects, GIL held; PyModule_GetDict returns a borrowed reference
        // kept alive by `module`.
        unsafe {
            let globals = (self.api.PyModule_GetDict)(module.0);
            Obj::new((self.api.PyEval_EvalCode)(code.0, globals, globals))
        }
    }

    pub(crate) fn str(&self, s: &str) -> Result<Obj, PyErr> {
        // SAFETY: pointer and length describe valid UTF-8; GIL held.
        Obj::new(unsafe {
            (self.api.PyUnicode_FromStringAndSize)(s.as_ptr().cast(), s.len() as isize)
        })
    }

    pub(crate) fn bool(&self, value: bool) -> Result<Obj, PyErr> {
        // SAFETY: GIL held.
        Obj::new(unsafe { (self.api.PyBool_FromLong)(c_long::from(value)) })
    }

    pub(crate) fn is_none(&self, obj: &Obj) -> bool {
        obj.0 == self.api._Py_NoneStruct
    }

    pub(crate) fn is_callable(&self, obj: &Obj) -> bool {
        // SAFETY: `obj` is a live reference, GIL held.
        unsafe { (self.api.PyCallable_Check)(obj.0) != 0 }
    }

    /// Flushes `sys.stderr` then `sys.stdout`, keeping any pending exception, as `python`
    /// does after running a script file (`flush_io` in Python/pythonrun.c): what the
    /// script printed comes out before its traceback and before atexit callbacks run.
    pub(crate) fn flush_io(&self) {
        let api = self.api;
        let mut pending = [std::ptr::null_mut(); 3];
        // SAFETY: GIL held; the pending exception is taken out and put back unchanged, so
        // flush calls run with no exception set; PySys_GetObject returns borrowed
        // references kept alive by sys, and every new reference is released.
        unsafe {
            (api.PyErr_Fetch)(&mut pending[0], &mut pending[1], &mut pending[2]);
            for stream in [c"stderr", c"stdout"] {
                let file = (api.PySys_GetObject)(stream.as_ptr());
                if file.is_null() {
                    continue;
                }
                let flush = (api.PyObject_GetAttrString)(file, c"flush".as_ptr());
                let done = if flush.is_null() {
                    flush
                } else {
                    let done = (api.PyObject_CallObject)(flush, std::ptr::null_mut());
                    (api.Py_DecRef)(flush);
                    done
                };
                if done.is_null() {
                    (api.PyErr_Clear)();
                } else {
                    (api.Py_DecRef)(done);
                }
            }
            (api.PyErr_Restore)(pending[0], pending[1], pending[2]);
        }
    }

    /// What `python` would exit with after running the app: 0, or after an exception the
    /// status CPython gives, printing the traceback. Finalises the interpreter.
    /// `SystemExit` is handled by `PyErr_Print` itself, which exits the process.
    pub(crate) fn finish(&self, result: Result<Obj, PyErr>) -> Exit {
        let api = self.api;
        let mut status = 0;
        let mut interrupted = false;
        if let Err(PyErr) = result {
            // SAFETY: an exception is set (the call returned NULL); GIL held.
            unsafe {
                interrupted = (api.PyErr_ExceptionMatches)(*api.PyExc_KeyboardInterrupt) != 0;
                (api.PyErr_Print)();
            }
            status = 1;
        } else {
            drop(result);
        }
        // SAFETY: the interpreter is initialised and no Python object is used after this.
        if unsafe { (api.Py_FinalizeEx)() } < 0 {
            status = 120;
        }
        if interrupted {
            Exit::Interrupted
        } else {
            Exit::Status(status)
        }
    }
}

/// How the process ends.
pub(crate) enum Exit {
    Status(i32),
    /// An unhandled KeyboardInterrupt: die by SIGINT, as CPython does.
    Interrupted,
}

/// Helpers for the `_pyfreeze` module's C callbacks.
pub(crate) mod callback {
    use super::*;

    /// The UTF-8 text of a `str` argument.
    pub(crate) fn arg_str<'a>(arg: *mut PyObject) -> Option<&'a str> {
        let mut len: isize = 0;
        // SAFETY: `arg` is the borrowed argument of a METH_O call; the returned buffer is
        // owned by the str object, which outlives the callback.
        let ptr = unsafe { (api().PyUnicode_AsUTF8AndSize)(arg, &mut len) };
        if ptr.is_null() {
            return None;
        }
        // SAFETY: CPython returned `len` bytes of UTF-8 at `ptr`.
        let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len as usize) };
        std::str::from_utf8(bytes).ok()
    }

    /// What `sys.getdlopenflags()` returns, or `None` with its exception raised.
    pub(crate) fn dlopen_flags() -> Option<c_int> {
        let api = api();
        // SAFETY: GIL held during a callback. PySys_GetObject returns a borrowed reference
        // (or NULL, no exception set); the call's result is a new reference, released once
        // read. PyLong_AsLong returns -1 with an exception set on failure.
        unsafe {
            let function = (api.PySys_GetObject)(c"getdlopenflags".as_ptr());
            if function.is_null() {
                (api.PyErr_SetString)(*api.PyExc_ImportError, c"no sys.getdlopenflags".as_ptr());
                return None;
            }
            let flags = (api.PyObject_CallObject)(function, std::ptr::null_mut());
            if flags.is_null() {
                return None;
            }
            let value = (api.PyLong_AsLong)(flags);
            (api.Py_DecRef)(flags);
            if value == -1 && !(api.PyErr_Occurred)().is_null() {
                return None;
            }
            c_int::try_from(value).ok()
        }
    }

    pub(crate) fn none() -> *mut PyObject {
        let api = api();
        // SAFETY: None is a static object; a new reference is returned.
        unsafe {
            (api.Py_IncRef)(api._Py_NoneStruct);
        }
        api._Py_NoneStruct
    }

    pub(crate) fn long(value: c_long) -> *mut PyObject {
        // SAFETY: GIL held during a callback.
        unsafe { (api().PyLong_FromLong)(value) }
    }

    pub(crate) fn bytes(data: &[u8]) -> *mut PyObject {
        // SAFETY: pointer and length describe `data`; CPython copies it.
        unsafe { (api().PyBytes_FromStringAndSize)(data.as_ptr().cast(), data.len() as isize) }
    }

    pub(crate) fn str(s: &str) -> *mut PyObject {
        // SAFETY: valid UTF-8 of that length; CPython copies it.
        unsafe { (api().PyUnicode_FromStringAndSize)(s.as_ptr().cast(), s.len() as isize) }
    }

    /// Unmarshals a code object straight from the mapped executable, without a copy.
    pub(crate) fn unmarshal(data: &[u8]) -> *mut PyObject {
        // SAFETY: CPython reads `data.len()` bytes at the pointer and validates them.
        unsafe { (api().PyMarshal_ReadObjectFromString)(data.as_ptr().cast(), data.len() as isize) }
    }

    /// Raises ImportError(message) and returns NULL, the C-API convention for failure.
    pub(crate) fn import_error(message: &str) -> *mut PyObject {
        let message = CString::new(message.replace('\0', "?")).expect("NULs replaced");
        let api = api();
        // SAFETY: the exception type is a live static object; the message is copied.
        unsafe { (api.PyErr_SetString)(*api.PyExc_ImportError, message.as_ptr()) };
        std::ptr::null_mut()
    }

    /// Raises `OSError(errno, message, filename)` (a subclass such as PermissionError, as
    /// the errno makes it), or `OSError(message)` without an errno, and returns NULL.
    pub(crate) fn os_error(
        errno: Option<i32>,
        message: &str,
        filename: Option<&[u8]>,
    ) -> *mut PyObject {
        let api = api();
        let mut args = vec![str(message)];
        if let Some(errno) = errno {
            args.insert(0, long(c_long::from(errno)));
            if let Some(filename) = filename {
                args.push(fs_str(filename));
            }
        }
        // SAFETY: a new tuple filled with new references (PyTuple_SetItem steals them),
        // or released with them if one could not be made; PyErr_SetObject takes its own
        // reference to the tuple, which makes the exception OSError(*args).
        unsafe {
            let tuple = (api.PyTuple_New)(args.len() as isize);
            if tuple.is_null() || args.iter().any(|arg| arg.is_null()) {
                for arg in args.into_iter().filter(|arg| !arg.is_null()) {
                    (api.Py_DecRef)(arg);
                }
                if !tuple.is_null() {
                    (api.Py_DecRef)(tuple);
                }
                return std::ptr::null_mut();
            }
            for (i, arg) in args.into_iter().enumerate() {
                (api.PyTuple_SetItem)(tuple, i as isize, arg);
            }
            (api.PyErr_SetObject)(*api.PyExc_OSError, tuple);
            (api.Py_DecRef)(tuple);
        }
        std::ptr::null_mut()
    }

    /// A path and, for a file, its bytes.
    pub(crate) type Item<'a> = (&'a str, Option<&'a [u8]>);

    /// The pairs of a flat list `[str, bytes or None, str, bytes or None, ...]`, borrowed
    /// from it (the caller's list outlives the callback, and no Python code runs to change
    /// it); `None` with a TypeError raised if it is anything else.
    pub(crate) fn arg_pairs<'a>(arg: *mut PyObject) -> Option<Vec<Item<'a>>> {
        let api = api();
        let type_error = || {
            // SAFETY: the exception type is a live static object; the message is copied.
            unsafe {
                (api.PyErr_SetString)(
                    *api.PyExc_TypeError,
                    c"expected a list of str, bytes or None pairs".as_ptr(),
                )
            };
            None
        };
        // SAFETY: `arg` is the borrowed argument of a METH_O call; PyList_Size checks its
        // type (raising SystemError for a non-list) and PyList_GetItem returns borrowed
        // references for indices below the size.
        let size = unsafe { (api.PyList_Size)(arg) };
        if size < 0 {
            return None;
        }
        if size % 2 != 0 {
            return type_error();
        }
        let mut pairs = Vec::with_capacity(size as usize / 2);
        for i in (0..size).step_by(2) {
            // SAFETY: see above; `i + 1 < size`.
            let (name, value) = unsafe {
                (
                    (api.PyList_GetItem)(arg, i),
                    (api.PyList_GetItem)(arg, i + 1),
                )
            };
            let name = arg_str(name)?;
            if value == api._Py_NoneStruct {
                pairs.push((name, None));
                continue;
            }
            let mut data: *mut c_char = std::ptr::null_mut();
            let mut len: isize = 0;
            // SAFETY: a borrowed object; for a bytes object CPython points `data` at its
            // buffer of `len` bytes, owned by the object, which the list keeps alive.
            if unsafe { (api.PyBytes_AsStringAndSize)(value, &mut data, &mut len) } != 0 {
                return None;
            }
            // SAFETY: as above.
            pairs.push((
                name,
                Some(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len as usize) }),
            ));
        }
        Some(pairs)
    }

    /// A `str` decoded from OS bytes with the filesystem encoding and `surrogateescape`,
    /// as CPython decodes `sys.argv`.
    pub(crate) fn fs_str(item: &[u8]) -> *mut PyObject {
        // SAFETY: pointer and length describe `item`; CPython copies it.
        unsafe {
            (api().PyUnicode_DecodeFSDefaultAndSize)(item.as_ptr().cast(), item.len() as isize)
        }
    }

    /// A list of [`fs_str`]s.
    pub(crate) fn fs_str_list(items: &[Vec<u8>]) -> *mut PyObject {
        let api = api();
        // SAFETY: a new list filled with new references (PyList_SetItem steals them).
        unsafe {
            let list = (api.PyList_New)(items.len() as isize);
            if list.is_null() {
                return list;
            }
            for (i, item) in items.iter().enumerate() {
                let s = fs_str(item);
                if s.is_null() {
                    (api.Py_DecRef)(list);
                    return s;
                }
                (api.PyList_SetItem)(list, i as isize, s);
            }
            list
        }
    }

    /// Sets `module.name = value`, consuming `value`; false if either is NULL or it fails.
    pub(crate) fn set_attr(module: *mut PyObject, name: &CStr, value: *mut PyObject) -> bool {
        if value.is_null() {
            return false;
        }
        let api = api();
        // SAFETY: live module and value; the value's reference is released after the
        // attribute took its own.
        unsafe {
            let ok = (api.PyObject_SetAttrString)(module, name.as_ptr(), value) == 0;
            (api.Py_DecRef)(value);
            ok
        }
    }

    /// Creates a module from a leaked definition with METH_O functions.
    pub(crate) fn create_module(
        name: &'static CStr,
        doc: &'static CStr,
        functions: &[(&'static CStr, PyCFunction, &'static CStr)],
    ) -> *mut PyObject {
        let mut methods: Vec<MethodDef> = functions
            .iter()
            .map(|&(name, function, doc)| MethodDef {
                ml_name: name.as_ptr(),
                ml_meth: Some(function),
                ml_flags: METH_O,
                ml_doc: doc.as_ptr(),
            })
            .collect();
        methods.push(MethodDef {
            ml_name: std::ptr::null(),
            ml_meth: None,
            ml_flags: 0,
            ml_doc: std::ptr::null(),
        });
        let def = Box::leak(Box::new(ModuleDef {
            ob_refcnt: 1,
            ob_type: std::ptr::null_mut(),
            m_init: std::ptr::null_mut(),
            m_index: 0,
            m_copy: std::ptr::null_mut(),
            m_name: name.as_ptr(),
            m_doc: doc.as_ptr(),
            m_size: -1,
            m_methods: methods.leak().as_mut_ptr(),
            m_slots: std::ptr::null_mut(),
            m_traverse: std::ptr::null_mut(),
            m_clear: std::ptr::null_mut(),
            m_free: std::ptr::null_mut(),
        }));
        // SAFETY: the definition and its method table are leaked, so they live as long as
        // the interpreter, as CPython requires of a module definition.
        unsafe { (api().PyModule_Create2)(def, PYTHON_API_VERSION) }
    }
}

impl Interpreter {
    /// The entries of the default frozen table (3.8–3.10 layout) whose names are not in
    /// `replaced`.
    pub(crate) fn default_frozen_entries_before_311(
        &self,
        replaced: &[&CStr],
    ) -> Vec<crate::ffi::frozen::Frozen38> {
        let mut kept = Vec::new();
        let mut row = self
            .default_frozen_table()
            .cast::<crate::ffi::frozen::Frozen38>();
        if row.is_null() {
            return kept;
        }
        // SAFETY: on 3.8–3.10 the default table is an array of `struct _frozen` in the
        // Frozen38 layout, terminated by an entry whose name is NULL.
        unsafe {
            while !(*row).name.is_null() {
                let name = CStr::from_ptr((*row).name);
                if !replaced.contains(&name) {
                    kept.push(*row);
                }
                row = row.add(1);
            }
        }
        kept
    }
}
