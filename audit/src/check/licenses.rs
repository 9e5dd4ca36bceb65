//! The license check for one package.

use crate::findings::{Code, Finding};
use crate::license::{self, Reading, Verdict};
use crate::model::Package;
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
    let Some(searched) = p.license_searched.clone() else {
        return (
            level,
            "no license in the lockfile, and manifests on disk were not read".to_owned(),
        );
    };
    let project = p.lockfile.parent().unwrap_or(std::path::Path::new("."));
    let installed = project.join("node_modules").is_dir() || project.join(".pnp.cjs").is_file();
    let for_this_machine = p.platforms.as_deref().and_then(|c| {
        for_platform(
            c,
            node_os(std::env::consts::OS),
            node_cpu(std::env::consts::ARCH),
        )
    });
    if p.optional && installed && for_this_machine != Some(true) {
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

/// Node's name for an operating system (`process.platform`), as lockfiles write it.
fn node_os(rust: &str) -> &str {
    match rust {
        "macos" => "darwin",
        "windows" => "win32",
        "solaris" | "illumos" => "sunos",
        other => other,
    }
}

/// Node's name for a CPU architecture (`process.arch`).
fn node_cpu(rust: &str) -> &str {
    match rust {
        "x86_64" => "x64",
        "x86" => "ia32",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        other => other,
    }
}

/// Whether a package restricted to `platforms` (yarn berry's `os=darwin & cpu=arm64`, or npm's
/// and pnpm's `os: darwin, linux; cpu: !arm`) is for a machine with this `os` and `cpu`:
/// `None` when that cannot be told (only `libc` conditions, or nothing known).
fn for_platform(platforms: &str, os: &str, cpu: &str) -> Option<bool> {
    let mut lists: Vec<(&str, Vec<&str>)> = Vec::new();
    if platforms.contains('=') {
        for condition in platforms.split('&') {
            if let Some((k, v)) = condition.split_once('=') {
                lists.push((k.trim(), vec![v.trim()]));
            }
        }
    } else {
        for part in platforms.split(';') {
            if let Some((k, v)) = part.split_once(':') {
                lists.push((k.trim(), v.split(',').map(str::trim).collect()));
            }
        }
    }
    let mut known = false;
    for (key, values) in lists {
        let current = match key {
            "os" => os,
            "cpu" => cpu,
            _ => continue,
        };
        known = true;
        let (denied, allowed): (Vec<&str>, Vec<&str>) =
            values.into_iter().partition(|v| v.starts_with('!'));
        if denied.iter().any(|d| d.trim_start_matches('!') == current) {
            return Some(false);
        }
        if !allowed.is_empty() && !allowed.contains(&current) {
            return Some(false);
        }
    }
    known.then_some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_conditions_of_every_lockfile_form() {
        assert_eq!(
            for_platform("os=darwin & cpu=arm64", "linux", "x64"),
            Some(false)
        );
        assert_eq!(
            for_platform("os=linux & cpu=x64", "linux", "x64"),
            Some(true)
        );
        assert_eq!(for_platform("os: darwin", "linux", "x64"), Some(false));
        assert_eq!(
            for_platform("os: darwin, linux; cpu: x64", "linux", "x64"),
            Some(true)
        );
        assert_eq!(for_platform("os: !win32", "win32", "x64"), Some(false));
        assert_eq!(for_platform("os: !win32", "linux", "x64"), Some(true));
        assert_eq!(for_platform("libc=musl", "linux", "x64"), None);
        assert_eq!(node_os("macos"), "darwin");
        assert_eq!(node_cpu("aarch64"), "arm64");
    }
}
