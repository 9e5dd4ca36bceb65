//! minisign's prehash (BLAKE2b-512 of the signed data) computed as a stream, and verification
//! of a signature against data fed in chunks.
//!
//! A download pipeline that already reads the artifact once (to compute TUF's SHA-256, to write
//! it to disk) feeds the same chunks to a [`StreamVerifier`] and calls
//! [`StreamVerifier::finish`] at the end: the artifact is never read twice and memory does not
//! grow with its size.
//!
//! ```
//! use sigil_keys::minisign::{MinisignSecretKey, SignOptions, StreamVerifier, sign_reader};
//!
//! let key = MinisignSecretKey::generate()?;
//! let options = SignOptions {
//!     trusted_comment: None,
//!     untrusted_comment: None,
//!     file_name: "app.tar.gz".into(),
//!     timestamp: 0,
//! };
//! let data = b"the release artifact".repeat(1000);
//! let signature = sign_reader(key.private_key(), key.key_number(), &data[..], &options)?;
//!
//! // The key number and the trusted comment's signature are checked before any data is read.
//! let mut verifier = StreamVerifier::new(&key.public_key(), &signature)?;
//! for chunk in data.chunks(4096) {
//!     verifier.update(chunk);
//! }
//! let verified = verifier.finish()?;
//! assert_eq!(verified.length, data.len() as u64);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use blake2::{Blake2b512, Digest};

use super::signature::{check_header, verified};
use super::{MinisignError, MinisignPublicKey, MinisignSignature, VerifiedSignature};
use crate::public::PublicKey;

/// The length of minisign's prehash: BLAKE2b-512.
pub const PREHASH_BYTES: usize = 64;

/// BLAKE2b-512 of data fed in chunks: what a prehashed minisign signature signs.
///
/// It is `Send`, so a pipeline can run it on a thread of its own.
#[derive(Clone)]
pub struct Prehasher {
    state: Blake2b512,
    length: u64,
}

impl Prehasher {
    /// A hasher that has seen no data.
    #[must_use]
    pub fn new() -> Self {
        Self {
            state: Blake2b512::new(),
            length: 0,
        }
    }

    /// Feeds the next chunk of the data.
    pub fn update(&mut self, chunk: &[u8]) {
        self.state.update(chunk);
        self.length += chunk.len() as u64;
    }

    /// How many bytes have been fed so far.
    #[must_use]
    pub fn length(&self) -> u64 {
        self.length
    }

    /// The prehash of everything fed.
    #[must_use]
    pub fn finish(self) -> Prehash {
        Prehash {
            digest: self.state.finalize().into(),
            length: self.length,
        }
    }
}

impl Default for Prehasher {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Prehasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Prehasher({} bytes)", self.length)
    }
}

impl std::io::Write for Prehasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The BLAKE2b-512 prehash of some data, and how long the data was.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Prehash {
    digest: [u8; PREHASH_BYTES],
    length: u64,
}

impl Prehash {
    /// The prehash of `data`, in one call.
    #[must_use]
    pub fn of(data: &[u8]) -> Self {
        let mut hasher = Prehasher::new();
        hasher.update(data);
        hasher.finish()
    }

    /// The 64-byte digest, which the Ed25519 signature of a prehashed signature covers.
    #[must_use]
    pub fn digest(&self) -> &[u8; PREHASH_BYTES] {
        &self.digest
    }

    /// How many bytes were hashed.
    #[must_use]
    pub fn length(&self) -> u64 {
        self.length
    }
}

impl fmt::Debug for Prehash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Prehash({}, {} bytes)",
            hex::encode(self.digest),
            self.length
        )
    }
}

/// Checks a prehashed minisign signature against data fed in chunks.
///
/// [`StreamVerifier::new`] checks what does not need the data (the key number, the signature
/// over the trusted comment, that the signature is prehashed), so a pipeline can refuse before
/// it downloads anything; [`StreamVerifier::finish`] checks the data.
#[derive(Debug, Clone)]
pub struct StreamVerifier {
    public_key: MinisignPublicKey,
    signature: MinisignSignature,
    hasher: Prehasher,
}

impl StreamVerifier {
    /// Starts verifying `signature` under `public_key`.
    ///
    /// Refuses a signature made by another key ([`MinisignError::WrongKey`]), one whose
    /// trusted comment was altered ([`MinisignError::TrustedCommentTampered`]), and a legacy
    /// signature ([`MinisignError::LegacyRefused`]), which covers the whole file rather than
    /// its hash and cannot be checked as a stream.
    pub fn new(
        public_key: &MinisignPublicKey,
        signature: &MinisignSignature,
    ) -> Result<Self, MinisignError> {
        check_header(public_key, signature)?;
        if !signature.prehashed {
            return Err(MinisignError::LegacyRefused);
        }
        Ok(Self {
            public_key: public_key.clone(),
            signature: signature.clone(),
            hasher: Prehasher::new(),
        })
    }

    /// Feeds the next chunk of the data.
    pub fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
    }

    /// How many bytes have been fed so far.
    #[must_use]
    pub fn length(&self) -> u64 {
        self.hasher.length()
    }

    /// Checks the signature over everything fed: [`MinisignError::ContentMismatch`] if the data
    /// is not what was signed.
    pub fn finish(self) -> Result<VerifiedSignature, MinisignError> {
        verify_prehash(&self.public_key, &self.signature, &self.hasher.finish())
    }
}

/// Checks the data's signature against a prehash the caller computed with a [`Prehasher`].
///
/// Runs every check [`StreamVerifier`] runs; use it when the prehash is computed apart from
/// the verifier (on a hashing thread that also computes other digests).
pub fn verify_prehash(
    public_key: &MinisignPublicKey,
    signature: &MinisignSignature,
    prehash: &Prehash,
) -> Result<VerifiedSignature, MinisignError> {
    check_header(public_key, signature)?;
    if !signature.prehashed {
        return Err(MinisignError::LegacyRefused);
    }
    PublicKey::Ed25519(public_key.key)
        .verify(prehash.digest(), &signature.signature)
        // The comment signature verified, so the signature bytes are the signer's own: a
        // failure here means the data changed.
        .map_err(|_| MinisignError::ContentMismatch(public_key.key_number))?;
    Ok(verified(signature, prehash.length()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // BLAKE2b-512 test vectors (RFC 7693 appendix A and the empty string).
    #[test]
    fn prehash_is_blake2b_512() {
        assert_eq!(
            hex::encode(Prehash::of(b"abc").digest()),
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1\
             7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
        );
        assert_eq!(
            hex::encode(Prehash::of(b"").digest()),
            "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419\
             d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce"
        );
    }

    #[test]
    fn hashers_can_move_to_a_hashing_thread() {
        let mut hasher = Prehasher::new();
        let handle = std::thread::spawn(move || {
            hasher.update(b"abc");
            hasher.finish()
        });
        assert_eq!(handle.join().ok(), Some(Prehash::of(b"abc")));
        fn send<T: Send>() {}
        send::<StreamVerifier>();
    }

    #[test]
    fn chunking_does_not_change_the_prehash() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let whole = Prehash::of(&data);
        for size in [1, 127, 128, 129, 4096, 65_537] {
            let mut hasher = Prehasher::new();
            for chunk in data.chunks(size) {
                hasher.update(chunk);
            }
            assert_eq!(hasher.length(), data.len() as u64);
            assert_eq!(hasher.finish(), whole, "chunks of {size}");
        }
    }
}
