//! What the command line shows on stderr beyond the build's words: the progress display
//! of a build, colours on the labels of its diagnostics (`error:`, `warning:`, `note:`,
//! `help:`, `hint:`), and an error as `error:` with its causes and `help:`.
//!
//! Colours go through `anstream`, which drops them unless stderr is a terminal that takes
//! them, and honours `NO_COLOR`, `CLICOLOR` and `CLICOLOR_FORCE` (and `--color`, through
//! its global choice).

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::fault;
use crate::progress::{Progress, Step};

/// Whether a progress display belongs on stderr: a terminal a person watches, not a CI
/// log nor a terminal that cannot redraw a line. `var` reads the environment.
pub fn shows_progress(
    stderr_is_terminal: bool,
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> bool {
    let ci = var("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    let dumb = var("TERM").is_some_and(|v| v == "dumb");
    stderr_is_terminal && !ci && !dumb
}

/// A spinner on stderr with the build's step, and the analysis's compiling as N/M;
/// cleared when dropped, so that the summary or the error is all that stays.
pub struct Spinner {
    bar: ProgressBar,
}

impl Spinner {
    /// A spinner if [`shows_progress`] says so for this process, else nothing.
    pub fn for_stderr() -> Option<Spinner> {
        let var = |name: &str| std::env::var_os(name);
        shows_progress(std::io::stderr().is_terminal(), var).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}").expect("the template is valid"),
            );
            Spinner { bar }
        })
    }
}

impl Progress for Spinner {
    fn step(&self, step: Step) {
        // Ticking from the first step on: before it, the spinner would turn on no words.
        self.bar.enable_steady_tick(Duration::from_millis(100));
        self.bar.set_message(step.name());
    }

    fn compiled(&self, done: usize, total: usize) {
        self.bar.set_message(format!(
            "{}: compiled {done}/{total} modules",
            Step::Analysis.name()
        ));
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const NOTE: Style = AnsiColor::Cyan.on_default().bold();
const HELP: Style = AnsiColor::Green.on_default().bold();

/// Colours as `--color` asks: `auto` leaves it to the environment and the terminal.
pub fn choose_colours(choice: clap::ColorChoice) {
    match choice {
        clap::ColorChoice::Auto => anstream::ColorChoice::Auto,
        clap::ColorChoice::Always => anstream::ColorChoice::Always,
        clap::ColorChoice::Never => anstream::ColorChoice::Never,
    }
    .write_global();
}

/// `text` with the label that starts each of its lines styled, if it has one.
pub fn style_labels(text: &str) -> String {
    let mut styled = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let label = [
            ("error:", ERROR),
            ("warning:", WARNING),
            ("note:", NOTE),
            ("help:", HELP),
            ("hint:", HELP),
        ]
        .into_iter()
        .find(|(label, _)| line.starts_with(label));
        match label {
            Some((label, style)) => {
                styled.push_str(&format!("{style}{label}{style:#}"));
                styled.push_str(&line[label.len()..]);
            }
            None => styled.push_str(line),
        }
    }
    styled
}

/// Writes `text` to stderr, its labels coloured where colours are wanted.
pub fn eprint_styled(text: &str) {
    let mut stderr = anstream::stderr().lock();
    let _ = stderr.write_all(style_labels(text).as_bytes());
    let _ = stderr.flush();
}

/// `error` as the command line says it: `error: ` and its message; then each cause that
/// adds to what was said (one a message already quotes is left out); then `help: ` and
/// the fix, where the error knows one.
pub fn error_text(error: &anyhow::Error) -> String {
    let mut text = format!("error: {error}\n");
    let mut said = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !said.contains(&cause) {
            text.push_str(&format!("  caused by: {cause}\n"));
            said.push_str(&cause);
        }
    }
    if let Some(help) = fault::help(error) {
        text.push_str(&format!("help: {help}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn env<'a>(vars: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.into())
    }

    #[test]
    fn progress_is_for_a_terminal_outside_ci_that_can_redraw() {
        assert!(shows_progress(true, env(&[("TERM", "xterm")])));
        assert!(shows_progress(true, env(&[("CI", "false")])));
        assert!(!shows_progress(false, env(&[])));
        assert!(!shows_progress(true, env(&[("CI", "true")])));
        assert!(!shows_progress(true, env(&[("TERM", "dumb")])));
    }

    #[test]
    fn only_the_labels_at_the_start_of_lines_are_styled() {
        let styled = style_labels("Built x\nwarning: a note: b\nhelp: c\n");
        assert_eq!(
            styled,
            format!("Built x\n{WARNING}warning:{WARNING:#} a note: b\n{HELP}help:{HELP:#} c\n")
        );
    }

    #[test]
    fn a_cause_the_message_already_says_is_not_said_again() {
        let inner = std::io::Error::other("disk full");
        let error = anyhow::Error::new(inner).context("cannot write x: disk full");
        assert_eq!(error_text(&error), "error: cannot write x: disk full\n");
        let error = anyhow::anyhow!("the cause").context("what failed");
        assert_eq!(
            error_text(&error),
            "error: what failed\n  caused by: the cause\n"
        );
    }
}
