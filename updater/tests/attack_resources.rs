//! Endless data and slow retrieval attacks (TUF 1.5.2): every download is bounded in size and
//! in time, and a refused download leaves the trusted state on disk unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use sigil_updater::tuf::{Limits, TargetDownload, TargetPath, TransportError, UpdateError};
use support::{METADATA_URL, NOW, Repo, Served, TARGETS_URL, disk_state};

fn trusted() -> (Repo, tempfile::TempDir) {
    let mut repo = Repo::new();
    repo.add_target("targets", "app.tgz", b"genuine app");
    repo.publish_new_versions();
    let dir = tempfile::tempdir().unwrap();
    repo.client(dir.path()).refresh().unwrap();
    (repo, dir)
}

#[test]
fn endless_data_attack_on_timestamp_is_cut_at_the_limit() {
    let (repo, dir) = trusted();
    let before = disk_state(dir.path());
    repo.transport
        .serve(&format!("{METADATA_URL}timestamp.json"), Served::Endless);
    let error = repo.client(dir.path()).refresh().unwrap_err();
    assert!(
        matches!(
            error,
            UpdateError::Transport(TransportError::TooLarge { limit: 16_384, .. })
        ),
        "{error}"
    );
    assert_eq!(disk_state(dir.path()), before);
}

#[test]
fn endless_data_attack_on_root_is_cut_at_the_limit() {
    let (repo, dir) = trusted();
    let before = disk_state(dir.path());
    repo.transport
        .serve(&format!("{METADATA_URL}2.root.json"), Served::Endless);
    let error = repo.client(dir.path()).refresh().unwrap_err();
    assert!(
        matches!(
            error,
            UpdateError::Transport(TransportError::TooLarge { limit: 524_288, .. })
        ),
        "{error}"
    );
    assert_eq!(disk_state(dir.path()), before);
}

#[test]
fn endless_data_attack_on_a_target_stops_at_its_length() {
    let (repo, dir) = trusted();
    repo.transport
        .serve(&format!("{TARGETS_URL}app.tgz"), Served::Endless);
    let downloads = tempfile::tempdir().unwrap();
    let mut client = repo.client(dir.path());
    let info = client
        .target_info(&TargetPath::parse("app.tgz").unwrap())
        .unwrap()
        .unwrap();
    let error = client
        .download_target(&info, TARGETS_URL, downloads.path())
        .unwrap_err();
    assert!(matches!(error, UpdateError::TargetHash { .. }), "{error}");
    assert!(disk_state(downloads.path()).is_empty());
}

#[test]
fn endless_data_attack_with_a_huge_target_length_is_refused_before_download() {
    let mut repo = Repo::new();
    repo.add_target("targets", "huge.bin", b"x");
    repo.targets.targets.get_mut("huge.bin").unwrap().length = u64::MAX;
    repo.publish_new_versions();
    let dir = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let mut client = repo.client(dir.path());
    let info = client
        .target_info(&TargetPath::parse("huge.bin").unwrap())
        .unwrap()
        .unwrap();
    let error = client
        .download_target(&info, TARGETS_URL, downloads.path())
        .unwrap_err();
    assert!(
        matches!(error, UpdateError::TargetTooLarge { .. }),
        "{error}"
    );
    assert!(
        !repo
            .transport
            .requests()
            .contains(&format!("{TARGETS_URL}huge.bin"))
    );
}

fn impatient() -> Limits {
    let mut limits = Limits::default();
    limits.min_bytes_per_second = 1_000;
    limits.throughput_grace = Duration::from_millis(200);
    limits
}

#[test]
fn slow_retrieval_attack_on_timestamp_is_abandoned() {
    let (repo, dir) = trusted();
    let before = disk_state(dir.path());
    let genuine = repo
        .transport
        .get(&format!("{METADATA_URL}timestamp.json"))
        .unwrap();
    repo.transport.serve(
        &format!("{METADATA_URL}timestamp.json"),
        Served::Trickle(genuine, Duration::from_millis(20)),
    );
    let error = repo
        .client_with(dir.path(), impatient(), NOW)
        .refresh()
        .unwrap_err();
    assert!(
        matches!(
            error,
            UpdateError::Transport(TransportError::TooSlow { .. })
        ),
        "{error}"
    );
    assert_eq!(disk_state(dir.path()), before);
}

#[test]
fn slow_retrieval_attack_on_a_target_is_abandoned() {
    let (repo, dir) = trusted();
    repo.transport.serve(
        &format!("{TARGETS_URL}app.tgz"),
        Served::Trickle(b"genuine app".to_vec(), Duration::from_millis(50)),
    );
    let downloads = tempfile::tempdir().unwrap();
    let mut client = repo.client_with(dir.path(), impatient(), NOW);
    let info = client
        .target_info(&TargetPath::parse("app.tgz").unwrap())
        .unwrap()
        .unwrap();
    let error = client
        .download_target(&info, TARGETS_URL, downloads.path())
        .unwrap_err();
    assert!(
        matches!(
            error,
            UpdateError::Transport(TransportError::TooSlow { .. })
        ),
        "{error}"
    );
    assert!(disk_state(downloads.path()).is_empty());
}

#[test]
fn endless_data_attack_through_a_chain_of_delegations_stops_at_the_visit_limit() {
    let mut repo = Repo::new();
    // Forty roles, each delegating everything to the next; none lists the target.
    let mut delegator = "targets".to_owned();
    for index in 0..40 {
        let name = format!("role-{index}");
        repo.delegate(&delegator, &name, &["*"], false);
        delegator = name;
    }
    repo.publish_new_versions();
    let dir = tempfile::tempdir().unwrap();
    let mut client = repo.client(dir.path());
    let error = client
        .target_info(&TargetPath::parse("app.tgz").unwrap())
        .unwrap_err();
    assert!(
        matches!(error, UpdateError::DelegationLimit { limit: 32, .. }),
        "{error}"
    );
    let delegated_fetches = repo
        .transport
        .requests()
        .iter()
        .filter(|url| url.contains("/role-"))
        .count();
    assert_eq!(delegated_fetches, 32);
}
