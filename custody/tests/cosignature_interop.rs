//! `cosignature/v1` against independent implementations written from c2sp.org/tlog-cosignature:
//! one here on bare ring, one in Go on the reference golang.org/x/mod/sumdb/note and tlog
//! packages (`tests/interop/go/cosign.go`, run when Go and golang-golang-x-mod-dev are
//! installed, and required when `SIGIL_REQUIRE_INTEROP=1`, as `.ci/run` sets it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{Ed25519KeyPair, KeyPair};
use sigil_custody::checkpoint::{Checkpoint, CheckpointError, CheckpointTrust};
use sigil_custody::merkle::{Tree, leaf_hash};
use sigil_custody::note::{KeyKind, NoteError, NoteSigner, NoteVerifier, SignedNote};
use sigil_custody::{FixedClock, Timestamp};
use sigil_keys::PrivateKey;

const ORIGIN: &str = "example.com/custody";
const WITNESS: &str = "witness.example/w1";
const LOG_SEED: [u8; 32] = [1; 32];
const WITNESS_SEED: [u8; 32] = [2; 32];
const GO_MODULES: &str = "/usr/share/gocode";

/// A cosignature line made from the spec alone: key ID = SHA-256(name || "\n" || 0x04 || key)
/// [:4], signature = u64 time (big-endian) || Ed25519(cosigned message).
fn spec_cosignature(text: &str, name: &str, seed: &[u8; 32], time: u64) -> String {
    let pair = Ed25519KeyPair::from_seed_unchecked(seed).unwrap();
    let mut id_input = format!("{name}\n").into_bytes();
    id_input.push(0x04);
    id_input.extend_from_slice(pair.public_key().as_ref());
    let id = ring::digest::digest(&ring::digest::SHA256, &id_input);
    let message = format!("cosignature/v1\ntime {time}\n{text}");
    let mut blob = id.as_ref()[..4].to_vec();
    blob.extend_from_slice(&time.to_be_bytes());
    blob.extend_from_slice(pair.sign(message.as_bytes()).as_ref());
    format!("\u{2014} {name} {}\n", BASE64.encode(blob))
}

fn tree() -> Tree {
    Tree::from_leaf_hashes((0..13u32).map(|i| leaf_hash(&i.to_be_bytes())))
}

fn log_note(log: &NoteSigner<'_>, size: u64) -> String {
    Checkpoint {
        origin: ORIGIN.into(),
        size,
        root: tree().root_at(size).unwrap(),
        extensions: Vec::new(),
    }
    .sign(&[log])
    .unwrap()
}

#[test]
fn cosignature_written_from_the_spec_verifies_and_a_quorum_counts_it() {
    let log_key = PrivateKey::ed25519_from_seed(&LOG_SEED).unwrap();
    let witness_key = PrivateKey::ed25519_from_seed(&WITNESS_SEED).unwrap();
    let log = NoteSigner::new(ORIGIN, &log_key).unwrap();
    let note = log_note(&log, 13);
    let text = SignedNote::parse(&note).unwrap().text;
    let cosigned = format!(
        "{note}{}",
        spec_cosignature(&text, WITNESS, &WITNESS_SEED, 1_700_000_000)
    );
    let witness = NoteVerifier::of_kind(
        WITNESS,
        KeyKind::Cosignature,
        witness_key.public_key().clone(),
    )
    .unwrap();
    let trust =
        CheckpointTrust::new(ORIGIN, vec![log.verifier()]).with_witnesses(vec![witness.clone()], 1);
    let verified = trust.verify(&cosigned).unwrap();
    assert_eq!(verified.cosigned_by[0].name, WITNESS);
    assert_eq!(verified.cosigned_by[0].time, Some(1_700_000_000));
    // And sigil's own cosignature of the same text at the same time is byte-identical.
    let clock = FixedClock(Timestamp::from_unix_seconds(1_700_000_000).unwrap());
    let ours = NoteSigner::cosigner(WITNESS, &witness_key, &clock).unwrap();
    assert_eq!(
        ours.signature_line(&text).unwrap(),
        spec_cosignature(&text, WITNESS, &WITNESS_SEED, 1_700_000_000)
    );
    // Without the cosignature, the quorum is not met.
    assert!(matches!(
        trust.verify(&note),
        Err(CheckpointError::WitnessQuorum {
            required: 1,
            found: 0,
            ..
        })
    ));
    // A cosignature over another time than it states fails.
    let forged = spec_cosignature(&text, WITNESS, &WITNESS_SEED, 1_700_000_000);
    let mut blob = BASE64
        .decode(forged.trim_end().rsplit(' ').next().unwrap())
        .unwrap();
    blob[11] ^= 1;
    let forged = format!("{note}\u{2014} {WITNESS} {}\n", BASE64.encode(blob));
    assert!(matches!(
        trust.verify(&forged),
        Err(CheckpointError::Note(NoteError::BadSignature { .. }))
    ));
}

/// The Go helper, built once per test binary run; `None` (skipped) when Go or the modules
/// are missing and interop is not required.
fn go_helper(dir: &Path) -> Option<PathBuf> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/go/cosign.go");
    let present = Command::new("go").arg("version").output().is_ok()
        && Path::new(GO_MODULES)
            .join("src/golang.org/x/mod/sumdb/note")
            .is_dir();
    if !present {
        assert!(
            std::env::var("SIGIL_REQUIRE_INTEROP").as_deref() != Ok("1"),
            "SIGIL_REQUIRE_INTEROP=1 but Go (golang-go) or golang.org/x/mod (golang-golang-x-mod-dev) is missing"
        );
        eprintln!("skipped: Go or golang.org/x/mod is not installed");
        return None;
    }
    let binary = dir.join("cosign");
    let output = Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg(&source)
        .env("GO111MODULE", "off")
        .env("GOPATH", GO_MODULES)
        .env("GOCACHE", dir.join("gocache"))
        .env("GOFLAGS", "")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "go build: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(binary)
}

fn go(binary: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(binary).args(args).output().unwrap();
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[test]
fn cosignatures_and_proofs_agree_with_the_go_reference_packages() {
    let dir = tempfile::tempdir().unwrap();
    let Some(helper) = go_helper(dir.path()) else {
        return;
    };
    let log_key = PrivateKey::ed25519_from_seed(&LOG_SEED).unwrap();
    let witness_key = PrivateKey::ed25519_from_seed(&WITNESS_SEED).unwrap();
    let log = NoteSigner::new(ORIGIN, &log_key).unwrap();
    let log_vkey = log.verifier().to_string();
    let witness_public = match witness_key.public_key() {
        sigil_keys::PublicKey::Ed25519(raw) => hex::encode(raw),
        _ => unreachable!("an Ed25519 key"),
    };
    let clock = FixedClock(Timestamp::from_unix_seconds(1_767_225_600).unwrap());
    let witness = NoteSigner::cosigner(WITNESS, &witness_key, &clock).unwrap();

    // sigil's checkpoint and cosignature verify in Go's note.Open, with the time sigil stated.
    let note = Checkpoint {
        origin: ORIGIN.into(),
        size: 13,
        root: tree().root(),
        extensions: Vec::new(),
    }
    .sign(&[&log, &witness])
    .unwrap();
    let path = dir.path().join("note");
    std::fs::write(&path, &note).unwrap();
    let path_text = path.to_str().unwrap();
    let (ok, output) = go(
        &helper,
        &["verify", path_text, &log_vkey, WITNESS, &witness_public],
    );
    assert!(ok, "{output}");
    assert_eq!(output, format!("OK {ORIGIN} {WITNESS} time=1767225600\n"));
    // A cosignature sigil altered is refused there too.
    let altered = note.replace("\n13\n", "\n14\n");
    std::fs::write(&path, &altered).unwrap();
    let (ok, output) = go(
        &helper,
        &["verify", path_text, &log_vkey, WITNESS, &witness_public],
    );
    assert!(!ok, "{output}");

    // Go's cosignature of sigil's log checkpoint verifies in sigil, with Go's time.
    std::fs::write(&path, log_note(&log, 13)).unwrap();
    let (ok, cosigned) = go(
        &helper,
        &[
            "cosign",
            path_text,
            &log_vkey,
            WITNESS,
            &hex::encode(WITNESS_SEED),
            "1679315147",
        ],
    );
    assert!(ok, "{cosigned}");
    let trust = CheckpointTrust::new(ORIGIN, vec![log.verifier()])
        .with_witnesses(vec![witness.verifier()], 1);
    let verified = trust.verify(&cosigned).unwrap();
    assert_eq!(verified.cosigned_by[0].time, Some(1_679_315_147));

    // sigil's consistency proofs verify in Go's tlog.CheckTree, and a wrong one does not.
    let tree = tree();
    for (old, new) in [(1, 13), (4, 13), (7, 12), (12, 13)] {
        let proof = tree.consistency_proof(old, new).unwrap();
        let mut args = vec![
            "consistency".to_owned(),
            old.to_string(),
            BASE64.encode(tree.root_at(old).unwrap().as_bytes()),
            new.to_string(),
            BASE64.encode(tree.root_at(new).unwrap().as_bytes()),
        ];
        args.extend(proof.path.iter().map(|h| BASE64.encode(h.as_bytes())));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (ok, output) = go(&helper, &args);
        assert!(ok, "{old} -> {new}: {output}");
        let mut wrong: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        wrong[2] = BASE64.encode([0u8; 32]);
        let wrong: Vec<&str> = wrong.iter().map(String::as_str).collect();
        assert!(
            !go(&helper, &wrong).0,
            "{old} -> {new} with a wrong old root"
        );
    }
}
