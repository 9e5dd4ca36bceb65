//! HTTP(S) through reqwest's blocking client, on rustls with the ring provider.

use std::io::Read;

use super::NetworkOptions;
use super::{Transport, TransportError};
use sigil_tuf::Limits;

/// Fetches `http://` and `https://` URLs. Certificates are checked by the platform verifier.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::blocking::Client,
}

impl HttpTransport {
    /// Builds the client. rustls is used with the ring provider only; it is installed as the
    /// process default if no provider was installed before (a no-op otherwise).
    pub fn new(limits: &Limits) -> Result<Self, TransportError> {
        Self::with_network(limits, &NetworkOptions::default())
    }

    /// Builds the client with a proxy and headers (a private feed's token), as artifact
    /// downloads use them.
    pub fn with_network(limits: &Limits, network: &NetworkOptions) -> Result<Self, TransportError> {
        // The blocking client applies the read timeout to sending the request and to each read
        // of the body: a stalled server is abandoned after it.
        let client = super::http_client(network, limits.connect_timeout, limits.read_timeout)
            .map_err(|error| TransportError::Setup(Box::new(error)))?;
        Ok(Self { client })
    }
}

impl Transport for HttpTransport {
    fn fetch(&self, url: &str, max_len: u64) -> Result<Box<dyn Read + Send + '_>, TransportError> {
        let response = self
            .client
            .get(url)
            .send()
            .map_err(|source| TransportError::Network {
                url: url.to_owned(),
                source: Box::new(source),
            })?;
        let status = response.status().as_u16();
        if status == 404 || status == 403 {
            return Err(TransportError::NotFound {
                url: url.to_owned(),
            });
        }
        if !response.status().is_success() {
            return Err(TransportError::Status {
                url: url.to_owned(),
                status,
            });
        }
        if response
            .content_length()
            .is_some_and(|length| length > max_len)
        {
            return Err(TransportError::TooLarge {
                url: url.to_owned(),
                limit: max_len,
            });
        }
        Ok(Box::new(response))
    }
}
