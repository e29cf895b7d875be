//! The interpreter options a bundle starts with, fixed at build time, as `python -u -b -v
//! -W arg -X opt` would set them. Stored in [`crate::IndexHeader::python_options`] as
//! one option a line: `u`, `b`, `v`, `W <arg>`, `X <opt>` (`-O` is the header's
//! `optimize`, as the bytecode must be compiled for it).

use std::fmt;

/// The options, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PythonOptions {
    /// `-u`: unbuffered binary stdout and stderr.
    pub unbuffered: bool,
    /// `-b` (1) or `-bb` (2): warnings (errors) about `str(bytes)` and bytes comparisons.
    pub bytes_warning: u8,
    /// `-v`, repeated: trace imports.
    pub verbose: u8,
    /// `-W arg`, in order.
    pub warnings: Vec<String>,
    /// `-X opt`, in order.
    pub x_options: Vec<String>,
}

/// An option a bundle cannot be built with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an interpreter option a bundle can start with (-I, -S, -E and -s always \
     apply)"
)]
pub struct UnsupportedOption(pub String);

impl PythonOptions {
    /// Adds one option as written on a `python` command line: `-u`, `-bb`, `-W error`,
    /// `-Werror`, `-X utf8`, `-Xdev` (the leading `-` may be left out). `-O`/`-OO` are
    /// returned as an optimisation level instead, for the build to compile with.
    pub fn add(&mut self, option: &str) -> Result<Option<u8>, UnsupportedOption> {
        let unsupported = || UnsupportedOption(option.to_owned());
        let text = option.trim();
        let text = text.strip_prefix('-').unwrap_or(text);
        let mut chars = text.chars();
        let (letter, rest) = match chars.next() {
            Some(letter) => (letter, chars.as_str().trim_start()),
            None => return Err(unsupported()),
        };
        match letter {
            'W' | 'X' if rest.is_empty() || rest.contains('\n') => Err(unsupported()),
            'W' => {
                self.warnings.push(rest.to_owned());
                Ok(None)
            }
            'X' => {
                self.x_options.push(rest.to_owned());
                Ok(None)
            }
            'u' if rest.is_empty() => {
                self.unbuffered = true;
                Ok(None)
            }
            'b' if rest.is_empty() || rest == "b" => {
                self.bytes_warning = self.bytes_warning.max(1 + rest.len() as u8);
                Ok(None)
            }
            'v' if rest.chars().all(|c| c == 'v') => {
                self.verbose = self.verbose.saturating_add(1 + rest.len() as u8);
                Ok(None)
            }
            'O' if rest.is_empty() || rest == "O" => Ok(Some(1 + rest.len() as u8)),
            _ => Err(unsupported()),
        }
    }

    /// Reads the stored form; `None` if it is not one this version writes.
    pub fn parse(stored: &str) -> Option<PythonOptions> {
        let mut options = PythonOptions::default();
        for line in stored.lines() {
            match line.split_once(' ') {
                Some(("W", arg)) if !arg.is_empty() => options.warnings.push(arg.to_owned()),
                Some(("X", opt)) if !opt.is_empty() => options.x_options.push(opt.to_owned()),
                None if line == "u" => options.unbuffered = true,
                None if line == "b" => {
                    options.bytes_warning = options.bytes_warning.saturating_add(1)
                }
                None if line == "v" => options.verbose = options.verbose.saturating_add(1),
                _ => return None,
            }
        }
        Some(options)
    }

    /// What `-X utf8` / `-X utf8=0` ask of UTF-8 mode, if anything (the last one wins).
    pub fn utf8_mode(&self) -> Option<bool> {
        self.x_options.iter().rev().find_map(|x| match x.as_str() {
            "utf8" | "utf8=1" => Some(true),
            "utf8=0" => Some(false),
            _ => None,
        })
    }

    /// The options as a `python` command line gives them: `-u`, `-bb`, `-W error`, ...
    pub fn command_line(&self) -> Vec<String> {
        let mut args = Vec::new();
        if self.unbuffered {
            args.push("-u".to_owned());
        }
        if self.bytes_warning > 0 {
            args.push(format!("-{}", "b".repeat(self.bytes_warning.into())));
        }
        if self.verbose > 0 {
            args.push(format!("-{}", "v".repeat(self.verbose.into())));
        }
        args.extend(self.warnings.iter().map(|w| format!("-W {w}")));
        args.extend(self.x_options.iter().map(|x| format!("-X {x}")));
        args
    }

    /// Whether `-X dev` is given.
    pub fn dev_mode(&self) -> bool {
        self.x_options.iter().any(|x| x == "dev")
    }
}

/// The stored form.
impl fmt::Display for PythonOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.unbuffered {
            writeln!(f, "u")?;
        }
        for _ in 0..self.bytes_warning {
            writeln!(f, "b")?;
        }
        for _ in 0..self.verbose {
            writeln!(f, "v")?;
        }
        for arg in &self.warnings {
            writeln!(f, "W {arg}")?;
        }
        for opt in &self.x_options {
            writeln!(f, "X {opt}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_spellings_are_accepted() {
        let mut options = PythonOptions::default();
        for option in [
            "-u",
            "bb",
            "-v",
            "-W error",
            "-Wignore::DeprecationWarning",
            "X utf8",
            "-Xdev",
        ] {
            assert_eq!(options.add(option), Ok(None), "{option}");
        }
        assert_eq!(options.add("-OO"), Ok(Some(2)));
        assert_eq!(options.add("-O"), Ok(Some(1)));
        assert_eq!(
            options,
            PythonOptions {
                unbuffered: true,
                bytes_warning: 2,
                verbose: 1,
                warnings: vec!["error".into(), "ignore::DeprecationWarning".into()],
                x_options: vec!["utf8".into(), "dev".into()],
            }
        );
        assert_eq!(options.utf8_mode(), Some(true));
        assert!(options.dev_mode());
        assert_eq!(
            options.command_line(),
            [
                "-u",
                "-bb",
                "-v",
                "-W error",
                "-W ignore::DeprecationWarning",
                "-X utf8",
                "-X dev"
            ]
        );
    }

    #[test]
    fn other_options_are_refused() {
        let mut options = PythonOptions::default();
        for option in [
            "-S", "-E", "-c", "-m", "-W", "-X", "", "-ux", "-bbb", "-X a\nb",
        ] {
            assert_eq!(
                options.add(option),
                Err(UnsupportedOption(option.into())),
                "{option:?}"
            );
        }
        assert_eq!(options, PythonOptions::default());
    }

    #[test]
    fn stored_form_round_trips() {
        let mut options = PythonOptions::default();
        for option in [
            "-u",
            "-bb",
            "-vv",
            "-W error",
            "-X utf8=0",
            "-X int_max_str_digits=9",
        ] {
            options.add(option).unwrap();
        }
        let stored = options.to_string();
        assert_eq!(
            stored,
            "u\nb\nb\nv\nv\nW error\nX utf8=0\nX int_max_str_digits=9\n"
        );
        assert_eq!(PythonOptions::parse(&stored), Some(options.clone()));
        assert_eq!(options.utf8_mode(), Some(false));
        assert_eq!(PythonOptions::parse(""), Some(PythonOptions::default()));
        assert_eq!(PythonOptions::parse("S\n"), None);
        assert_eq!(PythonOptions::parse("W \n"), None);
    }
}
