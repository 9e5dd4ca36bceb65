//! Lockfiles written by the real package managers (npm, yarn 1, yarn 4, pnpm 9, cargo), with the
//! installed packages' manifests cut down to their name, version and license fields: every
//! lockfile entry is found, each license equals the one in the package's own manifest, and a
//! clean project gives no false findings.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use sigil_audit::Auditor;
use sigil_audit::findings::{Finding, Severity};
use sigil_audit::license::gather::ManifestSources;
use sigil_audit::lockfile::{self, Limits, Lockfile};
use sigil_audit::model::Package;
use sigil_audit::policy::Policy;

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

fn read(path: &str) -> Lockfile {
    lockfile::read(&fixture(path), &Limits::default()).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn audit(paths: &[&str]) -> (Vec<Lockfile>, Vec<Finding>) {
    let report = Auditor::new(Policy::builtin(), "2026-11-25".parse().unwrap())
        .manifests(ManifestSources {
            node_modules: true,
            ..ManifestSources::default()
        })
        .audit(&paths.iter().map(|p| fixture(p)).collect::<Vec<_>>())
        .unwrap_or_else(|e| panic!("{paths:?}: {e}"));
    (report.lockfiles().to_vec(), report.findings().to_vec())
}

fn find<'a>(l: &'a [Lockfile], name: &str, version: &str) -> &'a Package {
    l.iter()
        .flat_map(|l| &l.packages)
        .find(|p| p.name == name && p.version == version)
        .unwrap_or_else(|| panic!("{name}@{version} not found"))
}

fn shown(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("{f:?}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn errors(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect()
}

#[test]
fn npm_array_license_is_read_as_alternatives_not_an_abort() {
    let l = read("npm-array-license/package-lock.json");
    assert_eq!(l.packages.len(), 2);
    let (lockfiles, findings) = audit(&["npm-array-license/package-lock.json"]);
    // tv4@1.3.0's package.json: "license": [{"type": "Public Domain"}, {"type": "MIT"}].
    let tv4 = find(&lockfiles, "tv4", "1.3.0");
    assert_eq!(tv4.license.as_deref(), Some("Public Domain OR MIT"));
    assert!(errors(&findings).is_empty(), "{}", shown(&findings));
    let nonstandard: Vec<_> = findings
        .iter()
        .filter(|f| f.code.as_str() == "license-nonstandard")
        .collect();
    assert_eq!(nonstandard.len(), 1, "{}", shown(&findings));
    assert!(
        nonstandard[0].message.contains("read as \"MIT\"")
            && nonstandard[0].message.contains("\"Public Domain\""),
        "{}",
        nonstandard[0].message
    );
}

/// The entries of a yarn.lock: its unindented keys, besides yarn berry's `__metadata`.
fn yarn_entries(path: &str) -> usize {
    std::fs::read_to_string(fixture(path))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with([' ', '#']) && l.ends_with(':') && *l != "__metadata:")
        .count()
}

#[test]
fn yarn4_metadata_version_10_is_read() {
    let l = read("yarn4-node-modules/yarn.lock");
    assert_eq!(l.version, "10");
    assert_eq!(
        l.packages.len(),
        yarn_entries("yarn4-node-modules/yarn.lock")
    );
    assert_eq!(find(&[l], "tv4", "1.3.0").integrity.len(), 1);
}
