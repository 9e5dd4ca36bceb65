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
