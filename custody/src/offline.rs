//! Offline proofs: one entry, its inclusion proof and a signed checkpoint, in one JSON document
//! that proves the entry is in the log to someone who has neither the log nor a network.

use serde::{Deserialize, Serialize};
use sigil_keys::KeyId;

use crate::checkpoint::{CheckpointError, CheckpointTrust, VerifiedCheckpoint};
use crate::dsse::{DsseError, KeyRing};
use crate::entry::{Entry, EntryError};
use crate::merkle::{Hash, InclusionProof, ProofError, leaf_hash};
use crate::store::{Log, StoreError};

/// The media type of an offline proof.
pub const MEDIA_TYPE: &str = "application/vnd.sigil.custody-proof.v1+json";

/// An entry with the proof that a checkpointed log holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EntryProof {
    pub media_type: String,
    /// The entry's bytes, exactly as in the log (a DSSE envelope in JSON).
    pub entry: String,
    pub index: u64,
    /// Sibling hashes from the leaf up to the checkpoint's root (hex).
    pub inclusion_proof: Vec<Hash>,
    /// The signed checkpoint note the proof leads to.
    pub checkpoint: String,
}

/// Why an offline proof could not be made or did not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OfflineProofError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("checkpoint: {0}")]
    Checkpoint(#[source] CheckpointError),
    #[error("expected media type {MEDIA_TYPE:?}, found {found:?}")]
    MediaType { found: String },
    #[error("the checkpoint covers {size} entries, so it cannot prove entry {index}")]
    NotCovered { index: u64, size: u64 },
    #[error("the checkpoint's root {checkpoint} is not the log's root {log} at size {size}")]
    LogMismatch {
        size: u64,
        checkpoint: Hash,
        log: Hash,
    },
    #[error("the entry is not in the checkpointed tree: {0}")]
    Inclusion(#[source] ProofError),
    #[error("the entry is not UTF-8 text")]
    EntryText,
    #[error("entry: {0}")]
    Entry(#[source] EntryError),
    #[error("entry signature: {0}")]
    Signature(#[source] DsseError),
    #[error("the proof is not valid JSON of an offline proof: {0}")]
    Json(#[source] serde_json::Error),
}

/// What a verified offline proof establishes.
#[derive(Debug, Clone)]
pub struct ProvenEntry {
    pub entry: Entry,
    pub signed_by: Vec<KeyId>,
    pub checkpoint: VerifiedCheckpoint,
}

impl EntryProof {
    /// The proof of entry `index` against `checkpoint_note`, a signed checkpoint of `log` that
    /// covers the entry (checked against `trust`, and against the log's own tree).
    pub fn build(
        log: &Log,
        index: u64,
        checkpoint_note: &str,
        trust: &CheckpointTrust,
    ) -> Result<Self, OfflineProofError> {
        let verified = trust
            .verify(checkpoint_note)
            .map_err(OfflineProofError::Checkpoint)?;
        let checkpoint = &verified.checkpoint;
        if index >= checkpoint.size {
            return Err(OfflineProofError::NotCovered {
                index,
                size: checkpoint.size,
            });
        }
        let log_root = log
            .tree()
            .root_at(checkpoint.size)
            .ok_or(StoreError::NoSuchEntry {
                index: checkpoint.size - 1,
                size: log.size(),
            })?;
        if log_root != checkpoint.root {
            return Err(OfflineProofError::LogMismatch {
                size: checkpoint.size,
                checkpoint: checkpoint.root,
                log: log_root,
            });
        }
        let proof = log.prove_inclusion(index, checkpoint.size)?;
        let entry =
            String::from_utf8(log.entry_bytes(index)?).map_err(|_| OfflineProofError::EntryText)?;
        Ok(Self {
            media_type: MEDIA_TYPE.to_owned(),
            entry,
            index,
            inclusion_proof: proof.path,
            checkpoint: checkpoint_note.to_owned(),
        })
    }

    /// Reads a proof from its JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, OfflineProofError> {
        serde_json::from_slice(bytes).map_err(OfflineProofError::Json)
    }

    /// The proof as pretty-printed JSON.
    pub fn to_json(&self) -> Result<String, OfflineProofError> {
        serde_json::to_string_pretty(self).map_err(OfflineProofError::Json)
    }

    /// Verifies everything the proof claims: the checkpoint's signatures, the entry's inclusion
    /// in the checkpointed tree, and the entry's signature by a trusted key.
    pub fn verify(
        &self,
        keys: &KeyRing,
        trust: &CheckpointTrust,
    ) -> Result<ProvenEntry, OfflineProofError> {
        if self.media_type != MEDIA_TYPE {
            return Err(OfflineProofError::MediaType {
                found: self.media_type.clone(),
            });
        }
        let checkpoint = trust
            .verify(&self.checkpoint)
            .map_err(OfflineProofError::Checkpoint)?;
        let proof = InclusionProof {
            leaf_index: self.index,
            tree_size: checkpoint.checkpoint.size,
            path: self.inclusion_proof.clone(),
        };
        proof
            .verify(
                &leaf_hash(self.entry.as_bytes()),
                &checkpoint.checkpoint.root,
            )
            .map_err(OfflineProofError::Inclusion)?;
        let entry =
            Entry::parse(self.index, self.entry.as_bytes()).map_err(OfflineProofError::Entry)?;
        let signed_by = entry
            .verify_signature(keys)
            .map_err(OfflineProofError::Signature)?;
        Ok(ProvenEntry {
            entry,
            signed_by,
            checkpoint,
        })
    }
}
