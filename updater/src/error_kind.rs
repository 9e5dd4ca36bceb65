//! Which of the updater's errors are refusals by a security check and which are operational
//! failures (see [`sigil_keys::Classify`]): an app retries an operational failure later, and
//! treats a refusal as an attack or a broken release, which trying again does not fix.

use sigil_keys::{Classify, ErrorKind};

use crate::client::ClientError;
use crate::client::config::ConfigError;
use crate::download::DownloadError;
use crate::install::InstallError;
use crate::install::archive::ArchiveError;
use crate::install::member::MemberPathError;
use crate::transport::NetworkError;

impl Classify for ClientError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Metadata(error) => error.kind(),
            Self::Download { source, .. } => source.kind(),
            Self::Install(error) => error.kind(),
            // The release is not what trusted metadata vouches for, or its signature is
            // missing, replayed from another artifact, or does not verify.
            Self::NotListed { .. }
            | Self::TargetName { .. }
            | Self::Unsigned { .. }
            | Self::SignatureNotForRelease { .. }
            | Self::Signature { .. } => ErrorKind::Refused,
            Self::Receipt(_) | Self::ReceiptIndex { .. } | Self::NotChecked | Self::Io { .. } => {
                ErrorKind::Operational
            }
        }
    }
}

impl Classify for ConfigError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Client(error) => error.kind(),
            Self::Read { .. } | Self::Invalid { .. } => ErrorKind::Operational,
        }
    }
}

impl Classify for DownloadError {
    /// Bytes that are not the ones trusted metadata describes are refused; a download that
    /// could not finish (network, server, disk, a slow or dead link, a cancelled download) is
    /// operational, and may succeed when tried again.
    fn kind(&self) -> ErrorKind {
        match self {
            Self::TooLong { .. } | Self::HashMismatch { .. } | Self::NoSupportedHash => {
                ErrorKind::Refused
            }
            Self::Network { .. }
            | Self::Transport(_)
            | Self::Interrupted { .. }
            | Self::Status { .. }
            | Self::TooSlow { .. }
            | Self::BadRange { .. }
            | Self::Truncated { .. }
            | Self::CorruptPart { .. }
            | Self::Cancelled { .. }
            | Self::Write { .. }
            | Self::Header { .. }
            | Self::Proxy
            | Self::Client(_)
            | Self::NoUrl => ErrorKind::Operational,
        }
    }
}

impl Classify for InstallError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Archive { source, .. } => source.kind(),
            // A version that failed its health check here is never installed again.
            Self::Rejected(_) => ErrorKind::Refused,
            Self::Io { .. }
            | Self::CorruptState { .. }
            | Self::NotStaged(_)
            | Self::AlreadyCurrent(_)
            | Self::NothingToRollBack
            | Self::ForeignPointer { .. }
            | Self::Interrupted(_)
            | Self::ClockBeforeEpoch { .. } => ErrorKind::Operational,
        }
    }
}

impl Classify for ArchiveError {
    /// The hostile-archive defences refuse; reading and writing files fails operationally.
    fn kind(&self) -> ErrorKind {
        match self {
            Self::UnknownFormat { .. }
            | Self::Malformed { .. }
            | Self::MemberName { .. }
            | Self::Duplicate { .. }
            | Self::ForbiddenType { .. }
            | Self::LinkEscapes { .. }
            | Self::UnderLink { .. }
            | Self::NotADirectory { .. }
            | Self::TooManyEntries { .. }
            | Self::EntryTooLarge { .. }
            | Self::TotalTooLarge { .. }
            | Self::RatioTooHigh { .. }
            | Self::SizeMismatch { .. } => ErrorKind::Refused,
            Self::StagingNotEmpty { .. } | Self::Read { .. } | Self::Write { .. } => {
                ErrorKind::Operational
            }
        }
    }
}

impl Classify for MemberPathError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Refused
    }
}

impl Classify for NetworkError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Operational
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replayed_signature_is_refused_and_a_dead_mirror_is_not() {
        let replay = ClientError::SignatureNotForRelease {
            target: "app-1.1.0.tgz".into(),
            expected: "sha256 aa".into(),
            found: "sha256 bb".into(),
        };
        assert_eq!(replay.kind(), ErrorKind::Refused);
        let dead = ClientError::Download {
            target: "app-1.1.0.tgz".into(),
            source: Box::new(DownloadError::NoUrl),
        };
        assert_eq!(dead.kind(), ErrorKind::Operational);
        let tampered = ClientError::Download {
            target: "app-1.1.0.tgz".into(),
            source: Box::new(DownloadError::HashMismatch {
                url: "https://cdn.test/app-1.1.0.tgz".into(),
                algorithm: "sha256".into(),
                expected: "aa".into(),
                found: "bb".into(),
            }),
        };
        assert_eq!(tampered.kind(), ErrorKind::Refused);
    }

    #[test]
    fn a_zip_slip_member_is_refused() {
        let error = InstallError::Archive {
            version: semver::Version::new(1, 1, 0),
            source: ArchiveError::MemberName {
                index: 0,
                source: MemberPathError::ParentDir("../../bin/sh".into()),
            },
        };
        assert_eq!(error.kind(), ErrorKind::Refused);
    }
}
