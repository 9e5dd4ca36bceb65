//! Every parser of untrusted bytes in sigil-keys, fed thousands of mutated and truncated inputs:
//! each must return an error or a value, never panic, and never accept a mutated signature.
//! (Deterministic: the mutations come from a fixed-seed generator, so a failure reproduces.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;

use sigil_keys::minisign::{
    LegacyMode, MinisignPublicKey, MinisignSecretKey, MinisignSignature, verify_reader,
};
use sigil_keys::{MAX_PBKDF2_ITERATIONS, Password, PrivateKey, PrivateKeyError, PublicKey, TufKey};

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(3) {
        match rng.below(6) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 => out.truncate(rng.below(out.len() + 1)),
            2 => {
                let i = rng.below(out.len() + 1);
                out.insert(i, rng.next() as u8);
            }
            3 if !out.is_empty() => {
                let i = rng.below(out.len());
                out.remove(i);
            }
            4 => {
                let i = rng.below(out.len() + 1);
                let bytes = [b'\n', b'\r', b'=', b'\0', b' ', 0xff];
                out.insert(i, bytes[rng.below(bytes.len())]);
            }
            _ => {
                let i = rng.below(out.len() + 1);
                let j = rng.below(out.len() + 1);
                let (a, b) = (i.min(j), i.max(j));
                let chunk = out[a..b].to_vec();
                out.splice(a..a, chunk);
            }
        }
    }
    out
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

const ROUNDS: usize = 3000;

#[test]
fn mutated_minisign_signatures_never_panic_and_never_verify() {
    let public = MinisignPublicKey::decode(
        &String::from_utf8(fixture("minisign-cli/minisign.pub")).unwrap(),
    )
    .unwrap();
    let original = fixture("minisign-cli/release.txt.minisig");
    let data = fixture("minisign-cli/release.txt");
    let original_signature =
        MinisignSignature::decode(std::str::from_utf8(&original).unwrap()).unwrap();
    let mut rng = Rng(0x5151_0001);
    let mut refused = 0;
    for _ in 0..ROUNDS {
        let Ok(text) = String::from_utf8(mutate(&mut rng, &original)) else {
            refused += 1;
            continue;
        };
        let Ok(signature) = MinisignSignature::decode(&text) else {
            refused += 1;
            continue;
        };
        if verify_reader(&public, &signature, Cursor::new(&data), LegacyMode::Accept).is_ok() {
            // Only a mutation that leaves every signed byte intact (the untrusted comment,
            // trailing whitespace) may still verify.
            assert_eq!(signature.signature, original_signature.signature, "{text}");
            assert_eq!(
                signature.trusted_comment, original_signature.trusted_comment,
                "{text}"
            );
            assert_eq!(
                signature.global_signature, original_signature.global_signature,
                "{text}"
            );
        } else {
            refused += 1;
        }
    }
    assert!(
        refused > ROUNDS / 2,
        "most mutations must be refused, {refused} were"
    );
}

#[test]
fn mutated_minisign_keys_never_panic() {
    let mut rng = Rng(0x5151_0002);
    for name in [
        "minisign-cli/minisign.pub",
        "minisign-cli/unencrypted.key",
        "minisign-cli/minisign.key",
    ] {
        let original = fixture(name);
        for _ in 0..ROUNDS {
            let Ok(text) = String::from_utf8(mutate(&mut rng, &original)) else {
                continue;
            };
            let _ = MinisignPublicKey::decode(&text);
            // No password: an encrypted key stops before its KDF, so hostile parameters cost nothing.
            let _ = MinisignSecretKey::decode(&text, None);
            let _ = MinisignSecretKey::is_encrypted(&text);
        }
    }
}

#[test]
fn mutated_pem_and_der_keys_never_panic() {
    let mut rng = Rng(0x5151_0003);
    for name in [
        "openssl-ed25519.pub.pem",
        "openssl-p256.pub.pem",
        "openssl-rsa3072.pub.pem",
        "openssl-p384.pub.pem",
    ] {
        let pem = fixture(name);
        let der = PublicKey::from_spki_pem(std::str::from_utf8(&pem).unwrap())
            .map(|key| key.to_spki_der())
            .unwrap_or_default();
        for _ in 0..ROUNDS {
            if let Ok(text) = String::from_utf8(mutate(&mut rng, &pem)) {
                let _ = PublicKey::from_spki_pem(&text);
            }
            let _ = PublicKey::from_spki_der(&mutate(&mut rng, &der));
        }
    }
    for name in ["openssl-ed25519.pem", "openssl-p256.pem"] {
        let pem = fixture(name);
        for _ in 0..ROUNDS {
            if let Ok(text) = String::from_utf8(mutate(&mut rng, &pem)) {
                let _ = PrivateKey::from_pkcs8_pem(&text, None);
            }
        }
    }
}

/// An `ENCRYPTED PRIVATE KEY` whose PBES2 parameters ask PBKDF2 for `iterations` iterations.
/// The ciphertext is noise: a reader that checks the cost first never gets as far as it.
fn pbkdf2_key_asking_for(iterations: u32) -> String {
    use pkcs8::der::Encode;
    use pkcs8::pkcs5::pbes2::{self, Pbkdf2Params, Pbkdf2Prf};

    let salt = [7u8; 16];
    let iv = [9u8; 16];
    let params = pbes2::Parameters {
        kdf: Pbkdf2Params {
            salt: &salt,
            iteration_count: iterations,
            key_length: None,
            prf: Pbkdf2Prf::HmacWithSha256,
        }
        .into(),
        encryption: pbes2::EncryptionScheme::Aes256Cbc { iv: &iv },
    };
    let ciphertext = [0x5au8; 64];
    let info = pkcs8::EncryptedPrivateKeyInfo {
        encryption_algorithm: params.into(),
        encrypted_data: &ciphertext,
    };
    let der = info.to_der().unwrap();
    pkcs8::der::pem::encode_string("ENCRYPTED PRIVATE KEY", pkcs8::LineEnding::LF, &der).unwrap()
}

#[test]
fn pbkdf2_iteration_bomb_is_refused_before_deriving() {
    // Four billion iterations would keep one core busy for an hour or more; fifty million (still
    // under the pkcs5 crate's own ceiling of 10^8) for most of a minute. The cost is refused
    // from the parameters alone: the error is not the wrong-password one decryption gives.
    let password = Password::new("any password".into());
    for iterations in [u32::MAX, 50_000_000, MAX_PBKDF2_ITERATIONS + 1] {
        let err = PrivateKey::from_pkcs8_pem(&pbkdf2_key_asking_for(iterations), Some(&password))
            .unwrap_err();
        assert!(
            matches!(
                err,
                PrivateKeyError::KdfTooManyIterations { requested, limit }
                    if requested == iterations && limit == MAX_PBKDF2_ITERATIONS
            ),
            "{err}"
        );
        let message = err.to_string();
        assert!(message.contains("PBKDF2 iterations"), "{message}");
        assert!(message.contains(&iterations.to_string()), "{message}");
    }
    // Within the limit the cost is accepted and the (noise) ciphertext is what fails.
    let err =
        PrivateKey::from_pkcs8_pem(&pbkdf2_key_asking_for(1_000), Some(&password)).unwrap_err();
    assert!(matches!(err, PrivateKeyError::Decrypt), "{err}");
}

#[test]
fn mutated_tuf_keys_never_panic() {
    let key =
        PublicKey::from_spki_pem(std::str::from_utf8(&fixture("openssl-p256.pub.pem")).unwrap())
            .unwrap();
    let json = serde_json::to_vec(&key.to_tuf_key().to_json()).unwrap();
    let mut rng = Rng(0x5151_0004);
    for _ in 0..ROUNDS {
        if let Ok(parsed) = serde_json::from_slice::<TufKey>(&mutate(&mut rng, &json)) {
            let _ = parsed.to_public_key();
            let _ = parsed.key_id();
        }
    }
}
