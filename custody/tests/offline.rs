//! Offline proofs: an entry proven to a verifier without the log, and forged proofs refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TickingClock, key, signed};
use sigil_custody::checkpoint::CheckpointTrust;
use sigil_custody::dsse::KeyRing;
use sigil_custody::note::NoteSigner;
use sigil_custody::offline::{EntryProof, OfflineProofError};
use sigil_custody::store::{Log, LogOptions};

const ORIGIN: &str = "example.com/app/custody";

#[test]
fn every_entry_is_proven_offline_and_forgeries_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let entry_key = key();
    let note_key = key();
    let note_signer = NoteSigner::new(ORIGIN, &note_key).unwrap();
    let trust = CheckpointTrust::new(ORIGIN, vec![note_signer.verifier()]);
    let keys = KeyRing::new().with(entry_key.public_key().clone());
    let mut log = Log::create(dir.path(), LogOptions::new()).unwrap();
    let clock = TickingClock::default();
    for i in 0..11 {
        log.append(&signed(&format!("app-{i}"), &entry_key), &entry_key, &clock)
            .unwrap();
    }
    let note = log.write_checkpoint(ORIGIN, &[&note_signer]).unwrap();
    // More entries after the checkpoint: proofs still lead to the checkpointed tree.
    log.append(&signed("later", &entry_key), &entry_key, &clock)
        .unwrap();

    for index in 0..11 {
        let proof = EntryProof::build(&log, index, &note, &trust).unwrap();
        let read_back = EntryProof::from_json(proof.to_json().unwrap().as_bytes()).unwrap();
        let proven = read_back.verify(&keys, &trust).unwrap();
        assert_eq!(proven.entry.index, index);
        assert_eq!(proven.checkpoint.checkpoint.size, 11);
    }
    assert!(matches!(
        EntryProof::build(&log, 11, &note, &trust),
        Err(OfflineProofError::NotCovered {
            index: 11,
            size: 11
        })
    ));

    let genuine = EntryProof::build(&log, 4, &note, &trust).unwrap();
    // Another entry presented under entry 4's proof.
    let mut swapped = genuine.clone();
    swapped.entry = String::from_utf8(log.entry_bytes(5).unwrap()).unwrap();
    assert!(matches!(
        swapped.verify(&keys, &trust),
        Err(OfflineProofError::Inclusion(_))
    ));
    // The right entry claimed at another index.
    let mut moved = genuine.clone();
    moved.index = 5;
    assert!(matches!(
        moved.verify(&keys, &trust),
        Err(OfflineProofError::Inclusion(_))
    ));
    // A checkpoint not signed by a trusted key.
    let stranger = key();
    let stranger_trust = CheckpointTrust::new(
        ORIGIN,
        vec![NoteSigner::new(ORIGIN, &stranger).unwrap().verifier()],
    );
    assert!(matches!(
        genuine.verify(&keys, &stranger_trust),
        Err(OfflineProofError::Checkpoint(_))
    ));
    // An entry whose signer is not trusted.
    let other_keys = KeyRing::new().with(key().public_key().clone());
    assert!(matches!(
        genuine.verify(&other_keys, &trust),
        Err(OfflineProofError::Signature(_))
    ));
}
