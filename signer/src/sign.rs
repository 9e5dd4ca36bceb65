//! Signing files: each `FILE` gets a `FILE.minisig` beside it.

use std::ffi::OsString;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use sigil_keys::LocalSigner;
use sigil_keys::keyfile::{KeyFileError, Overwrite, write_public_file};
use sigil_keys::minisign::{MinisignError, MinisignSignature, SignOptions, sign_reader};

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

/// Signs `file` (streamed, prehashed) and writes its signature to `file.minisig` atomically.
/// Returns the signature and where it was written.
pub fn sign_file(
    signer: &LocalSigner,
    file: &Path,
    comments: &Comments,
) -> Result<(MinisignSignature, PathBuf), SignFileError> {
    let read_error = |source| SignFileError::Read {
        path: file.to_owned(),
        source,
    };
    let handle = File::open(file).map_err(read_error)?;
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
    let signature = sign_reader(
        signer,
        signer.key_number(),
        BufReader::with_capacity(1 << 20, handle),
        &options,
    )
    .map_err(|source| SignFileError::Sign {
        path: file.to_owned(),
        source,
    })?;
    let output = signature_path(file);
    write_public_file(&output, signature.encode().as_bytes(), Overwrite::Replace)?;
    Ok((signature, output))
}
