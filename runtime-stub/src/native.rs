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
    /// The executable, when the mapping's ranges are holes in the memfd, to map them from.
    holes_from: Option<File>,
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
    let holes = mapping.as_ref().filter(|_| sys::page_size() == PAGE_SIZE);
    let copied = match holes {
        Some(mapping) => {
            memfd.set_len(entry.original_len).map_err(cannot)?;
            let out = AroundHoles {
                memfd: &memfd,
                holes: &mapping.ranges,
                at: 0,
            };
            entry.copy_to(&executable, out)
        }
        None => entry.copy_to(&executable, memfd.writer()),
    };
    copied.map_err(|e| match e {
        CopyError::Damaged(damage) => crate::damage::refuse(&damage),
        CopyError::Read(e) => cannot_read(e),
        CopyError::Write(e) => cannot(e),
    })?;
    Ok(Prepared {
        memfd,
        entry: *entry,
        holes_from: holes.is_some().then_some(executable),
        mapping,
    })
}

/// Writes an object's bytes into its memfd, all but those of the ranges mapped later.
struct AroundHoles<'a> {
    memfd: &'a Memfd,
    holes: &'a [MappedRange],
    /// Where the next byte written goes in the object.
    at: u64,
}

impl Write for AroundHoles<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let (start, end) = (self.at, self.at + bytes.len() as u64);
        let mut from = start;
        for hole in self
            .holes
            .iter()
            .filter(|h| h.offset < end && start < h.end())
        {
            if from < hole.offset {
                let part = &bytes[(from - start) as usize..(hole.offset - start) as usize];
                self.memfd.write_at(from, part)?;
            }
            from = from.max(hole.end());
        }
        if from < end {
            self.memfd
                .write_at(from, &bytes[(from - start) as usize..])?;
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
    /// holes from the bundle, then runs its constructors. A failure here leaves code the
    /// process cannot run in its address space, so it ends the process.
    pub(crate) fn loaded(&self, library: Library) {
        let Some(mapping) = &self.mapping else {
            return;
        };
        if let Err(e) = self.map_holes(library, mapping) {
            unusable(self.entry.name, &e);
        }
        if let Err(e) = library.run_constructors(mapping.init, mapping.init_array) {
            unusable(self.entry.name, &e);
        }
    }

    fn map_holes(&self, library: Library, mapping: &Mapping) -> Result<(), String> {
        let Some(executable) = &self.holes_from else {
            return Ok(());
        };
        let base = library.base()?;
        for range in &mapping.ranges {
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

    /// Writes the holes too, for a `dlopen` the stub does not follow up: after a failed
    /// one of its own, the app's own `dlopen` of the path must see the whole object.
    pub(crate) fn fill(&mut self) -> Result<(), String> {
        if self.holes_from.take().is_none() {
            return Ok(());
        }
        let executable = sys::open_executable().map_err(|e| e.to_string())?;
        self.entry
            .copy_to(&executable, self.memfd.writer())
            .map_err(|e| match e {
                CopyError::Damaged(damage) => crate::damage::refuse(&damage),
                CopyError::Read(e) | CopyError::Write(e) => {
                    format!("cannot copy {} into its memfd: {e}", self.entry.name)
                }
            })
    }
}

/// Ends the process: the native object `name` is loaded but cannot run.
fn unusable(name: &str, why: &str) -> ! {
    eprintln!(
        "{}: error: cannot finish loading the bundled {name}: {why}",
        crate::damage::program()
    );
    std::process::exit(crate::STUB_FAILURE)
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
    let prepared = prepare(bundle, &library(bundle, soname)?)?;
    let loaded = Library::open_local(prepared.memfd.path())
        .map_err(|e| format!("cannot load the bundled {soname}: {e}"))?;
    prepared.loaded(loaded);
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
    for (member, library) in members.iter().zip(libraries).rev() {
        member.loaded(library);
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
