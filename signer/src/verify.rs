//! Verifying a file against a minisign signature and public key.

use std::fs::File;
use std::path::{Path, PathBuf};

use sigil_keys::keyfile::{KeyFileError, read_public_file};
use sigil_keys::minisign::{
    LegacyMode, MAX_SIGNATURE_FILE_BYTES, MinisignError, MinisignPublicKey, MinisignSignature,
    StreamVerifier, VerifiedSignature, verify_reader,
};

use crate::pipeline::read_twice_hashed;

/// The largest public key file read.
const MAX_PUBLIC_KEY_FILE_BYTES: u64 = 4096;

/// Why a file did not verify, split by whose fault it is: the signature's (a verification
/// failure) or the operation's (a file that could not be read, a key that is not a key).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyFileError {
    /// The signature is wrong for this file and key, or is not a valid signature at all.
    #[error("{path}: {source}")]
    Rejected {
        path: PathBuf,
        #[source]
        source: MinisignError,
    },
    /// The public key could not be read.
    #[error("public key {origin}: {source}")]
    PublicKey {
        origin: String,
        #[source]
        source: MinisignError,
    },
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    File(#[from] KeyFileError),
}

impl VerifyFileError {
    /// Whether this is a verification failure (the signature was refused), as opposed to an
    /// operational error.
    #[must_use]
    pub fn is_rejection(&self) -> bool {
        matches!(self, Self::Rejected { .. })
    }
}

/// Reads a public key file, as `minisign -G` or `sigil-signer keygen` writes it.
pub fn read_public_key(path: &Path) -> Result<MinisignPublicKey, VerifyFileError> {
    let text = read_public_file(path, MAX_PUBLIC_KEY_FILE_BYTES)?;
    MinisignPublicKey::decode(&text).map_err(|source| VerifyFileError::PublicKey {
        origin: path.display().to_string(),
        source,
    })
}

/// Reads a public key given as its base64 line, as `minisign -P` takes it.
pub fn parse_public_key(base64: &str) -> Result<MinisignPublicKey, VerifyFileError> {
    MinisignPublicKey::from_base64(base64).map_err(|source| VerifyFileError::PublicKey {
        origin: "given on the command line".to_owned(),
        source,
    })
}

/// Verifies `file` against the signature in `signature` (streamed: memory does not grow with
/// the file).
///
/// The key number and the trusted comment's signature are checked before the file is read;
/// the file is then read on one thread and hashed on another.
pub fn verify_file(
    public_key: &MinisignPublicKey,
    file: &Path,
    signature: &Path,
    legacy: LegacyMode,
) -> Result<VerifiedSignature, VerifyFileError> {
    let text = read_public_file(signature, MAX_SIGNATURE_FILE_BYTES as u64)?;
    let rejected = |source| VerifyFileError::Rejected {
        path: file.to_owned(),
        source,
    };
    let parsed = MinisignSignature::decode(&text).map_err(|source| VerifyFileError::Rejected {
        path: signature.to_owned(),
        source,
    })?;
    let read_error = |source| VerifyFileError::Read {
        path: file.to_owned(),
        source,
    };
    let handle = File::open(file).map_err(read_error)?;
    if !parsed.prehashed {
        // A legacy signature covers the file itself: verify_reader refuses it, or holds the
        // file in memory when legacy signatures are allowed.
        return verify_reader(public_key, &parsed, handle, legacy).map_err(|source| match source {
            MinisignError::Io(source) => read_error(source),
            source => rejected(source),
        });
    }
    let mut verifier = StreamVerifier::new(public_key, &parsed).map_err(rejected)?;
    read_twice_hashed(handle, |_| {}, |chunk| verifier.update(chunk)).map_err(read_error)?;
    verifier.finish().map_err(rejected)
}
