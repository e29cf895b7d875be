//! `pyfreeze ls --tree`: the entries by section (Python code, data files, libraries,
//! libpython, the loader's records), modules nested under their packages and data files
//! under their directories, each package and directory with the total of what it holds.
//! A module's code and source share one line, so a tree of hundreds of modules is as many
//! lines.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use pyfreeze_archive::Kind;

use super::{marks, Item, Units};

/// A part of the listing, in the order the tree shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    Python,
    Data,
    Libraries,
    LibPython,
    Loader,
}

impl Section {
    fn of(kind: Kind) -> Section {
        match kind {
            Kind::Module | Kind::Source | Kind::Extension | Kind::LeftOut => Section::Python,
            Kind::Data | Kind::Disk => Section::Data,
            Kind::Library => Section::Libraries,
            Kind::LibPython => Section::LibPython,
            Kind::Needs | Kind::Group | Kind::Mapping | Kind::BuildInfo => Section::Loader,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Section::Python => "Python modules and extension modules, by package",
            Section::Data => "data files, by directory",
            Section::Libraries => "shared libraries",
            Section::LibPython => "libpython",
            Section::Loader => {
                "records: the loader's (what each library needs, groups) and the build's (for \
                 `pyfreeze why`)"
            }
        }
    }

    /// The parts of a name the section nests by.
    fn parts(self, name: &str) -> Vec<&str> {
        match self {
            Section::Python => name.split('.').collect(),
            Section::Data => name.split('/').collect(),
            Section::Libraries | Section::LibPython | Section::Loader => vec![name],
        }
    }
}

#[derive(Default)]
struct Node<'i> {
    /// The entries named by the path to this node.
    items: Vec<&'i Item<'i>>,
    children: BTreeMap<&'i str, Node<'i>>,
}

struct Total {
    entries: usize,
    stored: u64,
    original: u64,
}

impl<'i> Node<'i> {
    fn insert(&mut self, parts: &[&'i str], item: &'i Item<'i>) {
        match parts.split_first() {
            None => self.items.push(item),
            Some((first, rest)) => self.children.entry(first).or_default().insert(rest, item),
        }
    }

    fn own(&self) -> Total {
        Total {
            entries: self.items.len(),
            stored: self.items.iter().map(|i| i.stored).sum(),
            original: self.items.iter().map(|i| i.original).sum(),
        }
    }

    fn total(&self) -> Total {
        let mut total = self.own();
        for child in self.children.values() {
            let sub = child.total();
            total.entries += sub.entries;
            total.stored += sub.stored;
            total.original += sub.original;
        }
        total
    }
}

/// `kind + kind` of the entries, with what the listing marks them with.
fn describe(items: &[&Item<'_>], units: Units) -> String {
    let kinds: Vec<&str> = items.iter().map(|i| i.kind.label()).collect();
    let marks: String = items.iter().map(|i| marks(i, units)).collect();
    format!("{}{marks}", kinds.join(" + "))
}

struct Printer<'o> {
    out: &'o mut String,
    units: Units,
    /// What follows a directory's name (nothing after a package's).
    separator: &'static str,
}

impl Printer<'_> {
    fn line(&mut self, depth: usize, stored: u64, original: u64, text: &str) {
        let _ = writeln!(
            self.out,
            "{:>12} {:>12}  {:indent$}{text}",
            self.units.size(stored),
            self.units.size(original),
            "",
            indent = 2 * depth
        );
    }

    fn node(&mut self, depth: usize, name: &str, node: &Node<'_>) {
        if node.children.is_empty() {
            let own = node.own();
            self.line(
                depth,
                own.stored,
                own.original,
                &format!("{name}  {}", describe(&node.items, self.units)),
            );
            return;
        }
        let total = node.total();
        self.line(
            depth,
            total.stored,
            total.original,
            &format!("{name}{}  ({} entries)", self.separator, total.entries),
        );
        if !node.items.is_empty() {
            let own = node.own();
            let init = if self.separator.is_empty() {
                "__init__"
            } else {
                "."
            };
            self.line(
                depth + 1,
                own.stored,
                own.original,
                &format!("{init}  {}", describe(&node.items, self.units)),
            );
        }
        for (child_name, child) in &node.children {
            self.node(depth + 1, child_name, child);
        }
    }
}

/// The tree of `entries`.
pub(super) fn tree(entries: &[Item<'_>], units: Units) -> String {
    let mut sections: BTreeMap<Section, Node<'_>> = BTreeMap::new();
    for item in entries {
        let section = Section::of(item.kind);
        sections
            .entry(section)
            .or_default()
            .insert(&section.parts(item.name), item);
    }
    let mut out = format!("{:>12} {:>12}  NAME\n", "STORED", "ORIGINAL");
    for (section, root) in &sections {
        let total = root.total();
        let mut printer = Printer {
            out: &mut out,
            units,
            separator: if *section == Section::Data { "/" } else { "" },
        };
        printer.line(
            0,
            total.stored,
            total.original,
            &format!("{} ({} entries)", section.title(), total.entries),
        );
        for (name, node) in &root.children {
            printer.node(1, name, node);
        }
    }
    out
}
