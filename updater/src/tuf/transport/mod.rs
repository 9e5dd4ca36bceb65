//! How bytes arrive: a small [`Transport`] trait, with HTTP(S) (reqwest over rustls on ring),
//! `file://` for local repositories, and a scheme dispatcher. Tests inject their own transport
//! to play attacker.

mod file;
mod http;

pub use file::FileTransport;
pub use http::HttpTransport;
pub use sigil_tuf::transport::{
    ThroughputGuard, Transport, TransportError, read_error, read_to_limit,
};

use std::io::Read;

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
