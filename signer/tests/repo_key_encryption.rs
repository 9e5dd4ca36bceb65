//! How `sigil-signer repo` encrypts the role keys it generates: scrypt by default, or
//! `--key-encryption openssl-compatible` (PBKDF2-HMAC-SHA256) for keys that `openssl pkey` must
//! open. Both are then used by sigil itself to sign.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod repo;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use repo::{Workspace, ok, role_keyids, run, sigil};
use sigil_keys::{KeyId, PublicKey};
use sigil_updater::tuf::metadata::RoleType;

const PASSWORD: &str = "open sesame, openssl";
/// DER of the OID 1.2.840.113549.1.5.12 (PBKDF2, RFC 8018).
const OID_PBKDF2: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c,
];
/// DER of the OID 1.3.6.1.4.1.11591.4.11 (scrypt, RFC 7914).
const OID_SCRYPT: &[u8] = &[
    0x06, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x04, 0x0b,
];
/// DER of the OID 1.2.840.113549.2.9 (hmacWithSHA256).
const OID_HMAC_SHA256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09];
/// DER of the INTEGER 600000, PBKDF2's iteration count.
const ITERATIONS_600000: &[u8] = &[0x02, 0x03, 0x09, 0x27, 0xc0];
/// DER of the INTEGER 131072 (2^17), scrypt's cost parameter N.
const SCRYPT_N_2_17: &[u8] = &[0x02, 0x03, 0x02, 0x00, 0x00];

fn key_file(dir: &Path, role: &str, keyid: &KeyId) -> PathBuf {
    dir.join(format!("{role}-{}.pem", &keyid.as_str()[..16]))
}

/// The DER inside an `ENCRYPTED PRIVATE KEY` PEM file.
fn encrypted_der(path: &Path) -> Vec<u8> {
    let pem = std::fs::read_to_string(path).unwrap();
    let body: String = pem
        .strip_prefix("-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
        .unwrap_or_else(|| panic!("{} is not an encrypted PKCS#8 key", path.display()))
        .lines()
        .take_while(|line| !line.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn assert_pbkdf2(path: &Path) {
    let der = encrypted_der(path);
    assert!(
        contains(&der, OID_PBKDF2),
        "{} is not PBKDF2",
        path.display()
    );
    assert!(contains(&der, OID_HMAC_SHA256), "{}", path.display());
    assert!(contains(&der, ITERATIONS_600000), "{}", path.display());
    assert!(!contains(&der, OID_SCRYPT), "{}", path.display());
}

fn assert_scrypt(path: &Path) {
    let der = encrypted_der(path);
    assert!(
        contains(&der, OID_SCRYPT),
        "{} is not scrypt",
        path.display()
    );
    assert!(contains(&der, SCRYPT_N_2_17), "{}", path.display());
    assert!(!contains(&der, OID_PBKDF2), "{}", path.display());
}

/// Whether the `openssl` command runs here; when it does not, the caller skips with a message.
fn openssl_available() -> bool {
    let found = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|out| out.status.success());
    if !found {
        eprintln!("skipped the openssl part: the openssl command is not installed");
    }
    found
}

/// `openssl pkey` opens the key file with the password, with its default limits, and its public
/// key is the one beside it.
fn assert_openssl_reads(secret: &Path) {
    if !openssl_available() {
        return;
    }
    let out = Command::new("openssl")
        .arg("pkey")
        .arg("-in")
        .arg(secret)
        .args(["-passin", &format!("pass:{PASSWORD}"), "-pubout"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl pkey refused {}: {}",
        secret.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let public = PublicKey::from_spki_pem(std::str::from_utf8(&out.stdout).unwrap()).unwrap();
    let beside = secret.with_extension("pub.pem");
    let expected = PublicKey::from_spki_pem(&std::fs::read_to_string(&beside).unwrap()).unwrap();
    assert_eq!(public, expected, "{}", secret.display());
}

#[test]
fn openssl_compatible_role_keys_are_read_by_openssl_and_sign_with_sigil() {
    let ws = Workspace::new();
    let (repo, keys) = (ws.path("repo"), ws.path("keys"));
    let stdout = ok(sigil()
        .env("REPO_PASSWORD", PASSWORD)
        .args(["repo", "init", "--password-env", "REPO_PASSWORD", "--dir"])
        .arg(&repo)
        .arg("--keys-dir")
        .arg(&keys)
        .args(["--key-encryption", "openssl-compatible"]));
    for role in [RoleType::Root, RoleType::Timestamp] {
        let keyid = role_keyids(&repo, role).remove(0);
        let path = key_file(&keys, role.as_str(), &keyid);
        let line = format!(
            "{} key {keyid}: {} (encrypted, OpenSSL-compatible)\n",
            role.as_str(),
            path.display()
        );
        assert!(stdout.contains(&line), "{stdout}");
        assert_pbkdf2(&path);
        assert_openssl_reads(&path);
    }
    // sigil opens the same files to sign a release: targets, snapshot and timestamp.
    let artifact = ws.write("app.tar.gz", b"release bytes");
    let stdout = ok(sigil()
        .env("REPO_PASSWORD", PASSWORD)
        .args(["repo", "add", "--password-env", "REPO_PASSWORD", "--dir"])
        .arg(&repo)
        .arg("--keys-dir")
        .arg(&keys)
        .args([
            "--version",
            "1.0.0",
            "--platform",
            "linux",
            "--arch",
            "x86_64",
        ])
        .arg(&artifact));
    assert!(stdout.contains("signatures 1/1"), "{stdout}");
    let (code, _, stderr) = ws.publish(&repo, &ws.path("site"));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn role_keys_are_scrypt_unless_asked_otherwise() {
    let ws = Workspace::new();
    let (repo, keys) = (ws.path("repo"), ws.path("keys"));
    let stdout = ok(sigil()
        .env("REPO_PASSWORD", PASSWORD)
        .args(["repo", "init", "--password-env", "REPO_PASSWORD", "--dir"])
        .arg(&repo)
        .arg("--keys-dir")
        .arg(&keys));
    assert!(!stdout.contains("OpenSSL"), "{stdout}");
    let keyid = role_keyids(&repo, RoleType::Timestamp).remove(0);
    assert_scrypt(&key_file(&keys, "timestamp", &keyid));

    // `--key-encryption scrypt` says the same thing out loud.
    let ws = Workspace::new();
    let (repo, keys) = (ws.path("repo"), ws.path("keys"));
    ok(sigil()
        .env("REPO_PASSWORD", PASSWORD)
        .args(["repo", "init", "--password-env", "REPO_PASSWORD", "--dir"])
        .arg(&repo)
        .arg("--keys-dir")
        .arg(&keys)
        .args(["--key-encryption", "scrypt"]));
    let keyid = role_keyids(&repo, RoleType::Root).remove(0);
    assert_scrypt(&key_file(&keys, "root", &keyid));
}

#[test]
fn rotate_and_delegate_generate_openssl_compatible_keys_on_request() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    let keys = repo.join("keys");
    let old = role_keyids(&repo, RoleType::Timestamp).remove(0);
    ok(sigil()
        .env("REPO_PASSWORD", PASSWORD)
        .args(["repo", "rotate", "timestamp", "--generate", "--dir"])
        .arg(&repo)
        .args(["--password-env", "REPO_PASSWORD"])
        .args(["--key-encryption", "openssl-compatible"])
        .args(["--revoke", old.as_str()]));
    let new = role_keyids(&repo, RoleType::Timestamp).remove(0);
    assert_ne!(new, old);
    let path = key_file(&keys, "timestamp", &new);
    assert_pbkdf2(&path);
    assert_openssl_reads(&path);

    let stdout = ok(sigil()
        .env("REPO_PASSWORD", PASSWORD)
        .args([
            "repo",
            "delegate",
            "nightly",
            "--paths",
            "nightly/*",
            "--generate",
        ])
        .arg("--dir")
        .arg(&repo)
        .args(["--password-env", "REPO_PASSWORD"])
        .args(["--key-encryption", "openssl-compatible"]));
    let line = stdout
        .lines()
        .find(|line| line.starts_with("generated nightly key "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let path = PathBuf::from(line.rsplit_once(": ").unwrap().1);
    assert_pbkdf2(&path);
    assert_openssl_reads(&path);
}

#[test]
fn key_encryption_without_a_key_to_encrypt_is_refused() {
    let ws = Workspace::new();
    // An unencrypted key has no KDF to choose.
    let (code, _, stderr) = run(sigil()
        .args(["repo", "init", "--unencrypted", "--dir"])
        .arg(ws.path("repo"))
        .args(["--key-encryption", "openssl-compatible"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--unencrypted"), "{stderr}");
    assert!(stderr.contains("--key-encryption"), "{stderr}");
    assert!(!ws.path("repo").exists());

    // A rotation that generates no key has nothing to encrypt.
    let repo = ws.init(&[]);
    let (code, _, stderr) = run(sigil()
        .args(["repo", "rotate", "timestamp", "--threshold", "1", "--dir"])
        .arg(&repo)
        .args(["--key-encryption", "openssl-compatible"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--generate"), "{stderr}");

    // A KDF sigil does not offer is named, with the ones it does.
    let (code, _, stderr) = run(sigil()
        .args(["repo", "init", "--dir"])
        .arg(ws.path("other"))
        .args(["--key-encryption", "pbkdf1"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("pbkdf1"), "{stderr}");
    assert!(stderr.contains("openssl-compatible"), "{stderr}");
}
