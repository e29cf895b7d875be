//! Operating-system calls: mapping the executable, memfds, dlopen, signals, the locale.

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// The running executable, opened again: for reading native code out of it, which goes
/// by `pread` rather than through the mapping (see `Entry::copy_to`).
pub(crate) fn open_executable() -> io::Result<File> {
    above_stdio(File::open("/proc/self/exe").map_err(explained)?).map_err(explained)
}

/// The executable's mapping, once made.
static IMAGE: OnceLock<&'static [u8]> = OnceLock::new();

/// The page-aligned bounds of the executable's mapping, once made.
static MAPPED: OnceLock<(usize, usize)> = OnceLock::new();

/// The running executable, mapped read-only for the life of the process, so that bytecode
/// and names can be handed to CPython as pointers into it without copying. Its descriptor
/// is closed: the mapping needs none.
pub(crate) fn map_executable() -> io::Result<&'static [u8]> {
    if let Some(&bytes) = IMAGE.get() {
        return Ok(bytes);
    }
    let file = open_executable()?;
    let len = usize::try_from(file.metadata()?.len())
        .map_err(|_| io::Error::other("executable too large to map"))?;
    if len == 0 {
        return Err(io::Error::other("executable is empty"));
    }
    // SAFETY: a fresh private read-only mapping of a file we hold open; the kernel checks
    // the arguments. The file cannot change under us: a running executable cannot be
    // written ("Text file busy"), only replaced by rename, which keeps this inode.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_PRIVATE,
            file.as_raw_fd(),
            0,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: sysconf has no preconditions.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
    let _ = MAPPED.set((ptr as usize, (ptr as usize + len).next_multiple_of(page)));
    // SAFETY: the mapping is `len` readable bytes and is never unmapped, so a 'static
    // shared slice over it stays valid; nothing writes to it (PROT_READ).
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    Ok(IMAGE.get_or_init(|| bytes))
}

/// Lets the kernel drop this process's page-table entries for the whole mapping of the
/// executable, whose pages have been read for code that has since been unmarshalled:
/// python reads a `.pyc` into a buffer it frees, and a frozen app's resident memory should
/// not keep every imported module's bytecode, and the 64 KiB the kernel maps around each
/// page fault ("fault-around"), either. The pages stay in the page cache; reading them
/// again faults them back in, unchanged.
pub(crate) fn release_mapping() {
    let Some(&(start, end)) = MAPPED.get() else {
        return;
    };
    // SAFETY: [start, end) is exactly the executable's private read-only file mapping,
    // which is never written: MADV_DONTNEED only unmaps its pages, and the next read
    // refaults the same bytes from the file.
    unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
}

/// Writes to disk everything written to the file system that holds `file`.
pub(crate) fn sync_file_system(file: &File) -> io::Result<()> {
    // SAFETY: `file` is an open descriptor; syncfs only reads it.
    if unsafe { libc::syncfs(file.as_raw_fd()) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `file` on the lowest free descriptor from 3 up. The descriptors the stub keeps open
/// must not fill in for a closed stdin, stdout or stderr: CPython would take them for the
/// app's standard streams, where python makes the stream of a closed descriptor None.
fn above_stdio(file: File) -> io::Result<File> {
    if file.as_raw_fd() > libc::STDERR_FILENO {
        return Ok(file);
    }
    lowest_free(&file)
}

/// A duplicate of `file` on the lowest free descriptor from 3 up.
fn lowest_free(file: &File) -> io::Result<File> {
    // SAFETY: `file` is an open descriptor; the duplicate is new and owned by nobody else.
    let fd = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: see above.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// The soft limit on `resource` (`RLIMIT_NOFILE`, `RLIMIT_AS`), or `None` if there is none.
pub(crate) fn limit(resource: libc::__rlimit_resource_t) -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given, which lives across the call.
    if unsafe { libc::getrlimit(resource, &mut limit) } != 0
        || limit.rlim_cur == libc::RLIM_INFINITY
    {
        return None;
    }
    Some(limit.rlim_cur)
}

/// What the limit behind `errno`, if a limit is, is set to: "ulimit -n 16" for too many
/// open files, "ulimit -v 65536" (kB) for memory, as the shell sets them.
pub(crate) fn ulimit_behind(errno: i32) -> Option<String> {
    match errno {
        libc::EMFILE => limit(libc::RLIMIT_NOFILE).map(|n| format!("ulimit -n {n}")),
        libc::ENOMEM => limit(libc::RLIMIT_AS).map(|bytes| format!("ulimit -v {}", bytes / 1024)),
        _ => None,
    }
}

/// `error`, saying which limit it hit when it is too many open files: the descriptors a
/// bundle needs are a limit's business, and the message should say which.
fn explained(error: io::Error) -> io::Error {
    match error.raw_os_error() {
        Some(libc::EMFILE) => io::Error::new(
            error.kind(),
            match ulimit_behind(libc::EMFILE) {
                Some(ulimit) => format!("too many open files ({ulimit})"),
                None => "too many open files".to_owned(),
            },
        ),
        _ => error,
    }
}

/// A memfd holding a library's bytes, until `dlopen` has mapped them: then it is dropped,
/// which closes its descriptor (the mapping keeps the memory).
pub(crate) struct Memfd {
    file: File,
    path: CString,
}

/// How many times the path of each descriptor number has been handed out. glibc takes a
/// library whose path string it has loaded before for that library, without opening the
/// path: once a memfd is closed its number comes back, so a later memfd on it gets a path
/// no library has had (`/proc/self/fd//N`, `/proc/self/fd///N`, ... name the same file).
static PATHS_GIVEN: Mutex<BTreeMap<i32, usize>> = Mutex::new(BTreeMap::new());

fn unused_path(fd: i32) -> CString {
    let mut given = PATHS_GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    let times = given.entry(fd).or_insert(0);
    let path = format!("/proc/self/fd/{}{fd}", "/".repeat(*times));
    *times += 1;
    CString::new(path).expect("no NUL in a formatted path")
}

impl Memfd {
    fn new(file: File) -> Memfd {
        let path = unused_path(file.as_raw_fd());
        Memfd { file, path }
    }

    /// The path that opens it, `/proc/self/fd/N` (see [`PATHS_GIVEN`]), which no library
    /// loaded so far has had.
    pub(crate) fn path(&self) -> &CStr {
        &self.path
    }

    /// Moves the memfd to the lowest free descriptor from 3 up if its path is shorter
    /// there; the old descriptor is closed, which is harmless before anything has opened
    /// its path.
    pub(crate) fn renumber(&mut self) -> io::Result<()> {
        let file = lowest_free(&self.file)?;
        if file.as_raw_fd() < self.file.as_raw_fd() {
            let lower = Memfd::new(file);
            if lower.path.count_bytes() < self.path.count_bytes() {
                *self = lower;
            }
        }
        Ok(())
    }

    pub(crate) fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.file.read_exact_at(buf, offset)
    }

    pub(crate) fn write_at(&self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all_at(bytes, offset)
    }

    /// Where to write its contents, from the start.
    pub(crate) fn writer(&self) -> impl Write + '_ {
        &self.file
    }

    /// Frees `len` bytes from `offset` (whole pages), which read as zeros from then on.
    pub(crate) fn punch_hole(&self, offset: u64, len: u64) -> io::Result<()> {
        let (Ok(offset), Ok(len)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len))
        else {
            return Err(io::Error::other("range too large"));
        };
        // SAFETY: fallocate on a descriptor we own; PUNCH_HOLE | KEEP_SIZE only frees the
        // memfd's pages in the range, which no mapping of the process uses any more.
        let done = unsafe {
            libc::fallocate(
                self.file.as_raw_fd(),
                libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                offset,
                len,
            )
        };
        if done == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Makes it `len` bytes long: what is not written stays a hole, which takes no memory.
    pub(crate) fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }
}

/// The size of a page of memory.
pub(crate) fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(0)
}

/// `argc` and `argv` as the process started, which glibc hands every constructor it runs
/// and the stub hands the constructors it runs itself (see [`run_constructors`]).
/// Plain atomics: this runs before the stub has checked its own bytes, so as little code
/// as can be.
static MAIN_ARGC: AtomicI32 = AtomicI32::new(0);
static MAIN_ARGV: AtomicUsize = AtomicUsize::new(0);

type Constructor = extern "C" fn(libc::c_int, *mut *mut libc::c_char, *mut *mut libc::c_char);

/// Run by glibc before `main` with the process's arguments, as every `.init_array` entry
/// is: std keeps its own copy of them, but not in the form constructors take.
extern "C" fn keep_main_args(
    argc: libc::c_int,
    argv: *mut *mut libc::c_char,
    _envp: *mut *mut libc::c_char,
) {
    MAIN_ARGC.store(argc, Ordering::Relaxed);
    MAIN_ARGV.store(argv as usize, Ordering::Relaxed);
}

#[used]
#[link_section = ".init_array"]
static KEEP_MAIN_ARGS: Constructor = keep_main_args;

/// Maps `len` bytes of `file` from `offset` over `[address, address + len)` with `prot`
/// (a bit set of `pyfreeze_archive::mapping::prot`), privately, replacing what was there.
///
/// The caller must own the range: it is part of a library the stub loaded, whose bytes
/// there are those of `file` at `offset`.
pub(crate) fn map_over(
    address: usize,
    len: usize,
    prot: u32,
    file: &File,
    offset: u64,
) -> io::Result<()> {
    use pyfreeze_archive::mapping::prot as p;
    let prot = [(p::READ, libc::PROT_READ), (p::EXEC, libc::PROT_EXEC)]
        .iter()
        .filter(|(bit, _)| prot & bit != 0)
        .fold(0, |all, (_, flag)| all | flag);
    let offset = libc::off_t::try_from(offset).map_err(|_| io::Error::other("offset too large"))?;
    // SAFETY: the caller owns [address, address + len): a read-only part of a library
    // whose bytes are the file's at `offset`, which nothing writes. MAP_FIXED replaces
    // the pages atomically, so any thread sees the old bytes or the same new ones.
    let ptr = unsafe {
        libc::mmap(
            address as *mut libc::c_void,
            len,
            prot,
            libc::MAP_PRIVATE | libc::MAP_FIXED,
            file.as_raw_fd(),
            offset,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Err(explained(io::Error::last_os_error()));
    }
    Ok(())
}

/// Creates an empty memfd.
pub(crate) fn memfd(name: &CStr) -> io::Result<Memfd> {
    // SAFETY: `name` is NUL-terminated; MFD_CLOEXEC keeps the descriptor out of children
    // started with exec (os.system, subprocess).
    let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(explained(io::Error::last_os_error()));
    }
    // SAFETY: `fd` was just created and is owned by nobody else.
    Ok(Memfd::new(above_stdio(unsafe { File::from_raw_fd(fd) })?))
}

/// A library loaded with `dlopen`, kept for the life of the process.
#[derive(Clone, Copy)]
pub(crate) struct Library(*mut libc::c_void);

impl Library {
    /// `dlopen(path, RTLD_NOW | RTLD_GLOBAL)`, for libpython: global so that extension
    /// modules loaded later resolve the C API against this copy of it.
    pub(crate) fn open_global(path: &CStr) -> Result<Library, String> {
        Library::open(path, libc::RTLD_NOW | libc::RTLD_GLOBAL)
    }

    /// `dlopen(path, RTLD_NOW | RTLD_LOCAL)`, for the libraries extension modules need:
    /// the loader matches their sonames all the same, without mixing their symbols into
    /// the global scope (as CPython loads extension modules).
    pub(crate) fn open_local(path: &CStr) -> Result<Library, String> {
        Library::open(path, libc::RTLD_NOW | libc::RTLD_LOCAL)
    }

    /// `dlopen(path, flags)`.
    pub(crate) fn open(path: &CStr, flags: libc::c_int) -> Result<Library, String> {
        // SAFETY: `path` is NUL-terminated; dlopen runs the library's constructors, which
        // for libpython and its dependencies have no preconditions.
        let handle = unsafe { libc::dlopen(path.as_ptr(), flags) };
        if handle.is_null() {
            return Err(with_limit(dlerror(), path));
        }
        Ok(Library(handle))
    }

    /// The library loaded from `path`, if it is loaded; the reference is kept, as every
    /// library's is.
    pub(crate) fn loaded(path: &CStr) -> Option<Library> {
        // SAFETY: `path` is NUL-terminated; with RTLD_NOLOAD, dlopen loads nothing and runs
        // no code: it only finds a loaded library.
        let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD) };
        if handle.is_null() {
            dlerror();
            return None;
        }
        Some(Library(handle))
    }

    /// Whether the library at `path` is loaded: `dlopen` found it, so that the path now
    /// names it for glibc (see [`PATHS_GIVEN`]).
    pub(crate) fn is_loaded(path: &CStr) -> bool {
        // SAFETY: `path` is NUL-terminated; with RTLD_NOLOAD, dlopen loads nothing and runs
        // no code: it only finds a loaded library, whose extra reference dlclose drops.
        unsafe {
            let handle = libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD);
            if handle.is_null() {
                libc::dlerror();
                return false;
            }
            libc::dlclose(handle);
        }
        true
    }

    /// The address the library was loaded at: what its ELF addresses are relative to.
    pub(crate) fn base(self) -> Result<usize, String> {
        let mut map: *mut libc::c_void = std::ptr::null_mut();
        // SAFETY: the handle came from a successful dlopen; RTLD_DI_LINKMAP writes a
        // pointer to the library's `struct link_map`, whose first member is `l_addr`, the
        // load address, as <link.h> declares it.
        unsafe {
            if libc::dlinfo(self.0, libc::RTLD_DI_LINKMAP, (&raw mut map).cast()) != 0
                || map.is_null()
            {
                return Err(dlerror());
            }
            Ok(*map.cast::<usize>())
        }
    }

    /// The address of `symbol`, or an error naming it.
    pub(crate) fn symbol(self, symbol: &CStr) -> Result<*mut libc::c_void, String> {
        // SAFETY: the handle came from a successful dlopen and is never closed.
        let address = unsafe { libc::dlsym(self.0, symbol.as_ptr()) };
        if address.is_null() {
            return Err(format!(
                "symbol {} not found: {}",
                symbol.to_string_lossy(),
                dlerror()
            ));
        }
        Ok(address)
    }
}

/// Runs the constructors the build moved out of a library's loader's sight, in the loader's
/// order: `DT_INIT` at `init`, then the `count` functions of `DT_INIT_ARRAY` at `array`,
/// each with `argc`, `argv` and the environment, as glibc calls them.
///
/// `init` and `array` must be the library's own, relative to `base`, its
/// [`Library::base`], and the pages holding their code mapped.
pub(crate) fn run_constructors(base: usize, init: Option<u64>, array: Option<(u64, u64)>) {
    let (argc, argv) = (
        MAIN_ARGC.load(Ordering::Relaxed),
        MAIN_ARGV.load(Ordering::Relaxed),
    );
    let at = |offset: u64| base.wrapping_add(offset as usize);
    // SAFETY: the addresses are the library's DT_INIT and DT_INIT_ARRAY, which the
    // build read from its dynamic section, relocated by the loader (the array's
    // entries are absolute addresses once it has relocated them), with the code they
    // point to mapped: exactly the calls the loader would have made, with the same
    // arguments (`environ` is the current environment, as the loader passes it).
    unsafe {
        let call = |address: usize| {
            let constructor: Constructor = std::mem::transmute(address);
            constructor(argc, argv as *mut *mut libc::c_char, environ);
        };
        if let Some(init) = init {
            call(at(init));
        }
        if let Some((array, count)) = array {
            let entries = at(array) as *const usize;
            for i in 0..count as usize {
                call(entries.add(i).read());
            }
        }
    }
}

/// A `dlerror` message, with the limit the loader hit if it hit one. glibc keeps errno
/// from before the call, and its message does not always carry the error ("failed to map
/// segment from shared object"): too many open files is told by its text; no memory, by
/// trying to reserve as much address space as the file's size again.
fn with_limit(message: String, path: &CStr) -> String {
    let cause = if message.ends_with(&strerror(libc::EMFILE)) {
        Some(libc::EMFILE)
    } else {
        let size = std::fs::metadata(std::ffi::OsStr::from_bytes(path.to_bytes()))
            .map_or(0, |meta| meta.len());
        (size > 0 && reserve(size).err().and_then(|e| e.raw_os_error()) == Some(libc::ENOMEM))
            .then_some(libc::ENOMEM)
    };
    match cause.and_then(ulimit_behind) {
        Some(ulimit) => format!("{message} ({ulimit})"),
        None => message,
    }
}

/// Reserves `len` bytes of address space, and gives them back.
fn reserve(len: u64) -> io::Result<()> {
    let len = usize::try_from(len).map_err(|_| io::Error::from_raw_os_error(libc::ENOMEM))?;
    // SAFETY: a fresh anonymous mapping with no access, unmapped at once; nothing uses it.
    unsafe {
        let ptr = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        libc::munmap(ptr, len);
    }
    Ok(())
}

/// The C library's text for `errno`, as `dlerror` ends its messages with it.
fn strerror(errno: i32) -> String {
    // SAFETY: strerror returns a NUL-terminated string, copied out at once; for a known
    // errno, as these are, glibc's is a constant that no other call overwrites.
    unsafe { CStr::from_ptr(libc::strerror(errno)) }
        .to_string_lossy()
        .into_owned()
}

fn dlerror() -> String {
    // SAFETY: dlerror returns NULL or a NUL-terminated string valid until the next dl* call
    // on this thread; it is copied out at once.
    let message = unsafe { libc::dlerror() };
    if message.is_null() {
        "unknown dynamic loader error".to_owned()
    } else {
        // SAFETY: non-NULL result of dlerror, see above.
        unsafe { CStr::from_ptr(message) }
            .to_string_lossy()
            .into_owned()
    }
}

extern "C" {
    static mut environ: *mut *mut libc::c_char;
}

/// Ends the process with `status` without running exit handlers or destructors.
pub(crate) fn exit_at_once(status: i32) -> ! {
    // SAFETY: _exit ends the process; nothing after it runs.
    unsafe { libc::_exit(status) }
}

/// Ends the process the way CPython does after an unhandled KeyboardInterrupt: by SIGINT
/// with the default action, so the parent sees death by signal (a shell then stops a loop).
pub(crate) fn die_by_sigint() -> ! {
    // SAFETY: restoring the default disposition and signalling ourselves have no memory
    // safety preconditions.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::kill(libc::getpid(), libc::SIGINT);
    }
    // Only reached if the signal is blocked; 128 + SIGINT is what a shell would report.
    std::process::exit(130)
}

/// The codeset (`nl_langinfo(CODESET)`) of the `LC_CTYPE` locale the environment selects,
/// which CPython sets while it starts to choose the encodings of the file system and the
/// standard streams: "UTF-8", "ANSI_X3.4-1968" for C, "C"'s also when the environment
/// names a locale this system lacks, as for CPython. The process's locale is put back.
pub(crate) fn environment_codeset() -> Vec<u8> {
    // SAFETY: called before the interpreter starts, while the stub runs one thread, so
    // nothing else uses the locale meanwhile. setlocale(NULL) only queries; its string is
    // copied before the next setlocale call may reuse it, and is the one that puts the
    // locale back. nl_langinfo's string is copied before the locale changes again.
    unsafe {
        let current = libc::setlocale(libc::LC_CTYPE, std::ptr::null());
        let saved = (!current.is_null()).then(|| CStr::from_ptr(current).to_owned());
        libc::setlocale(libc::LC_CTYPE, c"".as_ptr());
        let codeset = libc::nl_langinfo(libc::CODESET);
        let codeset = if codeset.is_null() {
            Vec::new()
        } else {
            CStr::from_ptr(codeset).to_bytes().to_vec()
        };
        if let Some(saved) = saved {
            libc::setlocale(libc::LC_CTYPE, saved.as_ptr());
        }
        codeset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_descriptor_number_used_again_gets_a_path_no_library_had() {
        let paths: Vec<CString> = (0..3)
            .map(|i| {
                let memfd = memfd(c"test").unwrap();
                memfd.writer().write_all(&[i]).unwrap();
                let path = memfd.path().to_owned();
                let read = std::fs::read(std::ffi::OsStr::from_bytes(path.to_bytes())).unwrap();
                assert_eq!(read, [i], "{path:?} opens another file");
                path
            })
            .collect();
        assert!(
            paths[0] != paths[1] && paths[1] != paths[2] && paths[0] != paths[2],
            "{paths:?}"
        );
    }
}
