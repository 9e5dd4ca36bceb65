//! minisign public and secret key files.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use super::kdf::{
    self, MEMLIMIT_INTERACTIVE, MEMLIMIT_SENSITIVE, OPSLIMIT_INTERACTIVE, OPSLIMIT_SENSITIVE,
};
use super::{KeyNumber, MinisignError};
use crate::private::PrivateKey;
use crate::public::{PublicKey, Scheme};
use crate::secret::Password;

const SIG_ALG: &[u8; 2] = b"Ed";
const KDF_SCRYPT: &[u8; 2] = b"Sc";
const KDF_NONE: &[u8; 2] = b"\0\0";
const CHK_ALG: &[u8; 2] = b"B2";
const COMMENT_PREFIX: &str = "untrusted comment: ";
/// minisign's `COMMENTMAXBYTES`: the longest comment line it reads.
pub(super) const COMMENT_MAX_BYTES: usize = 1024;
const PUBLIC_KEY_BYTES: usize = 2 + 8 + 32;
const SECRET_KEY_BYTES: usize = 2 + 2 + 2 + 32 + 8 + 8 + 8 + 64 + 32;
/// Where the encrypted part (key number, secret key, checksum) starts.
const KEYNUM_SK_OFFSET: usize = 2 + 2 + 2 + 32 + 8 + 8;

/// A minisign public key: a key number and an Ed25519 key.
#[derive(Clone, PartialEq, Eq)]
pub struct MinisignPublicKey {
    pub key_number: KeyNumber,
    pub key: [u8; 32],
}

impl MinisignPublicKey {
    /// Reads a public key file (`untrusted comment:` line, then the base64 key), or a bare base64
    /// key as `minisign -P` takes it.
    pub fn decode(text: &str) -> Result<Self, MinisignError> {
        const WHAT: &str = "minisign public key";
        let mut lines = text.lines().map(|line| line.trim_end_matches('\r'));
        let first = lines.next().ok_or_else(|| MinisignError::Truncated {
            what: WHAT,
            expected: "a comment line and a key line",
            found: "an empty file".into(),
        })?;
        let (key_line, line_number) = if first.starts_with(COMMENT_PREFIX) {
            let key_line = lines.next().ok_or_else(|| MinisignError::Truncated {
                what: WHAT,
                expected: "a key line after the comment",
                found: "only the comment".into(),
            })?;
            (key_line, 2)
        } else if first.starts_with("untrusted comment:") || first.contains(' ') {
            return Err(MinisignError::MissingPrefix {
                what: WHAT,
                line: 1,
                prefix: COMMENT_PREFIX,
            });
        } else {
            (first, 1)
        };
        Self::from_base64_line(key_line.trim(), line_number)
    }

    /// Reads the base64 key line alone.
    pub fn from_base64(line: &str) -> Result<Self, MinisignError> {
        Self::from_base64_line(line.trim(), 1)
    }

    fn from_base64_line(line: &str, line_number: usize) -> Result<Self, MinisignError> {
        const WHAT: &str = "minisign public key";
        let bytes = BASE64.decode(line).map_err(|_| MinisignError::Base64 {
            what: WHAT,
            line: line_number,
        })?;
        if bytes.len() != PUBLIC_KEY_BYTES {
            return Err(MinisignError::Length {
                what: WHAT,
                expected: PUBLIC_KEY_BYTES,
                found: bytes.len(),
            });
        }
        if &bytes[..2] != SIG_ALG {
            return Err(MinisignError::Algorithm {
                what: WHAT,
                found: String::from_utf8_lossy(&bytes[..2]).into_owned(),
                expected: "Ed",
            });
        }
        let mut key_number = [0u8; 8];
        key_number.copy_from_slice(&bytes[2..10]);
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes[10..42]);
        Ok(Self {
            key_number: KeyNumber(key_number),
            key,
        })
    }

    /// The base64 key line.
    #[must_use]
    pub fn to_base64(&self) -> String {
        let mut bytes = Vec::with_capacity(PUBLIC_KEY_BYTES);
        bytes.extend_from_slice(SIG_ALG);
        bytes.extend_from_slice(&self.key_number.0);
        bytes.extend_from_slice(&self.key);
        BASE64.encode(bytes)
    }

    /// The public key file, as `minisign -G` writes it.
    #[must_use]
    pub fn encode(&self) -> String {
        format!(
            "{COMMENT_PREFIX}minisign public key {}\n{}\n",
            self.key_number,
            self.to_base64()
        )
    }

    /// The Ed25519 key as a general [`PublicKey`].
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        PublicKey::Ed25519(self.key)
    }
}

impl fmt::Debug for MinisignPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MinisignPublicKey({})", self.key_number)
    }
}

/// How hard the password KDF works when a secret key is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum KdfStrength {
    /// What minisign uses: scrypt with 1 GiB of memory. The default.
    #[default]
    Sensitive,
    /// libsodium's interactive limits (16 MiB). Weaker against password guessing; for tests and
    /// short-lived keys only.
    Interactive,
}

impl KdfStrength {
    fn limits(self) -> (u64, u64) {
        match self {
            Self::Sensitive => (OPSLIMIT_SENSITIVE, MEMLIMIT_SENSITIVE),
            Self::Interactive => (OPSLIMIT_INTERACTIVE, MEMLIMIT_INTERACTIVE),
        }
    }
}

/// A minisign secret key: an Ed25519 key and its key number.
pub struct MinisignSecretKey {
    key_number: KeyNumber,
    private: PrivateKey,
    public: [u8; 32],
}

impl MinisignSecretKey {
    /// Generates a new key with a random key number.
    pub fn generate() -> Result<Self, MinisignError> {
        let mut key_number = [0u8; 8];
        SystemRandom::new()
            .fill(&mut key_number)
            .map_err(|_| MinisignError::Random)?;
        let private = PrivateKey::generate(Scheme::Ed25519).map_err(|_| MinisignError::Random)?;
        Self::from_private_key(private, KeyNumber(key_number))
    }

    /// Wraps an existing Ed25519 key under the given key number.
    pub fn from_private_key(
        private: PrivateKey,
        key_number: KeyNumber,
    ) -> Result<Self, MinisignError> {
        let &PublicKey::Ed25519(public) = private.public_key() else {
            return Err(MinisignError::NotEd25519(private.scheme()));
        };
        Ok(Self {
            key_number,
            private,
            public,
        })
    }

    #[must_use]
    pub fn key_number(&self) -> KeyNumber {
        self.key_number
    }

    #[must_use]
    pub fn private_key(&self) -> &PrivateKey {
        &self.private
    }

    /// Gives up the key number and returns the Ed25519 key.
    #[must_use]
    pub fn into_private_key(self) -> PrivateKey {
        self.private
    }

    #[must_use]
    pub fn public_key(&self) -> MinisignPublicKey {
        MinisignPublicKey {
            key_number: self.key_number,
            key: self.public,
        }
    }

    /// Whether a secret key file is encrypted, without asking for a password.
    pub fn is_encrypted(text: &str) -> Result<bool, MinisignError> {
        let bytes = decode_secret_bytes(text)?;
        Ok(&bytes[2..4] == KDF_SCRYPT)
    }

    /// Reads a secret key file. `password` is used only when the file is encrypted.
    pub fn decode(text: &str, password: Option<&Password>) -> Result<Self, MinisignError> {
        let mut bytes = decode_secret_bytes(text)?;
        let kdf_alg: [u8; 2] = [bytes[2], bytes[3]];
        if &bytes[4..6] != CHK_ALG {
            return Err(MinisignError::Algorithm {
                what: "minisign secret key checksum",
                found: String::from_utf8_lossy(&bytes[4..6]).into_owned(),
                expected: "B2",
            });
        }
        let encrypted = match &kdf_alg {
            KDF_SCRYPT => true,
            KDF_NONE => false,
            other => {
                return Err(MinisignError::Algorithm {
                    what: "minisign secret key KDF",
                    found: String::from_utf8_lossy(other).into_owned(),
                    expected: "Sc or none",
                });
            }
        };
        if encrypted {
            let password = password.ok_or(MinisignError::PasswordRequired)?;
            let mut salt = [0u8; 32];
            salt.copy_from_slice(&bytes[6..38]);
            let opslimit = le64(&bytes[38..46]);
            let memlimit = le64(&bytes[46..54]);
            let mut stream = Zeroizing::new([0u8; SECRET_KEY_BYTES - KEYNUM_SK_OFFSET]);
            kdf::derive(
                password.expose().as_bytes(),
                &salt,
                opslimit,
                memlimit,
                stream.as_mut(),
            )?;
            for (byte, mask) in bytes[KEYNUM_SK_OFFSET..].iter_mut().zip(stream.iter()) {
                *byte ^= mask;
            }
        }
        let keynum_sk = &bytes[KEYNUM_SK_OFFSET..];
        let mut key_number = [0u8; 8];
        key_number.copy_from_slice(&keynum_sk[..8]);
        let secret = &keynum_sk[8..72];
        let stored_chk = &keynum_sk[72..104];
        let chk = checksum(&key_number, secret);
        // minisign leaves the checksum zero in unencrypted keys (`-W`); any other value must match.
        let unchecked = !encrypted && stored_chk.iter().all(|&b| b == 0);
        if !unchecked && !constant_time_eq(&chk, stored_chk) {
            return Err(if encrypted {
                MinisignError::WrongPassword
            } else {
                MinisignError::Checksum
            });
        }
        let private = PrivateKey::ed25519_from_seed(&secret[..32])
            .map_err(|_| MinisignError::Inconsistent)?;
        if private.public_key() != &PublicKey::Ed25519(copy32(&secret[32..64])) {
            return Err(MinisignError::Inconsistent);
        }
        Self::from_private_key(private, KeyNumber(key_number))
    }

    /// The secret key file: encrypted with `password` at `strength`, or unencrypted when
    /// `password` is `None` (minisign's `-W`).
    pub fn encode(
        &self,
        password: Option<&Password>,
        strength: KdfStrength,
    ) -> Result<Zeroizing<String>, MinisignError> {
        let seed = self
            .private
            .ed25519_seed()
            .ok_or(MinisignError::NotEd25519(self.private.scheme()))?;
        let public = self.public_key();
        let mut bytes = Zeroizing::new(Vec::with_capacity(SECRET_KEY_BYTES));
        bytes.extend_from_slice(SIG_ALG);
        bytes.extend_from_slice(if password.is_some() {
            KDF_SCRYPT
        } else {
            KDF_NONE
        });
        bytes.extend_from_slice(CHK_ALG);
        let mut salt = [0u8; 32];
        let (opslimit, memlimit) = match password {
            Some(_) => {
                SystemRandom::new()
                    .fill(&mut salt)
                    .map_err(|_| MinisignError::Random)?;
                strength.limits()
            }
            None => (0, 0),
        };
        bytes.extend_from_slice(&salt);
        bytes.extend_from_slice(&opslimit.to_le_bytes());
        bytes.extend_from_slice(&memlimit.to_le_bytes());
        bytes.extend_from_slice(&self.key_number.0);
        bytes.extend_from_slice(seed.expose());
        bytes.extend_from_slice(&public.key);
        let chk = checksum(
            &self.key_number.0,
            &bytes[KEYNUM_SK_OFFSET + 8..KEYNUM_SK_OFFSET + 72],
        );
        bytes.extend_from_slice(&chk);
        if let Some(password) = password {
            let mut stream = Zeroizing::new([0u8; SECRET_KEY_BYTES - KEYNUM_SK_OFFSET]);
            kdf::derive(
                password.expose().as_bytes(),
                &salt,
                opslimit,
                memlimit,
                stream.as_mut(),
            )?;
            for (byte, mask) in bytes[KEYNUM_SK_OFFSET..].iter_mut().zip(stream.iter()) {
                *byte ^= mask;
            }
        }
        let comment = if password.is_some() {
            "minisign encrypted secret key"
        } else {
            "minisign unencrypted secret key"
        };
        let mut text = Zeroizing::new(String::with_capacity(256));
        text.push_str(COMMENT_PREFIX);
        text.push_str(comment);
        text.push('\n');
        text.push_str(&BASE64.encode(bytes.as_slice()));
        text.push('\n');
        Ok(text)
    }
}

impl fmt::Debug for MinisignSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MinisignSecretKey({}, secret REDACTED)", self.key_number)
    }
}

fn decode_secret_bytes(text: &str) -> Result<Zeroizing<Vec<u8>>, MinisignError> {
    const WHAT: &str = "minisign secret key";
    let mut lines = text.lines().map(|line| line.trim_end_matches('\r'));
    let comment = lines.next().ok_or_else(|| MinisignError::Truncated {
        what: WHAT,
        expected: "a comment line and a key line",
        found: "an empty file".into(),
    })?;
    if comment.len() >= COMMENT_MAX_BYTES {
        return Err(MinisignError::LineTooLong {
            what: WHAT,
            line: 1,
            limit: COMMENT_MAX_BYTES,
        });
    }
    if !comment.starts_with(COMMENT_PREFIX) {
        return Err(MinisignError::MissingPrefix {
            what: WHAT,
            line: 1,
            prefix: COMMENT_PREFIX,
        });
    }
    let key_line = lines.next().ok_or_else(|| MinisignError::Truncated {
        what: WHAT,
        expected: "a key line after the comment",
        found: "only the comment".into(),
    })?;
    let bytes =
        Zeroizing::new(
            BASE64
                .decode(key_line.trim())
                .map_err(|_| MinisignError::Base64 {
                    what: WHAT,
                    line: 2,
                })?,
        );
    if bytes.len() != SECRET_KEY_BYTES {
        return Err(MinisignError::Length {
            what: WHAT,
            expected: SECRET_KEY_BYTES,
            found: bytes.len(),
        });
    }
    if &bytes[..2] != SIG_ALG {
        return Err(MinisignError::Algorithm {
            what: WHAT,
            found: String::from_utf8_lossy(&bytes[..2]).into_owned(),
            expected: "Ed",
        });
    }
    Ok(bytes)
}

/// minisign's secret key checksum: BLAKE2b-256(`Ed` || key number || secret key).
fn checksum(key_number: &[u8; 8], secret: &[u8]) -> [u8; 32] {
    let mut hasher = Blake2b::<U32>::new();
    hasher.update(SIG_ALG);
    hasher.update(key_number);
    hasher.update(secret);
    hasher.finalize().into()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn le64(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(bytes);
    u64::from_le_bytes(word)
}

fn copy32(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(bytes);
    out
}
