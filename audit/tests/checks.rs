//! The library API end to end: policies applied to fixture lockfiles, and the summary that the
//! custody log records.

// Helpers shared by the tests: a panic here is a failed test, not a crash on input.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use sigil_audit::Auditor;
use sigil_audit::findings::{Code, Finding, Severity};
use sigil_audit::policy::{Date, Policy};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn day(s: &str) -> Date {
    s.parse().unwrap()
}

fn audit(policy: &str, lockfiles: &[&str]) -> sigil_audit::Report {
    let policy = Policy::from_bytes(policy.as_bytes()).unwrap();
    let paths: Vec<PathBuf> = lockfiles.iter().map(|l| fixture(l)).collect();
    Auditor::new(policy, day("2026-11-25"))
        .audit(&paths)
        .unwrap()
}

fn find<'a>(findings: &'a [Finding], code: Code, name: &str) -> Option<&'a Finding> {
    findings
        .iter()
        .find(|f| f.code == code && f.package.as_ref().map_or("-", |p| p.name.as_str()) == name)
}

#[test]
fn the_summary_carries_lockfile_and_policy_digests() {
    let policy_text = "[licenses]\nallow = [\"MIT\"]\n";
    let report = audit(
        policy_text,
        &["cargo-v4/Cargo.lock", "npm-shrinkwrap/npm-shrinkwrap.json"],
    );
    let s = report.summary();
    let lock_bytes = std::fs::read(fixture("cargo-v4/Cargo.lock")).unwrap();
    let expected = hex::encode(ring::digest::digest(&ring::digest::SHA256, &lock_bytes));
    assert_eq!(s.lockfiles[0].sha256, expected);
    assert_eq!(s.lockfiles[1].packages, 1);
    let policy_digest = hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        policy_text.as_bytes(),
    ));
    assert_eq!(s.policy_sha256.as_deref(), Some(policy_digest.as_str()));
    assert_eq!(s.date, day("2026-11-25"));
    assert_eq!(s.counts, report.counts());
    assert_eq!(s.passed, report.passed());
    assert!(s.tool.starts_with("sigil-audit "));
}

#[test]
fn denied_licenses_win_over_exceptions() {
    let report = audit(
        r#"
[licenses]
allow = ["MIT", "Apache-2.0", "ISC"]
deny = ["WTFPL"]
[[exceptions]]
name = "left-pad"
licenses = ["WTFPL"]
reason = "approved"
"#,
        &["npm-v3/package-lock.json"],
    );
    let f = find(report.findings(), Code::LicenseDenied, "left-pad").unwrap();
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("requires denied WTFPL"), "{}", f.message);
}

#[test]
fn copyleft_can_be_accepted_with_a_warning() {
    let policy = r#"
[licenses]
allow = ["MIT"]
copyleft = "warn"
[[clarify]]
name = "commander"
license = "LGPL-2.1-only"
reason = "test"
"#;
    let report = audit(policy, &["npm-shrinkwrap/npm-shrinkwrap.json"]);
    let f = find(report.findings(), Code::LicenseCopyleft, "commander").unwrap();
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.message.contains("clarified by the policy: test"),
        "{}",
        f.message
    );
    assert!(report.passed());

    let deny = audit(
        &policy.replace("\"warn\"", "\"deny\""),
        &["npm-shrinkwrap/npm-shrinkwrap.json"],
    );
    assert!(find(deny.findings(), Code::LicenseNotAllowed, "commander").is_some());
    assert!(!deny.passed());
}

#[test]
fn unused_and_expired_entries_are_reported_against_the_policy() {
    let report = audit(
        r#"
[[exceptions]]
name = "not-a-dependency"
codes = ["install-script"]
reason = "left over"
[[exceptions]]
name = "commander"
codes = ["duplicate-versions"]
reason = "old review"
expires = "2026-01-31"
[[clarify]]
name = "also-missing"
license = "MIT"
reason = "left over"
"#,
        &["npm-shrinkwrap/npm-shrinkwrap.json"],
    );
    let f = report.findings();
    let unused: Vec<&Finding> = f
        .iter()
        .filter(|f| f.code == Code::ExceptionUnused)
        .collect();
    assert_eq!(unused.len(), 2);
    assert!(
        unused
            .iter()
            .all(|f| f.severity == Severity::Note && f.package.is_none())
    );
    let expired = find(f, Code::ExceptionExpired, "-").unwrap();
    assert!(
        expired
            .message
            .contains("the exception for commander expired on 2026-01-31"),
        "{}",
        expired.message
    );
    assert_eq!(expired.severity, Severity::Warning);
}

#[test]
fn exclusions_and_waivers_are_per_package() {
    // Waiving a code for one package leaves it reported for the others.
    let report = audit(
        r#"
[sources]
weak-integrity = "deny"
[[exceptions]]
name = "left-pad"
ecosystem = "cargo"
codes = ["integrity-weak"]
reason = "wrong ecosystem: must not apply to the npm package"
"#,
        &["pnpm-v6/pnpm-lock.yaml"],
    );
    let f = find(report.findings(), Code::IntegrityWeak, "left-pad").unwrap();
    assert_eq!(f.severity, Severity::Error);

    let waived = audit(
        r#"
[sources]
weak-integrity = "deny"
[[exceptions]]
name = "left-pad"
version = "1.3.0"
ecosystem = "npm"
codes = ["integrity-weak"]
reason = "pinned by our own mirror's SHA-512 as well"
"#,
        &["pnpm-v6/pnpm-lock.yaml"],
    );
    assert!(find(waived.findings(), Code::IntegrityWeak, "left-pad").is_none());
}

#[test]
fn workspace_members_are_not_audited() {
    let report = audit("", &["cargo-v3/Cargo.lock"]);
    assert!(
        report
            .findings()
            .iter()
            .all(|f| f.package.as_ref().is_none_or(|p| p.name != "app"))
    );
    assert_eq!(report.checked_packages().count(), 3);
    // The path dependency outside the workspace is.
    assert!(find(report.findings(), Code::LocalSource, "local-helper").is_some());
}

#[test]
fn an_unpinned_cargo_git_dependency_is_an_error() {
    let report = audit("", &["cargo-git-unpinned/Cargo.lock"]);
    let f = find(report.findings(), Code::GitUnpinned, "tiny-git").unwrap();
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("\"0f3c2a1\""), "{}", f.message);
}

#[test]
fn a_crates_io_package_without_checksum_is_an_error() {
    let report = audit("", &["cargo-missing-checksum/Cargo.lock"]);
    let f = find(report.findings(), Code::IntegrityMissing, "itoa").unwrap();
    assert_eq!(f.severity, Severity::Error);
}
