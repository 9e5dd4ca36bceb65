//! Interop with the real `minisign` CLI, in both directions, with encrypted keys.
//!
//! These tests need `minisign` on PATH. Where it is missing they are skipped with a notice,
//! unless `SIGIL_REQUIRE_INTEROP=1` (as `.ci/run` sets it), where a missing `minisign` fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const PASSWORD: &str = "interop password";

fn minisign_present() -> bool {
    let found = Command::new("minisign")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var("SIGIL_REQUIRE_INTEROP").as_deref() != Ok("1"),
            "SIGIL_REQUIRE_INTEROP=1 but `minisign` is not on PATH"
        );
        eprintln!("skipped: `minisign` is not on PATH (set SIGIL_REQUIRE_INTEROP=1 to require it)");
    }
    found
}

/// Runs minisign with `stdin_text` on its standard input (it reads passwords from there when
/// standard input is not a terminal).
fn minisign(args: &[&str], dir: &Path, stdin_text: &str) -> (i32, String, String) {
    let mut child = Command::new("minisign")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin_text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn sigil(args: &[&str], dir: &Path) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_sigil-signer"))
        .args(args)
        .current_dir(dir)
        .env("SIGIL_TEST_PASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn workdir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    std::fs::write(path.join("app-1.1.0.tar.gz"), vec![42u8; 300_000]).unwrap();
    (dir, path)
}

/// A key pair made by minisign itself, encrypted with [`PASSWORD`].
fn minisign_keygen(dir: &Path) {
    let (code, _, stderr) = minisign(
        &["-G", "-p", "minisign.pub", "-s", "minisign.key"],
        dir,
        &format!("{PASSWORD}\n{PASSWORD}\n"),
    );
    assert_eq!(code, 0, "minisign -G: {stderr}");
}

#[test]
fn minisign_verifies_what_sigil_signed_with_an_encrypted_key() {
    if !minisign_present() {
        return;
    }
    let (_guard, dir) = workdir();
    let (code, _, stderr) = sigil(
        &[
            "keygen",
            "--password-env",
            "SIGIL_TEST_PASSWORD",
            "--secret-key",
            "sigil.key",
            "--public-key",
            "sigil.pub",
        ],
        &dir,
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = sigil(
        &[
            "sign",
            "--secret-key",
            "sigil.key",
            "--password-env",
            "SIGIL_TEST_PASSWORD",
            "--trusted-comment",
            "app 1.1.0 stable",
            "app-1.1.0.tar.gz",
        ],
        &dir,
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = minisign(
        &["-V", "-p", "sigil.pub", "-m", "app-1.1.0.tar.gz"],
        &dir,
        "",
    );
    assert_eq!(code, 0, "minisign -V refused sigil's signature: {stderr}");
    assert!(
        stdout.contains("Trusted comment: app 1.1.0 stable"),
        "{stdout}"
    );
    // minisign also decrypts sigil's encrypted secret key: it signs with it.
    let (code, _, stderr) = minisign(
        &[
            "-S",
            "-s",
            "sigil.key",
            "-m",
            "app-1.1.0.tar.gz",
            "-x",
            "by-minisign.minisig",
        ],
        &dir,
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(
        code, 0,
        "minisign could not use sigil's secret key: {stderr}"
    );
    let (code, _, stderr) = sigil(
        &[
            "verify",
            "--public-key",
            "sigil.pub",
            "--signature",
            "by-minisign.minisig",
            "app-1.1.0.tar.gz",
        ],
        &dir,
    );
    assert_eq!(code, 0, "{stderr}");
    // And minisign refuses sigil's signature once the file changes.
    std::fs::write(dir.join("app-1.1.0.tar.gz"), vec![43u8; 300_000]).unwrap();
    let (code, _, _) = minisign(
        &["-V", "-p", "sigil.pub", "-m", "app-1.1.0.tar.gz"],
        &dir,
        "",
    );
    assert_ne!(code, 0);
}

#[test]
fn sigil_verifies_and_signs_with_minisign_keys() {
    if !minisign_present() {
        return;
    }
    let (_guard, dir) = workdir();
    minisign_keygen(&dir);
    let (code, _, stderr) = minisign(
        &[
            "-S",
            "-s",
            "minisign.key",
            "-m",
            "app-1.1.0.tar.gz",
            "-t",
            "made by minisign",
        ],
        &dir,
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(code, 0, "minisign -S: {stderr}");
    let (code, stdout, stderr) = sigil(
        &["verify", "--public-key", "minisign.pub", "app-1.1.0.tar.gz"],
        &dir,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "Signature and comment signature verified\nTrusted comment: made by minisign\n"
    );
    // sigil decrypts minisign's encrypted key and signs; minisign accepts the result.
    let (code, _, stderr) = sigil(
        &[
            "sign",
            "--secret-key",
            "minisign.key",
            "--password-env",
            "SIGIL_TEST_PASSWORD",
            "app-1.1.0.tar.gz",
        ],
        &dir,
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = minisign(
        &["-V", "-p", "minisign.pub", "-m", "app-1.1.0.tar.gz"],
        &dir,
        "",
    );
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn minisign_signatures_fail_in_sigil_for_the_stated_reason() {
    if !minisign_present() {
        return;
    }
    let (_guard, dir) = workdir();
    minisign_keygen(&dir);
    let (code, _, stderr) = minisign(
        &[
            "-S",
            "-s",
            "minisign.key",
            "-m",
            "app-1.1.0.tar.gz",
            "-t",
            "version 1.1.0",
        ],
        &dir,
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = minisign(
        &["-G", "-W", "-p", "other.pub", "-s", "other.key"],
        &dir,
        "",
    );
    assert_eq!(code, 0, "{stderr}");
    let signature = std::fs::read_to_string(dir.join("app-1.1.0.tar.gz.minisig")).unwrap();

    let verify = |key: &str, sig: &str| {
        sigil(
            &[
                "verify",
                "--public-key",
                key,
                "--signature",
                sig,
                "app-1.1.0.tar.gz",
            ],
            &dir,
        )
    };

    // Wrong key.
    let (code, _, stderr) = verify("other.pub", "app-1.1.0.tar.gz.minisig");
    assert_eq!(code, 1);
    assert!(stderr.contains("wrong key"), "{stderr}");

    // Edited trusted comment.
    std::fs::write(
        dir.join("edited.minisig"),
        signature.replace("version 1.1.0", "version 9.9.9"),
    )
    .unwrap();
    let (code, _, stderr) = verify("minisign.pub", "edited.minisig");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("trusted comment or the signature was altered"),
        "{stderr}"
    );

    // Truncated signature.
    let cut: String = signature
        .lines()
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.join("truncated.minisig"), cut).unwrap();
    let (code, _, stderr) = verify("minisign.pub", "truncated.minisig");
    assert_eq!(code, 1);
    assert!(stderr.contains("truncated"), "{stderr}");

    // Tampered file, checked last since it changes the artifact.
    let mut bytes = std::fs::read(dir.join("app-1.1.0.tar.gz")).unwrap();
    bytes[150_000] ^= 1;
    std::fs::write(dir.join("app-1.1.0.tar.gz"), bytes).unwrap();
    let (code, _, stderr) = verify("minisign.pub", "app-1.1.0.tar.gz.minisig");
    assert_eq!(code, 1);
    assert!(stderr.contains("content was altered"), "{stderr}");
}
