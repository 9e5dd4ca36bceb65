//! Signing files: each `FILE` gets a `FILE.minisig` beside it.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use sigil_keys::LocalSigner;
use sigil_keys::keyfile::{KeyFileError, Overwrite, write_public_file};
use sigil_keys::minisign::{
    MinisignError, MinisignSignature, Prehasher, SignOptions, sign_prehash,
};

use crate::pipeline::read_twice_hashed;

/// Comments for the signatures of one run.
#[derive(Debug, Clone, Default)]
pub struct Comments {
    /// Signed. `None` gives minisign's default (timestamp, file name, `hashed`).
    pub trusted: Option<String>,
    /// Not signed. `None` gives minisign's default.
    pub untrusted: Option<String>,
}

/// Why a file could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignFileError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Sign {
        path: PathBuf,
        #[source]
        source: MinisignError,
    },
    #[error(transparent)]
    Write(#[from] KeyFileError),
}

/// The signature path for `file`: `file` with `.minisig` appended.
#[must_use]
pub fn signature_path(file: &Path) -> PathBuf {
    let mut name = OsString::from(file.as_os_str());
    name.push(".minisig");
    PathBuf::from(name)
}

/// A file that was signed.
#[derive(Debug, Clone)]
pub struct SignedFile {
    pub signature: MinisignSignature,
    /// Where the signature was written.
    pub signature_path: PathBuf,
    /// SHA-256 of the signed file, computed in the same pass that signed it.
    pub sha256: [u8; 32],
}

/// Signs `file` (streamed, prehashed) and writes its signature to `file.minisig` atomically.
///
/// The file is read once: SHA-256 (which the custody log records) is computed on the reading
/// thread, the BLAKE2b prehash on a second one, in a few fixed buffers.
pub fn sign_file(
    signer: &LocalSigner,
    file: &Path,
    comments: &Comments,
) -> Result<SignedFile, SignFileError> {
    let mut sha256 = ring::digest::Context::new(&ring::digest::SHA256);
    let (signature, signature_path) =
        sign_file_hashing(signer, file, comments, |chunk| sha256.update(chunk))?;
    let mut digest = [0u8; 32];
    digest.copy_from_slice(sha256.finish().as_ref());
    Ok(SignedFile {
        signature,
        signature_path,
        sha256: digest,
    })
}

/// Signs `file` as [`sign_file`] does, without computing its SHA-256: for a signature that is
/// not recorded in a custody log. Returns the signature and where it was written.
pub fn sign_file_unlogged(
    signer: &LocalSigner,
    file: &Path,
    comments: &Comments,
) -> Result<(MinisignSignature, PathBuf), SignFileError> {
    sign_file_hashing(signer, file, comments, |_| {})
}

/// Signs `file`, giving each chunk read to `also` on the reading thread.
fn sign_file_hashing(
    signer: &LocalSigner,
    file: &Path,
    comments: &Comments,
    also: impl FnMut(&[u8]),
) -> Result<(MinisignSignature, PathBuf), SignFileError> {
    let read_error = |source| SignFileError::Read {
        path: file.to_owned(),
        source,
    };
    let sign_error = |source| SignFileError::Sign {
        path: file.to_owned(),
        source,
    };
    let options = SignOptions {
        trusted_comment: comments.trusted.clone(),
        untrusted_comment: comments.untrusted.clone(),
        file_name: file
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
        timestamp: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs()),
    };
    // A comment minisign could not read back is refused before the file is read.
    options.check(signer).map_err(sign_error)?;
    let handle = File::open(file).map_err(read_error)?;
    let mut prehasher = Prehasher::new();
    read_twice_hashed(handle, also, |chunk| prehasher.update(chunk)).map_err(read_error)?;
    let signature = sign_prehash(signer, signer.key_number(), &prehasher.finish(), &options)
        .map_err(sign_error)?;
    let output = signature_path(file);
    write_public_file(&output, signature.encode().as_bytes(), Overwrite::Replace)?;
    Ok((signature, output))
}
