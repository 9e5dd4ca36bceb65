//! The entry point: read lockfiles, fill in licenses, run the checks, and return a [`Report`].

use std::path::PathBuf;
use std::sync::Arc;

use crate::advisory::{self, Database};
use crate::check::{self, Options};
use crate::license::gather::{self, ManifestSources};
use crate::lockfile::{self, Limits, Lockfile, LockfileError};
use crate::online::{OnlineCheck, OnlineError};
use crate::policy::{Date, Policy};
use crate::report::Report;

/// Why an online audit could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// A lockfile could not be read.
    #[error(transparent)]
    Lockfile(#[from] LockfileError),
    /// A registry could not be asked, or its answer could not be read.
    #[error(transparent)]
    Online(#[from] OnlineError),
}

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
    advisories: Option<Arc<Database>>,
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
            advisories: None,
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

    /// Match every checked package against this advisory database (default: no advisory
    /// check).
    #[must_use]
    pub fn advisories(mut self, db: Database) -> Self {
        self.advisories = Some(Arc::new(db));
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
        let options = self.prepare(&mut lockfiles);
        let findings = self.offline_findings(&lockfiles, &options);
        self.finish(Report::new(lockfiles, findings, &self.policy, options))
    }

    /// Reads every lockfile and audits them together, adding what the registries say today
    /// (yanked crates, npm integrity and signatures; see [`crate::online`]).
    ///
    /// # Errors
    /// A lockfile cannot be read, or a registry cannot be asked: the audit cannot run.
    pub fn audit_online(
        &self,
        paths: &[PathBuf],
        online: &OnlineCheck,
    ) -> Result<Report, AuditError> {
        let lockfiles = paths
            .iter()
            .map(|p| lockfile::read(p, &self.limits))
            .collect::<Result<Vec<_>, _>>()?;
        self.audit_lockfiles_online(lockfiles, online)
    }

    /// Audits lockfiles already read, online (see [`Self::audit_online`]).
    ///
    /// # Errors
    /// A registry cannot be asked, or its answer cannot be read.
    pub fn audit_lockfiles_online(
        &self,
        mut lockfiles: Vec<Lockfile>,
        online: &OnlineCheck,
    ) -> Result<Report, AuditError> {
        let options = self.prepare(&mut lockfiles);
        let mut findings = self.offline_findings(&lockfiles, &options);
        findings.extend(online.findings(&lockfiles, &self.policy, &options)?);
        check::sort(&mut findings);
        Ok(self.finish(Report::new(lockfiles, findings, &self.policy, options)))
    }

    /// The checks and, with a database, the advisories, sorted.
    fn offline_findings(
        &self,
        lockfiles: &[Lockfile],
        options: &Options,
    ) -> Vec<crate::findings::Finding> {
        let mut findings = check::run(lockfiles, &self.policy, options);
        if let Some(db) = &self.advisories {
            findings.extend(advisory::check(db, lockfiles, &self.policy, options));
            check::sort(&mut findings);
        }
        findings
    }

    /// Notes on the report which advisory databases were used.
    fn finish(&self, report: Report) -> Report {
        match &self.advisories {
            Some(db) => report.with_advisories(crate::report::AdvisorySummary {
                databases: db.sources().to_vec(),
                records: db.records(),
                advisories: db.len(),
                filtered: db.is_filtered(),
            }),
            None => report,
        }
    }

    /// Fills in licenses and settles the check options.
    fn prepare(&self, lockfiles: &mut [Lockfile]) -> Options {
        for l in lockfiles.iter_mut() {
            gather::fill(&mut l.packages, &self.manifests);
        }
        Options {
            today: self.today,
            exclude_dev: self.exclude_dev || self.policy.exclude_dev,
        }
    }
}
