//! in-toto Statement v1 (in-toto attestation framework, spec v1), with sigil's custody context.
//!
//! The custody context (who, when, and the tree the entry was appended after) rides in one
//! extension field of the statement, [`CUSTODY_FIELD`]: the in-toto parsing rules allow
//! extension fields on any object and require consumers to ignore those they do not know, so
//! every statement in the log is still a plain in-toto statement to other tools.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sigil_keys::KeyId;

use crate::clock::Timestamp;
use crate::merkle::Hash;

/// The `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// The statement's extension field that holds the [`CustodyContext`].
pub const CUSTODY_FIELD: &str = "dev.sigil.custody";

/// A SHA-256 digest, 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest(pub [u8; 32]);

impl Sha256Digest {
    /// The SHA-256 of `bytes`.
    #[must_use]
    pub fn of(bytes: &[u8]) -> Self {
        let mut out = [0u8; 32];
        out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref());
        Self(out)
    }

    /// Parses 64 lowercase hex digits, the form in-toto digest sets use.
    pub fn from_hex(text: &str) -> Result<Self, StatementError> {
        let bad = || StatementError::Digest {
            found: text.to_owned(),
        };
        if text.len() != 64 || text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(bad());
        }
        let bytes = hex::decode(text).map_err(|_| bad())?;
        let mut out = [0u8; 32];
        out.copy_from_slice(&bytes);
        Ok(Self(out))
    }

    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.to_hex())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({})", self.to_hex())
    }
}

/// A software artifact a statement is about (in-toto ResourceDescriptor, as used in `subject`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    /// Algorithm name to hex digest. sigil always writes `sha256`, and requires it when reading.
    pub digest: BTreeMap<String, String>,
}

impl Subject {
    #[must_use]
    pub fn new(name: impl Into<String>, sha256: Sha256Digest) -> Self {
        Self {
            name: name.into(),
            digest: BTreeMap::from([("sha256".to_owned(), sha256.to_hex())]),
        }
    }

    /// The subject's SHA-256 digest.
    pub fn sha256(&self) -> Result<Sha256Digest, StatementError> {
        let text = self
            .digest
            .get("sha256")
            .ok_or_else(|| StatementError::NoSha256 {
                subject: self.name.clone(),
            })?;
        Sha256Digest::from_hex(text)
    }
}

/// The key that signed an entry, and optionally who holds it (an e-mail, a CI job, a host).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    pub keyid: KeyId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
}

/// A tree size and its root: the state of the log at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeHead {
    pub size: u64,
    #[serde(rename = "rootHash")]
    pub root_hash: Hash,
}

/// Who made an entry, when, and which log state it was appended after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustodyContext {
    pub actor: Actor,
    pub time: Timestamp,
    /// The tree before this entry: its size is the entry's index.
    #[serde(rename = "appendedAfter")]
    pub appended_after: TreeHead,
}

/// An in-toto Statement v1 with sigil's custody context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: Value,
    #[serde(rename = "dev.sigil.custody")]
    pub custody: CustodyContext,
}

/// Why a statement is not one sigil accepts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StatementError {
    #[error("statement is not valid JSON of an in-toto statement with a custody context: {0}")]
    Json(#[source] serde_json::Error),
    #[error("expected statement type {STATEMENT_TYPE:?}, found {found:?}")]
    Type { found: String },
    #[error("the statement has no subject")]
    NoSubject,
    #[error("subject {subject:?} has no sha256 digest")]
    NoSha256 { subject: String },
    #[error("expected a SHA-256 digest of 64 lowercase hex digits, found {found:?}")]
    Digest { found: String },
}

impl Statement {
    /// Parses and checks a statement: its type, at least one subject, a sha256 digest on each.
    pub fn from_json(bytes: &[u8]) -> Result<Self, StatementError> {
        let statement: Self = serde_json::from_slice(bytes).map_err(StatementError::Json)?;
        statement.check()?;
        Ok(statement)
    }

    pub(crate) fn check(&self) -> Result<(), StatementError> {
        if self.statement_type != STATEMENT_TYPE {
            return Err(StatementError::Type {
                found: self.statement_type.clone(),
            });
        }
        if self.subject.is_empty() {
            return Err(StatementError::NoSubject);
        }
        for subject in &self.subject {
            subject.sha256()?;
        }
        Ok(())
    }

    /// Whether any subject has this SHA-256 digest.
    #[must_use]
    pub fn is_about(&self, digest: &Sha256Digest) -> bool {
        self.subject
            .iter()
            .any(|subject| subject.sha256().is_ok_and(|d| d == *digest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_parse_strictly() {
        let d = Sha256Digest::of(b"abc");
        assert_eq!(
            d.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Sha256Digest::from_hex(&d.to_hex()).unwrap(), d);
        assert!(Sha256Digest::from_hex(&d.to_hex().to_uppercase()).is_err());
        assert!(Sha256Digest::from_hex("ba78").is_err());
    }

    #[test]
    fn statement_without_sha256_subject_is_refused() {
        let json = br#"{"_type":"https://in-toto.io/Statement/v1",
            "subject":[{"name":"app.tar.gz","digest":{"sha512":"00"}}],
            "predicateType":"x","predicate":{},
            "dev.sigil.custody":{"actor":{"keyid":"k"},"time":"2026-01-01T00:00:00Z",
              "appendedAfter":{"size":0,"rootHash":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}}"#;
        assert!(matches!(
            Statement::from_json(json),
            Err(StatementError::NoSha256 { .. })
        ));
    }

    #[test]
    fn statement_of_another_version_is_refused() {
        let json = br#"{"_type":"https://in-toto.io/Statement/v0.1",
            "subject":[{"name":"a","digest":{"sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}}],
            "predicateType":"x","predicate":{},
            "dev.sigil.custody":{"actor":{"keyid":"k"},"time":"2026-01-01T00:00:00Z",
              "appendedAfter":{"size":0,"rootHash":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}}"#;
        assert!(matches!(
            Statement::from_json(json),
            Err(StatementError::Type { .. })
        ));
    }
}
