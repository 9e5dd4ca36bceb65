//! Tampering with a custody log, one attack per test, each found with its index and reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::Path;

use common::{TickingClock, key, signed};
use sigil_custody::checkpoint::{Checkpoint, CheckpointTrust};
use sigil_custody::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE, KeyRing};
use sigil_custody::note::NoteSigner;
use sigil_custody::store::{ENTRIES_FILE, Log, LogOptions};
use sigil_custody::verify::{Report, Verifier};
use sigil_keys::PrivateKey;
use tempfile::TempDir;

const ORIGIN: &str = "example.com/app/custody";
const SIZE: u64 = 8;

struct Fixture {
    dir: TempDir,
    entry_key: PrivateKey,
    note_key: PrivateKey,
    keys: KeyRing,
    trust: CheckpointTrust,
}

impl Fixture {
    /// An honest log of eight entries with a checkpoint of all of them.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let entry_key = key();
        let note_key = key();
        let mut log = Log::create(dir.path(), LogOptions::new()).unwrap();
        let clock = TickingClock::default();
        for i in 0..SIZE {
            let draft = signed(&format!("app-1.{i}.0.tar.gz"), &entry_key);
            log.append(&draft, &entry_key, &clock).unwrap();
        }
        let note_signer = NoteSigner::new(ORIGIN, &note_key).unwrap();
        log.write_checkpoint(ORIGIN, &[&note_signer]).unwrap();
        let keys = KeyRing::new().with(entry_key.public_key().clone());
        let trust = CheckpointTrust::new(ORIGIN, vec![note_signer.verifier()]);
        Self {
            dir,
            entry_key,
            note_key,
            keys,
            trust,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn lines(&self) -> Vec<Vec<u8>> {
        let bytes = fs::read(self.path().join(ENTRIES_FILE)).unwrap();
        bytes
            .split_inclusive(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect()
    }

    fn write_lines(&self, lines: &[Vec<u8>]) {
        fs::write(self.path().join(ENTRIES_FILE), lines.concat()).unwrap();
    }

    /// Verifies on one thread and on several: each attack is found the same either way.
    fn verify(&self) -> Report {
        let log = Log::open_read_only(self.path(), LogOptions::new()).unwrap();
        let verifier = Verifier::new(&self.keys, &self.trust);
        let report = verifier.verify(&log).unwrap();
        let describe = |report: &Report| format!("{:?}", report.findings);
        for threads in [1, 3] {
            let other = Verifier::new(&self.keys, &self.trust)
                .threads(threads)
                .verify(&log)
                .unwrap();
            assert_eq!(describe(&other), describe(&report), "{threads} thread(s)");
        }
        report
    }

    fn note_signer(&self) -> NoteSigner<'_> {
        NoteSigner::new(ORIGIN, &self.note_key).unwrap()
    }

    /// A signed checkpoint of the first `size` entries of the log in `dir`.
    fn checkpoint_of(&self, dir: &Path, size: u64) -> (Checkpoint, String) {
        let log = Log::open_read_only(dir, LogOptions::new()).unwrap();
        let checkpoint = Checkpoint {
            origin: ORIGIN.into(),
            size,
            root: log.tree().root_at(size).unwrap(),
            extensions: Vec::new(),
        };
        let note = checkpoint.sign(&[&self.note_signer()]).unwrap();
        (checkpoint, note)
    }

    /// A trusted key holder's copy of the first `keep` entries with `extra` entries appended:
    /// valid entries that fit after those `keep`.
    fn insider_branch(&self, keep: usize, extra: &[&str]) -> (TempDir, Vec<Vec<u8>>) {
        let branch = tempfile::tempdir().unwrap();
        Log::create(branch.path(), LogOptions::new()).unwrap();
        fs::write(
            branch.path().join(ENTRIES_FILE),
            self.lines()[..keep].concat(),
        )
        .unwrap();
        let mut log = Log::open(branch.path(), LogOptions::new()).unwrap();
        let clock = TickingClock::default();
        for name in extra {
            log.append(&signed(name, &self.entry_key), &self.entry_key, &clock)
                .unwrap();
        }
        let bytes = fs::read(branch.path().join(ENTRIES_FILE)).unwrap();
        let lines = bytes
            .split_inclusive(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
        (branch, lines)
    }
}

/// The line of a hand-made entry at `index` of the fixture's log, signed by `signer`, its
/// statement edited by `edit` first.
fn crafted_line(
    fixture: &Fixture,
    index: usize,
    signer: &PrivateKey,
    edit: impl FnOnce(&mut serde_json::Value),
) -> Vec<u8> {
    let (_branch, lines) = fixture.insider_branch(index, &["crafted"]);
    let envelope: Envelope = serde_json::from_slice(lines[index].trim_ascii_end()).unwrap();
    let mut statement: serde_json::Value =
        serde_json::from_slice(&envelope.payload_bytes().unwrap()).unwrap();
    edit(&mut statement);
    let payload = serde_json::to_vec(&statement).unwrap();
    let resigned = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, &payload, signer).unwrap();
    let mut line = serde_json::to_vec(&resigned).unwrap();
    line.push(b'\n');
    line
}

/// The findings as (index, code) pairs.
fn codes(report: &Report) -> Vec<(Option<u64>, &'static str)> {
    report
        .findings
        .iter()
        .map(|f| (f.index, f.kind.code()))
        .collect()
}

#[test]
fn honest_log_verifies() {
    let fixture = Fixture::new();
    let report = fixture.verify();
    assert!(report.is_ok(), "{:?}", report.findings);
    assert_eq!(report.size, SIZE);
    let checkpoint = report.checkpoint.unwrap().checkpoint;
    assert_eq!((checkpoint.size, checkpoint.root), (SIZE, report.root));
}

#[test]
fn flipped_byte_in_any_entry_is_found_at_that_entry() {
    let fixture = Fixture::new();
    let original = fixture.lines();
    for entry in 0..SIZE as usize {
        let line_len = original[entry].len() - 1;
        // Every byte of the last entry, which no later entry vouches for; every 7th byte of
        // the others, to keep the test quick.
        let step = if entry == SIZE as usize - 1 { 1 } else { 7 };
        for position in (0..line_len).step_by(step) {
            let mut lines = original.clone();
            lines[entry][position] ^= 0x01;
            fixture.write_lines(&lines);
            let report = fixture.verify();
            let found = report.findings.iter().any(|f| {
                f.index == Some(entry as u64)
                    && ["unreadable-entry", "bad-signature", "untrusted-signer"]
                        .contains(&f.kind.code())
            });
            assert!(
                found,
                "byte {position} of entry {entry}: {:?}",
                codes(&report)
            );
            // The checkpoint no longer matches the tree either.
            assert!(codes(&report).contains(&(Some(SIZE - 1), "checkpoint-mismatch")));
        }
    }
}

#[test]
fn dropped_entry_is_found_where_it_was() {
    let fixture = Fixture::new();
    let mut lines = fixture.lines();
    lines.remove(3);
    fixture.write_lines(&lines);
    let report = fixture.verify();
    assert_eq!(
        codes(&report),
        [
            (Some(3), "entries-removed"),
            (Some(SIZE - 1), "checkpoint-beyond-log")
        ]
    );
    let text = report.findings[0].to_string();
    assert!(text.contains("appended at index 3"), "{text}");
}

#[test]
fn dropped_first_entry_is_found() {
    let fixture = Fixture::new();
    let mut lines = fixture.lines();
    lines.remove(0);
    fixture.write_lines(&lines);
    assert_eq!(codes(&fixture.verify())[0], (Some(0), "entries-removed"));
}

#[test]
fn dropping_any_one_entry_is_found_at_its_index() {
    let fixture = Fixture::new();
    let original = fixture.lines();
    for dropped in 0..SIZE as usize {
        let mut lines = original.clone();
        lines.remove(dropped);
        fixture.write_lines(&lines);
        let found = codes(&fixture.verify());
        if dropped + 1 == SIZE as usize {
            // Nothing follows the last entry: only the checkpoint can tell.
            assert_eq!(found, [(Some(SIZE - 1), "checkpoint-beyond-log")]);
        } else {
            assert_eq!(
                found[0],
                (Some(dropped as u64), "entries-removed"),
                "{dropped}"
            );
        }
    }
}

#[test]
fn swapping_any_two_neighbours_is_found_at_the_second() {
    let fixture = Fixture::new();
    let original = fixture.lines();
    for first in 0..SIZE as usize - 1 {
        let mut lines = original.clone();
        lines.swap(first, first + 1);
        fixture.write_lines(&lines);
        assert_eq!(
            codes(&fixture.verify()),
            [
                (Some(first as u64 + 1), "entry-out-of-order"),
                (Some(SIZE - 1), "checkpoint-mismatch")
            ],
            "{first}"
        );
    }
}

#[test]
fn swapped_entries_are_found_out_of_order() {
    let fixture = Fixture::new();
    let mut lines = fixture.lines();
    lines.swap(2, 3);
    fixture.write_lines(&lines);
    let report = fixture.verify();
    assert_eq!(
        codes(&report),
        [
            (Some(3), "entry-out-of-order"),
            (Some(SIZE - 1), "checkpoint-mismatch")
        ]
    );
    assert!(
        report.findings[0]
            .to_string()
            .contains("appended at index 2 but comes after entry 2, which was appended at index 3")
    );
}

#[test]
fn truncated_tail_is_found_against_the_checkpoint() {
    let fixture = Fixture::new();
    let lines = fixture.lines();
    fixture.write_lines(&lines[..5]);
    assert_eq!(
        codes(&fixture.verify()),
        [(Some(5), "checkpoint-beyond-log")]
    );
}

#[test]
fn tail_cut_mid_entry_is_a_torn_tail() {
    let fixture = Fixture::new();
    let mut lines = fixture.lines();
    let last = lines.len() - 1;
    lines[last].truncate(40);
    fixture.write_lines(&lines);
    assert_eq!(
        codes(&fixture.verify()),
        [
            (Some(SIZE - 1), "torn-tail"),
            (Some(SIZE - 1), "checkpoint-beyond-log")
        ]
    );
}

#[test]
fn entry_inserted_by_an_outsider_is_found() {
    let fixture = Fixture::new();
    let outsider = key();
    let forged = tempfile::tempdir().unwrap();
    let mut log = Log::create(forged.path(), LogOptions::new()).unwrap();
    log.append(
        &signed("backdoored.tar.gz", &outsider),
        &outsider,
        &TickingClock::default(),
    )
    .unwrap();
    let forged_line = fs::read(forged.path().join(ENTRIES_FILE)).unwrap();
    let mut lines = fixture.lines();
    lines.insert(4, forged_line);
    fixture.write_lines(&lines);
    let report = fixture.verify();
    assert_eq!(
        codes(&report),
        [
            (Some(4), "untrusted-signer"),
            (Some(SIZE - 1), "checkpoint-mismatch")
        ]
    );
}

#[test]
fn entry_inserted_by_a_key_holder_is_found() {
    let fixture = Fixture::new();
    // A valid entry signed by the trusted key, made to fit exactly after entry 3.
    let (_branch, branch_lines) = fixture.insider_branch(4, &["backdoored.tar.gz"]);
    let mut lines = fixture.lines();
    lines.insert(4, branch_lines[4].clone());
    fixture.write_lines(&lines);
    let report = fixture.verify();
    assert_eq!(
        codes(&report),
        [
            (Some(5), "entry-index-reused"),
            (Some(SIZE - 1), "checkpoint-mismatch")
        ]
    );
}

#[test]
fn entry_rewritten_and_resigned_by_a_key_holder_is_found() {
    let fixture = Fixture::new();
    let (_branch, branch_lines) = fixture.insider_branch(3, &["rewritten.tar.gz"]);
    let mut lines = fixture.lines();
    lines[3] = branch_lines[3].clone();
    fixture.write_lines(&lines);
    let report = fixture.verify();
    assert_eq!(
        codes(&report),
        [
            (Some(3), "history-changed"),
            (Some(SIZE - 1), "checkpoint-mismatch")
        ]
    );
    assert!(
        report.findings[0]
            .to_string()
            .contains("entry 3 was changed")
    );
}

#[test]
fn checkpoint_for_a_different_tree_is_found() {
    let fixture = Fixture::new();
    let (branch, _) = fixture.insider_branch(5, &["x", "y", "z"]);
    let (_, note) = fixture.checkpoint_of(branch.path(), SIZE);
    let log = Log::open_read_only(fixture.path(), LogOptions::new()).unwrap();
    let report = Verifier::new(&fixture.keys, &fixture.trust)
        .checkpoint(&note)
        .verify(&log)
        .unwrap();
    assert_eq!(codes(&report), [(Some(SIZE - 1), "checkpoint-mismatch")]);
}

#[test]
fn forged_checkpoint_signature_is_found() {
    let fixture = Fixture::new();
    let log = Log::open_read_only(fixture.path(), LogOptions::new()).unwrap();
    let genuine = log.read_checkpoint().unwrap().unwrap();
    // The size edited under the genuine signature.
    let edited = genuine.replacen("\n8\n", "\n9\n", 1);
    // A checkpoint signed by an attacker's key under the log's name.
    let attacker = key();
    let impostor = NoteSigner::new(ORIGIN, &attacker).unwrap();
    let (checkpoint, _) = fixture.checkpoint_of(fixture.path(), SIZE);
    let forged = checkpoint.sign(&[&impostor]).unwrap();
    for note in [edited, forged] {
        let report = Verifier::new(&fixture.keys, &fixture.trust)
            .checkpoint(&note)
            .verify(&log)
            .unwrap();
        assert_eq!(codes(&report), [(None, "checkpoint-invalid")], "{note}");
        assert!(report.checkpoint.is_none());
    }
}

#[test]
fn forking_checkpoints_are_found() {
    let fixture = Fixture::new();
    // The log's operator showed one verifier a history that diverges after entry 4.
    let (fork, _) = fixture.insider_branch(5, &["other-1", "other-2"]);
    let (forked, _) = fixture.checkpoint_of(fork.path(), 7);
    let log = Log::open_read_only(fixture.path(), LogOptions::new()).unwrap();
    let report = Verifier::new(&fixture.keys, &fixture.trust)
        .previous(&forked)
        .verify(&log)
        .unwrap();
    assert_eq!(codes(&report), [(None, "fork")]);

    // Two checkpoints of the same size with different roots.
    let (forked_same_size, _) = fixture.checkpoint_of(fork.path(), 6);
    let (_, honest_note) = fixture.checkpoint_of(fixture.path(), 6);
    let report = Verifier::new(&fixture.keys, &fixture.trust)
        .checkpoint(&honest_note)
        .previous(&forked_same_size)
        .verify(&log)
        .unwrap();
    assert_eq!(codes(&report), [(None, "fork")]);
}

#[test]
fn earlier_checkpoint_is_extended_by_an_honest_log() {
    let fixture = Fixture::new();
    for old_size in 0..=SIZE {
        let (previous, _) = fixture.checkpoint_of(fixture.path(), old_size);
        let log = Log::open_read_only(fixture.path(), LogOptions::new()).unwrap();
        let report = Verifier::new(&fixture.keys, &fixture.trust)
            .previous(&previous)
            .verify(&log)
            .unwrap();
        assert!(report.is_ok(), "{old_size}: {:?}", codes(&report));
    }
}

#[test]
fn rolled_back_checkpoint_is_found() {
    let fixture = Fixture::new();
    let (previous, _) = fixture.checkpoint_of(fixture.path(), SIZE);
    let (_, older_note) = fixture.checkpoint_of(fixture.path(), 5);
    let log = Log::open_read_only(fixture.path(), LogOptions::new()).unwrap();
    let report = Verifier::new(&fixture.keys, &fixture.trust)
        .checkpoint(&older_note)
        .previous(&previous)
        .verify(&log)
        .unwrap();
    assert_eq!(codes(&report), [(None, "checkpoint-rollback")]);
}

#[test]
fn entry_signed_by_a_rotated_out_key_is_untrusted() {
    let fixture = Fixture::new();
    let log = Log::open_read_only(fixture.path(), LogOptions::new()).unwrap();
    let other_keys = KeyRing::new().with(key().public_key().clone());
    let report = Verifier::new(&other_keys, &fixture.trust)
        .verify(&log)
        .unwrap();
    let untrusted = codes(&report)
        .iter()
        .filter(|(_, code)| *code == "untrusted-signer")
        .count();
    assert_eq!(untrusted, SIZE as usize);
}

#[test]
fn entry_naming_another_actor_is_found() {
    let fixture = Fixture::new();
    let someone_else = key();
    let line = crafted_line(&fixture, 5, &fixture.entry_key, |statement| {
        statement["dev.sigil.custody"]["actor"]["keyid"] =
            serde_json::json!(someone_else.public_key().key_id());
    });
    let mut lines = fixture.lines();
    lines[5] = line;
    fixture.write_lines(&lines);
    let found = codes(&fixture.verify());
    assert_eq!(found[0], (Some(5), "actor-mismatch"), "{found:?}");
}

#[test]
fn predicate_not_matching_its_type_is_found() {
    let fixture = Fixture::new();
    let line = crafted_line(&fixture, 2, &fixture.entry_key, |statement| {
        statement["predicate"] = serde_json::json!({"format": 7});
    });
    let mut lines = fixture.lines();
    lines[2] = line;
    fixture.write_lines(&lines);
    let found = codes(&fixture.verify());
    assert_eq!(found[0], (Some(2), "malformed-predicate"), "{found:?}");
}

#[test]
fn earlier_checkpoint_of_another_log_is_refused() {
    let fixture = Fixture::new();
    let (mut previous, _) = fixture.checkpoint_of(fixture.path(), 4);
    previous.origin = "example.com/other-log".into();
    let log = Log::open_read_only(fixture.path(), LogOptions::new()).unwrap();
    let report = Verifier::new(&fixture.keys, &fixture.trust)
        .previous(&previous)
        .verify(&log)
        .unwrap();
    assert_eq!(codes(&report), [(None, "checkpoint-invalid")]);
}
