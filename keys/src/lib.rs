//! Key types, key ids, key files, encrypted secret keys and the [`Signer`] trait that every sigil
//! tool shares.
//!
//! What it does:
//! - Ed25519 and ECDSA P-256 keys (generate, sign, verify) and RSA-PSS-SHA256 (verify only),
//!   all through `ring`;
//! - public keys as PEM/DER SubjectPublicKeyInfo, private keys as PKCS#8 (plain, or encrypted
//!   with PBES2 and AES-256-CBC: scrypt by default, or PBKDF2-HMAC-SHA256 for OpenSSL);
//! - TUF key objects and key ids (TUF specification 1.0.x, section 4.2), over OLPC canonical JSON;
//! - minisign public keys, secret keys (scrypt-encrypted) and signatures, byte-compatible with
//!   the `minisign` 0.11 CLI, verified as a stream so memory does not grow with the file;
//! - key files written atomically with owner-only permissions, and refused when others can read
//!   them;
//! - the [`Signer`] trait and [`LocalSigner`], which loads a key from a file or from an
//!   environment variable.
//!
//! What it deliberately does not do: hold keys in hardware (a KMS or PKCS#11 backend implements
//! [`Signer`]), sign with RSA, or zeroize inside `ring` (ring's key pairs are built per signature
//! from zeroizing buffers, and dropped at once). Nothing here prints, prompts or exits: a
//! terminal prompt is a [`PasswordSource::Prompt`] that a binary supplies.

pub mod canonical_json;
pub mod error_kind;
pub mod keyfile;
pub mod minisign;
mod private;
mod public;
mod secret;
mod signer;
pub mod tuf;

pub use error_kind::{Classify, ErrorKind};
pub use private::{
    KeyEncryption, MAX_PBKDF2_ITERATIONS, PKCS8_PBKDF2_ITERATIONS, PrivateKey, PrivateKeyError,
};
pub use public::{PublicKey, PublicKeyError, Scheme, VerifyError};
pub use secret::{Password, SecretBytes};
pub use signer::{
    KeySource, LoadKeyError, LocalSigner, PasswordError, PasswordSource, SignError, Signer,
};
pub use tuf::{KeyId, TufKey};
