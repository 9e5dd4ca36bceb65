//! The audit's entry in the chain-of-custody log, and the keys the `log` commands trust.

use std::collections::BTreeMap;
use std::path::Path;

use sigil_custody::predicate::{DependencyAudit, FileDigest, Outcome, Tool};
use sigil_custody::store::{Appended, StoreError};
use sigil_custody::{Clock, EntryDraft, Log, LogOptions, Predicate, Sha256Digest, Subject};
use sigil_keys::minisign::MinisignPublicKey;
use sigil_keys::{PublicKey, Signer};

use crate::Summary;

/// Opens the log in `dir` to append to it, creating it if `dir` holds none.
pub fn open_log(dir: &Path) -> Result<Log, StoreError> {
    Log::open_or_create(dir, LogOptions::new())
}

/// Why a custody entry for an audit could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditEntryError {
    #[error("lockfile {path}: digest {digest:?} is not a SHA-256 hex digest")]
    Digest { path: String, digest: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Appends a `dependency-audit` statement for `summary`: its subjects are the lockfiles, its
/// predicate the policy's digest, the outcome and the finding counts. `policy` names the policy
/// file (`None` for the built-in policy).
pub fn record_audit(
    log: &mut Log,
    signer: &dyn Signer,
    summary: &Summary,
    policy: Option<&Path>,
    clock: &dyn Clock,
) -> Result<Appended, AuditEntryError> {
    let mut subjects = Vec::new();
    let mut lockfiles = Vec::new();
    for lockfile in &summary.lockfiles {
        let path = lockfile.path.display().to_string();
        let digest =
            Sha256Digest::from_hex(&lockfile.sha256).map_err(|_| AuditEntryError::Digest {
                path: path.clone(),
                digest: lockfile.sha256.clone(),
            })?;
        subjects.push(Subject::new(path.clone(), digest));
        lockfiles.push(FileDigest {
            path,
            sha256: lockfile.sha256.clone(),
        });
    }
    let (tool_name, tool_version) = summary
        .tool
        .split_once(' ')
        .unwrap_or((summary.tool.as_str(), ""));
    let predicate = Predicate::DependencyAudit(DependencyAudit {
        tool: Tool {
            name: tool_name.to_owned(),
            version: tool_version.to_owned(),
        },
        policy: FileDigest {
            path: policy.map_or_else(|| "(built-in)".to_owned(), |p| p.display().to_string()),
            sha256: summary.policy_sha256.clone().unwrap_or_default(),
        },
        lockfiles,
        outcome: if summary.passed {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        findings: BTreeMap::from([
            ("error".to_owned(), summary.counts.error as u64),
            ("warning".to_owned(), summary.counts.warning as u64),
            ("note".to_owned(), summary.counts.note as u64),
        ]),
        report: None,
    });
    Ok(log.append(&EntryDraft::new(subjects, predicate), signer, clock)?)
}

/// Why a trusted key file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustedKeyError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: not a public key (expected a PEM PUBLIC KEY or a minisign public key): {reason}"
    )]
    Format { path: String, reason: String },
}

/// Reads a public key that signs log entries: a PEM `PUBLIC KEY`, or a minisign public key file
/// (as `sigil-signer keygen` writes for release keys).
pub fn read_trusted_key(path: &Path) -> Result<PublicKey, TrustedKeyError> {
    let text = std::fs::read_to_string(path).map_err(|source| TrustedKeyError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let trimmed = text.trim_start();
    if trimmed.starts_with("-----BEGIN") {
        PublicKey::from_spki_pem(trimmed).map_err(|e| TrustedKeyError::Format {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
    } else {
        MinisignPublicKey::decode(trimmed)
            .map(|key| key.public_key())
            .map_err(|e| TrustedKeyError::Format {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
    }
}
