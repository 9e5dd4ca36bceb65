//! The conformance client CLI against a repository on disk (`file://`): exit codes, the files
//! it leaves, and those files read back with the library.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::Command;

use support::{METADATA_URL, Repo, TARGETS_URL, version_on_disk};

const CLIENT: &str = env!("CARGO_BIN_EXE_sigil-tuf-client");

/// Writes everything the test transport serves under `dir`, keeping the URL paths.
fn write_repository(repo: &Repo, dir: &Path, urls: &[String]) {
    for url in urls {
        let relative = url.strip_prefix("https://repo.test/").unwrap();
        let path = dir.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, repo.transport.get(url).unwrap()).unwrap();
    }
}

fn run(args: &[&str]) -> (i32, String) {
    let output = Command::new(CLIENT).args(args).output().unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn init_refresh_and_download_over_file_urls() {
    let mut repo = Repo::new();
    repo.add_target("targets", "dir/app.tgz", b"genuine app");
    repo.publish_new_versions();
    let served = tempfile::tempdir().unwrap();
    let urls: Vec<String> = [
        "1.root.json",
        "timestamp.json",
        "snapshot.json",
        "targets.json",
    ]
    .iter()
    .map(|name| format!("{METADATA_URL}{name}"))
    .chain([format!("{TARGETS_URL}dir/app.tgz")])
    .collect();
    write_repository(&repo, served.path(), &urls);
    let metadata_url = format!("file://{}/metadata", served.path().display());
    let targets_url = format!("file://{}/targets", served.path().display());
    let metadata = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let root = served.path().join("metadata/1.root.json");
    let dir = metadata.path().to_str().unwrap();

    assert_eq!(
        run(&["--metadata-dir", dir, "init", root.to_str().unwrap()]).0,
        0
    );
    let (code, stderr) = run(&[
        "--metadata-url",
        &metadata_url,
        "--metadata-dir",
        dir,
        "refresh",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(version_on_disk(metadata.path(), "targets"), Some(2));

    let download = |name: &str| {
        run(&[
            "--metadata-url",
            &metadata_url,
            "--metadata-dir",
            dir,
            "--target-name",
            name,
            "--target-dir",
            downloads.path().to_str().unwrap(),
            "--target-base-url",
            &targets_url,
            "download",
        ])
    };
    let (code, stderr) = download("dir/app.tgz");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        std::fs::read(downloads.path().join("dir%2Fapp.tgz")).unwrap(),
        b"genuine app"
    );
    let (code, stderr) = download("missing.tgz");
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "sigil-tuf-client: target \"missing.tgz\" is not in the repository\n"
    );
    let (code, stderr) = download("../escape");
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "sigil-tuf-client: target path \"../escape\" has a \".\" or \"..\" segment\n"
    );
}

#[test]
fn refresh_without_a_trusted_root_fails_with_exit_code_1() {
    let metadata = tempfile::tempdir().unwrap();
    let (code, stderr) = run(&[
        "--metadata-url",
        "file:///nonexistent",
        "--metadata-dir",
        metadata.path().to_str().unwrap(),
        "refresh",
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "sigil-tuf-client: no trusted root: storage has no root.json and no initial root was given\n"
    );
}

#[test]
fn a_panic_is_an_internal_error_with_exit_2() {
    let metadata = tempfile::tempdir().unwrap();
    let output = Command::new(CLIENT)
        .env(sigil_cli::PANIC_TEST_VAR, "1")
        .args([
            "--metadata-dir",
            metadata.path().to_str().unwrap(),
            "refresh",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.starts_with("sigil-tuf-client: internal error (a bug in sigil-tuf-client "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
