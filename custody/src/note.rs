//! C2SP signed notes (<https://c2sp.org/signed-note>): a UTF-8 text, a blank line, then one
//! signature line per signer, `— <key name> <base64(key hash || signature)>`.
//!
//! Two kinds of note keys are supported, both Ed25519:
//! - plain note signatures (signature type 0x01), as logs sign their checkpoints: the key hash
//!   is the first four bytes of SHA-256(key name || 0x0A || 0x01 || public key), and the
//!   signature is Ed25519 over the text;
//! - witness cosignatures (<https://c2sp.org/tlog-cosignature>, `cosignature/v1`, type 0x04):
//!   the key hash is computed the same way with 0x04, and the signature is an 8-byte big-endian
//!   POSIX time followed by Ed25519 over `cosignature/v1\ntime <T>\n<text>`.
//!
//! A note must be UTF-8 without ASCII control characters (below U+0020) other than newline,
//! and key names must be non-empty without Unicode spaces or '+', exactly as the spec says.
//! Verification ignores signatures from unknown keys (a key is its name and key hash together),
//! fails on a bad signature by a known one, and requires at least one known, valid signature.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sigil_keys::{PublicKey, Scheme, SignError, Signer};

use crate::clock::Clock;

/// The prefix of a signature line: an em dash (U+2014) and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";
/// The signature type byte of Ed25519 note keys.
const ED25519_TYPE: u8 = 0x01;
/// The signature type byte of Ed25519 `cosignature/v1` witness keys.
const COSIGNATURE_TYPE: u8 = 0x04;
/// The header line of the message a `cosignature/v1` signs.
const COSIGNATURE_HEADER: &str = "cosignature/v1\n";
/// The most signature lines a note may carry, as the Go implementation allows.
pub const MAX_SIGNATURES: usize = 100;

/// What a note key signs, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// Ed25519 over the note text (signature type 0x01): log keys.
    Ed25519,
    /// A timestamped `cosignature/v1` (signature type 0x04): witness keys.
    Cosignature,
}

impl KeyKind {
    fn type_byte(self) -> u8 {
        match self {
            Self::Ed25519 => ED25519_TYPE,
            Self::Cosignature => COSIGNATURE_TYPE,
        }
    }
}

/// Why a note could not be signed, parsed or verified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    #[error(
        "invalid note key name {name:?}: it must be non-empty, without spaces, '+' or control characters"
    )]
    KeyName { name: String },
    #[error("note keys must be Ed25519, found a {found} key")]
    KeyScheme { found: Scheme },
    #[error(
        "malformed verifier key {found:?}: expected <name>+<8 hex digits>+<base64 of 0x01 or 0x04 and an Ed25519 key>"
    )]
    VerifierKey { found: String },
    #[error("verifier key {name} has key hash {found}, but its key hashes to {expected}")]
    VerifierKeyHash {
        name: String,
        expected: String,
        found: String,
    },
    #[error(
        "note text must end with a newline, and a note may hold no control characters (below U+0020) but newlines"
    )]
    Text,
    #[error("malformed note: {reason}")]
    Malformed { reason: &'static str },
    #[error("note has {found} signatures, more than the {limit} allowed")]
    TooManySignatures { found: usize, limit: usize },
    #[error("signing the note failed")]
    Sign(#[source] SignError),
    #[error("signature by {name} does not verify: the note was altered or forged")]
    BadSignature { name: String },
    #[error(
        "cosignature by {name} is not an 8-byte time and a 64-byte Ed25519 signature, or its time is beyond 2^63-1"
    )]
    MalformedCosignature { name: String },
    #[error("no signature is by a trusted key (signed by: {})", .names.join(", "))]
    NoTrustedSignature { names: Vec<String> },
}

/// The 4-byte key hash of an Ed25519 note key of `kind`.
fn key_hash(name: &str, kind: KeyKind, raw: &[u8; 32]) -> [u8; 4] {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    context.update(name.as_bytes());
    context.update(b"\n");
    context.update(&[kind.type_byte()]);
    context.update(raw);
    let digest = context.finish();
    let mut out = [0u8; 4];
    out.copy_from_slice(&digest.as_ref()[..4]);
    out
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c < ' ')
    {
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

/// The message a `cosignature/v1` at `time` signs over note `text`.
fn cosigned_message(time: u64, text: &str) -> String {
    format!("{COSIGNATURE_HEADER}time {time}\n{text}")
}

/// A named key that signs notes, through a [`Signer`].
pub struct NoteSigner<'a> {
    name: String,
    kind: KeyKind,
    hash: [u8; 4],
    signer: &'a dyn Signer,
    clock: Option<&'a dyn Clock>,
}

impl fmt::Debug for NoteSigner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "NoteSigner({} {} {:?})",
            self.name,
            hex::encode(self.hash),
            self.kind
        )
    }
}

impl<'a> NoteSigner<'a> {
    /// A note signer named `name` (for a log, conventionally its origin) for an Ed25519 key.
    pub fn new(name: impl Into<String>, signer: &'a dyn Signer) -> Result<Self, NoteError> {
        Self::with_kind(name.into(), KeyKind::Ed25519, signer, None)
    }

    /// A witness that signs `cosignature/v1` cosignatures named `name` with an Ed25519 key,
    /// timestamped from `clock`.
    pub fn cosigner(
        name: impl Into<String>,
        signer: &'a dyn Signer,
        clock: &'a dyn Clock,
    ) -> Result<Self, NoteError> {
        Self::with_kind(name.into(), KeyKind::Cosignature, signer, Some(clock))
    }

    fn with_kind(
        name: String,
        kind: KeyKind,
        signer: &'a dyn Signer,
        clock: Option<&'a dyn Clock>,
    ) -> Result<Self, NoteError> {
        check_name(&name)?;
        let raw = ed25519_raw(signer.public_key())?;
        Ok(Self {
            hash: key_hash(&name, kind, &raw),
            name,
            kind,
            signer,
            clock,
        })
    }

    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    #[must_use]
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The verifier that checks this signer's signatures.
    #[must_use]
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            kind: self.kind,
            hash: self.hash,
            key: self.signer.public_key().clone(),
        }
    }

    /// The signature line for `text`, with its trailing newline.
    pub fn signature_line(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        let mut blob = self.hash.to_vec();
        match (self.kind, self.clock) {
            (KeyKind::Cosignature, Some(clock)) => {
                // Times before 1970 are not representable; a clock set that far back signs 0.
                let time = u64::try_from(clock.now().unix_seconds()).unwrap_or(0);
                let message = cosigned_message(time, text);
                let signature = self
                    .signer
                    .sign(message.as_bytes())
                    .map_err(NoteError::Sign)?;
                blob.extend_from_slice(&time.to_be_bytes());
                blob.extend_from_slice(&signature);
            }
            _ => {
                let signature = self.signer.sign(text.as_bytes()).map_err(NoteError::Sign)?;
                blob.extend_from_slice(&signature);
            }
        }
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
    kind: KeyKind,
    hash: [u8; 4],
    key: PublicKey,
}

impl NoteVerifier {
    /// A verifier for an Ed25519 public key under `name`, of plain note signatures.
    pub fn new(name: impl Into<String>, key: PublicKey) -> Result<Self, NoteError> {
        Self::of_kind(name, KeyKind::Ed25519, key)
    }

    /// A verifier of `kind` for an Ed25519 public key under `name`.
    pub fn of_kind(
        name: impl Into<String>,
        kind: KeyKind,
        key: PublicKey,
    ) -> Result<Self, NoteError> {
        let name = name.into();
        check_name(&name)?;
        let raw = ed25519_raw(&key)?;
        Ok(Self {
            hash: key_hash(&name, kind, &raw),
            name,
            kind,
            key,
        })
    }

    /// Reads the text form of a verifier key, `<name>+<hex key hash>+<base64(type || key)>`,
    /// as the Go note package and witnesses publish them: type 0x01 is a plain note key, 0x04 a
    /// `cosignature/v1` witness key.
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
        let kind = match decoded.split_first() {
            Some((&ED25519_TYPE, _)) => KeyKind::Ed25519,
            Some((&COSIGNATURE_TYPE, _)) => KeyKind::Cosignature,
            _ => return Err(malformed()),
        };
        let key = PublicKey::ed25519_from_bytes(&decoded[1..]).map_err(|_| malformed())?;
        if hash.len() != 8 || hash.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(malformed());
        }
        let verifier = Self::of_kind(name, kind, key)?;
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
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    #[must_use]
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// Whether `signature` is by this key: same name and key hash.
    fn matches(&self, signature: &NoteSignature) -> bool {
        self.name == signature.name && self.hash == signature.key_hash
    }

    /// Checks `signature` over note `text`; returns the cosignature's time, if it is one.
    fn check(&self, text: &str, signature: &NoteSignature) -> Result<Option<u64>, NoteError> {
        let bad = || NoteError::BadSignature {
            name: signature.name.clone(),
        };
        match self.kind {
            KeyKind::Ed25519 => {
                self.key
                    .verify(text.as_bytes(), &signature.signature)
                    .map_err(|_| bad())?;
                Ok(None)
            }
            KeyKind::Cosignature => {
                let malformed = || NoteError::MalformedCosignature {
                    name: signature.name.clone(),
                };
                if signature.signature.len() != 8 + 64 {
                    return Err(malformed());
                }
                let (time, ed25519) = signature.signature.split_at(8);
                let mut be = [0u8; 8];
                be.copy_from_slice(time);
                let time = u64::from_be_bytes(be);
                if time > i64::MAX as u64 {
                    return Err(malformed());
                }
                self.key
                    .verify(cosigned_message(time, text).as_bytes(), ed25519)
                    .map_err(|_| bad())?;
                Ok(Some(time))
            }
        }
    }
}

impl fmt::Display for NoteVerifier {
    /// The text form [`NoteVerifier::parse`] reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut blob = vec![self.kind.type_byte()];
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

/// A signature that verified against a trusted key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    pub name: String,
    pub kind: KeyKind,
    /// The POSIX time a `cosignature/v1` states; `None` for a plain signature.
    pub time: Option<u64>,
}

/// A signed note, parsed but not verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

/// Whether `text` holds an ASCII control character other than newline: the one character
/// class the signed-note spec forbids (DEL and U+0080..U+009F are allowed).
fn has_forbidden_control(text: &str) -> bool {
    text.bytes().any(|b| b < 0x20 && b != b'\n')
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') || has_forbidden_control(text) {
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
        // The whole note, signature lines and key names included, is held to the text rules.
        if has_forbidden_control(note) {
            return Err(NoteError::Text);
        }
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
            signatures.push(parse_signature_line(line)?);
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Checks every signature by a key in `verifiers` and returns those that verified, in note
    /// order, one per key. Signatures by other keys are ignored; a bad signature by a known key
    /// fails the whole note. Unlike [`SignedNote::verify`], an empty result is not an error.
    pub fn verify_signatures(
        &self,
        verifiers: &[NoteVerifier],
    ) -> Result<Vec<VerifiedSignature>, NoteError> {
        let mut verified: Vec<VerifiedSignature> = Vec::new();
        for signature in &self.signatures {
            let Some(verifier) = verifiers.iter().find(|v| v.matches(signature)) else {
                continue;
            };
            let time = verifier.check(&self.text, signature)?;
            if !verified
                .iter()
                .any(|v| v.name == signature.name && v.kind == verifier.kind)
            {
                verified.push(VerifiedSignature {
                    name: signature.name.clone(),
                    kind: verifier.kind,
                    time,
                });
            }
        }
        Ok(verified)
    }

    /// Verifies the note against `verifiers`: returns the names of the trusted keys whose
    /// signatures verified. Signatures by keys not in `verifiers` are ignored.
    pub fn verify(&self, verifiers: &[NoteVerifier]) -> Result<Vec<String>, NoteError> {
        let verified = self.verify_signatures(verifiers)?;
        if verified.is_empty() {
            return Err(NoteError::NoTrustedSignature {
                names: self.signatures.iter().map(|s| s.name.clone()).collect(),
            });
        }
        let mut names: Vec<String> = Vec::new();
        for signature in verified {
            if !names.contains(&signature.name) {
                names.push(signature.name);
            }
        }
        Ok(names)
    }
}

/// Parses one signature line (without its newline).
pub fn parse_signature_line(line: &str) -> Result<NoteSignature, NoteError> {
    if has_forbidden_control(line) {
        return Err(NoteError::Text);
    }
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
    Ok(NoteSignature {
        name: name.to_owned(),
        key_hash,
        signature: blob[4..].to_vec(),
    })
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

    #[test]
    fn control_characters_are_judged_as_the_spec_says() {
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let signer = NoteSigner::new("log", &key).unwrap();
        // DEL and C1 controls are not ASCII controls below U+0020: the spec allows them.
        for text in ["del \u{7f}\n", "c1 \u{85}\u{9f}\n"] {
            let note = sign_note(text, &[&signer]).unwrap();
            let parsed = SignedNote::parse(&note).unwrap();
            assert_eq!(parsed.verify(&[signer.verifier()]).unwrap(), ["log"]);
        }
        // U+0001 in a key name, on a signature line, is refused.
        let note = sign_note("hello\n", &[&signer]).unwrap();
        let renamed = note.replace("\u{2014} log ", "\u{2014} lo\u{1}g ");
        assert!(matches!(SignedNote::parse(&renamed), Err(NoteError::Text)));
        assert!(matches!(
            NoteSigner::new("lo\u{1}g", &key),
            Err(NoteError::KeyName { .. })
        ));
        assert!(matches!(
            sign_note("carriage\r\n", &[&signer]),
            Err(NoteError::Text)
        ));
    }

    #[test]
    fn cosignature_round_trips_and_states_its_time() {
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let clock = crate::clock::FixedClock(
            crate::clock::Timestamp::from_unix_seconds(1_679_315_147).unwrap(),
        );
        let witness = NoteSigner::cosigner("witness.example/w1", &key, &clock).unwrap();
        let note = sign_note("log\n1\nAAAA\n", &[&witness]).unwrap();
        let parsed = SignedNote::parse(&note).unwrap();
        let blob = &parsed.signatures[0].signature;
        assert_eq!(blob.len(), 72);
        assert_eq!(&blob[..8], &1_679_315_147u64.to_be_bytes());
        let verified = parsed.verify_signatures(&[witness.verifier()]).unwrap();
        assert_eq!(verified[0].time, Some(1_679_315_147));
        assert_eq!(verified[0].kind, KeyKind::Cosignature);
        // The verifier key text carries type 0x04 and reads back.
        let vkey = witness.verifier().to_string();
        assert_eq!(NoteVerifier::parse(&vkey).unwrap(), witness.verifier());
        // The same key as a plain note key is another key: its signatures are not counted.
        let plain = NoteVerifier::new("witness.example/w1", key.public_key().clone()).unwrap();
        assert!(matches!(
            parsed.verify(&[plain]),
            Err(NoteError::NoTrustedSignature { .. })
        ));
    }

    #[test]
    fn cosignature_with_a_changed_time_fails() {
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let clock = crate::clock::FixedClock(
            crate::clock::Timestamp::from_unix_seconds(1_700_000_000).unwrap(),
        );
        let witness = NoteSigner::cosigner("w", &key, &clock).unwrap();
        let note = sign_note("log\n1\nAAAA\n", &[&witness]).unwrap();
        let mut parsed = SignedNote::parse(&note).unwrap();
        parsed.signatures[0].signature[7] ^= 1;
        assert!(matches!(
            parsed.verify(&[witness.verifier()]),
            Err(NoteError::BadSignature { .. })
        ));
        parsed.signatures[0].signature.truncate(70);
        assert!(matches!(
            parsed.verify(&[witness.verifier()]),
            Err(NoteError::MalformedCosignature { .. })
        ));
    }
}
