//! How bytes arrive, the bottom of the updater: the one HTTPS client configuration (rustls on
//! ring, the platform's certificate verifier, proxies, headers for private feeds), the small
//! [`Transport`] trait of `sigil-tuf` with HTTP(S), `file://` and a scheme dispatcher, used for
//! metadata and, through [`crate::download`], for artifacts. Tests inject their own transport
//! to play attacker. Nothing here depends on another module of the updater.

mod file;
mod http;
mod network;

pub use file::FileTransport;
pub use http::HttpTransport;
pub(crate) use network::http_client;
pub use network::{NetworkError, NetworkOptions};
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
    pub fn new(limits: &sigil_tuf::Limits) -> Result<Self, TransportError> {
        Self::with_network(limits, &NetworkOptions::default())
    }

    /// Builds the HTTPS client with the given timeouts, proxy and headers.
    pub fn with_network(
        limits: &sigil_tuf::Limits,
        network: &NetworkOptions,
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
