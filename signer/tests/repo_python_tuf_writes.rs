//! Interop, the other direction: a repository written by python-tuf's own repository code
//! (`tuf.api.metadata`) — consistent snapshots, a timestamp key rotated in root version 2, and
//! TAP 15 succinct hash bins — is read by sigil-updater's client, which downloads and verifies a
//! top-level target and a target in a bin.
//!
//! python-tuf is installed with pip into a virtual environment in the test's temporary
//! directory. Without python3, pip or the network the test is skipped with a notice, unless
//! `SIGIL_REQUIRE_INTEROP=1` makes that a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod repo;

use std::process::Command;

use repo::python_tuf;
use sigil_updater::tuf::{DirStorage, FileTransport, TargetDownload, TargetPath, UpdaterBuilder};

const WRITER: &str = r#"
import hashlib, os, sys
from datetime import datetime, timedelta, timezone
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (Delegations, MetaFile, Metadata, Root, Snapshot, SuccinctRoles,
                              TargetFile, Targets, Timestamp)

out = sys.argv[1]
meta_dir = os.path.join(out, "metadata")
target_dir = os.path.join(out, "targets")
os.makedirs(meta_dir)
os.makedirs(target_dir)
expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30)
signers = {r: CryptoSigner.generate_ed25519() for r in ["root", "targets", "snapshot", "timestamp", "bins"]}

def write(signed, signer, file_name):
    md = Metadata(signed)
    md.sign(signer)
    with open(os.path.join(meta_dir, file_name), "wb") as f:
        f.write(md.to_bytes())

def add_target(role, path, data):
    role.targets[path] = TargetFile.from_data(path, data, ["sha256", "sha512"])
    digest = hashlib.sha256(data).hexdigest()
    directory, _, name = path.rpartition("/")
    full = os.path.join(target_dir, directory)
    os.makedirs(full, exist_ok=True)
    with open(os.path.join(full, digest + "." + name), "wb") as f:
        f.write(data)

root = Root(expires=expires)
for role in ["root", "targets", "snapshot", "timestamp"]:
    root.add_key(signers[role].public_key, role)
targets = Targets(expires=expires)
bins_key = signers["bins"].public_key
succinct = SuccinctRoles([bins_key.keyid], 1, 3, "bin")
targets.delegations = Delegations(keys={bins_key.keyid: bins_key}, roles=None, succinct_roles=succinct)
add_target(targets, "hello.txt", b"written by python-tuf")
bins = {name: Targets(expires=expires) for name in succinct.get_roles()}
add_target(bins[succinct.get_role_for_target("releases/binned.txt")], "releases/binned.txt", b"in a hash bin")

snapshot = Snapshot(expires=expires)
snapshot.meta["targets.json"] = MetaFile(version=1)
for name, role in bins.items():
    snapshot.meta[name + ".json"] = MetaFile(version=1)
    write(role, signers["bins"], "1." + name + ".json")
write(root, signers["root"], "1.root.json")
write(targets, signers["targets"], "1.targets.json")
write(snapshot, signers["snapshot"], "1.snapshot.json")

# Root version 2 replaces the timestamp key; the new key signs the timestamp.
new_timestamp = CryptoSigner.generate_ed25519()
root.version = 2
root.revoke_key(signers["timestamp"].public_key.keyid, "timestamp")
root.add_key(new_timestamp.public_key, "timestamp")
write(root, signers["root"], "2.root.json")
timestamp = Timestamp(expires=expires)
timestamp.snapshot_meta = MetaFile(version=1)
write(timestamp, new_timestamp, "timestamp.json")
"#;

#[test]
fn sigil_reads_a_python_tuf_repository_with_a_rotation_and_hash_bins() {
    let dir = tempfile::tempdir().unwrap();
    let Some(python) = python_tuf(dir.path()) else {
        return;
    };
    let site = dir.path().join("site");
    let out = Command::new(&python)
        .arg("-c")
        .arg(WRITER)
        .arg(&site)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python-tuf could not write the repository: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let storage = dir.path().join("client");
    std::fs::create_dir_all(&storage).unwrap();
    let root = std::fs::read(site.join("metadata/1.root.json")).unwrap();
    let mut client = UpdaterBuilder::new(
        &format!("file://{}/metadata/", site.display()),
        FileTransport,
        DirStorage::new(&storage),
    )
    .initial_root(root)
    .load()
    .unwrap();
    client.refresh().unwrap();
    assert_eq!(
        client.trusted().root().signed().version,
        2,
        "the rotated root is followed"
    );
    let downloads = dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let targets_url = format!("file://{}/targets/", site.display());
    for (name, content) in [
        ("hello.txt", &b"written by python-tuf"[..]),
        ("releases/binned.txt", b"in a hash bin"),
    ] {
        let info = client
            .target_info(&TargetPath::parse(name).unwrap())
            .unwrap()
            .unwrap();
        let path = client
            .download_target(&info, &targets_url, &downloads)
            .unwrap();
        assert_eq!(std::fs::read(path).unwrap(), content, "{name}");
    }
    let role = client
        .target_info(&TargetPath::parse("releases/binned.txt").unwrap())
        .unwrap()
        .unwrap()
        .role;
    assert!(role.starts_with("bin-"), "found through a hash bin: {role}");
}
