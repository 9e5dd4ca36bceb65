//! Attacks on target files from the TUF specification's threat list (section 1.5.2): each must
//! be refused, nothing written to the download directory, and the trusted metadata unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sigil_updater::tuf::{TargetDownload, TargetPath, TrustError, UpdateError};
use support::{METADATA_URL, Repo, Served, TARGETS_URL, disk_state, new_key};

fn path(text: &str) -> TargetPath {
    TargetPath::parse(text).unwrap()
}

#[test]
fn arbitrary_installation_of_a_substituted_target_is_refused() {
    let mut repo = Repo::new();
    repo.add_target("targets", "app-1.0.tgz", b"genuine app");
    repo.publish_new_versions();
    // The attacker replaces the file on the server with one of the same length.
    repo.transport.serve(
        &format!("{TARGETS_URL}app-1.0.tgz"),
        Served::Bytes(b"evil app!!!".to_vec()),
    );
    let metadata = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let mut client = repo.client(metadata.path());
    let info = client.target_info(&path("app-1.0.tgz")).unwrap().unwrap();
    let before = disk_state(metadata.path());
    let error = client
        .download_target(&info, TARGETS_URL, downloads.path())
        .unwrap_err();
    assert!(matches!(error, UpdateError::TargetHash { .. }), "{error}");
    assert!(disk_state(downloads.path()).is_empty());
    assert_eq!(disk_state(metadata.path()), before);
}

#[test]
fn arbitrary_installation_through_unsigned_targets_metadata_is_refused() {
    let mut repo = Repo::new();
    repo.publish_new_versions();
    let metadata = tempfile::tempdir().unwrap();
    repo.client(metadata.path()).refresh().unwrap();
    let before = disk_state(metadata.path());

    // The attacker edits targets.json to list a target, keeping the old signature.
    let url = format!("{METADATA_URL}targets.json");
    let mut value: serde_json::Value =
        serde_json::from_slice(&repo.transport.get(&url).unwrap()).unwrap();
    value["signed"]["targets"]["evil.tgz"] =
        serde_json::json!({"length": 4, "hashes": {"sha256": "00"}});
    repo.transport
        .serve(&url, Served::Bytes(serde_json::to_vec(&value).unwrap()));
    // Same versions: the persisted targets is still the one snapshot names, so the edited
    // file is not even fetched.
    repo.client(metadata.path()).refresh().unwrap();
    assert_eq!(disk_state(metadata.path()), before);
    // A new snapshot that would make the client fetch it needs the snapshot key: the attacker
    // holds only the timestamp key and signs snapshot with a key root does not trust.
    let attacker = new_key();
    let mut snapshot = repo.snapshot.clone();
    snapshot.version += 1;
    repo.transport.serve(
        &format!("{METADATA_URL}snapshot.json"),
        Served::Bytes(Repo::sign_with(&snapshot, &[&attacker])),
    );
    let mut timestamp = repo.timestamp.clone();
    timestamp.version += 1;
    timestamp.meta.insert(
        "snapshot.json".into(),
        support::meta(snapshot.version, None),
    );
    repo.transport.serve(
        &format!("{METADATA_URL}timestamp.json"),
        Served::Bytes(repo.sign("timestamp", &timestamp)),
    );
    let error = repo.client(metadata.path()).refresh().unwrap_err();
    assert!(
        matches!(error, UpdateError::Trust(TrustError::Threshold(_))),
        "{error}"
    );
    let mut after = disk_state(metadata.path());
    after.remove("timestamp.json");
    let mut expected = before;
    expected.remove("timestamp.json");
    assert_eq!(after, expected);
}

#[test]
fn wrong_software_installation_of_another_genuine_target_is_refused() {
    let mut repo = Repo::new();
    repo.add_target("targets", "app-macos.tgz", b"app for macOS");
    repo.add_target("targets", "app-linux.tgz", b"app for Linux");
    repo.publish_new_versions();
    // The server answers the Linux request with the (genuine, signed) macOS build.
    repo.transport.serve(
        &format!("{TARGETS_URL}app-linux.tgz"),
        Served::Bytes(b"app for macOS".to_vec()),
    );
    let metadata = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let mut client = repo.client(metadata.path());
    let info = client.target_info(&path("app-linux.tgz")).unwrap().unwrap();
    let before = disk_state(metadata.path());
    let error = client
        .download_target(&info, TARGETS_URL, downloads.path())
        .unwrap_err();
    assert!(matches!(error, UpdateError::TargetHash { .. }), "{error}");
    assert!(disk_state(downloads.path()).is_empty());
    assert_eq!(disk_state(metadata.path()), before);
}

#[test]
fn wrong_software_installation_by_a_role_outside_its_paths_is_refused() {
    let mut repo = Repo::new();
    repo.add_target("targets", "app.tgz", b"genuine app");
    repo.delegate("targets", "plugins", &["plugins/*"], false);
    // The plugins role's key signs an entry for a path it is not trusted for.
    repo.add_target("plugins", "plugins/a.tgz", b"plugin");
    repo.add_target("plugins", "tools/updater.tgz", b"evil updater");
    repo.publish_new_versions();
    let metadata = tempfile::tempdir().unwrap();
    let mut client = repo.client(metadata.path());
    assert!(
        client
            .target_info(&path("plugins/a.tgz"))
            .unwrap()
            .is_some()
    );
    let before = disk_state(metadata.path());
    assert_eq!(
        client.target_info(&path("tools/updater.tgz")).unwrap(),
        None
    );
    assert_eq!(disk_state(metadata.path()), before);
    // `*` does not cross a `/`.
    repo.add_target("plugins", "plugins/deep/b.tgz", b"deep");
    repo.publish_new_versions();
    let mut client = repo.client(metadata.path());
    assert_eq!(
        client.target_info(&path("plugins/deep/b.tgz")).unwrap(),
        None
    );
}

#[test]
fn extraneous_dependencies_from_a_later_role_are_cut_off_by_a_terminating_delegation() {
    let mut repo = Repo::new();
    // "core" is terminating for lib/*: "community", listed after it, must not be consulted.
    repo.delegate("targets", "core", &["lib/*"], true);
    repo.delegate("targets", "community", &["lib/*", "extras/*"], false);
    repo.add_target("core", "lib/base.tgz", b"base");
    repo.add_target(
        "community",
        "lib/extra-dependency.tgz",
        b"malicious dependency",
    );
    repo.add_target("community", "extras/theme.tgz", b"theme");
    repo.publish_new_versions();
    let metadata = tempfile::tempdir().unwrap();
    let mut client = repo.client(metadata.path());
    assert_eq!(
        client
            .target_info(&path("lib/base.tgz"))
            .unwrap()
            .unwrap()
            .role,
        "core"
    );
    let before = disk_state(metadata.path());
    assert_eq!(
        client
            .target_info(&path("lib/extra-dependency.tgz"))
            .unwrap(),
        None
    );
    // Nothing was trusted for the refused lookup: community.json was not even fetched.
    assert_eq!(disk_state(metadata.path()), before);
    assert_eq!(
        client
            .target_info(&path("extras/theme.tgz"))
            .unwrap()
            .unwrap()
            .role,
        "community"
    );
    // The community role was never fetched for the lib/ search.
    let fetched: Vec<String> = repo.transport.requests();
    let community_fetches = fetched
        .iter()
        .filter(|url| url.ends_with("community.json"))
        .count();
    assert_eq!(community_fetches, 1);
}

#[test]
fn extraneous_dependencies_through_a_role_reached_by_another_delegator_are_refused() {
    let mut repo = Repo::new();
    // Two delegators name the same role "release" with different keys; its metadata is
    // signed only with the key parent-a gave it.
    repo.delegate("targets", "parent-a", &["team-a/*"], false);
    repo.delegate("targets", "parent-b", &["team-b/*"], false);
    repo.delegate("parent-a", "release", &["team-a/*"], false);
    let key_a = repo.signers.remove("release").unwrap();
    repo.delegate("parent-b", "release", &["team-b/*"], false);
    repo.signers.insert("release".into(), key_a);
    repo.add_target("release", "team-a/app.tgz", b"trusted through a");
    repo.add_target("release", "team-b/app.tgz", b"not trusted through b");
    repo.publish_new_versions();
    let metadata = tempfile::tempdir().unwrap();
    let mut client = repo.client(metadata.path());
    assert!(
        client
            .target_info(&path("team-a/app.tgz"))
            .unwrap()
            .is_some()
    );
    let mut before = disk_state(metadata.path());
    let error = client.target_info(&path("team-b/app.tgz")).unwrap_err();
    assert!(
        matches!(error, UpdateError::Trust(TrustError::Threshold(_))),
        "{error}"
    );
    // The only new trusted file is parent-b's own (genuine) metadata; release.json is as the
    // first, valid, path left it.
    let mut after = disk_state(metadata.path());
    assert!(after.remove("parent-b.json").is_some());
    before.remove("parent-b.json");
    assert_eq!(after, before);
}

#[test]
fn a_target_already_downloaded_is_not_fetched_again() {
    let mut repo = Repo::new();
    repo.add_target("targets", "dir/app.tgz", b"genuine app");
    repo.publish_new_versions();
    let metadata = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let mut client = repo.client(metadata.path());
    let info = client.target_info(&path("dir/app.tgz")).unwrap().unwrap();
    let first = client
        .download_target(&info, TARGETS_URL, downloads.path())
        .unwrap();
    assert_eq!(std::fs::read(&first).unwrap(), b"genuine app");
    assert_eq!(first.file_name().unwrap(), "dir%2Fapp.tgz");
    let second = client
        .download_target(&info, TARGETS_URL, downloads.path())
        .unwrap();
    assert_eq!(first, second);
    let fetches = repo
        .transport
        .requests()
        .iter()
        .filter(|url| url.starts_with(TARGETS_URL))
        .count();
    assert_eq!(fetches, 1);
}

#[test]
fn consistent_snapshots_fetch_versioned_metadata_and_hash_prefixed_targets() {
    let mut repo = Repo::new();
    repo.root.consistent_snapshot = true;
    repo.root.version = 2;
    repo.publish_root();
    repo.add_target("targets", "dir/app.tgz", b"genuine app");
    repo.publish_new_versions();
    let hash = repo.targets.targets["dir/app.tgz"].hashes["sha256"].clone();
    repo.transport.serve(
        &format!("{TARGETS_URL}dir/{hash}.app.tgz"),
        Served::Bytes(b"genuine app".to_vec()),
    );
    repo.transport.remove(&format!("{TARGETS_URL}dir/app.tgz"));
    let metadata = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let mut client = repo.client(metadata.path());
    let info = client.target_info(&path("dir/app.tgz")).unwrap().unwrap();
    client
        .download_target(&info, TARGETS_URL, downloads.path())
        .unwrap();
    let requests = repo.transport.requests();
    assert!(requests.contains(&format!("{METADATA_URL}2.snapshot.json")));
    assert!(requests.contains(&format!("{METADATA_URL}2.targets.json")));
    assert!(requests.contains(&format!("{TARGETS_URL}dir/{hash}.app.tgz")));
}
