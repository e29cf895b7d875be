//! Marshalled code in a canonical form, whatever process compiled it.
//!
//! `marshal.dumps` flags an object as referenced again later (`FLAG_REF`, and numbers it)
//! when its reference count is above one, and that count includes references from
//! anywhere in the process: from code compiled earlier, or interned names that other
//! modules use. So the same module, compiled in two processes with different histories,
//! marshals to different bytes, while both load as the same code. [`canonical`] keeps the
//! flag only on objects that the data itself refers back to, and renumbers the
//! references: the result depends on the code alone, so workers can compile module after
//! module in one process and builds are still byte for byte reproducible.
//!
//! The format is CPython's `Python/marshal.c`, version 4 (every Python 3.8–3.13 writes it);
//! code objects differ between 3.10 and 3.11.

const FLAG_REF: u8 = 0x80;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum MarshalError {
    #[error("marshal data ends early, at byte {0}")]
    Truncated(usize),
    #[error("unknown marshal type {byte:#04x} at byte {at}")]
    UnknownType { byte: u8, at: usize },
    #[error("marshal reference {index} at byte {at} names no earlier object")]
    BadReference { index: u32, at: usize },
    #[error("{0} bytes follow the marshalled object")]
    TrailingBytes(usize),
}

/// How a code object is laid out: raw 32-bit fields and objects, in order.
#[derive(Clone, Copy)]
enum Field {
    Long,
    Object,
}

const CODE_3_8: &[Field] = {
    use Field::*;
    // argcount, posonlyargcount, kwonlyargcount, nlocals, stacksize, flags, code, consts,
    // names, varnames, freevars, cellvars, filename, name, firstlineno, lnotab/linetable
    &[
        Long, Long, Long, Long, Long, Long, Object, Object, Object, Object, Object, Object, Object,
        Object, Long, Object,
    ]
};

const CODE_3_11: &[Field] = {
    use Field::*;
    // argcount, posonlyargcount, kwonlyargcount, stacksize, flags, code, consts, names,
    // localsplusnames, localspluskinds, filename, name, qualname, firstlineno, linetable,
    // exceptiontable
    &[
        Long, Long, Long, Long, Long, Object, Object, Object, Object, Object, Object, Object,
        Object, Long, Object, Object,
    ]
};

/// `data` (one marshalled object, as `marshal.dumps` of CPython 3.`minor` writes it) with
/// `FLAG_REF` only on the objects it refers back to, and references renumbered to match.
pub(crate) fn canonical(data: &[u8], minor: u8) -> Result<Vec<u8>, MarshalError> {
    let code = if minor >= 11 { CODE_3_11 } else { CODE_3_8 };
    let mut scan = Walk::new(data, code);
    scan.object()?;
    if scan.pos != data.len() {
        return Err(MarshalError::TrailingBytes(data.len() - scan.pos));
    }
    // For each numbered object, its number among those something refers to, if any.
    let mut next = 0u32;
    let kept: Vec<Option<u32>> = scan
        .referenced
        .iter()
        .map(|&used| {
            used.then(|| {
                next += 1;
                next - 1
            })
        })
        .collect();
    let mut write = Walk::new(data, code);
    write.out = Some(Vec::with_capacity(data.len()));
    write.kept = Some(kept);
    write.object()?;
    Ok(write.out.unwrap_or_default())
}

/// One pass over marshal data: the first finds which numbered objects are referred to,
/// the second (with `out` and `kept`) writes the canonical form.
struct Walk<'a> {
    data: &'a [u8],
    pos: usize,
    code: &'static [Field],
    /// For each object numbered so far (flagged), whether a reference names it.
    referenced: Vec<bool>,
    out: Option<Vec<u8>>,
    /// Old number -> new number of the flagged objects that stay flagged.
    kept: Option<Vec<Option<u32>>>,
}

impl<'a> Walk<'a> {
    fn new(data: &'a [u8], code: &'static [Field]) -> Self {
        Walk {
            data,
            pos: 0,
            code,
            referenced: Vec::new(),
            out: None,
            kept: None,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], MarshalError> {
        let bytes = self
            .pos
            .checked_add(n)
            .and_then(|end| self.data.get(self.pos..end))
            .ok_or(MarshalError::Truncated(self.data.len()))?;
        self.pos += n;
        Ok(bytes)
    }

    /// Copies `n` bytes through.
    fn copy(&mut self, n: usize) -> Result<&'a [u8], MarshalError> {
        let bytes = self.take(n)?;
        if let Some(out) = &mut self.out {
            out.extend_from_slice(bytes);
        }
        Ok(bytes)
    }

    fn copy_u8(&mut self) -> Result<usize, MarshalError> {
        Ok(usize::from(self.copy(1)?[0]))
    }

    fn copy_u32(&mut self) -> Result<u32, MarshalError> {
        let bytes = self.copy(4)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// A 32-bit length, as a count of items that each take at least one byte: a count
    /// beyond what is left is damaged data, caught here rather than after looping.
    fn copy_count(&mut self) -> Result<usize, MarshalError> {
        let at = self.pos;
        let n = self.copy_u32()? as usize;
        if n > self.data.len() - self.pos {
            return Err(MarshalError::Truncated(at));
        }
        Ok(n)
    }

    /// The type a string is written with, interned or not, as a function of its text alone.
    /// The compiler interns the strings that look like names, so for those the flag is
    /// the same in every process; but the empty string and the one-character Latin-1
    /// strings are singletons, and whether a singleton like `"{"` is interned depends on
    /// what the process did before (before 3.12 `marshal.dumps` writes the flag the object
    /// happens to have). Those get the flag that a name-like text gets from the compiler.
    /// Any other type is returned unchanged; nothing is consumed.
    fn canonical_string_kind(&self, kind: u8) -> u8 {
        let (plain, interned) = match kind {
            b'z' | b'Z' => (b'z', b'Z'),
            b'a' | b'A' => (b'a', b'A'),
            b'u' | b't' => (b'u', b't'),
            _ => return kind,
        };
        let rest = &self.data[self.pos.min(self.data.len())..];
        let text = if plain == b'z' {
            rest.first().and_then(|&n| rest.get(1..1 + usize::from(n)))
        } else {
            rest.get(..4)
                .map(|n| u32::from_le_bytes([n[0], n[1], n[2], n[3]]) as usize)
                .and_then(|n| rest.get(4..4usize.checked_add(n)?))
        };
        let Some(text) = text.and_then(|t| std::str::from_utf8(t).ok()) else {
            // Damaged data is reported by the walk itself.
            return kind;
        };
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (None, _) => plain,
            (Some(c), None) if u32::from(c) < 256 => {
                if c.is_ascii_alphanumeric() || c == '_' {
                    interned
                } else {
                    plain
                }
            }
            _ => kind,
        }
    }

    fn objects(&mut self, n: usize) -> Result<(), MarshalError> {
        for _ in 0..n {
            self.object()?;
        }
        Ok(())
    }

    fn object(&mut self) -> Result<(), MarshalError> {
        let at = self.pos;
        let byte = self.take(1)?[0];
        let (kind, flagged) = (byte & !FLAG_REF, byte & FLAG_REF != 0);
        if kind == b'r' {
            let index = u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes"));
            let slot = self
                .referenced
                .get_mut(index as usize)
                .ok_or(MarshalError::BadReference { index, at })?;
            *slot = true;
            if let (Some(out), Some(kept)) = (&mut self.out, &self.kept) {
                let new = kept[index as usize].expect("a referred-to object is kept");
                out.push(b'r');
                out.extend_from_slice(&new.to_le_bytes());
            }
            return Ok(());
        }
        let number = self.referenced.len() as u32;
        if flagged {
            // Numbered before its contents, as the reader does.
            self.referenced.push(false);
        }
        let kind = self.canonical_string_kind(kind);
        if let Some(out) = &mut self.out {
            let keep = flagged
                && self
                    .kept
                    .as_ref()
                    .is_some_and(|k| k.get(number as usize).copied().flatten().is_some());
            out.push(if keep { kind | FLAG_REF } else { kind });
        }
        match kind {
            b'0' | b'N' | b'F' | b'T' | b'S' | b'.' => {}
            b'i' => {
                self.copy(4)?;
            }
            b'I' | b'g' => {
                self.copy(8)?;
            }
            b'y' => {
                self.copy(16)?;
            }
            b'f' => {
                let n = self.copy_u8()?;
                self.copy(n)?;
            }
            b'x' => {
                for _ in 0..2 {
                    let n = self.copy_u8()?;
                    self.copy(n)?;
                }
            }
            b'l' => {
                let digits = self.copy_u32()? as i32;
                self.copy(2 * digits.unsigned_abs() as usize)?;
            }
            b's' | b't' | b'u' | b'a' | b'A' => {
                let n = self.copy_count()?;
                self.copy(n)?;
            }
            b'z' | b'Z' => {
                let n = self.copy_u8()?;
                self.copy(n)?;
            }
            b')' => {
                let n = self.copy_u8()?;
                self.objects(n)?;
            }
            b'(' | b'[' | b'<' | b'>' => {
                let n = self.copy_count()?;
                self.objects(n)?;
            }
            b'{' => loop {
                if self.data.get(self.pos) == Some(&b'0') {
                    self.copy(1)?;
                    break;
                }
                self.object()?;
                self.object()?;
            },
            b'c' => {
                for field in self.code {
                    match field {
                        Field::Long => {
                            self.copy(4)?;
                        }
                        Field::Object => self.object()?,
                    }
                }
            }
            _ => return Err(MarshalError::UnknownType { byte, at }),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_stay_only_on_objects_referred_back_to() {
        // (flagged 'ab', flagged 'cd', ref to 'cd', flagged 5): only 'cd' is referred to.
        let data = b"\xa9\x04\xfa\x02ab\xfa\x02cdr\x02\x00\x00\x00\xe9\x05\x00\x00\x00";
        let expected = b")\x04z\x02ab\xfa\x02cdr\x00\x00\x00\x00i\x05\x00\x00\x00";
        assert_eq!(canonical(data, 11).unwrap(), expected);
        // Already canonical: unchanged.
        assert_eq!(canonical(expected, 11).unwrap(), expected);
    }

    #[test]
    fn one_character_strings_are_interned_as_the_compiler_interns_names() {
        // ("{" interned, "x" not interned, "" interned, "é" interned utf-8, "ab" interned):
        // a singleton's flag depends on the process' history; longer strings keep theirs.
        let data = b")\x05Z\x01{z\x01xZ\x00t\x02\x00\x00\x00\xc3\xa9Z\x02ab";
        let expected = b")\x05z\x01{Z\x01xz\x00u\x02\x00\x00\x00\xc3\xa9Z\x02ab";
        assert_eq!(canonical(data, 10).unwrap(), expected);
        assert_eq!(canonical(expected, 10).unwrap(), expected);
    }

    /// Marshals the module, compiled fresh and then again while the first compilation is
    /// alive, in hex, a line each; then checks the hex lines it is given back load as
    /// that same code.
    const TWO_HISTORIES: &str = r#"
import marshal, sys
source = open(sys.argv[1], "rb").read()
def code():
    return compile(source, "m.py", "exec", dont_inherit=True)
if sys.argv[2] == "dump":
    # The first compilation stays alive, sharing its names and constants with the second;
    # and in between, the singleton "{" is interned, as code compiled earlier can do.
    first = code()
    print(marshal.dumps(first).hex())
    sys.intern("{")
    print(marshal.dumps(code()).hex())
else:
    for line in sys.stdin:
        print(marshal.loads(bytes.fromhex(line.strip())) == code())
"#;

    #[test]
    fn the_same_code_compiled_in_two_histories_is_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let module = dir.path().join("m.py");
        fs_err::write(
            &module,
            "import os, sys\nX = (1, 2.5, 3j, 'os', b'x', frozenset({'a'}), 10**30, -10**30)\n\
             class C:\n    def f(self, os=None):\n        return {'self': self, 'os': os}\n\
             def g(*a, **k):\n    try:\n        return [x for x in a if x in {'sys', 'os'}]\n\
             \x20   except Exception as e:\n        return sys, e\n\
             def h(x):\n    return '{' + x + '}'\n",
        )
        .unwrap();
        crate::build::analysis::tests::with_each_python(|_, python| {
            let run = |mode: &str, stdin: &str| {
                let mut child = std::process::Command::new(python)
                    .args(["-I", "-c", TWO_HISTORIES])
                    .arg(&module)
                    .arg(mode)
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .spawn()
                    .unwrap();
                use std::io::Write as _;
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(stdin.as_bytes())
                    .unwrap();
                let out = child.wait_with_output().unwrap();
                assert!(out.status.success());
                String::from_utf8(out.stdout).unwrap()
            };
            let version = std::process::Command::new(python)
                .args(["-I", "-c", "import sys; print(sys.version_info[1])"])
                .output()
                .unwrap();
            let minor: u8 = String::from_utf8(version.stdout)
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            let dumps: Vec<Vec<u8>> = run("dump", "")
                .lines()
                .map(|line| {
                    (0..line.len())
                        .step_by(2)
                        .map(|i| u8::from_str_radix(&line[i..i + 2], 16).unwrap())
                        .collect()
                })
                .collect();
            assert_eq!(dumps.len(), 2);
            assert_ne!(
                dumps[0], dumps[1],
                "the histories should show in marshal's output"
            );
            let canon: Vec<Vec<u8>> = dumps.iter().map(|d| canonical(d, minor).unwrap()).collect();
            assert_eq!(canon[0], canon[1]);
            let hex: String = canon[0].iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(run("check", &format!("{hex}\n")), "True\n");
        });
    }

    #[test]
    fn damaged_data_is_an_error() {
        assert_eq!(canonical(b"", 11), Err(MarshalError::Truncated(0)));
        assert_eq!(canonical(b"z\x05ab", 11), Err(MarshalError::Truncated(4)));
        assert_eq!(
            canonical(b"r\x00\x00\x00\x00", 11),
            Err(MarshalError::BadReference { index: 0, at: 0 })
        );
        assert_eq!(
            canonical(b"?", 11),
            Err(MarshalError::UnknownType { byte: b'?', at: 0 })
        );
        assert_eq!(canonical(b"NN", 11), Err(MarshalError::TrailingBytes(1)));
        assert_eq!(
            canonical(b"(\xff\xff\xff\xff", 11),
            Err(MarshalError::Truncated(1))
        );
    }
}
