//! SPDX 2.3 JSON SBOM: one package per checked package (deduplicated by package URL), each
//! described by the document, with checksums, the declared license (only when the package
//! states an SPDX expression), the concluded one (the policy's clarification, or sigil-audit's
//! reading of a non-SPDX spelling, with the text as stated in `licenseComments`) and a purl
//! reference. Written package by package.

use std::collections::BTreeSet;
use std::io::Write;

use serde::Serialize;
use serde_json::{Value, json};

use super::stream::{Seq, write_pretty};
use super::{Report, download_url};
use crate::license::Reading;
use crate::model::{HashAlgorithm, Package};

fn alg(a: HashAlgorithm) -> &'static str {
    match a {
        HashAlgorithm::Sha1 => "SHA1",
        HashAlgorithm::Sha256 => "SHA256",
        HashAlgorithm::Sha384 => "SHA384",
        HashAlgorithm::Sha512 => "SHA512",
    }
}

/// The document; fields in the alphabetical order the output has always had.
#[derive(Serialize)]
#[serde(bound(serialize = "Seq<P>: Serialize, Seq<R>: Serialize"))]
struct Doc<P, R> {
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    #[serde(rename = "creationInfo")]
    creation_info: Value,
    #[serde(rename = "dataLicense")]
    data_license: &'static str,
    #[serde(rename = "documentNamespace")]
    document_namespace: String,
    name: String,
    packages: Seq<P>,
    relationships: Seq<R>,
    #[serde(rename = "spdxVersion")]
    spdx_version: &'static str,
}

/// The checked packages once each, with their SPDX ids; the same sequence on every call, so
/// that packages and relationships can be written in two passes without holding either.
fn numbered(report: &Report) -> impl Iterator<Item = (String, &Package, Option<&str>)> {
    let mut seen = BTreeSet::new();
    report
        .checked_with_conclusions()
        .filter(move |(p, _)| seen.insert(p.purl()))
        .enumerate()
        .map(|(i, (p, concluded))| {
            (
                format!("SPDXRef-Package-{}-{}", p.ecosystem, i + 1),
                p,
                concluded,
            )
        })
}

pub(super) fn write(report: &Report, out: &mut dyn Write) -> Result<(), serde_json::Error> {
    let packages = numbered(report).map(|(id, p, concluded)| {
        let mut pkg = json!({
            "SPDXID": id,
            "name": p.name,
            "versionInfo": p.version,
            "downloadLocation": download_url(p).unwrap_or_else(|| "NOASSERTION".to_owned()),
            "filesAnalyzed": false,
            "licenseConcluded": concluded.unwrap_or("NOASSERTION"),
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "externalRefs": [{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": p.purl(),
            }],
        });
        // Declared is what the package states, when that is SPDX; a non-SPDX spelling that
        // sigil-audit read as SPDX is a conclusion, and the text as stated goes in a comment.
        match p.license.as_deref().map(crate::license::read) {
            Some(Ok(Reading::Spdx(e))) => pkg["licenseDeclared"] = e.to_string().into(),
            Some(Ok(Reading::Nonstandard { canonical, .. })) => {
                if concluded.is_none() {
                    pkg["licenseConcluded"] = canonical.clone().into();
                }
                pkg["licenseComments"] = format!(
                    "declared as {:?}, not SPDX; read as {canonical}",
                    p.license.as_deref().unwrap_or_default()
                )
                .into();
            }
            Some(Err(_)) => {
                pkg["licenseComments"] = format!(
                    "declared as {:?}, which is not an SPDX expression",
                    p.license.as_deref().unwrap_or_default()
                )
                .into();
            }
            None => {}
        }
        if !p.integrity.is_empty() {
            pkg["checksums"] = p
                .integrity
                .iter()
                .map(|i| json!({ "algorithm": alg(i.algorithm), "checksumValue": i.hex }))
                .collect();
        }
        Ok(pkg)
    });
    let relationships = numbered(report).map(|(id, _, _)| {
        Ok(json!({
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": id,
        }))
    });
    let uuid = report.content_uuid();
    let doc = Doc {
        spdx_id: "SPDXRef-DOCUMENT",
        creation_info: json!({
            "created": report.timestamp(),
            "creators": [format!("Tool: {}-{}", super::TOOL_NAME, super::TOOL_VERSION)],
        }),
        data_license: "CC0-1.0",
        document_namespace: format!("urn:uuid:{uuid}"),
        name: format!("{}-audit-{}", super::TOOL_NAME, report.options.today),
        packages: Seq::new(packages),
        relationships: Seq::new(relationships),
        spdx_version: "SPDX-2.3",
    };
    write_pretty(out, &doc)
}
