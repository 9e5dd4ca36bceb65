//! Keys as TUF metadata writes them, and TUF key ids (TUF specification 1.0, section 4.2).

use std::fmt;

use ring::digest;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::canonical_json::{CanonicalJsonError, to_canonical_json};
use crate::public::{PublicKey, PublicKeyError, Scheme};

/// A key id: in TUF, the hex SHA-256 of the canonical JSON of the key object.
///
/// Ids read from metadata are kept as written: the spec makes them opaque map keys, and
/// repositories in the wild (older python-tuf) computed them over extra fields.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(String);

impl KeyId {
    #[must_use]
    pub fn new(id: String) -> Self {
        Self(id)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hex SHA-256 of `bytes`, as TUF computes key ids.
    #[must_use]
    pub fn sha256_of(bytes: &[u8]) -> Self {
        Self(hex::encode(digest::digest(&digest::SHA256, bytes)))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}

/// The `keyval` object of a TUF key. Unknown members are kept, so a key id recomputed over a
/// parsed key equals the one computed over the bytes received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyVal {
    pub public: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A TUF key object: `{"keytype": ..., "scheme": ..., "keyval": {"public": ...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TufKey {
    pub keytype: String,
    pub scheme: String,
    pub keyval: KeyVal,
    /// Members such as `keyid_hash_algorithms` that older writers add; kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Why a TUF key object is not a usable key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TufKeyError {
    #[error("unsupported TUF key: keytype {keytype:?} with scheme {scheme:?}")]
    Unsupported { keytype: String, scheme: String },
    #[error("TUF {scheme} key: public value is not {expected}")]
    Encoding {
        scheme: &'static str,
        expected: &'static str,
    },
    #[error("TUF {scheme} key: {source}")]
    Key {
        scheme: &'static str,
        #[source]
        source: PublicKeyError,
    },
    #[error("TUF key has no canonical JSON form: {0}")]
    Canonical(#[from] CanonicalJsonError),
}

impl TufKey {
    /// The TUF form sigil writes for `key`: PEM SPKI for ECDSA and RSA (as python-tuf and go-tuf
    /// write them), hex for Ed25519.
    #[must_use]
    pub fn from_public_key(key: &PublicKey) -> Self {
        let public = match key {
            PublicKey::Ed25519(raw) => hex::encode(raw),
            PublicKey::EcdsaP256(_) | PublicKey::RsaPss(_) => key.to_spki_pem(),
        };
        let scheme = key.scheme();
        Self {
            keytype: scheme.tuf_key_type().to_owned(),
            scheme: scheme.tuf_name().to_owned(),
            keyval: KeyVal {
                public,
                extra: Map::new(),
            },
            extra: Map::new(),
        }
    }

    /// The key id of this key object, computed over every member it has. Fails only when an
    /// unknown member holds a number canonical JSON cannot encode.
    pub fn key_id(&self) -> Result<KeyId, TufKeyError> {
        Ok(KeyId::sha256_of(&to_canonical_json(&self.to_json())?))
    }

    /// This key object as a JSON value.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut keyval = self.keyval.extra.clone();
        keyval.insert(
            "public".to_owned(),
            Value::String(self.keyval.public.clone()),
        );
        let mut object = self.extra.clone();
        object.insert("keytype".to_owned(), Value::String(self.keytype.clone()));
        object.insert("scheme".to_owned(), Value::String(self.scheme.clone()));
        object.insert("keyval".to_owned(), Value::Object(keyval));
        Value::Object(object)
    }

    /// The verification key this object describes.
    pub fn to_public_key(&self) -> Result<PublicKey, TufKeyError> {
        let public = self.keyval.public.as_str();
        match (self.keytype.as_str(), self.scheme.as_str()) {
            ("ed25519", "ed25519") => {
                let raw = hex::decode(public).map_err(|_| TufKeyError::Encoding {
                    scheme: "ed25519",
                    expected: "64 hex digits",
                })?;
                PublicKey::ed25519_from_bytes(&raw).map_err(|source| TufKeyError::Key {
                    scheme: "ed25519",
                    source,
                })
            }
            ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => {
                let scheme = "ecdsa-sha2-nistp256";
                let key = if public.trim_start().starts_with("-----BEGIN") {
                    PublicKey::from_spki_pem(public)
                } else {
                    // Older go-tuf wrote the uncompressed point in hex.
                    let point = hex::decode(public).map_err(|_| TufKeyError::Encoding {
                        scheme,
                        expected: "a PEM public key or a hex point",
                    })?;
                    PublicKey::ecdsa_p256_from_point(&point)
                };
                let key = key.map_err(|source| TufKeyError::Key { scheme, source })?;
                expect_scheme(key, Scheme::EcdsaP256Sha256, "a PEM ECDSA P-256 public key")
            }
            ("rsa", "rsassa-pss-sha256") => {
                let scheme = "rsassa-pss-sha256";
                let key = PublicKey::from_spki_pem(public)
                    .map_err(|source| TufKeyError::Key { scheme, source })?;
                expect_scheme(key, Scheme::RsaPssSha256, "a PEM RSA public key")
            }
            (keytype, scheme) => Err(TufKeyError::Unsupported {
                keytype: keytype.to_owned(),
                scheme: scheme.to_owned(),
            }),
        }
    }
}

fn expect_scheme(
    key: PublicKey,
    scheme: Scheme,
    expected: &'static str,
) -> Result<PublicKey, TufKeyError> {
    if key.scheme() == scheme {
        Ok(key)
    } else {
        Err(TufKeyError::Encoding {
            scheme: scheme.tuf_name(),
            expected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsed_key_id_equals_computed_key_id() {
        let key: TufKey = serde_json::from_str(
            r#"{"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"4e777de0d275f9d28588dd9a1606cc748e548f9e22b6795b7cb3f63f98035fcb"}}"#,
        )
        .unwrap();
        let public = key.to_public_key().unwrap();
        assert_eq!(public.scheme(), Scheme::Ed25519);
        assert_eq!(key.key_id().unwrap(), public.key_id());
    }

    #[test]
    fn extra_members_are_part_of_the_key_id() {
        let plain: TufKey = serde_json::from_str(
            r#"{"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"4e777de0d275f9d28588dd9a1606cc748e548f9e22b6795b7cb3f63f98035fcb"}}"#,
        )
        .unwrap();
        let mut legacy = plain.clone();
        legacy.extra.insert(
            "keyid_hash_algorithms".into(),
            serde_json::json!(["sha256", "sha512"]),
        );
        assert_ne!(plain.key_id().unwrap(), legacy.key_id().unwrap());
        let round_trip: TufKey = serde_json::from_value(legacy.to_json()).unwrap();
        assert_eq!(round_trip.key_id().unwrap(), legacy.key_id().unwrap());
    }

    #[test]
    fn scheme_confusion_is_refused() {
        // An Ed25519 PEM key presented as an RSA-PSS key.
        let ed = PublicKey::Ed25519([7; 32]);
        let key = TufKey {
            keytype: "rsa".into(),
            scheme: "rsassa-pss-sha256".into(),
            keyval: KeyVal {
                public: ed.to_spki_pem(),
                extra: Map::new(),
            },
            extra: Map::new(),
        };
        let err = key.to_public_key().unwrap_err();
        assert!(err.to_string().contains("a PEM RSA public key"), "{err}");
    }

    #[test]
    fn unknown_key_type_is_named() {
        let key = TufKey {
            keytype: "sphincs".into(),
            scheme: "sphincs-shake".into(),
            keyval: KeyVal {
                public: "00".into(),
                extra: Map::new(),
            },
            extra: Map::new(),
        };
        let err = key.to_public_key().unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"unsupported TUF key: keytype "sphincs" with scheme "sphincs-shake""#
        );
    }
}
