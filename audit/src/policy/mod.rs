//! The audit policy: a TOML file saying which licenses, sources and package behaviours are
//! acceptable, with per-package exceptions (each with a reason and an optional expiry date) and
//! clarifications for packages whose metadata is wrong. The format is documented in
//! `docs/src/reference/audit-policy.md`.

mod date;
mod raw;

use std::path::Path;

pub use date::{Date, DateError};
use serde::Serialize;

use crate::findings::{Code, Severity};
use crate::model::{Ecosystem, Package};

/// What to do about a kind of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Report an error: the audit fails.
    Deny,
    /// Report a warning.
    Warn,
    /// Report a note.
    Note,
    /// Report nothing.
    Allow,
}

impl Level {
    /// This level, but no louder than a note (`allow` stays `allow`).
    #[must_use]
    pub fn min_note(self) -> Self {
        match self {
            Self::Allow => Self::Allow,
            _ => Self::Note,
        }
    }

    /// The severity to report at, or `None` to report nothing.
    #[must_use]
    pub fn severity(self) -> Option<Severity> {
        match self {
            Self::Deny => Some(Severity::Error),
            Self::Warn => Some(Severity::Warning),
            Self::Note => Some(Severity::Note),
            Self::Allow => None,
        }
    }
}

/// Which packages a policy entry applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Selector {
    /// The package name.
    pub name: String,
    /// One version only, or every version when `None`.
    pub version: Option<String>,
    /// One ecosystem only, or both when `None`.
    pub ecosystem: Option<Ecosystem>,
}

impl Selector {
    /// Whether `package` is selected.
    #[must_use]
    pub fn matches(&self, package: &Package) -> bool {
        self.name == package.name
            && self.version.as_ref().is_none_or(|v| *v == package.version)
            && self.ecosystem.is_none_or(|e| e == package.ecosystem)
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(e) = self.ecosystem {
            write!(f, "{e} ")?;
        }
        f.write_str(&self.name)?;
        if let Some(v) = &self.version {
            write!(f, "@{v}")?;
        }
        Ok(())
    }
}

/// A per-package waiver: extra licenses, and finding codes not to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// The packages it covers.
    pub selector: Selector,
    /// Licenses accepted for these packages besides the allow list.
    pub licenses: Vec<spdx::Licensee>,
    /// Finding codes not reported for these packages.
    pub codes: Vec<Code>,
    /// Why the waiver was granted.
    pub reason: String,
    /// The last day it applies; from the next day on it is reported and ignored.
    pub expires: Option<Date>,
}

impl Exception {
    /// Whether the exception still applies on `today`.
    #[must_use]
    pub fn is_active(&self, today: Date) -> bool {
        self.expires.is_none_or(|e| today <= e)
    }
}

/// The license a package really has, when its metadata says otherwise or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clarification {
    /// The packages it covers.
    pub selector: Selector,
    /// The SPDX expression to use instead of the package's own.
    pub license: String,
    /// Why (for example, where the real license text was found).
    pub reason: String,
}

/// The license rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicensePolicy {
    /// Licenses accepted for every package.
    pub allow: Vec<spdx::Licensee>,
    /// Licenses never accepted, even when another rule would.
    pub deny: Vec<spdx::Licensee>,
    /// Copyleft licenses missing from the allow list: denied, or accepted with a report.
    pub copyleft: Level,
    /// Packages with no known license.
    pub unknown: Level,
    /// Non-SPDX spellings that were read as SPDX (`Apache 2.0`, `MIT/Apache-2.0`).
    pub nonstandard: Level,
}

/// The source, integrity and behaviour rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePolicy {
    /// Registry URL prefixes accepted.
    pub registries: Vec<String>,
    /// Git dependencies pinned to a full commit.
    pub git: Level,
    /// Path, file and link dependencies outside the workspace.
    pub local: Level,
    /// Tarballs from URLs that are not registries.
    pub tarball: Level,
    /// Sources fetched over plain `http://` or `git://`.
    pub insecure: Level,
    /// Sources this tool does not recognize.
    pub unrecognized: Level,
    /// Packages patched by the package manager.
    pub patched: Level,
    /// Downloaded packages with no digest.
    pub missing_integrity: Level,
    /// Packages pinned only by SHA-1.
    pub weak_integrity: Level,
    /// Packages that run install scripts.
    pub install_scripts: Level,
    /// Packages installed under another name.
    pub aliases: Level,
    /// Several versions of one package.
    pub duplicates: Level,
    /// Crate versions yanked from crates.io (reported only by the online check).
    pub yanked: Level,
}

/// A loaded, validated policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// License rules.
    pub licenses: LicensePolicy,
    /// Source rules.
    pub sources: SourcePolicy,
    /// Per-package waivers.
    pub exceptions: Vec<Exception>,
    /// Per-package license corrections.
    pub clarifications: Vec<Clarification>,
    /// Advisory databases, levels and exceptions (`[advisories]`).
    pub advisories: crate::advisory::AdvisoryPolicy,
    /// Leave dev-only packages out of every check.
    pub exclude_dev: bool,
    /// SHA-256 of the policy file's bytes (lowercase hex), `None` for the built-in default.
    pub sha256: Option<String>,
    /// The file it was loaded from, `None` for the built-in default or bytes.
    pub path: Option<std::path::PathBuf>,
}

/// The largest policy file accepted.
pub const MAX_POLICY_BYTES: u64 = 1024 * 1024;

/// Why a policy could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file could not be read.
    #[error("cannot read policy file {path}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is too large.
    #[error("policy file {path} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The path.
        path: String,
        /// The limit.
        limit: u64,
    },
    /// Invalid TOML, or a key or value the format does not have.
    #[error("invalid policy")]
    Toml(#[source] toml::de::Error),
    /// A license entry is not an SPDX license.
    #[error("{field}: expected an SPDX license or expression, found {found:?}")]
    License {
        /// Where in the policy.
        field: String,
        /// The value.
        found: String,
        /// The parser's complaint.
        #[source]
        source: spdx::ParseError,
    },
    /// An expiry date is not a date.
    #[error("{field}: invalid expiry date")]
    Date {
        /// Where in the policy.
        field: String,
        /// The cause.
        #[source]
        source: DateError,
    },
    /// A finding code in an exception does not exist.
    #[error("{field}: expected a finding code (see audit-codes.md), found {found:?}")]
    Code {
        /// Where in the policy.
        field: String,
        /// The value.
        found: String,
    },
    /// An exception or clarification without a reason.
    #[error("{field}: expected a non-empty reason")]
    NoReason {
        /// Where in the policy.
        field: String,
    },
}

impl Policy {
    /// Reads and validates the policy file at `path`.
    ///
    /// # Errors
    /// When the file cannot be read, is too large, or is not a valid policy.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        use std::io::Read as _;
        let shown = path.display().to_string();
        let io = |source| PolicyError::Io {
            path: shown.clone(),
            source,
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .map_err(io)?
            .take(MAX_POLICY_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_POLICY_BYTES {
            return Err(PolicyError::TooLarge {
                path: shown,
                limit: MAX_POLICY_BYTES,
            });
        }
        let mut policy = Self::from_bytes(&bytes)?;
        policy.path = Some(path.to_path_buf());
        Ok(policy)
    }

    /// Parses and validates policy bytes.
    ///
    /// # Errors
    /// When the bytes are not a valid policy.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PolicyError> {
        let text = String::from_utf8_lossy(bytes);
        let raw: raw::RawPolicy = toml::from_str(&text).map_err(PolicyError::Toml)?;
        let mut policy = raw.validate()?;
        policy.sha256 = Some(hex::encode(ring::digest::digest(
            &ring::digest::SHA256,
            bytes,
        )));
        Ok(policy)
    }

    /// The built-in policy used without a policy file: common permissive licenses, the public
    /// crates.io and npm registries, and the default levels.
    #[must_use]
    pub fn builtin() -> Self {
        raw::builtin()
    }

    /// The active exceptions covering `package` on `today`.
    pub fn exceptions_for<'a>(
        &'a self,
        package: &'a Package,
        today: Date,
    ) -> impl Iterator<Item = &'a Exception> + 'a {
        self.exceptions
            .iter()
            .filter(move |e| e.is_active(today) && e.selector.matches(package))
    }

    /// The clarification for `package`, if any.
    #[must_use]
    pub fn clarification_for(&self, package: &Package) -> Option<&Clarification> {
        self.clarifications
            .iter()
            .find(|c| c.selector.matches(package))
    }
}
