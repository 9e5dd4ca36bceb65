//! SARIF 2.1.0 (OASIS): one rule per finding code, one result per finding, located at the
//! lockfile and named by package.

use std::io::Write;

use serde::Serialize;
use serde_json::json;

use super::Report;
use super::stream::{Seq, write_pretty};
use crate::findings::{Code, Severity};

const DOCS: &str = "https://github.com/sigil-dev/sigil/blob/main/docs/src/reference/audit-codes.md";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// A relative or absolute path as a SARIF URI reference (forward slashes, percent-encoded).
fn uri(path: &std::path::Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(super) fn write(report: &Report, out: &mut dyn Write) -> Result<(), serde_json::Error> {
    let rules: Vec<serde_json::Value> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "shortDescription": { "text": c.summary() },
                "helpUri": format!("{DOCS}#{}", c.as_str()),
            })
        })
        .collect();
    let results = report.findings.iter().map(|f| {
            let index = Code::ALL.iter().position(|c| *c == f.code);
            let mut result = json!({
                "ruleId": f.code.as_str(),
                "ruleIndex": index,
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": { "artifactLocation": { "uri": uri(&f.file) } },
                }],
            });
            if let (Some(p), Some(loc)) = (&f.package, result["locations"].get_mut(0)) {
                loc["logicalLocations"] = json!([{
                    "name": format!("{}@{}", p.name, p.version),
                    "fullyQualifiedName": p.to_string(),
                    "kind": "package",
                }]);
                result["partialFingerprints"] = json!({
                    "sigilAuditFinding/v1": format!("{}:{}:{}@{}", f.code, p.ecosystem, p.name, p.version),
                });
            }
            if let Some(a) = &f.advisory {
                // The advisory in full, and its CVSS score where code-scanning dashboards
                // look for one (a string, as GitHub's `security-severity` is).
                let mut props = json!({ "advisory": serde_json::to_value(a)?, "tags": ["security"] });
                if let Some(score) = a.severity.as_ref().and_then(|s| s.score) {
                    props["security-severity"] = format!("{score:.1}").into();
                }
                result["properties"] = props;
            }
            Ok(result)
        });
    let doc = Doc {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        runs: [Run {
            results: Seq::new(results),
            tool: json!({ "driver": {
                "name": super::TOOL_NAME,
                "version": super::TOOL_VERSION,
                "informationUri": "https://github.com/sigil-dev/sigil",
                "rules": rules,
            }}),
        }],
        version: "2.1.0",
    };
    write_pretty(out, &doc)
}

/// The log; fields in the alphabetical order the output has always had.
#[derive(Serialize)]
#[serde(bound(serialize = "Seq<R>: Serialize"))]
struct Doc<R> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<R>; 1],
    version: &'static str,
}

#[derive(Serialize)]
#[serde(bound(serialize = "Seq<R>: Serialize"))]
struct Run<R> {
    results: Seq<R>,
    tool: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            uri(std::path::Path::new("a b/Cargo.lock")),
            "a%20b/Cargo.lock"
        );
    }
}
