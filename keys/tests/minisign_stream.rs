//! The streaming prehash API (`Prehasher`, `StreamVerifier`, `verify_prehash`, `sign_prehash`)
//! against signatures made by the `minisign` 0.11 CLI (tests/fixtures/minisign-cli), and every
//! attack failing at the earliest point it can be seen.

// Test helpers panic on broken fixtures: that is the failure they should report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;

use sigil_keys::minisign::{
    LegacyMode, MinisignError, MinisignPublicKey, MinisignSecretKey, MinisignSignature, Prehash,
    Prehasher, SignOptions, StreamVerifier, sign_prehash, sign_reader, verify_prehash,
    verify_reader,
};

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

fn cli_signature() -> MinisignSignature {
    MinisignSignature::decode(&fixture("release.txt.minisig")).unwrap()
}

fn stream(
    public: &MinisignPublicKey,
    signature: &MinisignSignature,
    data: &[u8],
    chunk: usize,
) -> Result<u64, MinisignError> {
    let mut verifier = StreamVerifier::new(public, signature)?;
    for piece in data.chunks(chunk) {
        verifier.update(piece);
    }
    assert_eq!(verifier.length(), data.len() as u64);
    verifier.finish().map(|verified| verified.length)
}

fn options() -> SignOptions {
    SignOptions {
        trusted_comment: Some("streamed".into()),
        untrusted_comment: None,
        file_name: "data.bin".into(),
        timestamp: 0,
    }
}

#[test]
fn stream_verifier_accepts_the_minisign_cli_signature_in_any_chunking() {
    let data = fixture("release.txt");
    for chunk in [1, 3, 64, 4096] {
        let length = stream(&cli_public_key(), &cli_signature(), data.as_bytes(), chunk).unwrap();
        assert_eq!(length, data.len() as u64);
    }
    let verified = verify_prehash(
        &cli_public_key(),
        &cli_signature(),
        &Prehash::of(data.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        verified.trusted_comment,
        "sample release signed by the minisign CLI"
    );
}

#[test]
fn tampered_artifact_is_refused_at_finish() {
    let mut data = fixture("release.txt").into_bytes();
    data[0] ^= 1;
    let err = stream(&cli_public_key(), &cli_signature(), &data, 7).unwrap_err();
    assert!(matches!(err, MinisignError::ContentMismatch(_)), "{err}");
}

#[test]
fn truncated_and_extended_artifacts_are_refused() {
    let data = fixture("release.txt").into_bytes();
    let err = stream(
        &cli_public_key(),
        &cli_signature(),
        &data[..data.len() - 1],
        5,
    )
    .unwrap_err();
    assert!(matches!(err, MinisignError::ContentMismatch(_)), "{err}");
    let mut extended = data.clone();
    extended.push(b'\n');
    let err = stream(&cli_public_key(), &cli_signature(), &extended, 5).unwrap_err();
    assert!(matches!(err, MinisignError::ContentMismatch(_)), "{err}");
}

#[test]
fn signature_from_another_key_is_refused_before_any_data() {
    let other = MinisignSecretKey::generate().unwrap().public_key();
    let err = StreamVerifier::new(&other, &cli_signature()).unwrap_err();
    assert!(matches!(err, MinisignError::WrongKey { .. }), "{err}");
}

#[test]
fn same_key_number_under_another_key_is_refused_before_any_data() {
    // An attacker's key that claims the trusted key's number: the comment signature fails.
    let mut impostor = MinisignSecretKey::generate().unwrap().public_key();
    impostor.key_number = cli_public_key().key_number;
    let err = StreamVerifier::new(&impostor, &cli_signature()).unwrap_err();
    assert!(
        matches!(err, MinisignError::TrustedCommentTampered(_)),
        "{err}"
    );
}

#[test]
fn altered_trusted_comment_is_refused_before_any_data() {
    let mut signature = cli_signature();
    signature.trusted_comment = "timestamp:9999999999\tfile:release.txt".into();
    let err = StreamVerifier::new(&cli_public_key(), &signature).unwrap_err();
    assert!(
        matches!(err, MinisignError::TrustedCommentTampered(_)),
        "{err}"
    );
}

#[test]
fn legacy_signature_is_refused_by_the_stream_verifier() {
    let signature = MinisignSignature::decode(&fixture("legacy.txt.minisig")).unwrap();
    let err = StreamVerifier::new(&cli_public_key(), &signature).unwrap_err();
    assert!(matches!(err, MinisignError::LegacyRefused), "{err}");
    let data = fixture("legacy.txt");
    let err =
        verify_prehash(&cli_public_key(), &signature, &Prehash::of(data.as_bytes())).unwrap_err();
    assert!(matches!(err, MinisignError::LegacyRefused), "{err}");
}

#[test]
fn legacy_signature_flipped_to_prehashed_is_refused() {
    // The algorithm bytes are outside both signatures: relabelling a legacy signature as
    // prehashed must not make the data check pass.
    let mut signature = MinisignSignature::decode(&fixture("legacy.txt.minisig")).unwrap();
    signature.prehashed = true;
    let err = stream(
        &cli_public_key(),
        &signature,
        fixture("legacy.txt").as_bytes(),
        9,
    )
    .unwrap_err();
    assert!(matches!(err, MinisignError::ContentMismatch(_)), "{err}");
}

#[test]
fn prehash_of_other_data_is_refused() {
    let err = verify_prehash(
        &cli_public_key(),
        &cli_signature(),
        &Prehash::of(b"another release"),
    )
    .unwrap_err();
    assert!(matches!(err, MinisignError::ContentMismatch(_)), "{err}");
}

#[test]
fn sign_prehash_makes_the_signature_sign_reader_makes() {
    let key = MinisignSecretKey::generate().unwrap();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let mut hasher = Prehasher::new();
    for chunk in data.chunks(10_000) {
        hasher.update(chunk);
    }
    let from_prehash = sign_prehash(
        key.private_key(),
        key.key_number(),
        &hasher.finish(),
        &options(),
    )
    .unwrap();
    let from_reader = sign_reader(
        key.private_key(),
        key.key_number(),
        Cursor::new(&data),
        &options(),
    )
    .unwrap();
    // Ed25519 is deterministic: the same prehash and comment give the same bytes.
    assert_eq!(from_prehash.encode(), from_reader.encode());
    let verified = verify_reader(
        &key.public_key(),
        &from_prehash,
        Cursor::new(&data),
        LegacyMode::Refuse,
    )
    .unwrap();
    assert_eq!(verified.length, data.len() as u64);
}

#[test]
fn sign_prehash_checks_the_comment_like_sign_reader() {
    let key = MinisignSecretKey::generate().unwrap();
    let mut options = options();
    options.trusted_comment = Some("line one\nuntrusted comment: forged".into());
    let err = sign_prehash(
        key.private_key(),
        key.key_number(),
        &Prehash::of(b"x"),
        &options,
    )
    .unwrap_err();
    assert!(matches!(err, MinisignError::Unprintable { .. }), "{err}");
}
