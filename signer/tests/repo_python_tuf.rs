//! Interop: python-tuf's `ngclient.Updater` refreshes and downloads from repositories that
//! `sigil-signer repo` published, over HTTP, before and after a key rotation, and through hash
//! bins.
//!
//! python-tuf is installed with pip into a virtual environment in the test's temporary
//! directory. Without python3, pip or the network the test is skipped with a notice, unless
//! `SIGIL_REQUIRE_INTEROP=1` makes that a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod repo;

use std::path::Path;
use std::process::Command;

use repo::{Workspace, ok, python_tuf, role_keyids, sigil};
use sigil_signer::repo::Repository;
use sigil_updater::tuf::metadata::RoleType;

const CLIENT: &str = r#"
import functools, hashlib, http.server, os, sys, threading
from tuf.ngclient import Updater

site, workdir, name = sys.argv[1:4]

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=site))
threading.Thread(target=server.serve_forever, daemon=True).start()
base = "http://127.0.0.1:%d" % server.server_address[1]
metadata = os.path.join(workdir, "metadata")
downloads = os.path.join(workdir, "downloads")
os.makedirs(metadata, exist_ok=True)
os.makedirs(downloads, exist_ok=True)
with open(os.path.join(site, "metadata", "1.root.json"), "rb") as f:
    root = f.read()
# A client that already ran keeps its trusted root in `metadata`; the bootstrap is for the first run.
bootstrap = None if os.path.exists(os.path.join(metadata, "root.json")) else root
updater = Updater(metadata, base + "/metadata/", downloads, base + "/targets/", bootstrap=bootstrap)
updater.refresh()
info = updater.get_targetinfo(name)
if info is None:
    print("not found: " + name)
    sys.exit(3)
path = updater.download_target(info)
with open(path, "rb") as f:
    print("sha256 " + hashlib.sha256(f.read()).hexdigest())
print("version " + info.custom["sigil"]["version"])
with open(os.path.join(metadata, "root.json"), "rb") as f:
    import json
    print("root " + str(json.load(f)["signed"]["version"]))
server.shutdown()
"#;

fn python_download(python: &Path, site: &Path, workdir: &Path, name: &str) -> String {
    let out = Command::new(python)
        .arg("-c")
        .arg(CLIENT)
        .arg(site)
        .arg(workdir)
        .arg(name)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "python-tuf refused the repository:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn python_tuf_downloads_from_a_sigil_repository_follows_a_rotation_and_walks_hash_bins() {
    let ws = Workspace::new();
    let Some(python) = python_tuf(ws.dir.path()) else {
        return;
    };
    for key_type in ["ed25519", "ecdsa"] {
        let repo = ws.path(&format!("repo-{key_type}"));
        ok(sigil()
            .args([
                "repo",
                "init",
                "--unencrypted",
                "--key-type",
                key_type,
                "--dir",
            ])
            .arg(&repo));
        let artifact = ws.write("MyApp_2.1.0_x64.msi", b"an installer for python-tuf");
        ws.add(
            &repo,
            &artifact,
            &["--version", "2.1.0", "--prefix", "2.1.0/windows"],
        );
        let site = ws.path(&format!("site-{key_type}"));
        assert_eq!(ws.publish(&repo, &site).0, 0);
        let name = "2.1.0/windows/MyApp_2.1.0_x64.msi";
        let sha256 =
            Repository::open(&repo).unwrap().targets().signed().targets[name].hashes["sha256"]
                .clone();
        let client = ws.path(&format!("python-{key_type}"));
        assert_eq!(
            python_download(&python, &site, &client, name),
            format!("sha256 {sha256}\nversion 2.1.0\nroot 1\n"),
            "{key_type}"
        );

        // Rotate the timestamp key; the same python client follows root version 2.
        let old = role_keyids(&repo, RoleType::Timestamp).remove(0);
        ok(sigil()
            .args(["repo", "rotate", "timestamp", "--generate", "--unencrypted"])
            .args(["--key-type", key_type, "--dir"])
            .arg(&repo)
            .args(["--revoke", old.as_str()]));
        assert_eq!(ws.publish(&repo, &site).0, 0);
        assert_eq!(
            python_download(&python, &site, &client, name),
            format!("sha256 {sha256}\nversion 2.1.0\nroot 2\n"),
            "{key_type}"
        );

        // Hash bins (TAP 15 succinct roles): python-tuf walks the delegation to the bin.
        ok(sigil()
            .args([
                "repo",
                "delegate",
                "bins",
                "--hash-bins",
                "3",
                "--generate",
                "--unencrypted",
            ])
            .args(["--key-type", key_type, "--dir"])
            .arg(&repo));
        let binned = ws.write("binned.tar.gz", b"a target in a hash bin");
        ws.add(&repo, &binned, &["--version", "2.2.0"]);
        assert_eq!(ws.publish(&repo, &site).0, 0);
        let sha256 = Repository::open(&repo)
            .unwrap()
            .delegated()
            .values()
            .find_map(|role| role.signed().targets.get("binned.tar.gz"))
            .unwrap()
            .hashes["sha256"]
            .clone();
        assert_eq!(
            python_download(&python, &site, &client, "binned.tar.gz"),
            format!("sha256 {sha256}\nversion 2.2.0\nroot 2\n"),
            "{key_type}"
        );
    }
}
