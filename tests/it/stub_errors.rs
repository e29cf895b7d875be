//! The stub's own errors: run bare, or on a bundle it cannot use, it exits with a non-zero
//! status and a message that says why, and does not crash (no signal, no panic).
//!
//! The bad bundles are real ones (the `hello` example, shared with the other tests) rewritten
//! with the archive crate's own types, and checked with its reader to be what the test says
//! they are.

use std::fs;
use std::ops::Range;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use pyfreeze_archive::{Bundle, IndexHeader, Trailer};
use pyfreeze_tests::{
    binaries, bundle, for_each_interpreter, run_frozen, tempdir, test_name, Interpreter, Output,
    TempDir,
};
use zerocopy::FromBytes;

/// Whether `out` is the stub refusing to start: an exit code other than 0 (not a signal),
/// nothing on stdout, no panic, and a message on stderr containing `message`.
fn refused(out: &Output, message: &str) -> bool {
    matches!(out.status, pyfreeze_tests::Status::Code(c) if c != 0)
        && out.stdout.is_empty()
        && out.stderr.contains(message)
        && !out.stderr.contains("panicked")
}

#[test]
fn bare_stub_says_to_use_pyfreeze_build() {
    let stub = &binaries().stub;
    let out = run_frozen(stub, &[], None, &[]);
    assert!(
        refused(&out, "pyfreeze build"),
        "the bare stub {} should exit non-zero with a message mentioning `pyfreeze build`\n{out}",
        stub.display()
    );
}

/// Where the index of the bundle `file` lies in it (just before the trailer).
fn index_range(file: &[u8]) -> Result<Range<usize>, String> {
    let bundle = Bundle::parse(file).map_err(|e| format!("the bundle does not parse: {e}"))?;
    let trailer_at = file.len() - size_of::<Trailer>();
    let trailer = Trailer::ref_from_bytes(&file[trailer_at..])
        .map_err(|e| format!("cannot read the trailer: {e}"))?;
    let start = bundle.archive_start() + trailer.index_offset.get();
    let end = start + trailer.index_len.get();
    if end != trailer_at as u64 {
        return Err(format!(
            "the index ({start}..{end}) does not end where the trailer starts ({trailer_at})"
        ));
    }
    Ok(start as usize..end as usize)
}

/// The bytes of `python`'s hello bundle and where its index lies.
fn hello_bytes(python: &Interpreter) -> Result<(Vec<u8>, Range<usize>), String> {
    let frozen = bundle("hello", python)?;
    let bytes = fs::read(&frozen.exe)
        .map_err(|e| format!("{python}: read {}: {e}", frozen.exe.display()))?;
    let index = index_range(&bytes).map_err(|e| format!("{python}: {e}"))?;
    Ok((bytes, index))
}

/// Writes `bytes` as the executable `<tmp>/<name>`.
fn write_executable(name: &str, bytes: &[u8]) -> (TempDir, PathBuf) {
    let dir = tempdir(name);
    let exe = dir.path().join(name);
    fs::write(&exe, bytes).unwrap_or_else(|e| panic!("write {}: {e}", exe.display()));
    fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).expect("chmod");
    (dir, exe)
}

fn run_bad_bundle(python: &Interpreter, exe: &Path, message: &str, what: &str) -> Vec<String> {
    let out = run_frozen(exe, &["Ada"], None, &[]);
    if refused(&out, message) {
        Vec::new()
    } else {
        vec![format!(
            "{python}: a bundle {what} should make the stub exit non-zero (no signal, no panic) \
             with a message containing {message:?}\n{out}"
        )]
    }
}

#[test]
fn damaged_index_is_reported() {
    for_each_interpreter(test_name!(), |python| {
        let (mut bytes, index) = hello_bytes(python)?;
        let at = index.start + index.len() / 2;
        bytes[at] ^= 0xff;
        match Bundle::parse(&bytes) {
            Err(e) if e.to_string().contains("damaged bundle") => {}
            other => {
                return Err(format!(
                    "{python}: flipping byte {at} of the index should damage the bundle; the \
                     archive reader says {other:?}"
                )
                .into())
            }
        }
        let (_dir, exe) = write_executable("damaged", &bytes);
        Ok(run_bad_bundle(
            python,
            &exe,
            "damaged bundle",
            &format!("with byte {at} of its index flipped"),
        ))
    });
}

#[test]
fn bundle_for_an_unsupported_python_is_refused() {
    for_each_interpreter(test_name!(), |python| {
        let (mut bytes, index) = hello_bytes(python)?;
        let (header, _) = IndexHeader::mut_from_prefix(&mut bytes[index.clone()])
            .map_err(|e| format!("{python}: cannot read the index header: {e}"))?;
        header.python_minor = 14;
        let crc = crc32fast::hash(&bytes[index.clone()]);
        let trailer_at = bytes.len() - size_of::<Trailer>();
        Trailer::mut_from_bytes(&mut bytes[trailer_at..])
            .map_err(|e| format!("{python}: cannot read the trailer: {e}"))?
            .index_crc32
            .set(crc);
        // a well-formed bundle, only for Python 3.14
        match Bundle::parse(&bytes) {
            Ok(bundle) if bundle.python_major_minor() == (3, 14) => {}
            Ok(bundle) => {
                return Err(format!(
                    "{python}: the rewritten bundle says Python {:?}, not (3, 14)",
                    bundle.python_major_minor()
                )
                .into())
            }
            Err(e) => {
                return Err(format!("{python}: the rewritten bundle does not parse: {e}").into())
            }
        }
        let (_dir, exe) = write_executable("py314", &bytes);
        Ok(run_bad_bundle(
            python,
            &exe,
            "made for Python 3.14",
            "whose index says Python 3.14",
        ))
    });
}

/// A bundle cut short (an interrupted copy) says it is truncated, wherever it is cut: in
/// the trailer, the index, the archive's blobs, or just after the stub.
#[test]
fn truncated_bundle_says_so() {
    for_each_interpreter(test_name!(), |python| {
        let (bytes, index) = hello_bytes(python)?;
        let stub_len = Bundle::parse(&bytes)
            .map_err(|e| format!("{python}: {e}"))?
            .archive_start() as usize;
        let mut problems = Vec::new();
        for keep in [
            bytes.len() - 1,
            bytes.len() - size_of::<Trailer>(),
            index.start + index.len() / 2,
            (stub_len + index.start) / 2,
            stub_len + 1,
        ] {
            let (_dir, exe) = write_executable("truncated", &bytes[..keep]);
            problems.extend(run_bad_bundle(
                python,
                &exe,
                "damaged bundle: it is truncated",
                &format!("cut to {keep} of its {} bytes", bytes.len()),
            ));
        }
        Ok(problems)
    });
}

/// A flipped bit in the stub's own code is found by the check it makes first thing.
#[test]
fn damaged_stub_is_refused() {
    for_each_interpreter(test_name!(), |python| {
        let (mut bytes, _) = hello_bytes(python)?;
        let stub_len = Bundle::parse(&bytes)
            .map_err(|e| format!("{python}: {e}"))?
            .archive_start() as usize;
        // Well inside the code, past the headers the dynamic loader reads.
        let at = stub_len * 3 / 4;
        bytes[at] ^= 0x10;
        let (_dir, exe) = write_executable("damaged-stub", &bytes);
        Ok(run_bad_bundle(
            python,
            &exe,
            "damaged bundle: the runtime stub",
            &format!("with byte {at} of its stub flipped"),
        ))
    });
}
