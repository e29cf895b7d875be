//! Native code from the bundle (libpython, extension modules, the shared libraries they
//! need) in memfds, which `dlopen` can open by path: nothing is written to disk.

use std::collections::BTreeSet;
use std::sync::Mutex;

use pyfreeze_archive::{needs_list, Bundle, CopyError, Entry, Group, Kind, Link};

use crate::damage::checked;
use crate::ffi::sys::{self, Library, Memfd};

/// A memfd holding `entry`'s bytes, checked against the index's CRC-32 as they are
/// copied: the dynamic loader must never see a damaged byte.
pub(crate) fn memfd(entry: &Entry<'static>) -> Result<Memfd, String> {
    let cannot = |e| format!("cannot create a memfd for {}: {e}", entry.name);
    let cannot_read = |e| format!("cannot read {} from the bundle: {e}", entry.name);
    let executable = sys::open_executable().map_err(cannot_read)?;
    let memfd = sys::memfd(entry.c_name()).map_err(cannot)?;
    let copied = entry.copy_to(&executable, memfd.writer());
    copied.map_err(|e| match e {
        CopyError::Damaged(damage) => crate::damage::refuse(&damage),
        CopyError::Read(e) => cannot_read(e),
        CopyError::Write(e) => cannot(e),
    })?;
    Ok(memfd)
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
    let memfd = memfd(&library(bundle, soname)?)?;
    Library::open_local(memfd.path())
        .map_err(|e| format!("cannot load the bundled {soname}: {e}"))?;
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
    let mut memfds = Vec::with_capacity(group.members.len());
    for member in &group.members {
        let mut memfd = memfd(&library(bundle, member.soname)?).map_err(&cannot)?;
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
        if !fits(&memfd) {
            memfd = memfd
                .renumbered()
                .map_err(|e| cannot(format!("cannot duplicate a descriptor: {e}")))?;
            if !fits(&memfd) {
                return Err(cannot(format!(
                    "the path of {}'s memfd, {}, is longer than the name it replaces",
                    member.soname,
                    memfd.path().to_string_lossy()
                )));
            }
        }
        memfds.push(memfd);
    }
    for (member, memfd) in group.members.iter().zip(&memfds) {
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
            let path = memfds[target].path();
            memfd
                .write_at(link.offset, path.to_bytes_with_nul())
                .map_err(|e| cannot(format!("cannot rewrite {}: {e}", member.soname)))?;
        }
    }
    // All stay open until then: the loader opens the others by the paths written into the
    // first.
    Library::open_local(memfds[0].path()).map_err(cannot)?;
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
