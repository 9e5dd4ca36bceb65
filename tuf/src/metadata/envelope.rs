//! The signed envelope (TUF 4.2.1): `{"signed": ..., "signatures": [...]}`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sigil_keys::canonical_json::{CanonicalJsonError, to_canonical_json};
use sigil_keys::{KeyId, SignError, Signer};

use super::{MetadataError, Role};

/// One entry of `signatures`. Unknown members are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    pub keyid: KeyId,
    /// Hex-encoded signature bytes.
    pub sig: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Metadata as received: the exact bytes, the `signed` value, its canonical JSON (the bytes the
/// signatures cover) and the signatures.
#[derive(Debug, Clone)]
pub struct Envelope {
    bytes: Vec<u8>,
    signed: Value,
    canonical: Vec<u8>,
    signatures: Vec<Signature>,
}

impl Envelope {
    /// Parses an envelope. Signatures are not checked here.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MetadataError> {
        let value: Value = serde_json::from_slice(bytes).map_err(MetadataError::Json)?;
        let Value::Object(mut object) = value else {
            return Err(MetadataError::Envelope {
                found: "found a JSON value that is not an object",
            });
        };
        let signed = match object.remove("signed") {
            Some(signed @ Value::Object(_)) => signed,
            Some(_) => {
                return Err(MetadataError::Envelope {
                    found: "found a \"signed\" that is not an object",
                });
            }
            None => {
                return Err(MetadataError::Envelope {
                    found: "found no \"signed\"",
                });
            }
        };
        let signatures = match object.remove("signatures") {
            Some(list @ Value::Array(_)) => {
                Vec::<Signature>::deserialize(list).map_err(MetadataError::Json)?
            }
            Some(_) => {
                return Err(MetadataError::Envelope {
                    found: "found a \"signatures\" that is not an array",
                });
            }
            None => {
                return Err(MetadataError::Envelope {
                    found: "found no \"signatures\"",
                });
            }
        };
        let mut seen = BTreeSet::new();
        for signature in &signatures {
            if !seen.insert(&signature.keyid) {
                return Err(MetadataError::DuplicateSignature {
                    keyid: signature.keyid.clone(),
                });
            }
        }
        let canonical = to_canonical_json(&signed)?;
        Ok(Self {
            bytes: bytes.to_vec(),
            signed,
            canonical,
            signatures,
        })
    }

    /// The bytes exactly as received; these are what is persisted.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The `signed` value as received.
    #[must_use]
    pub fn signed(&self) -> &Value {
        &self.signed
    }

    /// The canonical JSON of `signed`: the message every signature covers.
    #[must_use]
    pub fn canonical_signed(&self) -> &[u8] {
        &self.canonical
    }

    #[must_use]
    pub fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    /// This envelope with `signer`'s signature over `signed` added, as JSON bytes. Every other
    /// signature is kept as it is, and an earlier signature by the same key is replaced: this is
    /// how a threshold of people sign the same metadata one at a time.
    pub fn add_signature(&self, signer: &dyn Signer) -> Result<Vec<u8>, SigningError> {
        let keyid = signer.key_id();
        let sig = signer
            .sign(&self.canonical)
            .map_err(|source| SigningError::Sign {
                keyid: keyid.clone(),
                source,
            })?;
        let mut signatures: Vec<Signature> = self
            .signatures
            .iter()
            .filter(|signature| signature.keyid != keyid)
            .cloned()
            .collect();
        signatures.push(Signature {
            keyid,
            sig: hex::encode(sig),
            extra: Map::new(),
        });
        let envelope = serde_json::json!({"signatures": signatures, "signed": self.signed});
        serde_json::to_vec(&envelope).map_err(SigningError::Serialize)
    }
}

/// A parsed, validated (but not yet trusted) piece of metadata of role `T`.
#[derive(Debug, Clone)]
pub struct Metadata<T> {
    envelope: Envelope,
    signed: T,
}

impl<T: Role> Metadata<T> {
    /// Parses metadata of role `T` and validates its fields. Signatures, versions and expiry
    /// are judged by the trusted set, not here.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MetadataError> {
        let envelope = Envelope::from_bytes(bytes)?;
        // The `_type` is checked first so that a snapshot served as targets says so plainly.
        let found_type = envelope
            .signed
            .get("_type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if found_type != T::TYPE.as_str() {
            return Err(MetadataError::WrongType {
                expected: T::TYPE,
                found: found_type.to_owned(),
            });
        }
        let signed = T::deserialize(&envelope.signed).map_err(|source| MetadataError::Fields {
            role: T::TYPE,
            source,
        })?;
        signed.validate()?;
        Ok(Self { envelope, signed })
    }

    /// The typed view of `signed`.
    #[must_use]
    pub fn signed(&self) -> &T {
        &self.signed
    }

    #[must_use]
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// The bytes exactly as received.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        self.envelope.bytes()
    }
}

/// Why metadata could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SigningError {
    #[error("metadata does not serialize to JSON: {0}")]
    Serialize(#[source] serde_json::Error),
    #[error("metadata has no canonical JSON form: {0}")]
    Canonical(#[from] CanonicalJsonError),
    #[error("signing with key {keyid} failed: {source}")]
    Sign {
        keyid: KeyId,
        #[source]
        source: SignError,
    },
}

/// Signs `signed` with every signer, and returns the envelope as JSON bytes. The repository
/// writer and the tests build metadata with this.
pub fn sign_metadata<T: Role>(
    signed: &T,
    signers: &[&dyn Signer],
) -> Result<Vec<u8>, SigningError> {
    let value = serde_json::to_value(signed).map_err(SigningError::Serialize)?;
    sign_value(&value, signers)
}

/// Signs an arbitrary `signed` value (for metadata that is deliberately not well-formed).
pub fn sign_value(signed: &Value, signers: &[&dyn Signer]) -> Result<Vec<u8>, SigningError> {
    let message = to_canonical_json(signed)?;
    let mut signatures = Vec::with_capacity(signers.len());
    for signer in signers {
        let keyid = signer.key_id();
        let sig = signer.sign(&message).map_err(|source| SigningError::Sign {
            keyid: keyid.clone(),
            source,
        })?;
        signatures.push(serde_json::json!({"keyid": keyid, "sig": hex::encode(sig)}));
    }
    let envelope = serde_json::json!({"signatures": signatures, "signed": signed});
    serde_json::to_vec(&envelope).map_err(SigningError::Serialize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sigil_keys::{PrivateKey, Scheme};

    fn verifies(envelope: &Envelope, key: &PrivateKey) -> bool {
        envelope.signatures().iter().any(|signature| {
            signature.keyid == Signer::key_id(key)
                && hex::decode(&signature.sig).is_ok_and(|sig| {
                    key.public_key()
                        .verify(envelope.canonical_signed(), &sig)
                        .is_ok()
                })
        })
    }

    #[test]
    fn adding_a_signature_keeps_the_others_valid() {
        let first = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let second = PrivateKey::generate(Scheme::EcdsaP256Sha256).unwrap();
        let signed = serde_json::json!({"_type": "root", "version": 2});
        let bytes = sign_value(&signed, &[&first]).unwrap();
        let envelope = Envelope::from_bytes(&bytes).unwrap();
        let both = Envelope::from_bytes(&envelope.add_signature(&second).unwrap()).unwrap();
        assert_eq!(both.signed(), &signed);
        assert_eq!(both.signatures().len(), 2);
        assert!(verifies(&both, &first));
        assert!(verifies(&both, &second));
    }

    #[test]
    fn signing_again_replaces_the_same_keys_signature() {
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let bytes = sign_value(&serde_json::json!({"a": 1}), &[&key]).unwrap();
        let mut envelope = Envelope::from_bytes(&bytes).unwrap();
        envelope.signatures[0].sig = "00".repeat(64);
        let again = Envelope::from_bytes(&envelope.add_signature(&key).unwrap()).unwrap();
        assert_eq!(again.signatures().len(), 1);
        assert!(verifies(&again, &key));
    }
}
