//! Verification on several threads: entries are checked out of order in batches and put back in
//! order, so attacks far into a long log are reported exactly as on one thread.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;

use common::{TickingClock, key, signed};
use sigil_custody::checkpoint::CheckpointTrust;
use sigil_custody::dsse::KeyRing;
use sigil_custody::note::NoteSigner;
use sigil_custody::store::{ENTRIES_FILE, Log, LogOptions};
use sigil_custody::verify::{FindingKind, Verifier};
use sigil_custody::{EntryDraft, Report};

const ORIGIN: &str = "example.com/parallel";
const SIZE: u64 = 1_100;

fn verify_all_ways(dir: &std::path::Path, keys: &KeyRing, trust: &CheckpointTrust) -> Report {
    let log = Log::open_read_only(dir, LogOptions::new()).unwrap();
    let report = Verifier::new(keys, trust).threads(1).verify(&log).unwrap();
    for threads in [2, 4, 7] {
        let other = Verifier::new(keys, trust)
            .threads(threads)
            .verify(&log)
            .unwrap();
        assert_eq!(
            format!("{:?}", other.findings),
            format!("{:?}", report.findings),
            "{threads} threads"
        );
    }
    report
}

#[test]
fn attacks_across_batches_are_found_as_on_one_thread() {
    let dir = tempfile::tempdir().unwrap();
    let entry_key = key();
    let note_key = key();
    let mut log = Log::create(dir.path(), LogOptions::new()).unwrap();
    let drafts: Vec<EntryDraft> = (0..SIZE)
        .map(|i| signed(&format!("app-{i}.tar.gz"), &entry_key))
        .collect();
    log.append_all(&drafts, &entry_key, &TickingClock::default())
        .unwrap();
    let note_signer = NoteSigner::new(ORIGIN, &note_key).unwrap();
    log.write_checkpoint(ORIGIN, &[&note_signer]).unwrap();
    drop(log);
    let keys = KeyRing::new().with(entry_key.public_key().clone());
    let trust = CheckpointTrust::new(ORIGIN, vec![note_signer.verifier()]);
    assert!(verify_all_ways(dir.path(), &keys, &trust).is_ok());

    // Entry 300 removed, entry 900 (899 after the removal) changed in place.
    let path = dir.path().join(ENTRIES_FILE);
    let bytes = fs::read(&path).unwrap();
    let mut lines: Vec<Vec<u8>> = bytes
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    lines.remove(300);
    let at = lines[899].len() / 2;
    lines[899][at] = if lines[899][at] == b'A' { b'B' } else { b'A' };
    fs::write(&path, lines.concat()).unwrap();
    let report = verify_all_ways(dir.path(), &keys, &trust);
    let found: Vec<(Option<u64>, &str)> = report
        .findings
        .iter()
        .map(|f| (f.index, f.kind.code()))
        .collect();
    assert!(found.contains(&(Some(300), "entries-removed")), "{found:?}");
    assert!(
        found
            .iter()
            .any(|&(index, code)| index == Some(899) && code != "entries-removed"),
        "{found:?}"
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| matches!(f.kind, FindingKind::CheckpointBeyondLog { .. })),
        "{found:?}"
    );
}
