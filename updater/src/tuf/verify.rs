//! Threshold signature checks (TUF 5.3.4, 5.4.2, 5.5.3, 5.6.3).

use std::collections::{BTreeMap, BTreeSet};

use sigil_keys::{KeyId, TufKey};

use crate::tuf::metadata::Envelope;

/// Too few valid signatures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{role} metadata has {valid} valid signature(s) from its keys, threshold is {threshold}")]
#[non_exhaustive]
pub struct ThresholdError {
    pub role: String,
    pub threshold: u64,
    pub valid: u64,
}

/// Counts the distinct keys of the role whose key is known, of a supported type, and whose
/// signature verifies over the canonical `signed` bytes; fails below `threshold`.
///
/// A key id listed twice counts once, one key listed under two key ids counts once (the key
/// material is compared, not the ids), and a signature from a key outside the role counts not at
/// all. Keys of unknown types and signatures that are not hex are skipped: another key may still
/// reach the threshold.
pub(crate) fn verify_threshold(
    role: &str,
    keys: &BTreeMap<KeyId, TufKey>,
    keyids: &[KeyId],
    threshold: u64,
    envelope: &Envelope,
) -> Result<(), ThresholdError> {
    let message = envelope.canonical_signed();
    let role_keyids: BTreeSet<&KeyId> = keyids.iter().collect();
    let mut valid: Vec<sigil_keys::PublicKey> = Vec::new();
    for keyid in role_keyids {
        let Some(key) = keys.get(keyid) else {
            continue;
        };
        let Ok(public) = key.to_public_key() else {
            continue;
        };
        let verified = envelope
            .signatures()
            .iter()
            .filter(|signature| &signature.keyid == keyid)
            .any(|signature| {
                hex::decode(&signature.sig).is_ok_and(|sig| public.verify(message, &sig).is_ok())
            });
        if verified && !valid.contains(&public) {
            valid.push(public);
        }
    }
    let valid = u64::try_from(valid.len()).unwrap_or(u64::MAX);
    if valid >= threshold {
        Ok(())
    } else {
        Err(ThresholdError {
            role: role.to_owned(),
            threshold,
            valid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tuf::metadata::sign_value;
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
