//! sigil-audit: what are we shipping, under which licenses, from where, and can we prove it.
//!
//! What it does:
//! - reads lockfiles into one [`model::Package`] model ([`lockfile`]): `Cargo.lock` v1 to v4,
//!   `package-lock.json` / `npm-shrinkwrap.json` lockfileVersion 1 to 3, `yarn.lock` (yarn 1's
//!   text format and yarn 2+'s YAML, `__metadata` 4 and newer), and `pnpm-lock.yaml` 5.x, 6.x and
//!   9.x, under explicit [`lockfile::Limits`] on size, nesting and field lengths;
//! - finds each package's license in the lockfile or in manifests on disk
//!   ([`license::gather`]), reads it as an SPDX 2.3 expression (mapping common non-SPDX
//!   spellings, with a finding) and evaluates it against a [`policy::Policy`];
//! - checks provenance: allowed registries, git pins, local and tarball sources, integrity
//!   digests and their strength, install scripts, aliases and duplicate versions ([`check`]);
//! - reports [`findings::Finding`]s with stable codes (documented in
//!   `docs/src/reference/audit-codes.md`) as a human summary, JSON, SARIF 2.1.0, and
//!   CycloneDX 1.6 and SPDX 2.3 SBOMs ([`report`]), with a [`Summary`] (lockfile and policy
//!   SHA-256 digests, finding counts) for the custody log;
//! - records each audit as a signed `dependency-audit` statement in a chain-of-custody log
//!   ([`custody`]), and reads such logs for the security team: verify, show, prove, trace;
//! - matches locked versions against OSV advisory databases read from disk ([`advisory`]).
//!
//! - only when asked ([`online`], `sigil-audit check --online`): downloads the OSV advisory
//!   databases from osv.dev when asked and none is given, asks crates.io whether locked crate versions
//!   are yanked, and checks npm registry integrity and ECDSA signatures over what npm
//!   lockfiles pin.
//!
//! What it deliberately does not do: run a package manager, resolve dependency ranges, reach
//! the network unless [`Auditor::audit_online`] or [`online::fetch_advisories`] is called, or
//! scan source files for license texts. Lockfiles that do not record something (the registry in yarn berry and pnpm, dev-only status in Cargo.lock,
//! install scripts in yarn.lock) leave it unknown rather than guessed; for yarn, dev-only status
//! is derived from the project's `package.json` beside the lockfile (single-package projects
//! only). Nothing here prints or exits: the `sigil-audit` binary does that.
//!
//! ```no_run
//! use sigil_audit::{Auditor, OutputFormat, policy::{Date, Policy}};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let policy = Policy::load("audit/sigil-policy.toml".as_ref())?;
//! let today = Date::today_utc().ok_or("clock before 1970")?;
//! let report = Auditor::new(policy, today).audit(&["Cargo.lock".into()])?;
//! let sarif = report.render(OutputFormat::Sarif)?;
//! let summary = report.summary(); // digests and counts, for the custody log
//! # let _ = (sarif, summary);
//! # Ok(()) }
//! ```

pub mod advisory;
mod audit;
pub mod check;
pub mod custody;
pub mod findings;
pub mod license;
pub mod lockfile;
pub mod model;
pub mod online;
pub mod policy;
pub mod report;

pub use audit::{AuditError, Auditor};
pub use report::{AdvisorySummary, OutputFormat, Report, Summary};
