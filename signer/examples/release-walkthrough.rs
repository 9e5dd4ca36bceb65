//! sigil's main job, end to end, on embedded defaults: make a release key, sign a sample
//! release, verify it as an app would, and watch a tampered copy and a forged signature fail.
//!
//! Run: `cargo run -p sigil-signer --example release-walkthrough`
//! Everything happens in a temporary directory; nothing outside it is touched.

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

use std::error::Error;
use std::path::Path;

use sigil_keys::keyfile::Overwrite;
use sigil_keys::minisign::{KdfStrength, LegacyMode};
use sigil_keys::{KeySource, LocalSigner, Password, PasswordSource};
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
    let public = KeygenRequest::new(&secret_path, &public_path, Some(password.clone()))
        .kdf_strength(KdfStrength::Interactive)
        .overwrite(Overwrite::Refuse)
        .generate()?;
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
    let (_, signature_path) = sign_file(&signer, &artifact, &comments)?;
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

    println!("\ndone: the release verified, and every forgery was refused.");
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
