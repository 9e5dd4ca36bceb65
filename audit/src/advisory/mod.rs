//! Security advisories: OSV-format databases ([`Database`]) matched against every checked
//! package's locked version, reported as `advisory` findings with the advisory's id, aliases,
//! severity and fixed versions, and waived per advisory id by the policy's expiring
//! exceptions ([`AdvisoryPolicy`]).
//!
//! Databases are read from disk (a folder or a zip, see [`database`]); fetching one is the
//! online module's job ([`crate::online::fetch_advisories`]). Two records about one problem
//! (a RUSTSEC id and the GHSA id that aliases it) give one finding per package, with both ids.

pub mod cvss;
pub mod database;
pub mod osv;
mod policy;
pub mod version;

use std::collections::BTreeSet;

pub use database::{Database, DatabaseError, DatabaseLimits};
pub use osv::{Advisory, Severity};
pub(crate) use policy::RawAdvisories;
pub use policy::{AdvisoryException, AdvisoryPolicy};

use crate::check::{self, Options};
use crate::findings::{AdvisoryDetails, Code, Finding, Severity as Level};
use crate::lockfile::Lockfile;
use crate::model::{Package, Source};
use crate::policy::Policy;

/// The `advisory` findings for every checked package of `lockfiles`, and the findings about the
/// policy's advisory exceptions (expired, unused), unsorted.
#[must_use]
pub fn check(
    db: &Database,
    lockfiles: &[Lockfile],
    policy: &Policy,
    options: &Options,
) -> Vec<Finding> {
    let rules = &policy.advisories;
    let mut used = vec![false; rules.ignore.len()];
    let mut findings = Vec::new();
    for lockfile in lockfiles {
        for p in lockfile
            .packages
            .iter()
            .filter(|p| check::in_scope(p, policy, options) && from_registry(p))
        {
            // A package exception naming the `advisory` code waives every advisory for it.
            let waived = policy
                .exceptions_for(p, options.today)
                .any(|e| e.codes.contains(&Code::Advisory));
            for (details, ids) in matches(db, p) {
                let mut ignored = false;
                for (i, e) in rules.ignore.iter().enumerate() {
                    if ids.contains(e.id.as_str()) && e.is_active(options.today) {
                        used[i] = true;
                        ignored = true;
                    }
                }
                if ignored || waived {
                    continue;
                }
                let level = if details.informational.is_some() {
                    rules.informational
                } else {
                    rules.vulnerability
                };
                let Some(severity) = level.severity() else {
                    continue;
                };
                findings.push(finding(p, severity, details));
            }
        }
    }
    findings.extend(exception_findings(policy, options, &used));
    findings
}

/// Whether `p` is the registry's package of that name: advisories are about what a registry
/// publishes, and a git checkout, a path or a tarball of the same name and version may be any
/// code at all. A package patched by yarn or bundled inside another is still the registry's.
fn from_registry(p: &Package) -> bool {
    matches!(
        p.source,
        Source::Registry { .. } | Source::Patch { .. } | Source::Bundled
    )
}

/// The advisories matching `p`, records that alias each other merged into one.
fn matches(db: &Database, p: &Package) -> Vec<(AdvisoryDetails, BTreeSet<String>)> {
    let mut out: Vec<(AdvisoryDetails, BTreeSet<String>)> = Vec::new();
    for (a, affected) in db.matching(p) {
        let names: BTreeSet<String> = std::iter::once(a.id.clone())
            .chain(a.aliases.iter().cloned())
            .collect();
        if let Some((d, ids)) = out.iter_mut().find(|(_, ids)| !ids.is_disjoint(&names)) {
            for n in names {
                if n != d.id && !d.aliases.contains(&n) {
                    d.aliases.push(n.clone());
                }
                ids.insert(n);
            }
            for f in &affected.fixed {
                if !d.fixed.contains(f) {
                    d.fixed.push(f.clone());
                }
            }
            if d.severity.is_none() {
                d.severity = a.severity_for(affected).cloned();
            }
            if d.summary.is_none() {
                d.summary.clone_from(&a.summary);
            }
            continue;
        }
        let details = AdvisoryDetails {
            id: a.id.clone(),
            aliases: a.aliases.clone(),
            summary: a.summary.clone(),
            severity: a.severity_for(affected).cloned(),
            fixed: affected.fixed.clone(),
            informational: affected.informational.clone(),
            url: a.url.clone(),
        };
        out.push((details, names));
    }
    out
}

fn finding(p: &Package, severity: Level, d: AdvisoryDetails) -> Finding {
    let mut message = d.id.clone();
    if !d.aliases.is_empty() {
        message.push_str(&format!(" ({})", d.aliases.join(", ")));
    }
    if let Some(kind) = &d.informational {
        message.push_str(&format!(" [{kind}]"));
    }
    message.push_str(": ");
    message.push_str(d.summary.as_deref().unwrap_or("no summary given"));
    if let Some(s) = &d.severity {
        let mut parts = Vec::new();
        if let Some(r) = &s.rating {
            parts.push(r.clone());
        }
        if let Some(score) = s.score {
            parts.push(format!("CVSS {score:.1}"));
        }
        if !parts.is_empty() {
            message.push_str(&format!("; severity {}", parts.join(", ")));
        }
    }
    if d.fixed.is_empty() {
        message.push_str("; no fixed version is published");
    } else {
        message.push_str(&format!(
            "; fixed in {}: upgrade, or add an [[advisories.ignore]] exception with a reason",
            d.fixed.join(", ")
        ));
    }
    message.push_str(&format!("; see {}", d.url));
    let mut f = Finding::for_package(Code::Advisory, severity, p, message);
    f.advisory = Some(Box::new(d));
    f
}

fn exception_findings(policy: &Policy, options: &Options, used: &[bool]) -> Vec<Finding> {
    let file = policy
        .path
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("built-in policy"));
    let mut out = Vec::new();
    for (e, used) in policy.advisories.ignore.iter().zip(used) {
        let (code, severity, message) = match e.expires {
            Some(expires) if !e.is_active(options.today) => (
                Code::ExceptionExpired,
                Level::Warning,
                format!(
                    "the exception for advisory {} expired on {expires} and no longer applies \
                     (reason given: {})",
                    e.id, e.reason
                ),
            ),
            _ if !used => (
                Code::ExceptionUnused,
                Level::Note,
                format!(
                    "the exception for advisory {} matches no advisory affecting an audited \
                     package",
                    e.id
                ),
            ),
            _ => continue,
        };
        out.push(Finding {
            code,
            severity,
            package: None,
            file: file.clone(),
            message,
            advisory: None,
        });
    }
    out
}
