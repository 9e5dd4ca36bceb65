//! C2SP tlog-checkpoints (<https://c2sp.org/tlog-checkpoint>) in signed notes: the note text is
//! `<origin>\n<tree size>\n<base64 root hash>\n`, optionally followed by extension lines.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::merkle::{ConsistencyProof, Hash, ProofError};
use sigil_keys::PublicKey;

use crate::note::{NoteError, NoteSigner, NoteVerifier, SignedNote, VerifiedSignature, sign_note};

/// The text of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's unique name, conventionally a schema-less URL.
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Extension lines, in order, without their newlines.
    pub extensions: Vec<String>,
}

/// A checkpoint whose note verified against trusted keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    pub checkpoint: Checkpoint,
    /// The trusted keys that signed it.
    pub signed_by: Vec<String>,
    /// The trusted witnesses whose cosignatures verified, with the times they state.
    pub cosigned_by: Vec<VerifiedSignature>,
    /// The whole signed note, as read.
    pub note: String,
}

/// Why a checkpoint could not be read, made or trusted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    #[error("checkpoint note: {0}")]
    Note(#[source] NoteError),
    #[error("malformed checkpoint: {reason}")]
    Malformed { reason: &'static str },
    #[error("checkpoint tree size {found:?} is not a decimal number without leading zeros")]
    Size { found: String },
    #[error("checkpoint root hash {found:?} is not the base64 of 32 bytes")]
    Root { found: String },
    #[error("expected a checkpoint of log {expected:?}, found one of {found:?}")]
    Origin { expected: String, found: String },
    #[error(
        "checkpoint of log {found:?} is signed by {}, none of them a key named after that log: a checkpoint of another log? Give --origin {found} if it is the log meant",
        .signed_by.join(", ")
    )]
    OriginNotKeyName {
        found: String,
        signed_by: Vec<String>,
    },
    #[error(
        "checkpoint is cosigned by {found} trusted witness(es){}, but {required} are required: a view of the log not enough witnesses saw may be a split view",
        if .cosigned_by.is_empty() { String::new() } else { format!(" ({})", .cosigned_by.join(", ")) }
    )]
    WitnessQuorum {
        required: usize,
        found: usize,
        cosigned_by: Vec<String>,
    },
    #[error("checkpoints do not prove the log append-only: {0}")]
    Inconsistent(#[source] ProofError),
}

impl Checkpoint {
    /// The checkpoint's note text.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root.as_bytes())
        );
        for extension in &self.extensions {
            text.push_str(extension);
            text.push('\n');
        }
        text
    }

    /// Parses a checkpoint's note text strictly.
    pub fn from_text(text: &str) -> Result<Self, CheckpointError> {
        let body = text.strip_suffix('\n').ok_or(CheckpointError::Malformed {
            reason: "the text does not end with a newline",
        })?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointError::Malformed {
                reason: "fewer than three lines (origin, tree size, root hash)",
            });
        };
        if origin.is_empty() {
            return Err(CheckpointError::Malformed {
                reason: "the origin line is empty",
            });
        }
        let size_error = || CheckpointError::Size {
            found: size.to_owned(),
        };
        if size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(size_error());
        }
        let size: u64 = size.parse().map_err(|_| size_error())?;
        let root_error = || CheckpointError::Root {
            found: root.to_owned(),
        };
        let root_bytes = BASE64.decode(root).map_err(|_| root_error())?;
        let root = Hash::from_slice(&root_bytes).ok_or_else(root_error)?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(CheckpointError::Malformed {
                reason: "an extension line is empty",
            });
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The signed note of this checkpoint: the log's signature first, then any cosigners'.
    pub fn sign(&self, signers: &[&NoteSigner<'_>]) -> Result<String, CheckpointError> {
        sign_note(&self.to_text(), signers).map_err(CheckpointError::Note)
    }
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at size {} (root {})",
            self.origin, self.size, self.root
        )
    }
}

/// What a verifier trusts checkpoints from: the log's origin, the note keys (the log's, and
/// any others) whose signatures make a checkpoint trusted, and the witnesses that must cosign.
///
/// The origin is either given, or bound to the trusted keys: then a checkpoint is trusted only
/// if its origin is the note key name of a trusted key that signed it, so a checkpoint of
/// another log signed by the same key under another name is refused.
#[derive(Debug, Clone)]
pub struct CheckpointTrust {
    origin: Option<String>,
    verifiers: Vec<NoteVerifier>,
    witnesses: Vec<NoteVerifier>,
    quorum: usize,
}

impl CheckpointTrust {
    /// Trusts checkpoints of `origin` signed by one of `verifiers`.
    #[must_use]
    pub fn new(origin: impl Into<String>, verifiers: Vec<NoteVerifier>) -> Self {
        Self {
            origin: Some(origin.into()),
            verifiers,
            witnesses: Vec::new(),
            quorum: 0,
        }
    }

    /// Trusts checkpoints signed by one of `verifiers` whose origin is that key's name.
    #[must_use]
    pub fn bound_to_key_names(verifiers: Vec<NoteVerifier>) -> Self {
        Self {
            origin: None,
            verifiers,
            witnesses: Vec::new(),
            quorum: 0,
        }
    }

    /// Requires cosignatures by at least `quorum` distinct keys of `witnesses` (each a
    /// `cosignature/v1` key or a plain note key) on every checkpoint, besides the log's
    /// signature: a split view then needs that many witnesses to collude.
    #[must_use]
    pub fn with_witnesses(mut self, witnesses: Vec<NoteVerifier>, quorum: usize) -> Self {
        self.witnesses = witnesses;
        self.quorum = quorum;
        self
    }

    /// The origin expected, when one was given.
    #[must_use]
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// The witnesses trusted to cosign, and how many must.
    #[must_use]
    pub fn witnesses(&self) -> (&[NoteVerifier], usize) {
        (&self.witnesses, self.quorum)
    }

    /// Whether `origin` is one this trust could accept.
    #[must_use]
    pub fn accepts_origin(&self, origin: &str) -> bool {
        match &self.origin {
            Some(expected) => expected == origin,
            None => self.verifiers.iter().any(|v| v.name() == origin),
        }
    }

    /// Parses a signed checkpoint and checks its signatures, origin and witness quorum.
    pub fn verify(&self, note: &str) -> Result<VerifiedCheckpoint, CheckpointError> {
        let parsed = SignedNote::parse(note).map_err(CheckpointError::Note)?;
        let checkpoint = Checkpoint::from_text(&parsed.text)?;
        let signed_by = parsed
            .verify(&self.verifiers)
            .map_err(CheckpointError::Note)?;
        match &self.origin {
            Some(expected) if &checkpoint.origin != expected => {
                return Err(CheckpointError::Origin {
                    expected: expected.clone(),
                    found: checkpoint.origin,
                });
            }
            None if !signed_by.contains(&checkpoint.origin) => {
                return Err(CheckpointError::OriginNotKeyName {
                    found: checkpoint.origin,
                    signed_by,
                });
            }
            _ => {}
        }
        let cosigned_by: Vec<VerifiedSignature> = parsed
            .verify_signatures(&self.witnesses)
            .map_err(CheckpointError::Note)?;
        let mut distinct: Vec<&PublicKey> = Vec::new();
        for signature in &cosigned_by {
            let key = self
                .witnesses
                .iter()
                .find(|w| w.name() == signature.name && w.kind() == signature.kind)
                .map(NoteVerifier::public_key);
            if let Some(key) = key.filter(|k| !distinct.contains(k)) {
                distinct.push(key);
            }
        }
        if distinct.len() < self.quorum {
            return Err(CheckpointError::WitnessQuorum {
                required: self.quorum,
                found: distinct.len(),
                cosigned_by: cosigned_by.iter().map(|s| s.name.clone()).collect(),
            });
        }
        Ok(VerifiedCheckpoint {
            checkpoint,
            signed_by,
            cosigned_by,
            note: note.to_owned(),
        })
    }
}

/// Checks that `new` extends `old`: both of one log, and `proof` shows `old`'s tree is a
/// prefix of `new`'s (RFC 9162, section 2.1.4.2).
pub fn verify_consistency(
    old: &Checkpoint,
    new: &Checkpoint,
    proof: &ConsistencyProof,
) -> Result<(), CheckpointError> {
    if old.origin != new.origin {
        return Err(CheckpointError::Origin {
            expected: old.origin.clone(),
            found: new.origin.clone(),
        });
    }
    if proof.old_size != old.size || proof.new_size != new.size {
        return Err(CheckpointError::Malformed {
            reason: "the consistency proof is for other tree sizes than the checkpoints",
        });
    }
    proof
        .verify(&old.root, &new.root)
        .map_err(CheckpointError::Inconsistent)
}

#[cfg(test)]
mod tests {
    use sigil_keys::{PrivateKey, Scheme};

    use super::*;

    fn checkpoint(size: u64) -> Checkpoint {
        Checkpoint {
            origin: "example.com/custody".into(),
            size,
            root: Hash([7; 32]),
            extensions: Vec::new(),
        }
    }

    #[test]
    fn text_matches_the_c2sp_layout() {
        let mut c = checkpoint(12);
        assert_eq!(
            c.to_text(),
            "example.com/custody\n12\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n"
        );
        c.extensions.push("Timestamp: 1".into());
        assert_eq!(Checkpoint::from_text(&c.to_text()).unwrap(), c);
    }

    #[test]
    fn malformed_checkpoint_text_is_refused() {
        let good = checkpoint(12).to_text();
        for bad in [
            good.replace("\n12\n", "\n012\n"),
            good.replace("\n12\n", "\n-12\n"),
            good.replace("\n12\n", "\n\n"),
            good.replace("\n12\n", "\n18446744073709551616\n"),
            good.replace("Bwc=", "Bw=="),
            good.replace("example.com/custody", ""),
            good.trim_end().to_owned(),
            format!("{good}\n"),
            "example.com/custody\n12\n".to_owned(),
        ] {
            assert!(Checkpoint::from_text(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn signed_checkpoint_verifies_and_forgeries_do_not() {
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let signer = NoteSigner::new("example.com/custody", &key).unwrap();
        let trust = CheckpointTrust::new("example.com/custody", vec![signer.verifier()]);
        let note = checkpoint(12).sign(&[&signer]).unwrap();
        let verified = trust.verify(&note).unwrap();
        assert_eq!(verified.checkpoint, checkpoint(12));
        assert_eq!(verified.signed_by, ["example.com/custody"]);

        // The size raised with the signature kept: the signature no longer matches.
        let forged = note.replace("\n12\n", "\n13\n");
        assert!(matches!(
            trust.verify(&forged),
            Err(CheckpointError::Note(NoteError::BadSignature { .. }))
        ));
        // Signed by an attacker's key under the log's name.
        let attacker = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let impostor = NoteSigner::new("example.com/custody", &attacker).unwrap();
        let forged = checkpoint(13).sign(&[&impostor]).unwrap();
        assert!(matches!(
            trust.verify(&forged),
            Err(CheckpointError::Note(NoteError::NoTrustedSignature { .. }))
        ));
    }

    #[test]
    fn checkpoint_of_another_log_is_refused() {
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let signer = NoteSigner::new("example.com/custody", &key).unwrap();
        let trust = CheckpointTrust::new("example.com/other", vec![signer.verifier()]);
        let note = checkpoint(1).sign(&[&signer]).unwrap();
        assert!(matches!(
            trust.verify(&note),
            Err(CheckpointError::Origin { .. })
        ));
    }

    #[test]
    fn witness_cosignature_is_enough_and_unknown_signers_are_ignored() {
        let log_key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let witness_key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let log = NoteSigner::new("example.com/custody", &log_key).unwrap();
        let witness = NoteSigner::new("witness.example/w1", &witness_key).unwrap();
        let note = checkpoint(4).sign(&[&log, &witness]).unwrap();
        let witness_only = CheckpointTrust::new("example.com/custody", vec![witness.verifier()]);
        assert_eq!(
            witness_only.verify(&note).unwrap().signed_by,
            ["witness.example/w1"]
        );
    }
}
