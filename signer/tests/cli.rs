//! The `sigil-signer` CLI: exact output and exit codes, and what it wrote read back with the
//! library.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sigil_keys::Password;
use sigil_keys::minisign::{MinisignPublicKey, MinisignSecretKey, MinisignSignature};

fn sigil() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sigil-signer"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    command
}

fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../keys/tests/fixtures/minisign-cli")
}

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// An unencrypted key pair made with the CLI.
    fn keygen(&self, stem: &str) -> (PathBuf, PathBuf) {
        let (sk, pk) = (
            self.path(&format!("{stem}.key")),
            self.path(&format!("{stem}.pub")),
        );
        let (code, _, stderr) = run(sigil()
            .args(["keygen", "--unencrypted", "--secret-key"])
            .arg(&sk)
            .arg("--public-key")
            .arg(&pk));
        assert_eq!(code, 0, "{stderr}");
        (sk, pk)
    }

    fn sign(&self, sk: &Path, file: &Path, extra: &[&str]) {
        let (code, _, stderr) = run(sigil()
            .args(["sign", "--secret-key"])
            .arg(sk)
            .args(extra)
            .arg(file));
        assert_eq!(code, 0, "{stderr}");
    }
}

#[test]
fn keygen_sign_verify_round_trip() {
    let ws = Workspace::new();
    let (sk, pk) = ws.keygen("release");
    let file = ws.write("app-1.0.0.tar.gz", b"artifact bytes");
    let (code, stdout, stderr) = run(sigil()
        .args([
            "sign",
            "--trusted-comment",
            "app 1.0.0 for linux-x86_64",
            "--secret-key",
        ])
        .arg(&sk)
        .arg(&file));
    assert_eq!(code, 0, "{stderr}");
    let public = MinisignPublicKey::decode(&std::fs::read_to_string(&pk).unwrap()).unwrap();
    assert_eq!(
        stdout,
        format!(
            "signed {} -> {}.minisig (key {})\n",
            file.display(),
            file.display(),
            public.key_number
        )
    );
    let (code, stdout, stderr) = run(sigil().args(["verify", "--public-key"]).arg(&pk).arg(&file));
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(
        stdout,
        "Signature and comment signature verified\nTrusted comment: app 1.0.0 for linux-x86_64\n"
    );
    let (code, stdout, _) = run(sigil()
        .args(["verify", "--quiet", "--public-key"])
        .arg(&pk)
        .arg(&file));
    assert_eq!((code, stdout.as_str()), (0, ""));
}

#[test]
fn keygen_output_reads_back_with_the_library() {
    let ws = Workspace::new();
    let (sk, pk) = (ws.path("k.key"), ws.path("k.pub"));
    let (code, stdout, stderr) = run(sigil()
        .env("KEY_PASSWORD", "a long enough password")
        .args(["keygen", "--password-env", "KEY_PASSWORD", "--secret-key"])
        .arg(&sk)
        .arg("--public-key")
        .arg(&pk));
    assert_eq!(code, 0, "{stderr}");
    let public = MinisignPublicKey::decode(&std::fs::read_to_string(&pk).unwrap()).unwrap();
    assert_eq!(
        stdout,
        format!(
            "secret key: {} (encrypted)\npublic key: {}\nkey number: {}\n\nverify with: sigil-signer verify --public-key-string {} FILE\n",
            sk.display(),
            pk.display(),
            public.key_number,
            public.to_base64()
        )
    );
    let secret_text = std::fs::read_to_string(&sk).unwrap();
    assert!(MinisignSecretKey::is_encrypted(&secret_text).unwrap());
    let secret = MinisignSecretKey::decode(
        &secret_text,
        Some(&Password::new("a long enough password".into())),
    )
    .unwrap();
    assert_eq!(secret.public_key(), public);
    let signature = secret.private_key().sign(b"x").unwrap();
    public.public_key().verify(b"x", &signature).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&sk).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[test]
fn keygen_refuses_to_overwrite_keys() {
    let ws = Workspace::new();
    let (sk, pk) = ws.keygen("release");
    let before = std::fs::read(&sk).unwrap();
    let (code, stdout, stderr) = run(sigil()
        .args(["keygen", "--unencrypted", "--secret-key"])
        .arg(&sk)
        .arg("--public-key")
        .arg(&pk));
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        format!(
            "error: {} already exists; refusing to overwrite a key file\n",
            sk.display()
        )
    );
    assert_eq!(
        std::fs::read(&sk).unwrap(),
        before,
        "the existing key is untouched"
    );
    let (code, _, stderr) = run(sigil()
        .args(["keygen", "--unencrypted", "--force", "--secret-key"])
        .arg(&sk)
        .arg("--public-key")
        .arg(&pk));
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(std::fs::read(&sk).unwrap(), before);
}

#[test]
fn keygen_without_password_or_terminal_fails_cleanly() {
    let ws = Workspace::new();
    let (code, _, stderr) = run(sigil()
        .args(["keygen", "--secret-key"])
        .arg(ws.path("k.key"))
        .arg("--public-key")
        .arg(ws.path("k.pub"))
        .stdin(std::process::Stdio::null()));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no terminal to ask for the password on"),
        "{stderr}"
    );
    assert!(!ws.path("k.key").exists());
}

#[test]
fn sign_with_key_and_password_from_environment() {
    let ws = Workspace::new();
    let (sk, pk) = (ws.path("ci.key"), ws.path("ci.pub"));
    let (code, _, stderr) = run(sigil()
        .env("PW", "ci secret")
        .args(["keygen", "--password-env", "PW", "--secret-key"])
        .arg(&sk)
        .arg("--public-key")
        .arg(&pk));
    assert_eq!(code, 0, "{stderr}");
    let key_text = std::fs::read_to_string(&sk).unwrap();
    let file = ws.write("artifact", b"built in CI");
    use base64::Engine as _;
    let key_base64 = base64::engine::general_purpose::STANDARD.encode(&key_text);
    for value in [key_text.clone(), key_base64] {
        let (code, _, stderr) = run(sigil()
            .env("SIGNING_KEY", &value)
            .env("PW", "ci secret")
            .args([
                "sign",
                "--secret-key-env",
                "SIGNING_KEY",
                "--password-env",
                "PW",
            ])
            .arg(&file));
        assert_eq!(code, 0, "{stderr}");
        let (code, _, stderr) = run(sigil()
            .args(["verify", "-q", "--public-key"])
            .arg(&pk)
            .arg(&file));
        assert_eq!(code, 0, "{stderr}");
    }
    let (code, _, stderr) = run(sigil()
        .env("SIGNING_KEY", &key_text)
        .env("PW", "not the password")
        .args([
            "sign",
            "--secret-key-env",
            "SIGNING_KEY",
            "--password-env",
            "PW",
        ])
        .arg(&file));
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: environment variable SIGNING_KEY: cannot decrypt the secret key: wrong password, or the key file is corrupted\n"
    );
    let (code, _, stderr) = run(sigil()
        .args(["sign", "--secret-key-env", "NOT_SET"])
        .arg(&file));
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: environment variable NOT_SET is not set (it should hold a secret key)\n"
    );
}

#[cfg(unix)]
#[test]
fn sign_refuses_a_key_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let ws = Workspace::new();
    let (sk, _) = ws.keygen("release");
    std::fs::set_permissions(&sk, std::fs::Permissions::from_mode(0o644)).unwrap();
    let file = ws.write("artifact", b"x");
    let (code, _, stderr) = run(sigil().args(["sign", "--secret-key"]).arg(&sk).arg(&file));
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        format!(
            "error: {0} is readable by other users (mode 0644); a secret key file must be private: run `chmod 600 {0}`\n",
            sk.display()
        )
    );
    assert!(!ws.path("artifact.minisig").exists());
}

#[test]
fn tampered_artifact_is_rejected_with_exit_1() {
    let ws = Workspace::new();
    let (sk, pk) = ws.keygen("release");
    let file = ws.write("app.zip", b"original");
    ws.sign(&sk, &file, &[]);
    std::fs::write(&file, b"0riginal").unwrap();
    let (code, stdout, stderr) = run(sigil().args(["verify", "--public-key"]).arg(&pk).arg(&file));
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(
        stderr.contains("the file does not match the signature: its content was altered"),
        "{stderr}"
    );
}

#[test]
fn wrong_key_is_rejected_with_exit_1() {
    let ws = Workspace::new();
    let (sk, _) = ws.keygen("release");
    let (_, other_pk) = ws.keygen("other");
    let file = ws.write("app.zip", b"bytes");
    ws.sign(&sk, &file, &[]);
    let (code, _, stderr) = run(sigil()
        .args(["verify", "--public-key"])
        .arg(&other_pk)
        .arg(&file));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("wrong key: the signature was made by key"),
        "{stderr}"
    );
}

#[test]
fn edited_trusted_comment_is_rejected_with_exit_1() {
    let ws = Workspace::new();
    let (sk, pk) = ws.keygen("release");
    let file = ws.write("app.zip", b"bytes");
    ws.sign(
        &sk,
        &file,
        &["--trusted-comment", "version 1.0.0 channel stable"],
    );
    let sig = ws.path("app.zip.minisig");
    let edited = std::fs::read_to_string(&sig)
        .unwrap()
        .replace("1.0.0", "9.9.9");
    std::fs::write(&sig, edited).unwrap();
    let (code, _, stderr) = run(sigil().args(["verify", "--public-key"]).arg(&pk).arg(&file));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("the trusted comment or the signature was altered"),
        "{stderr}"
    );
}

#[test]
fn truncated_signature_is_rejected_with_exit_1() {
    let ws = Workspace::new();
    let (sk, pk) = ws.keygen("release");
    let file = ws.write("app.zip", b"bytes");
    ws.sign(&sk, &file, &[]);
    let sig = ws.path("app.zip.minisig");
    let text = std::fs::read_to_string(&sig).unwrap();
    let two_lines: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();
    std::fs::write(&sig, two_lines).unwrap();
    let (code, _, stderr) = run(sigil().args(["verify", "--public-key"]).arg(&pk).arg(&file));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("minisign signature is truncated"),
        "{stderr}"
    );
}

#[test]
fn legacy_signature_needs_allow_legacy() {
    let fixtures = fixtures();
    let (code, _, stderr) = run(sigil()
        .args(["verify", "--public-key"])
        .arg(fixtures.join("minisign.pub"))
        .arg(fixtures.join("legacy.txt")));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("legacy (non-prehashed) signature"),
        "{stderr}"
    );
    let (code, _, stderr) = run(sigil()
        .args(["verify", "--allow-legacy", "-q", "--public-key"])
        .arg(fixtures.join("minisign.pub"))
        .arg(fixtures.join("legacy.txt")));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn public_key_given_inline() {
    let fixtures = fixtures();
    let line = std::fs::read_to_string(fixtures.join("minisign.pub")).unwrap();
    let line = line.lines().nth(1).unwrap();
    let (code, stdout, stderr) = run(sigil()
        .args(["verify", "--public-key-string", line])
        .arg(fixtures.join("release.txt")));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "Signature and comment signature verified\nTrusted comment: sample release signed by the minisign CLI\n"
    );
}

#[test]
fn operational_errors_exit_2() {
    let ws = Workspace::new();
    let (_, pk) = ws.keygen("release");
    let missing = ws.path("missing.zip");
    let (code, _, stderr) = run(sigil()
        .args(["verify", "--public-key"])
        .arg(&pk)
        .arg(&missing));
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with(&format!("error: {}.minisig: ", missing.display())),
        "{stderr}"
    );
    let bad_key = ws.write("bad.pub", b"untrusted comment: x\nnot base64!\n");
    let file = ws.write("f", b"x");
    let (code, _, stderr) = run(sigil()
        .args(["verify", "--public-key"])
        .arg(&bad_key)
        .arg(&file));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("minisign public key: line 2 is not valid base64"),
        "{stderr}"
    );
    let (code, _, stderr) = run(sigil().arg("verify"));
    assert_eq!(code, 2);
    assert!(stderr.contains("Usage"), "{stderr}");
}

#[test]
fn signature_written_by_sign_reads_back() {
    let ws = Workspace::new();
    let (sk, pk) = ws.keygen("release");
    let file = ws.write("notes.txt", b"release notes");
    ws.sign(&sk, &file, &["--untrusted-comment", "release 2.0"]);
    let text = std::fs::read_to_string(ws.path("notes.txt.minisig")).unwrap();
    let signature = MinisignSignature::decode(&text).unwrap();
    let public = MinisignPublicKey::decode(&std::fs::read_to_string(&pk).unwrap()).unwrap();
    assert_eq!(signature.untrusted_comment, "release 2.0");
    assert_eq!(signature.key_number, public.key_number);
    assert!(signature.prehashed);
    let fields: Vec<&str> = signature.trusted_comment.split('\t').collect();
    assert!(fields[0].starts_with("timestamp:"), "{fields:?}");
    assert_eq!(&fields[1..], ["file:notes.txt", "hashed"]);
}

#[test]
fn keygen_and_sign_record_a_verifiable_custody_log() {
    use sigil_custody::predicate::Predicate;
    use sigil_custody::{CheckpointTrust, KeyRing, Log, LogOptions, Sha256Digest, Verifier, trace};

    let ws = Workspace::new();
    let (sk, pk, log_dir) = (
        ws.path("release.key"),
        ws.path("release.pub"),
        ws.path("custody"),
    );
    let (code, stdout, stderr) = run(sigil()
        .args(["keygen", "--unencrypted", "--secret-key"])
        .arg(&sk)
        .arg("--public-key")
        .arg(&pk)
        .arg("--log")
        .arg(&log_dir));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with(&format!(
            "logged key generation as entry 0 in {}\n",
            log_dir.display()
        )),
        "{stdout}"
    );
    let file = ws.write("app-2.0.0.zip", b"release two");
    let (code, stdout, stderr) = run(sigil()
        .args(["sign", "--secret-key"])
        .arg(&sk)
        .arg("--log")
        .arg(&log_dir)
        .arg(&file));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.ends_with("logged signature as entry 1\n"),
        "{stdout}"
    );

    let public = MinisignPublicKey::decode(&std::fs::read_to_string(&pk).unwrap())
        .unwrap()
        .public_key();
    let keys = KeyRing::new().with(public.clone());
    let log = Log::open_read_only(&log_dir, LogOptions::new()).unwrap();
    // The signing key also signed the log's checkpoint, under the default origin.
    let origin = sigil_custody::DEFAULT_ORIGIN;
    let verifier = sigil_custody::NoteVerifier::new(origin, public.clone()).unwrap();
    let trust = CheckpointTrust::new(origin, vec![verifier]);
    let report = Verifier::new(&keys, &trust).verify(&log).unwrap();
    assert_eq!(report.size, 2);
    assert!(report.is_ok(), "{:?}", report.findings);
    assert_eq!(report.checkpoint.map(|c| c.checkpoint.size), Some(2));
    let history = trace(&log, &Sha256Digest::of(b"release two"), &keys).unwrap();
    assert_eq!(history.steps.len(), 1);
    let Predicate::ArtifactSignature(signature) = history.steps[0].entry.predicate().unwrap()
    else {
        panic!("expected an artifact-signature entry");
    };
    assert_eq!(signature.key_id, public.key_id());
    let minisig = std::fs::read(ws.path("app-2.0.0.zip.minisig")).unwrap();
    assert_eq!(
        signature.signature_sha256,
        Sha256Digest::of(&minisig).to_hex()
    );
}

#[test]
fn sign_with_a_separate_log_key_signs_entries_and_checkpoint_with_it() {
    use sigil_custody::{CheckpointTrust, KeyRing, Log, LogOptions, NoteVerifier, Verifier};

    let ws = Workspace::new();
    let (sk, _) = ws.keygen("release");
    let (log_sk, log_pk) = ws.keygen("custody");
    let log_dir = ws.path("log");
    let file = ws.write("app.zip", b"bytes");
    let (code, _, stderr) = run(sigil()
        .args(["sign", "--secret-key"])
        .arg(&sk)
        .arg("--log")
        .arg(&log_dir)
        .arg("--log-key")
        .arg(&log_sk)
        .args(["--log-origin", "releases.example/log"])
        .arg(&file));
    assert_eq!(code, 0, "{stderr}");
    let log_key = MinisignPublicKey::decode(&std::fs::read_to_string(&log_pk).unwrap())
        .unwrap()
        .public_key();
    let log = Log::open_read_only(&log_dir, LogOptions::new()).unwrap();
    let note = log.read_checkpoint().unwrap().unwrap();
    assert!(note.starts_with("releases.example/log\n1\n"), "{note}");
    let trust = CheckpointTrust::new(
        "releases.example/log",
        vec![NoteVerifier::new("releases.example/log", log_key.clone()).unwrap()],
    );
    let report = Verifier::new(&KeyRing::new().with(log_key), &trust)
        .verify(&log)
        .unwrap();
    assert!(report.is_ok(), "{:?}", report.findings);
    assert!(report.checkpoint.is_some());
}

#[test]
fn sign_built_from_records_provenance_that_a_trace_follows() {
    use sigil_custody::predicate::Predicate;
    use sigil_custody::{KeyRing, Log, LogOptions, Sha256Digest, trace_lineage};

    let ws = Workspace::new();
    let (sk, pk) = ws.keygen("release");
    let lockfile = ws.write("Cargo.lock", b"version = 4\n");
    let file = ws.write("app.tar.gz", b"built bytes");
    let log_dir = ws.path("log");
    let (code, stdout, stderr) = run(sigil()
        .args(["sign", "--secret-key"])
        .arg(&sk)
        .arg("--log")
        .arg(&log_dir)
        .arg("--built-from")
        .arg(&lockfile)
        .args(["--builder-id", "https://ci.example/job/42"])
        .arg(&file));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("logged build provenance as entry 0\nlogged signature as entry 1\n"),
        "{stdout}"
    );
    let public = MinisignPublicKey::decode(&std::fs::read_to_string(&pk).unwrap())
        .unwrap()
        .public_key();
    let log = Log::open_read_only(&log_dir, LogOptions::new()).unwrap();
    let Predicate::SlsaProvenance(provenance) = log.entry(0).unwrap().predicate().unwrap() else {
        panic!("entry 0 is not build provenance");
    };
    assert_eq!(
        provenance.run_details.builder.id,
        "https://ci.example/job/42"
    );
    let lineage = trace_lineage(
        &log,
        &Sha256Digest::of(b"built bytes"),
        &KeyRing::new().with(public),
    )
    .unwrap();
    assert_eq!(lineage.traces.len(), 2);
    assert_eq!(lineage.traces[1].0.as_deref(), Some("Cargo.lock"));
    assert_eq!(
        lineage.traces[1].1.digest,
        Sha256Digest::of(b"version = 4\n")
    );
}

/// Runs `sigil-signer ARGS` with its stdout a pipe whose reader is gone before the command
/// starts, as in `sigil-signer ... | head -0`.
fn run_with_stdout_closed(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"sleep 0.5; exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_sigil-signer"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn closed_stdout_is_a_quiet_success_and_does_not_stop_the_work() {
    let ws = Workspace::new();
    let (sk, pk) = ws.keygen("release");
    let files: Vec<PathBuf> = ["a.tgz", "b.tgz", "c.tgz"]
        .iter()
        .map(|name| ws.write(name, name.as_bytes()))
        .collect();
    let mut args = vec!["sign".as_ref(), "--secret-key".as_ref(), sk.as_os_str()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    assert_eq!(run_with_stdout_closed(&args), (0, String::new()));
    // Every file was signed, not only the one whose line could not be printed.
    for file in &files {
        let (code, _, stderr) = run(sigil()
            .args(["verify", "--quiet", "--public-key"])
            .arg(&pk)
            .arg(file));
        assert_eq!(code, 0, "{stderr}");
    }
    let args = [
        "verify".as_ref(),
        "--public-key".as_ref(),
        pk.as_os_str(),
        files[0].as_os_str(),
    ];
    assert_eq!(run_with_stdout_closed(&args), (0, String::new()));
}

#[cfg(target_os = "linux")]
#[test]
fn output_lost_to_a_full_disk_is_an_operational_error() {
    let ws = Workspace::new();
    let (sk, pk) = ws.keygen("release");
    let file = ws.write("app.tgz", b"artifact bytes");
    ws.sign(&sk, &file, &[]);
    let (code, stdout, stderr) = run(sigil()
        .args(["verify", "--public-key"])
        .arg(&pk)
        .arg(&file)
        .stdout(std::fs::File::create("/dev/full").unwrap()));
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        "error: writing to standard output: No space left on device (os error 28)\n"
    );
}

#[test]
fn a_panic_is_an_internal_error_with_exit_2() {
    let (code, stdout, stderr) = run(sigil().env(sigil_cli::PANIC_TEST_VAR, "1").args([
        "verify",
        "--public-key-string",
        "x",
        "file",
    ]));
    assert_eq!((code, stdout.as_str()), (2, ""));
    let prefix = format!(
        "sigil-signer: internal error (a bug in sigil-signer {}): SIGIL_TEST_PANIC is set at ",
        env!("CARGO_PKG_VERSION")
    );
    assert!(stderr.starts_with(&prefix), "{stderr}");
    assert!(
        stderr.ends_with(
            "; please report this line and the command that caused it to the sigil maintainers\n"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
