//! sigil's main job, end to end, on embedded defaults: make a release key, sign a sample
//! release, verify it as an app would, watch a tampered copy and a forged signature fail, and
//! prove the whole history from a signed, tamper-evident chain-of-custody log.
//!
//! Run: `cargo run -p sigil-signer --example release-walkthrough`
//! Everything happens in a temporary directory; nothing outside it is touched.

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

use std::error::Error;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::path::Path;

use sigil_custody::{
    CheckpointTrust, KeyRing, Log, LogOptions, NoteSigner, Sha256Digest, SystemClock, Verifier,
    trace,
};
use sigil_keys::keyfile::Overwrite;
use sigil_keys::minisign::{KdfStrength, LegacyMode};
use sigil_keys::{KeySource, LocalSigner, Password, PasswordSource, PrivateKey, Scheme, Signer};
use sigil_signer::custody;
use sigil_signer::keygen::KeygenRequest;
use sigil_signer::sign::{Comments, sign_file};
use sigil_signer::verify::{read_public_key, verify_file};

fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let work = dir.path();
    println!("working in {}", work.display());

    step("1. release key (Ed25519, minisign format, encrypted at rest)");
    let secret_path = work.join("release.key");
    let public_path = work.join("release.pub");
    // The demo password is fixed so the walk-through runs unattended; the interactive KDF keeps
    // it quick. Real keys use `sigil-signer keygen`, which asks for a password and uses
    // minisign's 1 GiB scrypt setting.
    let password = Password::new("walkthrough password".into());
    let secret = KeygenRequest::new(&secret_path, &public_path, Some(password.clone()))
        .kdf_strength(KdfStrength::Interactive)
        .overwrite(Overwrite::Refuse)
        .generate()?;
    let public = secret.public_key();
    println!("   key number {}", public.key_number);
    println!("   public key {}", public.to_base64());

    step("2. a sample release, signed");
    let artifact = work.join("sample-app-1.1.0-linux-x86_64.tar.gz");
    std::fs::write(&artifact, sample_release())?;
    let signer = LocalSigner::load(
        KeySource::File(secret_path),
        &PasswordSource::Value(password),
    )?;
    let comments = Comments {
        trusted: Some("sample-app 1.1.0 linux x86_64 channel=stable".into()),
        untrusted: None,
    };
    let signature_path = sign_file(&signer, &artifact, &comments)?.signature_path;
    println!("   wrote {}", name(&signature_path));
    print!("{}", indent(&std::fs::read_to_string(&signature_path)?));

    step("3. the app verifies the release against its pinned public key");
    let pinned = read_public_key(&public_path)?;
    let verified = verify_file(&pinned, &artifact, &signature_path, LegacyMode::Refuse)?;
    println!(
        "   verified {} bytes; trusted comment: {}",
        verified.length, verified.trusted_comment
    );

    step("4. attacks that must fail");
    let tampered = work.join("tampered.tar.gz");
    let mut bytes = sample_release();
    bytes[100] ^= 0x01;
    std::fs::write(&tampered, bytes)?;
    expect_refusal(
        "a tampered artifact",
        verify_file(&pinned, &tampered, &signature_path, LegacyMode::Refuse),
    );

    let forged = work.join("forged.minisig");
    let text = std::fs::read_to_string(&signature_path)?.replace("1.1.0", "9.9.9");
    std::fs::write(&forged, text)?;
    expect_refusal(
        "an edited trusted comment",
        verify_file(&pinned, &artifact, &forged, LegacyMode::Refuse),
    );

    let attacker_public = work.join("attacker.pub");
    KeygenRequest::new(&work.join("attacker.key"), &attacker_public, None).generate()?;
    expect_refusal(
        "a signature checked against another key",
        verify_file(
            &read_public_key(&attacker_public)?,
            &artifact,
            &signature_path,
            LegacyMode::Refuse,
        ),
    );

    step("5. the chain of custody: every step, signed, in a Merkle log");
    let log_dir = work.join("custody-log");
    let mut log = custody::open_log(&log_dir)?;
    let clock = SystemClock;
    let generated =
        custody::record_key_generated(&mut log, secret.private_key(), "release", &clock)?;
    println!(
        "   entry {}: key-generated, signed by the new release key",
        generated.index
    );
    let signed = sign_file(&signer, &artifact, &comments)?;
    let recorded = custody::record_signature(
        &mut log,
        &signer,
        &signer,
        &name(&artifact),
        &signed,
        &clock,
    )?;
    println!(
        "   entry {}: artifact-signature of {}",
        recorded.index,
        name(&artifact)
    );
    // The log's own key signs its checkpoints (in production it lives with the log's publisher
    // and witnesses cosign).
    let log_key = PrivateKey::generate(Scheme::Ed25519)?;
    let log_signer = NoteSigner::new("custody.sample-app.example", &log_key)?;
    let checkpoint = log.write_checkpoint("custody.sample-app.example/log", &[&log_signer])?;
    print!("{}", indent(&checkpoint));

    step("6. a security team verifies the log and traces the release");
    let keys = KeyRing::new().with(signer.public_key().clone());
    let trust = CheckpointTrust::new(
        "custody.sample-app.example/log",
        vec![log_signer.verifier()],
    );
    let reader = Log::open_read_only(&log_dir, LogOptions::new())?;
    let report = Verifier::new(&keys, &trust).verify(&reader)?;
    println!(
        "   {} entries, {} findings: the log matches its signed checkpoint",
        report.size,
        report.findings.len()
    );
    if !report.is_ok() {
        eprintln!("   the untouched log did not verify: this is a bug");
        std::process::exit(1);
    }
    let history = trace(&reader, &Sha256Digest(signed.sha256), &keys)?;
    for step in &history.steps {
        println!(
            "   trace: entry {} {}",
            step.entry.index, step.entry.statement.predicate_type
        );
    }

    step("7. history rewritten after the fact is caught");
    // Someone with write access to the log renames the signed artifact in entry 1, keeping the
    // entry's signature.
    let entries = log_dir.join("entries.jsonl");
    let text = std::fs::read_to_string(&entries)?;
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut envelope: serde_json::Value = serde_json::from_str(&lines[1])?;
    let payload = BASE64.decode(envelope["payload"].as_str().unwrap_or_default())?;
    let edited = String::from_utf8(payload)?.replace("sample-app-1.1.0", "sample-app-9.9.9");
    envelope["payload"] = serde_json::Value::String(BASE64.encode(edited));
    lines[1] = serde_json::to_string(&envelope)?;
    std::fs::write(&entries, lines.join("\n") + "\n")?;
    let tampered_log = Log::open_read_only(&log_dir, LogOptions::new())?;
    let report = Verifier::new(&keys, &trust).verify(&tampered_log)?;
    if report.is_ok() {
        eprintln!("   an edited log verified: this is a bug");
        std::process::exit(1);
    }
    for finding in &report.findings {
        println!("   refused: {finding}");
    }

    println!(
        "\ndone: the release verified, every forgery was refused, and its history is provable."
    );
    Ok(())
}

fn step(title: &str) {
    println!("\n{title}");
}

fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("   | {line}\n")).collect()
}

fn expect_refusal<T>(what: &str, result: Result<T, sigil_signer::verify::VerifyFileError>) {
    match result {
        Err(error) if error.is_rejection() => println!("   refused {what}: {error}"),
        Err(error) => {
            eprintln!("   {what}: unexpected operational error: {error}");
            std::process::exit(2);
        }
        Ok(_) => {
            eprintln!("   {what} was ACCEPTED: this is a bug");
            std::process::exit(1);
        }
    }
}

/// A deterministic 256 KiB stand-in for a release archive.
fn sample_release() -> Vec<u8> {
    (0..256 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect()
}
