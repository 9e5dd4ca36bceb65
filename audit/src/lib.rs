//! sigil-audit: what are we shipping, under which licenses, from where, and can we prove it.
//!
//! What it does:
//! - reads lockfiles into one [`model::Package`] model: `Cargo.lock` v1 to v4,
//!   `package-lock.json` / `npm-shrinkwrap.json` lockfileVersion 1 to 3, `yarn.lock` (yarn 1's
//!   text format and yarn 2+'s YAML), and `pnpm-lock.yaml` 5.x, 6.x and 9.x, under explicit
//!   [`lockfile::Limits`] on size, nesting and field lengths.
//!
//! What it deliberately does not do: run a package manager, resolve dependencies, reach the
//! network, or print and exit (the `sigil-audit` binary does that).

mod audit;
pub mod check;
pub mod findings;
pub mod license;
pub mod lockfile;
pub mod model;
pub mod policy;
pub mod report;

pub use audit::Auditor;
pub use report::{OutputFormat, Report, Summary};
