//! Private keys: generation, signing, and PKCS#8 (plain and password-encrypted) import and export.
//!
//! ring does the signing. ring's key pairs do not zeroize themselves, so a [`PrivateKey`] keeps
//! its secret in a zeroizing buffer and builds ring's key pair only for the span of one signature.

use std::fmt;

use pkcs8::der::{Decode, Encode};
use pkcs8::{EncryptedPrivateKeyInfo, ObjectIdentifier, PrivateKeyInfo};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{self as ring_sig, KeyPair};
use zeroize::Zeroizing;

use crate::public::{PublicKey, Scheme};
use crate::secret::{Password, SecretBytes};

const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// scrypt cost sigil uses to encrypt PKCS#8 keys by default: N = 2^17, r = 8, p = 1 (128 MiB).
const PKCS8_SCRYPT_LOG_N: u8 = 17;
/// PBKDF2-HMAC-SHA256 iterations of [`KeyEncryption::OpensslCompatible`] (OWASP's 2023 figure).
pub const PKCS8_PBKDF2_ITERATIONS: u32 = 600_000;
/// The most PBKDF2 iterations an encrypted key file may ask for: ten million. A hostile key file
/// cannot make sigil spend more than a few seconds of CPU before the password is even checked.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// The most memory an encrypted key file may ask scrypt for: 2 GiB. A hostile key file cannot make
/// sigil allocate more than this before the password is even checked.
pub(crate) const MAX_SCRYPT_MEMORY: u64 = 2 << 30;

/// How [`PrivateKey::to_pkcs8_pem_with`] derives the key that encrypts a PKCS#8 file. Both are
/// PBES2 (RFC 8018) with AES-256-CBC, a random 16-byte salt and a random IV, and sigil reads both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum KeyEncryption {
    /// scrypt with N = 2^17, r = 8, p = 1: 128 MiB of memory per password guess, which makes a
    /// brute-force attack on a stolen key file cost memory as well as CPU (GPUs and ASICs gain
    /// far less over a laptop than against PBKDF2). OpenSSL 3 refuses it by default: its scrypt
    /// memory limit is 32 MiB.
    #[default]
    Scrypt,
    /// PBKDF2-HMAC-SHA256 with [`PKCS8_PBKDF2_ITERATIONS`] iterations: what `openssl pkey` and
    /// other PKCS#8 readers open with their default settings. CPU-hard only, so a password guess
    /// is cheaper for an attacker with GPUs: choose a longer password.
    OpensslCompatible,
}

impl KeyEncryption {
    /// What the encryption is, for messages: `scrypt (N = 2^17, r = 8, p = 1)` or
    /// `PBKDF2-HMAC-SHA256 (600000 iterations)`.
    #[must_use]
    pub fn describe(self) -> String {
        match self {
            Self::Scrypt => format!("scrypt (N = 2^{PKCS8_SCRYPT_LOG_N}, r = 8, p = 1)"),
            Self::OpensslCompatible => {
                format!("PBKDF2-HMAC-SHA256 ({PKCS8_PBKDF2_ITERATIONS} iterations)")
            }
        }
    }
}

/// A private signing key: Ed25519 or ECDSA P-256.
pub struct PrivateKey {
    inner: Inner,
    public: PublicKey,
}

enum Inner {
    /// The 32-byte RFC 8032 seed.
    Ed25519(SecretBytes),
    /// A PKCS#8 v1 document as ring reads it.
    EcdsaP256(SecretBytes),
}

/// Why a private key could not be made, read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrivateKeyError {
    #[error("the system random number generator failed")]
    Random,
    #[error("scheme {0} has no signing support in sigil (verification only)")]
    SigningUnsupported(Scheme),
    #[error("not a PEM private key: {0}")]
    Pem(String),
    #[error("malformed PKCS#8 private key: {0}")]
    Pkcs8(String),
    #[error("unsupported private key algorithm {0} (expected Ed25519 or ECDSA P-256)")]
    UnsupportedAlgorithm(String),
    #[error("the private key is encrypted: a password is needed")]
    PasswordRequired,
    #[error("cannot decrypt the private key: wrong password, or the file is corrupted")]
    Decrypt,
    #[error(
        "the key file asks for {requested} bytes of scrypt memory, more than the {limit} allowed"
    )]
    KdfTooCostly { requested: u64, limit: u64 },
    #[error(
        "the key file asks for {requested} PBKDF2 iterations, more than the {limit} allowed \
         (re-encrypt the key with fewer, e.g. `openssl pkcs8 -topk8 -v2 aes-256-cbc -iter 600000`)"
    )]
    KdfTooManyIterations { requested: u32, limit: u32 },
    #[error("the private key's embedded public key does not match its secret")]
    Inconsistent,
    #[error("signing failed")]
    Sign,
}

impl PrivateKey {
    /// Generates a new key for `scheme` from the operating system's random source.
    pub fn generate(scheme: Scheme) -> Result<Self, PrivateKeyError> {
        let rng = SystemRandom::new();
        match scheme {
            Scheme::Ed25519 => {
                let mut seed = Zeroizing::new([0u8; 32]);
                rng.fill(seed.as_mut())
                    .map_err(|_| PrivateKeyError::Random)?;
                Self::ed25519_from_seed(seed.as_ref())
            }
            Scheme::EcdsaP256Sha256 => {
                let document = ring_sig::EcdsaKeyPair::generate_pkcs8(
                    &ring_sig::ECDSA_P256_SHA256_ASN1_SIGNING,
                    &rng,
                )
                .map_err(|_| PrivateKeyError::Random)?;
                Self::ecdsa_from_ring_pkcs8(SecretBytes::from_slice(document.as_ref()))
            }
            Scheme::RsaPssSha256 => Err(PrivateKeyError::SigningUnsupported(scheme)),
        }
    }

    /// An Ed25519 key from its 32-byte seed.
    pub fn ed25519_from_seed(seed: &[u8]) -> Result<Self, PrivateKeyError> {
        let pair = ring_sig::Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|_| PrivateKeyError::Pkcs8("Ed25519 seed must be 32 bytes".into()))?;
        let public = PublicKey::ed25519_from_bytes(pair.public_key().as_ref())
            .map_err(|_| PrivateKeyError::Inconsistent)?;
        Ok(Self {
            inner: Inner::Ed25519(SecretBytes::from_slice(seed)),
            public,
        })
    }

    fn ecdsa_from_ring_pkcs8(document: SecretBytes) -> Result<Self, PrivateKeyError> {
        let rng = SystemRandom::new();
        let pair = ring_sig::EcdsaKeyPair::from_pkcs8(
            &ring_sig::ECDSA_P256_SHA256_ASN1_SIGNING,
            document.expose(),
            &rng,
        )
        .map_err(|e| PrivateKeyError::Pkcs8(format!("ECDSA P-256 key rejected: {e}")))?;
        let public = PublicKey::ecdsa_p256_from_point(pair.public_key().as_ref())
            .map_err(|_| PrivateKeyError::Inconsistent)?;
        Ok(Self {
            inner: Inner::EcdsaP256(document),
            public,
        })
    }

    /// The matching public key.
    #[must_use]
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    #[must_use]
    pub fn scheme(&self) -> Scheme {
        self.public.scheme()
    }

    /// For Ed25519 keys, the 32-byte seed (what minisign stores, followed by the public key).
    #[must_use]
    pub fn ed25519_seed(&self) -> Option<&SecretBytes> {
        match &self.inner {
            Inner::Ed25519(seed) => Some(seed),
            Inner::EcdsaP256(_) => None,
        }
    }

    /// Signs `message`: a 64-byte Ed25519 signature, or a DER ECDSA signature.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, PrivateKeyError> {
        match &self.inner {
            Inner::Ed25519(seed) => {
                let pair = ring_sig::Ed25519KeyPair::from_seed_unchecked(seed.expose())
                    .map_err(|_| PrivateKeyError::Sign)?;
                Ok(pair.sign(message).as_ref().to_vec())
            }
            Inner::EcdsaP256(document) => {
                let rng = SystemRandom::new();
                let pair = ring_sig::EcdsaKeyPair::from_pkcs8(
                    &ring_sig::ECDSA_P256_SHA256_ASN1_SIGNING,
                    document.expose(),
                    &rng,
                )
                .map_err(|_| PrivateKeyError::Sign)?;
                let signature = pair
                    .sign(&rng, message)
                    .map_err(|_| PrivateKeyError::Sign)?;
                Ok(signature.as_ref().to_vec())
            }
        }
    }

    /// The unencrypted PKCS#8 DER document of this key.
    pub fn to_pkcs8_der(&self) -> Result<SecretBytes, PrivateKeyError> {
        match &self.inner {
            Inner::Ed25519(seed) => {
                // RFC 8410: the privateKey OCTET STRING wraps a CurvePrivateKey OCTET STRING.
                let mut curve_private_key = Zeroizing::new(Vec::with_capacity(34));
                curve_private_key.extend_from_slice(&[0x04, 0x20]);
                curve_private_key.extend_from_slice(seed.expose());
                let info = PrivateKeyInfo::new(
                    pkcs8::AlgorithmIdentifierRef {
                        oid: OID_ED25519,
                        parameters: None,
                    },
                    &curve_private_key,
                );
                let der = info
                    .to_der()
                    .map_err(|e| PrivateKeyError::Pkcs8(e.to_string()))?;
                Ok(SecretBytes::new(der))
            }
            Inner::EcdsaP256(document) => Ok(document.clone()),
        }
    }

    /// PEM: `ENCRYPTED PRIVATE KEY` (PBES2 with scrypt and AES-256-CBC, see
    /// [`KeyEncryption::Scrypt`]) when a password is given, `PRIVATE KEY` otherwise.
    pub fn to_pkcs8_pem(
        &self,
        password: Option<&Password>,
    ) -> Result<Zeroizing<String>, PrivateKeyError> {
        self.to_pkcs8_pem_with(password, KeyEncryption::default())
    }

    /// PEM: `ENCRYPTED PRIVATE KEY` encrypted as `encryption` says when a password is given,
    /// `PRIVATE KEY` otherwise (`encryption` is then unused).
    pub fn to_pkcs8_pem_with(
        &self,
        password: Option<&Password>,
        encryption: KeyEncryption,
    ) -> Result<Zeroizing<String>, PrivateKeyError> {
        let der = self.to_pkcs8_der()?;
        let line_ending = pkcs8::LineEnding::LF;
        let Some(password) = password else {
            return pkcs8::der::pem::encode_string("PRIVATE KEY", line_ending, der.expose())
                .map(Zeroizing::new)
                .map_err(|e| PrivateKeyError::Pkcs8(e.to_string()));
        };
        let info = PrivateKeyInfo::from_der(der.expose())
            .map_err(|e| PrivateKeyError::Pkcs8(e.to_string()))?;
        let rng = SystemRandom::new();
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        rng.fill(&mut salt).map_err(|_| PrivateKeyError::Random)?;
        rng.fill(&mut iv).map_err(|_| PrivateKeyError::Random)?;
        let params = match encryption {
            KeyEncryption::Scrypt => {
                let cost = scrypt::Params::new(PKCS8_SCRYPT_LOG_N, 8, 1, 32)
                    .map_err(|e| PrivateKeyError::Pkcs8(e.to_string()))?;
                pkcs8::pkcs5::pbes2::Parameters::scrypt_aes256cbc(cost, &salt, &iv)
            }
            KeyEncryption::OpensslCompatible => {
                pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(
                    PKCS8_PBKDF2_ITERATIONS,
                    &salt,
                    &iv,
                )
            }
        }
        .map_err(|e| PrivateKeyError::Pkcs8(e.to_string()))?;
        let encrypted = info
            .encrypt_with_params(params, password.expose().as_bytes())
            .map_err(|e| PrivateKeyError::Pkcs8(e.to_string()))?;
        encrypted
            .to_pem("ENCRYPTED PRIVATE KEY", line_ending)
            .map_err(|e| PrivateKeyError::Pkcs8(e.to_string()))
    }

    /// Reads a PKCS#8 DER document (unencrypted).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, PrivateKeyError> {
        let info =
            PrivateKeyInfo::from_der(der).map_err(|e| PrivateKeyError::Pkcs8(e.to_string()))?;
        let oid = info.algorithm.oid;
        if oid == OID_ED25519 {
            let seed = info
                .private_key
                .strip_prefix(&[0x04, 0x20])
                .filter(|seed| seed.len() == 32)
                .ok_or_else(|| {
                    PrivateKeyError::Pkcs8("Ed25519 private key is not a 32-byte seed".into())
                })?;
            let key = Self::ed25519_from_seed(seed)?;
            if let Some(embedded) = info.public_key {
                if embedded != key.public_key_bytes() {
                    return Err(PrivateKeyError::Inconsistent);
                }
            }
            Ok(key)
        } else if oid == OID_EC_PUBLIC_KEY {
            let curve: Option<ObjectIdentifier> =
                info.algorithm.parameters.and_then(|p| p.decode_as().ok());
            if curve != Some(OID_P256) {
                return Err(PrivateKeyError::UnsupportedAlgorithm(format!(
                    "EC key on curve {}",
                    curve.map_or_else(|| "(unnamed)".to_owned(), |c| c.to_string())
                )));
            }
            Self::ecdsa_from_ring_pkcs8(SecretBytes::from_slice(der))
        } else {
            Err(PrivateKeyError::UnsupportedAlgorithm(oid.to_string()))
        }
    }

    /// Reads a PEM `PRIVATE KEY` or `ENCRYPTED PRIVATE KEY`.
    pub fn from_pkcs8_pem(pem: &str, password: Option<&Password>) -> Result<Self, PrivateKeyError> {
        let (label, der) = pkcs8::der::pem::decode_vec(pem.trim().as_bytes())
            .map_err(|e| PrivateKeyError::Pem(e.to_string()))?;
        let der = Zeroizing::new(der);
        match label {
            "PRIVATE KEY" => Self::from_pkcs8_der(&der),
            "ENCRYPTED PRIVATE KEY" => {
                let password = password.ok_or(PrivateKeyError::PasswordRequired)?;
                let encrypted = EncryptedPrivateKeyInfo::from_der(&der)
                    .map_err(|e| PrivateKeyError::Pkcs8(e.to_string()))?;
                check_pbes2_cost(&encrypted)?;
                let document = encrypted
                    .decrypt(password.expose().as_bytes())
                    .map_err(|_| PrivateKeyError::Decrypt)?;
                Self::from_pkcs8_der(document.as_bytes())
            }
            other => Err(PrivateKeyError::Pem(format!(
                "expected a PRIVATE KEY or ENCRYPTED PRIVATE KEY block, found {other}"
            ))),
        }
    }

    fn public_key_bytes(&self) -> &[u8] {
        match &self.public {
            PublicKey::Ed25519(raw) => raw,
            PublicKey::EcdsaP256(point) => point,
            PublicKey::RsaPss(der) => der,
        }
    }
}

/// Refuses PBES2 parameters that would make decryption a denial of service.
fn check_pbes2_cost(encrypted: &EncryptedPrivateKeyInfo<'_>) -> Result<(), PrivateKeyError> {
    use pkcs8::pkcs5::{EncryptionScheme, pbes2::Kdf};

    let EncryptionScheme::Pbes2(params) = &encrypted.encryption_algorithm else {
        return Err(PrivateKeyError::Pkcs8(
            "only PBES2 encryption is accepted (PBES1 ciphers are obsolete)".into(),
        ));
    };
    match &params.kdf {
        Kdf::Scrypt(scrypt) => {
            // scrypt needs 128 * r * N bytes for each of its p lanes.
            let memory = 128u64
                .saturating_mul(u64::from(scrypt.block_size))
                .saturating_mul(scrypt.cost_parameter)
                .saturating_mul(u64::from(scrypt.parallelization));
            if memory > MAX_SCRYPT_MEMORY {
                return Err(PrivateKeyError::KdfTooCostly {
                    requested: memory,
                    limit: MAX_SCRYPT_MEMORY,
                });
            }
        }
        Kdf::Pbkdf2(pbkdf2) => {
            if pbkdf2.iteration_count > MAX_PBKDF2_ITERATIONS {
                return Err(PrivateKeyError::KdfTooManyIterations {
                    requested: pbkdf2.iteration_count,
                    limit: MAX_PBKDF2_ITERATIONS,
                });
            }
        }
        _ => {
            return Err(PrivateKeyError::Pkcs8(
                "unsupported PBES2 key derivation function (expected scrypt or PBKDF2)".into(),
            ));
        }
    }
    Ok(())
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PrivateKey({} {}, secret REDACTED)",
            self.scheme(),
            self.public.key_id()
        )
    }
}
