//! The full report as JSON (`"format": "sigil-audit-report/1"`).

use serde_json::json;

use super::Report;

pub(super) fn render(report: &Report) -> Result<String, serde_json::Error> {
    let packages: Vec<serde_json::Value> = report
        .lockfiles
        .iter()
        .zip(&report.in_scope)
        .flat_map(|(l, scope)| l.packages.iter().zip(scope))
        .map(|(p, checked)| {
            let mut v = serde_json::to_value(p)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("purl".into(), p.purl().into());
                o.insert("checked".into(), (*checked).into());
            }
            Ok(v)
        })
        .collect::<Result<_, serde_json::Error>>()?;
    let lockfiles: Vec<serde_json::Value> = report
        .lockfiles
        .iter()
        .map(|l| {
            json!({
                "path": l.path,
                "format": l.format,
                "version": l.version,
                "sha256": l.sha256,
                "packages": l.packages.len(),
            })
        })
        .collect();
    let doc = json!({
        "format": "sigil-audit-report/1",
        "tool": { "name": super::TOOL_NAME, "version": super::TOOL_VERSION },
        "date": report.options.today,
        "passed": report.passed(),
        "counts": report.counts(),
        "policy": { "sha256": report.policy_sha256 },
        "exclude_dev": report.options.exclude_dev,
        "lockfiles": lockfiles,
        "findings": report.findings,
        "packages": packages,
    });
    let mut s = serde_json::to_string_pretty(&doc)?;
    s.push('\n');
    Ok(s)
}
