//! A damaged bundle is refused, never run: one bit flipped at 1,000 random offsets of a
//! real bundle (the `hello` example, on the release stub users get; its bytes included), one copy at a time, on
//! every interpreter. Each run either ends as the undamaged bundle does (the flipped byte is
//! never used: a module, codec or source the app does not import) or exits with the stub's
//! failure status and one line saying the bundle is damaged; none dies by a signal, hangs
//! or prints something else. Bytes the bundle always uses (the stub, the index and trailer,
//! libpython, the bootstrap modules and `__main__`) must always be refused.
//!
//! The one exception is the few kilobytes of the stub's ELF image that the kernel and the
//! dynamic loader read before any code of the stub runs (program headers, dynamic symbols
//! and their relocations): no check of the bundle's can run before them. There a damaged
//! byte gets the loader's own refusal (status 127 or 1 and its message), the kernel's (the
//! executable does not start) or, where the loader follows a damaged pointer, a crash;
//! those are counted and shown, and must stay the only crashes. The code the stub's
//! self-check runs before it has checked anything (its reads of its own executable, through
//! std's file calls) cannot check itself: a flip there fails as that code then does, with
//! the stub's failure status and its one-line message about reading the executable.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use object::read::elf::ElfFile64;
use object::{Object, ObjectSection};
use pyfreeze_archive::{Bundle, Kind, Trailer};
use pyfreeze_tests::{
    bundle_with, copy_example, copy_executable, for_each_interpreter, release_stub, run_command,
    say, test_name, Interpreter, Output, Status,
};
use zerocopy::FromBytes;

const FLIPS: usize = 1000;
/// What the stub exits with when it cannot start the app (README, "Exit status").
const STUB_FAILURE: i32 = 70;
/// Sections of the stub the dynamic loader reads, or runs code from, before `main`.
const LOADER_SECTIONS: &[&str] = &[
    ".interp",
    ".note.ABI-tag",
    ".note.gnu.build-id",
    ".dynsym",
    ".gnu.version",
    ".gnu.version_r",
    ".gnu.hash",
    ".dynstr",
    ".rela.dyn",
    ".rela.plt",
    ".init",
    ".init_array",
    ".fini_array",
    ".dynamic",
    ".got",
    ".got.plt",
];

/// What a region of the bundle is, for the summary and for what a flip there may give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Region {
    /// ELF headers and what the loader reads before the stub runs.
    Loader,
    /// The rest of the stub: its code and data, checked against the trailer first thing.
    Stub,
    /// The index and the trailer.
    Index,
    /// An entry every start uses.
    AlwaysUsed(Kind),
    /// An entry this app may not use.
    Entry(Kind),
    /// Bytes between entries, never read.
    Gap,
}

struct Layout {
    loader: Vec<Range<u64>>,
    stub_len: u64,
    index_start: u64,
    entries: Vec<(Range<u64>, Region)>,
}

impl Layout {
    fn of(bytes: &[u8]) -> Result<Layout, String> {
        let bundle = Bundle::parse(bytes).map_err(|e| format!("the bundle does not parse: {e}"))?;
        let stub_len = bundle.archive_start();
        let elf = ElfFile64::<object::Endianness>::parse(&bytes[..stub_len as usize])
            .map_err(|e| format!("the stub is not an ELF image: {e}"))?;
        let headers_end = 64 + 56 * elf.elf_program_headers().len() as u64;
        let sections = elf.sections().filter_map(|section| {
            let name = section.name().unwrap_or_default();
            let (start, len) = section.file_range()?;
            LOADER_SECTIONS
                .contains(&name)
                .then_some(start..start + len)
        });
        let loader = std::iter::once(0..headers_end).chain(sections).collect();
        let always = |kind: Kind, name: &str, bootstrap: bool| match kind {
            Kind::LibPython => true,
            Kind::Module => bootstrap || name == "__main__",
            _ => false,
        };
        let mut entries = Vec::new();
        for entry in bundle.entries() {
            let entry = entry.map_err(|e| format!("an entry does not read: {e}"))?;
            let range = entry.file_offset..entry.file_offset + entry.stored.len() as u64;
            let region = if always(entry.kind, entry.name, entry.is_bootstrap()) {
                Region::AlwaysUsed(entry.kind)
            } else {
                Region::Entry(entry.kind)
            };
            entries.push((range, region));
        }
        let trailer = Trailer::ref_from_bytes(&bytes[bytes.len() - size_of::<Trailer>()..])
            .map_err(|e| format!("cannot read the trailer: {e}"))?;
        let index_start = stub_len + trailer.index_offset.get();
        Ok(Layout {
            loader,
            stub_len,
            index_start,
            entries,
        })
    }

    fn region(&self, offset: u64) -> Region {
        if offset < self.stub_len {
            return if self.loader.iter().any(|r| r.contains(&offset)) {
                Region::Loader
            } else {
                Region::Stub
            };
        }
        // Entries may share stored bytes; the strictest region wins.
        let mut found = None;
        for (range, region) in &self.entries {
            if range.contains(&offset) {
                found = Some(match (found, *region) {
                    (Some(Region::AlwaysUsed(k)), _) => Region::AlwaysUsed(k),
                    (_, region) => region,
                });
            }
        }
        match found {
            Some(region) => region,
            None if offset >= self.index_start => Region::Index,
            None => Region::Gap,
        }
    }
}

/// What one run of a damaged copy did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// As the undamaged bundle: the flipped byte was not used.
    Same,
    /// Refused with the stub's failure status and a one-line "damaged bundle" message.
    Refused,
    /// The stub's failure status and one line of its own on another cause: only the
    /// self-check's code, damaged, fails so.
    StubError,
    /// Refused by the dynamic loader or the kernel before the stub ran.
    LoaderRefused,
    /// Killed by a signal.
    Crashed,
    /// Anything else: a hang, other output, another status.
    Wrong,
}

fn outcome(run: &std::io::Result<Output>, exe: &Path, reference: &Output) -> Outcome {
    let out = match run {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return Outcome::Wrong,
        // The kernel would not start it (a damaged ELF header).
        Err(_) => return Outcome::LoaderRefused,
    };
    if matches!(out.status, Status::Signal(_)) {
        return Outcome::Crashed;
    }
    if out.status == reference.status
        && out.stdout == reference.stdout
        && out.stderr == reference.stderr
    {
        return Outcome::Same;
    }
    let one_line = out.stderr.lines().count() == 1 && out.stderr.ends_with('\n');
    let stub_says = format!("{}: error: ", exe.display());
    match out.status {
        Status::Code(STUB_FAILURE)
            if out.stdout.is_empty() && one_line && out.stderr.starts_with(&stub_says) =>
        {
            if out.stderr[stub_says.len()..].starts_with("damaged bundle") {
                Outcome::Refused
            } else {
                Outcome::StubError
            }
        }
        Status::Code(1 | 127)
            if out.stdout.is_empty()
                && [
                    "ld.so",
                    "symbol lookup error",
                    "version `",
                    "loading shared lib",
                ]
                .iter()
                .any(|loader| out.stderr.contains(loader)) =>
        {
            Outcome::LoaderRefused
        }
        _ => Outcome::Wrong,
    }
}

fn allowed(region: Region, outcome: Outcome) -> bool {
    match (region, outcome) {
        (_, Outcome::Wrong) => false,
        (Region::Loader, _) => true,
        (Region::Stub, Outcome::StubError) => true,
        (_, Outcome::StubError) => false,
        (_, Outcome::LoaderRefused | Outcome::Crashed) => false,
        (Region::Stub | Region::Index | Region::AlwaysUsed(_), Outcome::Same) => false,
        _ => true,
    }
}

fn run(exe: &Path) -> std::io::Result<Output> {
    run_command(Command::new(exe), None, Duration::from_secs(20))
}

fn flip(exe: &Path, offset: u64, bit: u8) -> std::io::Result<()> {
    let mut file = fs::OpenOptions::new().read(true).write(true).open(exe)?;
    let mut byte = [0];
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(&mut byte)?;
    byte[0] ^= bit;
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(&byte)
}

#[test]
fn flipped_bytes_are_refused_or_unused() {
    for_each_interpreter(test_name!(), |python: &Interpreter| {
        let stub = release_stub().to_string_lossy().into_owned();
        let frozen = bundle_with("hello", python, &["--stub", &stub], || {
            copy_example("hello")
        })?;
        let bytes = fs::read(&frozen.exe).map_err(|e| format!("read the bundle: {e}"))?;
        let layout = Layout::of(&bytes).map_err(|e| format!("{python}: {e}"))?;
        let (_dir, exe) = copy_executable(&frozen.exe);
        let reference = run(&exe).map_err(|e| format!("{python}: run {}: {e}", exe.display()))?;
        if reference.status != Status::Code(0) || !reference.stdout.contains("Hello") {
            return Err(format!("{python}: the undamaged bundle does not run\n{reference}").into());
        }

        // Fixed per interpreter, so that a failure can be run again.
        let mut rng = fastrand::Rng::with_seed(0x5eed_0000 + u64::from(python.version_info.1));
        let mut seen: BTreeMap<(Region, Outcome), usize> = BTreeMap::new();
        let mut problems = Vec::new();
        for _ in 0..FLIPS {
            let offset = rng.u64(..bytes.len() as u64);
            let bit = 1u8 << rng.u8(..8);
            flip(&exe, offset, bit).map_err(|e| format!("flip {}: {e}", exe.display()))?;
            let run = run(&exe);
            flip(&exe, offset, bit).map_err(|e| format!("restore {}: {e}", exe.display()))?;
            let region = layout.region(offset);
            let outcome = outcome(&run, &exe, &reference);
            *seen.entry((region, outcome)).or_default() += 1;
            if !allowed(region, outcome) {
                let shown = match &run {
                    Ok(out) => out.to_string(),
                    Err(e) => format!("did not start: {e}"),
                };
                problems.push(format!(
                    "{python}: bit {bit:#04x} of byte {offset} ({region:?}) flipped: {outcome:?}\n{shown}"
                ));
            }
        }
        let summary: Vec<String> = seen
            .iter()
            .map(|((region, outcome), n)| format!("{region:?} {outcome:?} {n}"))
            .collect();
        say(&format!(
            "{}: {python}: {FLIPS} flips: {}",
            test_name!(),
            summary.join(", ")
        ));
        let in_stub = |outcome| seen.get(&(Region::Stub, outcome)).copied().unwrap_or(0);
        if in_stub(Outcome::StubError) * 10 > in_stub(Outcome::Refused) {
            problems.push(format!(
                "{python}: more than one in ten flips in the stub's checked bytes escaped the check"
            ));
        }
        if in_stub(Outcome::Refused) == 0 {
            problems.push(format!(
                "{python}: no flip landed in the stub's checked bytes: the test proves nothing there"
            ));
        }
        Ok(problems)
    });
}
