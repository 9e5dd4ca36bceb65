//! C2SP signed notes (<https://c2sp.org/signed-note>): a UTF-8 text, a blank line, then one
//! signature line per signer, `— <key name> <base64(key hash || signature)>`.
//!
//! Only Ed25519 note keys (signature type 0x01) are supported: the key hash is the first four
//! bytes of SHA-256(key name || 0x0A || 0x01 || public key), and the signature is Ed25519 over
//! the text. Verification ignores signatures from unknown keys, but fails on a bad signature by
//! a known one and requires at least one known, valid signature.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sigil_keys::{PublicKey, Scheme, SignError, Signer};

/// The prefix of a signature line: an em dash (U+2014) and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";
/// The signature type byte of Ed25519 note keys.
const ED25519_TYPE: u8 = 0x01;
/// The most signature lines a note may carry, as the Go implementation allows.
pub const MAX_SIGNATURES: usize = 100;

/// Why a note could not be signed, parsed or verified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    #[error("invalid note key name {name:?}: it must be non-empty, without spaces or '+'")]
    KeyName { name: String },
    #[error("note keys must be Ed25519, found a {found} key")]
    KeyScheme { found: Scheme },
    #[error("malformed verifier key {found:?}: expected <name>+<8 hex digits>+<base64 key>")]
    VerifierKey { found: String },
    #[error("verifier key {name} has key hash {found}, but its key hashes to {expected}")]
    VerifierKeyHash {
        name: String,
        expected: String,
        found: String,
    },
    #[error("note text must end with a newline and hold no control characters but newlines")]
    Text,
    #[error("malformed note: {reason}")]
    Malformed { reason: &'static str },
    #[error("note has {found} signatures, more than the {limit} allowed")]
    TooManySignatures { found: usize, limit: usize },
    #[error("signing the note failed")]
    Sign(#[source] SignError),
    #[error("signature by {name} does not verify: the note was altered or forged")]
    BadSignature { name: String },
    #[error("no signature is by a trusted key (signed by: {})", .names.join(", "))]
    NoTrustedSignature { names: Vec<String> },
}

/// The 4-byte key hash of an Ed25519 note key.
fn key_hash(name: &str, raw: &[u8; 32]) -> [u8; 4] {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    context.update(name.as_bytes());
    context.update(b"\n");
    context.update(&[ED25519_TYPE]);
    context.update(raw);
    let digest = context.finish();
    let mut out = [0u8; 4];
    out.copy_from_slice(&digest.as_ref()[..4]);
    out
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '+') {
        return Err(NoteError::KeyName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

fn ed25519_raw(key: &PublicKey) -> Result<[u8; 32], NoteError> {
    match key {
        PublicKey::Ed25519(raw) => Ok(*raw),
        other => Err(NoteError::KeyScheme {
            found: other.scheme(),
        }),
    }
}

/// A named key that signs notes, through a [`Signer`].
pub struct NoteSigner<'a> {
    name: String,
    hash: [u8; 4],
    signer: &'a dyn Signer,
}

impl fmt::Debug for NoteSigner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoteSigner({} {})", self.name, hex::encode(self.hash))
    }
}

impl<'a> NoteSigner<'a> {
    /// A note signer named `name` (for a log, conventionally its origin) for an Ed25519 key.
    pub fn new(name: impl Into<String>, signer: &'a dyn Signer) -> Result<Self, NoteError> {
        let name = name.into();
        check_name(&name)?;
        let raw = ed25519_raw(signer.public_key())?;
        Ok(Self {
            hash: key_hash(&name, &raw),
            name,
            signer,
        })
    }

    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The verifier that checks this signer's signatures.
    #[must_use]
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            hash: self.hash,
            key: self.signer.public_key().clone(),
        }
    }

    /// The signature line for `text`, with its trailing newline.
    pub(crate) fn signature_line(&self, text: &str) -> Result<String, NoteError> {
        let signature = self.signer.sign(text.as_bytes()).map_err(NoteError::Sign)?;
        let mut blob = self.hash.to_vec();
        blob.extend_from_slice(&signature);
        Ok(format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            BASE64.encode(blob)
        ))
    }
}

/// A named public key that verifies note signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    hash: [u8; 4],
    key: PublicKey,
}

impl NoteVerifier {
    /// A verifier for an Ed25519 public key under `name`.
    pub fn new(name: impl Into<String>, key: PublicKey) -> Result<Self, NoteError> {
        let name = name.into();
        check_name(&name)?;
        let raw = ed25519_raw(&key)?;
        Ok(Self {
            hash: key_hash(&name, &raw),
            name,
            key,
        })
    }

    /// Reads the text form of a verifier key, `<name>+<hex key hash>+<base64(0x01 || key)>`,
    /// as the Go note package and witnesses publish them.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let malformed = || NoteError::VerifierKey {
            found: text.to_owned(),
        };
        // The name and hash hold no '+'; the base64 key may.
        let mut parts = text.trim_end_matches('\n').splitn(3, '+');
        let (Some(name), Some(hash), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(malformed());
        };
        let decoded = BASE64.decode(key).map_err(|_| malformed())?;
        let Some((&ED25519_TYPE, raw)) = decoded.split_first() else {
            return Err(malformed());
        };
        let key = PublicKey::ed25519_from_bytes(raw).map_err(|_| malformed())?;
        if hash.len() != 8 || hash.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(malformed());
        }
        let verifier = Self::new(name, key)?;
        if hex::encode(verifier.hash) != hash {
            return Err(NoteError::VerifierKeyHash {
                name: name.to_owned(),
                expected: hex::encode(verifier.hash),
                found: hash.to_owned(),
            });
        }
        Ok(verifier)
    }

    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    #[must_use]
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }
}

impl fmt::Display for NoteVerifier {
    /// The text form [`NoteVerifier::parse`] reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut blob = vec![ED25519_TYPE];
        if let PublicKey::Ed25519(raw) = &self.key {
            blob.extend_from_slice(raw);
        }
        write!(
            f,
            "{}+{}+{}",
            self.name,
            hex::encode(self.hash),
            BASE64.encode(blob)
        )
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_hash: [u8; 4],
    pub signature: Vec<u8>,
}

/// A signed note, parsed but not verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') || text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::Text);
    }
    Ok(())
}

/// Signs `text` with every signer, returning the whole note.
pub fn sign_note(text: &str, signers: &[&NoteSigner<'_>]) -> Result<String, NoteError> {
    check_text(text)?;
    if signers.is_empty() {
        return Err(NoteError::Malformed {
            reason: "a note needs at least one signature",
        });
    }
    let mut note = format!("{text}\n");
    for signer in signers {
        note.push_str(&signer.signature_line(text)?);
    }
    Ok(note)
}

impl SignedNote {
    /// Parses a note strictly: text, blank line, one or more well-formed signature lines.
    pub fn parse(note: &str) -> Result<Self, NoteError> {
        let split = note.rfind("\n\n").ok_or(NoteError::Malformed {
            reason: "no blank line before the signatures",
        })?;
        let (text, signatures_block) = (&note[..=split], &note[split + 2..]);
        check_text(text)?;
        if signatures_block.is_empty() || !signatures_block.ends_with('\n') {
            return Err(NoteError::Malformed {
                reason: "the signature block must be signature lines, each ending in a newline",
            });
        }
        let lines: Vec<&str> = signatures_block
            .strip_suffix('\n')
            .unwrap_or(signatures_block)
            .split('\n')
            .collect();
        if lines.len() > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures {
                found: lines.len(),
                limit: MAX_SIGNATURES,
            });
        }
        let mut signatures = Vec::with_capacity(lines.len());
        for line in lines {
            let malformed = NoteError::Malformed {
                reason: "a signature line is not '\u{2014} <name> <base64 signature>'",
            };
            let rest = line
                .strip_prefix(SIGNATURE_PREFIX)
                .ok_or(NoteError::Malformed {
                    reason: "a signature line does not start with an em dash and a space",
                })?;
            let (name, blob) = rest.split_once(' ').ok_or(malformed)?;
            check_name(name)?;
            let blob = BASE64.decode(blob).map_err(|_| NoteError::Malformed {
                reason: "a signature is not standard base64",
            })?;
            if blob.len() < 5 {
                return Err(NoteError::Malformed {
                    reason: "a signature is shorter than its key hash",
                });
            }
            let mut key_hash = [0u8; 4];
            key_hash.copy_from_slice(&blob[..4]);
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_hash,
                signature: blob[4..].to_vec(),
            });
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Verifies the note against `verifiers`: returns the names of the trusted keys whose
    /// signatures verified. Signatures by keys not in `verifiers` are ignored.
    pub fn verify(&self, verifiers: &[NoteVerifier]) -> Result<Vec<String>, NoteError> {
        let mut verified: Vec<String> = Vec::new();
        for signature in &self.signatures {
            let known = verifiers
                .iter()
                .find(|v| v.name == signature.name && v.hash == signature.key_hash);
            let Some(verifier) = known else {
                continue;
            };
            verifier
                .key
                .verify(self.text.as_bytes(), &signature.signature)
                .map_err(|_| NoteError::BadSignature {
                    name: signature.name.clone(),
                })?;
            if !verified.contains(&signature.name) {
                verified.push(signature.name.clone());
            }
        }
        if verified.is_empty() {
            return Err(NoteError::NoTrustedSignature {
                names: self.signatures.iter().map(|s| s.name.clone()).collect(),
            });
        }
        Ok(verified)
    }
}

#[cfg(test)]
mod tests {
    use sigil_keys::PrivateKey;

    use super::*;

    #[test]
    fn key_hash_and_verifier_text_match_the_go_note_package() {
        // The example verifier key of golang.org/x/mod/sumdb/note's documentation; its name, key
        // hash and key are checked against each other by `parse`.
        let text = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let verifier = NoteVerifier::parse(text).unwrap();
        assert_eq!(verifier.name(), "PeterNeumann");
        assert_eq!(verifier.to_string(), text);
    }

    #[test]
    fn note_verifies_against_the_go_note_package_example() {
        // The signed example note of the same documentation.
        let verifier = NoteVerifier::parse(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        )
        .unwrap();
        let note = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n\
                    \n\
                    \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        let parsed = SignedNote::parse(note).unwrap();
        assert_eq!(parsed.verify(&[verifier]).unwrap(), ["PeterNeumann"]);
    }

    #[test]
    fn signing_reproduces_the_go_note_package_example_byte_for_byte() {
        // The example's signer key is 0x01 followed by the Ed25519 seed; Ed25519 signatures are
        // deterministic, so the note must come out identical.
        let skey = BASE64
            .decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
            .unwrap();
        let key = PrivateKey::ed25519_from_seed(&skey[1..]).unwrap();
        let signer = NoteSigner::new("PeterNeumann", &key).unwrap();
        let text = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
        assert_eq!(
            sign_note(text, &[&signer]).unwrap(),
            format!(
                "{text}\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
            )
        );
        assert_eq!(
            signer.verifier().to_string(),
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        );
    }

    #[test]
    fn signed_note_round_trips_with_two_signers() {
        let log_key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let witness_key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let log = NoteSigner::new("example.com/log", &log_key).unwrap();
        let witness = NoteSigner::new("witness.example", &witness_key).unwrap();
        let note = sign_note("hello\n", &[&log, &witness]).unwrap();
        let parsed = SignedNote::parse(&note).unwrap();
        assert_eq!(parsed.signatures.len(), 2);
        assert_eq!(
            parsed.verify(&[witness.verifier()]).unwrap(),
            ["witness.example"]
        );
        assert_eq!(
            parsed
                .verify(&[log.verifier(), witness.verifier()])
                .unwrap(),
            ["example.com/log", "witness.example"]
        );
        let verifier = NoteVerifier::parse(&log.verifier().to_string()).unwrap();
        assert_eq!(verifier, log.verifier());
    }

    #[test]
    fn verifier_key_with_a_plus_in_its_base64_parses() {
        // Regression: the base64 of a key may contain '+', which also separates the fields.
        for _ in 0..64 {
            let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
            let verifier = NoteVerifier::new("log", key.public_key().clone()).unwrap();
            let text = verifier.to_string();
            assert_eq!(NoteVerifier::parse(&text).unwrap(), verifier, "{text}");
        }
    }

    #[test]
    fn note_signed_only_by_strangers_is_refused() {
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let other = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let signer = NoteSigner::new("log", &key).unwrap();
        // Same name, different key: its key hash differs, so it is a stranger.
        let impostor = NoteSigner::new("log", &other).unwrap();
        let note = sign_note("hello\n", &[&impostor]).unwrap();
        let parsed = SignedNote::parse(&note).unwrap();
        assert!(matches!(
            parsed.verify(&[signer.verifier()]),
            Err(NoteError::NoTrustedSignature { .. })
        ));
    }

    #[test]
    fn altered_note_text_fails_its_signature() {
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let signer = NoteSigner::new("log", &key).unwrap();
        let note = sign_note("size 5\n", &[&signer]).unwrap();
        let altered = note.replace("size 5", "size 6");
        let parsed = SignedNote::parse(&altered).unwrap();
        assert!(matches!(
            parsed.verify(&[signer.verifier()]),
            Err(NoteError::BadSignature { .. })
        ));
    }

    #[test]
    fn malformed_notes_are_refused() {
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let signer = NoteSigner::new("log", &key).unwrap();
        let note = sign_note("hello\n", &[&signer]).unwrap();
        for bad in [
            note.replace('\u{2014}', "-"),
            note.trim_end().to_owned(),
            note.replace("hello\n\n", "hello\n"),
            format!("{note}\n"),
            note.replace("hello", "hel\tlo"),
            note.replace("log ", "log  "),
        ] {
            assert!(SignedNote::parse(&bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            NoteSigner::new("has space", &key),
            Err(NoteError::KeyName { .. })
        ));
        assert!(matches!(
            NoteSigner::new("a+b", &key),
            Err(NoteError::KeyName { .. })
        ));
        let ecdsa = PrivateKey::generate(Scheme::EcdsaP256Sha256).unwrap();
        assert!(matches!(
            NoteSigner::new("log", &ecdsa),
            Err(NoteError::KeyScheme { .. })
        ));
    }
}
