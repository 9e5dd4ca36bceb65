//! `sigil-signer repo`: exact output and exit codes, what it wrote read back with the library,
//! and the published repository read by sigil-updater's client as an installed app reads it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod repo;

use std::path::Path;

use repo::{Workspace, client, download, ok, role_keyids, run, sigil, snapshot_tree};
use sigil_keys::minisign::LegacyMode;
use sigil_signer::repo::Repository;
use sigil_updater::release::Release;
use sigil_updater::tuf::metadata::RoleType;

fn role_line(repository: &Repository, role: RoleType, valid: usize, threshold: usize) -> String {
    let (version, expires) = match role {
        RoleType::Root => (
            repository.root().signed().version,
            repository.root().signed().expires.clone(),
        ),
        RoleType::Targets => (
            repository.targets().signed().version,
            repository.targets().signed().expires.clone(),
        ),
        RoleType::Snapshot => (
            repository.snapshot().signed().version,
            repository.snapshot().signed().expires.clone(),
        ),
        RoleType::Timestamp => (
            repository.timestamp().signed().version,
            repository.timestamp().signed().expires.clone(),
        ),
    };
    format!(
        "{:<9} version {version}, expires {expires}, signatures {valid}/{threshold}\n",
        role.as_str()
    )
}

#[test]
fn init_writes_version_one_of_every_role_with_encrypted_keys() {
    let ws = Workspace::new();
    let (repo, keys) = (ws.path("repo"), ws.path("keys"));
    let stdout = ok(sigil()
        .env("REPO_PASSWORD", "correct horse")
        .args(["repo", "init", "--password-env", "REPO_PASSWORD", "--dir"])
        .arg(&repo)
        .arg("--keys-dir")
        .arg(&keys)
        .args(["--key-type", "ecdsa", "--expires", "timestamp=6h"]));

    let repository = Repository::open(&repo).unwrap();
    let root = repository.root().signed();
    assert!(root.consistent_snapshot);
    let mut expected = format!(
        "initialized repository {} (consistent snapshots)\n",
        repo.display()
    );
    for role in ["root", "targets", "snapshot", "timestamp"] {
        let keyid = &root.roles[role].keyids[0];
        let path = keys.join(format!("{role}-{}.pem", &keyid.as_str()[..16]));
        expected.push_str(&format!(
            "{role} key {keyid}: {} (encrypted)\n",
            path.display()
        ));
        let pem = std::fs::read_to_string(&path).unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        assert_eq!(root.keys[keyid].scheme, "ecdsa-sha2-nistp256");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", path.display());
        }
    }
    assert_eq!(stdout, expected);
    let status = repository.status(sigil_updater::tuf::UnixTime::UNIX_EPOCH);
    assert!(status.is_publishable(), "{:?}", status.problems);
    let timestamp = repository.timestamp().signed();
    let targets = repository.targets().signed();
    assert_eq!(
        timestamp.expires.at().unix_seconds() - targets.expires.at().unix_seconds(),
        6 * 3_600 - 90 * 86_400
    );
}

#[test]
fn init_refuses_a_directory_that_holds_a_repository() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    let before = snapshot_tree(&repo);
    let (code, stdout, stderr) = run(sigil()
        .args(["repo", "init", "--unencrypted", "--dir"])
        .arg(&repo));
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        format!(
            "error: {} already holds a repository, or part of one (metadata/ or sigil-repo.json exists)\n",
            repo.display()
        )
    );
    assert_eq!(snapshot_tree(&repo), before);
}

#[test]
fn init_add_publish_and_the_updater_client_downloads_the_signed_release() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    let (release_sk, release_pk) = (ws.path("release.key"), ws.path("release.pub"));
    ok(sigil()
        .args(["keygen", "--unencrypted", "--secret-key"])
        .arg(&release_sk)
        .arg("--public-key")
        .arg(&release_pk));
    let artifact = ws.write(
        "App_1.0.0_amd64.AppImage",
        b"the application, version 1.0.0",
    );

    let stdout = ws.add(
        &repo,
        &artifact,
        &[
            "--channel",
            "beta",
            "--rollout",
            "25",
            "--minimum-version",
            "0.9.0",
            "--prefix",
            "1.0.0/linux",
            "--release-key",
            release_sk.to_str().unwrap(),
        ],
    );
    let repository = Repository::open(&repo).unwrap();
    let name = "1.0.0/linux/App_1.0.0_amd64.AppImage";
    let file = &repository.targets().signed().targets[name];
    let sha256 = &file.hashes["sha256"];
    assert!(stdout.starts_with(&format!(
        "added {name} (30 bytes, sha256 {sha256}), signed with the release key\n"
    )));
    assert_eq!(file.length, 30);
    assert_eq!(file.hashes["sha512"].len(), 128);

    let site = ws.path("site");
    let (code, stdout, stderr) = ws.publish(&repo, &site);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "published {} to {}: 5 file(s) written, 0 unchanged\n\
             root version 1, targets version 2, snapshot version 2, timestamp version 2\n\
             verified with the sigil-updater client: 1 target(s)\n",
            repo.display(),
            site.display()
        )
    );
    for path in [
        "metadata/1.root.json".to_owned(),
        "metadata/2.targets.json".to_owned(),
        "metadata/2.snapshot.json".to_owned(),
        "metadata/timestamp.json".to_owned(),
        format!("targets/1.0.0/linux/{sha256}.App_1.0.0_amd64.AppImage"),
    ] {
        assert!(site.join(&path).is_file(), "{path}");
    }

    let mut updater = client(&site, &ws.path("client/metadata")).unwrap();
    let (info, downloaded) = download(&mut updater, &site, name, &ws.path("client/dl")).unwrap();
    assert_eq!(
        std::fs::read(&downloaded).unwrap(),
        b"the application, version 1.0.0"
    );
    let release = Release::from_custom(name, info.file.custom.as_ref().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(release.version.to_string(), "1.0.0");
    assert_eq!(release.channel.as_str(), "beta");
    assert_eq!(
        (release.platform.as_str(), release.arch.as_str()),
        ("linux", "x86_64")
    );
    assert_eq!(release.rollout_percent, 25);
    assert_eq!(release.minimum_version.unwrap().to_string(), "0.9.0");
    let signature = ws.write("downloaded.minisig", release.signature.unwrap().as_bytes());
    let public = sigil_signer::verify::read_public_key(&release_pk).unwrap();
    sigil_signer::verify::verify_file(&public, &downloaded, &signature, LegacyMode::Refuse)
        .unwrap();

    // Publishing again writes nothing and still verifies.
    let (code, stdout, _) = ws.publish(&repo, &site);
    assert_eq!(code, 0);
    assert!(stdout.starts_with(&format!(
        "published {} to {}: 0 file(s) written, 5 unchanged\n",
        repo.display(),
        site.display()
    )));
}

#[test]
fn add_prints_each_target_and_the_roles_it_re_signed() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    let artifact = ws.write("app.tar.gz", b"hello\n");
    let stdout = ws.add(&repo, &artifact, &[]);
    let repository = Repository::open(&repo).unwrap();
    assert_eq!(
        stdout,
        format!(
            "added app.tar.gz (6 bytes, sha256 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03)\n{}{}{}",
            role_line(&repository, RoleType::Targets, 1, 1),
            role_line(&repository, RoleType::Snapshot, 1, 1),
            role_line(&repository, RoleType::Timestamp, 1, 1),
        )
    );
}

#[test]
fn a_target_path_that_climbs_out_with_dot_dot_is_refused() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    let before = snapshot_tree(&repo);
    let artifact = ws.write("app.tar.gz", b"payload");
    for (prefix, message) in [
        (
            "../escape",
            "target path \"../escape/app.tar.gz\" has a \".\" or \"..\" segment",
        ),
        (
            "/etc",
            "target path \"/etc/app.tar.gz\" is absolute (expected a path relative to the repository)",
        ),
        (
            "a\\b",
            "target path \"a\\\\b/app.tar.gz\" has a backslash (expected \"/\" as the only separator)",
        ),
        (
            "a//b",
            "target path \"a//b/app.tar.gz\" has an empty segment",
        ),
    ] {
        let (code, stdout, stderr) = run(sigil()
            .args(["repo", "add", "--dir"])
            .arg(&repo)
            .args([
                "--version",
                "1.0.0",
                "--platform",
                "linux",
                "--arch",
                "x86_64",
            ])
            .args(["--prefix", prefix])
            .arg(&artifact));
        assert_eq!((code, stdout.as_str()), (2, ""), "{prefix}");
        assert_eq!(stderr, format!("error: {message}\n"));
        assert_eq!(snapshot_tree(&repo), before, "{prefix}");
    }
}

#[test]
fn a_bad_release_version_is_refused_before_anything_is_signed() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    let before = snapshot_tree(&repo);
    let artifact = ws.write("app.tar.gz", b"payload");
    let (code, _, stderr) = run(sigil()
        .args(["repo", "add", "--dir"])
        .arg(&repo)
        .args([
            "--version",
            "one",
            "--platform",
            "linux",
            "--arch",
            "x86_64",
        ])
        .arg(&artifact));
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error: target app.tar.gz: version \"one\" is not semver"),
        "{stderr}"
    );
    assert_eq!(snapshot_tree(&repo), before);
}

#[test]
fn metadata_edited_by_hand_is_refused_by_status_and_publish_naming_the_role() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    ws.add(&repo, &ws.write("app.tar.gz", b"genuine"), &[]);
    let site = ws.path("site");
    assert_eq!(ws.publish(&repo, &site).0, 0);
    ws.add(&repo, &ws.write("app2.tar.gz", b"second"), &[]);
    let published = snapshot_tree(&site);

    // Someone points the new target at other bytes by editing targets.json.
    let path = repo.join("metadata/targets.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen("\"length\":6", "\"length\":7", 1);
    assert_ne!(text, edited);
    std::fs::write(&path, edited).unwrap();

    let keyid = &role_keyids(&repo, RoleType::Targets)[0];
    let repository = Repository::open(&repo).unwrap();
    let (code, stdout, stderr) = run(sigil().args(["repo", "status", "--dir"]).arg(&repo));
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        format!(
            "{}{}, unsigned by {keyid}\n{}{}not ready to publish:\n  targets: the signature by key {keyid} does not verify (was the metadata edited after it was signed?)\n  targets: 0 valid signature(s), threshold is 1 (sign with `repo sign targets`)\n",
            role_line(&repository, RoleType::Root, 1, 1),
            role_line(&repository, RoleType::Targets, 0, 1).trim_end(),
            role_line(&repository, RoleType::Snapshot, 1, 1),
            role_line(&repository, RoleType::Timestamp, 1, 1),
        )
    );
    assert_eq!(stderr, "error: the repository is not ready to publish\n");

    let (code, stdout, stderr) = ws.publish(&repo, &site);
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert_eq!(
        stderr,
        format!(
            "error: the working copy cannot be published: targets: the signature by key {keyid} does not verify (was the metadata edited after it was signed?); targets: 0 valid signature(s), threshold is 1 (sign with `repo sign targets`)\n"
        )
    );
    assert_eq!(snapshot_tree(&site), published);
}

#[test]
fn signing_with_a_key_that_is_not_the_roles_is_refused() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    let before = snapshot_tree(&repo.join("metadata"));
    let snapshot_key = &role_keyids(&repo, RoleType::Snapshot)[0];
    let targets_key = &role_keyids(&repo, RoleType::Targets)[0];
    let key_file = repo.join(format!(
        "keys/snapshot-{}.pem",
        &snapshot_key.as_str()[..16]
    ));
    let (code, stdout, stderr) = run(sigil()
        .args(["repo", "sign", "targets", "--dir"])
        .arg(&repo)
        .arg("--key")
        .arg(&key_file));
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert_eq!(
        stderr,
        format!(
            "error: key {snapshot_key} is not a key of the targets role (expected one of: {targets_key})\n"
        )
    );
    assert_eq!(snapshot_tree(&repo.join("metadata")), before);

    let (code, _, stderr) = run(sigil()
        .args(["repo", "sign", "delegated", "--dir"])
        .arg(&repo)
        .arg("--key")
        .arg(&key_file));
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: \"delegated\" is not a top-level role (expected root, targets, snapshot or timestamp)\n"
    );
}

#[test]
fn a_threshold_of_two_is_reached_one_signer_at_a_time() {
    let ws = Workspace::new();
    let repo = ws.init(&["--threshold", "targets=2"]);
    let keyids = role_keyids(&repo, RoleType::Targets);
    assert_eq!(keyids.len(), 2);
    // The second targets key belongs to someone else: move it out of the key directory.
    let offline = ws.path("offline");
    std::fs::create_dir_all(&offline).unwrap();
    let stem = format!("targets-{}", &keyids[1].as_str()[..16]);
    let offline_key = offline.join(format!("{stem}.pem"));
    std::fs::rename(repo.join(format!("keys/{stem}.pem")), &offline_key).unwrap();

    ws.add(&repo, &ws.write("app.tar.gz", b"needs two"), &[]);
    let (code, stdout, _) = run(sigil().args(["repo", "status", "--dir"]).arg(&repo));
    assert_eq!(code, 1);
    assert!(
        stdout.ends_with(
            "not ready to publish:\n  targets: 1 valid signature(s), threshold is 2 (sign with `repo sign targets`)\n"
        ),
        "{stdout}"
    );
    let site = ws.path("site");
    assert_eq!(ws.publish(&repo, &site).0, 1);
    assert!(!site.join("metadata/timestamp.json").exists());

    let stdout = ok(sigil()
        .args(["repo", "sign", "targets", "--dir"])
        .arg(&repo)
        .arg("--key")
        .arg(&offline_key));
    let repository = Repository::open(&repo).unwrap();
    assert_eq!(
        stdout,
        format!(
            "signed targets with key {}\n{}",
            keyids[1],
            role_line(&repository, RoleType::Targets, 2, 2)
        )
    );
    assert_eq!(repository.targets().envelope().signatures().len(), 2);
    let (code, _, stderr) = ws.publish(&repo, &site);
    assert_eq!(code, 0, "{stderr}");
    let mut updater = client(&site, &ws.path("client")).unwrap();
    download(&mut updater, &site, "app.tar.gz", &ws.path("dl")).unwrap();
}

#[test]
fn a_half_written_output_directory_leaves_the_published_site_as_it_was() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    ws.add(&repo, &ws.write("app-1.0.0.tar.gz", b"version one"), &[]);
    let site = ws.path("site");
    assert_eq!(ws.publish(&repo, &site).0, 0);
    ws.add(
        &repo,
        &ws.write("app-1.1.0.tar.gz", b"version one point one"),
        &[],
    );

    // An earlier run was cut off while writing the next targets metadata, leaving a torn file
    // and a temporary file behind.
    let torn = site.join("metadata/3.targets.json");
    std::fs::write(&torn, b"{\"signatures\":[{\"keyid\":").unwrap();
    std::fs::write(site.join("metadata/.sigil-tmp-crashed"), b"partial").unwrap();
    let before = snapshot_tree(&site);

    let (code, stdout, stderr) = ws.publish(&repo, &site);
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert_eq!(
        stderr,
        format!(
            "error: {} is already published with other bytes than the working copy's (a half-written or altered file?): a published version is never rewritten; inspect it, or publish a new version\n",
            torn.canonicalize().unwrap().display()
        )
    );
    assert_eq!(snapshot_tree(&site), before);
    // Clients still see the first release, and only it.
    let mut updater = client(&site, &ws.path("client")).unwrap();
    download(&mut updater, &site, "app-1.0.0.tar.gz", &ws.path("dl")).unwrap();
    assert_eq!(
        updater
            .target_info(&sigil_updater::tuf::TargetPath::parse("app-1.1.0.tar.gz").unwrap())
            .unwrap(),
        None
    );

    // Once the torn file is removed, the next publication goes through.
    std::fs::remove_file(&torn).unwrap();
    let (code, stdout, stderr) = ws.publish(&repo, &site);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(": 4 file(s) written, 2 unchanged\n"),
        "{stdout}"
    );
    let mut updater = client(&site, &ws.path("client2")).unwrap();
    download(&mut updater, &site, "app-1.1.0.tar.gz", &ws.path("dl2")).unwrap();
}

#[test]
fn publishing_an_older_working_copy_over_a_newer_site_is_refused_as_a_rollback() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    ws.add(&repo, &ws.write("app.tar.gz", b"one"), &[]);
    let old = ws.path("old-repo");
    copy_dir(&repo, &old);
    ws.add(&repo, &ws.write("app2.tar.gz", b"two"), &[]);
    let site = ws.path("site");
    assert_eq!(ws.publish(&repo, &site).0, 0);
    let before = snapshot_tree(&site);

    let (code, _, stderr) = ws.publish(&old, &site);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        format!(
            "error: {} is timestamp version 3, newer than the working copy's version 2: publishing would roll clients back\n",
            site.canonicalize()
                .unwrap()
                .join("metadata/timestamp.json")
                .display()
        )
    );
    assert_eq!(snapshot_tree(&site), before);
}

#[test]
fn a_changed_working_copy_of_a_target_is_not_published() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    ws.add(&repo, &ws.write("app.tar.gz", b"genuine"), &[]);
    std::fs::write(repo.join("targets/app.tar.gz"), b"swapped").unwrap();
    let site = ws.path("site");
    let (code, _, stderr) = ws.publish(&repo, &site);
    assert_eq!(code, 1);
    let sha256 = &Repository::open(&repo).unwrap().targets().signed().targets["app.tar.gz"].hashes
        ["sha256"]
        .clone();
    assert_eq!(
        stderr,
        format!(
            "error: target \"app.tar.gz\": the working copy {} is not the file the targets metadata describes (expected 7 bytes with sha256 {sha256})\n",
            repo.join("targets/app.tar.gz").display()
        )
    );
    assert!(!site.join("metadata/timestamp.json").exists());
}

#[test]
fn refresh_does_nothing_while_snapshot_and_timestamp_are_fresh() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    let before = snapshot_tree(&repo);
    let stdout = ok(sigil().args(["repo", "refresh", "--dir"]).arg(&repo));
    let repository = Repository::open(&repo).unwrap();
    assert_eq!(
        stdout,
        format!(
            "nothing to do: snapshot expires {}, timestamp expires {}\n",
            repository.snapshot().signed().expires,
            repository.timestamp().signed().expires
        )
    );
    assert_eq!(snapshot_tree(&repo), before);
}

#[test]
fn remove_drops_a_target_and_an_unknown_one_is_an_error() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    ws.add(&repo, &ws.write("app.tar.gz", b"x"), &[]);
    let stdout = ok(sigil()
        .args(["repo", "remove", "--dir"])
        .arg(&repo)
        .arg("app.tar.gz"));
    assert!(
        stdout.starts_with("removed app.tar.gz\ntargets   version 3,"),
        "{stdout}"
    );
    let repository = Repository::open(&repo).unwrap();
    assert!(repository.targets().signed().targets.is_empty());
    assert!(!repo.join("targets/app.tar.gz").exists());
    let (code, _, stderr) = run(sigil()
        .args(["repo", "remove", "--dir"])
        .arg(&repo)
        .arg("app.tar.gz"));
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: target \"app.tar.gz\" is not in the repository\n"
    );
}

#[test]
fn publish_records_each_new_release_in_the_custody_log() {
    use sigil_custody::{Log, LogOptions, Predicate};

    let ws = Workspace::new();
    let repo = ws.init(&[]);
    ws.add(
        &repo,
        &ws.write("app.tar.gz", b"logged"),
        &["--channel", "beta"],
    );
    let (site, log_dir) = (ws.path("site"), ws.path("log"));
    let stdout = ok(sigil()
        .args(["repo", "publish", "--dir"])
        .arg(&repo)
        .arg("--out")
        .arg(&site)
        .arg("--log")
        .arg(&log_dir)
        .args(["--repository-url", "https://updates.example.com/"]));
    assert!(
        stdout.ends_with("logged publication of app.tar.gz as entry 0\n"),
        "{stdout}"
    );
    let log = Log::open_read_only(&log_dir, LogOptions::new()).unwrap();
    assert_eq!(log.size(), 1);
    let Predicate::RepositoryPublication(publication) = log.entry(0).unwrap().predicate().unwrap()
    else {
        panic!("not a repository publication");
    };
    assert_eq!(publication.repository, "https://updates.example.com/");
    assert_eq!(publication.target_name, "app.tar.gz");
    assert_eq!(publication.release.version, "1.0.0");
    assert_eq!(publication.release.channel, "beta");
    assert_eq!(publication.role_versions.targets, 2);
    assert_eq!(publication.role_versions.timestamp, 2);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn encrypted_role_keys_open_with_the_password_and_a_wrong_one_changes_nothing() {
    let ws = Workspace::new();
    let repo = ws.path("repo");
    ok(sigil()
        .env("REPO_PASSWORD", "correct horse")
        .args(["repo", "init", "--password-env", "REPO_PASSWORD", "--dir"])
        .arg(&repo));
    let artifact = ws.write("app.tar.gz", b"encrypted keys");
    let before = snapshot_tree(&repo);
    let (code, stdout, stderr) = run(sigil()
        .env("REPO_PASSWORD", "wrong")
        .args(["repo", "add", "--password-env", "REPO_PASSWORD", "--dir"])
        .arg(&repo)
        .args([
            "--version",
            "1.0.0",
            "--platform",
            "linux",
            "--arch",
            "x86_64",
        ])
        .arg(&artifact));
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("targets-"), "names the key file: {stderr}");
    assert_eq!(snapshot_tree(&repo), before);

    ok(sigil()
        .env("REPO_PASSWORD", "correct horse")
        .args(["repo", "add", "--password-env", "REPO_PASSWORD", "--dir"])
        .arg(&repo)
        .args([
            "--version",
            "1.0.0",
            "--platform",
            "linux",
            "--arch",
            "x86_64",
        ])
        .arg(&artifact));
    let (code, stdout, _) = run(sigil().args(["repo", "status", "--dir"]).arg(&repo));
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn refresh_re_signs_a_timestamp_past_half_its_validity() {
    let ws = Workspace::new();
    let repo = ws.init(&["--expires", "timestamp=2s"]);
    // Whole seconds: after 2.1 s at least two have passed, whatever the start.
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    let stdout = ok(sigil().args(["repo", "refresh", "--dir"]).arg(&repo));
    let repository = Repository::open(&repo).unwrap();
    assert_eq!(repository.timestamp().signed().version, 2);
    assert_eq!(repository.snapshot().signed().version, 1);
    assert_eq!(
        stdout,
        format!(
            "re-signed timestamp version 2, expires {}\n",
            repository.timestamp().signed().expires
        )
    );
}

#[test]
fn demo_repository_with_repo_and_keys_flags_and_no_password() {
    // The short form for demos and tests: no terminal and no password, so the role keys are
    // written unencrypted (and the command says so); a plain target and a release.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("app-1.0.0.tar.gz"), b"release bytes").unwrap();
    std::fs::write(d.join("notes.txt"), b"plain file").unwrap();
    let (code, stdout, stderr) = run(sigil()
        .current_dir(d)
        .args(["repo", "init", "--repo", "repo", "--keys", "keys"])
        .stdin(std::process::Stdio::null()));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("(NOT encrypted)"), "{stdout}");
    assert!(stderr.contains("written NOT encrypted"), "{stderr}");
    ok(sigil().current_dir(d).args([
        "repo",
        "add",
        "--repo",
        "repo",
        "--keys",
        "keys",
        "--version",
        "1.0.0",
        "--channel",
        "stable",
        "--platform",
        "linux",
        "app-1.0.0.tar.gz",
    ]));
    ok(sigil().current_dir(d).args([
        "repo",
        "add",
        "--repo",
        "repo",
        "--keys",
        "keys",
        "notes.txt",
    ]));
    ok(sigil().current_dir(d).args([
        "repo", "publish", "--repo", "repo", "--keys", "keys", "--out", "pub",
    ]));
    assert!(d.join("pub/metadata/1.root.json").exists());
    let repository = Repository::open(&d.join("repo")).unwrap();
    let targets = &repository.targets().signed().targets;
    let release = Release::from_custom(
        "app-1.0.0.tar.gz",
        targets["app-1.0.0.tar.gz"].custom.as_ref().unwrap(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(release.platform, "linux");
    assert_eq!(
        release.arch,
        std::env::consts::ARCH,
        "arch defaults to this machine's"
    );
    assert!(
        targets["notes.txt"].custom.is_none(),
        "a plain target carries no release metadata"
    );
    let mut client = client(&d.join("pub"), &d.join("state")).unwrap();
    let (_, path) = download(&mut client, &d.join("pub"), "notes.txt", &d.join("out")).unwrap();
    assert_eq!(std::fs::read(path).unwrap(), b"plain file");
}
