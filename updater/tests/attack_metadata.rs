//! Attacks on metadata from the TUF specification's threat list (section 1.5.2): each is
//! played against a client that already trusts a repository, and each must be refused with
//! the trusted state on disk unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;

use sigil_updater::tuf::metadata::RoleKeys;
use sigil_updater::tuf::{TrustError, UpdateError};
use support::{
    DAY, METADATA_URL, NOW, Repo, Served, disk_state, expires_in, keyid, new_key, version_on_disk,
};
use tempfile::TempDir;

/// A repository at version 2 of timestamp, snapshot and targets, and a client that trusts it.
fn trusted() -> (Repo, TempDir, BTreeMap<String, Vec<u8>>) {
    let mut repo = Repo::new();
    repo.add_target("targets", "app-1.0.tgz", b"app 1.0");
    repo.publish_new_versions();
    let dir = tempfile::tempdir().unwrap();
    repo.client(dir.path()).refresh().unwrap();
    let state = disk_state(dir.path());
    assert_eq!(version_on_disk(dir.path(), "timestamp"), Some(2));
    (repo, dir, state)
}

fn refresh_error(repo: &Repo, dir: &TempDir) -> UpdateError {
    repo.client(dir.path()).refresh().unwrap_err()
}

#[test]
fn rollback_attack_with_an_older_timestamp_is_refused() {
    let (repo, dir, before) = trusted();
    // The attacker replays timestamp version 1, validly signed when it was current.
    let mut old = repo.timestamp.clone();
    old.version = 1;
    repo.transport.serve(
        &format!("{METADATA_URL}timestamp.json"),
        Served::Bytes(repo.sign("timestamp", &old)),
    );
    let error = refresh_error(&repo, &dir);
    assert!(
        matches!(
            error,
            UpdateError::Trust(TrustError::Rollback {
                trusted: 2,
                found: 1,
                ..
            })
        ),
        "{error}"
    );
    assert_eq!(disk_state(dir.path()), before);
}

#[test]
fn rollback_attack_on_a_targets_version_in_snapshot_is_refused() {
    let (mut repo, dir, before) = trusted();
    // A new snapshot (signed with the real key) that names an older targets version.
    repo.snapshot.version += 1;
    repo.snapshot.meta.get_mut("targets.json").unwrap().version = 1;
    let snapshot = repo.sign("snapshot", &repo.snapshot);
    repo.transport.serve(
        &format!("{METADATA_URL}snapshot.json"),
        Served::Bytes(snapshot.clone()),
    );
    repo.timestamp.version += 1;
    repo.timestamp.meta.insert(
        "snapshot.json".into(),
        support::meta(repo.snapshot.version, Some(&snapshot)),
    );
    let timestamp = repo.sign("timestamp", &repo.timestamp);
    repo.transport.serve(
        &format!("{METADATA_URL}timestamp.json"),
        Served::Bytes(timestamp.clone()),
    );

    let error = refresh_error(&repo, &dir);
    assert!(
        matches!(error, UpdateError::Trust(TrustError::MetaRollback { .. })),
        "{error}"
    );
    // The new timestamp is trusted (it is valid); snapshot and targets are unchanged.
    let mut after = disk_state(dir.path());
    assert_eq!(after.remove("timestamp.json").unwrap(), timestamp);
    let mut expected = before;
    expected.remove("timestamp.json");
    assert_eq!(after, expected);
}

#[test]
fn indefinite_freeze_attack_with_expired_timestamp_is_refused() {
    let (repo, dir, before) = trusted();
    // The attacker keeps serving the same metadata; two days later the timestamp has expired.
    let later = NOW.saturating_add_seconds(2 * DAY);
    let error = repo
        .client_with(dir.path(), Default::default(), later)
        .refresh()
        .unwrap_err();
    assert!(
        matches!(error, UpdateError::Trust(TrustError::Expired { ref role, .. }) if role == "timestamp"),
        "{error}"
    );
    assert_eq!(disk_state(dir.path()), before);
}

#[test]
fn indefinite_freeze_attack_with_expired_root_is_refused() {
    let (repo, dir, before) = trusted();
    let later = NOW.saturating_add_seconds(400 * DAY);
    let error = repo
        .client_with(dir.path(), Default::default(), later)
        .refresh()
        .unwrap_err();
    assert!(
        matches!(error, UpdateError::Trust(TrustError::Expired { ref role, .. }) if role == "root"),
        "{error}"
    );
    // Nothing was requested beyond the root walk.
    assert_eq!(disk_state(dir.path()), before);
}

#[test]
fn fast_forward_attack_with_a_forged_timestamp_version_is_refused() {
    let (repo, dir, before) = trusted();
    // An attacker without the timestamp key serves a far-future version.
    let mut forged = repo.timestamp.clone();
    forged.version = 1_000_000;
    let attacker = new_key();
    repo.transport.serve(
        &format!("{METADATA_URL}timestamp.json"),
        Served::Bytes(Repo::sign_with(&forged, &[&attacker])),
    );
    let error = refresh_error(&repo, &dir);
    assert!(
        matches!(error, UpdateError::Trust(TrustError::Threshold(_))),
        "{error}"
    );
    assert_eq!(disk_state(dir.path()), before);
}

#[test]
fn fast_forward_attack_is_recovered_from_by_rotating_the_timestamp_key() {
    let (mut repo, dir, _) = trusted();
    // The timestamp key was compromised and used to fast-forward the client to a far version.
    repo.timestamp.version = 1_000_000;
    repo.publish();
    repo.client(dir.path()).refresh().unwrap();
    assert_eq!(version_on_disk(dir.path(), "timestamp"), Some(1_000_000));

    // The repository rotates the timestamp key and starts again from version 1. TUF 5.3.11:
    // the client drops its timestamp and snapshot, so the new chain is accepted.
    let key = new_key();
    repo.root
        .keys
        .insert(keyid(&key), key.public_key().to_tuf_key());
    repo.root.roles.insert(
        "timestamp".into(),
        RoleKeys {
            keyids: vec![keyid(&key)],
            threshold: 1,
            extra: Default::default(),
        },
    );
    repo.root.version += 1;
    repo.publish_root();
    // Before the new timestamp is up, the client already drops the fast-forwarded files.
    let timestamp_url = format!("{METADATA_URL}timestamp.json");
    repo.transport.remove(&timestamp_url);
    assert!(repo.client(dir.path()).refresh().is_err());
    assert_eq!(version_on_disk(dir.path(), "timestamp"), None);
    assert_eq!(version_on_disk(dir.path(), "snapshot"), None);
    repo.signers.insert("timestamp".into(), vec![key]);
    repo.timestamp.version = 1;
    repo.publish();
    repo.client(dir.path()).refresh().unwrap();
    assert_eq!(version_on_disk(dir.path(), "timestamp"), Some(1));
    assert_eq!(version_on_disk(dir.path(), "root"), Some(2));
}

#[test]
fn mix_and_match_attack_with_old_targets_is_refused() {
    let (mut repo, dir, _) = trusted();
    let targets_v2 = repo
        .transport
        .get(&format!("{METADATA_URL}targets.json"))
        .unwrap();
    repo.add_target("targets", "app-2.0.tgz", b"app 2.0");
    repo.publish_new_versions();
    // The attacker serves the current timestamp and snapshot with the older, validly signed
    // targets: its hash and version do not match what snapshot names.
    repo.transport.serve(
        &format!("{METADATA_URL}targets.json"),
        Served::Bytes(targets_v2),
    );
    let before_targets = std::fs::read(dir.path().join("targets.json")).unwrap();
    let error = refresh_error(&repo, &dir);
    assert!(
        matches!(error, UpdateError::Trust(TrustError::Hash { .. })),
        "{error}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("targets.json")).unwrap(),
        before_targets
    );
}

#[test]
fn mix_and_match_attack_with_unpinned_snapshot_version_is_refused() {
    let (mut repo, dir, _) = trusted();
    // Snapshot without hashes in timestamp: the version pin is what remains.
    let snapshot_v2 = repo
        .transport
        .get(&format!("{METADATA_URL}snapshot.json"))
        .unwrap();
    repo.publish_new_versions();
    repo.timestamp
        .meta
        .insert("snapshot.json".into(), support::meta(3, None));
    repo.transport.serve(
        &format!("{METADATA_URL}timestamp.json"),
        Served::Bytes(repo.sign("timestamp", &repo.timestamp)),
    );
    repo.transport.serve(
        &format!("{METADATA_URL}snapshot.json"),
        Served::Bytes(snapshot_v2.clone()),
    );
    let error = refresh_error(&repo, &dir);
    assert!(
        matches!(
            error,
            UpdateError::Trust(TrustError::VersionMismatch {
                expected: 3,
                found: 2,
                ..
            })
        ),
        "{error}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("snapshot.json")).unwrap(),
        snapshot_v2
    );
}

#[test]
fn key_compromise_below_root_threshold_cannot_rotate_root() {
    let mut repo = Repo::new();
    // Root needs two of two keys.
    let second = new_key();
    repo.root
        .keys
        .insert(keyid(&second), second.public_key().to_tuf_key());
    let root_keys = repo.root.roles.get_mut("root").unwrap();
    root_keys.keyids.push(keyid(&second));
    root_keys.threshold = 2;
    repo.root.version = 2;
    repo.signers.get_mut("root").unwrap().push(second);
    repo.publish_root();
    let dir = tempfile::tempdir().unwrap();
    repo.client(dir.path()).refresh().unwrap();
    let before = disk_state(dir.path());

    // The attacker holds one root key and writes a root that trusts only the attacker.
    let attacker = new_key();
    let mut evil = repo.root.clone();
    evil.version = 3;
    evil.keys
        .insert(keyid(&attacker), attacker.public_key().to_tuf_key());
    for role in evil.roles.values_mut() {
        role.keyids = vec![keyid(&attacker)];
        role.threshold = 1;
    }
    let stolen = &repo.signers["root"][0];
    let bytes = Repo::sign_with(&evil, &[stolen, &attacker]);
    repo.transport
        .serve(&format!("{METADATA_URL}3.root.json"), Served::Bytes(bytes));
    let error = refresh_error(&repo, &dir);
    assert!(
        matches!(error, UpdateError::Trust(TrustError::Threshold(ref t)) if t.threshold == 2 && t.valid == 1),
        "{error}"
    );
    assert_eq!(disk_state(dir.path()), before);
}

#[test]
fn key_compromise_below_targets_threshold_cannot_add_targets() {
    let mut repo = Repo::new();
    let second = new_key();
    repo.root
        .keys
        .insert(keyid(&second), second.public_key().to_tuf_key());
    let targets_keys = repo.root.roles.get_mut("targets").unwrap();
    targets_keys.keyids.push(keyid(&second));
    targets_keys.threshold = 2;
    repo.root.version = 2;
    repo.publish_root();
    repo.signers.get_mut("targets").unwrap().push(second);
    repo.publish_new_versions();
    let dir = tempfile::tempdir().unwrap();
    repo.client(dir.path()).refresh().unwrap();
    let before_targets = std::fs::read(dir.path().join("targets.json")).unwrap();

    // One targets key alone signs a targets file with a new target;
    // snapshot and timestamp keys are not compromised, so they list it faithfully.
    repo.signers.get_mut("targets").unwrap().pop();
    repo.add_target("targets", "backdoor.tgz", b"evil");
    repo.publish_new_versions();
    let error = refresh_error(&repo, &dir);
    assert!(
        matches!(error, UpdateError::Trust(TrustError::Threshold(_))),
        "{error}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("targets.json")).unwrap(),
        before_targets
    );
}

#[test]
fn malicious_mirror_signing_with_its_own_keys_is_refused() {
    let (repo, dir, before) = trusted();
    // A mirror re-signs every role with its own key, hoping to serve metadata of its choosing.
    let mirror = new_key();
    let mut timestamp = repo.timestamp.clone();
    timestamp.version += 1;
    timestamp.expires = expires_in(30);
    repo.transport.serve(
        &format!("{METADATA_URL}timestamp.json"),
        Served::Bytes(Repo::sign_with(&timestamp, &[&mirror])),
    );
    let mut root = repo.root.clone();
    root.version = 2;
    repo.transport.serve(
        &format!("{METADATA_URL}2.root.json"),
        Served::Bytes(Repo::sign_with(&root, &[&mirror])),
    );
    let error = refresh_error(&repo, &dir);
    assert!(
        matches!(error, UpdateError::Trust(TrustError::Threshold(_))),
        "{error}"
    );
    assert_eq!(disk_state(dir.path()), before);
}

#[test]
fn malicious_mirror_serving_endless_roots_is_bounded() {
    let mut repo = Repo::new();
    let dir = tempfile::tempdir().unwrap();
    repo.client(dir.path()).refresh().unwrap();
    // A mirror that holds the root key cannot keep the client walking roots for ever.
    for _ in 0..40 {
        repo.root.version += 1;
        repo.publish_root();
    }
    let mut client = repo.client(dir.path());
    client.refresh().unwrap();
    let roots_fetched = repo
        .transport
        .requests()
        .iter()
        .filter(|url| url.ends_with(".root.json"))
        .count();
    // One walk at version 1 found nothing new (1 request), the second walked 32 versions.
    assert_eq!(roots_fetched, 1 + 32);
    assert_eq!(version_on_disk(dir.path(), "root"), Some(33));
}
