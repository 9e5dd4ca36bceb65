//! The checks: licenses and provenance for every package, duplicate versions per lockfile, and
//! the policy's own exceptions (expired, unused). Workspace members are the code being audited
//! and are not checked; dev-only packages are left out when asked.

mod licenses;
mod provenance;

use std::collections::BTreeMap;

use crate::findings::{Code, Finding, Severity};
use crate::lockfile::Lockfile;
use crate::model::Package;
use crate::policy::{Date, Policy};

/// How to run the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The date exceptions are judged on (injected so that expiry is testable).
    pub today: Date,
    /// Leave dev-only packages out (also set by the policy's `exclude-dev`).
    pub exclude_dev: bool,
}

/// Whether `package` is checked under these options.
#[must_use]
pub fn in_scope(package: &Package, policy: &Policy, options: &Options) -> bool {
    !package.is_workspace() && !(package.dev && (options.exclude_dev || policy.exclude_dev))
}

/// Runs every check over `lockfiles`, returning findings sorted most severe first.
#[must_use]
pub fn run(lockfiles: &[Lockfile], policy: &Policy, options: &Options) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut exception_used = vec![false; policy.exceptions.len()];
    let mut clarification_used = vec![false; policy.clarifications.len()];
    for lockfile in lockfiles {
        let packages: Vec<&Package> = lockfile
            .packages
            .iter()
            .filter(|p| in_scope(p, policy, options))
            .collect();
        for p in &packages {
            for (i, e) in policy.exceptions.iter().enumerate() {
                exception_used[i] |= e.selector.matches(p);
            }
            for (i, c) in policy.clarifications.iter().enumerate() {
                clarification_used[i] |= c.selector.matches(p);
            }
            let mut own = licenses::check(p, policy, options.today);
            own.extend(provenance::check(p, policy));
            // Waivers: an active exception that names a code drops that finding.
            own.retain(|f| {
                !policy
                    .exceptions_for(p, options.today)
                    .any(|e| e.codes.contains(&f.code))
            });
            findings.extend(own);
        }
        findings.extend(duplicates(&packages, policy, options));
    }
    findings.extend(policy_findings(
        policy,
        options.today,
        &exception_used,
        &clarification_used,
    ));
    sort(&mut findings);
    findings
}

/// Sorts findings most severe first, then by package and code.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.package.cmp(&b.package))
            .then_with(|| a.code.cmp(&b.code))
    });
}

/// Several versions of one package in one lockfile.
fn duplicates(packages: &[&Package], policy: &Policy, options: &Options) -> Vec<Finding> {
    let Some(severity) = policy.sources.duplicates.severity() else {
        return Vec::new();
    };
    let mut by_name: BTreeMap<(crate::model::Ecosystem, &str), Vec<&Package>> = BTreeMap::new();
    for p in packages {
        by_name.entry((p.ecosystem, &p.name)).or_default().push(p);
    }
    let mut out = Vec::new();
    for group in by_name.values() {
        let mut versions: Vec<&str> = group.iter().map(|p| p.version.as_str()).collect();
        versions.sort_unstable();
        versions.dedup();
        let Some(first) = group.first() else { continue };
        if versions.len() < 2 {
            continue;
        }
        let waived = policy
            .exceptions_for(first, options.today)
            .any(|e| e.codes.contains(&Code::DuplicateVersions));
        if !waived {
            out.push(Finding::for_package(
                Code::DuplicateVersions,
                severity,
                first,
                format!(
                    "{} versions locked: {}",
                    versions.len(),
                    versions.join(", ")
                ),
            ));
        }
    }
    out
}

/// Expired and unused exceptions, and unused clarifications.
fn policy_findings(
    policy: &Policy,
    today: Date,
    exception_used: &[bool],
    clarification_used: &[bool],
) -> Vec<Finding> {
    let file = policy
        .path
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("built-in policy"));
    let mut out = Vec::new();
    for (e, used) in policy.exceptions.iter().zip(exception_used) {
        if let Some(expires) = e.expires.filter(|_| !e.is_active(today)) {
            out.push(Finding {
                code: Code::ExceptionExpired,
                severity: Severity::Warning,
                package: None,
                file: file.clone(),
                advisory: None,
                message: format!(
                    "the exception for {} expired on {expires} and no longer applies (reason \
                     given: {})",
                    e.selector, e.reason
                ),
            });
        } else if !used {
            out.push(Finding {
                code: Code::ExceptionUnused,
                severity: Severity::Note,
                package: None,
                file: file.clone(),
                advisory: None,
                message: format!(
                    "the exception for {} matches no audited package",
                    e.selector
                ),
            });
        }
    }
    for (c, used) in policy.clarifications.iter().zip(clarification_used) {
        if !used {
            out.push(Finding {
                code: Code::ExceptionUnused,
                severity: Severity::Note,
                package: None,
                file: file.clone(),
                advisory: None,
                message: format!(
                    "the clarification for {} matches no audited package",
                    c.selector
                ),
            });
        }
    }
    out
}
