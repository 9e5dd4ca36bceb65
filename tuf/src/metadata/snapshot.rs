//! Timestamp and snapshot metadata (TUF 4.6 and 4.4): versions, lengths and hashes of other
//! metadata files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{MetadataError, Role, RoleType, validate_common};
use crate::time::Expires;

/// `{algorithm: hex digest}`.
pub type Hashes = BTreeMap<String, String>;

/// What timestamp says of snapshot, and snapshot of each targets metadata file (METAFILES).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaFile {
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<Hashes>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MetaFile {
    fn validate(&self, role: RoleType) -> Result<(), MetadataError> {
        if self.version == 0 {
            return Err(MetadataError::ZeroVersion { role });
        }
        if let Some(hashes) = &self.hashes {
            validate_hashes(role, hashes)?;
        }
        Ok(())
    }
}

/// Hashes must be non-empty and hex.
pub(crate) fn validate_hashes(role: RoleType, hashes: &Hashes) -> Result<(), MetadataError> {
    if hashes.is_empty() {
        return Err(MetadataError::EmptyHashes { role });
    }
    for (algorithm, digest) in hashes {
        if digest.is_empty() || hex::decode(digest).is_err() {
            return Err(MetadataError::HashEncoding {
                role,
                algorithm: algorithm.clone(),
                found: digest.clone(),
            });
        }
    }
    Ok(())
}

/// The `signed` part of timestamp metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timestamp {
    #[serde(rename = "_type")]
    pub role_type: String,
    pub spec_version: String,
    pub version: u64,
    pub expires: Expires,
    pub meta: BTreeMap<String, MetaFile>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Timestamp {
    /// What this timestamp says of `snapshot.json` (present: checked when parsed).
    #[must_use]
    pub fn snapshot_meta(&self) -> Option<&MetaFile> {
        self.meta.get("snapshot.json")
    }
}

impl Role for Timestamp {
    const TYPE: RoleType = RoleType::Timestamp;

    fn version(&self) -> u64 {
        self.version
    }

    fn expires(&self) -> &Expires {
        &self.expires
    }

    fn validate(&self) -> Result<(), MetadataError> {
        validate_common(
            Self::TYPE,
            &self.role_type,
            &self.spec_version,
            self.version,
        )?;
        if self.meta.len() != 1 || !self.meta.contains_key("snapshot.json") {
            return Err(MetadataError::TimestampMeta {
                found: self.meta.keys().cloned().collect(),
            });
        }
        self.meta
            .values()
            .try_for_each(|meta| meta.validate(Self::TYPE))
    }
}

/// The `signed` part of snapshot metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    #[serde(rename = "_type")]
    pub role_type: String,
    pub spec_version: String,
    pub version: u64,
    pub expires: Expires,
    /// Keyed by file name: `targets.json`, `ROLE.json` for each delegated role.
    pub meta: BTreeMap<String, MetaFile>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Snapshot {
    /// What this snapshot says of the targets metadata of `role`.
    #[must_use]
    pub fn role_meta(&self, role: &str) -> Option<&MetaFile> {
        self.meta.get(&format!("{role}.json"))
    }
}

impl Role for Snapshot {
    const TYPE: RoleType = RoleType::Snapshot;

    fn version(&self) -> u64 {
        self.version
    }

    fn expires(&self) -> &Expires {
        &self.expires
    }

    fn validate(&self) -> Result<(), MetadataError> {
        validate_common(
            Self::TYPE,
            &self.role_type,
            &self.spec_version,
            self.version,
        )?;
        self.meta
            .values()
            .try_for_each(|meta| meta.validate(Self::TYPE))
    }
}
