//! Log entries: an in-toto statement in a DSSE envelope, serialized as one line of compact JSON.
//! The bytes of that line (without its newline) are the entry, and its Merkle leaf.

use serde_json::Value;
use sigil_keys::{KeyId, Signer};

use crate::clock::Timestamp;
use crate::dsse::{DsseError, Envelope, IN_TOTO_PAYLOAD_TYPE, KeyRing};
use crate::merkle::{Hash, leaf_hash};
use crate::predicate::{Predicate, PredicateError};
use crate::statement::{
    Actor, CustodyContext, STATEMENT_TYPE, Sha256Digest, Statement, StatementError, Subject,
    TreeHead,
};

/// What a caller wants recorded; the log adds who, when, and where in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryDraft {
    subjects: Vec<Subject>,
    predicate: Predicate,
    identity: Option<String>,
}

impl EntryDraft {
    /// An entry about `subjects` (at least one) recording `predicate`.
    #[must_use]
    pub fn new(subjects: Vec<Subject>, predicate: Predicate) -> Self {
        Self {
            subjects,
            predicate,
            identity: None,
        }
    }

    /// Who holds the signing key: an e-mail, a CI job, a host name.
    #[must_use]
    pub fn identity(mut self, identity: impl Into<String>) -> Self {
        self.identity = Some(identity.into());
        self
    }
}

/// Why an entry could not be made or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    #[error("entry is not a DSSE envelope in JSON: {0}")]
    Envelope(#[source] serde_json::Error),
    #[error("entry envelope: {0}")]
    Dsse(#[source] DsseError),
    #[error("entry statement: {0}")]
    Statement(#[source] StatementError),
    #[error("entry predicate: {0}")]
    Predicate(#[source] PredicateError),
    #[error("entry is {size} bytes, more than the {limit} bytes an entry may be")]
    TooLarge { size: usize, limit: usize },
    #[error("an entry needs at least one subject")]
    NoSubject,
    #[error("serializing the entry failed: {0}")]
    Serialize(#[source] serde_json::Error),
}

/// Builds, signs and serializes an entry appended after `after`.
pub(crate) fn seal(
    draft: &EntryDraft,
    signer: &dyn Signer,
    time: Timestamp,
    after: TreeHead,
    limit: usize,
) -> Result<Vec<u8>, EntryError> {
    if draft.subjects.is_empty() {
        return Err(EntryError::NoSubject);
    }
    let statement = Statement {
        statement_type: STATEMENT_TYPE.to_owned(),
        subject: draft.subjects.clone(),
        predicate_type: draft.predicate.predicate_type().to_owned(),
        predicate: draft.predicate.to_value().map_err(EntryError::Predicate)?,
        custody: CustodyContext {
            actor: Actor {
                keyid: signer.key_id(),
                identity: draft.identity.clone(),
            },
            time,
            appended_after: after,
        },
    };
    statement.check().map_err(EntryError::Statement)?;
    let payload = serde_json::to_vec(&statement).map_err(EntryError::Serialize)?;
    let envelope =
        Envelope::sign(IN_TOTO_PAYLOAD_TYPE, &payload, signer).map_err(EntryError::Dsse)?;
    let bytes = serde_json::to_vec(&envelope).map_err(EntryError::Serialize)?;
    if bytes.len() > limit {
        return Err(EntryError::TooLarge {
            size: bytes.len(),
            limit,
        });
    }
    Ok(bytes)
}

/// An entry read from the log, its envelope and statement parsed (not yet verified).
#[derive(Debug, Clone)]
pub struct Entry {
    pub index: u64,
    pub envelope: Envelope,
    pub statement: Statement,
    pub leaf_hash: Hash,
}

impl Entry {
    /// Parses the bytes of entry `index`. The signature is not checked here: see
    /// [`Entry::verify_signature`].
    pub fn parse(index: u64, bytes: &[u8]) -> Result<Self, EntryError> {
        Self::parse_with_leaf_hash(index, bytes, leaf_hash(bytes))
    }

    /// Parses the bytes of entry `index` whose leaf hash the caller already has (from the
    /// log's tree), sparing a second hash of every entry.
    pub(crate) fn parse_with_leaf_hash(
        index: u64,
        bytes: &[u8],
        leaf_hash: Hash,
    ) -> Result<Self, EntryError> {
        let envelope: Envelope = serde_json::from_slice(bytes).map_err(EntryError::Envelope)?;
        if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
            return Err(EntryError::Dsse(DsseError::PayloadType {
                expected: IN_TOTO_PAYLOAD_TYPE.to_owned(),
                found: envelope.payload_type.clone(),
            }));
        }
        let payload = envelope.payload_bytes().map_err(EntryError::Dsse)?;
        let statement = Statement::from_json(&payload).map_err(EntryError::Statement)?;
        Ok(Self {
            index,
            envelope,
            statement,
            leaf_hash,
        })
    }

    /// Checks the envelope's signatures against `keys`; returns the keys that verified.
    pub fn verify_signature(&self, keys: &KeyRing) -> Result<Vec<KeyId>, DsseError> {
        self.envelope
            .verify(IN_TOTO_PAYLOAD_TYPE, keys)
            .map(|(_, keyids)| keyids)
    }

    /// The typed predicate, for the predicate types sigil knows.
    pub fn predicate(&self) -> Result<Predicate, PredicateError> {
        Predicate::from_value(&self.statement.predicate_type, &self.statement.predicate)
    }

    #[must_use]
    pub fn custody(&self) -> &CustodyContext {
        &self.statement.custody
    }

    /// Whether a subject of this entry has `digest`.
    #[must_use]
    pub fn is_about(&self, digest: &Sha256Digest) -> bool {
        self.statement.is_about(digest)
    }

    /// The raw predicate JSON.
    #[must_use]
    pub fn predicate_json(&self) -> &Value {
        &self.statement.predicate
    }
}

#[cfg(test)]
mod tests {
    use sigil_keys::{PrivateKey, Scheme};

    use super::*;
    use crate::predicate::{KeyGenerated, types};

    fn draft() -> EntryDraft {
        EntryDraft::new(
            vec![Subject::new("release.pub", Sha256Digest::of(b"key"))],
            Predicate::KeyGenerated(KeyGenerated {
                key_id: KeyId::new("k".into()),
                scheme: "ed25519".into(),
                purpose: "release".into(),
            }),
        )
        .identity("release-bot@example.com")
    }

    fn after() -> TreeHead {
        TreeHead {
            size: 0,
            root_hash: Hash::empty_root(),
        }
    }

    #[test]
    fn sealed_entry_parses_and_verifies() {
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let time = Timestamp::from_unix_seconds(1_700_000_000).unwrap();
        let bytes = seal(&draft(), &key, time, after(), 1 << 20).unwrap();
        assert!(!bytes.contains(&b'\n'), "an entry is one line");
        let entry = Entry::parse(0, &bytes).unwrap();
        assert_eq!(entry.statement.predicate_type, types::KEY_GENERATED);
        assert_eq!(entry.custody().actor.keyid, key.key_id());
        assert_eq!(
            entry.custody().actor.identity.as_deref(),
            Some("release-bot@example.com")
        );
        assert_eq!(entry.custody().time, time);
        assert_eq!(entry.custody().appended_after, after());
        assert!(entry.is_about(&Sha256Digest::of(b"key")));
        assert!(matches!(entry.predicate(), Ok(Predicate::KeyGenerated(_))));
        let ring = KeyRing::new().with(key.public_key().clone());
        assert_eq!(entry.verify_signature(&ring).unwrap(), [key.key_id()]);
    }

    #[test]
    fn oversized_entry_is_refused() {
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let time = Timestamp::from_unix_seconds(0).unwrap();
        assert!(matches!(
            seal(&draft(), &key, time, after(), 100),
            Err(EntryError::TooLarge { limit: 100, .. })
        ));
    }

    #[test]
    fn entry_without_subject_is_refused() {
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let time = Timestamp::from_unix_seconds(0).unwrap();
        let mut empty = draft();
        empty.subjects.clear();
        assert!(matches!(
            seal(&empty, &key, time, after(), 1 << 20),
            Err(EntryError::NoSubject)
        ));
    }
}
