//! `sigil-audit log witness` over HTTP, and `log verify --witness --quorum`: a split view (two
//! checkpoints of one size with different roots, each cosigned by a different witness) is
//! caught, and a witness refuses checkpoints that do not extend the last one it cosigned.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use sigil_custody::predicate::{ArtifactSignature, Predicate};
use sigil_custody::{
    EntryDraft, FixedClock, Log, LogOptions, NoteSigner, Sha256Digest, Subject, Timestamp,
};
use sigil_keys::keyfile::{Overwrite, write_secret_file};
use sigil_keys::{PrivateKey, Scheme, Signer};

const ORIGIN: &str = "releases.example/log";

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

fn write_key(dir: &Path, name: &str) -> (PrivateKey, PathBuf) {
    let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
    let path = dir.join(format!("{}.key", slug(name)));
    write_secret_file(
        &path,
        key.to_pkcs8_pem(None).unwrap().as_bytes(),
        Overwrite::Refuse,
    )
    .unwrap();
    (key, path)
}

/// `name` as a file name.
fn slug(name: &str) -> String {
    name.replace('/', "_")
}

fn draft(name: &str, signer: &dyn Signer) -> EntryDraft {
    EntryDraft::new(
        vec![Subject::new(name, Sha256Digest::of(name.as_bytes()))],
        Predicate::ArtifactSignature(ArtifactSignature {
            format: "minisign".into(),
            key_id: signer.key_id(),
            signature_sha256: Sha256Digest::of(name.as_bytes()).to_hex(),
        }),
    )
}

/// Appends entries named `names` and signs a checkpoint of the whole log.
fn append(dir: &Path, names: &[&str], key: &PrivateKey) {
    let clock = FixedClock(Timestamp::from_unix_seconds(1_767_225_600).unwrap());
    let mut log = Log::open_or_create(dir, LogOptions::new()).unwrap();
    let drafts: Vec<EntryDraft> = names.iter().map(|n| draft(n, key)).collect();
    log.append_all(&drafts, key, &clock).unwrap();
    log.sign_checkpoint(ORIGIN, key).unwrap();
}

/// A witness process, stopped when dropped.
struct WitnessProcess {
    child: Child,
    address: String,
    vkey: String,
}

impl WitnessProcess {
    fn start(dir: &Path, name: &str, log_vkey: &str) -> Self {
        let (_, key) = write_key(dir, name);
        let mut child = audit()
            .args(["log", "witness", "--name", name, "--key"])
            .arg(&key)
            .args(["--log-key", log_vkey, "--state"])
            .arg(dir.join(format!("{}-state", slug(name))))
            .args(["--listen", "127.0.0.1:0"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stderr.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "witness <vkey> listening on http://<address>/add-checkpoint"
        let mut words = line.split_whitespace();
        assert_eq!(words.next(), Some("witness"), "{line}");
        let vkey = words.next().unwrap().to_owned();
        let url = words.nth(2).unwrap();
        let address = url
            .strip_prefix("http://")
            .unwrap()
            .strip_suffix("/add-checkpoint")
            .unwrap()
            .to_owned();
        Self {
            child,
            address,
            vkey,
        }
    }

    /// POSTs `body` to add-checkpoint; returns the status, content type and body.
    fn add_checkpoint(&self, body: &str) -> (u16, String, String) {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        write!(
            stream,
            "POST /add-checkpoint HTTP/1.1\r\nHost: witness\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        let content_type = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Type: "))
            .unwrap_or_default()
            .to_owned();
        (status, content_type, body.to_owned())
    }
}

impl Drop for WitnessProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request(log: &Path, old: u64) -> String {
    let (code, stdout, stderr) = run(audit()
        .args(["log", "witness-request", "--log"])
        .arg(log)
        .args(["--old", &old.to_string()]));
    assert_eq!(code, 0, "{stderr}");
    stdout
}

fn checkpoint(log: &Path) -> String {
    std::fs::read_to_string(log.join("checkpoint")).unwrap()
}

/// `log verify` of `log` against `note` requiring `quorum` of the two witnesses.
fn verify(
    log: &Path,
    public: &Path,
    note: &Path,
    witnesses: &[&str],
    quorum: usize,
) -> (i32, String) {
    let mut command = audit();
    command
        .args(["log", "verify", "--origin", ORIGIN, "--log"])
        .arg(log)
        .arg("--trusted-key")
        .arg(public)
        .arg("--checkpoint")
        .arg(note);
    for witness in witnesses {
        command.args(["--witness", witness]);
    }
    let (code, stdout, stderr) = run(command.args(["--quorum", &quorum.to_string()]));
    (code, format!("{stdout}{stderr}"))
}

#[test]
fn split_view_is_caught_by_a_witness_quorum_and_refused_by_the_witnesses() {
    let dir = tempfile::tempdir().unwrap();
    let (log_key, _) = write_key(dir.path(), "log");
    let public = dir.path().join("log.pub");
    std::fs::write(&public, log_key.public_key().to_spki_pem()).unwrap();
    let log_vkey = NoteSigner::new(ORIGIN, &log_key)
        .unwrap()
        .verifier()
        .to_string();
    let w1 = WitnessProcess::start(dir.path(), "witness.example/w1", &log_vkey);
    let w2 = WitnessProcess::start(dir.path(), "witness2.example/w2", &log_vkey);
    assert!(w1.vkey.starts_with("witness.example/w1+"), "{}", w1.vkey);

    // One history shown to the first witness, another of the same size to the second.
    let honest = dir.path().join("honest");
    let forked = dir.path().join("forked");
    append(
        &honest,
        &["app-1.0.tar.gz", "app-1.1.tar.gz", "app-1.2.tar.gz"],
        &log_key,
    );
    append(
        &forked,
        &["app-1.0.tar.gz", "app-1.1.tar.gz", "evil-1.2.tar.gz"],
        &log_key,
    );
    assert_ne!(checkpoint(&honest), checkpoint(&forked));
    let (status, _, cosignature_1) = w1.add_checkpoint(&request(&honest, 0));
    assert_eq!(status, 200, "{cosignature_1}");
    assert!(cosignature_1.starts_with("\u{2014} witness.example/w1 "));
    let (status, _, cosignature_2) = w2.add_checkpoint(&request(&forked, 0));
    assert_eq!(status, 200, "{cosignature_2}");
    let honest_note = dir.path().join("honest.cosigned");
    let forked_note = dir.path().join("forked.cosigned");
    std::fs::write(
        &honest_note,
        format!("{}{cosignature_1}", checkpoint(&honest)),
    )
    .unwrap();
    std::fs::write(
        &forked_note,
        format!("{}{cosignature_2}", checkpoint(&forked)),
    )
    .unwrap();

    // Each view alone satisfies one witness; a quorum of two catches both.
    let both = [w1.vkey.as_str(), w2.vkey.as_str()];
    let (code, output) = verify(&honest, &public, &honest_note, &both, 1);
    assert_eq!(code, 0, "{output}");
    assert!(
        output.contains("cosigned by witness.example/w1"),
        "{output}"
    );
    let (code, output) = verify(&forked, &public, &forked_note, &both, 1);
    assert_eq!(code, 0, "{output}");
    for (log, note) in [(&honest, &honest_note), (&forked, &forked_note)] {
        let (code, output) = verify(log, &public, note, &both, 2);
        assert_eq!(code, 1, "{output}");
        assert!(
            output.contains("cosigned by 1 trusted witness(es)"),
            "{output}"
        );
        assert!(output.contains("2 are required"), "{output}");
    }
    // Cosignature lines of both witnesses on one view cannot be had: pasting the other
    // view's cosignature onto it fails that signature.
    let pasted = dir.path().join("pasted");
    std::fs::write(
        &pasted,
        format!("{}{cosignature_1}{cosignature_2}", checkpoint(&honest)),
    )
    .unwrap();
    let (code, output) = verify(&honest, &public, &pasted, &both, 2);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("does not verify"), "{output}");

    // The first witness refuses the other history at the size it cosigned (409, with its
    // size), and an extension of it whose proof cannot start from its root (422).
    let (status, content_type, body) = w1.add_checkpoint(&request(&forked, 3));
    assert_eq!((status, body.as_str()), (409, "3\n"));
    assert_eq!(content_type, "text/x.tlog.size");
    append(&forked, &["evil-1.3.tar.gz"], &log_key);
    let (status, _, body) = w1.add_checkpoint(&request(&forked, 3));
    assert_eq!(status, 422, "{body}");
    // A stale old size: 409.
    let (status, _, body) = w1.add_checkpoint(&request(&forked, 2));
    assert_eq!((status, body.as_str()), (409, "3\n"));
    // A wrong proof for the honest extension: 422; the right one is cosigned.
    append(&honest, &["app-1.3.tar.gz", "app-1.4.tar.gz"], &log_key);
    let good = request(&honest, 3);
    let (old, rest) = good.split_once('\n').unwrap();
    let (first, rest) = rest.split_once('\n').unwrap();
    let flipped = if first.starts_with('A') { "B" } else { "A" };
    let bad = format!("{old}\n{flipped}{}\n{rest}", &first[1..]);
    let (status, _, body) = w1.add_checkpoint(&bad);
    assert_eq!(status, 422, "{body}");
    let (status, _, body) = w1.add_checkpoint(&good);
    assert_eq!(status, 200, "{body}");
    // The second witness, which saw the forked history, refuses the honest one.
    let (status, _, _) = w2.add_checkpoint(&request(&honest, 3));
    assert_eq!(status, 422);

    // An unknown log is 404; a checkpoint not signed by the log's key is 403.
    let (stranger, _) = write_key(dir.path(), "stranger");
    let other = dir.path().join("other");
    append(&other, &["x"], &stranger);
    let (status, _, _) = w1.add_checkpoint(&request(&other, 0));
    assert_eq!(status, 403);
    let (status, _, _) = w1.add_checkpoint("old 0\n\nother.example/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u{2014} other.example/log AAAAAAAA\n");
    assert_eq!(status, 404);

    // The state survived every refusal: the witness resumes at size 5 after a restart.
    drop(w1);
    let w1 = WitnessProcess::start_again(dir.path(), "witness.example/w1", &log_vkey);
    let (status, _, body) = w1.add_checkpoint(&request(&honest, 0));
    assert_eq!((status, body.as_str()), (409, "5\n"));
}

impl WitnessProcess {
    /// Restarts a witness with its existing key and state.
    fn start_again(dir: &Path, name: &str, log_vkey: &str) -> Self {
        let mut child = audit()
            .args(["log", "witness", "--name", name, "--key"])
            .arg(dir.join(format!("{}.key", slug(name))))
            .args(["--log-key", log_vkey, "--state"])
            .arg(dir.join(format!("{}-state", slug(name))))
            .args(["--listen", "127.0.0.1:0"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stderr.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .split_whitespace()
            .nth(4)
            .unwrap()
            .strip_prefix("http://")
            .unwrap()
            .strip_suffix("/add-checkpoint")
            .unwrap()
            .to_owned();
        let vkey = line.split_whitespace().nth(1).unwrap().to_owned();
        Self {
            child,
            address,
            vkey,
        }
    }
}

#[test]
fn witness_prints_its_vkey_and_a_quorum_beyond_the_witnesses_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let (log_key, _) = write_key(dir.path(), "log");
    let log_vkey = NoteSigner::new(ORIGIN, &log_key)
        .unwrap()
        .verifier()
        .to_string();
    let running = WitnessProcess::start(dir.path(), "witness.example/w1", &log_vkey);
    let (code, stdout, stderr) = run(audit()
        .args([
            "log",
            "witness",
            "--name",
            "witness.example/w1",
            "--print-vkey",
            "--key",
        ])
        .arg(dir.path().join("witness.example_w1.key")));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, format!("{}\n", running.vkey));
    // The vkey is a cosignature/v1 key: type 0x04.
    let key = stdout.trim_end().splitn(3, '+').nth(2).unwrap();
    assert!(key.starts_with('B'), "{key}");

    let public = dir.path().join("log.pub");
    std::fs::write(&public, log_key.public_key().to_spki_pem()).unwrap();
    let log = dir.path().join("custody");
    append(&log, &["app-1.0.tar.gz"], &log_key);
    let (code, output) = verify(&log, &public, &log.join("checkpoint"), &[&running.vkey], 2);
    assert_eq!(code, 2, "{output}");
    assert!(output.contains("--quorum 2"), "{output}");
    assert!(output.contains("only 1 --witness key(s)"), "{output}");
    // No cosignature at all, and one required: refused.
    let (code, output) = verify(&log, &public, &log.join("checkpoint"), &[&running.vkey], 1);
    assert_eq!(code, 1, "{output}");
    assert!(
        output.contains("cosigned by 0 trusted witness(es)"),
        "{output}"
    );
}

#[test]
fn idle_connections_beyond_the_limit_are_turned_away() {
    let dir = tempfile::tempdir().unwrap();
    let (log_key, _) = write_key(dir.path(), "log");
    let log_vkey = NoteSigner::new(ORIGIN, &log_key)
        .unwrap()
        .verifier()
        .to_string();
    let witness = WitnessProcess::start(dir.path(), "witness.example/w1", &log_vkey);
    // Connections that send nothing hold their slots.
    let idle: Vec<TcpStream> = (0..64)
        .map(|_| TcpStream::connect(&witness.address).unwrap())
        .collect();
    let mut extra = TcpStream::connect(&witness.address).unwrap();
    let mut response = String::new();
    extra.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 503 "), "{response}");
    // Once they go, the witness serves again.
    drop(idle);
    let mut status = 0;
    for _ in 0..50 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        status = witness.add_checkpoint("old 0\n\nnot a checkpoint\n").0;
        if status != 503 {
            break;
        }
    }
    assert_eq!(status, 400);
}
