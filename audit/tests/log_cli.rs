//! `sigil-audit check --log` records the audit in a custody log, and `sigil-audit log
//! verify | show | prove | trace` read it back: exact exit codes, and tampering caught.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use sigil_custody::{CheckpointTrust, EntryProof, KeyRing, Log, LogOptions, NoteSigner};
use sigil_keys::keyfile::{Overwrite, write_secret_file};
use sigil_keys::{PrivateKey, Scheme};

const ORIGIN: &str = "audit.example/log";

fn audit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sigil-audit"))
}

fn run(command: &mut Command) -> (i32, String, String) {
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn lockfile() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/npm-v3/package-lock.json")
}

struct Setup {
    dir: tempfile::TempDir,
    log_key: PrivateKey,
}

impl Setup {
    /// An audit recorded in a log, and a checkpoint signed by the log's key.
    fn new() -> (Self, String) {
        let dir = tempfile::tempdir().unwrap();
        let log_key = PrivateKey::generate(Scheme::Ed25519).unwrap();
        let pem = log_key.to_pkcs8_pem(None).unwrap();
        write_secret_file(
            &dir.path().join("audit.key"),
            pem.as_bytes(),
            Overwrite::Refuse,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("audit.pub"),
            log_key.public_key().to_spki_pem(),
        )
        .unwrap();
        let setup = Self { dir, log_key };
        let (code, _, stderr) = run(audit()
            .args(["check", "--no-manifests", "--log"])
            .arg(setup.log_dir())
            .arg("--log-key")
            .arg(setup.path("audit.key"))
            .arg(lockfile()));
        // The fixture fails the built-in policy on purpose: a failing audit is recorded too.
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.contains("recorded as entry 0 of the custody log"),
            "{stderr}"
        );
        let mut log = Log::open(&setup.log_dir(), LogOptions::new()).unwrap();
        let note_signer = NoteSigner::new(ORIGIN, &setup.log_key).unwrap();
        log.write_checkpoint(ORIGIN, &[&note_signer]).unwrap();
        let vkey = note_signer.verifier().to_string();
        (setup, vkey)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn log_dir(&self) -> PathBuf {
        self.path("custody")
    }

    fn log(&self, args: &[&str], vkey: &str) -> (i32, String, String) {
        run(audit()
            .arg("log")
            .args(args)
            .arg("--log")
            .arg(self.log_dir())
            .arg("--trusted-key")
            .arg(self.path("audit.pub"))
            .args(["--checkpoint-key", vkey]))
    }
}

#[test]
fn recorded_audit_verifies_and_is_traced() {
    let (setup, vkey) = Setup::new();
    let (code, stdout, stderr) = setup.log(&["verify"], &vkey);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("VERIFIED: 1 entries, root "), "{stdout}");
    assert!(
        stdout.ends_with("checkpoint of 1 entries signed by audit.example/log; 0 finding(s)\n"),
        "{stdout}"
    );

    let (code, stdout, _) = setup.log(&["trace", "--file", lockfile().to_str().unwrap()], &vkey);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("https://sigil.dev/custody/dependency-audit/v1"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&setup.log_key.public_key().key_id().to_string()),
        "{stdout}"
    );

    let (code, stdout, _) = run(audit().args(["log", "show", "--log"]).arg(setup.log_dir()));
    assert_eq!(code, 0);
    assert!(stdout.trim_start().starts_with("0  "), "{stdout}");
    assert!(stdout.contains("dependency-audit"), "{stdout}");
    assert!(stdout.contains("package-lock.json sha256:"), "{stdout}");
}

#[test]
fn proof_of_an_entry_verifies_offline() {
    let (setup, vkey) = Setup::new();
    let (code, stdout, stderr) = setup.log(&["prove", "--index", "0"], &vkey);
    assert_eq!(code, 0, "{stderr}");
    let proof = EntryProof::from_json(stdout.as_bytes()).unwrap();
    let keys = KeyRing::new().with(setup.log_key.public_key().clone());
    let note_signer = NoteSigner::new(ORIGIN, &setup.log_key).unwrap();
    let trust = CheckpointTrust::new(ORIGIN, vec![note_signer.verifier()]);
    proof.verify(&keys, &trust).unwrap();
    let (code, _, stderr) = setup.log(&["prove", "--index", "5"], &vkey);
    assert_eq!(code, 2);
    assert!(stderr.contains("entry 5"), "{stderr}");
}

#[test]
fn edited_entry_fails_verification_with_its_index() {
    let (setup, vkey) = Setup::new();
    let entries = setup.log_dir().join("entries.jsonl");
    let text = std::fs::read_to_string(&entries).unwrap();
    // Flip one character of the signed payload.
    let at = text.find("\"payload\":\"").unwrap() + 40;
    let mut bytes = text.into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(&entries, bytes).unwrap();
    let (code, stdout, _) = setup.log(&["verify"], &vkey);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("entry 0"), "{stdout}");
    assert!(stdout.contains("FAILED: 1 entries"), "{stdout}");
}

#[test]
fn entries_from_an_untrusted_key_fail() {
    let (setup, vkey) = Setup::new();
    let stranger = PrivateKey::generate(Scheme::Ed25519).unwrap();
    std::fs::write(setup.path("audit.pub"), stranger.public_key().to_spki_pem()).unwrap();
    let (code, stdout, _) = setup.log(&["verify"], &vkey);
    assert_eq!(code, 1);
    assert!(stdout.contains("[untrusted-signer] entry 0"), "{stdout}");
}

#[test]
fn log_without_a_key_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(audit()
        .args(["check", "--no-manifests", "--log"])
        .arg(dir.path())
        .arg(lockfile()));
    assert_eq!(code, 2);
    assert!(stderr.contains("--log-key"), "{stderr}");
}

#[test]
fn checkpoint_signed_by_the_log_key_is_trusted_through_that_key() {
    // `check --log` signs a checkpoint with the log key; a verifier who trusts that key needs
    // no separate checkpoint key.
    let dir = tempfile::tempdir().unwrap();
    let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
    write_secret_file(
        &dir.path().join("audit.key"),
        key.to_pkcs8_pem(None).unwrap().as_bytes(),
        Overwrite::Refuse,
    )
    .unwrap();
    std::fs::write(dir.path().join("audit.pub"), key.public_key().to_spki_pem()).unwrap();
    let log_dir = dir.path().join("custody");
    let (code, _, stderr) = run(audit()
        .args(["check", "--no-manifests", "--log"])
        .arg(&log_dir)
        .arg("--log-key")
        .arg(dir.path().join("audit.key"))
        .arg(lockfile()));
    assert_eq!(code, 1, "{stderr}");
    let checkpoint = log_dir.join("checkpoint");
    assert!(
        std::fs::read_to_string(&checkpoint)
            .unwrap()
            .starts_with("sigil-custody-log\n1\n")
    );
    let (code, stdout, stderr) = run(audit()
        .args(["log", "verify", "--log"])
        .arg(&log_dir)
        .arg("--trusted-key")
        .arg(dir.path().join("audit.pub"))
        .arg("--checkpoint")
        .arg(&checkpoint));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("checkpoint of 1 entries signed by sigil-custody-log"),
        "{stdout}"
    );

    // Another key's checkpoint is not trusted.
    let other = PrivateKey::generate(Scheme::Ed25519).unwrap();
    std::fs::write(
        dir.path().join("other.pub"),
        other.public_key().to_spki_pem(),
    )
    .unwrap();
    let (code, stdout, _) = run(audit()
        .args(["log", "verify", "--log"])
        .arg(&log_dir)
        .arg("--trusted-key")
        .arg(dir.path().join("other.pub"))
        .arg("--checkpoint")
        .arg(&checkpoint));
    assert_eq!(code, 1, "{stdout}");

    // Trace by digest, positional, without keys: listed, and said to be unchecked.
    let digest = hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        &std::fs::read(lockfile()).unwrap(),
    ));
    let (code, stdout, _) = run(audit()
        .args(["log", "trace", "--log"])
        .arg(&log_dir)
        .arg(format!("sha256:{digest}")));
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("dependency-audit/v1  signature NOT CHECKED"),
        "{stdout}"
    );
}

#[test]
fn show_of_an_entry_whose_key_id_is_not_ascii_does_not_abort() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    let (setup, _) = Setup::new();
    let entries = setup.log_dir().join(sigil_custody::store::ENTRIES_FILE);
    let text = std::fs::read_to_string(&entries).unwrap();
    let mut envelope: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
    let payload = STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let mut statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    // A multi-byte character straddles byte 16 of the key id.
    let hostile = format!("abcdefghijklmno{}", "é".repeat(8));
    statement["dev.sigil.custody"]["actor"]["keyid"] = serde_json::json!(hostile);
    envelope["payload"] =
        serde_json::json!(STANDARD.encode(serde_json::to_vec(&statement).unwrap()));
    let mut line = serde_json::to_vec(&envelope).unwrap();
    line.push(b'\n');
    std::fs::write(&entries, line).unwrap();

    let (code, stdout, stderr) = run(audit().args(["log", "show", "--log"]).arg(setup.log_dir()));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("key abcdefghijklmnoé "), "{stdout}");
}

#[test]
fn checkpoint_of_another_log_signed_by_the_trusted_key_is_refused_without_origin() {
    // The log key also signs another log's checkpoint, under that log's name: without
    // --origin the origin is bound to the trusted key's name, so it does not pass.
    let (setup, vkey) = Setup::new();
    let mut log = Log::open(&setup.log_dir(), LogOptions::new()).unwrap();
    let other_name = "other.example/log";
    let other = NoteSigner::new(other_name, &setup.log_key).unwrap();
    log.write_checkpoint(other_name, &[&other]).unwrap();
    let (code, stdout, stderr) = run(audit()
        .args(["log", "verify", "--log"])
        .arg(setup.log_dir())
        .arg("--trusted-key")
        .arg(setup.path("audit.pub")));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("other.example/log"), "{stdout}");
    assert!(stdout.contains("no trusted checkpoint"), "{stdout}");
    // Named, it is the log meant, and verifies.
    let (code, stdout, stderr) = run(audit()
        .args(["log", "verify", "--log"])
        .arg(setup.log_dir())
        .arg("--trusted-key")
        .arg(setup.path("audit.pub"))
        .args(["--origin", other_name]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    // A vkey for the real log's name does not accept it either.
    let (code, stdout, _) = setup.log(&["verify"], &vkey);
    assert_eq!(code, 1, "{stdout}");
}
