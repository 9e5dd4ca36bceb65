//! `file://` URLs: repositories on a local disk or a mounted share.

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;

use super::{Transport, TransportError};

/// Reads `file://` URLs (percent-encoded paths are decoded).
#[derive(Debug, Clone, Copy, Default)]
pub struct FileTransport;

impl FileTransport {
    fn path(url: &str) -> Result<PathBuf, TransportError> {
        let unsupported = || TransportError::UnsupportedScheme {
            url: url.to_owned(),
        };
        let rest = url.strip_prefix("file://").ok_or_else(unsupported)?;
        // Only local files: `file:///path` or `file://localhost/path`.
        let path = rest.strip_prefix("localhost").unwrap_or(rest).to_owned();
        if !path.starts_with('/') {
            return Err(unsupported());
        }
        let decoded = sigil_tuf::target_path::unquote(&path).ok_or_else(unsupported)?;
        Ok(PathBuf::from(decoded))
    }
}

impl Transport for FileTransport {
    fn fetch(&self, url: &str, max_len: u64) -> Result<Box<dyn Read + Send + '_>, TransportError> {
        let path = Self::path(url)?;
        let io_error = |source: io::Error| {
            if source.kind() == io::ErrorKind::NotFound {
                TransportError::NotFound {
                    url: url.to_owned(),
                }
            } else {
                TransportError::Io {
                    url: url.to_owned(),
                    source,
                }
            }
        };
        let file = File::open(&path).map_err(io_error)?;
        let length = file.metadata().map_err(io_error)?.len();
        if length > max_len {
            return Err(TransportError::TooLarge {
                url: url.to_owned(),
                limit: max_len,
            });
        }
        Ok(Box::new(file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_local_paths_only() {
        assert_eq!(
            FileTransport::path("file:///tmp/a%20b.json").unwrap(),
            PathBuf::from("/tmp/a b.json")
        );
        assert!(FileTransport::path("file://server/share/a.json").is_err());
        assert!(FileTransport::path("https://example.com/a.json").is_err());
    }
}
