//! `sigil-signer repo delegate` and bulk adds: delegated roles and hash bins that sign their
//! own targets, read by the updater's client through the delegation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod repo;

use repo::{Workspace, client, download, ok, role_keyids, run, sigil, snapshot_tree};
use sigil_signer::repo::Repository;
use sigil_updater::tuf::metadata::RoleType;

#[test]
fn a_delegated_role_publishes_without_the_offline_targets_key() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    let stdout = ok(sigil()
        .args([
            "repo",
            "delegate",
            "nightly",
            "--paths",
            "nightly/*",
            "--generate",
        ])
        .arg("--unencrypted")
        .arg("--dir")
        .arg(&repo));
    let repository = Repository::open(&repo).unwrap();
    let delegations = repository.targets().signed().delegations.clone().unwrap();
    let role = &delegations.roles.as_ref().unwrap()[0];
    assert_eq!(role.name, "nightly");
    assert_eq!(role.paths, Some(vec!["nightly/*".to_owned()]));
    assert!(stdout.starts_with(&format!(
        "generated nightly key {}: {}\ndelegated to nightly\n",
        role.keyids[0],
        repo.join(format!("keys/nightly-{}.pem", &role.keyids[0].as_str()[..16])).display()
    )));

    // The top-level targets key goes offline; nightly builds need only the nightly key.
    let targets_key = role_keyids(&repo, RoleType::Targets).remove(0);
    std::fs::remove_file(repo.join(format!("keys/targets-{}.pem", &targets_key.as_str()[..16])))
        .unwrap();
    let stdout = ws.add(
        &repo,
        &ws.write("app.tar.gz", b"nightly build"),
        &[
            "--version",
            "1.1.0-nightly.7",
            "--channel",
            "nightly",
            "--prefix",
            "nightly",
        ],
    );
    assert!(
        stdout.starts_with("added nightly/app.tar.gz to nightly (13 bytes"),
        "{stdout}"
    );
    let repository = Repository::open(&repo).unwrap();
    assert_eq!(
        repository.targets().signed().version,
        2,
        "targets is not re-signed"
    );
    assert_eq!(repository.delegated()["nightly"].signed().version, 2);
    assert!(repository.targets().signed().targets.is_empty());

    let site = ws.path("site");
    let (code, _, stderr) = ws.publish(&repo, &site);
    assert_eq!(code, 0, "{stderr}");
    assert!(site.join("metadata/2.nightly.json").is_file());
    let mut updater = client(&site, &ws.path("client")).unwrap();
    let (info, path) = download(&mut updater, &site, "nightly/app.tar.gz", &ws.path("dl")).unwrap();
    assert_eq!(info.role, "nightly");
    assert_eq!(std::fs::read(path).unwrap(), b"nightly build");
}

#[test]
fn hash_bins_take_a_directory_of_artifacts_and_the_client_finds_each_one() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    let stdout = ok(sigil()
        .args([
            "repo",
            "delegate",
            "bins",
            "--hash-bins",
            "4",
            "--generate",
            "--unencrypted",
        ])
        .arg("--dir")
        .arg(&repo));
    assert!(
        stdout.contains("\ndelegated to 16 roles, bins-0 to bins-f\n"),
        "{stdout}"
    );
    let dist = ws.path("dist");
    let names = [
        "MyApp.dmg",
        "linux/myapp.AppImage",
        "windows/MyApp Setup.exe",
    ];
    for name in names {
        ws.write(&format!("dist/{name}"), name.as_bytes());
    }
    let stdout = ok(sigil()
        .args([
            "repo",
            "add",
            "--version",
            "3.0.0",
            "--platform",
            "any",
            "--arch",
            "any",
        ])
        .arg("--from-dir")
        .arg(&dist)
        .arg("--dir")
        .arg(&repo));
    let repository = Repository::open(&repo).unwrap();
    let bins = repository
        .targets()
        .signed()
        .delegations
        .clone()
        .unwrap()
        .succinct_roles
        .unwrap();
    for name in names {
        let bin = bins.role_for_target(name);
        assert!(
            stdout.contains(&format!("added {name} to {bin} (")),
            "{name} not in {bin}: {stdout}"
        );
        assert!(
            repository.delegated()[&bin]
                .signed()
                .targets
                .contains_key(name)
        );
    }
    let site = ws.path("site");
    let (code, stdout, stderr) = ws.publish(&repo, &site);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.ends_with("verified with the sigil-updater client: 3 target(s)\n"));
    let mut updater = client(&site, &ws.path("client")).unwrap();
    for name in names {
        let (info, path) = download(&mut updater, &site, name, &ws.path("dl")).unwrap();
        assert_eq!(info.role, bins.role_for_target(name));
        assert_eq!(std::fs::read(path).unwrap(), name.as_bytes());
    }
}

#[test]
fn a_delegated_role_edited_by_hand_is_named_by_status_and_not_published() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    ok(sigil()
        .args([
            "repo",
            "delegate",
            "beta",
            "--paths",
            "beta/*",
            "--generate",
            "--unencrypted",
        ])
        .arg("--dir")
        .arg(&repo));
    ws.add(
        &repo,
        &ws.write("app.tar.gz", b"beta"),
        &["--prefix", "beta"],
    );
    let path = repo.join("metadata/beta.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("\"length\":4", "\"length\":5", 1)).unwrap();
    let keyid = Repository::open(&repo)
        .unwrap()
        .targets()
        .signed()
        .delegations
        .clone()
        .unwrap()
        .roles
        .unwrap()[0]
        .keyids[0]
        .clone();
    let (code, stdout, _) = run(sigil().args(["repo", "status", "--dir"]).arg(&repo));
    assert_eq!(code, 1);
    assert!(stdout.ends_with(&format!(
        "not ready to publish:\n  delegated role beta: the signature by key {keyid} does not verify (was the metadata edited after it was signed?)\n  delegated role beta: 0 valid signature(s), threshold is 1\n"
    )), "{stdout}");
    let site = ws.path("site");
    let (code, _, _) = ws.publish(&repo, &site);
    assert_eq!(code, 1);
    assert!(!site.join("metadata/timestamp.json").exists());
}

#[test]
fn hostile_role_names_and_linked_files_are_refused() {
    let ws = Workspace::new();
    let repo = ws.init(&[]);
    let before = snapshot_tree(&repo);
    for name in ["../evil", "snapshot", ".hidden", "a/b"] {
        let (code, stdout, stderr) = run(sigil()
            .args([
                "repo",
                "delegate",
                name,
                "--paths",
                "x/*",
                "--generate",
                "--unencrypted",
            ])
            .arg("--dir")
            .arg(&repo));
        assert_eq!((code, stdout.as_str()), (2, ""), "{name}");
        assert_eq!(
            stderr,
            format!(
                "error: delegated role name {name:?}: expected 1 to 64 of letters, digits, '.', '_' and '-', not starting with '.', and not a top-level role's name\n"
            )
        );
    }
    assert_eq!(snapshot_tree(&repo), before);

    #[cfg(unix)]
    {
        let dist = ws.path("dist");
        ws.write("dist/real.bin", b"real");
        std::os::unix::fs::symlink("/etc/passwd", dist.join("passwd")).unwrap();
        let (code, _, stderr) = run(sigil()
            .args([
                "repo",
                "add",
                "--version",
                "1.0.0",
                "--platform",
                "linux",
                "--arch",
                "x86_64",
            ])
            .arg("--from-dir")
            .arg(&dist)
            .arg("--dir")
            .arg(&repo));
        assert_eq!(code, 2);
        assert_eq!(
            stderr,
            "error: target \"passwd\": a symbolic link (add the file it points to instead)\n"
        );
        assert_eq!(snapshot_tree(&repo), before);
    }
}

#[test]
fn a_delegated_threshold_is_reached_by_a_second_holder_with_repo_sign() {
    use sigil_keys::{PrivateKey, Scheme, Signer};

    let ws = Workspace::new();
    let repo = ws.init(&[]);
    // A second holder keeps their key outside the key directory.
    let other = PrivateKey::generate(Scheme::Ed25519).unwrap();
    let other_key = ws.path("holder/other.pem");
    std::fs::create_dir_all(other_key.parent().unwrap()).unwrap();
    sigil_keys::keyfile::write_secret_file(
        &other_key,
        other.to_pkcs8_pem(None).unwrap().as_bytes(),
        sigil_keys::keyfile::Overwrite::Refuse,
    )
    .unwrap();
    let other_pub = ws.write(
        "holder/other.pub.pem",
        other.public_key().to_spki_pem().as_bytes(),
    );
    ok(sigil()
        .args([
            "repo",
            "delegate",
            "stable",
            "--paths",
            "stable/*",
            "--generate",
            "--unencrypted",
        ])
        .arg("--add-key")
        .arg(&other_pub)
        .args(["--threshold", "2", "--dir"])
        .arg(&repo));
    ws.add(
        &repo,
        &ws.write("app.tar.gz", b"two signers"),
        &["--prefix", "stable"],
    );

    let other_id = Signer::key_id(&other);
    let (code, stdout, _) = run(sigil().args(["repo", "status", "--dir"]).arg(&repo));
    assert_eq!(code, 1);
    let repository = Repository::open(&repo).unwrap();
    let expires = &repository.delegated()["stable"].signed().expires;
    assert!(stdout.contains(&format!(
        "delegated stable version 2, expires {expires}, signatures 1/2, unsigned by {other_id}\n"
    )), "{stdout}");
    assert!(
        stdout.ends_with(
            "not ready to publish:\n  delegated role stable: 1 valid signature(s), threshold is 2\n"
        ),
        "{stdout}"
    );

    // A key of another role is refused for the delegated role.
    let snapshot_key = role_keyids(&repo, RoleType::Snapshot).remove(0);
    let (code, _, stderr) = run(sigil()
        .args(["repo", "sign", "stable", "--dir"])
        .arg(&repo)
        .arg("--key")
        .arg(repo.join(format!(
            "keys/snapshot-{}.pem",
            &snapshot_key.as_str()[..16]
        ))));
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with(&format!(
            "error: key {snapshot_key} is not a key of the delegated role stable (expected one of: "
        )),
        "{stderr}"
    );

    let stdout = ok(sigil()
        .args(["repo", "sign", "stable", "--dir"])
        .arg(&repo)
        .arg("--key")
        .arg(&other_key));
    assert_eq!(
        stdout,
        format!(
            "signed stable with key {other_id}\ndelegated stable version 2, expires {expires}, signatures 2/2\n"
        )
    );
    let site = ws.path("site");
    let (code, _, stderr) = ws.publish(&repo, &site);
    assert_eq!(code, 0, "{stderr}");
    let mut updater = client(&site, &ws.path("client")).unwrap();
    let (info, _) = download(&mut updater, &site, "stable/app.tar.gz", &ws.path("dl")).unwrap();
    assert_eq!(info.role, "stable");
}
