//! Errors classified by whose "no" they are: a security check that refused (a signature that
//! does not verify, metadata that fails a trust rule), or a failure to do the job at all (a file
//! that cannot be read, a network that cannot be reached). Every sigil library classifies its
//! errors with [`Classify`], so a caller (an app deciding whether to retry, or a command picking
//! its exit code) asks the error instead of matching deep into its variants.

use crate::keyfile::KeyFileError;
use crate::minisign::MinisignError;
use crate::tuf::TufKeyError;
use crate::{LoadKeyError, PasswordError, PrivateKeyError, PublicKeyError, SignError, VerifyError};

/// What kind of failure an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A security check ran and said no: the input is not trusted. Trying again with the same
    /// input gives the same answer. The command-line tools exit with 1.
    Refused,
    /// The job could not be done: bad usage, a missing or unreadable file, a network that cannot
    /// be reached, a full disk. Nothing was judged untrustworthy. The command-line tools exit
    /// with 2.
    Operational,
}

/// An error that knows whether it is a refusal or an operational failure.
pub trait Classify: std::error::Error {
    /// Whether a check refused, or the job could not be done.
    fn kind(&self) -> ErrorKind;

    /// Whether a security check refused (as opposed to an operational failure).
    fn is_refusal(&self) -> bool {
        self.kind() == ErrorKind::Refused
    }
}

impl Classify for std::io::Error {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Operational
    }
}

impl Classify for MinisignError {
    /// A signature that does not verify under the key is a refusal; a key or signature that
    /// cannot be read is operational here, and a caller that read the signature from an
    /// untrusted source (as `verify` does) classifies that itself.
    fn kind(&self) -> ErrorKind {
        match self {
            Self::WrongKey { .. }
            | Self::TrustedCommentTampered(_)
            | Self::ContentMismatch(_)
            | Self::LegacyRefused => ErrorKind::Refused,
            _ => ErrorKind::Operational,
        }
    }
}

impl Classify for VerifyError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Refused
    }
}

macro_rules! operational {
    ($($error:ty),* $(,)?) => {
        $(impl Classify for $error {
            fn kind(&self) -> ErrorKind {
                ErrorKind::Operational
            }
        })*
    };
}

// Loading, decrypting and writing keys, and signing with them: nothing here judges whether
// something is trusted.
operational!(
    KeyFileError,
    LoadKeyError,
    PasswordError,
    PrivateKeyError,
    PublicKeyError,
    SignError,
    TufKeyError,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_other_users_can_read_is_operational_not_a_refusal() {
        let error = KeyFileError::InsecurePermissions {
            path: "key".into(),
            mode: 0o644,
        };
        assert_eq!(error.kind(), ErrorKind::Operational);
        assert!(!error.is_refusal());
    }

    #[test]
    fn a_signature_by_another_key_is_refused() {
        let error = MinisignError::WrongKey {
            signature: crate::minisign::KeyNumber([1; 8]),
            public_key: crate::minisign::KeyNumber([2; 8]),
        };
        assert!(error.is_refusal());
        assert_eq!(MinisignError::WrongPassword.kind(), ErrorKind::Operational);
    }
}
