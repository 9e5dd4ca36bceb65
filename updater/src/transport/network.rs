//! The one HTTPS client configuration the updater uses, for TUF metadata and for artifacts:
//! rustls on ring, the platform's certificate verifier, a proxy (the system's by default) and
//! headers for private feeds.

use std::time::Duration;

/// How to reach the network: proxy and extra headers (a private feed's token, for example).
#[derive(Clone, Default)]
pub struct NetworkOptions {
    /// `None`: the system's proxy settings (the `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`
    /// environment variables). `Some(url)`: that proxy, with credentials in the URL if it needs
    /// them (`http://user:password@proxy:3128`).
    pub proxy: Option<String>,
    /// Ignore every proxy, including the system's.
    pub no_proxy: bool,
    /// Headers sent with every request. Values are not printed by `Debug`.
    pub headers: Vec<(String, String)>,
    pub connect_timeout: Option<Duration>,
    /// Longest wait for the next bytes of a response.
    pub read_timeout: Option<Duration>,
}

impl std::fmt::Debug for NetworkOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("NetworkOptions")
            .field("proxy", &self.proxy.as_ref().map(|_| "[set]"))
            .field("no_proxy", &self.no_proxy)
            .field("headers", &headers)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .finish()
    }
}

/// Why an HTTPS client could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkError {
    #[error("invalid header {name:?}")]
    Header { name: String },
    #[error("invalid proxy URL")]
    Proxy,
    #[error("HTTPS client could not be built: {0}")]
    Client(#[source] reqwest::Error),
}

/// A blocking client for `options`, with `connect` and `read` timeouts unless `options` sets
/// its own.
pub(crate) fn http_client(
    options: &NetworkOptions,
    connect: Duration,
    read: Duration,
) -> Result<reqwest::blocking::Client, NetworkError> {
    // Err means a provider is already installed, which is what is needed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in &options.headers {
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| NetworkError::Header { name: name.clone() })?;
        let mut value =
            reqwest::header::HeaderValue::from_str(value).map_err(|_| NetworkError::Header {
                name: name.to_string(),
            })?;
        // Never shown in reqwest's debug output.
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    let mut builder = reqwest::blocking::Client::builder()
        .default_headers(headers)
        .connect_timeout(options.connect_timeout.unwrap_or(connect))
        .timeout(options.read_timeout.unwrap_or(read));
    if options.no_proxy {
        builder = builder.no_proxy();
    } else if let Some(proxy) = &options.proxy {
        builder = builder.proxy(reqwest::Proxy::all(proxy).map_err(|_| NetworkError::Proxy)?);
    }
    builder.build().map_err(NetworkError::Client)
}
