//! sigil audits itself: the workspace's own Cargo.lock against `audit/sigil-policy.toml`, with
//! licenses read from the crates' manifests in Cargo's local caches.
//!
//! Cargo downloads only the crates the host platform builds; the test first runs
//! `cargo fetch --locked` so that the other platforms' crates are in the cache too (a no-op when
//! they are; it needs the crates.io registry otherwise).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

#[test]
fn the_workspace_lockfile_passes_sigils_own_policy() {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lockfile = manifest_dir.join("../Cargo.lock");
    let policy = manifest_dir.join("sigil-policy.toml");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let fetch = Command::new(cargo)
        .args(["fetch", "--locked", "--manifest-path"])
        .arg(manifest_dir.join("../Cargo.toml"))
        .output()
        .expect("run cargo fetch");
    assert!(
        fetch.status.success(),
        "cargo fetch --locked failed (is the crates.io registry reachable?): {}",
        String::from_utf8_lossy(&fetch.stderr)
    );
    let o = Command::new(env!("CARGO_BIN_EXE_sigil-audit"))
        .args(["check", "--format", "json", "--policy"])
        .arg(&policy)
        .arg(&lockfile)
        .output()
        .expect("run sigil-audit");
    let report: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    let unknown: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "license-unknown")
        .filter_map(|f| f["package"]["name"].as_str())
        .collect();
    assert!(
        unknown.is_empty(),
        "no manifest found for {unknown:?}: run `cargo fetch --locked` so that Cargo's cache \
         holds every locked crate"
    );
    let errors: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(report["passed"], true);

    let packages = report["packages"].as_array().unwrap();
    for member in ["sigil-audit", "sigil-keys"] {
        let p = packages.iter().find(|p| p["name"] == member).unwrap();
        assert_eq!(p["source"]["kind"], "workspace", "{member}");
        assert_eq!(p["checked"], false, "{member}");
    }
    for p in packages.iter().filter(|p| p["checked"] == true) {
        assert!(p["license"].is_string(), "{p}");
        assert_eq!(p["integrity"][0]["algorithm"], "sha256", "{p}");
    }
    // The custody log records these: lockfile and policy digests.
    assert_eq!(
        report["lockfiles"][0]["sha256"].as_str().map(str::len),
        Some(64)
    );
    assert_eq!(report["policy"]["sha256"].as_str().map(str::len), Some(64));
}
