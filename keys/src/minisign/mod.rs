//! The minisign formats, byte-compatible with the `minisign` 0.11 CLI.
//!
//! - public keys: `untrusted comment: ...` then base64(`Ed` || key number (8) || Ed25519 key (32));
//! - secret keys: base64(`Ed` || kdf `Sc` or `\0\0` || `B2` || salt (32) || opslimit (8, LE) ||
//!   memlimit (8, LE) || [key number (8) || secret key (64) || BLAKE2b-256 checksum (32)]), the
//!   bracketed part XORed with scrypt(password) when encrypted;
//! - signatures: untrusted comment, base64(`ED` || key number || Ed25519(BLAKE2b-512(file))), the
//!   trusted comment, and base64(Ed25519(signature || trusted comment)). `Ed` marks a legacy
//!   signature over the file itself, accepted only on request.
//!
//! Signing and verification hash the file as a stream ([`Prehasher`], [`StreamVerifier`]), so
//! memory stays constant whatever the artifact's size, and a pipeline that reads the artifact
//! for other reasons can feed the same chunks.

mod kdf;
mod keys;
mod prehash;
mod signature;

use std::fmt;

pub use keys::{KdfStrength, MinisignPublicKey, MinisignSecretKey};
pub use prehash::{PREHASH_BYTES, Prehash, Prehasher, StreamVerifier, verify_prehash};
pub use signature::{
    LegacyMode, MAX_SIGNATURE_FILE_BYTES, MinisignSignature, SignOptions, VerifiedSignature,
    sign_prehash, sign_reader, verify_reader,
};

/// A minisign key number: 8 random bytes chosen at key generation, carried by every signature.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyNumber(pub [u8; 8]);

impl KeyNumber {
    /// A key number for an Ed25519 key that was not made by minisign: the first 8 bytes of the
    /// SHA-256 of its public key, so the same key always gets the same number.
    #[must_use]
    pub fn derived_from(public_key: &[u8; 32]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, public_key);
        let mut number = [0u8; 8];
        number.copy_from_slice(&digest.as_ref()[..8]);
        Self(number)
    }
}

impl fmt::Display for KeyNumber {
    /// As minisign prints it: the bytes read as a little-endian integer, in upper-case hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016X}", u64::from_le_bytes(self.0))
    }
}

impl fmt::Debug for KeyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyNumber({self})")
    }
}

/// Why minisign data could not be read, or a signature was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MinisignError {
    #[error("{what} is truncated: expected {expected}, found {found}")]
    Truncated {
        what: &'static str,
        expected: &'static str,
        found: String,
    },
    #[error("{what}: line {line} should start with {prefix:?}")]
    MissingPrefix {
        what: &'static str,
        line: usize,
        prefix: &'static str,
    },
    #[error("{what}: line {line} is not valid base64")]
    Base64 { what: &'static str, line: usize },
    #[error("{what}: expected {expected} bytes after base64 decoding, found {found}")]
    Length {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("{what}: unsupported algorithm {found:?} (expected {expected})")]
    Algorithm {
        what: &'static str,
        found: String,
        expected: &'static str,
    },
    #[error("{what}: line {line} is longer than the {limit} bytes minisign allows")]
    LineTooLong {
        what: &'static str,
        line: usize,
        limit: usize,
    },
    #[error("{what}: comment contains unprintable or line-breaking characters")]
    Unprintable { what: &'static str },
    #[error("the secret key is encrypted: a password is needed")]
    PasswordRequired,
    #[error("cannot decrypt the secret key: wrong password, or the key file is corrupted")]
    WrongPassword,
    #[error("the secret key's checksum does not match: the key file is corrupted")]
    Checksum,
    #[error("the secret key's public half does not match its seed: the key file is corrupted")]
    Inconsistent,
    #[error(
        "the key file asks scrypt for {requested} bytes of memory, more than the {limit} allowed"
    )]
    KdfTooCostly { requested: u64, limit: u64 },
    #[error("minisign signing needs an Ed25519 key, this signer holds a {0} key")]
    NotEd25519(crate::Scheme),
    #[error("the system random number generator failed")]
    Random,
    #[error("signing failed: {0}")]
    Sign(#[from] crate::SignError),
    #[error(
        "wrong key: the signature was made by key {signature}, the public key given is {public_key}"
    )]
    WrongKey {
        signature: KeyNumber,
        public_key: KeyNumber,
    },
    #[error(
        "the trusted comment or the signature was altered: the comment signature does not verify \
         under key {0}"
    )]
    TrustedCommentTampered(KeyNumber),
    #[error("the file does not match the signature: its content was altered (key {0})")]
    ContentMismatch(KeyNumber),
    #[error(
        "legacy (non-prehashed) signature: refused unless legacy signatures are explicitly allowed"
    )]
    LegacyRefused,
    #[error("reading the signed data failed: {0}")]
    Io(#[from] std::io::Error),
}
