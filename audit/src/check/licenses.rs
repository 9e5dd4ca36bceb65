//! The license check for one package.

use crate::findings::{Code, Finding};
use crate::license::{self, Reading, Verdict};
use crate::model::{Ecosystem, Package};
use crate::policy::{Date, Level, Policy};

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
        let (level, message) = unknown(p, rules.unknown);
        report(Code::LicenseUnknown, level, message);
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

/// Why a package's license is unknown, and how loudly to say so: an optional package that is
/// not installed (built for another platform, or left out by the package manager) is reported
/// as a note, since nothing of it ships from this machine's install.
fn unknown(p: &Package, level: Level) -> (Level, String) {
    let project = p.lockfile.parent().unwrap_or(std::path::Path::new("."));
    let installed = project.join("node_modules").is_dir();
    let pnp = project.join(".pnp.cjs").is_file();
    let searched = match (&p.source, p.ecosystem) {
        (crate::model::Source::Path { path: Some(folder) }, ecosystem) => format!(
            "no license in the lockfile, and no {} declaring one in the folder {folder}",
            if ecosystem == Ecosystem::Cargo {
                "Cargo.toml"
            } else {
                "package.json"
            }
        ),
        (_, ecosystem) => match ecosystem {
            Ecosystem::Cargo => {
                "no license in a Cargo.toml of this version in the registry cache, the vendor \
             directories or a path dependency's folder"
                    .to_owned()
            }
            Ecosystem::Npm if pnp => format!(
                "no license in the lockfile, and no package.json of version {} in the zip archives \
             .pnp.cjs points at or in .yarn/cache (run `yarn install` to fill the cache, or \
             clarify the license in the policy)",
                p.version
            ),
            Ecosystem::Npm if installed => format!(
                "no license in the lockfile, and no package.json of version {} under node_modules",
                p.version
            ),
            Ecosystem::Npm => {
                "no license in the lockfile, and node_modules is not installed beside \
             it: install the packages (with --ignore-scripts) before auditing, or clarify the \
             license in the policy"
                    .to_owned()
            }
        },
    };
    if p.optional && (installed || pnp) {
        let platforms = p
            .platforms
            .as_deref()
            .map_or(String::new(), |c| format!(" (for {c})"));
        return (
            level.min_note(),
            format!("optional package{platforms} not installed on this machine: {searched}"),
        );
    }
    (level, searched)
}
