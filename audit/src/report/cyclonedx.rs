//! CycloneDX 1.6 JSON SBOM: one component per checked package (deduplicated by package URL),
//! with its hashes, license and, for git and tarball sources, where it comes from.

use std::collections::BTreeSet;

use serde_json::json;

use super::{Report, download_url, spdx_expression};
use crate::model::{HashAlgorithm, Source};

fn alg(a: HashAlgorithm) -> &'static str {
    match a {
        HashAlgorithm::Sha1 => "SHA-1",
        HashAlgorithm::Sha256 => "SHA-256",
        HashAlgorithm::Sha384 => "SHA-384",
        HashAlgorithm::Sha512 => "SHA-512",
    }
}

pub(super) fn render(report: &Report) -> Result<String, serde_json::Error> {
    let mut seen = BTreeSet::new();
    let mut components = Vec::new();
    let mut aliases: std::collections::BTreeMap<String, BTreeSet<&str>> = Default::default();
    for (p, _) in report.checked_with_conclusions() {
        if let Some(alias) = &p.alias {
            aliases.entry(p.purl()).or_default().insert(alias);
        }
    }
    for (p, concluded) in report.checked_with_conclusions() {
        let purl = p.purl();
        if !seen.insert(purl.clone()) {
            continue;
        }
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
        // CycloneDX allows one expression: the policy's conclusion when it has one.
        let declared = spdx_expression(p.license.as_deref());
        match (concluded, declared, &p.license) {
            (Some(expr), _, _) => {
                c["licenses"] = json!([{ "expression": expr, "acknowledgement": "concluded" }]);
            }
            (None, Some(expr), _) => {
                c["licenses"] = json!([{ "expression": expr, "acknowledgement": "declared" }]);
            }
            (None, None, Some(text)) => {
                c["licenses"] =
                    json!([{ "license": { "name": text, "acknowledgement": "declared" } }]);
            }
            (None, None, None) => {}
        }
        if let Some(url) = download_url(p) {
            let kind = if matches!(p.source, Source::Git { .. }) {
                "vcs"
            } else {
                "distribution"
            };
            c["externalReferences"] = json!([{ "type": kind, "url": url }]);
        }
        // The names it is installed and imported under (npm `alias@npm:real@1.0.0`), from
        // every copy of it, not only the first.
        if let Some(names) = aliases.get(&purl) {
            c["properties"] = names
                .iter()
                .map(|a| json!({ "name": "sigil:npm:alias", "value": a }))
                .collect();
        }
        components.push(c);
    }
    let doc = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", report.content_uuid()),
        "version": 1,
        "metadata": {
            "timestamp": report.timestamp(),
            "tools": { "components": [{
                "type": "application",
                "name": super::TOOL_NAME,
                "version": super::TOOL_VERSION,
            }]},
        },
        "components": components,
    });
    let mut s = serde_json::to_string_pretty(&doc)?;
    s.push('\n');
    Ok(s)
}
