//! Choosing a release: downgrades, platforms, channels, rollout buckets, minimum versions,
//! halted rollouts, failed releases and semver prerelease ordering.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use semver::Version;
use serde_json::json;
use sigil_updater::release::{
    Channel, Downgrade, InstallId, Installation, Release, ReleaseError, Skipped,
};

fn release(version: &str, channel: &str) -> Release {
    Release {
        target: format!("app-{version}-linux-x86_64.tar.gz"),
        version: Version::parse(version).unwrap(),
        channel: Channel::new(channel).unwrap(),
        platform: "linux".into(),
        arch: "x86_64".into(),
        rollout_percent: 100,
        halted: false,
        minimum_version: None,
        signature: None,
    }
}

fn install(version: &str, channel: &str) -> Installation {
    Installation {
        version: Version::parse(version).unwrap(),
        channel: Channel::new(channel).unwrap(),
        platform: "linux".into(),
        arch: "x86_64".into(),
        install_id: InstallId::from_bytes([7; 16]),
        downgrade: Downgrade::Refuse,
        rejected: BTreeSet::new(),
    }
}

fn chosen(installation: &Installation, releases: &[Release]) -> Option<String> {
    installation
        .choose(releases)
        .release
        .map(|r| r.version.to_string())
}

fn reason(installation: &Installation, releases: &[Release], version: &str) -> Skipped {
    let choice = installation.choose(releases);
    choice
        .skipped
        .into_iter()
        .find(|(r, _)| r.version.to_string() == version)
        .map(|(_, why)| why)
        .unwrap()
}

#[test]
fn newest_release_is_chosen() {
    let releases = [
        release("1.1.0", "stable"),
        release("1.2.0", "stable"),
        release("1.0.1", "stable"),
    ];
    assert_eq!(
        chosen(&install("1.0.0", "stable"), &releases).as_deref(),
        Some("1.2.0")
    );
}

#[test]
fn downgrade_is_refused() {
    let releases = [release("0.9.0", "stable"), release("1.0.0", "stable")];
    assert_eq!(chosen(&install("1.0.0", "stable"), &releases), None);
    assert_eq!(
        reason(&install("1.0.0", "stable"), &releases, "0.9.0"),
        Skipped::NotNewer
    );
}

#[test]
fn allowed_downgrade_never_leaves_a_current_channel_release() {
    // On stable 1.5.0 with 1.4.0 also published: nothing to do, even when downgrades are allowed.
    let mut installation = install("1.5.0", "stable");
    installation.downgrade = Downgrade::Allow;
    let releases = [release("1.4.0", "stable"), release("1.5.0", "stable")];
    assert_eq!(chosen(&installation, &releases), None);
}

#[test]
fn leaving_beta_for_stable_waits_or_downgrades_as_allowed() {
    let releases = [release("1.9.0", "stable"), release("2.0.0-beta.3", "beta")];
    // A beta install switched to stable keeps its version until stable passes it...
    let mut switched = install("2.0.0-beta.3", "stable");
    assert_eq!(chosen(&switched, &releases), None);
    // ...then takes the first stable release newer than it.
    let later = [release("1.9.0", "stable"), release("2.0.0", "stable")];
    assert_eq!(chosen(&switched, &later).as_deref(), Some("2.0.0"));
    // With downgrades allowed it returns to the newest stable release at once.
    switched.downgrade = Downgrade::Allow;
    assert_eq!(chosen(&switched, &releases).as_deref(), Some("1.9.0"));
}

#[test]
fn beta_install_takes_stable_releases_too() {
    let releases = [release("2.0.0-beta.1", "beta"), release("2.0.1", "stable")];
    assert_eq!(
        chosen(&install("1.9.0", "beta"), &releases).as_deref(),
        Some("2.0.1")
    );
    // A stable install never takes beta releases.
    assert_eq!(
        chosen(&install("1.9.0", "stable"), &releases).as_deref(),
        Some("2.0.1")
    );
    assert_eq!(
        reason(&install("1.9.0", "stable"), &releases, "2.0.0-beta.1"),
        Skipped::Channel
    );
}

#[test]
fn prereleases_order_by_semver() {
    let releases = [
        release("2.0.0-beta.2", "beta"),
        release("2.0.0-beta.11", "beta"),
        release("2.0.0-alpha.9", "beta"),
        release("2.0.0-rc.1", "beta"),
    ];
    assert_eq!(
        chosen(&install("1.0.0", "beta"), &releases).as_deref(),
        Some("2.0.0-rc.1")
    );
    let releases = [
        release("2.0.0-beta.2", "beta"),
        release("2.0.0-beta.11", "beta"),
    ];
    assert_eq!(
        chosen(&install("1.0.0", "beta"), &releases).as_deref(),
        Some("2.0.0-beta.11")
    );
    // The release 2.0.0 outranks all its prereleases.
    let releases = [release("2.0.0-rc.1", "beta"), release("2.0.0", "stable")];
    assert_eq!(
        chosen(&install("2.0.0-beta.2", "beta"), &releases).as_deref(),
        Some("2.0.0")
    );
}

#[test]
fn wrong_platform_or_arch_is_skipped() {
    let mut mac = release("1.1.0", "stable");
    mac.platform = "macos".into();
    let mut arm = release("1.2.0", "stable");
    arm.arch = "aarch64".into();
    let releases = [mac, arm];
    assert_eq!(chosen(&install("1.0.0", "stable"), &releases), None);
    assert_eq!(
        reason(&install("1.0.0", "stable"), &releases, "1.1.0"),
        Skipped::Platform
    );
}

#[test]
fn minimum_version_requires_an_intermediate_release() {
    let mut big = release("3.0.0", "stable");
    big.minimum_version = Some(Version::parse("2.5.0").unwrap());
    let releases = [big, release("2.5.0", "stable")];
    assert_eq!(
        chosen(&install("2.0.0", "stable"), &releases).as_deref(),
        Some("2.5.0")
    );
    assert_eq!(
        reason(&install("2.0.0", "stable"), &releases, "3.0.0"),
        Skipped::NeedsMinimumVersion(Version::parse("2.5.0").unwrap())
    );
    assert_eq!(
        chosen(&install("2.5.0", "stable"), &releases).as_deref(),
        Some("3.0.0")
    );
}

#[test]
fn halted_rollout_reaches_nobody() {
    let mut halted = release("1.1.0", "stable");
    halted.halted = true;
    assert_eq!(chosen(&install("1.0.0", "stable"), &[halted.clone()]), None);
    assert_eq!(
        reason(&install("1.0.0", "stable"), &[halted], "1.1.0"),
        Skipped::RolloutHalted
    );
}

#[test]
fn rejected_release_is_not_offered_again() {
    let mut installation = install("1.0.0", "stable");
    installation
        .rejected
        .insert(Version::parse("1.1.0").unwrap());
    let releases = [release("1.1.0", "stable"), release("1.0.5", "stable")];
    assert_eq!(chosen(&installation, &releases).as_deref(), Some("1.0.5"));
    assert_eq!(reason(&installation, &releases, "1.1.0"), Skipped::Rejected);
}

#[test]
fn rollout_bucket_edges() {
    let version = Version::parse("1.1.0").unwrap();
    // Find installs whose bucket is known, to test the edges of the comparison exactly.
    let ids: Vec<InstallId> = (0..=255u8)
        .map(|b| InstallId::from_bytes([b; 16]))
        .collect();
    let buckets: Vec<u32> = ids.iter().map(|id| id.bucket(&version)).collect();
    assert!(buckets.iter().all(|b| *b < 10_000));
    for (id, bucket) in ids.iter().zip(&buckets) {
        let mut installation = install("1.0.0", "stable");
        installation.install_id = id.clone();
        let mut partial = release("1.1.0", "stable");
        // A rollout of p% admits buckets 0..p*100: bucket b is in at p = ceil((b+1)/100).
        let admitted_at = (bucket / 100) + 1;
        partial.rollout_percent = admitted_at;
        assert!(
            chosen(&installation, &[partial.clone()]).is_some(),
            "bucket {bucket} at {admitted_at}%"
        );
        partial.rollout_percent = admitted_at - 1;
        assert!(
            chosen(&installation, &[partial.clone()]).is_none(),
            "bucket {bucket} at {}%",
            admitted_at - 1
        );
        partial.rollout_percent = 0;
        assert!(chosen(&installation, &[partial]).is_none());
    }
    // Roughly uniform: about a tenth of installs fall under 10%.
    let under_ten = buckets.iter().filter(|b| **b < 1000).count();
    assert!((10..=45).contains(&under_ten), "{under_ten} of 256");
}

#[test]
fn rollout_bucket_is_stable_across_checks() {
    let id = InstallId::from_bytes(*b"0123456789abcdef");
    let version = Version::parse("4.2.0").unwrap();
    let first = id.bucket(&version);
    for _ in 0..10 {
        assert_eq!(id.bucket(&version), first);
    }
    // And independent between releases, so the same installs are not always first.
    let others: BTreeSet<u32> = (0..20)
        .map(|minor| id.bucket(&Version::new(4, minor, 0)))
        .collect();
    assert!(others.len() > 15);
}

#[test]
fn release_metadata_parses_from_target_custom() {
    let custom = json!({"sigil": {
        "version": "1.2.0-beta.1", "channel": "beta", "platform": "macos", "arch": "aarch64",
        "rollout": {"percent": 25}, "minimum_version": "1.0.0", "signature": "untrusted comment: x"
    }, "other-tool": {"kept": true}});
    let release = Release::from_custom("app.dmg", &custom).unwrap().unwrap();
    assert_eq!(release.version, Version::parse("1.2.0-beta.1").unwrap());
    assert_eq!(release.channel.as_str(), "beta");
    assert_eq!(release.rollout_percent, 25);
    assert!(!release.halted);
    assert_eq!(Release::from_custom("notes.txt", &json!({})).unwrap(), None);
}

#[test]
fn malformed_release_metadata_is_named() {
    let bad_version = json!({"sigil": {"version": "1.2", "platform": "linux", "arch": "x86_64"}});
    let err = Release::from_custom("app.tar.gz", &bad_version).unwrap_err();
    assert!(
        matches!(err, ReleaseError::Version { ref version, .. } if version == "1.2"),
        "{err}"
    );
    let bad_rollout = json!({"sigil": {"version": "1.2.0", "platform": "linux", "arch": "x86_64", "rollout": {"percent": 150}}});
    let err = Release::from_custom("app.tar.gz", &bad_rollout).unwrap_err();
    assert_eq!(
        err.to_string(),
        "target app.tar.gz: rollout percentage 150 is outside 0..=100"
    );
    let bad_channel = json!({"sigil": {"version": "1.2.0", "channel": "../stable", "platform": "linux", "arch": "x86_64"}});
    assert!(matches!(
        Release::from_custom("a", &bad_channel),
        Err(ReleaseError::Channel(_))
    ));
    let missing = json!({"sigil": {"version": "1.2.0"}});
    assert!(matches!(
        Release::from_custom("a", &missing),
        Err(ReleaseError::Metadata { .. })
    ));
}
