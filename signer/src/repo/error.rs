//! The repository editor's errors.

use std::path::{Path, PathBuf};

use sigil_keys::keyfile::KeyFileError;
use sigil_keys::{KeyId, LoadKeyError, PrivateKeyError, PublicKeyError};
use sigil_tuf::TargetPathError;
use sigil_tuf::metadata::{MetadataError, RoleType, SigningError};
use sigil_tuf::release::ReleaseError;

use super::CONFIG_FILE;
use crate::sign::SignFileError;

/// Why a repository command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepoError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{dir} is not a repository: expected {CONFIG_FILE} in it (create one with `repo init`)"
    )]
    NotARepository { dir: PathBuf },
    #[error("{dir} already holds a repository, or part of one (metadata/ or {CONFIG_FILE} exists)")]
    AlreadyExists { dir: PathBuf },
    #[error("{path}: {source}")]
    Config {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: {source}")]
    Metadata {
        path: PathBuf,
        #[source]
        source: MetadataError,
    },
    #[error("root versions in {dir}: expected {expected}.root.json, found {found}")]
    RootChain {
        dir: PathBuf,
        expected: u64,
        found: String,
    },
    #[error("signing {role} metadata: {source}")]
    Signing {
        role: RoleType,
        #[source]
        source: SigningError,
    },
    #[error("generating a key: {0}")]
    KeyGeneration(#[source] PrivateKeyError),
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    #[error(transparent)]
    LoadKey(#[from] LoadKeyError),
    #[error("{path}: {source}")]
    PublicKeyFile {
        path: PathBuf,
        #[source]
        source: PublicKeyError,
    },
    #[error("{path} does not hold the secret key of the public key file beside it")]
    KeyPairMismatch { path: PathBuf },
    #[error("key {keyid} is not a key of the {role} role (expected one of: {expected})")]
    NotARoleKey {
        role: RoleType,
        keyid: KeyId,
        expected: String,
    },
    #[error("{role} is due to be re-signed but {dir} holds none of its keys")]
    NoSigningKey { role: RoleType, dir: String },
    #[error("root metadata has no {role} role")]
    RoleMissing { role: RoleType },
    #[error("{role}: a threshold of {threshold} cannot be met by {keys} key(s)")]
    Threshold {
        role: RoleType,
        threshold: u64,
        keys: u64,
    },
    #[error(
        "delegated role name {found:?}: expected 1 to 64 of letters, digits, '.', '_' and '-', \
         not starting with '.', and not a top-level role's name"
    )]
    RoleName { found: String },
    #[error("hash bins: bit_length {found} is more than the {limit} sigil supports")]
    TooManyBins { found: u64, limit: u64 },
    #[error("delegated role {name:?} exists already")]
    RoleExists { name: String },
    #[error("targets already delegates {existing}: {wanted} cannot be added beside them")]
    DelegationKind {
        existing: &'static str,
        wanted: &'static str,
    },
    #[error("a delegation needs keys: give --generate or --add-key")]
    NoDelegationKeys,
    #[error("{found:?} is neither a top-level role nor a delegated role of this repository")]
    UnknownRole { found: String },
    #[error("key {keyid} is not a key of the delegated role {name} (expected one of: {expected})")]
    NotADelegatedKey {
        name: String,
        keyid: KeyId,
        expected: String,
    },
    #[error(transparent)]
    TargetPath(#[from] TargetPathError),
    #[error("target {name:?} is already in the repository: remove it first to replace it")]
    TargetExists { name: String },
    #[error("target {name:?} is not in the repository")]
    UnknownTarget { name: String },
    #[error("target {name:?}: {reason}")]
    TargetSource { name: String, reason: &'static str },
    #[error(transparent)]
    Release(#[from] ReleaseError),
    #[error(transparent)]
    SignFile(#[from] SignFileError),
}

impl RepoError {
    /// Whether this is a refusal on security grounds (exit 1) rather than an operational error.
    #[must_use]
    pub fn is_rejection(&self) -> bool {
        matches!(
            self,
            Self::NotARoleKey { .. } | Self::NotADelegatedKey { .. }
        )
    }

    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}
