//! The policy's `[advisories]` section: where the databases are, how loud a match is, and
//! exceptions per advisory id, each with a reason and an optional expiry date.
//!
//! ```toml
//! [advisories]
//! databases = ["advisories/crates.io.zip", "advisories/npm.zip"]  # relative to this file
//! vulnerability = "deny"     # default
//! informational = "warn"     # RustSec unmaintained/unsound/notice; default
//!
//! [[advisories.ignore]]
//! id = "RUSTSEC-2024-0001"   # or any alias: a CVE or GHSA id
//! reason = "only the unused feature is affected"
//! expires = 2027-01-31
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::policy::{Date, Level, PolicyError};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawAdvisories {
    #[serde(default)]
    databases: Vec<PathBuf>,
    vulnerability: Option<Level>,
    informational: Option<Level>,
    #[serde(default)]
    ignore: Vec<RawIgnore>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawIgnore {
    id: String,
    #[serde(default)]
    reason: String,
    expires: Option<RawDate>,
}

/// An expiry date, quoted (`"2027-01-31"`) or as a TOML date (`2027-01-31`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawDate {
    Text(String),
    Toml(toml::value::Datetime),
}

/// An advisory not reported, on purpose, until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryException {
    /// The advisory id or one of its aliases.
    pub id: String,
    /// Why it is accepted.
    pub reason: String,
    /// The last day it applies; from the next day on the advisory is reported again.
    pub expires: Option<Date>,
}

impl AdvisoryException {
    /// Whether the exception still applies on `today`.
    #[must_use]
    pub fn is_active(&self, today: Date) -> bool {
        self.expires.is_none_or(|e| today <= e)
    }
}

/// The advisory rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryPolicy {
    /// Databases to read, as written in the policy (relative to the policy file).
    pub databases: Vec<PathBuf>,
    /// Vulnerabilities affecting a locked version.
    pub vulnerability: Level,
    /// Informational advisories (RustSec `unmaintained`, `unsound`, `notice`).
    pub informational: Level,
    /// Exceptions per advisory id.
    pub ignore: Vec<AdvisoryException>,
}

impl Default for AdvisoryPolicy {
    fn default() -> Self {
        Self {
            databases: Vec::new(),
            vulnerability: Level::Deny,
            informational: Level::Warn,
            ignore: Vec::new(),
        }
    }
}

impl AdvisoryPolicy {
    /// The databases, relative paths taken from the folder of the policy file at
    /// `policy_path`.
    #[must_use]
    pub fn database_paths(&self, policy_path: Option<&Path>) -> Vec<PathBuf> {
        let base = policy_path.and_then(Path::parent);
        self.databases
            .iter()
            .map(|d| match base {
                Some(b) if d.is_relative() => b.join(d),
                _ => d.clone(),
            })
            .collect()
    }
}

impl RawAdvisories {
    pub(crate) fn validate(self) -> Result<AdvisoryPolicy, PolicyError> {
        let defaults = AdvisoryPolicy::default();
        let mut ignore = Vec::with_capacity(self.ignore.len());
        for (i, e) in self.ignore.into_iter().enumerate() {
            let field = format!("advisories.ignore[{i}] ({})", e.id);
            if e.reason.trim().is_empty() {
                return Err(PolicyError::NoReason { field });
            }
            let expires = match e.expires {
                None => None,
                Some(raw) => {
                    let text = match raw {
                        RawDate::Text(t) => t,
                        RawDate::Toml(d) => d.to_string(),
                    };
                    Some(
                        text.parse()
                            .map_err(|source| PolicyError::Date { field, source })?,
                    )
                }
            };
            ignore.push(AdvisoryException {
                id: e.id,
                reason: e.reason,
                expires,
            });
        }
        Ok(AdvisoryPolicy {
            databases: self.databases,
            vulnerability: self.vulnerability.unwrap_or(defaults.vulnerability),
            informational: self.informational.unwrap_or(defaults.informational),
            ignore,
        })
    }
}
