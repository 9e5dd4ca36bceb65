//! How bytes arrive, as the workflow sees it: a small [`Transport`] trait and the reading limits
//! that hold whatever the transport is. The updater implements it for HTTP(S) and `file://`;
//! tests inject their own transport to play attacker; the repository editor reads the files it
//! has just written.

mod guard;

pub use guard::{ThroughputGuard, read_error, read_to_limit};

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
    /// The network layer failed (connection, TLS, protocol).
    #[error("{url}: {source}")]
    Network {
        url: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("{url}: {source}")]
    Io {
        url: String,
        #[source]
        source: io::Error,
    },
    /// The client could not be set up (proxy, headers, TLS configuration).
    #[error(transparent)]
    Setup(Box<dyn std::error::Error + Send + Sync>),
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
