//! Fetching advisory databases: osv.dev publishes every ecosystem's records as one zip,
//! `<bucket>/<ecosystem>/all.zip` (<https://google.github.io/osv.dev/data/>), RustSec's and
//! GitHub's advisories included.

use super::{Fetch, Fetched, OnlineError, Url, join};
use crate::advisory::{Database, DatabaseLimits};
use crate::model::Ecosystem;

/// osv.dev's public bucket.
pub const OSV_BUCKET: &str = "https://osv-vulnerabilities.storage.googleapis.com/";

/// [`OSV_BUCKET`] as a URL.
#[must_use]
pub fn default_bucket() -> Url {
    // Invariant: a constant, well-formed URL.
    #[allow(clippy::expect_used)]
    Url::parse(OSV_BUCKET).expect("constant URL")
}

/// The ecosystem's folder name in the bucket.
fn folder(e: Ecosystem) -> &'static str {
    match e {
        Ecosystem::Cargo => "crates.io",
        Ecosystem::Npm => "npm",
    }
}

/// Fetches `all.zip` for each of `ecosystems` from `bucket` and adds them to `db` (see
/// [`Database::only_packages`] to keep only what an audit needs).
///
/// # Errors
/// A download failed or was not found, or an archive is not a readable OSV database.
pub fn fetch_advisories(
    mut db: Database,
    fetch: &dyn Fetch,
    bucket: &Url,
    ecosystems: &[Ecosystem],
    limits: &DatabaseLimits,
) -> Result<Database, OnlineError> {
    for e in ecosystems {
        let url = join(bucket, &format!("{}/all.zip", folder(*e)));
        let body = match fetch.get(&url)? {
            Fetched::Body(b) => b,
            Fetched::NotFound => {
                return Err(OnlineError::Status {
                    url: url.clone(),
                    status: 404,
                });
            }
        };
        db.add_zip(&url, std::io::Cursor::new(body), limits)
            .map_err(|source| OnlineError::Advisories {
                url: url.clone(),
                source,
            })?;
    }
    Ok(db)
}
