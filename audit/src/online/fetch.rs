//! The transport the online checks fetch through: a small trait, so that tests can answer from
//! memory, and an HTTP(S) implementation on `reqwest` with rustls on ring.

use std::io::Read as _;
use std::time::Duration;

use super::OnlineError;

/// What a fetch found at a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The body (HTTP 200).
    Body(Vec<u8>),
    /// Nothing is there (HTTP 404, 410 or 451, as Cargo reads them): the registry does not
    /// have it.
    NotFound,
}

/// Fetches a document by URL.
pub trait Fetch {
    /// GETs `url`. Anything other than a body or a plain "not found" is an error naming `url`.
    ///
    /// # Errors
    /// The request failed, the server answered with another status, or the body is larger than
    /// the transport's limit.
    fn get(&self, url: &str) -> Result<Fetched, OnlineError>;
}

/// Limits on each HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpOptions {
    /// Time allowed to connect.
    pub connect_timeout: Duration,
    /// Time allowed for the whole request, body included.
    pub timeout: Duration,
    /// The largest body accepted, in bytes.
    pub max_response_bytes: u64,
}

impl Default for HttpOptions {
    /// 10 s to connect, 60 s per request, and 16 MiB per body (the largest crates.io index
    /// files are a few MiB).
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            max_response_bytes: 16 * 1024 * 1024,
        }
    }
}

/// HTTP(S) GETs, one at a time, through rustls on ring with the platform's root certificates.
#[derive(Debug, Clone)]
pub struct HttpFetch {
    client: reqwest::blocking::Client,
    max_response_bytes: u64,
}

impl HttpFetch {
    /// A client with these limits.
    ///
    /// # Errors
    /// The TLS configuration could not be built.
    pub fn new(options: &HttpOptions) -> Result<Self, OnlineError> {
        // The process-wide default may already be installed (by us or by the embedding
        // program); either way ring is what the client uses.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::blocking::Client::builder()
            .user_agent(concat!("sigil-audit/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .build()
            .map_err(|source| OnlineError::Client { source })?;
        Ok(Self {
            client,
            max_response_bytes: options.max_response_bytes,
        })
    }
}

impl Fetch for HttpFetch {
    fn get(&self, url: &str) -> Result<Fetched, OnlineError> {
        let response = self
            .client
            .get(url)
            .send()
            .map_err(|source| OnlineError::Request {
                url: url.to_owned(),
                source,
            })?;
        let status = response.status();
        if matches!(status.as_u16(), 404 | 410 | 451) {
            return Ok(Fetched::NotFound);
        }
        if !status.is_success() {
            return Err(OnlineError::Status {
                url: url.to_owned(),
                status: status.as_u16(),
            });
        }
        let limit = self.max_response_bytes;
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(OnlineError::TooLarge {
                url: url.to_owned(),
                limit,
            });
        }
        let mut body = Vec::new();
        response
            .take(limit.saturating_add(1))
            .read_to_end(&mut body)
            .map_err(|source| OnlineError::Read {
                url: url.to_owned(),
                source,
            })?;
        if u64::try_from(body.len()).map_or(true, |n| n > limit) {
            return Err(OnlineError::TooLarge {
                url: url.to_owned(),
                limit,
            });
        }
        Ok(Fetched::Body(body))
    }
}
