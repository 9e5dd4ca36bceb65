//! How bytes arrive: a small [`Transport`] trait, with HTTP(S) (reqwest over rustls on ring),
//! `file://` for local repositories, and a scheme dispatcher. Tests inject their own transport
//! to play attacker.

mod file;
mod guard;
mod http;

pub use file::FileTransport;
pub(crate) use guard::read_error;
pub use guard::{ThroughputGuard, read_to_limit};
pub use http::HttpTransport;

use std::io::{self, Read};

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The server says the file does not exist (HTTP 404 or 403, or no such local file).
    #[error("{url}: not found")]
    NotFound { url: String },
    #[error("{url}: server answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: larger than the limit of {limit} bytes")]
    TooLarge { url: String, limit: u64 },
    #[error(
        "{url}: slower than {min_bytes_per_second} bytes/s on average ({received} bytes in {elapsed_ms} ms)"
    )]
    TooSlow {
        url: String,
        min_bytes_per_second: u64,
        received: u64,
        elapsed_ms: u128,
    },
    #[error("{url}: unsupported URL scheme (expected http, https or file)")]
    UnsupportedScheme { url: String },
    #[error("{url}: {source}")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url}: {source}")]
    Io {
        url: String,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Network(crate::net::NetworkError),
}

impl TransportError {
    /// Whether the repository says the file does not exist (which ends the root walk, TUF 5.3.3).
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

/// A source of repository files.
pub trait Transport: Send + Sync {
    /// Opens `url` for reading. `max_len` is a hint the transport may enforce early (for
    /// example against a `Content-Length`); the caller enforces it regardless.
    fn fetch(&self, url: &str, max_len: u64) -> Result<Box<dyn Read + Send + '_>, TransportError>;
}

/// Dispatches on the URL scheme: `http`/`https` to [`HttpTransport`], `file` to
/// [`FileTransport`].
#[derive(Debug)]
pub struct DefaultTransport {
    http: HttpTransport,
    file: FileTransport,
}

impl DefaultTransport {
    /// Builds the HTTPS client with the given timeouts.
    pub fn new(limits: &crate::tuf::Limits) -> Result<Self, TransportError> {
        Self::with_network(limits, &crate::download::NetworkOptions::default())
    }

    /// Builds the HTTPS client with the given timeouts, proxy and headers.
    pub fn with_network(
        limits: &crate::tuf::Limits,
        network: &crate::download::NetworkOptions,
    ) -> Result<Self, TransportError> {
        Ok(Self {
            http: HttpTransport::with_network(limits, network)?,
            file: FileTransport,
        })
    }
}

impl Transport for DefaultTransport {
    fn fetch(&self, url: &str, max_len: u64) -> Result<Box<dyn Read + Send + '_>, TransportError> {
        if url.starts_with("http://") || url.starts_with("https://") {
            self.http.fetch(url, max_len)
        } else if url.starts_with("file://") {
            self.file.fetch(url, max_len)
        } else {
            Err(TransportError::UnsupportedScheme {
                url: url.to_owned(),
            })
        }
    }
}
