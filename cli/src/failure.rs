//! What a command returns: how it ended, or the error that ended it and its kind.

use std::error::Error;
use std::fmt;

use sigil_keys::{Classify, ErrorKind};

/// How a command ended without an error to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Exit code 0.
    Success,
    /// Exit code 1: a check refused, and the command has said why itself.
    Refused,
    /// Exit code 2: the command could not run (for example a usage error its argument parser
    /// has already printed).
    Failed,
}

impl Exit {
    /// The process exit code.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Refused => 1,
            Self::Failed => 2,
        }
    }
}

impl From<()> for Exit {
    fn from((): ()) -> Self {
        Self::Success
    }
}

impl From<ErrorKind> for Exit {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::Refused => Self::Refused,
            ErrorKind::Operational => Self::Failed,
        }
    }
}

/// An error that ends a command, with its kind. Any [`Classify`] error converts into one with
/// `?`; an error type that does not classify itself (a library that does not yet implement
/// [`Classify`]) is given its kind explicitly with [`Failure::operational`] or
/// [`Failure::refused`].
pub struct Failure {
    kind: ErrorKind,
    error: Box<dyn Error + 'static>,
}

impl Failure {
    /// A failure of the given kind.
    pub fn new(kind: ErrorKind, error: impl Into<Box<dyn Error + 'static>>) -> Self {
        Self {
            kind,
            error: error.into(),
        }
    }

    /// A security check refused: exit 1.
    pub fn refused(error: impl Into<Box<dyn Error + 'static>>) -> Self {
        Self::new(ErrorKind::Refused, error)
    }

    /// The command could not do its job: exit 2.
    pub fn operational(error: impl Into<Box<dyn Error + 'static>>) -> Self {
        Self::new(ErrorKind::Operational, error)
    }

    /// Whether a check refused or the job could not be done.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The error, with its chain of sources.
    #[must_use]
    pub fn error(&self) -> &(dyn Error + 'static) {
        self.error.as_ref()
    }
}

impl<E: Classify + 'static> From<E> for Failure {
    fn from(error: E) -> Self {
        Self {
            kind: error.kind(),
            error: Box::new(error),
        }
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure")
            .field("kind", &self.kind)
            .field("error", &self.error)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct ForgedSignature;

    impl fmt::Display for ForgedSignature {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the signature does not verify")
        }
    }

    impl Error for ForgedSignature {}

    impl Classify for ForgedSignature {
        fn kind(&self) -> ErrorKind {
            ErrorKind::Refused
        }
    }

    #[test]
    fn a_classified_error_keeps_its_kind_through_question_mark() {
        fn verify() -> Result<(), Failure> {
            Err(ForgedSignature)?
        }
        let failure = verify().unwrap_err();
        assert_eq!(failure.kind(), ErrorKind::Refused);
        assert_eq!(Exit::from(failure.kind()).code(), 1);
        assert_eq!(failure.error().to_string(), "the signature does not verify");
    }

    #[test]
    fn an_unreadable_file_is_operational() {
        let failure = Failure::from(std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(Exit::from(failure.kind()).code(), 2);
        assert_eq!(
            Failure::operational("no key given").kind(),
            ErrorKind::Operational
        );
    }
}
