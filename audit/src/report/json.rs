//! The full report as JSON (`"format": "sigil-audit-report/1"`), written package by package.

use std::io::Write;

use serde::Serialize;
use serde_json::{Value, json};

use super::Report;
use super::stream::{Seq, write_pretty};

/// The document; fields in the alphabetical order the format has always had.
#[derive(Serialize)]
#[serde(bound(serialize = "Seq<P>: Serialize, Seq<F>: Serialize"))]
struct Doc<P, F> {
    #[serde(skip_serializing_if = "Option::is_none")]
    advisories: Option<Value>,
    counts: Value,
    date: Value,
    exclude_dev: bool,
    findings: Seq<F>,
    format: &'static str,
    lockfiles: Value,
    packages: Seq<P>,
    passed: bool,
    policy: Value,
    tool: Value,
}

pub(super) fn write(report: &Report, out: &mut dyn Write) -> Result<(), serde_json::Error> {
    let packages = report
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
        });
    let lockfiles: Vec<Value> = report
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
    let doc = Doc {
        advisories: report
            .advisories
            .as_ref()
            .map(serde_json::to_value)
            .transpose()?,
        counts: serde_json::to_value(report.counts())?,
        date: serde_json::to_value(report.options.today)?,
        exclude_dev: report.options.exclude_dev,
        findings: Seq::new(report.findings.iter().map(serde_json::to_value)),
        format: "sigil-audit-report/1",
        lockfiles: Value::Array(lockfiles),
        packages: Seq::new(packages),
        passed: report.passed(),
        policy: json!({ "sha256": report.policy_sha256 }),
        tool: json!({ "name": super::TOOL_NAME, "version": super::TOOL_VERSION }),
    };
    write_pretty(out, &doc)
}
