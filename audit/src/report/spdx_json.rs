//! SPDX 2.3 JSON SBOM: one package per checked package (deduplicated by package URL), each
//! described by the document, with checksums, the declared license, the license the policy
//! concludes (from a clarification) and a purl reference.

use std::collections::BTreeSet;

use serde_json::json;

use super::{Report, download_url, spdx_expression};
use crate::model::HashAlgorithm;

fn alg(a: HashAlgorithm) -> &'static str {
    match a {
        HashAlgorithm::Sha1 => "SHA1",
        HashAlgorithm::Sha256 => "SHA256",
        HashAlgorithm::Sha384 => "SHA384",
        HashAlgorithm::Sha512 => "SHA512",
    }
}

pub(super) fn render(report: &Report) -> Result<String, serde_json::Error> {
    let mut seen = BTreeSet::new();
    let mut packages = Vec::new();
    let mut relationships = Vec::new();
    for (p, concluded) in report.checked_with_conclusions() {
        let purl = p.purl();
        if !seen.insert(purl.clone()) {
            continue;
        }
        let id = format!("SPDXRef-Package-{}-{}", p.ecosystem, packages.len() + 1);
        let mut pkg = json!({
            "SPDXID": id,
            "name": p.name,
            "versionInfo": p.version,
            "downloadLocation": download_url(p).unwrap_or_else(|| "NOASSERTION".to_owned()),
            "filesAnalyzed": false,
            "licenseConcluded": concluded.unwrap_or("NOASSERTION"),
            "licenseDeclared": spdx_expression(p.license.as_deref())
                .unwrap_or_else(|| "NOASSERTION".to_owned()),
            "copyrightText": "NOASSERTION",
            "externalRefs": [{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": purl,
            }],
        });
        if !p.integrity.is_empty() {
            pkg["checksums"] = p
                .integrity
                .iter()
                .map(|i| json!({ "algorithm": alg(i.algorithm), "checksumValue": i.hex }))
                .collect();
        }
        relationships.push(json!({
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": id,
        }));
        packages.push(pkg);
    }
    let uuid = report.content_uuid();
    let doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("{}-audit-{}", super::TOOL_NAME, report.options.today),
        "documentNamespace": format!("urn:uuid:{uuid}"),
        "creationInfo": {
            "created": report.timestamp(),
            "creators": [format!("Tool: {}-{}", super::TOOL_NAME, super::TOOL_VERSION)],
        },
        "packages": packages,
        "relationships": relationships,
    });
    let mut s = serde_json::to_string_pretty(&doc)?;
    s.push('\n');
    Ok(s)
}
