//! A transparency-log witness (<https://c2sp.org/tlog-witness>): it keeps, per log, the last
//! checkpoint it cosigned, and cosigns a new checkpoint (with a `cosignature/v1`) only when a
//! consistency proof shows it extends that one. Logs that show one history to some users and
//! another to others cannot get both cosigned by one honest witness.
//!
//! [`Witness::add_checkpoint`] is the protocol's `add-checkpoint` call on a request body; the
//! HTTP transport is the caller's. The check of the stored size and the write of the new
//! checkpoint happen under one file lock, so concurrent requests, in this process or others,
//! cannot roll a log back; the state file is replaced atomically and made durable before the
//! cosignature is returned.
//!
//! State: one file per log in the state directory, `<hex SHA-256 of the origin>.checkpoint`,
//! holding the last checkpoint cosigned with the witness's cosignature appended.

use std::fs::{File, OpenOptions};
use std::io::Read as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use fd_lock::RwLock;

use crate::checkpoint::Checkpoint;
use crate::merkle::{ConsistencyProof, Hash};
use crate::note::{KeyKind, NoteError, NoteSigner, NoteVerifier, SignedNote};
use crate::store::StoreError;
use crate::store::files;

/// The most consistency proof lines a request may carry.
pub const MAX_PROOF_LINES: usize = 63;
/// The largest request body read: a checkpoint with 100 signatures and 63 proof lines.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// The `Content-Type` of a 409 response's body.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";
const LOCK_FILE: &str = "lock";

/// Why a witness refused a checkpoint, with the HTTP status the protocol gives it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// 400: the request is malformed, or its old size is beyond the checkpoint.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 403: no signature on the checkpoint verifies against the log's trusted keys.
    #[error("the checkpoint is not signed by a trusted key of log {origin:?}: {reason}")]
    Forbidden { origin: String, reason: String },
    /// 404: the witness does not know the log.
    #[error("unknown log {origin:?}: this witness is not configured for it")]
    UnknownLog { origin: String },
    /// 409: the old size is not the size last cosigned, or the same size has another root.
    #[error("{reason} (the last checkpoint cosigned has size {latest})")]
    Conflict { latest: u64, reason: String },
    /// 422: the consistency proof does not show the new checkpoint extends the last one.
    #[error("the consistency proof from size {old} to {new} does not verify: {reason}")]
    Inconsistent { old: u64, new: u64, reason: String },
    /// 500: the witness could not read or write its state, or sign.
    #[error("witness failure: {0}")]
    Internal(String),
}

impl Refusal {
    /// The HTTP status code of this refusal.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Forbidden { .. } => 403,
            Self::UnknownLog { .. } => 404,
            Self::Conflict { .. } => 409,
            Self::Inconsistent { .. } => 422,
            Self::Internal(_) => 500,
        }
    }

    /// The response body the protocol prescribes: the latest size for a 409, else a reason.
    #[must_use]
    pub fn body(&self) -> String {
        match self {
            Self::Conflict { latest, .. } => format!("{latest}\n"),
            other => format!("{other}\n"),
        }
    }

    /// The response's `Content-Type`.
    #[must_use]
    pub fn content_type(&self) -> &'static str {
        match self {
            Self::Conflict { .. } => SIZE_CONTENT_TYPE,
            _ => "text/plain; charset=utf-8",
        }
    }
}

/// An `add-checkpoint` request body, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    pub old_size: u64,
    pub proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub checkpoint: String,
}

impl AddCheckpoint {
    /// The request body: `old <size>`, one base64 hash per line, a blank line, the checkpoint.
    #[must_use]
    pub fn to_body(&self) -> String {
        let mut body = format!("old {}\n", self.old_size);
        for hash in &self.proof {
            body.push_str(&BASE64.encode(hash.as_bytes()));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.checkpoint);
        body
    }

    /// Parses a request body strictly.
    pub fn parse(body: &[u8]) -> Result<Self, Refusal> {
        let bad = |reason: &str| Refusal::BadRequest(reason.to_owned());
        if body.len() > MAX_REQUEST_BYTES {
            return Err(bad("the request body is larger than 64 KiB"));
        }
        let text = std::str::from_utf8(body).map_err(|_| bad("the request is not UTF-8"))?;
        let (old_line, mut rest) = text
            .split_once('\n')
            .ok_or_else(|| bad("the request has no old size line"))?;
        let old = old_line
            .strip_prefix("old ")
            .ok_or_else(|| bad("the first line is not 'old <size>'"))?;
        if old.is_empty()
            || !old.bytes().all(|b| b.is_ascii_digit())
            || (old.len() > 1 && old.starts_with('0'))
        {
            return Err(bad(
                "the old size is not a decimal number without leading zeros",
            ));
        }
        let old_size: u64 = old
            .parse()
            .map_err(|_| bad("the old size is out of range"))?;
        let mut proof = Vec::new();
        loop {
            let (line, after) = rest
                .split_once('\n')
                .ok_or_else(|| bad("the proof lines are not followed by a blank line"))?;
            rest = after;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(bad("more than 63 consistency proof lines"));
            }
            let bytes = BASE64
                .decode(line)
                .map_err(|_| bad("a consistency proof line is not base64"))?;
            proof.push(
                Hash::from_slice(&bytes)
                    .ok_or_else(|| bad("a consistency proof line is not a 32-byte hash"))?,
            );
        }
        Ok(Self {
            old_size,
            proof,
            checkpoint: rest.to_owned(),
        })
    }
}

/// A witness: its cosigning key, the logs it follows, and where it keeps their state.
#[derive(Debug)]
pub struct Witness<'a> {
    signer: NoteSigner<'a>,
    logs: Vec<NoteVerifier>,
    state: PathBuf,
}

/// The last checkpoint a witness cosigned for one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessedState {
    pub checkpoint: Checkpoint,
    /// The checkpoint note with the witness's cosignature, as stored.
    pub note: String,
}

impl<'a> Witness<'a> {
    /// A witness cosigning with `signer` (a [`NoteSigner::cosigner`]) checkpoints of the logs
    /// whose keys are `logs`: a log's origin is its key's name. Its state lives in `state`
    /// (made if missing).
    pub fn new(
        signer: NoteSigner<'a>,
        logs: Vec<NoteVerifier>,
        state: &Path,
    ) -> Result<Self, StoreError> {
        if signer.kind() != KeyKind::Cosignature {
            return Err(StoreError::Checkpoint(
                crate::checkpoint::CheckpointError::Malformed {
                    reason: "a witness cosigns with a cosignature/v1 key",
                },
            ));
        }
        files::create_dir(state)?;
        Ok(Self {
            signer,
            logs,
            state: state.to_owned(),
        })
    }

    /// The witness's verifier key, as verifiers are configured with it.
    #[must_use]
    pub fn verifier(&self) -> NoteVerifier {
        self.signer.verifier()
    }

    fn state_path(&self, origin: &str) -> PathBuf {
        let digest = ring::digest::digest(&ring::digest::SHA256, origin.as_bytes());
        self.state
            .join(format!("{}.checkpoint", hex::encode(digest.as_ref())))
    }

    /// The last checkpoint cosigned for the log `origin`, if any.
    pub fn state_of(&self, origin: &str) -> Result<Option<WitnessedState>, Refusal> {
        let path = self.state_path(origin);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Refusal::Internal(format!("{}: {e}", path.display()))),
        };
        let mut note = String::new();
        file.take(MAX_REQUEST_BYTES as u64)
            .read_to_string(&mut note)
            .map_err(|e| Refusal::Internal(format!("{}: {e}", path.display())))?;
        let corrupt = |e: &dyn std::fmt::Display| {
            Refusal::Internal(format!(
                "{}: the stored checkpoint is unreadable ({e}); restore it from a backup",
                path.display()
            ))
        };
        let parsed = SignedNote::parse(&note).map_err(|e| corrupt(&e))?;
        let checkpoint = Checkpoint::from_text(&parsed.text).map_err(|e| corrupt(&e))?;
        if checkpoint.origin != origin {
            return Err(corrupt(&"it is of another log"));
        }
        Ok(Some(WitnessedState { checkpoint, note }))
    }

    /// The `add-checkpoint` call: checks the request and, if the checkpoint extends the last
    /// one cosigned, stores it and returns the cosignature line(s) for the response body.
    pub fn add_checkpoint(&self, body: &[u8]) -> Result<String, Refusal> {
        let request = AddCheckpoint::parse(body)?;
        let bad = |e: &dyn std::fmt::Display| Refusal::BadRequest(e.to_string());
        let note = SignedNote::parse(&request.checkpoint).map_err(|e| bad(&e))?;
        let checkpoint = Checkpoint::from_text(&note.text).map_err(|e| bad(&e))?;
        let keys: Vec<NoteVerifier> = self
            .logs
            .iter()
            .filter(|key| key.name() == checkpoint.origin)
            .cloned()
            .collect();
        if keys.is_empty() {
            return Err(Refusal::UnknownLog {
                origin: checkpoint.origin,
            });
        }
        note.verify(&keys)
            .map_err(|e: NoteError| Refusal::Forbidden {
                origin: checkpoint.origin.clone(),
                reason: e.to_string(),
            })?;
        if request.old_size > checkpoint.size {
            return Err(Refusal::BadRequest(format!(
                "old size {} is beyond the checkpoint's size {}",
                request.old_size, checkpoint.size
            )));
        }
        if request.old_size == 0 && !request.proof.is_empty() {
            return Err(Refusal::BadRequest(
                "a request from old size 0 carries no consistency proof".to_owned(),
            ));
        }

        // From here to the write, no other request for any log may interleave.
        let lock_path = self.state.join(LOCK_FILE);
        let lock_file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| Refusal::Internal(format!("{}: {e}", lock_path.display())))?;
        let mut lock = RwLock::new(lock_file);
        let _guard = lock
            .write()
            .map_err(|e| Refusal::Internal(format!("{}: {e}", lock_path.display())))?;
        let last = self.state_of(&checkpoint.origin)?;
        let latest = last.as_ref().map_or(0, |s| s.checkpoint.size);
        if request.old_size != latest {
            return Err(Refusal::Conflict {
                latest,
                reason: format!(
                    "old size {} is not the size of the last checkpoint cosigned",
                    request.old_size
                ),
            });
        }
        if let Some(last) = &last {
            if last.checkpoint.size == checkpoint.size {
                if last.checkpoint.root != checkpoint.root {
                    return Err(Refusal::Conflict {
                        latest,
                        reason: format!(
                            "a checkpoint of size {} with another root was cosigned: the log shows two histories",
                            checkpoint.size
                        ),
                    });
                }
                if !request.proof.is_empty() {
                    return Err(Refusal::BadRequest(
                        "a request for the same size carries no consistency proof".to_owned(),
                    ));
                }
            } else {
                let proof = ConsistencyProof {
                    old_size: last.checkpoint.size,
                    new_size: checkpoint.size,
                    path: request.proof.clone(),
                };
                proof
                    .verify(&last.checkpoint.root, &checkpoint.root)
                    .map_err(|e| Refusal::Inconsistent {
                        old: last.checkpoint.size,
                        new: checkpoint.size,
                        reason: e.to_string(),
                    })?;
            }
        }
        let line = self
            .signer
            .signature_line(&note.text)
            .map_err(|e| Refusal::Internal(e.to_string()))?;
        let mut stored = request.checkpoint.clone();
        if !stored.ends_with('\n') {
            stored.push('\n');
        }
        stored.push_str(&line);
        let path = self.state_path(&checkpoint.origin);
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        files::write_atomically(&self.state, &name, stored.as_bytes())
            .map_err(|e| Refusal::Internal(e.to_string()))?;
        Ok(line)
    }
}

#[cfg(test)]
mod tests {
    use sigil_keys::{PrivateKey, Scheme};

    use super::*;
    use crate::clock::{FixedClock, Timestamp};
    use crate::merkle::{Tree, leaf_hash};
    use crate::note::sign_note;

    const ORIGIN: &str = "example.com/log";

    fn tree(entries: u64, salt: &str) -> Tree {
        Tree::from_leaf_hashes((0..entries).map(|i| leaf_hash(format!("{salt}{i}").as_bytes())))
    }

    fn checkpoint_note(tree: &Tree, size: u64, log: &NoteSigner<'_>) -> String {
        let text = Checkpoint {
            origin: ORIGIN.into(),
            size,
            root: tree.root_at(size).unwrap(),
            extensions: Vec::new(),
        }
        .to_text();
        sign_note(&text, &[log]).unwrap()
    }

    fn request(tree: &Tree, old: u64, new: u64, log: &NoteSigner<'_>) -> Vec<u8> {
        let proof = if old == 0 || old >= new {
            Vec::new()
        } else {
            tree.consistency_proof(old, new).unwrap().path
        };
        AddCheckpoint {
            old_size: old,
            proof,
            checkpoint: checkpoint_note(tree, new, log),
        }
        .to_body()
        .into_bytes()
    }

    #[test]
    fn request_body_round_trips_and_malformed_ones_are_refused() {
        let request = AddCheckpoint {
            old_size: 20,
            proof: vec![Hash([1; 32]), Hash([2; 32])],
            checkpoint: "x\n".into(),
        };
        let body = request.to_body();
        assert!(body.starts_with("old 20\nAQEB"));
        assert_eq!(AddCheckpoint::parse(body.as_bytes()).unwrap(), request);
        for bad in [
            "old 020\n\nx\n",
            "old -1\n\nx\n",
            "new 1\n\nx\n",
            "old 1\nnot base64\n\nx\n",
            "old 1\nAQEB\n\nx\n",
            "old 1\n",
        ] {
            assert!(
                matches!(
                    AddCheckpoint::parse(bad.as_bytes()),
                    Err(Refusal::BadRequest(_))
                ),
                "{bad:?}"
            );
        }
        let long = format!(
            "old 1\n{}\nx\n",
            format!("{}\n", BASE64.encode([0u8; 32])).repeat(64)
        );
        assert!(AddCheckpoint::parse(long.as_bytes()).is_err());
    }

    #[test]
    fn witness_cosigns_extensions_and_refuses_everything_else() {
        let state = tempfile::tempdir().unwrap();
        let log_key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let witness_key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let clock = FixedClock(Timestamp::from_unix_seconds(1_767_225_600).unwrap());
        let log = NoteSigner::new(ORIGIN, &log_key).unwrap();
        let cosigner = NoteSigner::cosigner("witness.example/w1", &witness_key, &clock).unwrap();
        let witness = Witness::new(cosigner, vec![log.verifier()], state.path()).unwrap();
        let honest = tree(20, "a");

        // First contact: old size 0, trusted on first use.
        let line = witness
            .add_checkpoint(&request(&honest, 0, 5, &log))
            .unwrap();
        let note = format!("{}{line}", checkpoint_note(&honest, 5, &log));
        let cosigned = SignedNote::parse(&note).unwrap();
        assert_eq!(
            cosigned.verify(&[witness.verifier()]).unwrap(),
            ["witness.example/w1"]
        );
        // An extension with a good proof.
        witness
            .add_checkpoint(&request(&honest, 5, 12, &log))
            .unwrap();
        assert_eq!(
            witness.state_of(ORIGIN).unwrap().unwrap().checkpoint.size,
            12
        );

        // A stale old size: 409 with the latest size.
        let stale = witness
            .add_checkpoint(&request(&honest, 5, 15, &log))
            .unwrap_err();
        assert_eq!(stale.status(), 409);
        assert_eq!(stale.body(), "12\n");
        assert_eq!(stale.content_type(), SIZE_CONTENT_TYPE);

        // A fork: another history of 15 entries, whose proof from 12 cannot verify.
        let forked = tree(20, "b");
        let mut body = AddCheckpoint::parse(&request(&forked, 12, 15, &log)).unwrap();
        body.proof = honest.consistency_proof(12, 15).unwrap().path;
        let refused = witness
            .add_checkpoint(body.to_body().as_bytes())
            .unwrap_err();
        assert_eq!(refused.status(), 422, "{refused}");
        // A wrong proof for an honest extension.
        let mut body = AddCheckpoint::parse(&request(&honest, 12, 15, &log)).unwrap();
        body.proof[0] = Hash([9; 32]);
        let refused = witness
            .add_checkpoint(body.to_body().as_bytes())
            .unwrap_err();
        assert_eq!(refused.status(), 422, "{refused}");
        // Split view at the same size: 409.
        let refused = witness
            .add_checkpoint(&request(&forked, 12, 12, &log))
            .unwrap_err();
        assert_eq!(refused.status(), 409, "{refused}");
        // The refusals left the state alone.
        assert_eq!(
            witness.state_of(ORIGIN).unwrap().unwrap().checkpoint.size,
            12
        );

        // Old size beyond the checkpoint: 400. Unknown log: 404. Untrusted signer: 403.
        let refused = witness
            .add_checkpoint(&request(&honest, 12, 10, &log))
            .unwrap_err();
        assert_eq!(refused.status(), 400);
        let stranger_key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let other_log = NoteSigner::new("example.com/other", &stranger_key).unwrap();
        let text = Checkpoint {
            origin: "example.com/other".into(),
            size: 1,
            root: Hash([0; 32]),
            extensions: Vec::new(),
        }
        .to_text();
        let body = AddCheckpoint {
            old_size: 0,
            proof: Vec::new(),
            checkpoint: sign_note(&text, &[&other_log]).unwrap(),
        };
        let refused = witness
            .add_checkpoint(body.to_body().as_bytes())
            .unwrap_err();
        assert_eq!(refused.status(), 404);
        let impostor = NoteSigner::new(ORIGIN, &stranger_key).unwrap();
        let refused = witness
            .add_checkpoint(&request(&honest, 12, 15, &impostor))
            .unwrap_err();
        assert_eq!(refused.status(), 403);

        // The extension goes through, and the same checkpoint again is cosigned again.
        witness
            .add_checkpoint(&request(&honest, 12, 20, &log))
            .unwrap();
        witness
            .add_checkpoint(&request(&honest, 20, 20, &log))
            .unwrap();
    }
}
