//! The entry point: read lockfiles, fill in licenses, run the checks, and return a [`Report`].

use std::path::PathBuf;

use crate::check::{self, Options};
use crate::license::gather::{self, ManifestSources};
use crate::lockfile::{self, Limits, Lockfile, LockfileError};
use crate::policy::{Date, Policy};
use crate::report::Report;

/// Runs audits under one policy.
///
/// ```no_run
/// # use sigil_audit::{Auditor, policy::{Date, Policy}};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let today: Date = "2026-11-25".parse()?;
/// let report = Auditor::new(Policy::builtin(), today)
///     .exclude_dev(true)
///     .audit(&["Cargo.lock".into()])?;
/// assert!(report.passed());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Auditor {
    policy: Policy,
    today: Date,
    limits: Limits,
    manifests: ManifestSources,
    exclude_dev: bool,
}

impl Auditor {
    /// An auditor applying `policy`, judging exception expiry as of `today`.
    #[must_use]
    pub fn new(policy: Policy, today: Date) -> Self {
        Self {
            policy,
            today,
            limits: Limits::default(),
            manifests: ManifestSources::default(),
            exclude_dev: false,
        }
    }

    /// Limits on lockfile size and shape (default: [`Limits::default`]).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Where to look for package manifests when a lockfile carries no license (default:
    /// nowhere).
    #[must_use]
    pub fn manifests(mut self, manifests: ManifestSources) -> Self {
        self.manifests = manifests;
        self
    }

    /// Leave dev-only packages out of the checks and the SBOMs (the policy can also ask).
    #[must_use]
    pub fn exclude_dev(mut self, exclude: bool) -> Self {
        self.exclude_dev = exclude;
        self
    }

    /// The policy applied.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Reads every lockfile and audits them together.
    ///
    /// # Errors
    /// The first lockfile that cannot be read: the audit cannot run.
    pub fn audit(&self, paths: &[PathBuf]) -> Result<Report, LockfileError> {
        let lockfiles = paths
            .iter()
            .map(|p| lockfile::read(p, &self.limits))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.audit_lockfiles(lockfiles))
    }

    /// Audits lockfiles already read.
    #[must_use]
    pub fn audit_lockfiles(&self, mut lockfiles: Vec<Lockfile>) -> Report {
        for l in &mut lockfiles {
            gather::fill(&mut l.packages, &self.manifests);
        }
        let options = Options {
            today: self.today,
            exclude_dev: self.exclude_dev || self.policy.exclude_dev,
        };
        let findings = check::run(&lockfiles, &self.policy, &options);
        Report::new(lockfiles, findings, &self.policy, options)
    }
}
