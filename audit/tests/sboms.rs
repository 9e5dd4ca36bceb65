//! CycloneDX content: the application as the root component, the dependency graph from
//! Cargo.lock and npm lockfiles (Node's nested resolution included), and licenses labelled by
//! how they were obtained. Streaming output equals the rendered string.

// Helpers shared by the tests: a panic here is a failed test, not a crash on input.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use sigil_audit::policy::Policy;
use sigil_audit::{Auditor, OutputFormat, Report};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn audit(policy: &str, lockfiles: &[&str]) -> Report {
    let paths: Vec<PathBuf> = lockfiles.iter().map(|l| fixture(l)).collect();
    Auditor::new(
        Policy::from_bytes(policy.as_bytes()).unwrap(),
        "2026-11-25".parse().unwrap(),
    )
    .audit(&paths)
    .unwrap()
}

fn bom(report: &Report) -> Value {
    serde_json::from_str(&report.render(OutputFormat::CycloneDx).unwrap()).unwrap()
}

fn depends_on(bom: &Value, reference: &str) -> Option<Vec<String>> {
    bom["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == reference)
        .map(|d| {
            d["dependsOn"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        })
}

fn component<'a>(bom: &'a Value, purl: &str) -> &'a Value {
    bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purl"] == purl)
        .unwrap()
}

#[test]
fn the_root_component_is_the_application_from_its_manifest() {
    let b = bom(&audit("", &["sbom-graph-nested-npm/package-lock.json"]));
    let root = &b["metadata"]["component"];
    assert_eq!(root["type"], "application");
    assert_eq!(root["name"], "graph-app");
    assert_eq!(root["version"], "3.1.4");
    assert_eq!(root["bom-ref"], "application");
    let cargo = bom(&audit("", &["sbom-graph-two-crate-versions/Cargo.lock"]));
    assert_eq!(cargo["metadata"]["component"]["name"], "two-versions");
    assert_eq!(cargo["metadata"]["component"]["version"], "0.4.0");
}

#[test]
fn npm_edges_follow_nested_node_modules_before_the_hoisted_copy() {
    let b = bom(&audit("", &["sbom-graph-nested-npm/package-lock.json"]));
    assert_eq!(
        depends_on(&b, "application").unwrap(),
        vec!["pkg:npm/alpha@1.0.0", "pkg:npm/beta@1.0.0"]
    );
    // alpha's own beta is its nested copy (2.0.0), not the hoisted 1.0.0.
    assert_eq!(
        depends_on(&b, "pkg:npm/alpha@1.0.0").unwrap(),
        vec!["pkg:npm/beta@2.0.0"]
    );
    // The nested beta finds gamma up the tree; the uninstalled peer is not an edge.
    assert_eq!(
        depends_on(&b, "pkg:npm/beta@2.0.0").unwrap(),
        vec!["pkg:npm/gamma@1.0.0"]
    );
    assert_eq!(
        depends_on(&b, "pkg:npm/gamma@1.0.0").unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn cargo_edges_tell_two_versions_of_one_crate_apart() {
    let b = bom(&audit("", &["sbom-graph-two-crate-versions/Cargo.lock"]));
    assert_eq!(
        depends_on(&b, "application").unwrap(),
        vec!["pkg:cargo/parser@1.9.0", "pkg:cargo/parser@2.1.0"]
    );
    assert_eq!(
        depends_on(&b, "pkg:cargo/parser@2.1.0").unwrap(),
        vec!["pkg:cargo/unicode-ident@1.0.12"]
    );
    assert_eq!(
        depends_on(&b, "pkg:cargo/parser@1.9.0").unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn workspace_members_dependencies_are_the_applications() {
    // cargo-v3: `inner` is a member; the application depends on what `app` and `inner` do.
    let b = bom(&audit("", &["cargo-v3/Cargo.lock"]));
    let root = depends_on(&b, "application").unwrap();
    assert!(
        root.contains(&"pkg:cargo/itoa@1.0.19".to_owned()),
        "{root:?}"
    );
    assert!(depends_on(&b, "pkg:cargo/inner@0.1.0").is_none());
}

#[test]
fn lockfiles_without_edges_leave_the_graph_unknown_rather_than_empty() {
    let b = bom(&audit("", &["yarn-classic/yarn.lock"]));
    assert_eq!(b["dependencies"].as_array().unwrap().len(), 0);
}

#[test]
fn a_stated_spdx_license_is_declared_and_a_reading_of_a_nonstandard_one_is_concluded() {
    let b = bom(&audit("", &["sbom-graph-nested-npm/package-lock.json"]));
    let declared = component(&b, "pkg:npm/alpha@1.0.0");
    assert_eq!(declared["licenses"][0]["expression"], "MIT");
    assert_eq!(declared["licenses"][0]["acknowledgement"], "declared");
    let guessed = component(&b, "pkg:npm/beta@2.0.0");
    assert_eq!(guessed["licenses"][0]["expression"], "Apache-2.0");
    assert_eq!(guessed["licenses"][0]["acknowledgement"], "concluded");
    assert_eq!(
        guessed["properties"][0],
        serde_json::json!({ "name": "sigil-audit:license:declared", "value": "Apache 2.0" })
    );
}

#[test]
fn a_policy_clarification_is_concluded_and_keeps_the_stated_text() {
    let policy = "[[clarify]]\nname = \"gamma\"\nlicense = \"BSD-3-Clause\"\nreason = \"LICENSE file in the tarball\"\n";
    let b = bom(&audit(policy, &["sbom-graph-nested-npm/package-lock.json"]));
    let c = component(&b, "pkg:npm/gamma@1.0.0");
    assert_eq!(c["licenses"][0]["expression"], "BSD-3-Clause");
    assert_eq!(c["licenses"][0]["acknowledgement"], "concluded");
    assert_eq!(c["properties"][0]["value"], "MIT");
}

#[test]
fn every_format_streams_exactly_what_render_returns() {
    let report = audit(
        "",
        &[
            "sbom-graph-nested-npm/package-lock.json",
            "cargo-v3/Cargo.lock",
            "pnpm-v9/pnpm-lock.yaml",
        ],
    );
    for format in [
        OutputFormat::Human,
        OutputFormat::Json,
        OutputFormat::Sarif,
        OutputFormat::CycloneDx,
        OutputFormat::Spdx,
    ] {
        let mut streamed = Vec::new();
        report.write_to(format, &mut streamed).unwrap();
        let text = report.render(format).unwrap();
        assert_eq!(String::from_utf8(streamed).unwrap(), text, "{format:?}");
        if format != OutputFormat::Human {
            serde_json::from_str::<Value>(&text).unwrap();
        }
    }
}

#[test]
fn spdx_declares_only_what_the_package_states_and_concludes_the_reading() {
    let report = audit("", &["sbom-graph-nested-npm/package-lock.json"]);
    let doc: Value = serde_json::from_str(&report.render(OutputFormat::Spdx).unwrap()).unwrap();
    let pkg = |name: &str, version: &str| {
        doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name && p["versionInfo"] == version)
            .unwrap()
            .clone()
    };
    let stated = pkg("alpha", "1.0.0");
    assert_eq!(stated["licenseDeclared"], "MIT");
    assert_eq!(stated["licenseConcluded"], "NOASSERTION");
    let read = pkg("beta", "2.0.0");
    assert_eq!(read["licenseDeclared"], "NOASSERTION");
    assert_eq!(read["licenseConcluded"], "Apache-2.0");
    assert!(
        read["licenseComments"]
            .as_str()
            .unwrap()
            .contains("\"Apache 2.0\""),
        "{read}"
    );
}

#[test]
fn pnpm_9_edges_come_from_importers_and_snapshots_with_peer_suffixes_dropped() {
    let b = bom(&audit("", &["pnpm-v9/pnpm-lock.yaml"]));
    let root = depends_on(&b, "application").unwrap();
    for dep in [
        "pkg:npm/react-dom@18.3.1",
        "pkg:npm/react@18.3.1",
        "pkg:npm/utils-real@1.2.0",
    ] {
        assert!(root.contains(&dep.to_owned()), "{dep} in {root:?}");
    }
    assert_eq!(
        depends_on(&b, "pkg:npm/react-dom@18.3.1").unwrap(),
        vec!["pkg:npm/loose-envify@1.4.0", "pkg:npm/react@18.3.1"]
    );
    assert_eq!(
        depends_on(&b, "pkg:npm/react@18.3.1").unwrap(),
        vec!["pkg:npm/loose-envify@1.4.0"]
    );
}
