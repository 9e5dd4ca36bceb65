//! The client's workflow and the repository editor's status read one verification result: on
//! every threshold and key-id case, the client accepts exactly the metadata that
//! `verification_result` calls verified, with the same count of valid keys. (A key id listed
//! twice in one role never gets this far: such a root is refused when it is parsed.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sigil_keys::{KeyId, PrivateKey, PublicKey, Scheme, SignError, Signer, TufKey};
use sigil_tuf::metadata::{Envelope, sign_value};
use sigil_tuf::{TrustError, TrustedSet, UnixTime, verification_result};

const NOW: UnixTime = UnixTime::saturating_from_unix_seconds(1_700_000_000);

/// Signs with `key` but names the signature `id`: how one key appears under a second key id.
struct Aliased<'a> {
    key: &'a PrivateKey,
    id: KeyId,
}

impl Signer for Aliased<'_> {
    fn public_key(&self) -> &PublicKey {
        self.key.public_key()
    }
    fn key_id(&self) -> KeyId {
        self.id.clone()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        Signer::sign(self.key, message)
    }
}

fn new_key() -> PrivateKey {
    PrivateKey::generate(Scheme::Ed25519).unwrap()
}

/// The same key material under a second key id (another `keyid_hash_algorithms`).
fn alias(key: &PrivateKey) -> (KeyId, TufKey) {
    let mut aliased = key.public_key().to_tuf_key();
    aliased
        .extra
        .insert("keyid_hash_algorithms".into(), json!(["sha512"]));
    let id = aliased.key_id().unwrap();
    assert_ne!(id, Signer::key_id(key));
    (id, aliased)
}

struct Case {
    name: &'static str,
    /// Keys of the root's key map, besides the root key.
    keys: Vec<(KeyId, TufKey)>,
    /// The timestamp role's key ids and threshold.
    keyids: Vec<KeyId>,
    threshold: u64,
    /// Who signs the timestamp.
    signers: Vec<Box<dyn Signer + 'static>>,
    accepted: bool,
    valid: u64,
}

fn root_bytes(root_key: &PrivateKey, case: &Case) -> Vec<u8> {
    let root_id = Signer::key_id(root_key);
    let mut keys: BTreeMap<String, Value> = BTreeMap::new();
    keys.insert(
        root_id.to_string(),
        serde_json::to_value(root_key.public_key().to_tuf_key()).unwrap(),
    );
    for (id, key) in &case.keys {
        keys.insert(id.to_string(), serde_json::to_value(key).unwrap());
    }
    let one = |id: &KeyId| json!({"keyids": [id], "threshold": 1});
    let root = json!({
        "_type": "root",
        "spec_version": "1.0.31",
        "consistent_snapshot": true,
        "version": 1,
        "expires": "2100-01-01T00:00:00Z",
        "keys": keys,
        "roles": {
            "root": one(&root_id),
            "targets": one(&root_id),
            "snapshot": one(&root_id),
            "timestamp": {"keyids": case.keyids, "threshold": case.threshold},
        },
    });
    sign_value(&root, &[root_key]).unwrap()
}

fn timestamp_bytes(signers: &[Box<dyn Signer>]) -> Vec<u8> {
    let timestamp = json!({
        "_type": "timestamp",
        "spec_version": "1.0.31",
        "version": 1,
        "expires": "2100-01-01T00:00:00Z",
        "meta": {"snapshot.json": {"version": 1}},
    });
    let signers: Vec<&dyn Signer> = signers.iter().map(AsRef::as_ref).collect();
    sign_value(&timestamp, &signers).unwrap()
}

fn cases() -> Vec<Case> {
    let leak = |key: PrivateKey| -> &'static PrivateKey { Box::leak(Box::new(key)) };
    let (a, b) = (leak(new_key()), leak(new_key()));
    let (ida, idb) = (Signer::key_id(a), Signer::key_id(b));
    let tuf = |key: &PrivateKey| key.public_key().to_tuf_key();
    let (alias_id, alias_key) = alias(a);
    let signer = |key: &'static PrivateKey| -> Box<dyn Signer> {
        Box::new(Aliased {
            key,
            id: Signer::key_id(key),
        })
    };
    vec![
        Case {
            name: "two distinct keys reach a threshold of two",
            keys: vec![(ida.clone(), tuf(a)), (idb.clone(), tuf(b))],
            keyids: vec![ida.clone(), idb.clone()],
            threshold: 2,
            signers: vec![signer(a), signer(b)],
            accepted: true,
            valid: 2,
        },
        Case {
            name: "a threshold of two with one signature",
            keys: vec![(ida.clone(), tuf(a)), (idb.clone(), tuf(b))],
            keyids: vec![ida.clone(), idb.clone()],
            threshold: 2,
            signers: vec![signer(a)],
            accepted: false,
            valid: 1,
        },
        Case {
            name: "one key under two key ids against a threshold of two",
            keys: vec![(ida.clone(), tuf(a)), (alias_id.clone(), alias_key)],
            keyids: vec![ida.clone(), alias_id.clone()],
            threshold: 2,
            signers: vec![
                signer(a),
                Box::new(Aliased {
                    key: a,
                    id: alias_id,
                }),
            ],
            accepted: false,
            valid: 1,
        },
        Case {
            name: "a key revoked from the role still signs",
            keys: vec![(ida.clone(), tuf(a)), (idb.clone(), tuf(b))],
            keyids: vec![ida.clone()],
            threshold: 1,
            signers: vec![signer(b)],
            accepted: false,
            valid: 0,
        },
        Case {
            name: "the key left after a revocation signs",
            keys: vec![(ida.clone(), tuf(a)), (idb, tuf(b))],
            keyids: vec![ida],
            threshold: 1,
            signers: vec![signer(a)],
            accepted: true,
            valid: 1,
        },
    ]
}

#[test]
fn client_and_status_agree_on_every_threshold_and_key_id_case() {
    let root_key = new_key();
    for case in cases() {
        let root = root_bytes(&root_key, &case);
        let timestamp = timestamp_bytes(&case.signers);

        let mut trusted = TrustedSet::new(&root, NOW).unwrap();
        let client = trusted.update_timestamp(&timestamp);

        let signed_root = trusted.root().signed();
        let role = &signed_root.roles["timestamp"];
        let envelope = Envelope::from_bytes(&timestamp).unwrap();
        let status =
            verification_result(&signed_root.keys, &role.keyids, role.threshold, &envelope);

        assert_eq!(
            client.is_ok(),
            status.is_verified(),
            "{}: client {client:?}, status {status:?}",
            case.name
        );
        assert_eq!(client.is_ok(), case.accepted, "{}", case.name);
        assert_eq!(status.valid(), case.valid, "{}", case.name);
        if let Err(error) = client {
            match error {
                TrustError::Threshold(threshold) => {
                    assert_eq!(threshold.valid, status.valid(), "{}", case.name);
                }
                other => panic!("{}: refused for another reason: {other}", case.name),
            }
        }
    }
}
