//! Public keys of every type sigil verifies, their encodings, and signature verification.

use std::fmt;

use ring::signature::{self as ring_sig, UnparsedPublicKey};
use spki::der::{Decode, Encode};
use spki::{DecodePublicKey, ObjectIdentifier, SubjectPublicKeyInfoRef};

use crate::KeyId;
use crate::tuf::TufKey;

/// OID of Ed25519 keys (RFC 8410).
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// OID of elliptic-curve public keys (RFC 5480).
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// OID of the NIST P-256 curve (RFC 5480).
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// OID of RSA keys (RFC 8017).
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The signature algorithms sigil knows, named as TUF names their schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// Ed25519 (RFC 8032) over the message itself.
    Ed25519,
    /// ECDSA over NIST P-256 with SHA-256, signatures DER-encoded.
    EcdsaP256Sha256,
    /// RSASSA-PSS with SHA-256 and MGF1-SHA-256, salt as long as the digest. Verification only.
    RsaPssSha256,
}

impl Scheme {
    /// The TUF `scheme` string.
    #[must_use]
    pub fn tuf_name(self) -> &'static str {
        match self {
            Self::Ed25519 => "ed25519",
            Self::EcdsaP256Sha256 => "ecdsa-sha2-nistp256",
            Self::RsaPssSha256 => "rsassa-pss-sha256",
        }
    }

    /// The TUF `keytype` string sigil writes for this scheme.
    #[must_use]
    pub fn tuf_key_type(self) -> &'static str {
        match self {
            Self::Ed25519 => "ed25519",
            Self::EcdsaP256Sha256 => "ecdsa",
            Self::RsaPssSha256 => "rsa",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tuf_name())
    }
}

/// A public key. The scheme is part of the key: one key is never used with two algorithms.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum PublicKey {
    /// 32 bytes.
    Ed25519([u8; 32]),
    /// An uncompressed SEC1 point (65 bytes, starting with 0x04).
    EcdsaP256(Vec<u8>),
    /// A PKCS#1 `RSAPublicKey` DER document.
    RsaPss(Vec<u8>),
}

/// Why a public key could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublicKeyError {
    #[error("not a PEM public key: {0}")]
    Pem(String),
    #[error("malformed SubjectPublicKeyInfo: {0}")]
    Spki(String),
    #[error("unsupported public key algorithm {0} (expected Ed25519, ECDSA P-256 or RSA)")]
    UnsupportedAlgorithm(String),
    #[error("unsupported elliptic curve {0} (expected P-256, 1.2.840.10045.3.1.7)")]
    UnsupportedCurve(String),
    #[error("{scheme} public key has the wrong length: expected {expected} bytes, found {found}")]
    Length {
        scheme: Scheme,
        expected: usize,
        found: usize,
    },
    #[error("ECDSA P-256 public key is not an uncompressed point on the curve")]
    InvalidPoint,
    #[error("RSA public key is not a valid PKCS#1 RSAPublicKey")]
    InvalidRsaKey,
    #[error("RSA key of {0} bits is outside the accepted 2048..=8192")]
    RsaSize(usize),
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    #[error("{scheme} signature does not match the message and key {key_id}")]
    BadSignature { scheme: Scheme, key_id: KeyId },
}

impl PublicKey {
    /// The signature scheme this key verifies.
    #[must_use]
    pub fn scheme(&self) -> Scheme {
        match self {
            Self::Ed25519(_) => Scheme::Ed25519,
            Self::EcdsaP256(_) => Scheme::EcdsaP256Sha256,
            Self::RsaPss(_) => Scheme::RsaPssSha256,
        }
    }

    /// An Ed25519 key from its 32 raw bytes.
    pub fn ed25519_from_bytes(bytes: &[u8]) -> Result<Self, PublicKeyError> {
        let raw: [u8; 32] = bytes.try_into().map_err(|_| PublicKeyError::Length {
            scheme: Scheme::Ed25519,
            expected: 32,
            found: bytes.len(),
        })?;
        Ok(Self::Ed25519(raw))
    }

    /// A P-256 key from its uncompressed SEC1 point, checked to be on the curve.
    pub fn ecdsa_p256_from_point(point: &[u8]) -> Result<Self, PublicKeyError> {
        if point.len() != 65 {
            return Err(PublicKeyError::Length {
                scheme: Scheme::EcdsaP256Sha256,
                expected: 65,
                found: point.len(),
            });
        }
        if point[0] != 0x04 || !is_p256_point(point) {
            return Err(PublicKeyError::InvalidPoint);
        }
        Ok(Self::EcdsaP256(point.to_vec()))
    }

    /// An RSA key from its PKCS#1 `RSAPublicKey` DER document.
    pub fn rsa_from_pkcs1_der(der: &[u8]) -> Result<Self, PublicKeyError> {
        let modulus_bits = rsa_modulus_bits(der).ok_or(PublicKeyError::InvalidRsaKey)?;
        if !(2048..=8192).contains(&modulus_bits) {
            return Err(PublicKeyError::RsaSize(modulus_bits));
        }
        Ok(Self::RsaPss(der.to_vec()))
    }

    /// Reads a DER `SubjectPublicKeyInfo`.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, PublicKeyError> {
        let info = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| PublicKeyError::Spki(e.to_string()))?;
        let key_bytes = info.subject_public_key.as_bytes().ok_or_else(|| {
            PublicKeyError::Spki("public key bit string is not byte-aligned".into())
        })?;
        let oid = info.algorithm.oid;
        if oid == OID_ED25519 {
            Self::ed25519_from_bytes(key_bytes)
        } else if oid == OID_EC_PUBLIC_KEY {
            let curve: ObjectIdentifier = info
                .algorithm
                .parameters
                .ok_or_else(|| PublicKeyError::Spki("EC key without a named curve".into()))?
                .decode_as()
                .map_err(|e| PublicKeyError::Spki(e.to_string()))?;
            if curve != OID_P256 {
                return Err(PublicKeyError::UnsupportedCurve(curve.to_string()));
            }
            Self::ecdsa_p256_from_point(key_bytes)
        } else if oid == OID_RSA {
            Self::rsa_from_pkcs1_der(key_bytes)
        } else {
            Err(PublicKeyError::UnsupportedAlgorithm(oid.to_string()))
        }
    }

    /// Reads a PEM `PUBLIC KEY` (SubjectPublicKeyInfo), as openssl, cosign and TUF write them.
    pub fn from_spki_pem(pem: &str) -> Result<Self, PublicKeyError> {
        let document = spki::Document::from_public_key_pem(pem.trim())
            .map_err(|e| PublicKeyError::Pem(e.to_string()))?;
        Self::from_spki_der(document.as_bytes())
    }

    /// The DER `SubjectPublicKeyInfo` of this key.
    #[must_use]
    pub fn to_spki_der(&self) -> Vec<u8> {
        spki_der(self)
    }

    /// The PEM `PUBLIC KEY` of this key, with a trailing newline.
    #[must_use]
    pub fn to_spki_pem(&self) -> String {
        let der = spki_der(self);
        // Invariant: PEM encoding of in-memory bytes with a fixed label cannot fail.
        #[allow(clippy::expect_used)]
        spki::Document::try_from(der)
            .and_then(|doc| doc.to_pem("PUBLIC KEY", spki::der::pem::LineEnding::LF))
            .expect("PEM encoding of a DER document")
    }

    /// The TUF key object for this key.
    #[must_use]
    pub fn to_tuf_key(&self) -> TufKey {
        TufKey::from_public_key(self)
    }

    /// The TUF key id: hex SHA-256 of the canonical JSON of [`Self::to_tuf_key`].
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        // Invariant: the TUF form of a key holds only strings, which canonical JSON always encodes.
        #[allow(clippy::expect_used)]
        self.to_tuf_key()
            .key_id()
            .expect("canonical JSON of a key made of strings")
    }

    /// Verifies `signature` over `message` under this key's scheme.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), VerifyError> {
        let result = match self {
            Self::Ed25519(raw) => {
                UnparsedPublicKey::new(&ring_sig::ED25519, raw).verify(message, signature)
            }
            Self::EcdsaP256(point) => {
                UnparsedPublicKey::new(&ring_sig::ECDSA_P256_SHA256_ASN1, point)
                    .verify(message, signature)
            }
            Self::RsaPss(der) => UnparsedPublicKey::new(&ring_sig::RSA_PSS_2048_8192_SHA256, der)
                .verify(message, signature),
        };
        result.map_err(|_| VerifyError::BadSignature {
            scheme: self.scheme(),
            key_id: self.key_id(),
        })
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({} {})", self.scheme(), self.key_id())
    }
}

/// Whether `point` is a valid uncompressed point on P-256.
///
/// ring validates a verification key only when a signature is checked, and then reports a bad key
/// and a bad signature alike. Its ECDH peer-key validation is the same check, so one ephemeral
/// agreement tells a bad key apart at load time.
fn is_p256_point(point: &[u8]) -> bool {
    use ring::agreement;
    let rng = ring::rand::SystemRandom::new();
    let Ok(ephemeral) = agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, &rng)
    else {
        return false;
    };
    let peer = agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, point);
    agreement::agree_ephemeral(ephemeral, &peer, |_| ()).is_ok()
}

fn spki_der(key: &PublicKey) -> Vec<u8> {
    use spki::der::asn1::{AnyRef, BitStringRef};
    use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfo};

    let curve = OID_P256;
    let (oid, parameters, bytes): (_, Option<AnyRef<'_>>, &[u8]) = match key {
        PublicKey::Ed25519(raw) => (OID_ED25519, None, raw),
        PublicKey::EcdsaP256(point) => (OID_EC_PUBLIC_KEY, Some(AnyRef::from(&curve)), point),
        PublicKey::RsaPss(der) => (OID_RSA, Some(AnyRef::NULL), der),
    };
    // Invariant: the bit string and the algorithm identifier are built from bounded in-memory
    // values, so DER encoding cannot fail.
    #[allow(clippy::expect_used)]
    let info = SubjectPublicKeyInfo {
        algorithm: AlgorithmIdentifierRef { oid, parameters },
        subject_public_key: BitStringRef::from_bytes(bytes).expect("byte-aligned bit string"),
    };
    #[allow(clippy::expect_used)]
    info.to_der()
        .expect("DER encoding of a SubjectPublicKeyInfo")
}

/// The modulus size in bits of a PKCS#1 `RSAPublicKey` (SEQUENCE { INTEGER n, INTEGER e }).
fn rsa_modulus_bits(der: &[u8]) -> Option<usize> {
    use spki::der::asn1::UintRef;
    use spki::der::{Reader, SliceReader};

    let mut reader = SliceReader::new(der).ok()?;
    let (modulus, exponent) = reader
        .sequence(|seq| {
            let n = UintRef::decode(seq)?;
            let e = UintRef::decode(seq)?;
            Ok((n, e))
        })
        .ok()?;
    reader.finish(()).ok()?;
    let n = modulus.as_bytes();
    if exponent.as_bytes().is_empty() || n.is_empty() {
        return None;
    }
    Some((n.len() - 1) * 8 + (8 - n[0].leading_zeros() as usize))
}
