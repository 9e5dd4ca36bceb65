//! The whole update as an app runs it: check, download, verify against TUF and the pinned
//! release key, install, confirm or roll back, with a custody receipt for every step.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Cursor;

use semver::Version;
use serde_json::json;
use sigil_custody::{
    CheckpointTrust, FixedClock as CustodyClock, KeyRing, Sha256Digest, Verifier, trace,
};
use sigil_keys::minisign::{MinisignSecretKey, SignOptions, sign_reader};
use sigil_keys::{PrivateKey, Scheme};
use sigil_updater::client::{Client, ClientError, Receipts, Settings};
use sigil_updater::download::{Body, DownloadError, ProgressEvent, RangeSource, RetryPolicy};

use sigil_updater::install::{Installer, LaunchOutcome};
use sigil_updater::release::InstallId;
use sigil_updater::tuf::{DirStorage, FixedClock, UpdaterBuilder};
use support::{METADATA_URL, NOW, Repo, TARGETS_URL, TestTransport};

/// Serves artifacts from the test repository's transport, honouring offsets.
struct Artifacts(TestTransport);

impl RangeSource for Artifacts {
    fn open(&self, url: &str, offset: u64) -> Result<Body<'_>, DownloadError> {
        let bytes = self.0.get(url).ok_or_else(|| DownloadError::Status {
            url: url.to_owned(),
            status: 404,
        })?;
        Ok(Body {
            reader: Box::new(Cursor::new(bytes[offset as usize..].to_vec())),
            offset,
        })
    }
}

fn release_archive(version: &str) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    let data = format!("sample-app {version}\n");
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o755);
    header.set_cksum();
    builder
        .append_data(&mut header, "app/VERSION", data.as_bytes())
        .unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

fn signature_of(key: &MinisignSecretKey, data: &[u8], version: &str) -> String {
    signed_with_comment(
        key,
        data,
        &format!("file:app\tversion:{version}\tplatform:linux\tarch:x86_64\thashed"),
    )
}

/// A minisign signature of `data` whose trusted comment is `comment`.
fn signed_with_comment(key: &MinisignSecretKey, data: &[u8], comment: &str) -> String {
    let options = SignOptions {
        trusted_comment: Some(comment.to_owned()),
        untrusted_comment: None,
        file_name: "app".into(),
        timestamp: 0,
    };
    sign_reader(
        key.private_key(),
        key.key_number(),
        Cursor::new(data),
        &options,
    )
    .unwrap()
    .encode()
}

/// Publishes `version` signed by `key` (or with no signature).
fn publish_release(repo: &mut Repo, version: &str, key: Option<&MinisignSecretKey>) -> String {
    let archive = release_archive(version);
    let name = format!("sample-app-{version}-linux-x86_64.tar.gz");
    repo.add_target("targets", &name, &archive);
    let mut sigil =
        json!({"version": version, "channel": "stable", "platform": "linux", "arch": "x86_64"});
    if let Some(key) = key {
        sigil["signature"] = json!(signature_of(key, &archive, version));
    }
    repo.targets.targets.get_mut(&name).unwrap().custom = Some(json!({ "sigil": sigil }));
    repo.publish_new_versions();
    name
}

struct App {
    client: Client,
    source: Artifacts,
    _dir: tempfile::TempDir,
    device_key: PrivateKey,
}

fn app(repo: &Repo, release_key: &MinisignSecretKey) -> App {
    let dir = tempfile::tempdir().unwrap();
    let tuf_dir = dir.path().join("tuf");
    std::fs::create_dir(&tuf_dir).unwrap();
    let (transport, root) = (repo.transport.clone(), repo.roots[&1].clone());
    let make_updater = move || {
        UpdaterBuilder::new(METADATA_URL, transport.clone(), DirStorage::new(&tuf_dir))
            .clock(FixedClock(NOW))
            .initial_root(root.clone())
            .load()
    };
    let installer = Installer::open(&dir.path().join("install")).unwrap();
    let settings = Settings::new(
        vec![TARGETS_URL.to_owned()],
        dir.path().join("downloads"),
        release_key.public_key(),
        Version::new(1, 0, 0),
        InstallId::from_bytes([3; 16]),
    )
    .platform("linux")
    .arch("x86_64")
    .retry(RetryPolicy {
        attempts_per_url: 1,
        ..RetryPolicy::default()
    });
    let device_key = PrivateKey::generate(Scheme::Ed25519).unwrap();
    let receipts = Receipts::open(
        &dir.path().join("custody"),
        Box::new(PrivateKey::from_pkcs8_der(device_key.to_pkcs8_der().unwrap().expose()).unwrap()),
        Box::new(CustodyClock(
            sigil_custody::Timestamp::from_unix_seconds(1_893_456_000).unwrap(),
        )),
    )
    .unwrap();
    App {
        client: Client::new(make_updater, installer, settings).receipts(receipts),
        source: Artifacts(repo.transport.clone()),
        _dir: dir,
        device_key,
    }
}

fn installed_version(app: &App) -> String {
    std::fs::read_to_string(app.client.current_dir().unwrap().join("app/VERSION")).unwrap()
}

const T0: i64 = 1_893_456_000;

/// A clock that reads `seconds` after 1970.
fn at(seconds: i64) -> FixedClock {
    FixedClock(sigil_time::Timestamp::from_unix_seconds(seconds).unwrap())
}

/// The flow an app runs, from its starting point: check, download with progress, install,
/// confirm; the client's own source, no source passed by hand.
#[test]
fn an_app_checks_downloads_with_progress_and_installs_through_the_update() {
    let mut repo = Repo::new();
    let release_key = MinisignSecretKey::generate().unwrap();
    let name = publish_release(&mut repo, "1.1.0", Some(&release_key));
    let app = app(&repo, &release_key);
    let App {
        client,
        source,
        _dir,
        ..
    } = app;
    let mut client = client.with_source(source);

    let update = client
        .check_for_update()
        .unwrap()
        .expect("1.1.0 is offered");
    assert_eq!(update.current(), &Version::new(1, 0, 0));
    assert_eq!(update.release().target, name);
    let events = std::sync::Mutex::new(Vec::new());
    let record = |event: &ProgressEvent| events.lock().unwrap().push(event.clone());
    let downloaded = update.download(Some(&record), None).unwrap();
    let events = events.into_inner().unwrap();
    let length = std::fs::metadata(downloaded.path()).unwrap().len();
    assert_eq!(
        events.first(),
        Some(&ProgressEvent::Started {
            total: length,
            resumed_from: 0
        })
    );
    let chunks: Vec<u64> = events
        .iter()
        .filter_map(|event| match event {
            ProgressEvent::Chunk(progress) => Some(progress.downloaded),
            _ => None,
        })
        .collect();
    assert_eq!(chunks.last(), Some(&length));
    assert_eq!(
        &events[events.len() - 2..],
        &[
            ProgressEvent::Verifying,
            ProgressEvent::Finished {
                path: downloaded.path().to_owned()
            }
        ]
    );
    client.install(downloaded, &at(T0)).unwrap();
    assert_eq!(
        std::fs::read_to_string(client.current_dir().unwrap().join("app/VERSION")).unwrap(),
        "sample-app 1.1.0\n"
    );
    client.confirm().unwrap();
    assert!(client.check_for_update().unwrap().is_none());
}

#[test]
fn update_install_confirm_then_roll_back_a_bad_release() {
    let mut repo = Repo::new();
    let release_key = MinisignSecretKey::generate().unwrap();
    let first = publish_release(&mut repo, "1.1.0", Some(&release_key));
    let mut app = app(&repo, &release_key);

    let check = app.client.check().unwrap();
    assert_eq!(check.current, Version::new(1, 0, 0));
    let release = check.available.expect("1.1.0 is offered");
    assert_eq!(release.target, first);
    let verified = app
        .client
        .download(&release, &app.source, None, None)
        .unwrap();
    assert_eq!(
        verified.trusted_comment(),
        "file:app\tversion:1.1.0\tplatform:linux\tarch:x86_64\thashed"
    );
    app.client.install(verified, &at(T0)).unwrap();
    assert_eq!(installed_version(&app), "sample-app 1.1.0\n");
    assert!(matches!(
        app.client.launched(&at(T0 + 5)).unwrap(),
        LaunchOutcome::AwaitingHealth { .. }
    ));
    app.client.confirm().unwrap();

    // 1.2.0 never confirms: the launch after its deadline rolls back to 1.1.0.
    publish_release(&mut repo, "1.2.0", Some(&release_key));
    let release = app.client.check().unwrap().available.unwrap();
    let verified = app
        .client
        .download(&release, &app.source, None, None)
        .unwrap();
    app.client.install(verified, &at(T0 + 100)).unwrap();
    assert_eq!(installed_version(&app), "sample-app 1.2.0\n");
    let outcome = app.client.launched(&at(T0 + 100 + 31 * 60)).unwrap();
    assert_eq!(
        outcome,
        LaunchOutcome::RolledBack {
            from: Version::new(1, 2, 0),
            to: Version::new(1, 1, 0)
        }
    );
    assert_eq!(installed_version(&app), "sample-app 1.1.0\n");
    // The failed release is not offered again.
    assert!(app.client.check().unwrap().available.is_none());

    // Every step is in the custody log, signed by the device, and traceable per artifact.
    let keys = KeyRing::new().with(app.device_key.public_key().clone());
    let log = sigil_custody::Log::open_read_only(
        &app._dir.path().join("custody"),
        sigil_custody::LogOptions::new(),
    )
    .unwrap();
    // The device key also signs a checkpoint after every receipt.
    let origin = sigil_custody::DEFAULT_ORIGIN;
    let trust = CheckpointTrust::new(
        origin,
        vec![
            sigil_custody::NoteVerifier::new(origin, app.device_key.public_key().clone()).unwrap(),
        ],
    );
    let report = Verifier::new(&keys, &trust).verify(&log).unwrap();
    assert_eq!(
        report.checkpoint.as_ref().map(|c| c.checkpoint.size),
        Some(6)
    );
    assert!(report.is_ok(), "{:?}", report.findings);
    let types: Vec<String> = (0..report.size)
        .map(|i| {
            log.entry(i)
                .unwrap()
                .statement
                .predicate_type
                .rsplit('/')
                .nth(1)
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        types,
        [
            "update-downloaded",
            "update-installed",
            "update-confirmed",
            "update-downloaded",
            "update-installed",
            "update-rolled-back"
        ]
    );
    let bad = Sha256Digest::of(&release_archive("1.2.0"));
    let history = trace(&log, &bad, &keys).unwrap();
    assert_eq!(history.steps.len(), 3, "downloaded, installed, rolled back");
}

#[test]
fn release_signed_by_another_key_is_refused_and_not_installed() {
    let mut repo = Repo::new();
    let release_key = MinisignSecretKey::generate().unwrap();
    let attacker = MinisignSecretKey::generate().unwrap();
    // The attacker holds a TUF targets key, not the release key pinned in the app.
    publish_release(&mut repo, "6.6.6", Some(&attacker));
    let mut app = app(&repo, &release_key);
    let release = app.client.check().unwrap().available.unwrap();
    let err = app
        .client
        .download(&release, &app.source, None, None)
        .unwrap_err();
    assert!(matches!(err, ClientError::Signature { .. }), "{err}");
    assert!(err.to_string().contains("wrong key"), "{err}");
    assert!(app.client.current_dir().is_none(), "nothing installed");
    assert!(
        std::fs::read_dir(app._dir.path().join("downloads"))
            .unwrap()
            .next()
            .is_none(),
        "nothing kept"
    );
}

#[test]
fn unsigned_release_is_refused() {
    let mut repo = Repo::new();
    let release_key = MinisignSecretKey::generate().unwrap();
    publish_release(&mut repo, "1.1.0", None);
    let mut app = app(&repo, &release_key);
    let release = app.client.check().unwrap().available.unwrap();
    let err = app
        .client
        .download(&release, &app.source, None, None)
        .unwrap_err();
    assert!(matches!(err, ClientError::Unsigned { .. }), "{err}");
}

#[test]
fn artifact_swapped_on_the_mirror_fails_the_tuf_hashes() {
    let mut repo = Repo::new();
    let release_key = MinisignSecretKey::generate().unwrap();
    let name = publish_release(&mut repo, "1.1.0", Some(&release_key));
    let mut app = app(&repo, &release_key);
    let release = app.client.check().unwrap().available.unwrap();
    // A compromised mirror serves other bytes of the same length.
    let mut evil = release_archive("1.1.0");
    let last = evil.len() - 1;
    evil[last] ^= 0xff;
    repo.transport.serve(
        &format!("{TARGETS_URL}{name}"),
        support::Served::Bytes(evil),
    );
    let err = app
        .client
        .download(&release, &app.source, None, None)
        .unwrap_err();
    let ClientError::Download { source, .. } = &err else {
        panic!("expected a download error, got {err}");
    };
    assert!(
        matches!(**source, DownloadError::HashMismatch { .. }),
        "{err}"
    );
}

#[test]
fn malformed_release_metadata_is_reported_not_chosen() {
    let mut repo = Repo::new();
    let release_key = MinisignSecretKey::generate().unwrap();
    repo.add_target("targets", "broken.tar.gz", b"x");
    repo.targets
        .targets
        .get_mut("broken.tar.gz")
        .unwrap()
        .custom =
        Some(json!({"sigil": {"version": "not-semver", "platform": "linux", "arch": "x86_64"}}));
    repo.publish_new_versions();
    let mut app = app(&repo, &release_key);
    let check = app.client.check().unwrap();
    assert!(check.available.is_none());
    assert_eq!(check.invalid.len(), 1);
    assert!(check.invalid[0].to_string().contains("broken.tar.gz"));
}

/// Lists `archive` as release `version` for linux x86_64 with `signature`, and returns why the
/// app refuses to download it.
fn refusal(
    archive: &[u8],
    version: &str,
    signature: String,
    key: &MinisignSecretKey,
) -> ClientError {
    let mut repo = Repo::new();
    let name = format!("sample-app-{version}-linux-x86_64.tar.gz");
    repo.add_target("targets", &name, archive);
    repo.targets.targets.get_mut(&name).unwrap().custom = Some(json!({"sigil": {
        "version": version, "platform": "linux", "arch": "x86_64", "signature": signature,
    }}));
    repo.publish_new_versions();
    let mut app = app(&repo, key);
    let release = app.client.check().unwrap().available.unwrap();
    let err = app
        .client
        .download(&release, &app.source, None, None)
        .unwrap_err();
    assert!(app.client.current_dir().is_none(), "nothing installed");
    err
}

#[test]
fn old_signed_release_replayed_as_a_new_version_is_refused() {
    // Whoever controls the targets metadata lists a genuine, signed 1.0.1 artifact (say, one with
    // a known hole) as version 9.0.0: the signature's own comment says 1.0.1.
    let release_key = MinisignSecretKey::generate().unwrap();
    let old = release_archive("1.0.1");
    let err = refusal(
        &old,
        "9.0.0",
        signature_of(&release_key, &old, "1.0.1"),
        &release_key,
    );
    assert!(
        matches!(err, ClientError::SignatureNotForRelease { .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("is for version 1.0.1, not for the version 9.0.0"),
        "{err}"
    );
}

#[test]
fn signature_that_names_no_version_is_refused() {
    let release_key = MinisignSecretKey::generate().unwrap();
    let archive = release_archive("1.1.0");
    let signature = signed_with_comment(&release_key, &archive, "timestamp:0\tfile:app\thashed");
    let err = refusal(&archive, "1.1.0", signature, &release_key);
    assert!(err.to_string().contains("names no version"), "{err}");
}

#[test]
fn signature_for_another_platform_is_refused() {
    let release_key = MinisignSecretKey::generate().unwrap();
    let archive = release_archive("1.1.0");
    let signature = signed_with_comment(
        &release_key,
        &archive,
        "file:app\tversion:1.1.0\tplatform:windows\tarch:x86_64\thashed",
    );
    let err = refusal(&archive, "1.1.0", signature, &release_key);
    assert!(
        err.to_string()
            .contains("is for platform windows, not for the platform linux"),
        "{err}"
    );
}
