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
    threads: usize,
}

/// What the entry scan learned about one entry whose signature verified.
#[derive(Debug, Clone, Copy)]
struct Claim {
    position: u64,
    recorded_index: u64,
    recorded_root: Hash,
}

/// The outcome of checking one entry on its own.
enum Outcome {
    /// Not authentic: its findings say why.
    Unverified,
    /// Authentic, appended at its position, after the log's own prefix: the common case, kept
    /// as a run of positions rather than one claim each.
    InPlace,
    /// Authentic, and claims another place or another history: checked against the others.
    Claim(Claim),
}

/// The entries checked so far, in position order, in little memory when they are in place.
#[derive(Default)]
struct Checked {
    /// Runs of in-place positions, `start..end`, and the claims between them, in order.
    segments: Vec<Segment>,
    /// Positions of entries that did not verify, ascending.
    unverified: Vec<u64>,
}

enum Segment {
    InPlace { start: u64, end: u64 },
    Claim(Claim),
}

impl Checked {
    fn push(&mut self, position: u64, outcome: Outcome) {
        match outcome {
            Outcome::Unverified => self.unverified.push(position),
            Outcome::InPlace => match self.segments.last_mut() {
                Some(Segment::InPlace { end, .. }) if *end == position => *end += 1,
                _ => self.segments.push(Segment::InPlace {
                    start: position,
                    end: position + 1,
                }),
            },
            Outcome::Claim(claim) => self.segments.push(Segment::Claim(claim)),
        }
    }
}

/// Entries handed to a worker at once.
const BATCH: usize = 256;

impl<'a> Verifier<'a> {
    /// A verifier trusting entries signed by `keys` and checkpoints signed as `trust` says.
    #[must_use]
    pub fn new(keys: &'a KeyRing, trust: &'a CheckpointTrust) -> Self {
        Self {
            keys,
            trust,
            checkpoint: None,
            previous: None,
            threads: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        }
    }

    /// How many threads check signatures [default: one per core].
    #[must_use]
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
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
        let tree = log.tree();
        let (checked, mut findings) = self.check_entries(log)?;
        check_order(&checked, tree, &mut findings);
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

    /// Checks every entry on its own, on `threads` threads: one reads the entries in order and
    /// hands out batches, the workers check signatures, and this thread puts the outcomes back
    /// in order. Only a few batches are in flight, so memory stays flat however long the log.
    fn check_entries(&self, log: &Log) -> Result<(Checked, Vec<Finding>), StoreError> {
        use std::collections::HashMap;
        use std::sync::mpsc::{Receiver, sync_channel};
        use std::sync::{Arc, Mutex};

        type Batch = (u64, Vec<Vec<u8>>);
        type Done = (u64, Vec<(Outcome, Vec<Finding>)>);
        let tree = log.tree();
        let mut checked = Checked::default();
        let mut findings = Vec::new();
        if self.threads == 1 {
            for item in log.entries_bytes() {
                let (index, bytes) = item?;
                let outcome = self.check_entry(index, &bytes, tree, &mut findings);
                checked.push(index, outcome);
            }
            return Ok((checked, findings));
        }
        let in_flight = self.threads * 2;
        std::thread::scope(|scope| {
            let (batches, to_check) = sync_channel::<Batch>(in_flight);
            let (done, results) = sync_channel::<Done>(in_flight);
            let to_check: Arc<Mutex<Receiver<Batch>>> = Arc::new(Mutex::new(to_check));
            for _ in 0..self.threads {
                let to_check = Arc::clone(&to_check);
                let done = done.clone();
                scope.spawn(move || {
                    loop {
                        // A poisoned lock means another worker panicked: stop too.
                        let next = match to_check.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        let Ok((first, entries)) = next else { return };
                        let outcomes = entries
                            .iter()
                            .zip(first..)
                            .map(|(bytes, index)| {
                                let mut found = Vec::new();
                                let outcome = self.check_entry(index, bytes, tree, &mut found);
                                (outcome, found)
                            })
                            .collect();
                        if done.send((first, outcomes)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(done);
            let reader = scope.spawn(move || -> Result<(), StoreError> {
                let mut batch = Vec::with_capacity(BATCH);
                let mut first = 0;
                for item in log.entries_bytes() {
                    let (index, bytes) = item?;
                    if batch.is_empty() {
                        first = index;
                    }
                    batch.push(bytes);
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        if batches.send((first, full)).is_err() {
                            return Ok(());
                        }
                    }
                }
                if !batch.is_empty() {
                    let _ = batches.send((first, batch));
                }
                Ok(())
            });
            // Outcomes arrive in any order; they are taken in position order.
            let mut waiting: HashMap<u64, Vec<(Outcome, Vec<Finding>)>> = HashMap::new();
            let mut next = 0u64;
            for (first, outcomes) in results {
                waiting.insert(first, outcomes);
                while let Some(outcomes) = waiting.remove(&next) {
                    for (outcome, found) in outcomes {
                        checked.push(next, outcome);
                        findings.extend(found);
                        next += 1;
                    }
                }
            }
            match reader.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })?;
        Ok((checked, findings))
    }

    /// Checks one entry on its own; says whether it is authentic, and if so where it claims to
    /// have been appended.
    fn check_entry(
        &self,
        index: u64,
        bytes: &[u8],
        tree: &Tree,
        findings: &mut Vec<Finding>,
    ) -> Outcome {
        let mut report = |kind| {
            findings.push(Finding {
                index: Some(index),
                kind,
            });
        };
        let parsed = match tree.leaf(index) {
            Some(leaf) => Entry::parse_with_leaf_hash(index, bytes, leaf),
            None => Entry::parse(index, bytes),
        };
        let entry = match parsed {
            Ok(entry) => entry,
            Err(reason) => {
                report(FindingKind::UnreadableEntry { reason });
                return Outcome::Unverified;
            }
        };
        let signed_by = match entry.verify_signature(self.keys) {
            Ok(keyids) => keyids,
            Err(DsseError::UntrustedSigners { keyids }) => {
                report(FindingKind::UntrustedSigner { keyids });
                return Outcome::Unverified;
            }
            Err(reason) => {
                report(FindingKind::BadSignature { reason });
                return Outcome::Unverified;
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
        let claim = Claim {
            position: index,
            recorded_index: custody.appended_after.size,
            recorded_root: custody.appended_after.root_hash,
        };
        if claim.recorded_index == index && tree.root_at(index) == Some(claim.recorded_root) {
            Outcome::InPlace
        } else {
            Outcome::Claim(claim)
        }
    }
}

/// The recorded indices of all authentic entries: the runs of in-place ones, and the others.
struct Recorded {
    /// In-place runs, ascending and disjoint, with the number of indices in the runs before.
    runs: Vec<(u64, u64, u64)>,
    /// Recorded indices of the other claims that no run covers.
    others: BTreeSet<u64>,
}

impl Recorded {
    fn new(checked: &Checked) -> Self {
        let mut runs = Vec::new();
        let mut before = 0;
        for segment in &checked.segments {
            if let Segment::InPlace { start, end } = *segment {
                runs.push((start, end, before));
                before += end - start;
            }
        }
        let mut recorded = Self {
            runs,
            others: BTreeSet::new(),
        };
        for segment in &checked.segments {
            if let Segment::Claim(claim) = segment {
                if !recorded.in_runs(claim.recorded_index) {
                    recorded.others.insert(claim.recorded_index);
                }
            }
        }
        recorded
    }

    fn in_runs(&self, index: u64) -> bool {
        let i = self.runs.partition_point(|&(_, end, _)| end <= index);
        self.runs
            .get(i)
            .is_some_and(|&(start, _, _)| start <= index)
    }

    /// How many run indices are below `bound`.
    fn runs_below(&self, bound: u64) -> u64 {
        let i = self.runs.partition_point(|&(_, end, _)| end <= bound);
        let whole = match i.checked_sub(1).and_then(|j| self.runs.get(j)) {
            Some(&(start, end, before)) => before + (end - start),
            None => 0,
        };
        let partial = self
            .runs
            .get(i)
            .map_or(0, |&(start, _, _)| bound.saturating_sub(start));
        whole + partial
    }

    /// How many distinct indices in `low..high` some authentic entry records.
    fn count(&self, low: u64, high: u64) -> u64 {
        self.runs_below(high) - self.runs_below(low) + self.others.range(low..high).count() as u64
    }
}

/// Compares where authentic entries say they were appended with where they are.
fn check_order(checked: &Checked, tree: &Tree, findings: &mut Vec<Finding>) {
    // Positions of the entries that did not verify: an entry changed in place still holds its
    // slot, so a recorded index it would have held is not counted as removed.
    let unverified = &checked.unverified;
    let unverified_in = |low: u64, high: u64| {
        (unverified.partition_point(|&p| p < high) - unverified.partition_point(|&p| p < low))
            as u64
    };
    let recorded = Recorded::new(checked);
    // Where each recorded index was first claimed: by in-place runs (their positions), or by
    // the other claims.
    let mut first_runs: Vec<(u64, u64)> = Vec::new();
    let mut first_others: BTreeMap<u64, u64> = BTreeMap::new();
    let first_at = |runs: &[(u64, u64)], others: &BTreeMap<u64, u64>, index: u64| {
        others.get(&index).copied().or_else(|| {
            let i = runs.partition_point(|&(_, end)| end <= index);
            runs.get(i)
                .filter(|&&(start, _)| start <= index)
                .map(|_| index)
        })
    };
    // The highest authentic claim so far: its position and recorded index.
    let mut highest: Option<(u64, u64)> = None;
    let mut structural = false;
    let mut last_confirmed = 0u64;
    let claims = checked.segments.iter().flat_map(|segment| {
        let (run, single) = match segment {
            Segment::InPlace { start, end } => (*start..*end, None),
            Segment::Claim(claim) => (0..0, Some(*claim)),
        };
        run.map(|position| (position, position, None))
            .chain(single.map(|c| (c.position, c.recorded_index, Some(c.recorded_root))))
    });
    for (position, recorded_index, recorded_root) in claims {
        if let Some(first) = first_at(&first_runs, &first_others, recorded_index) {
            findings.push(Finding {
                index: Some(position),
                kind: FindingKind::EntryIndexReused {
                    recorded_index,
                    first_at: first,
                },
            });
            structural = true;
            continue;
        }
        if recorded_root.is_none() {
            match first_runs.last_mut() {
                Some((_, end)) if *end == position => *end += 1,
                _ => first_runs.push((position, position + 1)),
            }
        } else {
            first_others.insert(recorded_index, position);
        }
        if let Some((previous_position, previous_index)) = highest {
            if recorded_index < previous_index {
                findings.push(Finding {
                    index: Some(position),
                    kind: FindingKind::EntryOutOfOrder {
                        recorded_index,
                        follows_index: previous_position,
                        follows_recorded_index: previous_index,
                    },
                });
                structural = true;
                continue;
            }
        }
        let gap_start = highest.map_or(0, |(_, index)| index + 1);
        if recorded_index > gap_start {
            // Indices between the previous authentic entry's and this one's that no authentic
            // entry anywhere records. Unverified entries between the two may be the missing
            // ones, changed in place, and are not counted as removed.
            let present = recorded.count(gap_start, recorded_index);
            let missing = recorded_index - gap_start - present;
            let low = highest.map_or(0, |(p, _)| p + 1);
            let held = unverified_in(low, position);
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
        highest = Some((position, recorded_index));
        if recorded_index != position || structural {
            continue;
        }
        // In place: its record of the log before it must be the log's own prefix (checked
        // already for the in-place runs).
        let Some(recorded_root) = recorded_root else {
            last_confirmed = position;
            continue;
        };
        match tree.root_at(position) {
            Some(root) if root == recorded_root => last_confirmed = position,
            Some(root) => {
                findings.push(Finding {
                    index: Some(position.saturating_sub(1)),
                    kind: FindingKind::HistoryChanged {
                        first_suspect: last_confirmed,
                        last_suspect: position.saturating_sub(1),
                        recorded_root,
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
