//! The license check for one package.

use crate::findings::{Code, Finding};
use crate::license::{self, Reading, Verdict};
use crate::model::Package;
use crate::policy::{Date, Policy};

pub(super) fn check(p: &Package, policy: &Policy, today: Date) -> Vec<Finding> {
    let rules = &policy.licenses;
    let mut out = Vec::new();
    let mut report = |code, level: crate::policy::Level, message: String| {
        if let Some(severity) = level.severity() {
            out.push(Finding::for_package(code, severity, p, message));
        }
    };
    let clarified = policy.clarification_for(p);
    let Some(text) = clarified.map(|c| &c.license).or(p.license.as_ref()) else {
        report(
            Code::LicenseUnknown,
            rules.unknown,
            "no license in the lockfile or in a package manifest on disk".to_owned(),
        );
        return out;
    };
    let reading = match license::read(text) {
        Ok(r) => r,
        Err(e) => {
            report(
                Code::LicenseInvalid,
                rules.unknown,
                format!("license {text:?} is not an SPDX expression: {}", e.reason),
            );
            return out;
        }
    };
    if let Reading::Nonstandard {
        canonical, unread, ..
    } = &reading
    {
        let left_out = if unread.is_empty() {
            String::new()
        } else {
            format!(
                " (alternatives that are no SPDX license, left out: {})",
                unread
                    .iter()
                    .map(|u| format!("{u:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        report(
            Code::LicenseNonstandard,
            rules.nonstandard,
            format!("license {text:?} is not valid SPDX; read as {canonical:?}{left_out}"),
        );
    }
    let extra: Vec<spdx::Licensee> = policy
        .exceptions_for(p, today)
        .flat_map(|e| e.licenses.iter().cloned())
        .collect();
    let shown = match clarified {
        Some(c) => format!("{text:?} (clarified by the policy: {})", c.reason),
        None => format!("{text:?}"),
    };
    match license::evaluate(reading.expression(), rules, &extra) {
        Verdict::Allowed => {}
        Verdict::Copyleft(used) => report(
            Code::LicenseCopyleft,
            rules.copyleft,
            format!(
                "license {shown} is accepted only under copyleft {}",
                used.join(", ")
            ),
        ),
        Verdict::Denied(denied) => report(
            Code::LicenseDenied,
            crate::policy::Level::Deny,
            format!("license {shown} requires denied {}", denied.join(", ")),
        ),
        Verdict::NotAllowed(missing) => report(
            Code::LicenseNotAllowed,
            crate::policy::Level::Deny,
            format!(
                "license {shown} is not allowed: {} not in the allow list",
                missing.join(", ")
            ),
        ),
    }
    out
}
