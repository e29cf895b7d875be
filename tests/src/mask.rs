//! Masking the paths that differ between a frozen app's stderr and its reference's.

use std::path::Path;

use crate::interpreters::Interpreter;

/// Normalises `text` (a stderr) for comparison. `roots` are `(directory, placeholder)`:
///
/// * in each traceback frame line `File "<path>", line N, in f`, a path under one of the
///   roots is reduced to its part inside it (`<exe>/greet.py` and `<app dir>/greet.py` both
///   become `greet.py`; a stdlib root turns `<stdlib>/json/decoder.py` into
///   `json/decoder.py`, as it is inside a bundle);
/// * any other occurrence of a root is replaced by its placeholder.
///
/// Everything else is kept, the source lines under each frame included, so the masked texts
/// are compared whole.
pub fn mask(text: &str, roots: &[(&Path, &str)]) -> String {
    let mut roots: Vec<(String, &str)> = roots
        .iter()
        .map(|(p, ph)| (p.to_string_lossy().trim_end_matches('/').to_owned(), *ph))
        .filter(|(p, _)| !p.is_empty())
        .collect();
    // Longest first, so a root inside another one wins.
    roots.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let mut line = mask_frame(line, &roots).into_owned();
        for (root, placeholder) in &roots {
            line = replace_path(&line, root, placeholder);
        }
        out.push_str(&line);
    }
    out
}

/// Replaces `root` in `text` where it is a whole path (not followed by more of a file name).
fn replace_path(text: &str, root: &str, placeholder: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(root) {
        let after = &rest[at + root.len()..];
        let boundary =
            !matches!(after.chars().next(), Some(c) if c.is_alphanumeric() || c == '_' || c == '-');
        out.push_str(&rest[..at]);
        out.push_str(if boundary { placeholder } else { root });
        rest = after;
    }
    out.push_str(rest);
    out
}

fn mask_frame<'a>(line: &'a str, roots: &[(String, &str)]) -> std::borrow::Cow<'a, str> {
    const START: &str = "File \"";
    const END: &str = "\", line ";
    let trimmed = line.trim_start();
    let Some(rest) = trimmed.strip_prefix(START) else {
        return line.into();
    };
    let Some(end) = rest.find(END) else {
        return line.into();
    };
    let path = &rest[..end];
    for (root, _) in roots {
        if let Some(inner) = path
            .strip_prefix(root.as_str())
            .and_then(|p| p.strip_prefix('/'))
        {
            let indent = &line[..line.len() - trimmed.len()];
            return format!("{indent}{START}{inner}{}", &rest[end..]).into();
        }
    }
    line.into()
}

/// [`mask`] for a frozen app's stderr: its executable's path.
pub fn mask_frozen(text: &str, exe: &Path) -> String {
    mask(text, &[(exe, "[EXE]")])
}

/// [`mask`] for a reference run's stderr: the app directory and the interpreter's stdlib.
pub fn mask_reference(text: &str, app_dir: &Path, python: &Interpreter) -> String {
    mask(text, &[(app_dir, "[APP]"), (&python.stdlib, "[STDLIB]")])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_reduces_frames_and_keeps_source_lines() {
        let frozen = "Traceback (most recent call last):\n  File \"/t/x/dist/hello/main.py\", line 3, in <module>\n    greet.fail()\n  File \"/t/x/dist/hello/json/decoder.py\", line 9, in f\n    x\nValueError: /t/x/dist/hello is bad\n";
        let masked = mask_frozen(frozen, Path::new("/t/x/dist/hello"));
        assert_eq!(
            masked,
            "Traceback (most recent call last):\n  File \"main.py\", line 3, in <module>\n    greet.fail()\n  File \"json/decoder.py\", line 9, in f\n    x\nValueError: [EXE] is bad\n"
        );
        let reference = "  File \"/a/hello/main.py\", line 3, in <module>\n  File \"/py/lib/python3.11/json/decoder.py\", line 9, in f\n  File \"main.py\", line 4, in g\n";
        let masked = mask(
            reference,
            &[
                (Path::new("/a/hello"), "[APP]"),
                (Path::new("/py/lib/python3.11/"), "[STDLIB]"),
            ],
        );
        assert_eq!(
            masked,
            "  File \"main.py\", line 3, in <module>\n  File \"json/decoder.py\", line 9, in f\n  File \"main.py\", line 4, in g\n"
        );
    }

    #[test]
    fn mask_leaves_unrelated_paths() {
        let text = "  File \"/elsewhere/main.py\", line 1, in <module>\n";
        assert_eq!(mask(text, &[(Path::new("/a"), "[APP]")]), text);
        // a root matches whole path components only
        let text = "  File \"/ab/main.py\", line 1, in m\nerror: /a-b and /a/c and /a.\n";
        assert_eq!(
            mask(text, &[(Path::new("/a"), "[APP]")]),
            "  File \"/ab/main.py\", line 1, in m\nerror: /a-b and [APP]/c and [APP].\n"
        );
    }
}
