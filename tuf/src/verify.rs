//! Threshold signature checks (TUF 5.3.4, 5.4.2, 5.5.3, 5.6.3).

use std::collections::{BTreeMap, BTreeSet};

use sigil_keys::{KeyId, TufKey};

use crate::metadata::Envelope;

/// Too few valid signatures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{role} metadata has {valid} valid signature(s) from its keys, threshold is {threshold}")]
#[non_exhaustive]
pub struct ThresholdError {
    pub role: String,
    pub threshold: u64,
    pub valid: u64,
}

/// How one role's signatures on one metadata file fare against the role's keys: the one
/// judgement both the client (which refuses below the threshold) and the repository editor's
/// status (which reports it) read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerificationResult {
    /// The role's threshold.
    pub threshold: u64,
    /// Key ids whose signature verifies and counts, one per distinct key, in the role's order.
    pub counted: Vec<KeyId>,
    /// Key ids whose signature verifies but whose key material is already counted under another
    /// key id of the role: one key counts once, however many ids it is listed under.
    pub duplicates: Vec<KeyId>,
    /// Key ids of the role with a signature present that does not verify (or whose key is
    /// unknown or of an unsupported type).
    pub bad: Vec<KeyId>,
    /// Key ids of the role with no valid signature (bad or absent), duplicates excepted.
    pub unsigned: Vec<KeyId>,
}

impl VerificationResult {
    /// Distinct keys whose signature verifies.
    #[must_use]
    pub fn valid(&self) -> u64 {
        u64::try_from(self.counted.len()).unwrap_or(u64::MAX)
    }

    /// Whether the threshold is met.
    #[must_use]
    pub fn is_verified(&self) -> bool {
        self.valid() >= self.threshold
    }
}

/// Judges `envelope` against the role whose keys are `keyids` (looked up in `keys`) and whose
/// threshold is `threshold`.
///
/// A key id listed twice counts once, one key listed under two key ids counts once (the key
/// material is compared, not the ids), and a signature from a key outside the role counts not at
/// all. Keys of unknown types and signatures that are not hex do not count: another key may still
/// reach the threshold.
#[must_use]
pub fn verification_result(
    keys: &BTreeMap<KeyId, TufKey>,
    keyids: &[KeyId],
    threshold: u64,
    envelope: &Envelope,
) -> VerificationResult {
    let message = envelope.canonical_signed();
    let mut seen: BTreeSet<&KeyId> = BTreeSet::new();
    let mut counted_keys: Vec<sigil_keys::PublicKey> = Vec::new();
    let mut result = VerificationResult {
        threshold,
        counted: Vec::new(),
        duplicates: Vec::new(),
        bad: Vec::new(),
        unsigned: Vec::new(),
    };
    for keyid in keyids {
        if !seen.insert(keyid) {
            continue;
        }
        let mut signatures = envelope
            .signatures()
            .iter()
            .filter(|signature| &signature.keyid == keyid)
            .peekable();
        if signatures.peek().is_none() {
            result.unsigned.push(keyid.clone());
            continue;
        }
        let public = keys.get(keyid).and_then(|key| key.to_public_key().ok());
        let verified = public.filter(|public| {
            signatures.any(|signature| {
                hex::decode(&signature.sig).is_ok_and(|sig| public.verify(message, &sig).is_ok())
            })
        });
        match verified {
            Some(public) if counted_keys.contains(&public) => {
                result.duplicates.push(keyid.clone());
            }
            Some(public) => {
                counted_keys.push(public);
                result.counted.push(keyid.clone());
            }
            None => {
                result.bad.push(keyid.clone());
                result.unsigned.push(keyid.clone());
            }
        }
    }
    result
}

/// [`verification_result`], failing below `threshold`.
pub(crate) fn verify_threshold(
    role: &str,
    keys: &BTreeMap<KeyId, TufKey>,
    keyids: &[KeyId],
    threshold: u64,
    envelope: &Envelope,
) -> Result<(), ThresholdError> {
    let result = verification_result(keys, keyids, threshold, envelope);
    if result.is_verified() {
        Ok(())
    } else {
        Err(ThresholdError {
            role: role.to_owned(),
            threshold,
            valid: result.valid(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::sign_value;
    use sigil_keys::{PrivateKey, Scheme, Signer};

    fn envelope(signers: &[&dyn Signer]) -> Envelope {
        let bytes = sign_value(&serde_json::json!({"_type": "timestamp"}), signers).unwrap();
        Envelope::from_bytes(&bytes).unwrap()
    }

    #[test]
    fn a_key_listed_twice_counts_once() {
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let keyid = Signer::key_id(&key);
        let keys = BTreeMap::from([(keyid.clone(), key.public_key().to_tuf_key())]);
        let signed = envelope(&[&key]);
        let error =
            verify_threshold("timestamp", &keys, &[keyid.clone(), keyid], 2, &signed).unwrap_err();
        assert_eq!(error.valid, 1);
    }

    #[test]
    fn one_key_under_two_key_ids_counts_once() {
        // A stolen key listed twice in a role, under two ids that each carry its signature,
        // must not pass a threshold of two.
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let first = Signer::key_id(&key);
        let mut aliased = key.public_key().to_tuf_key();
        aliased.extra.insert(
            "keyid_hash_algorithms".into(),
            serde_json::json!(["sha512"]),
        );
        let second = aliased.key_id().unwrap();
        assert_ne!(first, second);
        let keys = BTreeMap::from([
            (first.clone(), key.public_key().to_tuf_key()),
            (second.clone(), aliased),
        ]);
        let mut value: serde_json::Value = serde_json::from_slice(
            &sign_value(&serde_json::json!({"_type": "timestamp"}), &[&key]).unwrap(),
        )
        .unwrap();
        let signature = value["signatures"][0].clone();
        let mut copy = signature.clone();
        copy["keyid"] = serde_json::json!(second.as_str());
        value["signatures"] = serde_json::json!([signature, copy]);
        let signed = Envelope::from_bytes(&serde_json::to_vec(&value).unwrap()).unwrap();
        let error = verify_threshold("timestamp", &keys, &[first, second], 2, &signed).unwrap_err();
        assert_eq!(error.valid, 1);
    }

    #[test]
    fn signatures_from_keys_outside_the_role_do_not_count() {
        let inside = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let outside = PrivateKey::generate(Scheme::EcdsaP256Sha256).unwrap();
        let keys = BTreeMap::from([
            (Signer::key_id(&inside), inside.public_key().to_tuf_key()),
            (Signer::key_id(&outside), outside.public_key().to_tuf_key()),
        ]);
        let signed = envelope(&[&outside]);
        assert!(
            verify_threshold("snapshot", &keys, &[Signer::key_id(&inside)], 1, &signed).is_err()
        );
        let signed = envelope(&[&inside, &outside]);
        assert!(
            verify_threshold("snapshot", &keys, &[Signer::key_id(&inside)], 1, &signed).is_ok()
        );
    }

    #[test]
    fn unknown_key_types_are_skipped_not_fatal() {
        let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let mut unknown = key.public_key().to_tuf_key();
        unknown.keytype = "sphincs".into();
        unknown.scheme = "sphincs-shake".into();
        let unknown_id = KeyId::new("ab".repeat(32));
        let keys = BTreeMap::from([
            (Signer::key_id(&key), key.public_key().to_tuf_key()),
            (unknown_id.clone(), unknown),
        ]);
        let signed = envelope(&[&key]);
        assert!(
            verify_threshold(
                "root",
                &keys,
                &[unknown_id, Signer::key_id(&key)],
                1,
                &signed
            )
            .is_ok()
        );
    }
}
