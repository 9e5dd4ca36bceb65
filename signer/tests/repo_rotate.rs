//! `sigil-signer repo rotate`: key rotations that an installed client follows, and rotations
//! that must not be published until the previous root's keys have signed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod repo;

use repo::{Workspace, client, download, ok, role_keyids, run, sigil, snapshot_tree};
use sigil_signer::repo::Repository;
use sigil_updater::tuf::metadata::RoleType;

fn key_file(dir: &std::path::Path, role: &str, keyid: &sigil_keys::KeyId) -> std::path::PathBuf {
    dir.join(format!("{role}-{}.pem", &keyid.as_str()[..16]))
}

#[test]
fn a_rotated_timestamp_key_is_followed_by_an_installed_client() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    ws.add(&repo, &ws.write("app.tar.gz", b"before rotation"), &[]);
    let site = ws.path("site");
    assert_eq!(ws.publish(&repo, &site).0, 0);
    let storage = ws.path("client");
    let mut installed = client(&site, &storage).unwrap();
    download(&mut installed, &site, "app.tar.gz", &ws.path("dl")).unwrap();

    let old = role_keyids(&repo, RoleType::Timestamp).remove(0);
    let stdout = ok(sigil()
        .args([
            "repo",
            "rotate",
            "timestamp",
            "--generate",
            "--unencrypted",
            "--dir",
        ])
        .arg(&repo)
        .args(["--revoke", old.as_str()]));
    let repository = Repository::open(&repo).unwrap();
    let root = repository.root().signed();
    assert_eq!(root.version, 2);
    let new = &root.roles["timestamp"].keyids;
    assert_eq!(new.len(), 1);
    assert_ne!(new[0], old);
    assert!(
        !root.keys.contains_key(&old),
        "the revoked key leaves the key list"
    );
    assert!(stdout.starts_with(&format!(
        "generated timestamp key {}: {}\nrevoked timestamp key {old}\nroot version 2: timestamp keys {} (threshold 1)\nroot      version 2,",
        new[0],
        key_file(&repo.join("keys"), "timestamp", &new[0]).display(),
        new[0]
    )), "{stdout}");
    assert!(
        repository
            .status(sigil_updater::tuf::Clock::now(
                &sigil_updater::tuf::SystemClock
            ))
            .is_publishable()
    );

    // The revoked key can no longer sign timestamp.
    let (code, _, stderr) = run(sigil()
        .args(["repo", "sign", "timestamp", "--dir"])
        .arg(&repo)
        .arg("--key")
        .arg(key_file(&repo.join("keys"), "timestamp", &old)));
    assert_eq!(code, 1, "{stderr}");

    let (code, _, stderr) = ws.publish(&repo, &site);
    assert_eq!(code, 0, "{stderr}");
    assert!(site.join("metadata/2.root.json").is_file());
    let mut installed = client(&site, &storage).unwrap();
    download(&mut installed, &site, "app.tar.gz", &ws.path("dl")).unwrap();
    assert_eq!(installed.trusted().root().signed().version, 2);
    assert_eq!(
        installed.trusted().timestamp().unwrap().signed().version,
        repository.timestamp().signed().version
    );
}

#[test]
fn a_new_root_is_not_published_until_the_previous_root_key_signs_it() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    ws.add(&repo, &ws.write("app.tar.gz", b"payload"), &[]);
    let site = ws.path("site");
    assert_eq!(ws.publish(&repo, &site).0, 0);
    let storage = ws.path("client");
    client(&site, &storage).unwrap().refresh().unwrap();

    // The root key lives offline.
    let old_root = role_keyids(&repo, RoleType::Root).remove(0);
    let offline = ws.path("offline");
    std::fs::create_dir_all(&offline).unwrap();
    let offline_key = key_file(&offline, "root", &old_root);
    std::fs::rename(
        key_file(&repo.join("keys"), "root", &old_root),
        &offline_key,
    )
    .unwrap();

    ok(sigil()
        .args([
            "repo",
            "rotate",
            "root",
            "--generate",
            "--unencrypted",
            "--dir",
        ])
        .arg(&repo)
        .args(["--revoke", old_root.as_str()]));
    let (code, stdout, _) = run(sigil().args(["repo", "status", "--dir"]).arg(&repo));
    assert_eq!(code, 1);
    assert!(
        stdout.ends_with(
            "not ready to publish:\n  root: version 2 has 0 valid signature(s) from the previous root's keys, threshold is 1\n"
        ),
        "{stdout}"
    );
    let before = snapshot_tree(&site);
    assert_eq!(ws.publish(&repo, &site).0, 1);
    assert_eq!(snapshot_tree(&site), before);

    // The revoked key is still a key of the previous root, so it may sign the new one.
    ok(sigil()
        .args(["repo", "sign", "root", "--dir"])
        .arg(&repo)
        .arg("--key")
        .arg(&offline_key));
    let (code, _, stderr) = ws.publish(&repo, &site);
    assert_eq!(code, 0, "{stderr}");
    let mut installed = client(&site, &storage).unwrap();
    download(&mut installed, &site, "app.tar.gz", &ws.path("dl")).unwrap();
    let trusted = installed.trusted().root().signed();
    assert_eq!(trusted.version, 2);
    assert_eq!(
        trusted.roles["root"].keyids,
        role_keyids(&repo, RoleType::Root)
    );

    // The next rotation needs only the new root key, which is in the key directory.
    ok(sigil()
        .args([
            "repo",
            "rotate",
            "targets",
            "--generate",
            "--unencrypted",
            "--dir",
        ])
        .arg(&repo));
    assert_eq!(role_keyids(&repo, RoleType::Targets).len(), 2);
    let (code, _, stderr) = ws.publish(&repo, &site);
    assert_eq!(code, 0, "{stderr}");
    let mut installed = client(&site, &storage).unwrap();
    installed.refresh().unwrap();
    assert_eq!(installed.trusted().root().signed().version, 3);
}

#[test]
fn a_threshold_that_the_keys_cannot_meet_is_refused() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    let before = snapshot_tree(&repo);
    let (code, stdout, stderr) = run(sigil()
        .args(["repo", "rotate", "targets", "--threshold", "2", "--dir"])
        .arg(&repo));
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        "error: targets: a threshold of 2 cannot be met by 1 key(s)\n"
    );
    let (code, _, stderr) = run(sigil()
        .args(["repo", "rotate", "targets", "--dir"])
        .arg(&repo));
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: nothing to rotate: give --generate, --add-key, --revoke or --threshold\n"
    );
    assert_eq!(snapshot_tree(&repo), before);
}

#[test]
fn init_and_rotate_record_the_keys_in_the_custody_log() {
    use sigil_custody::{Log, LogOptions, Predicate};

    let ws = Workspace::new();
    let log_dir = ws.path("log");
    let repo = ws.init(&["--log", log_dir.to_str().unwrap()]);
    let mut expected_roles = Vec::new();
    for role in [
        RoleType::Root,
        RoleType::Targets,
        RoleType::Snapshot,
        RoleType::Timestamp,
    ] {
        expected_roles.push((role.as_str().to_owned(), role_keyids(&repo, role).remove(0)));
    }
    let old = role_keyids(&repo, RoleType::Snapshot).remove(0);
    let stdout = ok(sigil()
        .args([
            "repo",
            "rotate",
            "snapshot",
            "--generate",
            "--unencrypted",
            "--dir",
        ])
        .arg(&repo)
        .args(["--revoke", old.as_str(), "--reason", "key holder left"])
        .arg("--log")
        .arg(&log_dir));
    let new = role_keyids(&repo, RoleType::Snapshot).remove(0);
    assert!(
        stdout.contains(&format!("logged snapshot key {new} as entry 4\n")),
        "{stdout}"
    );

    let log = Log::open_read_only(&log_dir, LogOptions::new()).unwrap();
    assert_eq!(log.size(), 5);
    for (index, (role, keyid)) in expected_roles.iter().enumerate() {
        let Predicate::KeyGenerated(generated) =
            log.entry(index as u64).unwrap().predicate().unwrap()
        else {
            panic!("entry {index} is not a key generation");
        };
        assert_eq!((&generated.purpose, &generated.key_id), (role, keyid));
    }
    let Predicate::KeyRotated(rotated) = log.entry(4).unwrap().predicate().unwrap() else {
        panic!("entry 4 is not a key rotation");
    };
    assert_eq!(rotated.old_key_id, old);
    assert_eq!(rotated.new_key_id, new);
    assert_eq!(rotated.purpose, "snapshot");
    assert_eq!(rotated.reason, "key holder left");
}
