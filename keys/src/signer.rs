//! The `Signer` trait, and the local implementation that holds a key from a file or from an
//! environment variable.
//!
//! Callers sign through `&dyn Signer`, so a KMS, HSM or PKCS#11 backend is a new implementation,
//! not a change to the code that signs.

use std::fmt;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use zeroize::Zeroizing;

use crate::keyfile::{KeyFileError, read_secret_file};
use crate::minisign::{KeyNumber, MinisignError, MinisignSecretKey};
use crate::private::{PrivateKey, PrivateKeyError};
use crate::public::PublicKey;
use crate::secret::Password;
use crate::tuf::KeyId;

/// Why a signature could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    #[error("key {key_id}: {source}")]
    Key {
        key_id: KeyId,
        #[source]
        source: PrivateKeyError,
    },
    #[error("signing backend {backend} failed for key {key_id}")]
    Backend {
        backend: &'static str,
        key_id: KeyId,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Something that signs bytes with one key.
pub trait Signer: Send + Sync {
    /// The public key that verifies this signer's signatures.
    fn public_key(&self) -> &PublicKey;

    /// The key's TUF key id.
    fn key_id(&self) -> KeyId {
        self.public_key().key_id()
    }

    /// Signs `message`: 64 bytes for Ed25519, a DER signature for ECDSA.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// Where a secret key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySource {
    /// A key file (minisign secret key, or PEM PKCS#8, encrypted or not), private to its owner.
    File(PathBuf),
    /// An environment variable holding the key file's text, or that text in base64 (as CI
    /// secret stores keep multi-line values).
    Env(String),
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "key file {}", path.display()),
            Self::Env(var) => write!(f, "environment variable {var}"),
        }
    }
}

/// Where the password of an encrypted key comes from. Consulted only if the key is encrypted.
#[non_exhaustive]
pub enum PasswordSource {
    /// No password: the key must be unencrypted.
    None,
    /// The value of an environment variable.
    Env(String),
    /// The first line of a file, which must be private to its owner.
    File(PathBuf),
    /// A password already in hand.
    Value(Password),
    /// Asked for when needed, for example by a terminal prompt in a binary.
    Prompt(Box<dyn Fn() -> std::io::Result<Password> + Send + Sync>),
}

impl fmt::Debug for PasswordSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("PasswordSource::None"),
            Self::Env(var) => write!(f, "PasswordSource::Env({var})"),
            Self::File(path) => write!(f, "PasswordSource::File({})", path.display()),
            Self::Value(_) => f.write_str("PasswordSource::Value([REDACTED])"),
            Self::Prompt(_) => f.write_str("PasswordSource::Prompt"),
        }
    }
}

/// Why a password could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    #[error("the key is encrypted and no password source was given")]
    Missing,
    #[error("environment variable {0} is not set (it should hold the key's password)")]
    EnvUnset(String),
    #[error("environment variable {0} is not valid Unicode")]
    EnvNotUnicode(String),
    #[error("password file: {0}")]
    File(#[source] KeyFileError),
    #[error("reading the password failed: {0}")]
    Prompt(#[source] std::io::Error),
    #[error("the password is empty")]
    Empty,
}

impl PasswordSource {
    /// Produces the password.
    pub fn password(&self) -> Result<Password, PasswordError> {
        let password = match self {
            Self::None => return Err(PasswordError::Missing),
            Self::Env(var) => match std::env::var(var) {
                Ok(value) => Password::from_line(value),
                Err(std::env::VarError::NotPresent) => {
                    return Err(PasswordError::EnvUnset(var.clone()));
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(PasswordError::EnvNotUnicode(var.clone()));
                }
            },
            Self::File(path) => {
                let text = read_secret_file(path).map_err(PasswordError::File)?;
                let first_line = text.lines().next().unwrap_or_default().to_owned();
                Password::from_line(first_line)
            }
            Self::Value(password) => password.clone(),
            Self::Prompt(ask) => ask().map_err(PasswordError::Prompt)?,
        };
        if password.is_empty() {
            return Err(PasswordError::Empty);
        }
        Ok(password)
    }
}

/// Why a signing key could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadKeyError {
    #[error(transparent)]
    File(#[from] KeyFileError),
    #[error("environment variable {0} is not set (it should hold a secret key)")]
    EnvUnset(String),
    #[error("environment variable {0} is not valid Unicode")]
    EnvNotUnicode(String),
    #[error(
        "{source_name} is not a secret key: expected a minisign secret key, a PEM PKCS#8 key, or \
         one of those in base64"
    )]
    UnknownFormat { source_name: String },
    #[error("{source_name}: {source}")]
    Minisign {
        source_name: String,
        #[source]
        source: MinisignError,
    },
    #[error("{source_name}: {source}")]
    Pkcs8 {
        source_name: String,
        #[source]
        source: PrivateKeyError,
    },
    #[error("{source_name}: {source}")]
    Password {
        source_name: String,
        #[source]
        source: PasswordError,
    },
}

/// A signer holding its key in this process: loaded from a [`KeySource`].
pub struct LocalSigner {
    key: PrivateKey,
    key_number: KeyNumber,
    source: KeySource,
}

impl LocalSigner {
    /// Loads the key from `source`, asking `password` only if the key is encrypted.
    pub fn load(source: KeySource, password: &PasswordSource) -> Result<Self, LoadKeyError> {
        let text = read_source(&source)?;
        Self::from_text(&text, source, password)
    }

    /// Wraps a key already in memory.
    #[must_use]
    pub fn from_private_key(
        key: PrivateKey,
        key_number: Option<KeyNumber>,
        source: KeySource,
    ) -> Self {
        let key_number = key_number.unwrap_or_else(|| derived_key_number(&key));
        Self {
            key,
            key_number,
            source,
        }
    }

    fn from_text(
        text: &str,
        source: KeySource,
        password: &PasswordSource,
    ) -> Result<Self, LoadKeyError> {
        let source_name = source.to_string();
        let trimmed = text.trim_start();
        if trimmed.starts_with("untrusted comment:") {
            let encrypted = MinisignSecretKey::is_encrypted(trimmed).map_err(|source| {
                LoadKeyError::Minisign {
                    source_name: source_name.clone(),
                    source,
                }
            })?;
            let password = if encrypted {
                Some(
                    password
                        .password()
                        .map_err(|source| LoadKeyError::Password {
                            source_name: source_name.clone(),
                            source,
                        })?,
                )
            } else {
                None
            };
            let secret =
                MinisignSecretKey::decode(trimmed, password.as_ref()).map_err(|source| {
                    LoadKeyError::Minisign {
                        source_name,
                        source,
                    }
                })?;
            let key_number = secret.key_number();
            Ok(Self {
                key: secret.into_private_key(),
                key_number,
                source,
            })
        } else if trimmed.starts_with("-----BEGIN") {
            let password = if trimmed.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
                Some(
                    password
                        .password()
                        .map_err(|source| LoadKeyError::Password {
                            source_name: source_name.clone(),
                            source,
                        })?,
                )
            } else {
                None
            };
            let key = PrivateKey::from_pkcs8_pem(trimmed, password.as_ref()).map_err(|source| {
                LoadKeyError::Pkcs8 {
                    source_name,
                    source,
                }
            })?;
            Ok(Self::from_private_key(key, None, source))
        } else {
            Err(LoadKeyError::UnknownFormat { source_name })
        }
    }

    /// The minisign key number of this key: the one in its minisign key file, or derived from
    /// the public key (see [`KeyNumber::derived_from`]) for keys from other formats.
    #[must_use]
    pub fn key_number(&self) -> KeyNumber {
        self.key_number
    }

    /// Where the key was loaded from.
    #[must_use]
    pub fn source(&self) -> &KeySource {
        &self.source
    }

    #[must_use]
    pub fn private_key(&self) -> &PrivateKey {
        &self.key
    }
}

fn derived_key_number(key: &PrivateKey) -> KeyNumber {
    match key.public_key() {
        PublicKey::Ed25519(raw) => KeyNumber::derived_from(raw),
        // Only Ed25519 keys make minisign signatures; the number is unused for the others.
        _ => KeyNumber([0; 8]),
    }
}

fn read_source(source: &KeySource) -> Result<Zeroizing<String>, LoadKeyError> {
    match source {
        KeySource::File(path) => Ok(read_secret_file(path)?),
        KeySource::Env(var) => {
            let value = match std::env::var(var) {
                Ok(value) => Zeroizing::new(value),
                Err(std::env::VarError::NotPresent) => {
                    return Err(LoadKeyError::EnvUnset(var.clone()));
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(LoadKeyError::EnvNotUnicode(var.clone()));
                }
            };
            key_text_from_env_value(&value).ok_or_else(|| LoadKeyError::UnknownFormat {
                source_name: source.to_string(),
            })
        }
    }
}

/// A key file's text from an environment variable's value: the text itself, or the text in
/// base64 (whitespace allowed), as CI secret stores often keep multi-line values.
fn key_text_from_env_value(value: &str) -> Option<Zeroizing<String>> {
    let trimmed = value.trim();
    if trimmed.starts_with("untrusted comment:") || trimmed.starts_with("-----BEGIN") {
        return Some(Zeroizing::new(trimmed.to_owned()));
    }
    let compact: Zeroizing<String> = Zeroizing::new(trimmed.split_whitespace().collect());
    let bytes = Zeroizing::new(BASE64.decode(compact.as_bytes()).ok()?);
    let text = std::str::from_utf8(&bytes).ok()?.trim();
    (text.starts_with("untrusted comment:") || text.starts_with("-----BEGIN"))
        .then(|| Zeroizing::new(text.to_owned()))
}

impl Signer for LocalSigner {
    fn public_key(&self) -> &PublicKey {
        self.key.public_key()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        self.key.sign(message).map_err(|source| SignError::Key {
            key_id: self.key_id(),
            source,
        })
    }
}

impl Signer for PrivateKey {
    fn public_key(&self) -> &PublicKey {
        PrivateKey::public_key(self)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        PrivateKey::sign(self, message).map_err(|source| SignError::Key {
            key_id: self.public_key().key_id(),
            source,
        })
    }
}

impl fmt::Debug for LocalSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSigner")
            .field("key", &self.key)
            .field("key_number", &self.key_number)
            .field("source", &self.source)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_TEXT: &str = "untrusted comment: minisign encrypted secret key\nRWRTY0Iy...\n";

    #[test]
    fn env_value_may_be_the_key_text() {
        let text = key_text_from_env_value(KEY_TEXT).unwrap();
        assert!(text.starts_with("untrusted comment:"));
    }

    #[test]
    fn env_value_may_be_base64_of_the_key_text_with_line_breaks() {
        let encoded = BASE64.encode(KEY_TEXT);
        let wrapped = format!("{}\n{}\n", &encoded[..20], &encoded[20..]);
        let text = key_text_from_env_value(&wrapped).unwrap();
        assert_eq!(text.as_str(), KEY_TEXT.trim());
    }

    #[test]
    fn env_value_that_is_no_key_is_refused() {
        assert!(key_text_from_env_value("not a key at all").is_none());
        // Valid base64 that decodes to something other than a key file.
        assert!(key_text_from_env_value(&BASE64.encode("hello")).is_none());
    }
}
