//! Loading signing keys from files, with their passwords. Keys and passwords in environment
//! variables are tested through the CLI, which can be given an environment of its own.

// Test helpers panic on broken fixtures: that is the failure they should report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use sigil_keys::keyfile::{Overwrite, write_secret_file};
use sigil_keys::minisign::{KdfStrength, MinisignSecretKey};
use sigil_keys::{
    KeySource, LoadKeyError, LocalSigner, Password, PasswordError, PasswordSource, PrivateKey,
    Scheme, Signer,
};

fn write_minisign_key(path: &Path, password: Option<&str>) -> MinisignSecretKey {
    let key = MinisignSecretKey::generate().unwrap();
    let password = password.map(|p| Password::new(p.into()));
    let text = key
        .encode(password.as_ref(), KdfStrength::Interactive)
        .unwrap();
    write_secret_file(path, text.as_bytes(), Overwrite::Refuse).unwrap();
    key
}

#[test]
fn file_signer_signs_with_the_key_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("release.key");
    let key = write_minisign_key(&path, Some("file password"));
    let password = PasswordSource::Value(Password::new("file password".into()));
    let signer = LocalSigner::load(KeySource::File(path), &password).unwrap();
    assert_eq!(signer.key_number(), key.key_number());
    assert_eq!(signer.public_key(), key.private_key().public_key());
    let signature = signer.sign(b"message").unwrap();
    signer.public_key().verify(b"message", &signature).unwrap();
    assert_eq!(signer.key_id(), key.private_key().public_key().key_id());
}

#[test]
fn password_comes_from_a_private_file() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("release.key");
    write_minisign_key(&key_path, Some("from a file"));
    let password_path = dir.path().join("password");
    write_secret_file(&password_path, b"from a file\n", Overwrite::Refuse).unwrap();
    LocalSigner::load(
        KeySource::File(key_path),
        &PasswordSource::File(password_path),
    )
    .unwrap();
}

#[test]
fn wrong_password_is_reported_with_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("release.key");
    write_minisign_key(&path, Some("right"));
    let password = PasswordSource::Value(Password::new("wrong".into()));
    let err = LocalSigner::load(KeySource::File(path.clone()), &password).unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains(&path.display().to_string()), "{shown}");
    assert!(shown.contains("wrong password"), "{shown}");
    assert!(
        !shown.contains("right"),
        "the password must never be shown: {shown}"
    );
}

#[test]
fn encrypted_key_without_password_source_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("release.key");
    write_minisign_key(&path, Some("pw"));
    let err = LocalSigner::load(KeySource::File(path), &PasswordSource::None).unwrap_err();
    assert!(
        matches!(
            err,
            LoadKeyError::Password {
                source: PasswordError::Missing,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn unencrypted_key_needs_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("throwaway.key");
    write_minisign_key(&path, None);
    LocalSigner::load(KeySource::File(path), &PasswordSource::None).unwrap();
}

#[cfg(unix)]
#[test]
fn key_file_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("release.key");
    write_minisign_key(&path, None);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o604)).unwrap();
    let err = LocalSigner::load(KeySource::File(path), &PasswordSource::None).unwrap_err();
    assert!(err.to_string().contains("readable by other users"), "{err}");
}

#[test]
fn missing_env_variable_is_named() {
    let err = LocalSigner::load(
        KeySource::Env("SIGIL_TEST_KEY_THAT_IS_NOT_SET".into()),
        &PasswordSource::None,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "environment variable SIGIL_TEST_KEY_THAT_IS_NOT_SET is not set (it should hold a secret key)"
    );
}

#[test]
fn pkcs8_key_files_load_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tuf-targets.pem");
    let key = PrivateKey::generate(Scheme::EcdsaP256Sha256).unwrap();
    let password = Password::new("pem password".into());
    let pem = key.to_pkcs8_pem(Some(&password)).unwrap();
    write_secret_file(&path, pem.as_bytes(), Overwrite::Refuse).unwrap();
    let signer =
        LocalSigner::load(KeySource::File(path), &PasswordSource::Value(password)).unwrap();
    assert_eq!(signer.public_key(), key.public_key());
    let signature = signer.sign(b"targets.json").unwrap();
    key.public_key()
        .verify(b"targets.json", &signature)
        .unwrap();
}

#[test]
fn signer_debug_shows_no_secret() {
    let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
    let seed = hex::encode(key.ed25519_seed().unwrap().expose());
    let signer = LocalSigner::from_private_key(key, None, KeySource::Env("X".into()));
    let shown = format!("{signer:?}");
    assert!(!shown.contains(&seed), "{shown}");
}

#[test]
fn password_debug_shows_no_password() {
    let source = PasswordSource::Value(Password::new("hunter2".into()));
    assert!(!format!("{source:?}").contains("hunter2"));
}
