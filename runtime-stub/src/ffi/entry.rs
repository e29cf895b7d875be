//! The process's entry point, and the check of the stub's own bytes that comes before
//! anything else of it runs.

use std::ffi::CStr;
use std::sync::atomic::{AtomicPtr, Ordering};

use super::sys::map_executable;

/// The process's entry point, called by the C runtime (see `#![no_main]` in `main.rs`).
/// The stub's own bytes are checked before anything else of it runs.
#[no_mangle]
extern "C" fn main(argc: libc::c_int, argv: *const *const libc::c_char) -> libc::c_int {
    if argc > 0 {
        // SAFETY: the C runtime passes `argc` valid pointers in `argv`.
        PROGRAM.store(unsafe { *argv }.cast_mut(), Ordering::Relaxed);
    }
    let crashes = CrashesRefused::install();
    if map_executable().is_ok_and(pyfreeze_archive::stub_is_damaged) {
        refuse_damaged_stub(DAMAGED_STUB);
    }
    drop(crashes);
    crate::main()
}

/// The program name, `argv[0]`, for messages written without formatting; stored before
/// anything else, so that even a crash of the first steps can be said with it.
static PROGRAM: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());

const DAMAGED_STUB: &[u8] = b": error: damaged bundle: the runtime stub (the bytes in front of \
its archive) does not match its checksum; copy or build it again\n";
const CRASHED_STUB: &[u8] = b": error: damaged bundle: the runtime stub crashed while it checked \
its own bytes; copy or build it again\n";

/// The signals a damaged instruction or pointer gives.
const CRASH_SIGNALS: [libc::c_int; 5] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGABRT,
];

/// While the stub checks its own bytes, the code that checks them (a few KB: the mapping,
/// the checksum and the CPU feature detection it needs) may itself be the damaged bytes: a
/// crash then is damage, said as such, not a signal. The handler runs on a stack of its
/// own, as damaged code may have left the stack pointer anywhere. The dispositions and the
/// signal stack the process was started with come back when this is dropped, before
/// CPython could look at them.
struct CrashesRefused {
    inherited: [libc::sigaction; CRASH_SIGNALS.len()],
    inherited_stack: libc::stack_t,
    /// The handler's stack, or null if none could be had (the handler then runs on the
    /// process's stack, as it would without one).
    stack: *mut libc::c_void,
}

/// The size of the handler's stack: `refuse_damaged_stub` needs little.
const HANDLER_STACK: usize = 64 << 10;

impl CrashesRefused {
    fn install() -> CrashesRefused {
        // SAFETY: an all-zero sigaction is a valid value (no handler, empty mask).
        let mut inherited: [libc::sigaction; CRASH_SIGNALS.len()] = unsafe { std::mem::zeroed() };
        // SAFETY: as above; the handler and flags are set next.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = on_crash as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: a fresh private anonymous mapping, used only as the handler's stack.
        let stack = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                HANDLER_STACK,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        let stack = if stack == libc::MAP_FAILED {
            std::ptr::null_mut()
        } else {
            stack
        };
        // SAFETY: an all-zero stack_t is a valid value; sigaltstack writes the old one.
        let mut inherited_stack: libc::stack_t = unsafe { std::mem::zeroed() };
        if !stack.is_null() {
            let ours = libc::stack_t {
                ss_sp: stack,
                ss_flags: 0,
                ss_size: HANDLER_STACK,
            };
            // SAFETY: `ours` describes the mapping made above, which lives until drop.
            unsafe { libc::sigaltstack(&ours, &mut inherited_stack) };
        }
        // A crash in the handler itself is not caught again.
        action.sa_flags = libc::SA_RESETHAND | libc::SA_ONSTACK;
        for (signal, old) in CRASH_SIGNALS.iter().zip(&mut inherited) {
            // SAFETY: both structs live across the call; a failure leaves the signal's
            // disposition as it was, and `old` zeroed, which restores the default.
            unsafe { libc::sigaction(*signal, &action, old) };
        }
        CrashesRefused {
            inherited,
            inherited_stack,
            stack,
        }
    }
}

impl Drop for CrashesRefused {
    fn drop(&mut self) {
        for (signal, old) in CRASH_SIGNALS.iter().zip(&self.inherited) {
            // SAFETY: `old` is what sigaction gave back for this signal.
            unsafe { libc::sigaction(*signal, old, std::ptr::null_mut()) };
        }
        if !self.stack.is_null() {
            // SAFETY: puts back the stack sigaltstack gave back (a disabled one if there
            // was none), then frees ours, which no handler can run on any more.
            unsafe {
                libc::sigaltstack(&self.inherited_stack, std::ptr::null_mut());
                libc::munmap(self.stack, HANDLER_STACK);
            }
        }
    }
}

extern "C" fn on_crash(_signal: libc::c_int) {
    refuse_damaged_stub(CRASHED_STUB)
}

/// Says the stub is damaged and exits, running as little of it as can be: no formatting,
/// no exit handlers, no unwinding, each of which runs code that may be the damaged bytes.
/// Async-signal-safe: only `write` and `_exit`.
fn refuse_damaged_stub(message: &[u8]) -> ! {
    let program = PROGRAM.load(Ordering::Relaxed);
    let program: &[u8] = if program.is_null() {
        b"pyfreeze bundle"
    } else {
        // SAFETY: `argv[0]`, a NUL-terminated string that lives as long as the process;
        // `strlen`, which this calls, is async-signal-safe.
        unsafe { CStr::from_ptr(program) }.to_bytes()
    };
    for part in [program, message] {
        // SAFETY: writes `part`'s bytes, which are valid for its length; a short or failed
        // write to stderr loses part of the message, which nothing can help.
        unsafe { libc::write(libc::STDERR_FILENO, part.as_ptr().cast(), part.len()) };
    }
    // SAFETY: ends the process at once, which is the point.
    unsafe { libc::_exit(crate::STUB_FAILURE) }
}
