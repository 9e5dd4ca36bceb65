//! The repository editor through its library API, with a fixed clock: expiry, refresh, and
//! publications that the client refuses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod repo;

use std::path::Path;

use repo::snapshot_tree;
use sigil_keys::{PasswordSource, PrivateKey, Scheme, Signer};
use sigil_signer::repo::init::InitRequest;
use sigil_signer::repo::keyring::KeyRing;
use sigil_signer::repo::policy::ExpiryPolicy;
use sigil_signer::repo::publish::PublishError;
use sigil_signer::repo::refresh::RefreshReport;
use sigil_signer::repo::status::Problem;
use sigil_signer::repo::targets::{AddRequest, ReleaseInfo};
use sigil_signer::repo::{RepoError, Repository};
use sigil_updater::tuf::metadata::{RoleType, sign_metadata};
use sigil_updater::tuf::{Expires, FixedClock, UnixTime};

const T0: i64 = 1_900_000_000;
const DAY: i64 = 86_400;

fn at(seconds: i64) -> FixedClock {
    FixedClock(instant(seconds))
}

fn instant(seconds: i64) -> UnixTime {
    UnixTime::from_unix_seconds(seconds).unwrap()
}

fn init(dir: &Path) -> (Repository, KeyRing) {
    let repo = dir.join("repo");
    let keys = dir.join("keys");
    let created = InitRequest::new(&repo, &keys, None)
        .expiry(ExpiryPolicy::parse("timestamp=1d,snapshot=7d").unwrap())
        .create(&at(T0))
        .unwrap();
    let ring = KeyRing::new(&keys, PasswordSource::Env("UNUSED".into()));
    (created.repository, ring)
}

fn add(repository: &mut Repository, ring: &KeyRing, dir: &Path, name: &str, now: i64) {
    let file = dir.join(name);
    std::fs::write(&file, name.as_bytes()).unwrap();
    AddRequest::new(
        vec![file],
        ReleaseInfo::new("1.0.0", "stable", "linux", "x86_64"),
    )
    .apply(repository, ring, &at(now))
    .unwrap();
}

#[test]
fn an_expired_timestamp_blocks_publishing_until_refresh_re_signs_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut repository, ring) = init(dir.path());
    let site = dir.path().join("site");
    let later = T0 + 2 * DAY;

    let status = repository.status(instant(later));
    assert_eq!(
        status.problems,
        vec![Problem::Expired {
            role: RoleType::Timestamp,
            expires: Expires::from_unix(instant(T0 + DAY)),
        }]
    );
    let error = repository.publish(&site, &at(later)).unwrap_err();
    assert!(
        matches!(&error, PublishError::Blocked { problems } if problems == &status.problems),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "the working copy cannot be published: timestamp: expired at 2030-03-18T17:46:40Z (re-sign it with `repo refresh`)"
    );
    assert!(!site.join("metadata/timestamp.json").exists());

    // Snapshot has five of its seven days left: only timestamp is due.
    let report = repository.refresh(&ring, &at(later)).unwrap();
    assert_eq!(
        report,
        RefreshReport {
            snapshot: None,
            timestamp: Some(2)
        }
    );
    assert!(repository.status(instant(later)).is_publishable());
    repository.publish(&site, &at(later)).unwrap();

    // Five days on, snapshot has under half its life left: both are re-signed.
    let report = repository.refresh(&ring, &at(later + 5 * DAY)).unwrap();
    assert_eq!(
        report,
        RefreshReport {
            snapshot: Some(2),
            timestamp: Some(3)
        }
    );
    // And straight after, nothing is due.
    let before = snapshot_tree(repository.dir());
    let report = repository.refresh(&ring, &at(later + 5 * DAY)).unwrap();
    assert_eq!(report, RefreshReport::default());
    assert_eq!(snapshot_tree(repository.dir()), before);
}

#[test]
fn refresh_without_the_timestamp_key_refuses_to_write_unsigned_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let (mut repository, _) = init(dir.path());
    let before = snapshot_tree(repository.dir());
    let error = repository
        .refresh(&KeyRing::empty(), &at(T0 + 2 * DAY))
        .unwrap_err();
    assert!(
        matches!(
            error,
            RepoError::NoSigningKey {
                role: RoleType::Timestamp,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(snapshot_tree(repository.dir()), before);
}

#[test]
fn an_expired_root_is_named_by_status() {
    let dir = tempfile::tempdir().unwrap();
    let (repository, _) = init(dir.path());
    let problems = repository.status(instant(T0 + 400 * DAY)).problems;
    let roles: Vec<RoleType> = problems.iter().map(Problem::role).collect();
    assert_eq!(
        roles,
        vec![
            RoleType::Root,
            RoleType::Targets,
            RoleType::Snapshot,
            RoleType::Timestamp
        ]
    );
    assert!(
        problems
            .iter()
            .all(|p| matches!(p, Problem::Expired { .. }))
    );
}

#[test]
fn signing_snapshot_again_leaves_timestamp_stale_until_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    // ECDSA signatures differ each time, so signing again changes the snapshot's bytes.
    let mut repository = InitRequest::new(&dir.path().join("repo"), &keys, None)
        .scheme(Scheme::EcdsaP256Sha256)
        .create(&at(T0))
        .unwrap()
        .repository;
    let ring = KeyRing::new(&keys, PasswordSource::Env("UNUSED".into()));
    let keyids = repository
        .role_keys(RoleType::Snapshot)
        .unwrap()
        .keyids
        .clone();
    let signer = ring.signers_for(&keyids).unwrap().remove(0);
    repository
        .add_signature(RoleType::Snapshot, &signer)
        .unwrap();
    assert_eq!(repository.snapshot().envelope().signatures().len(), 1);
    assert_eq!(
        repository.status(instant(T0)).problems,
        vec![Problem::TimestampStale]
    );
    let report = repository.refresh(&ring, &at(T0)).unwrap();
    assert_eq!(
        report,
        RefreshReport {
            snapshot: None,
            timestamp: Some(2)
        }
    );
    assert!(repository.status(instant(T0)).is_publishable());
}

#[test]
fn a_key_outside_the_role_cannot_sign_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut repository, _) = init(dir.path());
    let before = snapshot_tree(repository.dir());
    let other = PrivateKey::generate(Scheme::Ed25519).unwrap();
    let error = repository
        .add_signature(RoleType::Root, &other)
        .unwrap_err();
    assert!(
        matches!(&error, RepoError::NotARoleKey { role: RoleType::Root, keyid, .. } if *keyid == Signer::key_id(&other)),
        "{error}"
    );
    assert!(error.is_rejection());
    assert_eq!(snapshot_tree(repository.dir()), before);
}

#[test]
fn a_next_root_planted_in_the_site_fails_the_client_check_and_the_site_is_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (mut repository, ring) = init(dir.path());
    add(&mut repository, &ring, dir.path(), "one.tar.gz", T0);
    let site = dir.path().join("site");
    repository.publish(&site, &at(T0)).unwrap();
    add(&mut repository, &ring, dir.path(), "two.tar.gz", T0);

    // Someone with write access to the bucket plants a root version 2 signed by their key.
    let attacker = PrivateKey::generate(Scheme::Ed25519).unwrap();
    let mut root = repository.root().signed().clone();
    root.version = 2;
    for keys in root.roles.values_mut() {
        keys.keyids = vec![Signer::key_id(&attacker)];
    }
    root.keys.insert(
        Signer::key_id(&attacker),
        attacker.public_key().to_tuf_key(),
    );
    let planted = sign_metadata(&root, &[&attacker]).unwrap();
    std::fs::write(site.join("metadata/2.root.json"), planted).unwrap();
    let before = snapshot_tree(&site);

    let error = repository.publish(&site, &at(T0)).unwrap_err();
    assert!(matches!(error, PublishError::Verify(_)), "{error}");
    assert!(error.is_rejection());
    assert_eq!(snapshot_tree(&site), before);
}

#[test]
fn a_root_rotation_refused_by_the_client_is_taken_back_off_the_site() {
    use sigil_signer::repo::rotate::RotateRequest;

    let dir = tempfile::tempdir().unwrap();
    let (mut repository, ring) = init(dir.path());
    let site = dir.path().join("site");
    repository.publish(&site, &at(T0)).unwrap();
    // Root version 2 adds a key; timestamp does not change, so 2.root.json is reachable as soon
    // as it is written.
    RotateRequest::new(RoleType::Root)
        .generate(&dir.path().join("keys"), Scheme::Ed25519, None)
        .apply(&mut repository, &ring, &at(T0))
        .unwrap();
    assert!(repository.status(instant(T0)).is_publishable());
    // A root version 3 planted on the site: clients walking from version 2 refuse it.
    let attacker = PrivateKey::generate(Scheme::Ed25519).unwrap();
    let mut root = repository.root().signed().clone();
    root.version = 3;
    let planted = sign_metadata(&root, &[&attacker]).unwrap();
    std::fs::write(site.join("metadata/3.root.json"), planted).unwrap();
    let before = snapshot_tree(&site);

    let error = repository.publish(&site, &at(T0)).unwrap_err();
    assert!(matches!(error, PublishError::Verify(_)), "{error}");
    assert_eq!(snapshot_tree(&site), before, "2.root.json was taken back");

    std::fs::remove_file(site.join("metadata/3.root.json")).unwrap();
    let published = repository.publish(&site, &at(T0)).unwrap();
    assert_eq!(
        published.written,
        vec![std::path::PathBuf::from("metadata/2.root.json")]
    );
}

#[test]
fn an_expiry_past_year_9999_is_written_as_the_last_second_the_format_can_hold() {
    // Four million days (some 11,000 years) from 2030 is past the four-digit years of `expires`:
    // the root is written to expire at 9999-12-31T23:59:59Z, which every client reads, not
    // as a five-digit year that none does.
    let dir = tempfile::tempdir().unwrap();
    let created = InitRequest::new(&dir.path().join("repo"), &dir.path().join("keys"), None)
        .expiry(ExpiryPolicy::parse("root=4000000d").unwrap())
        .create(&at(T0))
        .unwrap();
    let repository = created.repository;
    let expires = &repository.root().signed().expires;
    assert_eq!(expires.to_string(), "9999-12-31T23:59:59Z");
    assert_eq!(
        Expires::parse(&expires.to_string()).unwrap(),
        expires.clone()
    );
    assert!(repository.status(instant(T0)).is_publishable());
}
