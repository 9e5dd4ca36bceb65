//! Where artifact bytes come from, from a given offset: HTTP(S) with `Range` requests, and local
//! files. Tests supply their own sources to play a failing network or a lying server.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::time::Duration;

use super::DownloadError;
use crate::transport::{NetworkError, NetworkOptions, http_client};

/// An open stream of an artifact's bytes, which may borrow from its source.
pub struct Body<'a> {
    /// The bytes, starting at [`Body::offset`].
    pub reader: Box<dyn Read + Send + 'a>,
    /// Where the bytes start: the offset asked for if the source honoured it, 0 if it sends the
    /// whole artifact again.
    pub offset: u64,
}

impl std::fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

/// A source of artifact bytes that can start past the beginning.
pub trait RangeSource: Send + Sync {
    /// Opens `url` from byte `offset` (0 for the whole artifact). A source that cannot skip
    /// returns the whole artifact with `offset` 0.
    fn open(&self, url: &str, offset: u64) -> Result<Body<'_>, DownloadError>;
}

/// HTTP(S) with `Range: bytes=N-`, on rustls with the ring provider.
#[derive(Debug, Clone)]
pub struct HttpSource {
    client: reqwest::blocking::Client,
}

impl HttpSource {
    pub fn new(options: &NetworkOptions) -> Result<Self, DownloadError> {
        let client = http_client(options, Duration::from_secs(30), Duration::from_secs(60))
            .map_err(|error| match error {
                NetworkError::Header { name } => DownloadError::Header { name },
                NetworkError::Proxy => DownloadError::Proxy,
                other => DownloadError::Client(other.to_string()),
            })?;
        Ok(Self { client })
    }
}

impl RangeSource for HttpSource {
    fn open(&self, url: &str, offset: u64) -> Result<Body<'_>, DownloadError> {
        let mut request = self.client.get(url);
        if offset > 0 {
            request = request.header(reqwest::header::RANGE, format!("bytes={offset}-"));
        }
        let response = request.send().map_err(|source| DownloadError::Network {
            url: url.to_owned(),
            reason: source.to_string(),
        })?;
        let status = response.status().as_u16();
        let start = match status {
            200 => 0,
            206 => content_range_start(&response).ok_or_else(|| DownloadError::BadRange {
                url: url.to_owned(),
                asked: offset,
            })?,
            // The part we hold is the whole artifact or more; the caller's length check decides.
            416 => {
                return Ok(Body {
                    reader: Box::new(io::empty()),
                    offset,
                });
            }
            _ => {
                return Err(DownloadError::Status {
                    url: url.to_owned(),
                    status,
                });
            }
        };
        if status == 206 && start != offset {
            return Err(DownloadError::BadRange {
                url: url.to_owned(),
                asked: offset,
            });
        }
        Ok(Body {
            reader: Box::new(response),
            offset: start,
        })
    }
}

/// The first byte of a `Content-Range: bytes FIRST-LAST/TOTAL` header.
fn content_range_start(response: &reqwest::blocking::Response) -> Option<u64> {
    let value = response
        .headers()
        .get(reqwest::header::CONTENT_RANGE)?
        .to_str()
        .ok()?;
    let range = value.strip_prefix("bytes ")?;
    range.split('-').next()?.trim().parse().ok()
}

/// `file://` URLs and plain paths: an update from a file, for machines that are offline.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileSource;

impl RangeSource for FileSource {
    fn open(&self, url: &str, offset: u64) -> Result<Body<'_>, DownloadError> {
        let path = url.strip_prefix("file://").unwrap_or(url);
        let io_error = |source: io::Error| DownloadError::Network {
            url: url.to_owned(),
            reason: source.to_string(),
        };
        let mut file = File::open(path).map_err(io_error)?;
        file.seek(SeekFrom::Start(offset)).map_err(io_error)?;
        Ok(Body {
            reader: Box::new(file),
            offset,
        })
    }
}

/// Dispatches on the URL: `http(s)://` to [`HttpSource`], `file://` and plain paths to
/// [`FileSource`].
#[derive(Debug, Clone)]
pub struct AnySource {
    http: HttpSource,
}

impl AnySource {
    pub fn new(options: &NetworkOptions) -> Result<Self, DownloadError> {
        Ok(Self {
            http: HttpSource::new(options)?,
        })
    }
}

impl RangeSource for AnySource {
    fn open(&self, url: &str, offset: u64) -> Result<Body<'_>, DownloadError> {
        if url.starts_with("http://") || url.starts_with("https://") {
            self.http.open(url, offset)
        } else {
            FileSource.open(url, offset)
        }
    }
}
