//! minisign formats against files made by the `minisign` 0.11 CLI (tests/fixtures/minisign-cli,
//! password "correct horse"), and every tampering case failing for its own reason.

// Test helpers panic on broken fixtures: that is the failure they should report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;

use sigil_keys::minisign::{
    KdfStrength, KeyNumber, LegacyMode, MinisignError, MinisignPublicKey, MinisignSecretKey,
    MinisignSignature, SignOptions, sign_reader, verify_reader,
};
use sigil_keys::{Password, PrivateKey, Scheme};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/minisign-cli/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn cli_public_key() -> MinisignPublicKey {
    MinisignPublicKey::decode(&fixture("minisign.pub")).unwrap()
}

fn verify(
    public: &MinisignPublicKey,
    signature: &str,
    data: &[u8],
) -> Result<String, MinisignError> {
    let signature = MinisignSignature::decode(signature)?;
    verify_reader(public, &signature, Cursor::new(data), LegacyMode::Refuse)
        .map(|v| v.trusted_comment)
}

#[test]
fn verifies_a_signature_made_by_the_minisign_cli() {
    let comment = verify(
        &cli_public_key(),
        &fixture("release.txt.minisig"),
        fixture("release.txt").as_bytes(),
    )
    .unwrap();
    assert_eq!(comment, "sample release signed by the minisign CLI");
}

#[test]
fn public_key_file_round_trips_byte_for_byte() {
    let text = fixture("minisign.pub");
    assert_eq!(cli_public_key().encode(), text);
}

#[test]
fn signature_file_round_trips_byte_for_byte() {
    let text = fixture("release.txt.minisig");
    assert_eq!(MinisignSignature::decode(&text).unwrap().encode(), text);
}

#[test]
fn tampered_file_fails_as_content_mismatch() {
    let mut data = fixture("release.txt").into_bytes();
    data[0] ^= 0x20;
    let err = verify(&cli_public_key(), &fixture("release.txt.minisig"), &data).unwrap_err();
    assert!(matches!(err, MinisignError::ContentMismatch(_)), "{err}");
    assert!(err.to_string().contains("content was altered"), "{err}");
}

#[test]
fn appended_bytes_fail_as_content_mismatch() {
    let mut data = fixture("release.txt").into_bytes();
    data.push(b'\n');
    let err = verify(&cli_public_key(), &fixture("release.txt.minisig"), &data).unwrap_err();
    assert!(matches!(err, MinisignError::ContentMismatch(_)), "{err}");
}

#[test]
fn edited_trusted_comment_fails_as_tampered_comment() {
    let signature = fixture("release.txt.minisig").replace("sample release", "sample RELEASE");
    let err = verify(
        &cli_public_key(),
        &signature,
        fixture("release.txt").as_bytes(),
    )
    .unwrap_err();
    assert!(
        matches!(err, MinisignError::TrustedCommentTampered(_)),
        "{err}"
    );
    assert!(err.to_string().contains("trusted comment"), "{err}");
}

#[test]
fn wrong_key_fails_naming_both_key_numbers() {
    let other = MinisignPublicKey::decode(&fixture("unencrypted.pub")).unwrap();
    let err = verify(
        &other,
        &fixture("release.txt.minisig"),
        fixture("release.txt").as_bytes(),
    )
    .unwrap_err();
    let MinisignError::WrongKey {
        signature,
        public_key,
    } = err
    else {
        panic!("expected WrongKey, got {err}");
    };
    assert_eq!(signature, cli_public_key().key_number);
    assert_eq!(public_key, other.key_number);
}

#[test]
fn key_with_a_forged_key_number_fails_as_tampered_comment() {
    // An attacker's key that copies the real key number: the comment signature cannot verify.
    let mut forged = MinisignPublicKey::decode(&fixture("unencrypted.pub")).unwrap();
    forged.key_number = cli_public_key().key_number;
    let err = verify(
        &forged,
        &fixture("release.txt.minisig"),
        fixture("release.txt").as_bytes(),
    )
    .unwrap_err();
    assert!(
        matches!(err, MinisignError::TrustedCommentTampered(_)),
        "{err}"
    );
}

#[test]
fn truncated_signature_fails_as_truncated() {
    let full = fixture("release.txt.minisig");
    let lines: Vec<&str> = full.lines().collect();
    for keep in 0..4 {
        let truncated = lines[..keep].join("\n");
        let err = MinisignSignature::decode(&truncated).unwrap_err();
        assert!(
            matches!(err, MinisignError::Truncated { .. }),
            "{keep} lines: {err}"
        );
    }
    // Cut inside the last line: the comment signature is too short.
    let cut = &full[..full.len() - 20];
    let err = MinisignSignature::decode(cut).unwrap_err();
    assert!(
        matches!(
            err,
            MinisignError::Length { .. } | MinisignError::Base64 { .. }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("comment signature"), "{err}");
}

#[test]
fn legacy_signature_needs_explicit_acceptance() {
    let public = cli_public_key();
    let signature = MinisignSignature::decode(&fixture("legacy.txt.minisig")).unwrap();
    assert!(!signature.prehashed);
    let data = fixture("legacy.txt");
    let err = verify_reader(
        &public,
        &signature,
        Cursor::new(data.as_bytes()),
        LegacyMode::Refuse,
    )
    .unwrap_err();
    assert!(matches!(err, MinisignError::LegacyRefused), "{err}");
    let verified = verify_reader(
        &public,
        &signature,
        Cursor::new(data.as_bytes()),
        LegacyMode::Accept,
    )
    .unwrap();
    assert!(!verified.prehashed);
    let err = verify_reader(
        &public,
        &signature,
        Cursor::new(b"other".as_slice()),
        LegacyMode::Accept,
    )
    .unwrap_err();
    assert!(matches!(err, MinisignError::ContentMismatch(_)), "{err}");
}

#[test]
fn decrypts_a_secret_key_encrypted_by_the_minisign_cli() {
    // scrypt with N = 2^20, r = 8: 1 GiB, as minisign writes it.
    let text = fixture("minisign.key");
    assert!(MinisignSecretKey::is_encrypted(&text).unwrap());
    let secret =
        MinisignSecretKey::decode(&text, Some(&Password::new("correct horse".into()))).unwrap();
    assert_eq!(secret.public_key(), cli_public_key());
    let err =
        MinisignSecretKey::decode(&text, Some(&Password::new("wrong horse".into()))).unwrap_err();
    assert!(matches!(err, MinisignError::WrongPassword), "{err}");
    let err = MinisignSecretKey::decode(&text, None).unwrap_err();
    assert!(matches!(err, MinisignError::PasswordRequired), "{err}");
}

#[test]
fn reads_an_unencrypted_secret_key_from_the_minisign_cli() {
    let secret = MinisignSecretKey::decode(&fixture("unencrypted.key"), None).unwrap();
    assert_eq!(
        secret.public_key(),
        MinisignPublicKey::decode(&fixture("unencrypted.pub")).unwrap()
    );
}

#[test]
fn corrupted_unencrypted_secret_key_is_detected() {
    let text = fixture("unencrypted.key");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut bytes = base64_decode(&lines[1]);
    bytes[80] ^= 1; // inside the Ed25519 seed
    lines[1] = base64_encode(&bytes);
    let err = MinisignSecretKey::decode(&lines.join("\n"), None).unwrap_err();
    assert!(matches!(err, MinisignError::Inconsistent), "{err}");
}

#[test]
fn sign_then_verify_round_trip_with_own_keys() {
    let secret = MinisignSecretKey::generate().unwrap();
    let password = Password::new("pw for a test key".into());
    let encoded = secret
        .encode(Some(&password), KdfStrength::Interactive)
        .unwrap();
    let reloaded = MinisignSecretKey::decode(&encoded, Some(&password)).unwrap();
    assert_eq!(reloaded.public_key(), secret.public_key());

    let options = SignOptions {
        trusted_comment: None,
        untrusted_comment: None,
        file_name: "app-1.0.0.tar.gz".into(),
        timestamp: 1_700_000_000,
    };
    let data = vec![7u8; 200_000];
    let signature = sign_reader(
        reloaded.private_key(),
        reloaded.key_number(),
        Cursor::new(&data),
        &options,
    )
    .unwrap();
    assert!(signature.prehashed);
    assert_eq!(
        signature.trusted_comment,
        "timestamp:1700000000\tfile:app-1.0.0.tar.gz\thashed"
    );
    let text = signature.encode();
    assert!(
        text.starts_with("untrusted comment: signature from minisign secret key\n"),
        "{text}"
    );
    assert_eq!(
        &base64_decode(text.lines().nth(1).unwrap())[..2],
        b"ED",
        "prehashed algorithm id"
    );
    let verified = verify(&secret.public_key(), &text, &data).unwrap();
    assert_eq!(verified, signature.trusted_comment);
}

#[test]
fn unencrypted_own_key_round_trips() {
    let secret = MinisignSecretKey::generate().unwrap();
    let text = secret.encode(None, KdfStrength::Sensitive).unwrap();
    assert!(!MinisignSecretKey::is_encrypted(&text).unwrap());
    let back = MinisignSecretKey::decode(&text, None).unwrap();
    assert_eq!(back.public_key(), secret.public_key());
}

#[test]
fn minisign_signing_refuses_non_ed25519_keys() {
    let key = PrivateKey::generate(Scheme::EcdsaP256Sha256).unwrap();
    let options = SignOptions {
        trusted_comment: Some("x".into()),
        untrusted_comment: None,
        file_name: "f".into(),
        timestamp: 0,
    };
    let err = sign_reader(&key, KeyNumber([0; 8]), Cursor::new(b"x"), &options).unwrap_err();
    assert!(
        matches!(err, MinisignError::NotEd25519(Scheme::EcdsaP256Sha256)),
        "{err}"
    );
}

#[test]
fn trusted_comment_with_a_newline_is_refused() {
    let key = MinisignSecretKey::generate().unwrap();
    let options = SignOptions {
        trusted_comment: Some("ok\nuntrusted comment: injected".into()),
        untrusted_comment: None,
        file_name: "f".into(),
        timestamp: 0,
    };
    let err = sign_reader(
        key.private_key(),
        key.key_number(),
        Cursor::new(b"x"),
        &options,
    )
    .unwrap_err();
    assert!(matches!(err, MinisignError::Unprintable { .. }), "{err}");
}

#[test]
fn key_number_prints_as_minisign_does() {
    // minisign prints the key number of tests/fixtures/minisign-cli/minisign.pub in its comment.
    let text = fixture("minisign.pub");
    let printed = text.lines().next().unwrap().rsplit(' ').next().unwrap();
    assert_eq!(cli_public_key().key_number.to_string(), printed);
}

#[test]
fn secret_key_debug_shows_no_secret() {
    let secret = MinisignSecretKey::decode(&fixture("unencrypted.key"), None).unwrap();
    let seed = secret
        .private_key()
        .ed25519_seed()
        .unwrap()
        .expose()
        .to_vec();
    let shown = format!("{secret:?}");
    assert!(shown.contains("REDACTED"));
    assert!(!shown.contains(&format!("{:?}", &seed[..4])));
}

#[test]
fn hostile_kdf_parameters_are_refused() {
    let text = fixture("minisign.key");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut bytes = base64_decode(&lines[1]);
    bytes[46..54].copy_from_slice(&u64::MAX.to_le_bytes()); // memlimit
    bytes[38..46].copy_from_slice(&u64::MAX.to_le_bytes()); // opslimit
    lines[1] = base64_encode(&bytes);
    let err =
        MinisignSecretKey::decode(&lines.join("\n"), Some(&Password::new("x".into()))).unwrap_err();
    assert!(matches!(err, MinisignError::KdfTooCostly { .. }), "{err}");
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn overlong_untrusted_comment_is_refused_at_signing() {
    // A comment minisign could not read back must not be written.
    let key = MinisignSecretKey::generate().unwrap();
    let options = SignOptions {
        trusted_comment: Some("x".into()),
        untrusted_comment: Some("u".repeat(1010)),
        file_name: "f".into(),
        timestamp: 0,
    };
    let err = sign_reader(
        key.private_key(),
        key.key_number(),
        Cursor::new(b"x"),
        &options,
    )
    .unwrap_err();
    assert!(
        matches!(err, MinisignError::LineTooLong { line: 1, .. }),
        "{err}"
    );
    let fits = SignOptions {
        untrusted_comment: Some("u".repeat(1000)),
        ..options
    };
    let signature = sign_reader(
        key.private_key(),
        key.key_number(),
        Cursor::new(b"x"),
        &fits,
    )
    .unwrap();
    MinisignSignature::decode(&signature.encode()).unwrap();
}
