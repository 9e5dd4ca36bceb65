//! Key formats against other implementations: keys and signatures made by OpenSSL, and TUF key
//! ids computed by python-tuf's securesystemslib 1.6 (`compute_default_keyid`).

// Test helpers panic on broken fixtures: that is the failure they should report. A test that
// needs the openssl command says on stderr when it is skipped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::process::Command;

use pkcs8::EncryptedPrivateKeyInfo;
use pkcs8::der::Decode;
use pkcs8::pkcs5::EncryptionScheme;
use pkcs8::pkcs5::pbes2::{self, Kdf, Pbkdf2Prf};
use sigil_keys::{
    KeyEncryption, PKCS8_PBKDF2_ITERATIONS, Password, PrivateKey, PrivateKeyError, PublicKey,
    PublicKeyError, Scheme, TufKey,
};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn tuf_key_ids_match_securesystemslib() {
    let ed = PublicKey::from_spki_pem(&fixture("openssl-ed25519.pub.pem")).unwrap();
    assert_eq!(
        hex::encode(match &ed {
            PublicKey::Ed25519(raw) => raw,
            _ => panic!("not ed25519"),
        }),
        "6da9cd51c86bbbf57c0db71d6227dd192b3a8cfe5b15f8825f4af3956198d703"
    );
    assert_eq!(
        ed.key_id().as_str(),
        "c113581c018d415e2b95c613be5978f166fbfa9597adc53c6da9a09ba2e72bc6"
    );
    let p256 = PublicKey::from_spki_pem(&fixture("openssl-p256.pub.pem")).unwrap();
    assert_eq!(
        p256.key_id().as_str(),
        "12e65c33cfb1ba4fb0c7d5b7c920fbb62841e039a52ce3074000d7a4e6ddfed0"
    );
    let rsa = PublicKey::from_spki_pem(&fixture("openssl-rsa3072.pub.pem")).unwrap();
    assert_eq!(
        rsa.key_id().as_str(),
        "28d04c1b10f6bdae8439e0fa58c1723c7ac6fda2cea0b857481527708f6b7464"
    );
}

#[test]
fn pem_public_keys_round_trip_byte_for_byte() {
    for name in [
        "openssl-ed25519.pub.pem",
        "openssl-p256.pub.pem",
        "openssl-rsa3072.pub.pem",
    ] {
        let pem = fixture(name);
        let key = PublicKey::from_spki_pem(&pem).unwrap();
        assert_eq!(key.to_spki_pem(), pem, "{name}");
        let tuf: TufKey = serde_json::from_value(key.to_tuf_key().to_json()).unwrap();
        assert_eq!(tuf.to_public_key().unwrap(), key, "{name}");
    }
}

#[test]
fn openssl_signatures_verify_and_tampered_messages_fail() {
    let message = fixture_bytes("message.txt");
    let mut tampered = message.clone();
    tampered[0] ^= 1;
    for (key, sig, scheme) in [
        (
            "openssl-ed25519.pub.pem",
            "message.ed25519.sig",
            Scheme::Ed25519,
        ),
        (
            "openssl-p256.pub.pem",
            "message.p256.sig",
            Scheme::EcdsaP256Sha256,
        ),
        (
            "openssl-rsa3072.pub.pem",
            "message.rsa-pss.sig",
            Scheme::RsaPssSha256,
        ),
    ] {
        let key = PublicKey::from_spki_pem(&fixture(key)).unwrap();
        assert_eq!(key.scheme(), scheme);
        let signature = fixture_bytes(sig);
        key.verify(&message, &signature).unwrap();
        let err = key.verify(&tampered, &signature).unwrap_err();
        assert!(err.to_string().contains(scheme.tuf_name()), "{err}");
    }
}

#[test]
fn openssl_private_keys_load_and_sign() {
    let message = b"signed by sigil with an openssl key";
    let ed = PrivateKey::from_pkcs8_pem(&fixture("openssl-ed25519.pem"), None).unwrap();
    let ed_public = PublicKey::from_spki_pem(&fixture("openssl-ed25519.pub.pem")).unwrap();
    assert_eq!(ed.public_key(), &ed_public);
    ed_public
        .verify(message, &ed.sign(message).unwrap())
        .unwrap();

    let password = Password::new("correct-horse".into());
    let p256 = PrivateKey::from_pkcs8_pem(&fixture("openssl-p256-encrypted.pem"), Some(&password))
        .unwrap();
    let p256_public = PublicKey::from_spki_pem(&fixture("openssl-p256.pub.pem")).unwrap();
    assert_eq!(p256.public_key(), &p256_public);
    p256_public
        .verify(message, &p256.sign(message).unwrap())
        .unwrap();
}

#[test]
fn wrong_password_for_encrypted_pkcs8_is_named() {
    let wrong = Password::new("battery-staple".into());
    let err = PrivateKey::from_pkcs8_pem(&fixture("openssl-p256-encrypted.pem"), Some(&wrong))
        .unwrap_err();
    assert!(matches!(err, PrivateKeyError::Decrypt), "{err}");
    let err = PrivateKey::from_pkcs8_pem(&fixture("openssl-p256-encrypted.pem"), None).unwrap_err();
    assert!(matches!(err, PrivateKeyError::PasswordRequired), "{err}");
}

#[test]
fn generated_keys_round_trip_through_encrypted_pkcs8() {
    let password = Password::new("hunter2 hunter2".into());
    for scheme in [Scheme::Ed25519, Scheme::EcdsaP256Sha256] {
        let key = PrivateKey::generate(scheme).unwrap();
        let pem = key.to_pkcs8_pem(Some(&password)).unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        let back = PrivateKey::from_pkcs8_pem(&pem, Some(&password)).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        let plain = key.to_pkcs8_pem(None).unwrap();
        assert!(plain.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(
            PrivateKey::from_pkcs8_pem(&plain, None)
                .unwrap()
                .public_key(),
            key.public_key()
        );
        let message = b"release 1.2.3";
        key.public_key()
            .verify(message, &back.sign(message).unwrap())
            .unwrap();
    }
}

#[test]
fn rsa_signing_is_refused_not_faked() {
    let err = PrivateKey::generate(Scheme::RsaPssSha256).unwrap_err();
    assert!(
        matches!(
            err,
            PrivateKeyError::SigningUnsupported(Scheme::RsaPssSha256)
        ),
        "{err}"
    );
}

#[test]
fn unsupported_curve_is_named() {
    let err = PublicKey::from_spki_pem(&fixture("openssl-p384.pub.pem")).unwrap_err();
    assert!(
        matches!(err, PublicKeyError::UnsupportedCurve(ref oid) if oid == "1.3.132.0.34"),
        "{err}"
    );
}

#[test]
fn off_curve_point_is_refused() {
    let mut point = vec![0x04];
    point.extend_from_slice(&[0x11; 64]);
    let err = PublicKey::ecdsa_p256_from_point(&point).unwrap_err();
    assert!(matches!(err, PublicKeyError::InvalidPoint), "{err}");
}

#[test]
fn signature_from_another_key_fails() {
    let signer = PrivateKey::generate(Scheme::Ed25519).unwrap();
    let other = PrivateKey::generate(Scheme::Ed25519).unwrap();
    let signature = signer.sign(b"m").unwrap();
    assert!(other.public_key().verify(b"m", &signature).is_err());
}

#[test]
fn private_key_debug_shows_no_secret() {
    let key = PrivateKey::from_pkcs8_pem(&fixture("openssl-ed25519.pem"), None).unwrap();
    let seed = hex::encode(key.ed25519_seed().unwrap().expose());
    let shown = format!("{key:?}");
    assert!(!shown.contains(&seed), "{shown}");
    assert!(shown.contains("REDACTED"));
}

/// Whether the `openssl` command runs here; when it does not, the caller skips with a message.
fn openssl_available() -> bool {
    let found = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|out| out.status.success());
    if !found {
        eprintln!("skipped: the openssl command is not installed");
    }
    found
}

/// The PBES2 parameters of an `ENCRYPTED PRIVATE KEY` PEM, handed to `check`.
fn with_pbes2_params(pem: &str, check: impl FnOnce(&pbes2::Parameters<'_>)) {
    let (label, der) = pkcs8::der::pem::decode_vec(pem.as_bytes()).unwrap();
    assert_eq!(label, "ENCRYPTED PRIVATE KEY");
    let info = EncryptedPrivateKeyInfo::from_der(&der).unwrap();
    let EncryptionScheme::Pbes2(params) = info.encryption_algorithm else {
        panic!("not PBES2: {:?}", info.encryption_algorithm);
    };
    assert!(
        matches!(params.encryption, pbes2::EncryptionScheme::Aes256Cbc { .. }),
        "{:?}",
        params.encryption
    );
    check(&params);
}

#[test]
fn openssl_compatible_key_is_read_by_openssl_pkey_and_by_sigil() {
    let password = Password::new("openssl reads this".into());
    let dir = tempfile::tempdir().unwrap();
    let mut salts = Vec::new();
    for scheme in [Scheme::Ed25519, Scheme::EcdsaP256Sha256] {
        let key = PrivateKey::generate(scheme).unwrap();
        let pem = key
            .to_pkcs8_pem_with(Some(&password), KeyEncryption::OpensslCompatible)
            .unwrap();
        with_pbes2_params(&pem, |params| {
            let Kdf::Pbkdf2(pbkdf2) = &params.kdf else {
                panic!("not PBKDF2: {:?}", params.kdf);
            };
            assert_eq!(pbkdf2.iteration_count, PKCS8_PBKDF2_ITERATIONS);
            assert_eq!(pbkdf2.iteration_count, 600_000);
            assert_eq!(pbkdf2.prf, Pbkdf2Prf::HmacWithSha256);
            assert_eq!(pbkdf2.salt.len(), 16);
            salts.push(pbkdf2.salt.to_vec());
        });

        let back = PrivateKey::from_pkcs8_pem(&pem, Some(&password)).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        let wrong = Password::new("openssl reads that".into());
        let err = PrivateKey::from_pkcs8_pem(&pem, Some(&wrong)).unwrap_err();
        assert!(matches!(err, PrivateKeyError::Decrypt), "{err}");

        if !openssl_available() {
            continue;
        }
        let path = dir.path().join(format!("{scheme}.pem"));
        std::fs::write(&path, pem.as_bytes()).unwrap();
        let out = Command::new("openssl")
            .arg("pkey")
            .arg("-in")
            .arg(&path)
            .args(["-passin", "pass:openssl reads this", "-pubout"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl pkey refused the {scheme} key: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let public = PublicKey::from_spki_pem(std::str::from_utf8(&out.stdout).unwrap()).unwrap();
        assert_eq!(&public, key.public_key(), "{scheme}");
    }
    // Each file draws its own salt, even under one password.
    assert_ne!(salts[0], salts[1]);
}

#[test]
fn default_encrypted_key_is_still_scrypt() {
    let password = Password::new("memory-hard".into());
    let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
    assert_eq!(KeyEncryption::default(), KeyEncryption::Scrypt);
    for pem in [
        key.to_pkcs8_pem(Some(&password)).unwrap(),
        key.to_pkcs8_pem_with(Some(&password), KeyEncryption::Scrypt)
            .unwrap(),
    ] {
        with_pbes2_params(&pem, |params| {
            let Kdf::Scrypt(scrypt) = &params.kdf else {
                panic!("not scrypt: {:?}", params.kdf);
            };
            assert_eq!(scrypt.cost_parameter, 1 << 17);
            assert_eq!(scrypt.block_size, 8);
            assert_eq!(scrypt.parallelization, 1);
            assert_eq!(scrypt.salt.len(), 16);
        });
        assert_eq!(
            PrivateKey::from_pkcs8_pem(&pem, Some(&password))
                .unwrap()
                .public_key(),
            key.public_key()
        );
    }
}

#[test]
fn unencrypted_pem_ignores_the_encryption_choice() {
    let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
    let plain = key
        .to_pkcs8_pem_with(None, KeyEncryption::OpensslCompatible)
        .unwrap();
    assert_eq!(plain, key.to_pkcs8_pem(None).unwrap());
    assert!(plain.starts_with("-----BEGIN PRIVATE KEY-----"));
}

#[test]
fn pbkdf2_key_written_by_openssl_is_read() {
    if !openssl_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openssl-pbkdf2.pem");
    let status = Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-aes-256-cbc"])
        .args(["-pass", "pass:written by openssl", "-out"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    let pem = std::fs::read_to_string(&path).unwrap();
    with_pbes2_params(&pem, |params| {
        assert!(matches!(params.kdf, Kdf::Pbkdf2(_)), "{:?}", params.kdf);
    });
    let password = Password::new("written by openssl".into());
    let key = PrivateKey::from_pkcs8_pem(&pem, Some(&password)).unwrap();
    let out = Command::new("openssl")
        .arg("pkey")
        .arg("-in")
        .arg(&path)
        .args(["-passin", "pass:written by openssl", "-pubout"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let public = PublicKey::from_spki_pem(std::str::from_utf8(&out.stdout).unwrap()).unwrap();
    assert_eq!(key.public_key(), &public);
}
