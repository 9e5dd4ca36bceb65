//! Append throughput, open and verify times, and proof sizes of a custody log.
//!
//! `cargo bench -p sigil-custody` builds a log of 1,000,000 entries (set `SIGIL_BENCH_ENTRIES`
//! for another size) in a temporary directory on the disk that holds `TMPDIR`: the first 2,000
//! with an fsync per append (`Log::append`), the rest in batches of 1,000 with one fsync each
//! (`Log::append_all`), and prints medians of both.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use sigil_custody::merkle::leaf_hash;
use sigil_custody::predicate::{ArtifactSignature, Predicate};
use sigil_custody::{
    CheckpointTrust, Clock, EntryDraft, KeyRing, Log, LogOptions, NoteSigner, Sha256Digest,
    Subject, Timestamp, Verifier,
};
use sigil_keys::{PrivateKey, Scheme, Signer};

struct StepClock(std::sync::atomic::AtomicI64);

impl Clock for StepClock {
    fn now(&self) -> Timestamp {
        let seconds = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Timestamp::from_unix_seconds(seconds).unwrap()
    }
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn draft(i: u64, signer: &dyn Signer) -> EntryDraft {
    let name = format!("app-1.0.{i}-linux-x86_64.tar.gz");
    EntryDraft::new(
        vec![Subject::new(&name, Sha256Digest::of(name.as_bytes()))],
        Predicate::ArtifactSignature(ArtifactSignature {
            format: "minisign".into(),
            key_id: signer.key_id(),
            signature_sha256: Sha256Digest::of(&i.to_be_bytes()).to_hex(),
        }),
    )
}

fn main() {
    let entries: u64 = std::env::var("SIGIL_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
    let clock = StepClock(std::sync::atomic::AtomicI64::new(1_767_225_600));
    let mut log = Log::create(dir.path(), LogOptions::new()).unwrap();

    // Appends with an fsync each, timed in groups of 100.
    let single = 2_000.min(entries);
    let mut per_append = Vec::new();
    let mut i = 0;
    while i < single {
        let n = 100.min(single - i);
        let t = Instant::now();
        for _ in 0..n {
            log.append(&draft(i, &key), &key, &clock).unwrap();
            i += 1;
        }
        per_append.push(t.elapsed() / u32::try_from(n).unwrap());
    }
    let append = median(&mut per_append);
    println!(
        "append with an fsync each (sign + write + fsync): median {append:.1?} per append ({:.0} appends/s) over {single}",
        1.0 / append.as_secs_f64(),
    );
    // The rest in batches of 1,000 with one fsync per batch.
    let mut per_batched = Vec::new();
    let started = Instant::now();
    while i < entries {
        let n = 1_000.min(entries - i);
        let drafts: Vec<EntryDraft> = (i..i + n).map(|j| draft(j, &key)).collect();
        let t = Instant::now();
        log.append_all(&drafts, &key, &clock).unwrap();
        per_batched.push(t.elapsed() / u32::try_from(n).unwrap());
        i += n;
    }
    if !per_batched.is_empty() {
        let batched = median(&mut per_batched);
        println!(
            "append in batches of 1,000 (one fsync each): median {batched:.1?} per entry ({:.0} entries/s); {} entries in {:.2?}",
            1.0 / batched.as_secs_f64(),
            entries - single,
            started.elapsed()
        );
    }
    let bytes = std::fs::metadata(dir.path().join("entries.jsonl"))
        .unwrap()
        .len();
    println!(
        "{entries} entries on disk: {} bytes per entry",
        bytes / entries.max(1)
    );

    let note_signer = NoteSigner::new("bench.example/custody", &key).unwrap();
    let note = log
        .write_checkpoint("bench.example/custody", &[&note_signer])
        .unwrap();

    let t = Instant::now();
    let reader = Log::open_read_only(dir.path(), LogOptions::new()).unwrap();
    println!(
        "open read-only (scan and rebuild the tree): {:.2?}",
        t.elapsed()
    );

    let keys = KeyRing::new().with(key.public_key().clone());
    let trust = CheckpointTrust::new("bench.example/custody", vec![note_signer.verifier()]);
    let t = Instant::now();
    let report = Verifier::new(&keys, &trust)
        .checkpoint(&note)
        .verify(&reader)
        .unwrap();
    assert!(report.is_ok());
    println!(
        "verify (every signature, order, checkpoint): {:.2?}",
        t.elapsed()
    );

    let size = reader.size();
    let root = reader.tree().root();
    for index in [0, size / 2, size - 1] {
        let mut make = Vec::new();
        let mut check = Vec::new();
        let mut proof = None;
        for _ in 0..101 {
            let t = Instant::now();
            let p = reader.prove_inclusion(index, size).unwrap();
            make.push(t.elapsed());
            let leaf = leaf_hash(&reader.entry_bytes(index).unwrap());
            let t = Instant::now();
            p.verify(&leaf, &root).unwrap();
            check.push(t.elapsed());
            proof = Some(p);
        }
        let hashes = proof.map_or(0, |p| p.path.len());
        println!(
            "inclusion proof of entry {index} in {size}: {hashes} hashes ({} bytes); median {:.1?} to make, {:.1?} to verify",
            hashes * 32,
            median(&mut make),
            median(&mut check)
        );
    }
    for old in [1, size / 3, size / 2, size - 1] {
        let old_root = reader.tree().root_at(old).unwrap();
        let mut make = Vec::new();
        let mut check = Vec::new();
        let mut hashes = 0;
        for _ in 0..101 {
            let t = Instant::now();
            let p = reader.prove_consistency(old, size).unwrap();
            make.push(t.elapsed());
            let t = Instant::now();
            p.verify(&old_root, &root).unwrap();
            check.push(t.elapsed());
            hashes = p.path.len();
        }
        println!(
            "consistency proof {old} -> {size}: {hashes} hashes ({} bytes); median {:.1?} to make, {:.1?} to verify",
            hashes * 32,
            median(&mut make),
            median(&mut check)
        );
    }
}
