//! Lockfiles written by the real package managers (npm, yarn 1, yarn 4, pnpm 9, cargo), with the
//! installed packages' manifests cut down to their name, version and license fields: every
//! lockfile entry is found, each license equals the one in the package's own manifest, and a
//! clean project gives no false findings.

#![allow(clippy::unwrap_used, clippy::expect_used)]

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

/// The licenses the npm packages these fixtures install declare in their own package.json.
const NPM_LICENSES: &[(&str, &str, &str)] = &[
    ("debug", "2.6.9", "MIT"),
    ("ms", "2.0.0", "MIT"),
    ("ms", "2.1.3", "MIT"),
    ("tv4", "1.3.0", "Public Domain OR MIT"),
    ("json-schema", "0.2.3", "AFLv2.1 OR BSD"),
];

/// Every package of `lockfiles` that is not the project's own code has the license `expected`
/// gives it (`None`: no manifest declares one on this machine), and there is nothing else.
fn assert_licenses(lockfiles: &[Lockfile], expected: &[(&str, &str, Option<&str>)]) {
    let mut found: Vec<(String, String, Option<String>)> = lockfiles
        .iter()
        .flat_map(|l| &l.packages)
        .filter(|p| !p.is_workspace())
        .map(|p| (p.name.clone(), p.version.clone(), p.license.clone()))
        .collect();
    found.sort();
    found.dedup();
    let mut want: Vec<(String, String, Option<String>)> = expected
        .iter()
        .map(|(n, v, l)| ((*n).to_owned(), (*v).to_owned(), l.map(str::to_owned)))
        .collect();
    want.sort();
    want.dedup();
    assert_eq!(found, want);
}

fn npm_expected(
    extra: &[(&'static str, &'static str, Option<&'static str>)],
) -> Vec<(&'static str, &'static str, Option<&'static str>)> {
    NPM_LICENSES
        .iter()
        .map(|(n, v, l)| (*n, *v, Some(*l)))
        .chain(extra.iter().copied())
        .collect()
}

/// The only findings a clean project of these fixtures should give: the two old packages'
/// non-SPDX license spellings, and notes.
fn assert_clean(findings: &[Finding]) {
    let unexpected: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity != Severity::Note)
        .filter(|f| {
            let old = f
                .package
                .as_ref()
                .is_some_and(|p| p.name == "tv4" || p.name == "json-schema");
            !(old && f.code.as_str() == "license-nonstandard")
        })
        .collect();
    assert!(unexpected.is_empty(), "{}", shown(findings));
}

#[test]
fn yarn_classic_reads_nested_copies() {
    let path = "yarn1/yarn.lock";
    assert_eq!(read(path).packages.len(), yarn_entries(path));
    let (lockfiles, findings) = audit(&[path]);
    // ms@2.0.0 is installed twice, nested under debug and as the alias old-ms; the hoisted
    // node_modules/ms is 2.1.3. fsevents is for macOS only and not installed here.
    assert_licenses(&lockfiles, &npm_expected(&[("fsevents", "2.3.3", None)]));
    assert_clean(&findings);
}

#[test]
fn yarn_berry_node_modules_reads_nested_copies() {
    let path = "yarn4-node-modules/yarn.lock";
    let (lockfiles, findings) = audit(&[path]);
    let uninstalled = lockfiles[0]
        .packages
        .iter()
        .filter(|p| {
            !p.is_workspace()
                && !NPM_LICENSES
                    .iter()
                    .any(|(n, v, _)| p.name == *n && p.version == *v)
        })
        .map(|p| (p.name.as_str(), p.version.as_str(), p.license.as_deref()))
        .collect::<Vec<_>>();
    // What is left is fsevents (macOS only) and node-gyp's tree, which yarn adds for
    // fsevents: none of it is installed on this platform.
    assert!(
        uninstalled.iter().all(|(_, _, l)| l.is_none()),
        "{uninstalled:?}"
    );
    assert!(uninstalled.iter().any(|(n, _, _)| *n == "fsevents"));
    let mut expected = npm_expected(&[]);
    expected.extend(uninstalled);
    assert_licenses(&lockfiles, &expected);
    assert_clean(&findings);
}

#[test]
fn pnpm9_workspace_reads_peer_suffixed_folders_links_and_files() {
    let path = "pnpm9-workspace/app/pnpm-lock.yaml";
    let (lockfiles, findings) = audit(&[path]);
    let expected = npm_expected(&[
        ("fsevents", "2.3.3", None),
        ("react", "18.3.1", Some("MIT")),
        // Stored under .pnpm/react-dom@18.2.0_react@18.3.1.
        ("react-dom", "18.2.0", Some("MIT")),
        ("scheduler", "0.23.2", Some("MIT")),
        ("loose-envify", "1.4.0", Some("MIT")),
        ("js-tokens", "4.0.0", Some("MIT")),
        // `file:../file-lib` and `link:../outside-lib`, read from their folders.
        ("file-lib", "2.0.0", Some("ISC")),
        ("outside-lib", "3.1.0", Some("MIT")),
    ]);
    assert_licenses(&lockfiles, &expected);
    let local: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.code.as_str() == "local-source")
        .collect();
    assert_eq!(local.len(), 2, "{}", shown(&findings));
    let others: Vec<Finding> = findings
        .iter()
        .filter(|f| f.code.as_str() != "local-source")
        .cloned()
        .collect();
    assert_clean(&others);
}

#[test]
fn npm10_workspace_tells_outside_folders_from_members() {
    let path = "npm10-workspace/app/package-lock.json";
    let (lockfiles, findings) = audit(&[path]);
    let l = &lockfiles[0];
    assert!(find(&lockfiles, "w", "1.0.0").is_workspace());
    let outside = find(&lockfiles, "outside-npm", "0.4.0");
    assert_eq!(
        outside.source,
        sigil_audit::model::Source::Path {
            path: Some("../outside-npm".into())
        }
    );
    assert_licenses(
        std::slice::from_ref(l),
        &npm_expected(&[
            ("fsevents", "2.3.3", Some("MIT")),
            ("outside-npm", "0.4.0", Some("Apache-2.0")),
        ]),
    );
    let others: Vec<Finding> = findings
        .iter()
        .filter(|f| f.code.as_str() != "local-source")
        .cloned()
        .collect();
    assert_clean(&others);
}

#[test]
fn cargo_path_dependency_outside_the_workspace_has_its_license() {
    let (lockfiles, findings) = audit(&["cargo-path-outside/ws/Cargo.lock"]);
    assert!(find(&lockfiles, "app", "0.1.0").is_workspace());
    let outside = find(&lockfiles, "outside-crate", "0.3.0");
    assert_eq!(
        outside.source,
        sigil_audit::model::Source::Path {
            path: Some("../outside-crate".into())
        }
    );
    assert_eq!(outside.license.as_deref(), Some("Apache-2.0 OR MIT"));
    let codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["local-source"], "{}", shown(&findings));
}

#[test]
fn emptied_cargo_and_yarn_lockfiles_do_not_pass() {
    for path in ["cargo-emptied/Cargo.lock", "yarn-classic-emptied/yarn.lock"] {
        let error = Auditor::new(Policy::builtin(), "2026-11-25".parse().unwrap())
            .audit(&[fixture(path)])
            .map(|r| r.passed())
            .expect_err(path);
        let shown = error.to_string();
        assert!(
            shown.contains(path) && shown.contains("lists no packages"),
            "{shown}"
        );
    }
}

fn audit_with(policy: &str, paths: &[&str]) -> Vec<Finding> {
    let policy = Policy::from_bytes(policy.as_bytes()).unwrap();
    Auditor::new(policy, "2026-11-25".parse().unwrap())
        .audit(&paths.iter().map(|p| fixture(p)).collect::<Vec<_>>())
        .unwrap_or_else(|e| panic!("{paths:?}: {e}"))
        .findings()
        .to_vec()
}

#[test]
fn npm_without_resolved_urls_does_not_slip_past_a_registry_allow_list() {
    let corp_only = "[sources]\nregistries = [\"https://npm.corp.test/\"]\n";
    // No .npmrc: npm downloads from its default registry, which this policy does not allow.
    let findings = audit_with(corp_only, &["npm-omit-resolved/package-lock.json"]);
    let refused: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.code.as_str() == "registry-not-allowed" && f.severity == Severity::Error)
        .collect();
    assert_eq!(refused.len(), 2, "{}", shown(&findings));
    assert!(
        refused[0]
            .message
            .contains("npm's default registry is https://registry.npmjs.org/"),
        "{}",
        refused[0].message
    );
    // The project's .npmrc points at the corporate registry, and @types at another one.
    let findings = audit_with(
        corp_only,
        &["npm-omit-resolved-corp-npmrc/package-lock.json"],
    );
    let refused: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.code.as_str() == "registry-not-allowed")
        .collect();
    assert_eq!(refused.len(), 1, "{}", shown(&findings));
    assert_eq!(refused[0].package.as_ref().unwrap().name, "@types/ms");
    assert!(refused[0].message.contains("https://types.corp.test/"));
    let both =
        "[sources]\nregistries = [\"https://npm.corp.test/\", \"https://types.corp.test/\"]\n";
    let findings = audit_with(both, &["npm-omit-resolved-corp-npmrc/package-lock.json"]);
    assert!(errors(&findings).is_empty(), "{}", shown(&findings));
}

#[test]
fn yarn_pnp_reads_licenses_from_the_cache_archives() {
    let path = "yarn4-pnp/yarn.lock";
    assert_eq!(read(path).packages.len(), yarn_entries(path));
    let (lockfiles, findings) = audit(&[path]);
    // tv4's archive is deflated as yarn 2 and 3 wrote them; the others are stored, as yarn 4's.
    assert_licenses(&lockfiles, &npm_expected(&[]));
    assert_clean(&findings);
}

#[test]
fn yarn_pnp_says_which_archive_was_not_found() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path();
    let from = fixture("yarn4-pnp");
    for file in ["yarn.lock", "package.json", ".pnp.cjs"] {
        std::fs::copy(from.join(file), project.join(file)).unwrap();
    }
    std::fs::create_dir_all(project.join(".yarn/cache")).unwrap();
    for entry in std::fs::read_dir(from.join(".yarn/cache")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with("tv4-") {
            std::fs::copy(entry.path(), project.join(".yarn/cache").join(name)).unwrap();
        }
    }
    let report = Auditor::new(Policy::builtin(), "2026-11-25".parse().unwrap())
        .manifests(ManifestSources {
            node_modules: true,
            ..ManifestSources::default()
        })
        .audit(&[project.join("yarn.lock")])
        .unwrap();
    let unknown: Vec<&Finding> = report
        .findings()
        .iter()
        .filter(|f| f.code.as_str() == "license-unknown")
        .collect();
    assert_eq!(unknown.len(), 1, "{}", shown(report.findings()));
    assert_eq!(unknown[0].severity, Severity::Error);
    assert!(
        unknown[0].message.contains(".pnp.cjs") && unknown[0].message.contains("1.3.0"),
        "{}",
        unknown[0].message
    );
}

// The fixture was installed on Linux x64: only @esbuild/linux-x64 is on disk.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn yarn4_platform_packages_without_checksums_are_quiet() {
    let path = "yarn4-conditional/yarn.lock";
    let (lockfiles, findings) = audit(&[path]);
    let l = &lockfiles[0];
    assert_eq!(l.packages.len(), yarn_entries(path));
    let conditional: Vec<&Package> = l
        .packages
        .iter()
        .filter(|p| p.platforms.is_some())
        .collect();
    assert_eq!(conditional.len(), 25);
    // yarn writes no checksum for packages with `conditions`, even the one installed here.
    assert!(
        conditional
            .iter()
            .all(|p| p.integrity.is_empty() && p.optional)
    );
    let linux = find(&lockfiles, "@esbuild/linux-x64", "0.24.2");
    assert_eq!(linux.license.as_deref(), Some("MIT"));
    assert_eq!(linux.platforms.as_deref(), Some("os=linux & cpu=x64"));
    assert!(
        findings.iter().all(|f| f.severity == Severity::Note),
        "{}",
        shown(&findings)
    );
    let missing = findings
        .iter()
        .filter(|f| f.code.as_str() == "integrity-missing")
        .count();
    assert_eq!(missing, 25);
}

#[test]
fn the_reference_policy_example_passes_a_clean_tauri_app() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/src/reference/audit-policy.md"),
    )
    .unwrap();
    let start = doc.find("```toml\n").unwrap() + "```toml\n".len();
    let example = &doc[start..start + doc[start..].find("```").unwrap()];
    let policy = Policy::from_bytes(example.as_bytes()).unwrap();
    let report = Auditor::new(policy, "2026-11-25".parse().unwrap())
        .manifests(ManifestSources {
            vendor_dirs: vec![fixture("tauri-app/src-tauri/vendor")],
            node_modules: true,
            cargo_home: None,
        })
        .audit(&[
            fixture("tauri-app/src-tauri/Cargo.lock"),
            fixture("tauri-app/package-lock.json"),
        ])
        .unwrap();
    let findings = report.findings();
    assert!(report.passed(), "{}", shown(findings));
    assert!(
        findings.iter().all(|f| f.severity == Severity::Note),
        "{}",
        shown(findings)
    );
    let packages: usize = report.lockfiles().iter().map(|l| l.packages.len()).sum();
    assert_eq!(packages, 2 + 12);
}

#[test]
fn npm_aliases_are_kept_in_the_model_and_the_cyclonedx_sbom() {
    let report = Auditor::new(Policy::builtin(), "2026-11-25".parse().unwrap())
        .audit(&[fixture("npm10-workspace/app/package-lock.json")])
        .unwrap();
    let lockfiles = report.lockfiles();
    let alias = lockfiles[0]
        .packages
        .iter()
        .find(|p| p.location.as_deref() == Some("node_modules/old-ms"))
        .unwrap();
    assert_eq!(
        (alias.name.as_str(), alias.version.as_str()),
        ("ms", "2.0.0")
    );
    assert_eq!(alias.alias.as_deref(), Some("old-ms"));
    let sbom: serde_json::Value = serde_json::from_str(
        &report
            .render(sigil_audit::report::OutputFormat::CycloneDx)
            .unwrap(),
    )
    .unwrap();
    let component = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purl"] == "pkg:npm/ms@2.0.0")
        .unwrap();
    assert_eq!(
        component["properties"],
        serde_json::json!([{ "name": "sigil:npm:alias", "value": "old-ms" }])
    );
}

#[test]
fn npm6_lockfile_v1_reads_nested_copies_from_disk() {
    let path = "npm6/package-lock.json";
    let l = read(path);
    assert_eq!(l.version, "1");
    // Entries: debug, debug/ms, fsevents, json-schema, ms, old-ms, tv4.
    assert_eq!(l.packages.len(), 7);
    let (lockfiles, findings) = audit(&[path]);
    // npm 6 copies no license into the lockfile: each is read from its package.json on disk.
    assert_licenses(&lockfiles, &npm_expected(&[("fsevents", "2.3.3", None)]));
    assert_clean(&findings);
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn a_missing_optional_package_for_this_platform_is_still_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path();
    let from = fixture("yarn4-conditional");
    for file in ["yarn.lock", "package.json", ".yarnrc.yml"] {
        std::fs::copy(from.join(file), project.join(file)).unwrap();
    }
    // esbuild is installed, its Linux x64 binary package is not.
    let esbuild = project.join("node_modules/esbuild");
    std::fs::create_dir_all(&esbuild).unwrap();
    std::fs::copy(
        from.join("node_modules/esbuild/package.json"),
        esbuild.join("package.json"),
    )
    .unwrap();
    let report = Auditor::new(Policy::builtin(), "2026-11-25".parse().unwrap())
        .manifests(ManifestSources {
            node_modules: true,
            ..ManifestSources::default()
        })
        .audit(&[project.join("yarn.lock")])
        .unwrap();
    let errors = errors(report.findings());
    assert_eq!(errors.len(), 1, "{}", shown(report.findings()));
    assert_eq!(errors[0].code.as_str(), "license-unknown");
    assert_eq!(
        errors[0].package.as_ref().unwrap().name,
        "@esbuild/linux-x64"
    );
}

#[test]
fn yarn_pnp_with_the_global_cache_reads_the_archives_pnp_cjs_points_at() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("app");
    let cache = tmp.path().join("home/.yarn/berry/cache");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::create_dir_all(&cache).unwrap();
    let from = fixture("yarn4-pnp");
    for file in ["yarn.lock", "package.json"] {
        std::fs::copy(from.join(file), project.join(file)).unwrap();
    }
    // With yarn's default global cache, .pnp.cjs points outside the project.
    let state = std::fs::read_to_string(from.join(".pnp.cjs"))
        .unwrap()
        .replace("./.yarn/cache/", "../home/.yarn/berry/cache/");
    std::fs::write(project.join(".pnp.cjs"), state).unwrap();
    for entry in std::fs::read_dir(from.join(".yarn/cache")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), cache.join(entry.file_name())).unwrap();
    }
    let report = Auditor::new(Policy::builtin(), "2026-11-25".parse().unwrap())
        .manifests(ManifestSources {
            node_modules: true,
            ..ManifestSources::default()
        })
        .audit(&[project.join("yarn.lock")])
        .unwrap();
    assert_licenses(report.lockfiles(), &npm_expected(&[]));
    assert_clean(report.findings());
}

#[test]
fn yarn_classic_workspace_reads_every_license_and_keeps_fsevents_quiet() {
    let path = "yarn1-workspace/yarn.lock";
    let (lockfiles, findings) = audit(&[path]);
    let l = &lockfiles[0];
    assert_eq!(l.packages.len(), yarn_entries(path));
    // chokidar's tree: every package but fsevents (macOS only) is installed here, with the
    // license its package.json declares.
    for p in &l.packages {
        if p.name == "fsevents" {
            assert!(p.optional && p.license.is_none(), "{p:?}");
        } else {
            assert!(!p.optional, "{p:?}");
            assert!(p.license.is_some(), "{p:?}");
        }
    }
    assert_eq!(
        find(&lockfiles, "chokidar", "3.6.0").license.as_deref(),
        Some("MIT")
    );
    assert_eq!(
        find(&lockfiles, "picomatch", "2.3.2").license.as_deref(),
        Some("MIT")
    );
    assert_eq!(
        find(&lockfiles, "anymatch", "3.1.3").license.as_deref(),
        Some("ISC")
    );
    assert!(errors(&findings).is_empty(), "{}", shown(&findings));
    assert!(
        findings.iter().all(|f| f.severity == Severity::Note),
        "{}",
        shown(&findings)
    );
}
