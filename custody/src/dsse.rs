//! DSSE envelopes (Dead Simple Signing Envelope, protocol v1.0): the signature covers the
//! pre-authentication encoding `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, so a
//! signature over one payload type can never be replayed as another.
//!
//! Payloads are written and read in standard base64 with padding; sigil's log never holds the
//! URL-safe variant the protocol also allows.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use sigil_keys::{KeyId, PublicKey, SignError, Signer};

/// The payload type of in-toto statements.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A DSSE envelope in its JSON form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// The payload, base64.
    pub payload: String,
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignature {
    /// The TUF key id of the signing key.
    pub keyid: KeyId,
    /// The signature over the PAE, base64.
    pub sig: String,
}

/// Why an envelope could not be made or did not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DsseError {
    #[error("signing the envelope failed")]
    Sign(#[source] SignError),
    #[error("envelope payload is not standard base64")]
    PayloadEncoding,
    #[error("expected payload type {expected:?}, found {found:?}")]
    PayloadType { expected: String, found: String },
    #[error("the envelope has no signatures")]
    Unsigned,
    #[error("signature by key {keyid} is not standard base64")]
    SignatureEncoding { keyid: KeyId },
    #[error("signature by trusted key {keyid} does not match the envelope")]
    BadSignature { keyid: KeyId },
    #[error("no signature is by a trusted key (signed by: {})", join(.keyids))]
    UntrustedSigners { keyids: Vec<KeyId> },
}

fn join(keyids: &[KeyId]) -> String {
    let names: Vec<&str> = keyids.iter().map(KeyId::as_str).collect();
    names.join(", ")
}

/// DSSE's pre-authentication encoding of a payload.
#[must_use]
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// The public keys whose signatures are trusted, by TUF key id.
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    keys: BTreeMap<KeyId, PublicKey>,
}

impl KeyRing {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts `key` under its TUF key id.
    pub fn insert(&mut self, key: PublicKey) {
        self.keys.insert(key.key_id(), key);
    }

    #[must_use]
    pub fn with(mut self, key: PublicKey) -> Self {
        self.insert(key);
        self
    }

    #[must_use]
    pub fn get(&self, keyid: &KeyId) -> Option<&PublicKey> {
        self.keys.get(keyid)
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl Envelope {
    /// Signs `payload` as `payload_type` with one signer.
    pub fn sign(
        payload_type: &str,
        payload: &[u8],
        signer: &dyn Signer,
    ) -> Result<Self, DsseError> {
        let signature = signer
            .sign(&pae(payload_type, payload))
            .map_err(DsseError::Sign)?;
        Ok(Self {
            payload_type: payload_type.to_owned(),
            payload: BASE64.encode(payload),
            signatures: vec![EnvelopeSignature {
                keyid: signer.key_id(),
                sig: BASE64.encode(signature),
            }],
        })
    }

    /// The decoded payload.
    pub fn payload_bytes(&self) -> Result<Vec<u8>, DsseError> {
        BASE64
            .decode(self.payload.as_bytes())
            .map_err(|_| DsseError::PayloadEncoding)
    }

    /// Checks the envelope's type and that at least one signature is by a key in `keys` and
    /// valid. Any signature by a trusted key that does not verify fails the envelope, even if
    /// another one verifies: a trusted key never signs garbage. Returns the decoded payload and
    /// the ids of the keys whose signatures verified.
    pub fn verify(
        &self,
        expected_type: &str,
        keys: &KeyRing,
    ) -> Result<(Vec<u8>, Vec<KeyId>), DsseError> {
        if self.payload_type != expected_type {
            return Err(DsseError::PayloadType {
                expected: expected_type.to_owned(),
                found: self.payload_type.clone(),
            });
        }
        if self.signatures.is_empty() {
            return Err(DsseError::Unsigned);
        }
        let payload = self.payload_bytes()?;
        let message = pae(&self.payload_type, &payload);
        let mut verified = Vec::new();
        for signature in &self.signatures {
            let Some(key) = keys.get(&signature.keyid) else {
                continue;
            };
            let sig = BASE64.decode(signature.sig.as_bytes()).map_err(|_| {
                DsseError::SignatureEncoding {
                    keyid: signature.keyid.clone(),
                }
            })?;
            key.verify(&message, &sig)
                .map_err(|_| DsseError::BadSignature {
                    keyid: signature.keyid.clone(),
                })?;
            verified.push(signature.keyid.clone());
        }
        if verified.is_empty() {
            return Err(DsseError::UntrustedSigners {
                keyids: self.signatures.iter().map(|s| s.keyid.clone()).collect(),
            });
        }
        Ok((payload, verified))
    }
}

#[cfg(test)]
mod tests {
    use sigil_keys::{PrivateKey, Scheme};

    use super::*;

    #[test]
    fn pae_matches_the_dsse_specification_example() {
        // The worked example of the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
    }

    #[test]
    fn signed_envelope_verifies_with_its_key_only() {
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let other = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, b"{}", &key).unwrap();
        let ring = KeyRing::new().with(key.public_key().clone());
        let (payload, signers) = envelope.verify(IN_TOTO_PAYLOAD_TYPE, &ring).unwrap();
        assert_eq!(payload, b"{}");
        assert_eq!(signers, [key.public_key().key_id()]);
        let stranger = KeyRing::new().with(other.public_key().clone());
        assert!(matches!(
            envelope.verify(IN_TOTO_PAYLOAD_TYPE, &stranger),
            Err(DsseError::UntrustedSigners { .. })
        ));
    }

    #[test]
    fn payload_type_confusion_fails() {
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let ring = KeyRing::new().with(key.public_key().clone());
        let mut envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, b"{}", &key).unwrap();
        assert!(matches!(
            envelope.verify("application/json", &ring),
            Err(DsseError::PayloadType { .. })
        ));
        // Relabelled to the expected type, the signature no longer covers it.
        envelope.payload_type = "application/json".into();
        assert!(matches!(
            envelope.verify("application/json", &ring),
            Err(DsseError::BadSignature { .. })
        ));
    }

    #[test]
    fn swapped_payload_fails() {
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let ring = KeyRing::new().with(key.public_key().clone());
        let mut envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, b"{\"a\":1}", &key).unwrap();
        envelope.payload = BASE64.encode(b"{\"a\":2}");
        assert!(matches!(
            envelope.verify(IN_TOTO_PAYLOAD_TYPE, &ring),
            Err(DsseError::BadSignature { .. })
        ));
        envelope.signatures.clear();
        assert!(matches!(
            envelope.verify(IN_TOTO_PAYLOAD_TYPE, &ring),
            Err(DsseError::Unsigned)
        ));
    }
}
