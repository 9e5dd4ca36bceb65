//! What verification found: each finding has a stable kebab-case code, the index of the entry
//! it is about (when it is about one), and a reason carrying what was expected and found.

use std::fmt;

use sigil_keys::KeyId;

use crate::checkpoint::CheckpointError;
use crate::dsse::DsseError;
use crate::entry::EntryError;
use crate::merkle::{Hash, ProofError};
use crate::predicate::PredicateError;

/// One problem with a log.
#[derive(Debug)]
pub struct Finding {
    /// The entry the finding is about, if it is about one entry.
    pub index: Option<u64>,
    pub kind: FindingKind,
}

/// The kinds of problem. See each variant's code in [`FindingKind::code`].
#[derive(Debug)]
#[non_exhaustive]
pub enum FindingKind {
    /// The end of `entries.jsonl` is not a complete entry: a crash during an append, or a cut.
    TornTail { offset: u64, len: u64 },
    /// The entry is not a DSSE envelope holding an in-toto statement.
    UnreadableEntry { reason: EntryError },
    /// A trusted key's signature does not match the entry: the entry was changed.
    BadSignature { reason: DsseError },
    /// No key that signed the entry is trusted.
    UntrustedSigner { keyids: Vec<KeyId> },
    /// The statement names another key as its actor than the one that signed it.
    ActorMismatch {
        claimed: KeyId,
        signed_by: Vec<KeyId>,
    },
    /// A predicate of a known type does not match its schema.
    MalformedPredicate { reason: PredicateError },
    /// Entries that later entries were appended after are gone.
    EntriesRemoved {
        /// The index the first missing entry had.
        first_missing: u64,
        count: u64,
    },
    /// The entry was appended at another index, before entries that now precede it.
    EntryOutOfOrder {
        recorded_index: u64,
        /// The entry it comes after, and the index that one was appended at.
        follows_index: u64,
        follows_recorded_index: u64,
    },
    /// Another entry already claims the index this entry was appended at.
    EntryIndexReused { recorded_index: u64, first_at: u64 },
    /// The entry records a log before it that differs from the log's entries: one of the
    /// entries `first_suspect..=last_suspect` was changed (re-signed by a trusted key, since its
    /// signature still verifies, or found so by a finding of its own).
    HistoryChanged {
        first_suspect: u64,
        last_suspect: u64,
        recorded_root: Hash,
        log_root: Hash,
    },
    /// The checkpoint is not signed by a trusted key, is malformed, or is of another log.
    CheckpointInvalid { reason: CheckpointError },
    /// The checkpoint covers more entries than the log has: the tail was cut off.
    CheckpointBeyondLog { checkpoint_size: u64, log_size: u64 },
    /// The log's root at the checkpoint's size is not the checkpoint's root.
    CheckpointMismatch {
        size: u64,
        checkpoint_root: Hash,
        log_root: Hash,
    },
    /// The earlier checkpoint the verifier kept is not a prefix of this log or of the new
    /// checkpoint: the log was forked or rewritten.
    Fork {
        old_size: u64,
        old_root: Hash,
        new_size: u64,
        new_root: Hash,
        reason: ProofError,
    },
    /// The new checkpoint is smaller than the earlier one the verifier kept: the log was rolled
    /// back.
    CheckpointRollback { old_size: u64, new_size: u64 },
}

impl FindingKind {
    /// The stable code of this kind of finding.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::TornTail { .. } => "torn-tail",
            Self::UnreadableEntry { .. } => "unreadable-entry",
            Self::BadSignature { .. } => "bad-signature",
            Self::UntrustedSigner { .. } => "untrusted-signer",
            Self::ActorMismatch { .. } => "actor-mismatch",
            Self::MalformedPredicate { .. } => "malformed-predicate",
            Self::EntriesRemoved { .. } => "entries-removed",
            Self::EntryOutOfOrder { .. } => "entry-out-of-order",
            Self::EntryIndexReused { .. } => "entry-index-reused",
            Self::HistoryChanged { .. } => "history-changed",
            Self::CheckpointInvalid { .. } => "checkpoint-invalid",
            Self::CheckpointBeyondLog { .. } => "checkpoint-beyond-log",
            Self::CheckpointMismatch { .. } => "checkpoint-mismatch",
            Self::Fork { .. } => "fork",
            Self::CheckpointRollback { .. } => "checkpoint-rollback",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TornTail { offset, len } => write!(
                f,
                "{len} bytes at offset {offset} are not a complete entry (a crash mid-append, or a cut)"
            ),
            Self::UnreadableEntry { reason } => write!(f, "{reason}"),
            Self::BadSignature { reason } => {
                write!(f, "{reason}: the entry was changed after it was signed")
            }
            Self::UntrustedSigner { keyids } => {
                let names: Vec<&str> = keyids.iter().map(KeyId::as_str).collect();
                write!(
                    f,
                    "signed only by untrusted keys ({}): the entry was forged or inserted",
                    names.join(", ")
                )
            }
            Self::ActorMismatch { claimed, signed_by } => {
                let names: Vec<&str> = signed_by.iter().map(KeyId::as_str).collect();
                write!(
                    f,
                    "the statement names key {claimed} as its actor, but it was signed by {}",
                    names.join(", ")
                )
            }
            Self::MalformedPredicate { reason } => write!(f, "{reason}"),
            Self::EntriesRemoved {
                first_missing,
                count,
            } => write!(
                f,
                "{count} entries appended at index {first_missing} onwards are missing before this one: they were removed"
            ),
            Self::EntryOutOfOrder {
                recorded_index,
                follows_index,
                follows_recorded_index,
            } => write!(
                f,
                "the entry was appended at index {recorded_index} but comes after entry {follows_index}, which was appended at index {follows_recorded_index}: entries were reordered"
            ),
            Self::EntryIndexReused {
                recorded_index,
                first_at,
            } => write!(
                f,
                "the entry claims index {recorded_index}, which the entry at index {first_at} already holds: an entry was inserted"
            ),
            Self::HistoryChanged {
                first_suspect,
                last_suspect,
                recorded_root,
                log_root,
            } => {
                if first_suspect == last_suspect {
                    write!(f, "entry {first_suspect} was changed")?;
                } else {
                    write!(
                        f,
                        "one of entries {first_suspect}..={last_suspect} was changed"
                    )?;
                }
                write!(
                    f,
                    ": the next entry was appended after root {recorded_root}, but the log's entries give {log_root}"
                )
            }
            Self::CheckpointInvalid { reason } => write!(f, "{reason}"),
            Self::CheckpointBeyondLog {
                checkpoint_size,
                log_size,
            } => write!(
                f,
                "the checkpoint covers {checkpoint_size} entries, but the log has {log_size}: entries from index {log_size} on were cut off"
            ),
            Self::CheckpointMismatch {
                size,
                checkpoint_root,
                log_root,
            } => write!(
                f,
                "the checkpoint gives root {checkpoint_root} at size {size}, but the log's entries give {log_root}"
            ),
            Self::Fork {
                old_size,
                old_root,
                new_size,
                new_root,
                reason,
            } => write!(
                f,
                "the earlier checkpoint (size {old_size}, root {old_root}) is not a prefix of the tree of size {new_size} (root {new_root}): {reason}"
            ),
            Self::CheckpointRollback { old_size, new_size } => write!(
                f,
                "the checkpoint has {new_size} entries, fewer than the {old_size} of the earlier checkpoint: the log was rolled back"
            ),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(index) => write!(f, "[{}] entry {index}: {}", self.kind.code(), self.kind),
            None => write!(f, "[{}] {}", self.kind.code(), self.kind),
        }
    }
}
