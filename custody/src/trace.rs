//! Tracing an artifact: every entry whose subject has its digest, in log order — its build, its
//! signature, its publication, its download and installation, its rollback.

use sigil_keys::KeyId;

use crate::dsse::{DsseError, KeyRing};
use crate::entry::Entry;
use crate::statement::Sha256Digest;
use crate::store::{Log, StoreError};

/// An authentic entry about the traced artifact.
#[derive(Debug, Clone)]
pub struct TraceStep {
    pub entry: Entry,
    /// The trusted keys whose signatures verified.
    pub signed_by: Vec<KeyId>,
}

/// An entry about the traced artifact whose signature did not verify: listed so a forged step
/// is seen, never counted as part of the artifact's history.
#[derive(Debug)]
pub struct RejectedStep {
    pub index: u64,
    pub reason: DsseError,
}

/// Everything the log says about one artifact.
#[derive(Debug)]
pub struct Trace {
    pub digest: Sha256Digest,
    /// Authentic entries about the artifact, in log order.
    pub steps: Vec<TraceStep>,
    /// Entries about the artifact that are not signed by a trusted key.
    pub rejected: Vec<RejectedStep>,
}

/// Lists the entries of `log` whose subjects include `digest`. Entries that cannot be parsed
/// are skipped: [`crate::verify::Verifier`] reports them.
pub fn trace(log: &Log, digest: &Sha256Digest, keys: &KeyRing) -> Result<Trace, StoreError> {
    let mut steps = Vec::new();
    let mut rejected = Vec::new();
    for item in log.entries_bytes() {
        let (index, bytes) = item?;
        let Ok(entry) = Entry::parse(index, &bytes) else {
            continue;
        };
        if !entry.is_about(digest) {
            continue;
        }
        match entry.verify_signature(keys) {
            Ok(signed_by) => steps.push(TraceStep { entry, signed_by }),
            Err(reason) => rejected.push(RejectedStep { index, reason }),
        }
    }
    Ok(Trace {
        digest: *digest,
        steps,
        rejected,
    })
}

/// What an artifact was built from, as far as the log says: the artifact's own trace, then the
/// trace of each input that a trusted build-provenance entry (SLSA provenance v1) names in its
/// `resolvedDependencies` — a lockfile, and so the audit of that lockfile — and of their inputs
/// in turn.
#[derive(Debug)]
pub struct Lineage {
    /// The artifact's trace first, then its inputs', breadth first.
    pub traces: Vec<(Option<String>, Trace)>,
}

/// How far [`trace_lineage`] follows inputs of inputs.
const MAX_LINEAGE_DEPTH: usize = 4;
/// How many digests [`trace_lineage`] traces at most.
const MAX_LINEAGE_DIGESTS: usize = 64;

/// Traces `digest` and, through trusted build-provenance entries, the inputs it was built from.
pub fn trace_lineage(
    log: &Log,
    digest: &Sha256Digest,
    keys: &KeyRing,
) -> Result<Lineage, StoreError> {
    let mut traces = Vec::new();
    let mut seen = vec![*digest];
    let mut frontier = vec![(None, *digest)];
    for _ in 0..=MAX_LINEAGE_DEPTH {
        let mut next = Vec::new();
        for (name, current) in frontier {
            let found = trace(log, &current, keys)?;
            for step in &found.steps {
                let Ok(crate::Predicate::SlsaProvenance(provenance)) = step.entry.predicate()
                else {
                    continue;
                };
                for input in &provenance.build_definition.resolved_dependencies {
                    let Some(hex) = input.digest.get("sha256") else {
                        continue;
                    };
                    let Ok(input_digest) = Sha256Digest::from_hex(hex) else {
                        continue;
                    };
                    if seen.len() < MAX_LINEAGE_DIGESTS && !seen.contains(&input_digest) {
                        seen.push(input_digest);
                        next.push((
                            input.name.clone().or_else(|| input.uri.clone()),
                            input_digest,
                        ));
                    }
                }
            }
            traces.push((name, found));
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    Ok(Lineage { traces })
}
