//! The shell every sigil command-line tool runs in, so that they all end the same way:
//!
//! - exit codes 0 (success), 1 (a security check refused: [`ErrorKind::Refused`]) and 2 (the
//!   command could not do its job: [`ErrorKind::Operational`], or bad usage), picked from the
//!   error's own classification ([`Classify`], implemented by every sigil library) rather than by
//!   the binary matching library enums;
//! - an error printed to stderr as `error: <message>`, then one `  caused by: <source>` line per
//!   cause not already in the message, with terminal control characters escaped (an error can
//!   quote a file name or URL chosen by an attacker);
//! - standard output closed by its reader (`sigil-audit check ... | head`) is not an error:
//!   [`say`] stops writing and the command finishes its work and exits as it would have;
//! - a panic prints one `internal error` line naming what to report, and exits with 2, in debug
//!   and release builds alike (release builds abort on panic; the hook exits first).
//!
//! What it deliberately does not do: parse arguments. Binaries parse with clap and hand its
//! result in; this crate has no dependency beyond `sigil-keys` (for [`Classify`]), so no library
//! pulls in an argument parser through it.

// This crate is where output and exit codes belong.
#![allow(clippy::print_stderr, clippy::exit)]

mod failure;
mod output;
mod panic;
mod report;

pub use failure::{Exit, Failure};
pub use output::{StdoutError, note, say};
pub use panic::PANIC_TEST_VAR;
pub use report::render;
pub use sigil_keys::{Classify, ErrorKind};

use std::process::ExitCode;

/// How a command reports its failures.
#[derive(Debug, Clone, Copy)]
pub struct Shell {
    program: &'static str,
    label: &'static str,
    codes: Codes,
}

#[derive(Debug, Clone, Copy)]
enum Codes {
    /// 1 for a refusal, 2 for an operational failure.
    ByKind,
    /// One code for every failure.
    Single(u8),
}

impl Shell {
    /// The shell for `program` (its name as typed, used in the internal-error message): errors
    /// printed as `error: ...`, exit codes by kind.
    #[must_use]
    pub fn new(program: &'static str) -> Self {
        Self {
            program,
            label: "error",
            codes: Codes::ByKind,
        }
    }

    /// Prints errors as `<label>: <message>` rather than `error: <message>`, for a tool whose
    /// users (or a protocol) expect another prefix, such as `sigil-tuf-client: <message>`.
    #[must_use]
    pub fn error_label(mut self, label: &'static str) -> Self {
        self.label = label;
        self
    }

    /// Every failure exits with `code`, refused or not: for a protocol that fixes the code, as
    /// the TUF conformance suite's client-under-test protocol fixes 1 for any failure. A panic
    /// still exits with 2.
    #[must_use]
    pub fn every_failure_exits_with(mut self, code: u8) -> Self {
        self.codes = Codes::Single(code);
        self
    }

    /// Runs `main`: installs the panic hook, then prints the error it returns, if any, and maps
    /// the outcome to the exit code.
    pub fn run<T, E>(self, main: impl FnOnce() -> Result<T, E>) -> ExitCode
    where
        T: Into<Exit>,
        E: Into<Failure>,
    {
        panic::install(self.program);
        panic::panic_if_asked();
        let code = match main() {
            Ok(exit) => exit.into().code(),
            Err(failure) => {
                let failure = failure.into();
                note(&render(self.label, failure.error()));
                match self.codes {
                    Codes::ByKind => Exit::from(failure.kind()).code(),
                    Codes::Single(code) => code,
                }
            }
        };
        ExitCode::from(code)
    }
}

/// Runs `main` in the default shell for `program`: see [`Shell::run`].
pub fn run<T, E>(program: &'static str, main: impl FnOnce() -> Result<T, E>) -> ExitCode
where
    T: Into<Exit>,
    E: Into<Failure>,
{
    Shell::new(program).run(main)
}
