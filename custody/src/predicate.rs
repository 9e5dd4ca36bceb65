//! The predicates a custody log records: one per step an artifact goes through, from the
//! dependency audit of its build to its installation on a user's machine.
//!
//! Builds use SLSA provenance v1 (`https://slsa.dev/provenance/v1`); every other step has a
//! sigil predicate type under `https://sigil.dev/custody/`. Field names follow the in-toto
//! convention (lowerCamelCase); digests are 64 lowercase hex digits.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sigil_keys::KeyId;

/// Predicate type URIs.
pub mod types {
    pub const SLSA_PROVENANCE: &str = "https://slsa.dev/provenance/v1";
    pub const DEPENDENCY_AUDIT: &str = "https://sigil.dev/custody/dependency-audit/v1";
    pub const ARTIFACT_SIGNATURE: &str = "https://sigil.dev/custody/artifact-signature/v1";
    pub const REPOSITORY_PUBLICATION: &str = "https://sigil.dev/custody/repository-publication/v1";
    pub const UPDATE_DOWNLOADED: &str = "https://sigil.dev/custody/update-downloaded/v1";
    pub const UPDATE_INSTALLED: &str = "https://sigil.dev/custody/update-installed/v1";
    pub const UPDATE_ROLLED_BACK: &str = "https://sigil.dev/custody/update-rolled-back/v1";
    pub const KEY_GENERATED: &str = "https://sigil.dev/custody/key-generated/v1";
    pub const KEY_ROTATED: &str = "https://sigil.dev/custody/key-rotated/v1";
    pub const UPDATE_CONFIRMED: &str = "https://sigil.dev/custody/update-confirmed/v1";
}

/// A tool and its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// A file named by path and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileDigest {
    pub path: String,
    pub sha256: String,
}

/// Pass or fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Pass,
    Fail,
}

/// `dependency-audit/v1`: a dependency audit of a source tree's lockfiles against a policy.
/// Subjects: the lockfiles (or the source archive) audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DependencyAudit {
    pub tool: Tool,
    /// The policy file applied.
    pub policy: FileDigest,
    pub lockfiles: Vec<FileDigest>,
    pub outcome: Outcome,
    /// Count of findings by severity (`error`, `warning`, ...).
    pub findings: BTreeMap<String, u64>,
    /// The full report, if one was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<FileDigest>,
}

/// `artifact-signature/v1`: an artifact was signed. Subject: the artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactSignature {
    /// `minisign` or `sigstore-bundle-v0.3`.
    pub format: String,
    /// The TUF key id of the signing key.
    pub key_id: KeyId,
    /// SHA-256 of the signature file.
    pub signature_sha256: String,
}

/// TUF role versions after a publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleVersions {
    pub root: u64,
    pub targets: u64,
    pub snapshot: u64,
    pub timestamp: u64,
}

/// `repository-publication/v1`: an artifact was published as a TUF target. Subject: the artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryPublication {
    /// Where the repository is served.
    pub repository: String,
    /// The TUF target path.
    pub target_name: String,
    /// The release version, channel and platform from the target's `custom` object.
    pub release: Release,
    pub role_versions: RoleVersions,
}

/// What a release is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    pub version: String,
    pub channel: String,
    pub platform: String,
}

/// `update-downloaded/v1`: an app downloaded and verified an update. Subject: the artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateDownloaded {
    pub url: String,
    pub length: u64,
    pub release: Release,
    /// The TUF role versions the client trusted when it verified the download.
    pub trusted_role_versions: RoleVersions,
    /// The key id of the release key whose signature verified.
    pub signature_key_id: KeyId,
}

/// `update-installed/v1`: an update was installed. Subject: the installed artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateInstalled {
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_version: Option<String>,
    /// Where the app was installed.
    pub install_path: String,
}

/// `update-rolled-back/v1`: an installed update was rolled back. Subject: the artifact removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRolledBack {
    pub from_version: String,
    pub to_version: String,
    /// Why: for example `health-check-deadline`.
    pub reason: String,
}

/// `update-confirmed/v1`: an installed update reported that it started properly, within its
/// health deadline. Subject: the installed artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateConfirmed {
    pub version: String,
}

/// `key-generated/v1`: a signing key was made. Subject: the public key (SHA-256 of its DER
/// SubjectPublicKeyInfo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyGenerated {
    pub key_id: KeyId,
    /// TUF scheme name, for example `ed25519`.
    pub scheme: String,
    /// What the key is for: a TUF role, `release`, `custody`, ...
    pub purpose: String,
}

/// `key-rotated/v1`: a key replaced another. Subject: the new public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRotated {
    pub old_key_id: KeyId,
    pub new_key_id: KeyId,
    pub purpose: String,
    pub reason: String,
}

/// SLSA provenance v1 (<https://slsa.dev/provenance/v1>). Subject: the build outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlsaProvenance {
    pub build_definition: BuildDefinition,
    pub run_details: RunDetails,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildDefinition {
    pub build_type: String,
    pub external_parameters: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_parameters: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolved_dependencies: Vec<ResourceDescriptor>,
}

/// An in-toto ResourceDescriptor, reduced to the fields sigil fills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDescriptor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub digest: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunDetails {
    pub builder: Builder,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BuildMetadata>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Builder {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_on: Option<String>,
}

/// Every predicate sigil writes, typed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Predicate {
    SlsaProvenance(SlsaProvenance),
    DependencyAudit(DependencyAudit),
    ArtifactSignature(ArtifactSignature),
    RepositoryPublication(RepositoryPublication),
    UpdateDownloaded(UpdateDownloaded),
    UpdateInstalled(UpdateInstalled),
    UpdateRolledBack(UpdateRolledBack),
    UpdateConfirmed(UpdateConfirmed),
    KeyGenerated(KeyGenerated),
    KeyRotated(KeyRotated),
}

/// Why a predicate could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PredicateError {
    #[error("unknown predicate type {0:?}")]
    UnknownType(String),
    #[error("predicate of type {predicate_type} does not match its schema: {source}")]
    Schema {
        predicate_type: String,
        #[source]
        source: serde_json::Error,
    },
}

fn parse<T: DeserializeOwned>(predicate_type: &str, value: &Value) -> Result<T, PredicateError> {
    T::deserialize(value).map_err(|source| PredicateError::Schema {
        predicate_type: predicate_type.to_owned(),
        source,
    })
}

impl Predicate {
    /// The predicate type URI.
    #[must_use]
    pub fn predicate_type(&self) -> &'static str {
        match self {
            Self::SlsaProvenance(_) => types::SLSA_PROVENANCE,
            Self::DependencyAudit(_) => types::DEPENDENCY_AUDIT,
            Self::ArtifactSignature(_) => types::ARTIFACT_SIGNATURE,
            Self::RepositoryPublication(_) => types::REPOSITORY_PUBLICATION,
            Self::UpdateDownloaded(_) => types::UPDATE_DOWNLOADED,
            Self::UpdateInstalled(_) => types::UPDATE_INSTALLED,
            Self::UpdateRolledBack(_) => types::UPDATE_ROLLED_BACK,
            Self::UpdateConfirmed(_) => types::UPDATE_CONFIRMED,
            Self::KeyGenerated(_) => types::KEY_GENERATED,
            Self::KeyRotated(_) => types::KEY_ROTATED,
        }
    }

    /// The predicate as JSON.
    pub fn to_value(&self) -> Result<Value, PredicateError> {
        let result = match self {
            Self::SlsaProvenance(p) => serde_json::to_value(p),
            Self::DependencyAudit(p) => serde_json::to_value(p),
            Self::ArtifactSignature(p) => serde_json::to_value(p),
            Self::RepositoryPublication(p) => serde_json::to_value(p),
            Self::UpdateDownloaded(p) => serde_json::to_value(p),
            Self::UpdateInstalled(p) => serde_json::to_value(p),
            Self::UpdateRolledBack(p) => serde_json::to_value(p),
            Self::UpdateConfirmed(p) => serde_json::to_value(p),
            Self::KeyGenerated(p) => serde_json::to_value(p),
            Self::KeyRotated(p) => serde_json::to_value(p),
        };
        result.map_err(|source| PredicateError::Schema {
            predicate_type: self.predicate_type().to_owned(),
            source,
        })
    }

    /// Reads a predicate of a known type. Extension fields are ignored, as in-toto requires.
    pub fn from_value(predicate_type: &str, value: &Value) -> Result<Self, PredicateError> {
        let t = predicate_type;
        Ok(match t {
            types::SLSA_PROVENANCE => Self::SlsaProvenance(parse(t, value)?),
            types::DEPENDENCY_AUDIT => Self::DependencyAudit(parse(t, value)?),
            types::ARTIFACT_SIGNATURE => Self::ArtifactSignature(parse(t, value)?),
            types::REPOSITORY_PUBLICATION => Self::RepositoryPublication(parse(t, value)?),
            types::UPDATE_DOWNLOADED => Self::UpdateDownloaded(parse(t, value)?),
            types::UPDATE_INSTALLED => Self::UpdateInstalled(parse(t, value)?),
            types::UPDATE_ROLLED_BACK => Self::UpdateRolledBack(parse(t, value)?),
            types::UPDATE_CONFIRMED => Self::UpdateConfirmed(parse(t, value)?),
            types::KEY_GENERATED => Self::KeyGenerated(parse(t, value)?),
            types::KEY_ROTATED => Self::KeyRotated(parse(t, value)?),
            other => return Err(PredicateError::UnknownType(other.to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_round_trip_through_json() {
        let predicate = Predicate::RepositoryPublication(RepositoryPublication {
            repository: "https://updates.example.com/".into(),
            target_name: "app-2.1.0-linux-x86_64.tar.gz".into(),
            release: Release {
                version: "2.1.0".into(),
                channel: "stable".into(),
                platform: "linux-x86_64".into(),
            },
            role_versions: RoleVersions {
                root: 2,
                targets: 17,
                snapshot: 17,
                timestamp: 340,
            },
        });
        let value = predicate.to_value().unwrap();
        assert_eq!(value["roleVersions"]["timestamp"], 340);
        assert_eq!(
            Predicate::from_value(types::REPOSITORY_PUBLICATION, &value).unwrap(),
            predicate
        );
    }

    #[test]
    fn predicate_under_the_wrong_type_is_refused() {
        let value = Predicate::KeyGenerated(KeyGenerated {
            key_id: KeyId::new("ab".into()),
            scheme: "ed25519".into(),
            purpose: "release".into(),
        })
        .to_value()
        .unwrap();
        assert!(matches!(
            Predicate::from_value(types::KEY_ROTATED, &value),
            Err(PredicateError::Schema { .. })
        ));
        assert!(matches!(
            Predicate::from_value("https://example.com/other/v1", &value),
            Err(PredicateError::UnknownType(_))
        ));
    }
}
