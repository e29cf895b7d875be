//! Whose fault a failure is, which the exit status tells scripts: [`Fault::User`] (1) when
//! the input was wrong and the message says how to fix it (a missing app, a bad option, a
//! syntax error in the app, a file that is not a bundle), [`Fault::Internal`] (2) when
//! pyfreeze, the interpreter or the machine failed on input that was fine. What no error
//! type claims is internal: a failure nobody foresaw is not the user's to fix.

use pyfreeze_archive::UnsupportedOption;

use crate::build::analysis::AnalysisError;
use crate::build::child::LimitError;
use crate::build::disk::DiskError;
use crate::build::interpreter::{InterpreterError, ProbeError};
use crate::build::native::NativeError;
use crate::build::output::OutputError;
use crate::build::project::ProjectError;
use crate::build::zipapp::ZipappError;
use crate::cache::CacheError;
use crate::config::ConfigError;
use crate::ls::LsError;
use crate::target::TargetError;
use crate::why::WhyError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    User,
    Internal,
}

impl Fault {
    pub fn exit_code(self) -> u8 {
        match self {
            Fault::User => 1,
            Fault::Internal => 2,
        }
    }
}

/// An error that knows whose fault it is.
pub(crate) trait Blame {
    fn fault(&self) -> Fault;
}

/// An error that knows how the user can fix it, said on a `help:` line after it.
pub(crate) trait Help {
    fn help(&self) -> Option<String>;
}

/// Hands `$apply` every error type of the library, each of which knows its fault and its
/// fix: the one list both [`help`] and [`of`] ask.
macro_rules! with_known_errors {
    ($apply:ident) => {
        $apply!(
            ConfigError,
            ProjectError,
            InterpreterError,
            ProbeError,
            LimitError,
            UnsupportedOption,
            OutputError,
            DiskError,
            AnalysisError,
            NativeError,
            CacheError,
            LsError,
            TargetError,
            ZipappError,
            WhyError
        )
    };
}

/// The fix the first error in `error`'s chain that knows one offers.
pub fn help(error: &anyhow::Error) -> Option<String> {
    for cause in error.chain() {
        macro_rules! first_that_helps {
            ($($error:ty),+) => {
                $(if let Some(known) = cause.downcast_ref::<$error>() {
                    if let Some(help) = known.help() {
                        return Some(help);
                    }
                })+
            };
        }
        with_known_errors!(first_that_helps);
    }
    None
}

/// The fault of the first error in `error`'s chain that knows it.
pub fn of(error: &anyhow::Error) -> Fault {
    for cause in error.chain() {
        macro_rules! first_that_knows {
            ($($error:ty),+) => {
                $(if let Some(known) = cause.downcast_ref::<$error>() {
                    return known.fault();
                })+
            };
        }
        with_known_errors!(first_that_knows);
    }
    Fault::Internal
}

impl Help for UnsupportedOption {
    fn help(&self) -> Option<String> {
        Some(
            "use -u, -b, -bb, -v, -O, -OO, \"-W ARG\" or \"-X OPT\", as python takes them"
                .to_owned(),
        )
    }
}

impl Blame for UnsupportedOption {
    fn fault(&self) -> Fault {
        Fault::User
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;
    use std::path::PathBuf;

    #[test]
    fn the_first_error_in_the_chain_that_knows_decides() {
        let user: anyhow::Error = ProjectError::Missing(PathBuf::from("app")).into();
        assert_eq!(of(&user), Fault::User);
        let wrapped = Err::<(), _>(InterpreterError::NoPython3)
            .context("while choosing")
            .unwrap_err();
        assert_eq!(of(&wrapped), Fault::User);
        let failed: anyhow::Error = AnalysisError::Protocol {
            interpreter: PathBuf::from("python3"),
            what: "garbage".to_owned(),
        }
        .into();
        assert_eq!(of(&failed), Fault::Internal);
        assert_eq!(of(&anyhow::anyhow!("unforeseen")), Fault::Internal);
        assert_eq!(Fault::User.exit_code(), 1);
        assert_eq!(Fault::Internal.exit_code(), 2);
    }
}
