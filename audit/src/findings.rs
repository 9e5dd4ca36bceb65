//! Findings: what an audit reports. A finding is a result, not an error; each has a stable
//! kebab-case [`Code`] documented in `docs/src/reference/audit-codes.md`.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use crate::model::{Ecosystem, Package};

/// How much a finding matters. Any [`Severity::Error`] fails the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing; never fails.
    Note,
    /// Should be looked at; does not fail.
    Warning,
    /// Fails the audit.
    Error,
}

impl Severity {
    /// The lowercase name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! codes {
    ($($variant:ident => $name:literal: $summary:literal,)*) => {
        /// The stable identifier of a kind of finding.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $(#[doc = $summary] $variant,)*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The kebab-case name, stable across releases.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }

            /// A one-line description.
            #[must_use]
            pub fn summary(self) -> &'static str {
                match self {
                    $(Self::$variant => $summary,)*
                }
            }

            /// Looks a code up by its name.
            #[must_use]
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|c| c.as_str() == name)
            }
        }
    };
}

codes! {
    LicenseNotAllowed => "license-not-allowed": "The package's license expression is not satisfied by the allowed licenses.",
    LicenseDenied => "license-denied": "The package's license expression can only be met with a denied license.",
    LicenseCopyleft => "license-copyleft": "The package is accepted only under a copyleft license that the allow list does not name.",
    LicenseUnknown => "license-unknown": "No license is known for the package.",
    LicenseInvalid => "license-invalid": "The package's license is not a valid SPDX expression and cannot be read as one.",
    LicenseNonstandard => "license-nonstandard": "The license is not valid SPDX but was read as a standard expression.",
    ExceptionExpired => "exception-expired": "A policy exception is past its expiry date and no longer applies.",
    ExceptionUnused => "exception-unused": "A policy exception or clarification matched no package.",
    RegistryNotAllowed => "registry-not-allowed": "The package comes from a registry the policy does not allow.",
    GitUnpinned => "git-unpinned": "A git dependency is not pinned to a full 40-hex-digit commit.",
    GitSource => "git-source": "The package comes from a git repository rather than a registry.",
    LocalSource => "local-source": "The package comes from a path on disk outside the workspace.",
    TarballSource => "tarball-source": "The package is downloaded from a URL that is not a registry.",
    InsecureUrl => "insecure-url": "The package is fetched over plain HTTP or git://, without transport security.",
    UnrecognizedSource => "unrecognized-source": "The lockfile names a source this tool does not recognize.",
    PatchedPackage => "patched-package": "The package manager applies a patch to the package.",
    IntegrityMissing => "integrity-missing": "The lockfile pins no digest for a downloaded package.",
    IntegrityWeak => "integrity-weak": "The strongest digest the lockfile pins is SHA-1.",
    InstallScript => "install-script": "The package runs scripts when it is installed.",
    NpmAlias => "npm-alias": "The package is installed under another package's name.",
    DuplicateVersions => "duplicate-versions": "Several versions of the same package are locked.",
    CrateYanked => "crate-yanked": "The locked crate version is yanked from crates.io (online check).",
    CrateNotInRegistry => "crate-not-in-registry": "The locked crate version is not in the crates.io index (online check).",
    NpmNotInRegistry => "npm-not-in-registry": "The locked npm package version is not in the npm registry (online check).",
    NpmIntegrityMismatch => "npm-integrity-mismatch": "The npm registry's integrity digest differs from the lockfile's (online check).",
    NpmSignatureInvalid => "npm-signature-invalid": "A registry signature does not verify over the lockfile's integrity (online check).",
    NpmSignatureMissing => "npm-signature-missing": "The npm registry holds no signature for the package version (online check).",
    Advisory => "advisory": "A security advisory affects the locked version of the package.",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The package a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PackageRef {
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
}

impl From<&Package> for PackageRef {
    fn from(p: &Package) -> Self {
        Self {
            ecosystem: p.ecosystem,
            name: p.name.clone(),
            version: p.version.clone(),
        }
    }
}

impl fmt::Display for PackageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}@{}", self.ecosystem, self.name, self.version)
    }
}

/// One result of an audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What kind of finding.
    pub code: Code,
    /// How much it matters.
    pub severity: Severity,
    /// The package, when the finding is about one.
    pub package: Option<PackageRef>,
    /// The lockfile it was found in (the policy file, for policy findings).
    pub file: PathBuf,
    /// What was found, for a person to read.
    pub message: String,
    /// For an `advisory` finding, the advisory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advisory: Option<Box<AdvisoryDetails>>,
}

/// The advisory an `advisory` finding reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdvisoryDetails {
    /// Its id in the database it was read from.
    pub id: String,
    /// Other ids for the same problem (CVE, GHSA, RUSTSEC), from every matching record.
    pub aliases: Vec<String>,
    /// The one-line summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// How severe, as the record says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<crate::advisory::Severity>,
    /// The versions that fix it; empty when no fix is published.
    pub fixed: Vec<String>,
    /// For informational advisories, the kind (`unmaintained`, `unsound`, `notice`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub informational: Option<String>,
    /// Where to read about it.
    pub url: String,
}

impl Finding {
    /// A finding about `package`.
    #[must_use]
    pub fn for_package(code: Code, severity: Severity, package: &Package, message: String) -> Self {
        Self {
            code,
            severity,
            package: Some(package.into()),
            file: package.lockfile.clone(),
            message,
            advisory: None,
        }
    }
}

/// How many findings of each severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Errors.
    pub error: usize,
    /// Warnings.
    pub warning: usize,
    /// Notes.
    pub note: usize,
}

impl Counts {
    /// Counts `findings` by severity.
    #[must_use]
    pub fn of(findings: &[Finding]) -> Self {
        let mut c = Self::default();
        for f in findings {
            match f.severity {
                Severity::Error => c.error += 1,
                Severity::Warning => c.warning += 1,
                Severity::Note => c.note += 1,
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{name} twice");
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{name}"
            );
            assert_eq!(Code::from_name(name), Some(*code));
        }
        assert_eq!(Code::from_name("no-such-code"), None);
    }

    #[test]
    fn severities_order_from_note_to_error() {
        assert!(Severity::Note < Severity::Warning && Severity::Warning < Severity::Error);
    }
}
