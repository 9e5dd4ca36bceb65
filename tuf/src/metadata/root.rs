//! Root metadata (TUF 4.3): the keys and thresholds of the top-level roles.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sigil_keys::{KeyId, TufKey};

use super::{MetadataError, Role, RoleType, validate_common, validate_role_keys};
use crate::time::Expires;

/// The key ids and threshold of one role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleKeys {
    pub keyids: Vec<KeyId>,
    pub threshold: u64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `signed` part of root metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Root {
    #[serde(rename = "_type")]
    pub role_type: String,
    pub spec_version: String,
    pub consistent_snapshot: bool,
    pub version: u64,
    pub expires: Expires,
    pub keys: BTreeMap<KeyId, TufKey>,
    pub roles: BTreeMap<String, RoleKeys>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Root {
    /// The keys and threshold of a top-level role. Every root has all four (checked when parsed).
    #[must_use]
    pub fn role(&self, role: RoleType) -> Option<&RoleKeys> {
        self.roles.get(role.as_str())
    }
}

impl Role for Root {
    const TYPE: RoleType = RoleType::Root;

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
        for role in [
            RoleType::Root,
            RoleType::Timestamp,
            RoleType::Snapshot,
            RoleType::Targets,
        ] {
            if !self.roles.contains_key(role.as_str()) {
                return Err(MetadataError::MissingRole { role });
            }
        }
        for (name, keys) in &self.roles {
            validate_role_keys(name, &keys.keyids, keys.threshold)?;
        }
        Ok(())
    }
}
