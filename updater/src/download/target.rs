//! Target downloads of the TUF client (TUF 5.7) through the one pipeline: [`Download`] over the
//! client's own [`Transport`], with the length and every hash of trusted metadata, into one flat
//! file per target.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use sigil_tuf::hashes::{HashError, verify_stream};
use sigil_tuf::{TargetInfo, Transport, TransportError, UpdateError, Updater};

use super::{Body, Download, DownloadError, RangeSource, RetryPolicy};

/// A TUF [`Transport`] as a [`RangeSource`]: it cannot start past the first byte, so every
/// request is for the whole file (with the length trusted metadata gives as its bound).
pub struct TransportSource<'a> {
    transport: &'a dyn Transport,
    length: u64,
}

impl std::fmt::Debug for TransportSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportSource")
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

impl<'a> TransportSource<'a> {
    /// Reads through `transport`, refusing bodies longer than `length`.
    #[must_use]
    pub fn new(transport: &'a dyn Transport, length: u64) -> Self {
        Self { transport, length }
    }
}

impl RangeSource for TransportSource<'_> {
    fn open(&self, url: &str, _offset: u64) -> Result<Body<'_>, DownloadError> {
        let reader = self
            .transport
            .fetch(url, self.length)
            .map_err(DownloadError::Transport)?;
        Ok(Body { reader, offset: 0 })
    }
}

/// Target downloads on a TUF [`Updater`]: the files a refreshed client fetches and verifies into
/// a directory.
pub trait TargetDownload {
    /// Where [`Self::download_target`] stores `target` in `dir`: one flat file name per target
    /// path, so a path can never reach outside `dir`.
    #[must_use]
    fn target_file_path(target: &TargetInfo, dir: &Path) -> PathBuf {
        dir.join(target.path.file_name())
    }

    /// The local copy of `target` in `dir`, if it exists and matches the trusted length and
    /// hashes.
    fn cached_target(
        &self,
        target: &TargetInfo,
        dir: &Path,
    ) -> Result<Option<PathBuf>, UpdateError>;

    /// Downloads `target` from `target_base_url` into `dir`, unless a matching copy is already
    /// there, and returns its path. With consistent snapshots the file is fetched as
    /// `HASH.name` (TUF 5.7.3). One attempt, nothing kept from a failed one.
    fn download_target(
        &self,
        target: &TargetInfo,
        target_base_url: &str,
        dir: &Path,
    ) -> Result<PathBuf, UpdateError>;
}

impl TargetDownload for Updater {
    fn cached_target(
        &self,
        target: &TargetInfo,
        dir: &Path,
    ) -> Result<Option<PathBuf>, UpdateError> {
        let path = Self::target_file_path(target, dir);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(target_io(target, &path, source)),
        };
        let verdict = verify_stream(file, target.file.length, &target.file.hashes, |_| Ok(()))
            .map_err(|source| target_io(target, &path, source))?;
        Ok(verdict.is_ok().then_some(path))
    }

    fn download_target(
        &self,
        target: &TargetInfo,
        target_base_url: &str,
        dir: &Path,
    ) -> Result<PathBuf, UpdateError> {
        if let Some(path) = self.cached_target(target, dir)? {
            return Ok(path);
        }
        let length = target.file.length;
        let limits = self.limits();
        if length > limits.max_target_length {
            return Err(UpdateError::TargetTooLarge {
                target: target.path.as_str().to_owned(),
                length,
                limit: limits.max_target_length,
            });
        }
        let url = self.target_url(target, target_base_url);
        let destination = Self::target_file_path(target, dir);
        let retry = RetryPolicy {
            attempts_per_url: 1,
            min_bytes_per_second: limits.min_bytes_per_second,
            slow_grace: limits.throughput_grace,
            ..RetryPolicy::default()
        };
        Download::new(vec![url], length, &target.file.hashes, &destination)
            .retry(retry)
            .keep_partial(false)
            .run(&TransportSource::new(self.transport(), length))
            .map_err(|error| update_error(target, error))
    }
}

/// The download's failure as the TUF client reports it.
fn update_error(target: &TargetInfo, error: DownloadError) -> UpdateError {
    let hash = |source| UpdateError::TargetHash {
        target: target.path.as_str().to_owned(),
        source,
    };
    match error {
        DownloadError::Transport(source) | DownloadError::Interrupted { source, .. } => {
            UpdateError::Transport(source)
        }
        DownloadError::TooSlow {
            url,
            min_bytes_per_second,
            received,
            elapsed_ms,
        } => UpdateError::Transport(TransportError::TooSlow {
            url,
            min_bytes_per_second,
            received,
            elapsed_ms,
        }),
        DownloadError::HashMismatch {
            algorithm,
            expected,
            found,
            ..
        } => hash(HashError::Mismatch {
            algorithm,
            expected,
            found,
        }),
        DownloadError::TooLong { expected, .. } => hash(HashError::TooLong { expected }),
        DownloadError::Truncated {
            received, expected, ..
        } => hash(HashError::Length {
            expected,
            found: received,
        }),
        DownloadError::NoSupportedHash => hash(HashError::NoSupportedHash {
            found: target.file.hashes.keys().cloned().collect(),
        }),
        DownloadError::Write { path, source } => target_io(target, &path, source),
        other => UpdateError::TargetIo {
            target: target.path.as_str().to_owned(),
            path: PathBuf::new(),
            source: io::Error::other(other.to_string()),
        },
    }
}

fn target_io(target: &TargetInfo, path: &Path, source: io::Error) -> UpdateError {
    UpdateError::TargetIo {
        target: target.path.as_str().to_owned(),
        path: path.to_owned(),
        source,
    }
}
