//! Which of this crate's errors are refusals by a TUF check and which are operational
//! failures (see [`sigil_keys::Classify`]).

use sigil_keys::{Classify, ErrorKind};

use crate::hashes::HashError;
use crate::metadata::{MetadataError, SigningError};
use crate::release::ReleaseError;
use crate::{
    StorageError, TargetPathError, ThresholdError, TransportError, TrustError, UpdateError,
};

impl Classify for TrustError {
    /// Every rule of the trusted-metadata state machine is a check (signature thresholds,
    /// rollback, freeze, hashes, malformed metadata from the repository), except calling its
    /// steps out of order, which is a bug in the caller.
    fn kind(&self) -> ErrorKind {
        match self {
            Self::OutOfOrder { .. } | Self::TooLate { .. } => ErrorKind::Operational,
            Self::Metadata { .. }
            | Self::Threshold(_)
            | Self::RootVersion { .. }
            | Self::Expired { .. }
            | Self::Rollback { .. }
            | Self::SnapshotMetaRollback { .. }
            | Self::VersionMismatch { .. }
            | Self::Hash { .. }
            | Self::RoleRemoved { .. }
            | Self::MetaRollback { .. }
            | Self::NotInSnapshot { .. }
            | Self::NotDelegated { .. } => ErrorKind::Refused,
        }
    }
}

impl Classify for UpdateError {
    /// The repository's metadata or a target failing a check is a refusal; a repository that
    /// cannot be reached (including one slower than the slow-retrieval limit, or larger than
    /// the download limit) or local storage that fails is operational.
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Trust(error) => error.kind(),
            Self::DelegationLimit { .. }
            | Self::TargetTooLarge { .. }
            | Self::TargetHash { .. } => ErrorKind::Refused,
            Self::NoTrustedRoot | Self::Transport(_) | Self::Storage(_) | Self::TargetIo { .. } => {
                ErrorKind::Operational
            }
        }
    }
}

impl Classify for ThresholdError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Refused
    }
}

impl Classify for HashError {
    /// Bytes that are not what trusted metadata describes, or metadata that names no hash sigil
    /// can check.
    fn kind(&self) -> ErrorKind {
        ErrorKind::Refused
    }
}

impl Classify for MetadataError {
    /// Metadata that does not parse, read from a local file (the repository editor's working
    /// copy). When it comes from a repository being trusted, the state machine reports it as a
    /// refusal ([`TrustError::Metadata`]).
    fn kind(&self) -> ErrorKind {
        ErrorKind::Operational
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

// Fetching and storing, signing, and input given by the caller (a target path or release
// metadata being written).
operational!(
    TransportError,
    StorageError,
    SigningError,
    TargetPathError,
    ReleaseError,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rollback_attack_is_refused_and_an_unreachable_repository_is_not() {
        let rollback = UpdateError::Trust(TrustError::Rollback {
            role: "timestamp".into(),
            trusted: 5,
            found: 4,
        });
        assert_eq!(rollback.kind(), ErrorKind::Refused);
        let offline = UpdateError::Transport(TransportError::NotFound {
            url: "https://repo.test/timestamp.json".into(),
        });
        assert_eq!(offline.kind(), ErrorKind::Operational);
        assert_eq!(UpdateError::NoTrustedRoot.kind(), ErrorKind::Operational);
    }
}
