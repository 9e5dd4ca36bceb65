//! Verification of a whole log: every entry's signature, the order the entries were appended
//! in, a checkpoint, and consistency with an earlier checkpoint the verifier kept.
//!
//! Each entry records the tree it was appended after (size and root), so the log is checked
//! twice over: the Merkle tree re-derived from the entries must match the checkpoints, and each
//! entry's record of its predecessors must match the entries before it. A changed, removed,
//! reordered or inserted entry is reported with its index; a cut tail, a forged checkpoint and a
//! fork are reported against the checkpoints.
//!
//! What it cannot see: entries appended after the last checkpoint the verifier trusts can be
//! cut off without trace, and a holder of a trusted key can rewrite the tail beyond that
//! checkpoint. Publishing checkpoints, and having witnesses cosign them, bounds both.

mod finding;

use std::collections::{BTreeMap, BTreeSet};

pub use finding::{Finding, FindingKind};

use crate::checkpoint::{Checkpoint, CheckpointTrust, VerifiedCheckpoint};
use crate::dsse::{DsseError, KeyRing};
use crate::entry::Entry;
use crate::merkle::{Hash, Tree};
use crate::predicate::PredicateError;
use crate::store::{Log, StoreError};

/// The outcome of verifying a log.
#[derive(Debug)]
pub struct Report {
    /// The number of complete entries read.
    pub size: u64,
    /// The root of the tree over them.
    pub root: Hash,
    /// The checkpoint that was checked, if its signatures verified.
    pub checkpoint: Option<VerifiedCheckpoint>,
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether nothing was found.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Verifies logs against trusted entry keys and checkpoint keys.
#[derive(Debug)]
pub struct Verifier<'a> {
    keys: &'a KeyRing,
    trust: &'a CheckpointTrust,
    checkpoint: Option<&'a str>,
    previous: Option<&'a Checkpoint>,
}

/// What the entry scan learned about one entry whose signature verified.
struct Claim {
    position: u64,
    recorded_index: u64,
    recorded_root: Hash,
}

impl<'a> Verifier<'a> {
    /// A verifier trusting entries signed by `keys` and checkpoints signed as `trust` says.
    #[must_use]
    pub fn new(keys: &'a KeyRing, trust: &'a CheckpointTrust) -> Self {
        Self {
            keys,
            trust,
            checkpoint: None,
            previous: None,
        }
    }

    /// The signed checkpoint note to check the log against. Without one, the log's own
    /// `checkpoint` file is used, if it has one.
    #[must_use]
    pub fn checkpoint(mut self, note: &'a str) -> Self {
        self.checkpoint = Some(note);
        self
    }

    /// An earlier checkpoint the verifier kept: the log must still extend it.
    #[must_use]
    pub fn previous(mut self, checkpoint: &'a Checkpoint) -> Self {
        self.previous = Some(checkpoint);
        self
    }

    /// Verifies `log`. Findings are problems with the log; an error means it could not be read.
    pub fn verify(&self, log: &Log) -> Result<Report, StoreError> {
        let mut findings = Vec::new();
        let tree = log.tree();
        let mut claims = Vec::new();
        for item in log.entries_bytes() {
            let (index, bytes) = item?;
            if let Some(claim) = self.check_entry(index, &bytes, &mut findings) {
                claims.push(claim);
            }
        }
        check_order(&claims, tree, &mut findings);
        if let Some(torn) = log.torn_tail() {
            findings.push(Finding {
                index: Some(log.size()),
                kind: FindingKind::TornTail {
                    offset: torn.offset,
                    len: torn.len,
                },
            });
        }
        let stored;
        let note = match self.checkpoint {
            Some(note) => Some(note),
            None => {
                stored = log.read_checkpoint()?;
                stored.as_deref()
            }
        };
        let checkpoint = note.and_then(|note| match self.trust.verify(note) {
            Ok(verified) => Some(verified),
            Err(reason) => {
                findings.push(Finding {
                    index: None,
                    kind: FindingKind::CheckpointInvalid { reason },
                });
                None
            }
        });
        if let Some(verified) = &checkpoint {
            check_against_log(&verified.checkpoint, tree, &mut findings);
        }
        let expected_origin = checkpoint
            .as_ref()
            .map(|v| v.checkpoint.origin.clone())
            .or_else(|| self.trust.origin().map(str::to_owned));
        let origin_differs = |p: &&Checkpoint| match &expected_origin {
            Some(origin) => &p.origin != origin,
            None => !self.trust.accepts_origin(&p.origin),
        };
        if let Some(previous) = self.previous.filter(origin_differs) {
            findings.push(Finding {
                index: None,
                kind: FindingKind::CheckpointInvalid {
                    reason: crate::checkpoint::CheckpointError::Origin {
                        expected: expected_origin.unwrap_or_default(),
                        found: previous.origin.clone(),
                    },
                },
            });
        } else if let Some(previous) = self.previous {
            check_previous(
                previous,
                checkpoint.as_ref().map(|v| &v.checkpoint),
                tree,
                &mut findings,
            );
        }
        findings.sort_by_key(|f| f.index.unwrap_or(u64::MAX));
        Ok(Report {
            size: log.size(),
            root: tree.root(),
            checkpoint,
            findings,
        })
    }

    /// Checks one entry on its own; returns what it claims about its place if it is authentic.
    fn check_entry(&self, index: u64, bytes: &[u8], findings: &mut Vec<Finding>) -> Option<Claim> {
        let mut report = |kind| {
            findings.push(Finding {
                index: Some(index),
                kind,
            });
        };
        let entry = match Entry::parse(index, bytes) {
            Ok(entry) => entry,
            Err(reason) => {
                report(FindingKind::UnreadableEntry { reason });
                return None;
            }
        };
        let signed_by = match entry.verify_signature(self.keys) {
            Ok(keyids) => keyids,
            Err(DsseError::UntrustedSigners { keyids }) => {
                report(FindingKind::UntrustedSigner { keyids });
                return None;
            }
            Err(reason) => {
                report(FindingKind::BadSignature { reason });
                return None;
            }
        };
        let custody = entry.custody();
        if !signed_by.contains(&custody.actor.keyid) {
            report(FindingKind::ActorMismatch {
                claimed: custody.actor.keyid.clone(),
                signed_by,
            });
        }
        match entry.predicate() {
            Ok(_) | Err(PredicateError::UnknownType(_)) => {}
            Err(reason) => report(FindingKind::MalformedPredicate { reason }),
        }
        Some(Claim {
            position: index,
            recorded_index: custody.appended_after.size,
            recorded_root: custody.appended_after.root_hash,
        })
    }
}

/// Compares where authentic entries say they were appended with where they are.
fn check_order(claims: &[Claim], tree: &Tree, findings: &mut Vec<Finding>) {
    // Positions of the entries that did not verify: an entry changed in place still holds its
    // slot, so a recorded index it would have held is not counted as removed.
    let mut unverified = Vec::new();
    let mut next_position = 0;
    for claim in claims {
        unverified.extend(next_position..claim.position);
        next_position = claim.position + 1;
    }
    unverified.extend(next_position..tree.size());

    let recorded: BTreeSet<u64> = claims.iter().map(|c| c.recorded_index).collect();
    let mut first_at: BTreeMap<u64, u64> = BTreeMap::new();
    let mut highest: Option<&Claim> = None;
    let mut structural = false;
    let mut last_confirmed = 0u64;
    for claim in claims {
        let position = claim.position;
        if let Some(&first) = first_at.get(&claim.recorded_index) {
            findings.push(Finding {
                index: Some(position),
                kind: FindingKind::EntryIndexReused {
                    recorded_index: claim.recorded_index,
                    first_at: first,
                },
            });
            structural = true;
            continue;
        }
        first_at.insert(claim.recorded_index, position);
        match highest {
            Some(previous) if claim.recorded_index < previous.recorded_index => {
                findings.push(Finding {
                    index: Some(position),
                    kind: FindingKind::EntryOutOfOrder {
                        recorded_index: claim.recorded_index,
                        follows_index: previous.position,
                        follows_recorded_index: previous.recorded_index,
                    },
                });
                structural = true;
                continue;
            }
            _ => {}
        }
        let (gap_start, previous_position) = match highest {
            Some(previous) => (previous.recorded_index + 1, previous.position),
            None => (0, 0),
        };
        if claim.recorded_index > gap_start {
            // Indices between the previous authentic entry's and this one's that no authentic
            // entry anywhere records. Unverified entries between the two may be the missing
            // ones, changed in place, and are not counted as removed.
            let present = recorded.range(gap_start..claim.recorded_index).count() as u64;
            let missing = claim.recorded_index - gap_start - present;
            let low = if highest.is_some() {
                previous_position + 1
            } else {
                0
            };
            let held = unverified
                .iter()
                .filter(|&&p| p >= low && p < position)
                .count() as u64;
            if missing > held {
                findings.push(Finding {
                    index: Some(position),
                    kind: FindingKind::EntriesRemoved {
                        first_missing: gap_start,
                        count: missing - held,
                    },
                });
                structural = true;
            }
        }
        highest = Some(claim);
        if claim.recorded_index != position || structural {
            continue;
        }
        // In place: its record of the log before it must be the log's own prefix.
        match tree.root_at(position) {
            Some(root) if root == claim.recorded_root => last_confirmed = position,
            Some(root) => {
                findings.push(Finding {
                    index: Some(position.saturating_sub(1)),
                    kind: FindingKind::HistoryChanged {
                        first_suspect: last_confirmed,
                        last_suspect: position.saturating_sub(1),
                        recorded_root: claim.recorded_root,
                        log_root: root,
                    },
                });
                // Every later entry records the original history too; one finding says it.
                structural = true;
            }
            None => {}
        }
    }
}

/// Checks a trusted checkpoint against the tree re-derived from the entries.
fn check_against_log(checkpoint: &Checkpoint, tree: &Tree, findings: &mut Vec<Finding>) {
    match tree.root_at(checkpoint.size) {
        None => findings.push(Finding {
            index: Some(tree.size()),
            kind: FindingKind::CheckpointBeyondLog {
                checkpoint_size: checkpoint.size,
                log_size: tree.size(),
            },
        }),
        Some(root) if root != checkpoint.root => findings.push(Finding {
            index: checkpoint.size.checked_sub(1),
            kind: FindingKind::CheckpointMismatch {
                size: checkpoint.size,
                checkpoint_root: checkpoint.root,
                log_root: root,
            },
        }),
        Some(_) => {}
    }
}

/// Checks that the log, and the new checkpoint, extend the earlier checkpoint.
fn check_previous(
    previous: &Checkpoint,
    current: Option<&Checkpoint>,
    tree: &Tree,
    findings: &mut Vec<Finding>,
) {
    if let Some(current) = current {
        if current.size < previous.size {
            findings.push(Finding {
                index: None,
                kind: FindingKind::CheckpointRollback {
                    old_size: previous.size,
                    new_size: current.size,
                },
            });
        } else if current.size <= tree.size() {
            // The proof a verifier without the entries would be handed, made from the entries.
            let proof = tree.consistency_proof(previous.size, current.size);
            if let Ok(proof) = proof {
                if let Err(reason) = proof.verify(&previous.root, &current.root) {
                    findings.push(Finding {
                        index: None,
                        kind: FindingKind::Fork {
                            old_size: previous.size,
                            old_root: previous.root,
                            new_size: current.size,
                            new_root: current.root,
                            reason,
                        },
                    });
                    return;
                }
            }
        }
    }
    match tree.root_at(previous.size) {
        None => findings.push(Finding {
            index: Some(tree.size()),
            kind: FindingKind::CheckpointBeyondLog {
                checkpoint_size: previous.size,
                log_size: tree.size(),
            },
        }),
        Some(root) if root != previous.root => findings.push(Finding {
            index: None,
            kind: FindingKind::Fork {
                old_size: previous.size,
                old_root: previous.root,
                new_size: tree.size(),
                new_root: tree.root(),
                reason: crate::merkle::ProofError::RootMismatch {
                    expected: previous.root,
                    computed: root,
                },
            },
        }),
        Some(_) => {}
    }
}
