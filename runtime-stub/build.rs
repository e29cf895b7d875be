//! Links the stub as a position-dependent executable.
//!
//! The dynamic loader relocates a position-independent executable before any of its code
//! runs: 925 relative relocations, 22 KB of the stub, which the stub's own checksum cannot
//! cover, as nothing of the stub has run yet. A damaged byte there made the loader write
//! to a wild address (SIGSEGV) or fail an assertion. Linked at a fixed address, the stub
//! has no relative relocations left; what the loader still reads before `main` is a few
//! KB of headers, symbols and the GOT's relocations. The price is the stub's own code at a
//! fixed address (libpython, libraries, stack and heap are still randomised); see
//! docs/SECURITY.md.
fn main() {
    println!("cargo:rustc-link-arg-bins=-no-pie");
}
