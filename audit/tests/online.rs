//! The online checks against a loopback server playing the crates.io sparse index and the npm
//! registry: yanked and vanished crates, npm signatures that verify, that do not, that are
//! missing, and registry integrity that differs from the lockfile's. No test touches the
//! internet.

// Test scaffolding: a panic here is a failed test, not a crash on input.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sigil_audit::online::{HttpFetch, HttpOptions, OnlineCheck, OnlineError};
use sigil_audit::policy::{Date, Policy};
use sigil_audit::{AuditError, Auditor};
use sigil_keys::{PrivateKey, Scheme};
use support::Server;

const BIN: &str = env!("CARGO_BIN_EXE_sigil-audit");
const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// Unknown licenses are allowed so that only the online findings fail these lockfiles.
const POLICY: &str = "[licenses]\nunknown = \"allow\"\n";

fn index_file(name: &str, versions: &[(&str, bool)]) -> Vec<u8> {
    versions
        .iter()
        .map(|(v, yanked)| {
            format!(
                "{}\n",
                json!({"name": name, "vers": v, "deps": [], "cksum": "00", "features": {}, "yanked": yanked})
            )
        })
        .collect::<String>()
        .into_bytes()
}

fn sri(fill: u8) -> String {
    format!("sha512-{}", STANDARD.encode([fill; 64]))
}

/// The scenario: what the lockfiles pin and what the registries answer.
struct Scenario {
    server: Server,
    dir: tempfile::TempDir,
}

impl Scenario {
    fn cargo_lock(&self) -> PathBuf {
        self.dir.path().join("Cargo.lock")
    }

    fn package_lock(&self) -> PathBuf {
        self.dir.path().join("package-lock.json")
    }

    fn policy(&self, extra: &str) -> PathBuf {
        let path = self.dir.path().join("policy.toml");
        std::fs::write(&path, format!("{POLICY}{extra}")).unwrap();
        path
    }
}

fn scenario() -> Scenario {
    let key = PrivateKey::generate(Scheme::EcdsaP256Sha256).unwrap();
    let forger = PrivateKey::generate(Scheme::EcdsaP256Sha256).unwrap();
    let sign = |message: &str| STANDARD.encode(key.sign(message.as_bytes()).unwrap());
    let mut routes = BTreeMap::new();
    let mut route = |path: &str, body: Vec<u8>| {
        routes.insert(path.to_owned(), (200, body));
    };

    // crates.io: `old` 0.1.0 is yanked, `serde` 1.0.0 is clean, `vanished` is not in the index,
    // and `log` 0.4.99 is a version the index does not list.
    route(
        "/index/3/o/old",
        index_file("old", &[("0.1.0", true), ("0.2.0", false)]),
    );
    route(
        "/index/se/rd/serde",
        index_file("serde", &[("1.0.0", false)]),
    );
    route("/index/3/l/log", index_file("log", &[("0.4.0", false)]));
    // `cc` is locked through the sparse protocol's spelling of crates.io, and yanked.
    route(
        "/index/2/cc",
        index_file("cc", &[("1.0.0", true), ("1.0.1", false)]),
    );

    // npm: keys document with the registry key (and an expired one, still listed).
    let spki = STANDARD.encode(key.public_key().to_spki_der());
    route(
        "/npm/-/npm/v1/keys",
        serde_json::to_vec(&json!({"keys": [
            {"keyid": "SHA256:registry", "keytype": "ecdsa-sha2-nistp256", "scheme": "ecdsa-sha2-nistp256",
             "key": spki, "expires": null},
        ]}))
        .unwrap(),
    );
    let version_doc = |name: &str, integrity: &str, signatures: Value| {
        serde_json::to_vec(&json!({
            "name": name, "version": "1.0.0",
            "dist": {"integrity": integrity, "tarball": "https://x.test/t.tgz", "signatures": signatures},
        }))
        .unwrap()
    };
    // Signed, verifies.
    route(
        "/npm/signed-ok/1.0.0",
        version_doc(
            "signed-ok",
            &sri(1),
            json!([{"keyid": "SHA256:registry", "sig": sign(&format!("signed-ok@1.0.0:{}", sri(1)))}]),
        ),
    );
    route(
        "/npm/@scope%2fsigned-ok/1.0.0",
        version_doc(
            "@scope/signed-ok",
            &sri(2),
            json!([{"keyid": "SHA256:registry", "sig": sign(&format!("@scope/signed-ok@1.0.0:{}", sri(2)))}]),
        ),
    );
    // The registry signed sri(3); a mirror and the lockfile both carry sri(33).
    route(
        "/npm/tampered/1.0.0",
        version_doc(
            "tampered",
            &sri(33),
            json!([{"keyid": "SHA256:registry", "sig": sign(&format!("tampered@1.0.0:{}", sri(3)))}]),
        ),
    );
    // No signatures at all.
    route(
        "/npm/unsigned/1.0.0",
        version_doc("unsigned", &sri(4), json!([])),
    );
    // The registry's integrity differs from the lockfile's (and is what it signed).
    route(
        "/npm/swapped/1.0.0",
        version_doc(
            "swapped",
            &sri(55),
            json!([{"keyid": "SHA256:registry", "sig": sign(&format!("swapped@1.0.0:{}", sri(55)))}]),
        ),
    );
    // Signed by a key the registry does not publish.
    let forged = STANDARD.encode(
        forger
            .sign(format!("forged@1.0.0:{}", sri(6)).as_bytes())
            .unwrap(),
    );
    route(
        "/npm/forged/1.0.0",
        version_doc(
            "forged",
            &sri(6),
            json!([{"keyid": "SHA256:attacker", "sig": forged}]),
        ),
    );

    let dir = tempfile::tempdir().unwrap();
    let checksum = "ab".repeat(32);
    let cargo_lock: String = [
        ("old", "0.1.0"),
        ("serde", "1.0.0"),
        ("vanished", "2.0.0"),
        ("log", "0.4.99"),
    ]
    .iter()
    .map(|(n, v)| {
        format!(
            "[[package]]\nname = \"{n}\"\nversion = \"{v}\"\nsource = \"{CRATES_IO}\"\nchecksum = \"{checksum}\"\n\n"
        )
    })
    .collect();
    let sparse = format!(
        "[[package]]\nname = \"cc\"\nversion = \"1.0.0\"\nsource = \"sparse+https://index.crates.io/\"\nchecksum = \"{checksum}\"\n\n"
    );
    std::fs::write(
        dir.path().join("Cargo.lock"),
        format!("version = 3\n\n{cargo_lock}{sparse}"),
    )
    .unwrap();
    let npm_package = |name: &str, integrity: String| {
        let file = name.rsplit('/').next().unwrap();
        (
            format!("node_modules/{name}"),
            json!({
                "version": "1.0.0",
                "resolved": format!("https://registry.npmjs.org/{name}/-/{file}-1.0.0.tgz"),
                "integrity": integrity,
                "license": "MIT",
            }),
        )
    };
    let mut packages = serde_json::Map::new();
    packages.insert("".into(), json!({"name": "app", "version": "1.0.0"}));
    for (name, integrity) in [
        ("signed-ok", sri(1)),
        ("@scope/signed-ok", sri(2)),
        ("tampered", sri(33)),
        ("unsigned", sri(4)),
        ("swapped", sri(5)),
        ("forged", sri(6)),
        ("unpublished", sri(7)),
    ] {
        let (k, v) = npm_package(name, integrity);
        packages.insert(k, v);
    }
    let lock = json!({"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": packages});
    std::fs::write(
        dir.path().join("package-lock.json"),
        serde_json::to_vec_pretty(&lock).unwrap(),
    )
    .unwrap();

    Scenario {
        server: Server::start(routes),
        dir,
    }
}

fn today() -> Date {
    "2026-11-25".parse().unwrap()
}

fn online(s: &Scenario) -> OnlineCheck {
    OnlineCheck::new(HttpFetch::new(&HttpOptions::default()).unwrap()).sources(s.server.sources())
}

fn findings_of(report: &sigil_audit::Report) -> Vec<(String, String, String)> {
    let v: Value =
        serde_json::from_str(&report.render(sigil_audit::OutputFormat::Json).unwrap()).unwrap();
    codes(&v)
}

fn codes(report: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
                f["package"]["name"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn finding(code: &str, severity: &str, name: &str) -> (String, String, String) {
    (code.to_owned(), severity.to_owned(), name.to_owned())
}

#[test]
fn yanked_and_vanished_crates_are_found_and_clean_ones_pass() {
    let s = scenario();
    let policy = Policy::from_bytes(POLICY.as_bytes()).unwrap();
    let report = Auditor::new(policy, today())
        .audit_online(&[s.cargo_lock()], &online(&s))
        .unwrap();
    assert_eq!(
        findings_of(&report),
        vec![
            finding("crate-not-in-registry", "warning", "log"),
            finding("crate-not-in-registry", "warning", "vanished"),
            finding("crate-yanked", "error", "cc"),
            finding("crate-yanked", "error", "old"),
        ]
    );
    assert!(!report.passed());
    let mut asked = s.server.asked();
    asked.sort();
    assert_eq!(
        asked,
        [
            "/index/2/cc",
            "/index/3/l/log",
            "/index/3/o/old",
            "/index/se/rd/serde",
            "/index/va/ni/vanished"
        ]
    );
}

#[test]
fn npm_signatures_over_tampered_integrity_or_by_unknown_keys_are_invalid() {
    let s = scenario();
    let policy = Policy::from_bytes(POLICY.as_bytes()).unwrap();
    let report = Auditor::new(policy, today())
        .audit_online(&[s.package_lock()], &online(&s))
        .unwrap();
    assert_eq!(
        findings_of(&report),
        vec![
            finding("npm-integrity-mismatch", "error", "swapped"),
            finding("npm-not-in-registry", "warning", "unpublished"),
            finding("npm-signature-invalid", "error", "forged"),
            finding("npm-signature-invalid", "error", "swapped"),
            finding("npm-signature-invalid", "error", "tampered"),
            finding("npm-signature-missing", "warning", "unsigned"),
        ]
    );
    let json: Value =
        serde_json::from_str(&report.render(sigil_audit::OutputFormat::Json).unwrap()).unwrap();
    let mismatch = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "npm-integrity-mismatch")
        .unwrap();
    assert!(
        mismatch["message"].as_str().unwrap().starts_with(&format!(
            "the registry's integrity is {}, the lockfile pins {} (",
            sri(55),
            sri(5)
        )),
        "{mismatch}"
    );
    // The keys document is fetched once, however many packages are signed.
    let asked = s.server.asked();
    assert_eq!(
        asked
            .iter()
            .filter(|p| p.ends_with("/-/npm/v1/keys"))
            .count(),
        1
    );
    assert!(asked.contains(&"/npm/@scope%2fsigned-ok/1.0.0".to_owned()));
}

#[test]
fn offline_audit_makes_no_request() {
    let s = scenario();
    let policy = Policy::from_bytes(POLICY.as_bytes()).unwrap();
    let report = Auditor::new(policy, today())
        .audit(&[s.cargo_lock(), s.package_lock()])
        .unwrap();
    assert!(report.passed());
    assert!(s.server.asked().is_empty());
}

#[test]
fn yanked_level_and_exceptions_come_from_the_policy() {
    let s = scenario();
    let policy = Policy::from_bytes(
        format!(
            "{POLICY}[sources]\nyanked = \"warn\"\n\n[[exceptions]]\nname = \"vanished\"\n\
             codes = [\"crate-not-in-registry\"]\nreason = \"published from our private fork\"\n"
        )
        .as_bytes(),
    )
    .unwrap();
    let report = Auditor::new(policy, today())
        .audit_online(&[s.cargo_lock()], &online(&s))
        .unwrap();
    assert_eq!(
        findings_of(&report),
        vec![
            finding("crate-not-in-registry", "warning", "log"),
            finding("crate-yanked", "warning", "cc"),
            finding("crate-yanked", "warning", "old"),
        ]
    );
    assert!(report.passed());
}

#[test]
fn request_cap_stops_the_run_with_an_error() {
    let s = scenario();
    let policy = Policy::from_bytes(POLICY.as_bytes()).unwrap();
    let err = Auditor::new(policy, today())
        .audit_online(&[s.cargo_lock()], &online(&s).max_requests(2))
        .unwrap_err();
    assert!(
        matches!(
            err,
            AuditError::Online(OnlineError::TooManyRequests { limit: 2 })
        ),
        "{err:?}"
    );
    assert_eq!(s.server.asked().len(), 2);
}

#[test]
fn oversized_registry_answer_is_refused() {
    let mut routes = BTreeMap::new();
    routes.insert("/index/se/rd/serde".to_owned(), (200, vec![b' '; 4096]));
    let server = Server::start(routes);
    let fetch = HttpFetch::new(&HttpOptions {
        max_response_bytes: 1024,
        ..HttpOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("Cargo.lock");
    std::fs::write(
        &lock,
        format!(
            "version = 3\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\nchecksum = \"{}\"\n",
            "ab".repeat(32)
        ),
    )
    .unwrap();
    let err = Auditor::new(Policy::builtin(), today())
        .audit_online(&[lock], &OnlineCheck::new(fetch).sources(server.sources()))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the answer from {}se/rd/serde is larger than the limit of 1024 bytes",
            server.crates_index()
        )
    );
}

#[test]
fn server_error_is_an_operational_error_not_a_finding() {
    let mut routes = BTreeMap::new();
    routes.insert("/index/se/rd/serde".to_owned(), (503, Vec::new()));
    let server = Server::start(routes);
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("Cargo.lock");
    std::fs::write(
        &lock,
        format!(
            "version = 3\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\nchecksum = \"{}\"\n",
            "ab".repeat(32)
        ),
    )
    .unwrap();
    let err = Auditor::new(Policy::builtin(), today())
        .audit_online(
            &[lock],
            &OnlineCheck::new(HttpFetch::new(&HttpOptions::default()).unwrap())
                .sources(server.sources()),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}se/rd/serde answered HTTP 503, expected 200 or 404",
            server.crates_index()
        )
    );
}

// The binary end to end.

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("check")
        .arg("--no-manifests")
        .args(args)
        .output()
        .unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn cli_online_reports_registry_findings_as_json_and_fails() {
    let s = scenario();
    let policy = s.policy("");
    let (index, registry) = (s.server.crates_index(), s.server.npm_registry());
    let out = run(&[
        "--online",
        "--crates-index",
        &index,
        "--npm-registry",
        &registry,
        "--policy",
        path(&policy),
        "--format",
        "json",
        "--date",
        "2026-11-25",
        path(&s.cargo_lock()),
        path(&s.package_lock()),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["passed"], false);
    let found = codes(&report);
    for expected in [
        finding("crate-yanked", "error", "old"),
        finding("crate-not-in-registry", "warning", "vanished"),
        finding("npm-signature-invalid", "error", "tampered"),
        finding("npm-signature-missing", "warning", "unsigned"),
        finding("npm-integrity-mismatch", "error", "swapped"),
    ] {
        assert!(found.contains(&expected), "{expected:?} not in {found:?}");
    }
    assert!(
        !found
            .iter()
            .any(|(_, _, n)| n == "signed-ok" || n == "@scope/signed-ok" || n == "serde")
    );
}

#[test]
fn cli_online_passes_when_the_registries_agree() {
    let s = scenario();
    let policy = s.policy("");
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("Cargo.lock");
    std::fs::write(
        &lock,
        format!(
            "version = 3\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\nsource = \"{CRATES_IO}\"\nchecksum = \"{}\"\n",
            "ab".repeat(32)
        ),
    )
    .unwrap();
    let index = s.server.crates_index();
    let out = run(&[
        "--online",
        "--crates-index",
        &index,
        "--policy",
        path(&policy),
        "--format",
        "json",
        path(&lock),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(codes(&serde_json::from_slice(&out.stdout).unwrap()), vec![]);
}

#[test]
fn cli_unreachable_registry_exits_2_naming_the_url() {
    let s = scenario();
    // A port nothing listens on: bind, note it, and close it.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/index/", l.local_addr().unwrap())
    };
    let out = run(&[
        "--online",
        "--crates-index",
        &closed,
        "--format",
        "json",
        path(&s.cargo_lock()),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with(&format!("sigil-audit: error: cannot fetch {closed}")),
        "{err}"
    );
}

#[test]
fn cli_registry_override_without_online_is_a_usage_error() {
    let s = scenario();
    let index = s.server.crates_index();
    let out = run(&["--crates-index", &index, path(&s.cargo_lock())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--online"));
    assert!(s.server.asked().is_empty());
}

/// A one-package npm lockfile for `name`@1.0.0 from npmjs, pinning `integrity`.
fn npm_lock(dir: &Path, name: &str, integrity: &str) -> PathBuf {
    let path = dir.join("package-lock.json");
    let lock = json!({"name": "app", "version": "1.0.0", "lockfileVersion": 3, "packages": {
        "": {"name": "app", "version": "1.0.0"},
        format!("node_modules/{name}"): {
            "version": "1.0.0",
            "resolved": format!("https://registry.npmjs.org/{name}/-/{name}-1.0.0.tgz"),
            "integrity": integrity,
            "license": "MIT",
        },
    }});
    std::fs::write(&path, serde_json::to_vec(&lock).unwrap()).unwrap();
    path
}

fn audit_npm_against(
    routes: BTreeMap<String, (u16, Vec<u8>)>,
) -> Result<sigil_audit::Report, AuditError> {
    let server = Server::start(routes);
    let dir = tempfile::tempdir().unwrap();
    let lock = npm_lock(dir.path(), "pkg", &sri(1));
    Auditor::new(Policy::builtin(), today()).audit_online(
        &[lock],
        &OnlineCheck::new(HttpFetch::new(&HttpOptions::default()).unwrap())
            .sources(server.sources()),
    )
}

fn keys_doc(keyid: &str, key: &PrivateKey) -> (u16, Vec<u8>) {
    let spki = STANDARD.encode(key.public_key().to_spki_der());
    let doc = json!({"keys": [{"keyid": keyid, "key": spki, "expires": null}]});
    (200, serde_json::to_vec(&doc).unwrap())
}

fn signed_doc(keyid: &str, sig: &str) -> (u16, Vec<u8>) {
    let doc = json!({"dist": {"integrity": sri(1), "signatures": [{"keyid": keyid, "sig": sig}]}});
    (200, serde_json::to_vec(&doc).unwrap())
}

#[test]
fn registry_answering_html_is_an_error_naming_the_url_not_a_pass() {
    let mut routes = BTreeMap::new();
    routes.insert(
        "/npm/pkg/1.0.0".to_owned(),
        (200, b"<html>captive portal</html>".to_vec()),
    );
    let err = audit_npm_against(routes).unwrap_err();
    assert!(
        matches!(&err, AuditError::Online(OnlineError::Json { url, .. }) if url.ends_with("/npm/pkg/1.0.0")),
        "{err:?}"
    );
}

#[test]
fn registry_key_that_is_not_ecdsa_p256_is_refused() {
    let ed = PrivateKey::generate(Scheme::Ed25519).unwrap();
    let sig = STANDARD.encode(ed.sign(format!("pkg@1.0.0:{}", sri(1)).as_bytes()).unwrap());
    let mut routes = BTreeMap::new();
    routes.insert("/npm/pkg/1.0.0".to_owned(), signed_doc("SHA256:ed", &sig));
    routes.insert("/npm/-/npm/v1/keys".to_owned(), keys_doc("SHA256:ed", &ed));
    let err = audit_npm_against(routes).unwrap_err();
    assert!(
        matches!(&err, AuditError::Online(OnlineError::KeyScheme { keyid, .. }) if keyid == "SHA256:ed"),
        "{err:?}"
    );
}

#[test]
fn signature_that_is_not_base64_is_invalid() {
    let key = PrivateKey::generate(Scheme::EcdsaP256Sha256).unwrap();
    let mut routes = BTreeMap::new();
    routes.insert(
        "/npm/pkg/1.0.0".to_owned(),
        signed_doc("SHA256:k", "!!not base64!!"),
    );
    routes.insert("/npm/-/npm/v1/keys".to_owned(), keys_doc("SHA256:k", &key));
    let report = audit_npm_against(routes).unwrap();
    assert_eq!(
        findings_of(&report),
        vec![finding("npm-signature-invalid", "error", "pkg")]
    );
}

#[test]
fn valid_signature_alone_passes() {
    let key = PrivateKey::generate(Scheme::EcdsaP256Sha256).unwrap();
    let sig = STANDARD.encode(
        key.sign(format!("pkg@1.0.0:{}", sri(1)).as_bytes())
            .unwrap(),
    );
    let mut routes = BTreeMap::new();
    routes.insert("/npm/pkg/1.0.0".to_owned(), signed_doc("SHA256:k", &sig));
    routes.insert("/npm/-/npm/v1/keys".to_owned(), keys_doc("SHA256:k", &key));
    let report = audit_npm_against(routes).unwrap();
    assert_eq!(findings_of(&report), vec![]);
    assert!(report.passed());
}
