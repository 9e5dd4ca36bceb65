//! Which of the signer's errors are refusals by a check and which are operational failures
//! (see [`sigil_keys::Classify`]).

use sigil_keys::{Classify, ErrorKind};

use crate::custody::{ProvenanceError, RecordError};
use crate::keygen::KeygenError;
use crate::manifest::ManifestError;
use crate::repo::RepoError;
use crate::repo::policy::PolicyError;
use crate::repo::publish::PublishError;
use crate::sign::SignFileError;
use crate::verify::VerifyFileError;

fn kind_of(refused: bool) -> ErrorKind {
    if refused {
        ErrorKind::Refused
    } else {
        ErrorKind::Operational
    }
}

impl Classify for VerifyFileError {
    /// A signature that is wrong for the file and key, or not a signature at all, is refused;
    /// a key or file that cannot be read is operational.
    fn kind(&self) -> ErrorKind {
        kind_of(self.is_rejection())
    }
}

impl Classify for RepoError {
    /// Signing a role with a key that is not one of its keys is refused; everything else is
    /// about the working copy and its inputs.
    fn kind(&self) -> ErrorKind {
        kind_of(self.is_rejection())
    }
}

impl Classify for PublishError {
    /// Publishing refuses a repository the client would refuse (a signature that does not
    /// verify, a role below its threshold, expired metadata, a rollback, a published file that
    /// would be rewritten); files that cannot be read or written are operational.
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Repo(error) => error.kind(),
            _ => kind_of(self.is_rejection()),
        }
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

// Making keys, signatures, manifests and log entries: nothing here judges what is trusted.
operational!(
    SignFileError,
    KeygenError,
    ManifestError,
    PolicyError,
    RecordError,
    ProvenanceError,
);
