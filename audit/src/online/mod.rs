//! The online checks, run only when asked (`sigil-audit check --online`): what the registries
//! say today about the packages a lockfile pins.
//!
//! - crates.io: each locked crate version is looked up in the sparse index
//!   (<https://doc.rust-lang.org/cargo/reference/registry-index.html>); a yanked version is
//!   `crate-yanked`, a version the index does not list is `crate-not-in-registry`.
//! - npm: each locked version's document is fetched from the registry; its `dist.integrity` is
//!   compared with the lockfile's (`npm-integrity-mismatch`), and its ECDSA P-256 registry
//!   signatures (<https://docs.npmjs.com/about-registry-signatures>) are verified over
//!   `{name}@{version}:{integrity}`, with the lockfile's integrity, against the registry's
//!   published keys (`npm-signature-invalid`, `npm-signature-missing`).
//!
//! Only packages whose lockfile names crates.io or npmjs (or yarnpkg, its mirror) are looked
//! up: yarn berry and pnpm lockfiles do not record the registry, and other registries are not
//! these. Requests are made one at a time, each document once per run, up to a total cap.
//! A request that fails is an [`OnlineError`] naming the URL, never a finding: the audit could
//! not run. Key `expires` dates are not enforced, because a version document carries no publish
//! date to judge them against; npm keeps retired keys in its keys document for exactly the
//! signatures they made before retiring.

mod crates;
mod fetch;
mod npm;
mod osv;

use std::collections::HashMap;

pub use fetch::{Fetch, Fetched, HttpFetch, HttpOptions};
pub use osv::{OSV_BUCKET, default_bucket, fetch_advisories};
pub use reqwest::Url;

use crate::check::{self, Options};
use crate::findings::Finding;
use crate::lockfile::Lockfile;
use crate::model::{Ecosystem, Package};
use crate::policy::Policy;

/// Where the registries are. Tests and mirrors point these elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineSources {
    /// The crates.io sparse index (default `https://index.crates.io/`).
    pub crates_index: Url,
    /// The npm registry (default `https://registry.npmjs.org/`).
    pub npm_registry: Url,
}

impl Default for OnlineSources {
    fn default() -> Self {
        // Invariant: constant, well-formed URLs.
        #[allow(clippy::expect_used)]
        Self {
            crates_index: Url::parse("https://index.crates.io/").expect("constant URL"),
            npm_registry: Url::parse("https://registry.npmjs.org/").expect("constant URL"),
        }
    }
}

/// The default cap on requests in one run.
pub const DEFAULT_MAX_REQUESTS: usize = 10_000;

/// Why the online checks could not run. A registry's answer about a package is a finding; only
/// failing to get an answer is an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OnlineError {
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client")]
    Client {
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// A request failed: no connection, TLS, timeout.
    #[error("cannot fetch {url}")]
    Request {
        /// The URL.
        url: String,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with a status other than success or not found.
    #[error("{url} answered HTTP {status}, expected 200 or 404")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The body could not be read.
    #[error("cannot read the answer from {url}")]
    Read {
        /// The URL.
        url: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The body is larger than the limit.
    #[error("the answer from {url} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// The run would need more requests than allowed.
    #[error("the online checks need more than the limit of {limit} requests")]
    TooManyRequests {
        /// The limit.
        limit: usize,
    },
    /// The body is not the JSON document expected.
    #[error("the answer from {url} is not {expected}")]
    Json {
        /// The URL.
        url: String,
        /// What was expected there.
        expected: &'static str,
        /// The parser's complaint.
        #[source]
        source: serde_json::Error,
    },
    /// A registry key is not valid base64.
    #[error("key {keyid} in {url} is not valid base64")]
    KeyEncoding {
        /// The keys document's URL.
        url: String,
        /// The key's id.
        keyid: String,
    },
    /// A registry key is not a public key sigil can read.
    #[error("key {keyid} in {url} is not a valid public key")]
    Key {
        /// The keys document's URL.
        url: String,
        /// The key's id.
        keyid: String,
        /// The cause.
        #[source]
        source: sigil_keys::PublicKeyError,
    },
    /// A registry key is not an ECDSA P-256 key.
    #[error("key {keyid} in {url} is a {found} key, expected ecdsa-sha2-nistp256")]
    KeyScheme {
        /// The keys document's URL.
        url: String,
        /// The key's id.
        keyid: String,
        /// Its scheme.
        found: sigil_keys::Scheme,
    },
    /// A downloaded advisory database could not be read.
    #[error("the advisory database from {url} cannot be read")]
    Advisories {
        /// Where it was downloaded from.
        url: String,
        /// The cause.
        #[source]
        source: crate::advisory::DatabaseError,
    },
    /// A package's name or version cannot be put in a registry URL as it is.
    #[error(
        "cannot look up {ecosystem} package {name:?} version {version:?}: not a name and \
         version the registry could hold"
    )]
    UnsafeName {
        /// The ecosystem.
        ecosystem: Ecosystem,
        /// The name as locked.
        name: String,
        /// The version as locked.
        version: String,
    },
}

/// The online checks, with their transport and limits.
///
/// ```no_run
/// # use sigil_audit::online::{HttpFetch, HttpOptions, OnlineCheck};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let online = OnlineCheck::new(HttpFetch::new(&HttpOptions::default())?).max_requests(500);
/// # let _ = online;
/// # Ok(()) }
/// ```
pub struct OnlineCheck {
    fetch: Box<dyn Fetch>,
    sources: OnlineSources,
    max_requests: usize,
}

impl std::fmt::Debug for OnlineCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnlineCheck")
            .field("sources", &self.sources)
            .field("max_requests", &self.max_requests)
            .finish_non_exhaustive()
    }
}

impl OnlineCheck {
    /// Checks through `fetch`, against the public registries, with [`DEFAULT_MAX_REQUESTS`].
    #[must_use]
    pub fn new(fetch: impl Fetch + 'static) -> Self {
        Self {
            fetch: Box::new(fetch),
            sources: OnlineSources::default(),
            max_requests: DEFAULT_MAX_REQUESTS,
        }
    }

    /// Where the registries are.
    #[must_use]
    pub fn sources(mut self, sources: OnlineSources) -> Self {
        self.sources = sources;
        self
    }

    /// The most requests one run may make; past it the run fails.
    #[must_use]
    pub fn max_requests(mut self, max: usize) -> Self {
        self.max_requests = max;
        self
    }

    /// The findings for every in-scope package of `lockfiles`, waivers applied, unsorted.
    ///
    /// # Errors
    /// A registry could not be asked or gave an answer that cannot be read.
    pub fn findings(
        &self,
        lockfiles: &[Lockfile],
        policy: &Policy,
        options: &Options,
    ) -> Result<Vec<Finding>, OnlineError> {
        let mut session = Session {
            check: self,
            requests: 0,
            crates: HashMap::new(),
            npm_versions: HashMap::new(),
            npm_keys: None,
        };
        let mut findings = Vec::new();
        for lockfile in lockfiles {
            for p in lockfile
                .packages
                .iter()
                .filter(|p| check::in_scope(p, policy, options))
            {
                let mut own = session.check_package(p, policy)?;
                own.retain(|f| {
                    !policy
                        .exceptions_for(p, options.today)
                        .any(|e| e.codes.contains(&f.code))
                });
                findings.extend(own);
            }
        }
        Ok(findings)
    }
}

/// One run: the request count and what was already fetched.
struct Session<'a> {
    check: &'a OnlineCheck,
    requests: usize,
    /// Per index URL, the parsed index file (`None`: not in the index).
    crates: HashMap<String, Option<Vec<crates::IndexLine>>>,
    /// Per version document URL, the parsed document (`None`: not in the registry).
    npm_versions: HashMap<String, Option<npm::VersionDoc>>,
    npm_keys: Option<npm::Keys>,
}

impl Session<'_> {
    fn get(&mut self, url: &str) -> Result<Fetched, OnlineError> {
        if self.requests >= self.check.max_requests {
            return Err(OnlineError::TooManyRequests {
                limit: self.check.max_requests,
            });
        }
        self.requests += 1;
        self.check.fetch.get(url)
    }

    fn check_package(&mut self, p: &Package, policy: &Policy) -> Result<Vec<Finding>, OnlineError> {
        if crates::is_crates_io(p) {
            let path = crates::index_path(&p.name).ok_or_else(|| unsafe_name(p))?;
            let url = join(&self.check.sources.crates_index, &path);
            if !self.crates.contains_key(&url) {
                let entry = match self.get(&url)? {
                    Fetched::Body(body) => Some(crates::parse_index(&url, &body)?),
                    Fetched::NotFound => None,
                };
                self.crates.insert(url.clone(), entry);
            }
            let entry = self.crates.get(&url).and_then(Option::as_deref);
            return Ok(crates::check(p, entry, &url, policy));
        }
        if npm::is_npmjs(p) {
            let path = npm::version_path(&p.name, &p.version).ok_or_else(|| unsafe_name(p))?;
            let url = join(&self.check.sources.npm_registry, &path);
            if !self.npm_versions.contains_key(&url) {
                let doc = match self.get(&url)? {
                    Fetched::Body(body) => Some(npm::parse_version(&url, &body)?),
                    Fetched::NotFound => None,
                };
                self.npm_versions.insert(url.clone(), doc);
            }
            let needs_keys = self
                .npm_versions
                .get(&url)
                .and_then(Option::as_ref)
                .is_some_and(npm::VersionDoc::is_signed);
            if needs_keys && self.npm_keys.is_none() {
                let keys_url = join(&self.check.sources.npm_registry, npm::KEYS_PATH);
                let keys = match self.get(&keys_url)? {
                    Fetched::Body(body) => npm::parse_keys(&keys_url, &body)?,
                    // A registry without a keys document has no key to check signatures by.
                    Fetched::NotFound => npm::Keys::default(),
                };
                self.npm_keys = Some(keys);
            }
            let doc = self.npm_versions.get(&url).and_then(Option::as_ref);
            let keys = self.npm_keys.as_ref();
            return Ok(npm::check(p, doc, keys, &url));
        }
        Ok(Vec::new())
    }
}

fn unsafe_name(p: &Package) -> OnlineError {
    OnlineError::UnsafeName {
        ecosystem: p.ecosystem,
        name: p.name.clone(),
        version: p.version.clone(),
    }
}

/// `base` with `path` appended below it.
fn join(base: &Url, path: &str) -> String {
    format!("{}/{path}", base.as_str().trim_end_matches('/'))
}

/// Whether the lockfile's registry URL is one of `known` (scheme prefix such as `sparse+` and
/// trailing slashes ignored).
fn registry_is(p: &Package, known: &[&str]) -> bool {
    let crate::model::Source::Registry { url: Some(url) } = &p.source else {
        return false;
    };
    let url = url.strip_prefix("sparse+").unwrap_or(url);
    let url = url.strip_prefix("registry+").unwrap_or(url);
    let url = url.trim_end_matches('/');
    known.iter().any(|k| k.eq_ignore_ascii_case(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_with_one_slash() {
        let with = Url::parse("http://127.0.0.1:1/index/").unwrap();
        let without = Url::parse("http://127.0.0.1:1/index").unwrap();
        assert_eq!(join(&with, "3/s/syn"), "http://127.0.0.1:1/index/3/s/syn");
        assert_eq!(
            join(&without, "3/s/syn"),
            "http://127.0.0.1:1/index/3/s/syn"
        );
    }
}
