//! The log written as C2SP tlog-tiles, read back the way a tiles client reads it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::Path;

use common::{TickingClock, key, signed};
use sigil_custody::checkpoint::{CheckpointTrust, VerifiedCheckpoint};
use sigil_custody::merkle::{Hash, Tree, leaf_hash, node_hash};
use sigil_custody::note::NoteSigner;
use sigil_custody::store::{Log, LogOptions};
use sigil_custody::tiles::{TilesError, tile_path, write_tiles};

const ORIGIN: &str = "example.com/app/custody";

fn hashes(bytes: &[u8]) -> Vec<Hash> {
    assert_eq!(bytes.len() % 32, 0);
    bytes
        .chunks(32)
        .map(|c| Hash::from_slice(c).unwrap())
        .collect()
}

fn entries(bundle: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = bundle;
    while !rest.is_empty() {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        out.push(rest[2..2 + len].to_vec());
        rest = &rest[2 + len..];
    }
    out
}

/// Rebuilds the tree from the tiles alone, as a client without the log would.
fn read_back(out: &Path, checkpoint: &VerifiedCheckpoint) {
    let size = checkpoint.checkpoint.size;
    let mut leaves = Vec::new();
    let mut bundled = Vec::new();
    for tile in 0..size.div_ceil(256) {
        let width = (size - tile * 256).min(256);
        let tile_hashes = hashes(&fs::read(out.join(tile_path(Some(0), tile, width))).unwrap());
        assert_eq!(tile_hashes.len() as u64, width);
        let bundle = entries(&fs::read(out.join(tile_path(None, tile, width))).unwrap());
        assert_eq!(bundle.len() as u64, width);
        for (hash, entry) in tile_hashes.iter().zip(&bundle) {
            assert_eq!(
                *hash,
                leaf_hash(entry),
                "leaf tile hash is the entry's leaf hash"
            );
        }
        leaves.extend(tile_hashes);
        bundled.extend(bundle);
    }
    let tree = Tree::from_leaf_hashes(leaves);
    assert_eq!(tree.root(), checkpoint.checkpoint.root);
    // Level-1 tiles hold the roots of complete 256-leaf subtrees.
    let level_one = size / 256;
    if level_one > 0 {
        let tile = hashes(&fs::read(out.join(tile_path(Some(1), 0, level_one.min(256)))).unwrap());
        for (i, hash) in tile.iter().enumerate() {
            let i = i as u64;
            let mut subtree = Tree::new();
            for leaf in i * 256..(i + 1) * 256 {
                subtree.push_leaf_hash(tree.leaf(leaf).unwrap());
            }
            assert_eq!(*hash, subtree.root());
        }
    }
    assert_eq!(
        fs::read_to_string(out.join("checkpoint")).unwrap(),
        checkpoint.note
    );
}

#[test]
fn tiles_rebuild_the_checkpointed_tree_as_the_log_grows() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let entry_key = key();
    let note_key = key();
    let signer = NoteSigner::new(ORIGIN, &note_key).unwrap();
    let trust = CheckpointTrust::new(ORIGIN, vec![signer.verifier()]);
    let mut log = Log::create(dir.path(), LogOptions::new()).unwrap();
    let clock = TickingClock::default();
    let mut appended = 0;
    for target in [3u64, 256, 600] {
        while appended < target {
            log.append(
                &signed(&format!("a{appended}"), &entry_key),
                &entry_key,
                &clock,
            )
            .unwrap();
            appended += 1;
        }
        let note = log.write_checkpoint(ORIGIN, &[&signer]).unwrap();
        let written = write_tiles(&log, &note, &trust, out.path()).unwrap();
        assert_eq!(written.tree_size, target);
        read_back(out.path(), &trust.verify(&note).unwrap());
    }
    // At 600 entries: full leaf tiles 000 and 001 and a partial one of 88, and a level-1
    // partial tile of the two complete 256-leaf subtrees.
    for path in [
        "tile/0/000",
        "tile/0/001",
        "tile/0/002.p/88",
        "tile/1/000.p/2",
        "tile/entries/002.p/88",
    ] {
        assert!(out.path().join(path).is_file(), "{path}");
    }
    // A level-1 node is the hash of two level-0 subtrees: spot-check the hashing.
    let tree = log.tree();
    assert_eq!(
        tree.root_at(512),
        Some(node_hash(
            &tree.root_at(256).unwrap(),
            &hashes(&fs::read(out.path().join("tile/1/000.p/2")).unwrap())[1]
        ))
    );
}

#[test]
fn tiles_for_a_checkpoint_of_another_tree_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let entry_key = key();
    let note_key = key();
    let signer = NoteSigner::new(ORIGIN, &note_key).unwrap();
    let trust = CheckpointTrust::new(ORIGIN, vec![signer.verifier()]);
    let clock = TickingClock::default();
    let mut log = Log::create(dir.path(), LogOptions::new()).unwrap();
    let mut other_log = Log::create(other.path(), LogOptions::new()).unwrap();
    log.append(&signed("a", &entry_key), &entry_key, &clock)
        .unwrap();
    other_log
        .append(&signed("b", &entry_key), &entry_key, &clock)
        .unwrap();
    let other_note = other_log.write_checkpoint(ORIGIN, &[&signer]).unwrap();
    assert!(matches!(
        write_tiles(&log, &other_note, &trust, out.path()),
        Err(TilesError::LogMismatch { size: 1, .. })
    ));
    assert!(!out.path().join("checkpoint").exists());
}
