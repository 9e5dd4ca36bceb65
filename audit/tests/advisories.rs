//! Advisories end to end: OSV databases (a folder and a zip) matched against fixture
//! lockfiles, merged aliases, levels, expiring exceptions per advisory id, refusals of what is
//! not an OSV database, the download path, and the command line's reports.

// Helpers shared by the tests: a panic here is a failed test, not a crash on input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use sigil_audit::advisory::{Database, DatabaseError, DatabaseLimits};
use sigil_audit::findings::{Code, Finding, Severity};
use sigil_audit::model::Ecosystem;
use sigil_audit::online::{Fetch, Fetched, OnlineError, Url, fetch_advisories};
use sigil_audit::policy::{Date, Policy};
use sigil_audit::{Auditor, Report};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn db(rel: &str) -> Database {
    Database::load(&fixture(rel), &DatabaseLimits::default()).unwrap()
}

fn audit_with(policy: &str, db: Database, today: &str) -> Report {
    let policy = Policy::from_bytes(policy.as_bytes()).unwrap();
    let today: Date = today.parse().unwrap();
    Auditor::new(policy, today)
        .advisories(db)
        .audit(&[
            fixture("npm-v3/package-lock.json"),
            fixture("cargo-v4/Cargo.lock"),
        ])
        .unwrap()
}

fn advisories_for<'a>(report: &'a Report, name: &str) -> Vec<&'a Finding> {
    report
        .findings()
        .iter()
        .filter(|f| f.code == Code::Advisory && f.package.as_ref().is_some_and(|p| p.name == name))
        .collect()
}

fn codes(report: &Report, code: Code) -> Vec<&Finding> {
    report
        .findings()
        .iter()
        .filter(|f| f.code == code)
        .collect()
}

#[test]
fn a_vulnerable_locked_version_is_an_error_with_id_aliases_severity_and_fix() {
    let report = audit_with("", db("advisories/osv-folder"), "2026-11-25");
    let found = advisories_for(&report, "left-pad");
    assert_eq!(found.len(), 1, "{:#?}", report.findings());
    let f = found[0];
    assert_eq!(f.severity, Severity::Error);
    let a = f.advisory.as_ref().unwrap();
    assert_eq!(a.id, "GHSA-lpad-vuln-1300");
    assert_eq!(a.aliases, vec!["CVE-2026-1111".to_owned()]);
    assert_eq!(a.fixed, vec!["1.3.1".to_owned()]);
    let s = a.severity.as_ref().unwrap();
    assert_eq!(s.rating.as_deref(), Some("high"));
    assert_eq!(s.score, Some(7.5));
    assert_eq!(a.url, "https://example.org/advisories/GHSA-lpad-vuln-1300");
    assert!(f.message.contains("fixed in 1.3.1"), "{}", f.message);
    assert!(!report.passed());
}

#[test]
fn versions_outside_the_range_withdrawn_records_and_other_ecosystems_are_not_reported() {
    let report = audit_with("", db("advisories/osv-folder"), "2026-11-25");
    // esbuild 0.20.2 is locked; the advisory was fixed in 0.19.0.
    assert!(advisories_for(&report, "esbuild").is_empty());
    // The typescript record is withdrawn.
    assert!(advisories_for(&report, "typescript").is_empty());
    // One left-pad finding only: the PyPI record of the same name is not about npm.
    assert_eq!(advisories_for(&report, "left-pad").len(), 1);
}

#[test]
fn git_and_tarball_packages_of_a_registry_name_are_not_the_registry_package() {
    let report = audit_with("", db("advisories/osv-folder"), "2026-11-25");
    assert!(advisories_for(&report, "my-fork").is_empty());
    assert!(advisories_for(&report, "vendored").is_empty());
}

#[test]
fn records_that_alias_each_other_give_one_finding_with_every_id() {
    let report = audit_with("", db("advisories/osv-folder"), "2026-11-25");
    let found = advisories_for(&report, "serde");
    assert_eq!(found.len(), 1, "{found:#?}");
    let a = found[0].advisory.as_ref().unwrap();
    let mut ids = a.aliases.clone();
    ids.push(a.id.clone());
    ids.sort();
    assert_eq!(
        ids,
        vec![
            "CVE-2026-2222".to_owned(),
            "GHSA-srde-alias-of-rustsec".to_owned(),
            "RUSTSEC-2026-9001".to_owned()
        ]
    );
}

#[test]
fn informational_advisories_are_warnings_by_default_and_follow_their_level() {
    let report = audit_with("", db("advisories/osv-folder"), "2026-11-25");
    let itoa = advisories_for(&report, "itoa");
    assert_eq!(itoa.len(), 1);
    assert_eq!(itoa[0].severity, Severity::Warning);
    assert_eq!(
        itoa[0].advisory.as_ref().unwrap().informational.as_deref(),
        Some("unmaintained")
    );
    let quiet = audit_with(
        "[advisories]\ninformational = \"allow\"\nvulnerability = \"warn\"\n",
        db("advisories/osv-folder"),
        "2026-11-25",
    );
    assert!(advisories_for(&quiet, "itoa").is_empty());
    assert_eq!(
        advisories_for(&quiet, "left-pad")[0].severity,
        Severity::Warning
    );
}

#[test]
fn a_zip_of_osv_records_reads_as_the_folder_does() {
    let folder = audit_with("", db("advisories/osv-folder"), "2026-11-25");
    let zip = audit_with("", db("advisories/osv-all.zip"), "2026-11-25");
    let ids = |r: &Report| -> Vec<(String, String)> {
        let mut v: Vec<_> = codes(r, Code::Advisory)
            .iter()
            .map(|f| {
                let mut ids = f.advisory.as_ref().unwrap().aliases.clone();
                ids.push(f.advisory.as_ref().unwrap().id.clone());
                ids.sort();
                (f.package.as_ref().unwrap().name.clone(), ids.join(","))
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(&folder), ids(&zip));
    assert_eq!(ids(&zip).len(), 3);
}

#[test]
fn an_active_exception_by_alias_waives_the_advisory_until_it_expires() {
    let policy = "[[advisories.ignore]]\nid = \"CVE-2026-1111\"\nreason = \"zero-width padding is never requested\"\nexpires = 2026-12-31\n";
    let active = audit_with(policy, db("advisories/osv-folder"), "2026-12-31");
    assert!(advisories_for(&active, "left-pad").is_empty());
    assert!(codes(&active, Code::ExceptionExpired).is_empty());
    assert!(codes(&active, Code::ExceptionUnused).is_empty());

    let expired = audit_with(policy, db("advisories/osv-folder"), "2027-01-01");
    assert_eq!(advisories_for(&expired, "left-pad").len(), 1);
    let e = codes(&expired, Code::ExceptionExpired);
    assert_eq!(e.len(), 1);
    assert!(e[0].message.contains("CVE-2026-1111"), "{}", e[0].message);
    assert!(e[0].message.contains("2026-12-31"), "{}", e[0].message);
}

#[test]
fn an_exception_for_an_advisory_that_matches_nothing_is_reported_unused() {
    let policy =
        "[[advisories.ignore]]\nid = \"GHSA-esbd-fixed-before-locked\"\nreason = \"stale\"\n";
    let report = audit_with(policy, db("advisories/osv-folder"), "2026-11-25");
    let unused = codes(&report, Code::ExceptionUnused);
    assert_eq!(unused.len(), 1);
    assert!(unused[0].message.contains("GHSA-esbd-fixed-before-locked"));
}

#[test]
fn an_advisory_exception_needs_a_reason_and_a_real_date() {
    for (policy, needle) in [
        ("[[advisories.ignore]]\nid = \"X\"\n", "reason"),
        (
            "[[advisories.ignore]]\nid = \"X\"\nreason = \"r\"\nexpires = \"2027-02-30\"\n",
            "expiry",
        ),
        ("[advisories]\nvulnerability = \"loud\"\n", "invalid policy"),
    ] {
        let e = Policy::from_bytes(policy.as_bytes()).unwrap_err();
        assert!(e.to_string().contains(needle), "{policy}: {e}");
    }
}

#[test]
fn a_package_exception_naming_the_advisory_code_waives_its_advisories() {
    let policy =
        "[[exceptions]]\nname = \"serde\"\ncodes = [\"advisory\"]\nreason = \"vendored fix\"\n";
    let report = audit_with(policy, db("advisories/osv-folder"), "2026-11-25");
    assert!(advisories_for(&report, "serde").is_empty());
    assert_eq!(advisories_for(&report, "left-pad").len(), 1);
}

#[test]
fn a_json_file_that_is_not_an_osv_record_is_refused_by_name() {
    let e = Database::load(
        &fixture("advisories/not-an-osv-record"),
        &DatabaseLimits::default(),
    )
    .unwrap_err();
    assert!(matches!(e, DatabaseError::Record { .. }), "{e}");
    assert!(e.to_string().contains("package.json"), "{e}");
}

#[test]
fn rustsec_markdown_is_not_taken_for_an_empty_database() {
    let e = Database::load(
        &fixture("advisories/rustsec-markdown-only"),
        &DatabaseLimits::default(),
    )
    .unwrap_err();
    assert!(matches!(e, DatabaseError::Empty { .. }), "{e}");
    assert!(e.to_string().contains("osv branch"), "{e}");
}

#[test]
fn a_record_over_the_size_limit_is_refused_in_a_folder_and_a_zip() {
    let limits = DatabaseLimits {
        max_record_bytes: 300,
        ..DatabaseLimits::default()
    };
    for rel in ["advisories/osv-folder", "advisories/osv-all.zip"] {
        let e = Database::load(&fixture(rel), &limits).unwrap_err();
        assert!(
            matches!(e, DatabaseError::RecordTooLarge { .. }),
            "{rel}: {e}"
        );
    }
}

#[test]
fn a_file_that_is_not_a_zip_is_refused() {
    let e = Database::load(
        &fixture("npm-v3/package-lock.json"),
        &DatabaseLimits::default(),
    )
    .unwrap_err();
    assert!(matches!(e, DatabaseError::Zip { .. }), "{e}");
}

struct Bucket(Vec<u8>);

impl Fetch for Bucket {
    fn get(&self, url: &str) -> Result<Fetched, OnlineError> {
        Ok(if url == "https://mirror.example/osv/npm/all.zip" {
            Fetched::Body(self.0.clone())
        } else {
            Fetched::NotFound
        })
    }
}

#[test]
fn the_database_downloads_per_ecosystem_and_a_missing_archive_is_an_error() {
    let zip = std::fs::read(fixture("advisories/osv-all.zip")).unwrap();
    let bucket = Url::parse("https://mirror.example/osv/").unwrap();
    let got = fetch_advisories(
        Database::new(),
        &Bucket(zip.clone()),
        &bucket,
        &[Ecosystem::Npm],
        &DatabaseLimits::default(),
    )
    .unwrap();
    assert_eq!(got.records(), 8);
    let e = fetch_advisories(
        Database::new(),
        &Bucket(zip),
        &bucket,
        &[Ecosystem::Cargo],
        &DatabaseLimits::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("crates.io/all.zip"), "{e}");
}

fn cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sigil-audit"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_command_line_reports_advisories_in_json_sarif_and_human_output() {
    let lock = fixture("npm-v3/package-lock.json");
    let dbp = fixture("advisories/osv-all.zip");
    let base = [
        "check",
        "--no-manifests",
        "--date",
        "2026-11-25",
        "--advisories",
        dbp.to_str().unwrap(),
    ];
    let run = |format: &str| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend(["--format", format, lock.to_str().unwrap()]);
        cli(&a)
    };
    let (code, json, _) = run("json");
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "advisory")
        .unwrap();
    assert_eq!(f["advisory"]["id"], "GHSA-lpad-vuln-1300");
    assert_eq!(f["advisory"]["aliases"][0], "CVE-2026-1111");
    assert_eq!(f["advisory"]["fixed"][0], "1.3.1");
    assert_eq!(f["advisory"]["severity"]["rating"], "high");
    assert_eq!(v["advisories"]["records"], 8);
    assert_eq!(v["advisories"]["advisories"], 3);
    assert_eq!(v["advisories"]["filtered"], true);

    let (_, sarif, _) = run("sarif");
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let r = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "advisory")
        .unwrap();
    assert_eq!(r["properties"]["advisory"]["id"], "GHSA-lpad-vuln-1300");
    assert_eq!(r["properties"]["security-severity"], "7.5");

    let (_, human, _) = run("human");
    assert!(
        human.contains("(3 kept: about crates.io or npm packages locked here)"),
        "{human}"
    );
    assert!(
        human.contains("  advisories: 8 records read from "),
        "{human}"
    );
    assert!(
        human.contains("error[advisory] npm left-pad@1.3.0: GHSA-lpad-vuln-1300 (CVE-2026-1111)"),
        "{human}"
    );

    let (code, _, err) = cli(&[
        "check",
        "--advisories",
        fixture("advisories/rustsec-markdown-only")
            .to_str()
            .unwrap(),
        lock.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("holds no OSV records"), "{err}");
}

#[test]
fn a_database_kept_for_some_packages_holds_only_their_advisories_and_matches_the_same() {
    let lockfile = sigil_audit::lockfile::read(
        &fixture("npm-v3/package-lock.json"),
        &sigil_audit::lockfile::Limits::default(),
    )
    .unwrap();
    let mut kept = Database::new().only_packages(&lockfile.packages);
    kept.add_path(
        &fixture("advisories/osv-all.zip"),
        &DatabaseLimits::default(),
    )
    .unwrap();
    let all = db("advisories/osv-all.zip");
    assert_eq!((kept.records(), all.records()), (8, 8));
    assert_eq!((kept.len(), all.len()), (3, 6));
    assert!(kept.is_filtered() && !all.is_filtered());
    let policy = Policy::builtin();
    let today: Date = "2026-11-25".parse().unwrap();
    let names = |db: Database| -> Vec<String> {
        Auditor::new(policy.clone(), today)
            .advisories(db)
            .audit_lockfiles(vec![lockfile.clone()])
            .findings()
            .iter()
            .filter(|f| f.code == Code::Advisory)
            .map(|f| f.advisory.as_ref().unwrap().id.clone())
            .collect()
    };
    assert_eq!(names(kept), names(all));
}
