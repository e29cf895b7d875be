//! Native code from the bundle (libpython, extension modules, the shared libraries they
//! need) in memfds, which `dlopen` can open by path: nothing is written to disk. An object
//! the build gave a mapping (see [`pyfreeze_archive::mapping`]) is copied only in part: its
//! memfd has holes where its code and read-only data go, which are mapped from the bundle
//! once `dlopen` has placed the object, so that they are shared with every process started
//! from the same file; then the constructors the build hid from the loader run.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Write};
use std::sync::Mutex;

use pyfreeze_archive::mapping::PAGE_SIZE;
use pyfreeze_archive::{
    needs_list, Bundle, CopyError, Entry, Group, Kind, Link, MappedRange, Mapping,
};

use crate::damage::checked;
use crate::ffi::sys::{self, Library, Memfd};

/// A native object in its memfd, ready for `dlopen`.
pub(crate) struct Prepared {
    pub(crate) memfd: Memfd,
    entry: Entry<'static>,
    /// The object's mapping, if the build made one: its constructors are the stub's to run.
    mapping: Option<Mapping>,
    /// The ranges left as holes in the memfd, to be mapped from the bundle (none when
    /// everything was copied).
    holes: Vec<MappedRange>,
}

/// `entry`'s bytes in a memfd, checked against the index's CRC-32 as they are read: the
/// dynamic loader must never see a damaged byte, nor run one mapped from the bundle. Where
/// the bundle has a mapping for it and this machine's pages are the size it was planned
/// for, the mapped ranges are left as holes.
pub(crate) fn prepare(
    bundle: &Bundle<'static>,
    entry: &Entry<'static>,
) -> Result<Prepared, String> {
    let cannot = |e| format!("cannot create a memfd for {}: {e}", entry.name);
    let cannot_read = |e| format!("cannot read {} from the bundle: {e}", entry.name);
    let mapping = checked(bundle.mapping(entry)).map_err(|e| e.to_string())?;
    let executable = sys::open_executable().map_err(cannot_read)?;
    let memfd = sys::memfd(entry.c_name()).map_err(cannot)?;
    let holes = match &mapping {
        Some(mapping) if sys::page_size() == PAGE_SIZE => mapping.holes(),
        _ => Vec::new(),
    };
    let copied = if holes.is_empty() {
        entry.copy_to(&executable, memfd.writer())
    } else {
        memfd.set_len(entry.original_len).map_err(cannot)?;
        let out = Part {
            memfd: &memfd,
            ranges: &holes,
            inside: false,
            at: 0,
        };
        entry.copy_to(&executable, out)
    };
    copied.map_err(|e| match e {
        CopyError::Damaged(damage) => crate::damage::refuse(&damage),
        CopyError::Read(e) => cannot_read(e),
        CopyError::Write(e) => cannot(e),
    })?;
    Ok(Prepared {
        memfd,
        entry: *entry,
        mapping,
        holes,
    })
}

/// Writes an object's bytes into its memfd: those outside `ranges` (the holes), or only
/// those inside.
struct Part<'a> {
    memfd: &'a Memfd,
    ranges: &'a [MappedRange],
    inside: bool,
    /// Where the next byte written goes in the object.
    at: u64,
}

impl Write for Part<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let (start, end) = (self.at, self.at + bytes.len() as u64);
        let write = |from: u64, to: u64| {
            if from < to {
                let part = &bytes[(from - start) as usize..(to - start) as usize];
                self.memfd.write_at(from, part)
            } else {
                Ok(())
            }
        };
        let mut from = start;
        for range in self
            .ranges
            .iter()
            .filter(|r| r.offset < end && start < r.end())
        {
            let (range_start, range_end) = (range.offset.max(start), range.end().min(end));
            if self.inside {
                write(range_start, range_end)?;
            } else {
                write(from, range_start)?;
            }
            from = range_end;
        }
        if !self.inside {
            write(from, end)?;
        }
        self.at = end;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Prepared {
    /// Finishes loading the object once `dlopen` has placed it as `library`: maps its
    /// holes from the bundle, then runs its constructors; then maps the pages the loader
    /// read from the bundle too and drops them from the memfd, unless `rewritten` (a
    /// group's member, whose `DT_NEEDED` strings the memfd holds rewritten). Where the
    /// bundle cannot be mapped (a file system mounted `noexec`), the holes are filled
    /// instead: nothing has touched them, so the loader's mapping of the memfd shows the
    /// bytes written. A failure beyond that leaves code the process cannot run, so it
    /// ends the process.
    pub(crate) fn loaded(&mut self, library: Library, rewritten: bool) {
        let Some(mapping) = self.mapping.take() else {
            return;
        };
        let base = library
            .base()
            .unwrap_or_else(|e| unusable(self.entry.name, &e));
        // Opened again rather than kept across `dlopen`, which opens the memfd's path: a
        // bundle needs no more descriptors at once than before (`ulimit -n`).
        let executable = (!self.holes.is_empty())
            .then(sys::open_executable)
            .and_then(Result::ok);
        let mapped = executable
            .as_ref()
            .is_some_and(|executable| self.map(executable, base, &self.holes).is_ok());
        if !mapped {
            if let Err(e) = self.fill() {
                unusable(self.entry.name, &e);
            }
        }
        sys::run_constructors(base, mapping.init, mapping.init_array);
        let Some(executable) = executable.filter(|_| mapped && !rewritten) else {
            return;
        };
        let read: Vec<MappedRange> = mapping
            .ranges
            .into_iter()
            .filter(|r| r.loader_reads)
            .collect();
        // Where they cannot be mapped over, the copies stay in use: no harm but memory.
        if self.map(&executable, base, &read).is_ok() {
            for range in &read {
                let _ = self.memfd.punch_hole(range.offset, range.len);
            }
        }
    }

    /// Maps `ranges` of the object, loaded at `base`, from the bundle (`executable`) over
    /// where the loader placed them.
    fn map(&self, executable: &File, base: usize, ranges: &[MappedRange]) -> Result<(), String> {
        for range in ranges {
            let address = base.wrapping_add(range.address as usize);
            let offset = self.entry.file_offset + range.offset;
            sys::map_over(address, range.len as usize, range.prot, executable, offset).map_err(
                |e| {
                    format!(
                        "cannot map {:#x} bytes of it from the bundle: {e}",
                        range.len
                    )
                },
            )?;
        }
        Ok(())
    }

    /// Writes the holes, for a `dlopen` the stub does not follow up (after a failed one
    /// of its own, the app's own `dlopen` of the path must see the whole object), or when
    /// the bundle cannot be mapped over them.
    pub(crate) fn fill(&mut self) -> Result<(), String> {
        let holes = std::mem::take(&mut self.holes);
        if holes.is_empty() {
            return Ok(());
        }
        let cannot_read = |e| format!("cannot read {} from the bundle: {e}", self.entry.name);
        let executable = sys::open_executable().map_err(cannot_read)?;
        let out = Part {
            memfd: &self.memfd,
            ranges: &holes,
            inside: true,
            at: 0,
        };
        self.entry.copy_to(&executable, out).map_err(|e| match e {
            CopyError::Damaged(damage) => crate::damage::refuse(&damage),
            CopyError::Read(e) | CopyError::Write(e) => {
                format!("cannot copy {} into its memfd: {e}", self.entry.name)
            }
        })
    }
}

/// Ends the process: the native object `name` is loaded but cannot run. At once, without
/// exit handlers: the loader would run the object's destructors, from pages that are holes.
fn unusable(name: &str, why: &str) -> ! {
    eprintln!(
        "{}: error: cannot finish loading the bundled {name}: {why}",
        crate::damage::program()
    );
    sys::exit_at_once(crate::STUB_FAILURE)
}

/// Sonames of the bundled libraries loaded so far: each is loaded once, and then found by
/// the dynamic loader through its soname whoever asks for it.
static LOADED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

fn library(bundle: &Bundle<'static>, soname: &str) -> Result<Entry<'static>, String> {
    checked(bundle.find(Kind::Library, soname))
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("the bundle lists {soname} as needed but does not hold it"))
}

/// Loads the bundled library `soname`, with the members of its group if it has one;
/// returns the sonames loaded.
fn load_one(bundle: &Bundle<'static>, soname: &str) -> Result<Vec<String>, String> {
    if let Some(group) = checked(bundle.group(soname)).map_err(|e| e.to_string())? {
        load_group(bundle, &group)?;
        return Ok(group.members.iter().map(|m| m.soname.to_owned()).collect());
    }
    let mut prepared = prepare(bundle, &library(bundle, soname)?)?;
    let loaded = Library::open_local(prepared.memfd.path())
        .map_err(|e| format!("cannot load the bundled {soname}: {e}"))?;
    prepared.loaded(loaded, false);
    Ok(vec![soname.to_owned()])
}

/// Loads a group of libraries that need each other (see [`pyfreeze_archive::group`]):
/// every member into a memfd, each link overwritten with the path of the member it
/// names, then one `dlopen` of the first member, which brings in the others.
fn load_group(bundle: &Bundle<'static>, group: &Group<'static>) -> Result<(), String> {
    let cannot = |why: String| {
        let members: Vec<&str> = group.members.iter().map(|m| m.soname).collect();
        format!(
            "cannot load the bundled {}, which need each other: {why}",
            members.join(", ")
        )
    };
    let mut members = Vec::with_capacity(group.members.len());
    for member in &group.members {
        let mut prepared = prepare(bundle, &library(bundle, member.soname)?).map_err(&cannot)?;
        let memfd = &mut prepared.memfd;
        // The path must fit in every string it replaces, with its NUL.
        let room = group
            .members
            .iter()
            .flat_map(|m| &m.links)
            .filter(|link| link.needed == member.soname)
            .map(|link| link.capacity())
            .min();
        let fits =
            |memfd: &Memfd| room.is_none_or(|room| memfd.path().count_bytes() < room as usize);
        if !fits(memfd) {
            memfd
                .renumber()
                .map_err(|e| cannot(format!("cannot duplicate a descriptor: {e}")))?;
            if !fits(memfd) {
                return Err(cannot(format!(
                    "the path of {}'s memfd, {}, is longer than the name it replaces",
                    member.soname,
                    memfd.path().to_string_lossy()
                )));
            }
        }
        members.push(prepared);
    }
    for (member, prepared) in group.members.iter().zip(&members) {
        let memfd = &prepared.memfd;
        for link in &member.links {
            let target = group
                .members
                .iter()
                .position(|m| m.soname == link.needed)
                .expect("a group's links name its members");
            // Only the string the plan names is overwritten: the bytes are checked first.
            let mut found = vec![0; link.capacity() as usize];
            memfd
                .read_at(link.offset, &mut found)
                .map_err(|e| cannot(format!("cannot read {}: {e}", member.soname)))?;
            let at_start = Link { offset: 0, ..*link };
            if !at_start.is_in(&found) {
                return Err(cannot(format!(
                    "{} has no DT_NEEDED {} at offset {}",
                    member.soname, link.needed, link.offset
                )));
            }
            let path = members[target].memfd.path();
            memfd
                .write_at(link.offset, path.to_bytes_with_nul())
                .map_err(|e| cannot(format!("cannot rewrite {}: {e}", member.soname)))?;
        }
    }
    // All stay open until then: the loader opens the others by the paths written into the
    // first.
    Library::open_local(members[0].memfd.path()).map_err(cannot)?;
    let libraries = members
        .iter()
        .map(|member| {
            Library::loaded(member.memfd.path()).ok_or_else(|| {
                cannot(format!(
                    "{} was not loaded with the others",
                    member.entry.name
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Those the first needs were relocated, and would have been started, before it.
    for (member, library) in members.iter_mut().zip(libraries).rev() {
        member.loaded(library, true);
    }
    Ok(())
}

/// Loads, dependencies first, the bundled libraries that `name` (an extension module or
/// a library) needs, and then `name` itself if it is a library.
pub(crate) fn load_needs(bundle: &Bundle<'static>, name: &str) -> Result<(), String> {
    let needs = checked(bundle.find(Kind::Needs, name)).map_err(|e| e.to_string())?;
    let contents = match needs {
        Some(entry) => checked(entry.contents()).map_err(|e| e.to_string())?,
        None => Default::default(),
    };
    let is_library = checked(bundle.find(Kind::Library, name))
        .map_err(|e| e.to_string())?
        .is_some();
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    for soname in needs_list(&contents).chain(is_library.then_some(name)) {
        if loaded.contains(soname) {
            continue;
        }
        loaded.extend(load_one(bundle, soname)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn the_mapped_ranges_are_left_as_holes_and_filled_apart() {
        let object: Vec<u8> = (0..4 * PAGE_SIZE).map(|i| (i % 251) as u8 + 1).collect();
        let ranges = [
            MappedRange {
                offset: PAGE_SIZE,
                len: PAGE_SIZE,
                address: PAGE_SIZE,
                prot: 5,
                loader_reads: false,
            },
            MappedRange {
                offset: 3 * PAGE_SIZE,
                len: PAGE_SIZE,
                address: 3 * PAGE_SIZE,
                prot: 4,
                loader_reads: false,
            },
        ];
        let memfd = sys::memfd(c"test").unwrap();
        memfd.set_len(object.len() as u64).unwrap();
        let write = |inside: bool| {
            let mut part = Part {
                memfd: &memfd,
                ranges: &ranges,
                inside,
                at: 0,
            };
            // Chunks that straddle the ranges' edges, as copy_to's do.
            for chunk in object.chunks(1000) {
                part.write_all(chunk).unwrap();
            }
        };
        let read = || {
            let mut bytes = vec![0; object.len()];
            memfd.read_at(0, &mut bytes).unwrap();
            bytes
        };
        let path = std::ffi::OsStr::from_bytes(memfd.path().to_bytes());
        write(false);
        let bytes = read();
        for (page, expected) in bytes
            .chunks(PAGE_SIZE as usize)
            .zip([true, false, true, false])
        {
            let written = page.iter().all(|&b| b != 0);
            let hole = page.iter().all(|&b| b == 0);
            assert!(if expected { written } else { hole });
        }
        // The holes take no memory: only the two pages written are allocated.
        let allocated = std::fs::metadata(path).unwrap().blocks() * 512;
        assert_eq!(allocated, 2 * PAGE_SIZE);
        write(true);
        assert_eq!(read(), object);
    }
}
