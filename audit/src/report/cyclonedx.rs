//! CycloneDX 1.6 JSON SBOM: the application as `metadata.component`, one component per
//! checked package (deduplicated by package URL) with its hashes, license and, for git and
//! tarball sources, where it comes from; and the dependency graph where the lockfile records
//! one. Written component by component.
//!
//! Licenses say how they were obtained (CycloneDX 1.6 `acknowledgement`): a license expression
//! the package's own manifest or lockfile entry states is `declared`; one sigil-audit arrived
//! at (a non-SPDX spelling read as SPDX, or the policy's clarification) is `concluded`, with
//! the text as stated kept in the `sigil-audit:license:declared` property, since CycloneDX
//! allows one expression per component.

use std::collections::BTreeSet;
use std::io::Write;

use serde::Serialize;
use serde_json::{Value, json};

use super::stream::{Seq, write_pretty};
use super::{Report, download_url};
use crate::license::Reading;
use crate::model::{HashAlgorithm, Package, Source};

/// The property that keeps a license as stated when the component's license is concluded.
const DECLARED_PROPERTY: &str = "sigil-audit:license:declared";

fn alg(a: HashAlgorithm) -> &'static str {
    match a {
        HashAlgorithm::Sha1 => "SHA-1",
        HashAlgorithm::Sha256 => "SHA-256",
        HashAlgorithm::Sha384 => "SHA-384",
        HashAlgorithm::Sha512 => "SHA-512",
    }
}

/// The `licenses` array and, when the license was concluded, the text as declared.
fn licenses(p: &Package, clarified: Option<&str>) -> (Option<Value>, Option<String>) {
    let stated = p.license.as_deref();
    if let Some(expr) = clarified {
        let licenses = json!([{ "expression": expr, "acknowledgement": "concluded" }]);
        return (Some(licenses), stated.map(str::to_owned));
    }
    let Some(text) = stated else {
        return (None, None);
    };
    match crate::license::read(text) {
        Ok(Reading::Spdx(e)) => (
            Some(json!([{ "expression": e.to_string(), "acknowledgement": "declared" }])),
            None,
        ),
        Ok(Reading::Nonstandard { canonical, .. }) => (
            Some(json!([{ "expression": canonical, "acknowledgement": "concluded" }])),
            Some(text.to_owned()),
        ),
        Err(_) => (
            Some(json!([{ "license": { "name": text, "acknowledgement": "declared" } }])),
            None,
        ),
    }
}

fn component(p: &Package, clarified: Option<&str>, aliases: Option<&BTreeSet<&str>>) -> Value {
    let purl = p.purl();
    let mut c = json!({
        "type": "library",
        "bom-ref": purl,
        "name": p.name,
        "version": p.version,
        "purl": purl,
        "scope": if p.dev { "excluded" } else if p.optional { "optional" } else { "required" },
    });
    if !p.integrity.is_empty() {
        c["hashes"] = p
            .integrity
            .iter()
            .map(|i| json!({ "alg": alg(i.algorithm), "content": i.hex }))
            .collect();
    }
    let (licenses, declared) = licenses(p, clarified);
    if let Some(l) = licenses {
        c["licenses"] = l;
    }
    let mut properties = Vec::new();
    if let Some(text) = declared {
        properties.push(json!({ "name": DECLARED_PROPERTY, "value": text }));
    }
    // The names it is installed and imported under (npm `alias@npm:real@1.0.0`), from every
    // copy of it, not only the first.
    for alias in aliases.into_iter().flatten() {
        properties.push(json!({ "name": "sigil:npm:alias", "value": alias }));
    }
    if !properties.is_empty() {
        c["properties"] = Value::Array(properties);
    }
    if let Some(url) = download_url(p) {
        let kind = if matches!(p.source, Source::Git { .. }) {
            "vcs"
        } else {
            "distribution"
        };
        c["externalReferences"] = json!([{ "type": kind, "url": url }]);
    }
    c
}

/// The document; fields in the alphabetical order the output has always had.
#[derive(Serialize)]
#[serde(bound(serialize = "Seq<C>: Serialize, Seq<D>: Serialize"))]
struct Doc<C, D> {
    #[serde(rename = "bomFormat")]
    bom_format: &'static str,
    components: Seq<C>,
    dependencies: Seq<D>,
    metadata: Value,
    #[serde(rename = "serialNumber")]
    serial_number: String,
    #[serde(rename = "specVersion")]
    spec_version: &'static str,
    version: u32,
}

/// The `bom-ref` of the application component.
const ROOT_REF: &str = "application";

pub(super) fn write(report: &Report, out: &mut dyn Write) -> Result<(), serde_json::Error> {
    let mut aliases: std::collections::BTreeMap<String, BTreeSet<&str>> = Default::default();
    for (p, _) in report.checked_with_conclusions() {
        if let Some(alias) = &p.alias {
            aliases.entry(p.purl()).or_default().insert(alias);
        }
    }
    let mut seen = BTreeSet::new();
    let components = report
        .checked_with_conclusions()
        .filter(move |(p, _)| seen.insert(p.purl()))
        .map(|(p, clarified)| {
            let purl = p.purl();
            Ok(component(p, clarified, aliases.get(&purl)))
        });
    let graph = super::graph::of(report);
    let dependencies = graph.into_iter().map(|(from, to)| {
        let from = from.unwrap_or_else(|| ROOT_REF.to_owned());
        Ok(json!({ "ref": from, "dependsOn": to }))
    });
    let app = report.application();
    let mut root = json!({ "type": "application", "bom-ref": ROOT_REF, "name": app.name });
    if let Some(v) = app.version {
        root["version"] = v.into();
    }
    let doc = Doc {
        bom_format: "CycloneDX",
        components: Seq::new(components),
        dependencies: Seq::new(dependencies),
        metadata: json!({
            "timestamp": report.timestamp(),
            "component": root,
            "tools": { "components": [{
                "type": "application",
                "name": super::TOOL_NAME,
                "version": super::TOOL_VERSION,
            }]},
        }),
        serial_number: format!("urn:uuid:{}", report.content_uuid()),
        spec_version: "1.6",
        version: 1,
    };
    write_pretty(out, &doc)
}
