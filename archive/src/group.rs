//! The contents of a [`Kind::Group`](crate::Kind::Group) entry: bundled libraries that
//! need each other, and how the stub loads them together.
//!
//! The dynamic loader satisfies a `DT_NEEDED` by the soname of a library already loaded,
//! and the stub loads each bundled library from a memfd, dependencies first. When two
//! libraries need each other, whichever is loaded first needs one that is not loaded yet
//! and that no directory holds. So the stub puts every member into a memfd, overwrites
//! some `DT_NEEDED` strings in the memfd copies with the path of the needed member's
//! memfd (the loader opens a name with a slash as a path), and `dlopen`s the first member:
//! the loader maps it, opens the members named by path, and matches the other
//! `DT_NEEDED`s against the members it has mapped by their sonames.
//!
//! Text, one line per member in the order the loader maps them, the first the one the
//! stub `dlopen`s; on each line the member's soname, then one ` NEEDED@OFFSET` for each
//! of its [`Link`]s:
//!
//! ```text
//! libfreetype-57f805ba.so.6.20.6 libharfbuzz-fb49c9fc.so.0.61450.0@1234
//! libharfbuzz-fb49c9fc.so.0.61450.0
//! ```

use crate::Error;

/// The path of a memfd as the stub writes it over a `DT_NEEDED` string, before the
/// descriptor's number.
pub const MEMFD_PATH_PREFIX: &str = "/proc/self/fd/";

/// Libraries that load together, as a [`Kind::Group`](crate::Kind::Group) entry holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group<'a> {
    /// In the order the loader maps them; the first is `dlopen`ed.
    pub members: Vec<Member<'a>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member<'a> {
    pub soname: &'a str,
    /// The `DT_NEEDED` strings of this member the stub rewrites, in its bytes' order.
    pub links: Vec<Link<'a>>,
}

/// A `DT_NEEDED` string in a member's bytes that names another member of the group and
/// is overwritten with the path of that member's memfd before the group is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link<'a> {
    /// The member it names.
    pub needed: &'a str,
    /// Where the string starts in the member's (uncompressed) bytes.
    pub offset: u64,
}

impl Link<'_> {
    /// The bytes the string occupies with its NUL: what the path written over it, with
    /// its own NUL, may take.
    pub fn capacity(&self) -> u64 {
        self.needed.len() as u64 + 1
    }

    /// Whether `bytes`, a member's contents, hold the `DT_NEEDED` string this link names
    /// where it says: the stub overwrites nothing else.
    pub fn is_in(&self, bytes: &[u8]) -> bool {
        let Ok(start) = usize::try_from(self.offset) else {
            return false;
        };
        let end = start.saturating_add(self.needed.len());
        bytes.get(start..end) == Some(self.needed.as_bytes()) && bytes.get(end) == Some(&0)
    }
}

impl<'a> Group<'a> {
    /// Reads a group entry's contents, checking what can be checked without the members'
    /// bytes: at least two distinct members, each link naming another member once, links
    /// of a member not overlapping. `name` is the entry's, for errors.
    pub fn parse(name: &str, contents: &'a [u8]) -> Result<Group<'a>, Error> {
        let bad = |what: String| Error::BadGroup {
            name: name.to_owned(),
            what,
        };
        let text = std::str::from_utf8(contents).map_err(|_| bad("not UTF-8".to_owned()))?;
        let mut members = Vec::new();
        for line in text.lines() {
            let mut fields = line.split(' ');
            let soname = fields.next().unwrap_or_default();
            if soname.is_empty() {
                return Err(bad(format!("line {line:?} names no library")));
            }
            let mut links = Vec::new();
            for field in fields {
                let (needed, offset) = field
                    .rsplit_once('@')
                    .and_then(|(needed, offset)| Some((needed, offset.parse::<u64>().ok()?)))
                    .filter(|(needed, _)| !needed.is_empty())
                    .ok_or_else(|| bad(format!("{field:?} is not NEEDED@OFFSET")))?;
                links.push(Link { needed, offset });
            }
            members.push(Member { soname, links });
        }
        if members.len() < 2 {
            return Err(bad(format!(
                "{} members, a group has two or more",
                members.len()
            )));
        }
        let is_member = |soname: &str| members.iter().any(|m| m.soname == soname);
        for (at, member) in members.iter().enumerate() {
            if members[..at].iter().any(|m| m.soname == member.soname) {
                return Err(bad(format!("{} is listed twice", member.soname)));
            }
            let mut spans: Vec<(u64, u64)> = Vec::new();
            for (index, link) in member.links.iter().enumerate() {
                if link.needed == member.soname || !is_member(link.needed) {
                    return Err(bad(format!(
                        "{} links to {}, which is not another member",
                        member.soname, link.needed
                    )));
                }
                if member.links[..index]
                    .iter()
                    .any(|l| l.needed == link.needed)
                {
                    return Err(bad(format!(
                        "{} links to {} twice",
                        member.soname, link.needed
                    )));
                }
                let end = link.offset.checked_add(link.capacity()).ok_or_else(|| {
                    bad(format!(
                        "{} has a link at offset {}",
                        member.soname, link.offset
                    ))
                })?;
                if spans.iter().any(|&(s, e)| link.offset < e && s < end) {
                    return Err(bad(format!(
                        "{} has overlapping links at offset {}",
                        member.soname, link.offset
                    )));
                }
                spans.push((link.offset, end));
            }
        }
        Ok(Group { members })
    }

    /// The contents of a group entry, as [`Group::parse`] reads them.
    pub fn contents(&self) -> Vec<u8> {
        let mut out = String::new();
        for member in &self.members {
            out.push_str(member.soname);
            for link in &member.links {
                out.push_str(&format!(" {}@{}", link.needed, link.offset));
            }
            out.push('\n');
        }
        out.into_bytes()
    }

    pub fn member(&self, soname: &str) -> Option<&Member<'a>> {
        self.members.iter().find(|m| m.soname == soname)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Group<'static> {
        Group {
            members: vec![
                Member {
                    soname: "liba.so.1",
                    links: vec![Link {
                        needed: "libb.so.1",
                        offset: 900,
                    }],
                },
                Member {
                    soname: "libb.so.1",
                    links: vec![Link {
                        needed: "libc-x.so.1",
                        offset: 40,
                    }],
                },
                Member {
                    soname: "libc-x.so.1",
                    links: vec![],
                },
            ],
        }
    }

    #[test]
    fn contents_round_trip() {
        let group = sample();
        let contents = group.contents();
        assert_eq!(
            std::str::from_utf8(&contents).unwrap(),
            "liba.so.1 libb.so.1@900\nlibb.so.1 libc-x.so.1@40\nlibc-x.so.1\n"
        );
        assert_eq!(Group::parse("liba.so.1", &contents).unwrap(), group);
        assert_eq!(group.member("libb.so.1").unwrap().links[0].capacity(), 12);
    }

    #[test]
    fn bad_contents_are_typed_errors() {
        for bad in [
            &b""[..],
            b"liba.so.1\n",
            b"\xff\xfe\n",
            b"liba.so.1 libb.so.1@x\nlibb.so.1\n",
            b"liba.so.1 libb.so.1\nlibb.so.1\n",
            b"liba.so.1 @3\nlibb.so.1\n",
            b"liba.so.1 libz.so.1@3\nlibb.so.1\n",
            b"liba.so.1 liba.so.1@3\nlibb.so.1\n",
            b"liba.so.1 libb.so.1@3 libb.so.1@30\nlibb.so.1\n",
            b"liba.so.1 libb.so.1@3\nliba.so.1\n",
            b"liba.so.1 libb.so.1@3 libc.so.1@5\nlibb.so.1\nlibc.so.1\n",
            b"liba.so.1 libb.so.1@18446744073709551610\nlibb.so.1\n",
            b"\nlibb.so.1\n",
        ] {
            assert!(
                matches!(Group::parse("x", bad), Err(Error::BadGroup { .. })),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn a_link_is_found_only_where_it_says() {
        let link = Link {
            needed: "libb.so.1",
            offset: 2,
        };
        assert!(link.is_in(b"\0\0libb.so.1\0rest"));
        assert!(!link.is_in(b"\0\0libb.so.12"));
        assert!(!link.is_in(b"\0\0libb.so.1"));
        assert!(!link.is_in(b"\0libb.so.1\0"));
        assert!(!Link {
            needed: "x",
            offset: u64::MAX
        }
        .is_in(b"x\0"));
    }
}
