//! The `sigil-updater` command over a repository on disk (`file://`): exact output and exit
//! codes for check, install, status, confirm and rollback, and a forged release refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use serde_json::json;
use sigil_keys::keyfile::{Overwrite, write_secret_file};
use sigil_keys::minisign::{MinisignSecretKey, SignOptions, sign_reader};
use sigil_keys::{PrivateKey, Scheme};
use support::{METADATA_URL, Repo, TARGETS_URL};

fn archive(version: &str) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    let data = format!("{version}\n");
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder
        .append_data(&mut header, "app/VERSION", data.as_bytes())
        .unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

fn publish(repo: &mut Repo, version: &str, key: &MinisignSecretKey) {
    let bytes = archive(version);
    let name = format!("app-{version}.tar.gz");
    repo.add_target("targets", &name, &bytes);
    let options = SignOptions {
        trusted_comment: Some(format!(
            "file:{name}\tversion:{version}\tplatform:linux\tarch:x86_64\thashed"
        )),
        untrusted_comment: None,
        file_name: name.clone(),
        timestamp: 0,
    };
    let signature = sign_reader(
        key.private_key(),
        key.key_number(),
        Cursor::new(&bytes),
        &options,
    )
    .unwrap();
    repo.targets.targets.get_mut(&name).unwrap().custom = Some(json!({"sigil": {
        "version": version, "platform": "linux", "arch": "x86_64", "signature": signature.encode()
    }}));
    repo.publish_new_versions();
}

/// Writes the repository to `dir/site`, and the app's configuration to `dir/updater.toml`.
fn setup(dir: &Path, repo: &Repo, release_key: &MinisignSecretKey) {
    let site = dir.join("site");
    repo.transport
        .write_site(METADATA_URL, &site.join("metadata"));
    repo.transport
        .write_site(TARGETS_URL, &site.join("targets"));
    std::fs::write(dir.join("root.json"), &repo.roots[&1]).unwrap();
    std::fs::write(dir.join("release.pub"), release_key.public_key().encode()).unwrap();
    let device = PrivateKey::generate(Scheme::Ed25519).unwrap();
    write_secret_file(
        &dir.join("device.key"),
        device.to_pkcs8_pem(None).unwrap().as_bytes(),
        Overwrite::Replace,
    )
    .unwrap();
    let config = format!(
        r#"metadata_url = "file://{site}/metadata/"
target_urls = ["file://{site}/targets/"]
root = "root.json"
release_key = "release.pub"
data_dir = "data"
install_root = "app"
version = "1.0.0"
platform = "linux"
arch = "x86_64"
receipt_key = "device.key"
"#,
        site = site.display()
    );
    std::fs::write(dir.join("updater.toml"), config).unwrap();
}

fn updater(dir: &Path, command: &str) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_sigil-updater"))
        .arg("--config")
        .arg(dir.join("updater.toml"))
        .arg(command)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn check_install_confirm_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let release_key = MinisignSecretKey::generate().unwrap();
    let mut repo = Repo::new();
    publish(&mut repo, "1.1.0", &release_key);
    setup(dir.path(), &repo, &release_key);

    let (code, stdout, stderr) = updater(dir.path(), "check");
    assert_eq!(
        (code, stdout.as_str()),
        (0, "update available: 1.0.0 -> 1.1.0 (app-1.1.0.tar.gz)\n"),
        "{stderr}"
    );

    let output = Command::new(env!("CARGO_BIN_EXE_sigil-updater"))
        .arg("--config")
        .arg(dir.path().join("updater.toml"))
        .args(["check", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["current"], "1.0.0");
    assert_eq!(json["available"]["version"], "1.1.0");
    assert_eq!(json["available"]["target"], "app-1.1.0.tar.gz");
    assert_eq!(json["available"]["signed"], true);

    let (code, stdout, stderr) = updater(dir.path(), "install");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "verified app-1.1.0.tar.gz 1.1.0 against TUF's hashes and the release key\n\
         installed 1.1.0: it must confirm its health within 1800 s, or it is rolled back\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app/current/app/VERSION")).unwrap(),
        "1.1.0\n"
    );

    let (code, stdout, _) = updater(dir.path(), "status");
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with(
            "current: 1.1.0\npending health confirmation: 1.1.0 (0 launch(es) so far, deadline "
        ),
        "{stdout}"
    );

    let (code, stdout, _) = updater(dir.path(), "confirm");
    assert_eq!((code, stdout.as_str()), (0, "confirmed 1.1.0\n"));
    let (code, stdout, _) = updater(dir.path(), "check");
    assert_eq!((code, stdout.as_str()), (0, "up to date: 1.1.0\n"));
    let (code, stdout, _) = updater(dir.path(), "launched");
    assert_eq!((code, stdout.as_str()), (0, "running 1.1.0\n"));

    // Nothing before 1.1.0 was installed by the updater: there is nothing to roll back to.
    let (code, _, stderr) = updater(dir.path(), "rollback");
    assert_eq!(
        (code, stderr.as_str()),
        (2, "error: there is no previous version to roll back to\n")
    );

    // Receipts went to the app's custody log.
    let log = sigil_custody::Log::open_read_only(
        &dir.path().join("data/custody"),
        sigil_custody::LogOptions::new(),
    )
    .unwrap();
    assert_eq!(log.size(), 3, "downloaded, installed, confirmed");
}

#[test]
fn forged_release_is_refused_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let release_key = MinisignSecretKey::generate().unwrap();
    let attacker = MinisignSecretKey::generate().unwrap();
    let mut repo = Repo::new();
    publish(&mut repo, "2.0.0", &attacker);
    setup(dir.path(), &repo, &release_key);
    let (code, stdout, stderr) = updater(dir.path(), "install");
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(
        stderr.starts_with("error: release app-2.0.0.tar.gz: its signature was refused: wrong key"),
        "{stderr}"
    );
    assert!(!dir.path().join("app/current").exists());
}

#[test]
fn missing_configuration_is_an_operational_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = updater(dir.path(), "check");
    assert_eq!(code, 2);
    assert!(stderr.contains("updater.toml"), "{stderr}");
}

#[test]
fn install_with_stdout_closed_installs_and_is_a_quiet_success() {
    let dir = tempfile::tempdir().unwrap();
    let release_key = MinisignSecretKey::generate().unwrap();
    let mut repo = Repo::new();
    publish(&mut repo, "1.1.0", &release_key);
    setup(dir.path(), &repo, &release_key);
    // The reader of stdout is gone before the command starts, as in `... | head -0`.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"sleep 0.5; exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_sigil-updater"))
        .arg("--config")
        .arg(dir.path().join("updater.toml"))
        .arg("install")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!((output.status.code(), stderr.as_str()), (Some(0), ""));
    let (code, stdout, _) = updater(dir.path(), "status");
    assert_eq!(code, 0);
    assert!(stdout.starts_with("current: 1.1.0\n"), "{stdout}");
}

#[test]
fn a_panic_is_an_internal_error_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_sigil-updater"))
        .env(sigil_cli::PANIC_TEST_VAR, "1")
        .arg("--config")
        .arg(dir.path().join("updater.toml"))
        .arg("check")
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!((output.status.code(), output.stdout.len()), (Some(2), 0));
    let prefix = format!(
        "sigil-updater: internal error (a bug in sigil-updater {}): SIGIL_TEST_PANIC is set at ",
        env!("CARGO_PKG_VERSION")
    );
    assert!(stderr.starts_with(&prefix), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
