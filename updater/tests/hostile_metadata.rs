//! Every metadata parser fed thousands of mutated and truncated versions of valid metadata:
//! each must return an error or a value, never panic, and the trusted set must never accept a
//! mutation of signed content. (Deterministic: a fixed-seed generator picks the mutations.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sigil_updater::tuf::TrustedSet;
use sigil_updater::tuf::metadata::{Envelope, Metadata, Root, Snapshot, Targets, Timestamp};
use support::{METADATA_URL, NOW, Repo};

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    match rng.below(4) {
        0 => {
            let at = rng.below(out.len());
            out[at] ^= 1 << rng.below(8);
        }
        1 => out.truncate(rng.below(out.len())),
        2 => {
            let at = rng.below(out.len());
            const BYTES: &[u8] = b"{}[]\",:0-9e\\u \n";
            out.insert(at, BYTES[rng.below(BYTES.len())]);
        }
        _ => {
            let at = rng.below(out.len());
            let len = rng.below(16).min(out.len() - at);
            out.drain(at..at + len);
        }
    }
    out
}

fn repository() -> Repo {
    let mut repo = Repo::new();
    repo.add_target("targets", "dir/app.tgz", b"app");
    repo.delegate("targets", "plugins", &["plugins/*"], true);
    repo.add_target("plugins", "plugins/a.tgz", b"a");
    repo.publish_new_versions();
    repo
}

#[test]
fn mutated_metadata_never_panics_the_parsers() {
    let repo = repository();
    let files: Vec<Vec<u8>> = [
        "1.root.json",
        "timestamp.json",
        "snapshot.json",
        "targets.json",
        "plugins.json",
    ]
    .iter()
    .map(|name| {
        repo.transport
            .get(&format!("{METADATA_URL}{name}"))
            .unwrap()
    })
    .collect();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for _ in 0..3_000 {
        for file in &files {
            let input = mutate(&mut rng, file);
            let _ = Envelope::from_bytes(&input);
            let _ = Metadata::<Root>::from_bytes(&input);
            let _ = Metadata::<Timestamp>::from_bytes(&input);
            let _ = Metadata::<Snapshot>::from_bytes(&input);
            let _ = Metadata::<Targets>::from_bytes(&input);
        }
    }
}

#[test]
fn mutated_roots_are_accepted_only_when_signed_content_is_unchanged() {
    let repo = repository();
    let root = repo.roots[&1].clone();
    let signed = Envelope::from_bytes(&root)
        .unwrap()
        .canonical_signed()
        .to_vec();
    let mut rng = Rng(0x5eed_1234_abcd_0002);
    let mut accepted = 0;
    for _ in 0..3_000 {
        let input = mutate(&mut rng, &root);
        if TrustedSet::new(&input, NOW).is_ok() {
            accepted += 1;
            // Only changes outside the signed content (whitespace, say) may pass.
            let envelope = Envelope::from_bytes(&input).unwrap();
            assert_eq!(envelope.canonical_signed(), signed.as_slice());
        }
    }
    // Whitespace inserted between tokens is accepted: the check above did run.
    assert!(accepted > 0);
}
