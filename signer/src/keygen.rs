//! Generating a minisign key pair into files.

use std::path::{Path, PathBuf};

use sigil_keys::Password;
use sigil_keys::keyfile::{KeyFileError, Overwrite, write_public_file, write_secret_file};
use sigil_keys::minisign::{KdfStrength, MinisignError, MinisignSecretKey};

/// What to generate and where.
#[derive(Debug)]
pub struct KeygenRequest {
    secret_key: PathBuf,
    public_key: PathBuf,
    password: Option<Password>,
    strength: KdfStrength,
    overwrite: Overwrite,
}

/// Why a key pair could not be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeygenError {
    #[error("the secret key and the public key must be different files, both are {0}")]
    SamePath(PathBuf),
    #[error(transparent)]
    Key(#[from] MinisignError),
    #[error(transparent)]
    File(#[from] KeyFileError),
}

impl KeygenRequest {
    /// An encrypted key pair, or an unencrypted one if `password` is `None`.
    #[must_use]
    pub fn new(secret_key: &Path, public_key: &Path, password: Option<Password>) -> Self {
        Self {
            secret_key: secret_key.to_owned(),
            public_key: public_key.to_owned(),
            password,
            strength: KdfStrength::Sensitive,
            overwrite: Overwrite::Refuse,
        }
    }

    /// Replace existing key files instead of refusing.
    #[must_use]
    pub fn overwrite(mut self, overwrite: Overwrite) -> Self {
        self.overwrite = overwrite;
        self
    }

    /// The password KDF's cost (minisign's, [`KdfStrength::Sensitive`], by default).
    #[must_use]
    pub fn kdf_strength(mut self, strength: KdfStrength) -> Self {
        self.strength = strength;
        self
    }

    /// Generates the pair and writes both files: the secret key first, owner-only, so a failure
    /// never leaves a public key without its secret. Returns the secret key, still in memory,
    /// for a caller that records the new key in a custody log.
    pub fn generate(self) -> Result<MinisignSecretKey, KeygenError> {
        if self.secret_key == self.public_key {
            return Err(KeygenError::SamePath(self.secret_key));
        }
        if self.overwrite == Overwrite::Refuse {
            for path in [&self.secret_key, &self.public_key] {
                if path.exists() {
                    return Err(KeyFileError::Exists { path: path.clone() }.into());
                }
            }
        }
        let secret = MinisignSecretKey::generate()?;
        let text = secret.encode(self.password.as_ref(), self.strength)?;
        write_secret_file(&self.secret_key, text.as_bytes(), self.overwrite)?;
        let public = secret.public_key();
        write_public_file(&self.public_key, public.encode().as_bytes(), self.overwrite)?;
        Ok(secret)
    }
}
