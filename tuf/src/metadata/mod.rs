//! The TUF metadata model (specification 1.0.x, section 4): the signed envelope and the four
//! top-level roles, parsed from the bytes received and validated at the edge.
//!
//! Signatures are checked over the canonical JSON of the `signed` value exactly as received,
//! unknown members included (TUF 4: "implementers who encounter undefined attribute-value pairs
//! ... must include the data when calculating hashes or verifying signatures"). The typed views
//! ([`Root`], [`Timestamp`], [`Snapshot`], [`Targets`]) are read from that value and keep unknown
//! members too, so that the repository writer in `sigil-signer` reuses them to write metadata.

mod envelope;
mod root;
mod snapshot;
mod targets;

pub use envelope::{Envelope, Metadata, Signature, SigningError, sign_metadata, sign_value};
pub use root::{RoleKeys, Root};
pub use snapshot::{Hashes, MetaFile, Snapshot, Timestamp};
pub use targets::{
    DelegatedKeys, DelegatedRole, Delegations, RoleForTarget, SuccinctRoles, TargetFile, Targets,
    path_matches,
};

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sigil_keys::KeyId;
use sigil_keys::canonical_json::CanonicalJsonError;

use crate::time::Expires;

/// The specification version sigil writes.
pub const SPEC_VERSION: &str = "1.0.34";

/// The four top-level roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoleType {
    Root,
    Timestamp,
    Snapshot,
    Targets,
}

impl RoleType {
    /// The role's name, which is also its `_type`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Root => "root",
            Self::Timestamp => "timestamp",
            Self::Snapshot => "snapshot",
            Self::Targets => "targets",
        }
    }

    /// Whether `name` is one of the top-level role names, which delegations may not reuse.
    #[must_use]
    pub fn is_top_level_name(name: &str) -> bool {
        matches!(name, "root" | "timestamp" | "snapshot" | "targets")
    }
}

impl fmt::Display for RoleType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why metadata bytes are not valid TUF metadata. Nothing here is about trust: see
/// [`crate::TrustError`] for signatures, versions and expiry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    #[error("metadata is not a JSON document: {0}")]
    Json(#[source] serde_json::Error),
    #[error("metadata envelope: expected an object with \"signed\" and \"signatures\", {found}")]
    Envelope { found: &'static str },
    #[error(
        "metadata has two signatures with key id {keyid} (TUF 4.2.1: key ids in \"signatures\" are unique)"
    )]
    DuplicateSignature { keyid: KeyId },
    #[error("signed metadata has no canonical JSON form: {0}")]
    Canonical(#[from] CanonicalJsonError),
    #[error("{role} metadata: {source}")]
    Fields {
        role: RoleType,
        #[source]
        source: serde_json::Error,
    },
    #[error("expected _type {expected:?}, found {found:?}")]
    WrongType { expected: RoleType, found: String },
    #[error("{role} metadata: spec_version {found:?} is not 1.x or 1.x.y")]
    SpecVersion { role: RoleType, found: String },
    #[error("{role} metadata: version must be at least 1, found 0")]
    ZeroVersion { role: RoleType },
    #[error("role {role:?}: threshold must be at least 1, found 0")]
    ZeroThreshold { role: String },
    #[error("role {role:?} lists key id {keyid} twice")]
    DuplicateKeyId { role: String, keyid: KeyId },
    #[error("root metadata: role {role:?} is missing")]
    MissingRole { role: RoleType },
    #[error("{role} metadata: {algorithm} hash {found:?} is not hex")]
    HashEncoding {
        role: RoleType,
        algorithm: String,
        found: String,
    },
    #[error("{role} metadata: \"hashes\" is empty")]
    EmptyHashes { role: RoleType },
    #[error("timestamp metadata: meta must list exactly \"snapshot.json\", found {found:?}")]
    TimestampMeta { found: Vec<String> },
    #[error("delegated role {role:?}: only one of \"paths\" and \"path_hash_prefixes\" may be set")]
    PathsAndPrefixes { role: String },
    #[error("delegated role name {found:?} is empty or a top-level role name")]
    ReservedRoleName { found: String },
    #[error("delegated role {role:?} is delegated twice by the same targets metadata")]
    DuplicateDelegatedRole { role: String },
    #[error("delegations: only one of \"roles\" and \"succinct_roles\" may be set")]
    RolesAndSuccinctRoles,
    #[error("succinct_roles: bit_length must be 1 to 32, found {found}")]
    BitLength { found: u64 },
    #[error("path_hash_prefix {found:?} of role {role:?} is not hex")]
    HashPrefix { role: String, found: String },
}

/// What the four role types share: a `signed` value that reads into a typed view.
pub trait Role: Serialize + DeserializeOwned {
    /// The role whose `_type` this metadata carries.
    const TYPE: RoleType;

    /// The metadata version.
    fn version(&self) -> u64;

    /// When the metadata expires.
    fn expires(&self) -> &Expires;

    /// Role-specific checks beyond the shared ones (`_type`, `spec_version`, `version`).
    fn validate(&self) -> Result<(), MetadataError>;
}

/// Checks the members every role has (TUF 4.3 to 4.6).
pub(crate) fn validate_common(
    role: RoleType,
    found_type: &str,
    spec_version: &str,
    version: u64,
) -> Result<(), MetadataError> {
    if found_type != role.as_str() {
        return Err(MetadataError::WrongType {
            expected: role,
            found: found_type.to_owned(),
        });
    }
    let parts: Vec<&str> = spec_version.split('.').collect();
    let well_formed = matches!(parts.len(), 2 | 3)
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed || parts[0] != "1" {
        return Err(MetadataError::SpecVersion {
            role,
            found: spec_version.to_owned(),
        });
    }
    if version == 0 {
        return Err(MetadataError::ZeroVersion { role });
    }
    Ok(())
}

/// Checks a role's key ids and threshold.
pub(crate) fn validate_role_keys(
    role: &str,
    keyids: &[KeyId],
    threshold: u64,
) -> Result<(), MetadataError> {
    if threshold == 0 {
        return Err(MetadataError::ZeroThreshold {
            role: role.to_owned(),
        });
    }
    let mut seen = std::collections::BTreeSet::new();
    for keyid in keyids {
        if !seen.insert(keyid) {
            return Err(MetadataError::DuplicateKeyId {
                role: role.to_owned(),
                keyid: keyid.clone(),
            });
        }
    }
    Ok(())
}
