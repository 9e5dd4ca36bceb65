//! The `sigil-audit` binary end to end: exact exit codes, key output lines, and reports read
//! back as JSON.

// Helpers shared by the tests: a panic here is a failed test, not a crash on input.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sigil-audit");

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Runs `sigil-audit check` with no manifests on disk, so results depend on fixtures only.
fn check(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("check")
        .arg("--no-manifests")
        .args(args)
        .output()
        .expect("run sigil-audit")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 stderr")
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

fn codes(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap_or_default().to_owned(),
                f["code"].as_str().unwrap_or_default().to_owned(),
                f["package"]["name"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

fn has(report: &Value, severity: &str, code: &str, name: &str) -> bool {
    codes(report)
        .iter()
        .any(|(s, c, n)| s == severity && c == code && n == name)
}

const NPM_V3: &str = "npm-v3/package-lock.json";
const POLICY: &str = "policies/npm-app.toml";

/// Runs `sigil-audit check` in `dir` (so that paths in the output are relative) and compares
/// the whole human output with a snapshot in `tests/snapshots/`.
fn assert_snapshot(dir: &str, args: &[&str], snapshot: &str, exit: i32) {
    let o = Command::new(BIN)
        .current_dir(fixture(dir))
        .args(["check", "--no-manifests"])
        .args(args)
        .output()
        .expect("run sigil-audit");
    assert_eq!(code(&o), exit, "{}", stderr(&o));
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(snapshot);
    let expected = std::fs::read_to_string(&path).expect("read snapshot");
    assert_eq!(
        stdout(&o),
        expected,
        "output differs from {}",
        path.display()
    );
}

#[test]
fn human_output_matches_its_snapshots() {
    assert_snapshot(
        "npm-v3",
        &["--date", "2026-11-25", "package-lock.json"],
        "npm-v3-builtin-policy.txt",
        1,
    );
    assert_snapshot(
        "",
        &[
            "--date",
            "2027-01-01",
            "--policy",
            "policies/npm-app.toml",
            "npm-v3/package-lock.json",
        ],
        "npm-v3-expired-exception.txt",
        1,
    );
}

#[test]
fn a_policy_with_reviewed_exceptions_passes_with_exit_0() {
    let npm = fixture(NPM_V3);
    let policy = fixture(POLICY);
    let o = check(&[
        "--date",
        "2026-11-25",
        "--policy",
        policy.to_str().unwrap(),
        npm.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("1 lockfile(s), 12 package(s), 11 checked\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "warning[license-nonstandard] npm vendored@0.0.1: license \"Apache 2.0\" is not valid \
         SPDX; read as \"Apache-2.0\"\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "warning[integrity-weak] npm old-hash@0.1.0: the only digest pinned is SHA-1\n"
        ),
        "{out}"
    );
    assert!(
        out.ends_with("\nPASSED: 0 error(s), 5 warning(s), 1 note(s)\n"),
        "{out}"
    );
}

#[test]
fn an_expired_exception_stops_applying_and_fails_with_exit_1() {
    let npm = fixture(NPM_V3);
    let policy = fixture(POLICY);
    let o = check(&[
        "--date",
        "2027-01-01",
        "--policy",
        policy.to_str().unwrap(),
        "--format",
        "json",
        npm.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["passed"], false);
    assert!(has(&r, "error", "install-script", "esbuild"));
    assert!(has(&r, "warning", "exception-expired", "-"));
    let expired = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "exception-expired")
        .unwrap();
    assert!(expired["file"].as_str().unwrap().ends_with("npm-app.toml"));
    // The last day of an exception still counts.
    let o = check(&[
        "--date",
        "2026-12-31",
        "--policy",
        policy.to_str().unwrap(),
        npm.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn the_builtin_policy_reports_licenses_sources_and_scripts() {
    let npm = fixture(NPM_V3);
    let o = check(&[
        "--date",
        "2026-11-25",
        "--format",
        "json",
        npm.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    let r = json(&o);
    assert!(has(&r, "error", "license-not-allowed", "left-pad"));
    assert!(has(&r, "error", "license-unknown", "local-tool"));
    assert!(has(&r, "warning", "install-script", "esbuild"));
    assert!(has(&r, "warning", "tarball-source", "vendored"));
    assert!(has(&r, "warning", "git-source", "my-fork"));
    assert!(has(&r, "note", "npm-alias", "react"));
    // Several versions of react are locked; the built-in policy does not list duplicates.
    assert!(!has(&r, "note", "duplicate-versions", "react"));
    assert_eq!(r["counts"]["error"], 2);
    assert_eq!(r["policy"]["sha256"], Value::Null);
    assert_eq!(r["lockfiles"][0]["sha256"].as_str().map(str::len), Some(64));
    let esbuild = r["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "esbuild")
        .unwrap();
    assert_eq!(esbuild["has_install_script"], true);
    assert_eq!(esbuild["purl"], "pkg:npm/esbuild@0.20.2");
    assert_eq!(esbuild["source"]["kind"], "registry");
}

#[test]
fn exclude_dev_leaves_dev_only_packages_out() {
    let pnpm = fixture("pnpm-v6/pnpm-lock.yaml");
    let strict = fixture("policies/strict-registry.toml");
    let with_dev = json(&check(&[
        "--date",
        "2026-11-25",
        "--format",
        "json",
        "--policy",
        strict.to_str().unwrap(),
        pnpm.to_str().unwrap(),
    ]));
    assert!(has(&with_dev, "warning", "license-unknown", "typescript"));
    let without = json(&check(&[
        "--date",
        "2026-11-25",
        "--format",
        "json",
        "--exclude-dev",
        "--policy",
        strict.to_str().unwrap(),
        pnpm.to_str().unwrap(),
    ]));
    assert!(!codes(&without).iter().any(|(_, _, n)| n == "typescript"));
    assert_eq!(without["exclude_dev"], true);

    // yarn: dev-only status comes from the package.json beside the lockfile.
    let yarn = fixture("yarn-classic/yarn.lock");
    let without = json(&check(&[
        "--date",
        "2026-11-25",
        "--format",
        "json",
        "--exclude-dev",
        "--policy",
        strict.to_str().unwrap(),
        yarn.to_str().unwrap(),
    ]));
    assert!(
        !codes(&without)
            .iter()
            .any(|(_, _, n)| n.starts_with("@babel/"))
    );
    assert!(has(&without, "error", "registry-not-allowed", "left-pad"));
}

#[test]
fn several_lockfiles_in_one_run() {
    let files = [
        fixture("cargo-v4/Cargo.lock"),
        fixture("yarn-berry/yarn.lock"),
        fixture("pnpm-v9/pnpm-lock.yaml"),
    ];
    let mut args = vec!["--date", "2026-11-25", "--format", "json"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let o = check(&args);
    assert_eq!(code(&o), 1);
    let r = json(&o);
    let formats: Vec<&str> = r["lockfiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["format"].as_str().unwrap())
        .collect();
    assert_eq!(formats, ["cargo", "yarn-berry", "pnpm"]);
    // The unpinned tarball from pnpm, the patch from yarn berry.
    assert!(has(&r, "error", "integrity-missing", "my-fork"));
    assert!(has(&r, "note", "patched-package", "typescript"));
}

#[test]
fn a_registry_outside_the_policy_is_an_error() {
    let yarn = fixture("yarn-classic/yarn.lock");
    let strict = fixture("policies/strict-registry.toml");
    let o = check(&[
        "--date",
        "2026-11-25",
        "--format",
        "json",
        "--policy",
        strict.to_str().unwrap(),
        yarn.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    let r = json(&o);
    assert!(has(&r, "error", "registry-not-allowed", "left-pad"));
    assert!(has(&r, "error", "git-unpinned", "my-fork"));
    assert!(has(&r, "error", "insecure-url", "legacy-widget"));
    assert_eq!(r["policy"]["sha256"].as_str().map(str::len), Some(64));
}

#[test]
fn a_malformed_lockfile_exits_2_naming_the_file_and_the_fault() {
    let bad = fixture("yarn-classic-duplicate-entry/yarn.lock");
    let o = check(&[bad.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(o.stdout.is_empty());
    let err = stderr(&o);
    assert!(err.starts_with("sigil-audit: error: "), "{err}");
    assert!(
        err.contains(
            "yarn-classic-duplicate-entry/yarn.lock: left-pad@^1.3.0: conflicting entries"
        ),
        "{err}"
    );

    let truncated = fixture("npm-truncated/package-lock.json");
    let err = stderr(&check(&[truncated.to_str().unwrap()]));
    assert!(
        err.contains(
            "npm-truncated/package-lock.json: invalid JSON\n  caused by: EOF while parsing"
        ),
        "{err}"
    );
}

#[test]
fn an_invalid_policy_exits_2() {
    let npm = fixture(NPM_V3);
    let bad = fixture("policies/unknown-field.toml");
    let o = check(&["--policy", bad.to_str().unwrap(), npm.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("invalid policy") && err.contains("alow"),
        "{err}"
    );
    let o = check(&["--policy", "/no/such/policy.toml", npm.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("cannot read policy file /no/such/policy.toml"));
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    assert_eq!(code(&check(&[])), 2);
    assert_eq!(code(&check(&["--format", "xml", "Cargo.lock"])), 2);
    assert_eq!(code(&check(&["--date", "2026-02-30", "Cargo.lock"])), 2);
    let help = Command::new(BIN)
        .args(["check", "--help"])
        .output()
        .unwrap();
    assert_eq!(code(&help), 0);
    assert!(stdout(&help).contains("--exclude-dev"));
}

#[test]
fn sarif_has_one_result_per_finding_and_a_rule_per_code() {
    let npm = fixture(NPM_V3);
    let o = check(&[
        "--date",
        "2026-11-25",
        "--format",
        "sarif",
        npm.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    let s = json(&o);
    assert_eq!(s["version"], "2.1.0");
    let run = &s["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "sigil-audit");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 9);
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with("npm-v3/package-lock.json")
        );
    }
    let left_pad = results
        .iter()
        .find(|r| r["ruleId"] == "license-not-allowed")
        .unwrap();
    assert_eq!(left_pad["level"], "error");
    assert_eq!(
        left_pad["locations"][0]["logicalLocations"][0]["name"],
        "left-pad@1.3.0"
    );
}

#[test]
fn cyclonedx_and_spdx_sboms_list_the_checked_packages() {
    let npm = fixture(NPM_V3);
    let cdx = json(&check(&[
        "--date",
        "2026-11-25",
        "--format",
        "cyclonedx",
        npm.to_str().unwrap(),
    ]));
    assert_eq!(cdx["bomFormat"], "CycloneDX");
    assert_eq!(cdx["specVersion"], "1.6");
    assert!(
        cdx["serialNumber"]
            .as_str()
            .unwrap()
            .starts_with("urn:uuid:")
    );
    let components = cdx["components"].as_array().unwrap();
    assert_eq!(components.len(), 11); // 12 packages less the workspace member
    let ts = components
        .iter()
        .find(|c| c["name"] == "typescript")
        .unwrap();
    assert_eq!(ts["scope"], "excluded");
    assert_eq!(ts["licenses"][0]["expression"], "Apache-2.0");
    assert_eq!(ts["hashes"][0]["alg"], "SHA-512");
    let vendored = components.iter().find(|c| c["name"] == "vendored").unwrap();
    // The non-SPDX "Apache 2.0" is published in its SPDX form.
    assert_eq!(vendored["licenses"][0]["expression"], "Apache-2.0");
    assert_eq!(vendored["externalReferences"][0]["type"], "distribution");

    let spdx = json(&check(&[
        "--date",
        "2026-11-25",
        "--format",
        "spdx",
        npm.to_str().unwrap(),
    ]));
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    assert_eq!(spdx["dataLicense"], "CC0-1.0");
    let packages = spdx["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 11);
    assert_eq!(spdx["relationships"].as_array().unwrap().len(), 11);
    let pad = packages.iter().find(|p| p["name"] == "left-pad").unwrap();
    assert_eq!(pad["licenseDeclared"], "WTFPL");
    assert_eq!(pad["checksums"][0]["algorithm"], "SHA512");
    assert_eq!(
        pad["externalRefs"][0]["referenceLocator"],
        "pkg:npm/left-pad@1.3.0"
    );
    let local = packages.iter().find(|p| p["name"] == "local-tool").unwrap();
    assert_eq!(local["licenseDeclared"], "NOASSERTION");
    assert_eq!(local["licenseConcluded"], "NOASSERTION");
    // Same inputs, same document identity.
    let again = json(&check(&[
        "--date",
        "2026-11-25",
        "--format",
        "spdx",
        npm.to_str().unwrap(),
    ]));
    assert_eq!(spdx["documentNamespace"], again["documentNamespace"]);
}

#[test]
fn sboms_carry_the_license_a_clarification_concludes() {
    let npm = fixture(NPM_V3);
    let policy = fixture(POLICY);
    let args = |format| {
        vec![
            "--date",
            "2026-11-25",
            "--format",
            format,
            "--policy",
            policy.to_str().unwrap(),
            npm.to_str().unwrap(),
        ]
    };
    let spdx = json(&check(&args("spdx")));
    let local = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "local-tool")
        .unwrap();
    assert_eq!(local["licenseConcluded"], "MIT");
    assert_eq!(local["licenseDeclared"], "NOASSERTION");
    let cdx = json(&check(&args("cyclonedx")));
    let local = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "local-tool")
        .unwrap();
    assert_eq!(
        local["licenses"],
        serde_json::json!([{ "expression": "MIT", "acknowledgement": "concluded" }])
    );
}

#[test]
fn output_is_written_to_a_file_and_the_status_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let npm = fixture(NPM_V3);
    let o = check(&[
        "--date",
        "2026-11-25",
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
        npm.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    assert!(o.stdout.is_empty());
    assert!(stderr(&o).starts_with(
        "sigil-audit: FAILED: 2 error(s), 6 warning(s), 1 note(s); report written to "
    ));
    let r: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(r["format"], "sigil-audit-report/1");
    assert_eq!(r["counts"]["warning"], 6);
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let npm = fixture(NPM_V3);
    let policy = fixture(POLICY);
    let mut child = Command::new(BIN)
        .args([
            "check",
            "--no-manifests",
            "--date",
            "2026-11-25",
            "--format",
            "json",
        ])
        .arg("--policy")
        .arg(&policy)
        .arg(&npm)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before the report is written.
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
}

#[test]
fn cargo_lock_whose_checksum_splits_a_character_is_an_error_not_an_abort() {
    let o = check(&[fixture("cargo-checksum-split-character/Cargo.lock")
        .to_str()
        .expect("utf-8 path")]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the checksum of package itoa holds non-ASCII characters"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

#[test]
fn a_panic_is_an_internal_error_with_exit_2() {
    let o = Command::new(BIN)
        .env(sigil_cli::PANIC_TEST_VAR, "1")
        .args(["check", "--no-manifests"])
        .arg(fixture("npm-v3/package-lock.json"))
        .output()
        .expect("run sigil-audit");
    assert_eq!((code(&o), stdout(&o).as_str()), (2, ""));
    let err = stderr(&o);
    let prefix = format!(
        "sigil-audit: internal error (a bug in sigil-audit {}): ",
        env!("CARGO_PKG_VERSION")
    );
    assert!(err.starts_with(&prefix), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
