//! Downloading a release artifact: streamed to a `.part` file beside its destination, resumed
//! with range requests after an interruption, retried with backoff, failed over to the next
//! mirror, and verified against TUF's length and hashes as the bytes arrive. The file appears at
//! its destination only once it verified.

mod source;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ring::digest;

pub use source::{AnySource, Body, FileSource, HttpSource, NetworkOptions, RangeSource};

use crate::tuf::metadata::Hashes;
use crate::tuf::transport::{ThroughputGuard, TransportError, read_error};

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DownloadError {
    #[error("{url}: {reason}")]
    Network { url: String, reason: String },
    #[error("{url}: server answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error(
        "{url}: slower than {min_bytes_per_second} bytes/s on average ({received} bytes in {elapsed_ms} ms): dropped as a slow-retrieval attack or a dead link"
    )]
    TooSlow {
        url: String,
        min_bytes_per_second: u64,
        received: u64,
        elapsed_ms: u128,
    },
    #[error("{url}: asked for bytes from {asked}, the server sent another range")]
    BadRange { url: String, asked: u64 },
    #[error("{url}: the server sent more than the {expected} bytes trusted metadata gives")]
    TooLong { url: String, expected: u64 },
    #[error("{url}: connection ended after {received} of {expected} bytes")]
    Truncated {
        url: String,
        received: u64,
        expected: u64,
    },
    #[error("{url}: {algorithm} of the download is {found}, trusted metadata says {expected}")]
    HashMismatch {
        url: String,
        algorithm: String,
        expected: String,
        found: String,
    },
    #[error("{url}: the part kept from an interrupted download did not verify; starting over")]
    CorruptPart { url: String },
    #[error("trusted metadata lists no hash sigil can check (supported: sha256, sha512)")]
    NoSupportedHash,
    #[error("cancelled after {received} bytes; the part is kept to resume from")]
    Cancelled { received: u64 },
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("invalid header {name:?}")]
    Header { name: String },
    #[error("invalid proxy URL")]
    Proxy,
    #[error("HTTPS client could not be built: {0}")]
    Client(String),
    #[error("no URL to download from")]
    NoUrl,
}

impl DownloadError {
    /// Whether trying the same URL again may succeed.
    fn is_transient(&self) -> bool {
        match self {
            Self::Network { .. }
            | Self::Truncated { .. }
            | Self::CorruptPart { .. }
            | Self::TooSlow { .. } => true,
            Self::Status { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            _ => false,
        }
    }

    /// Whether another mirror may succeed where this one failed.
    fn next_mirror_may_help(&self) -> bool {
        !matches!(
            self,
            Self::Cancelled { .. } | Self::Write { .. } | Self::NoSupportedHash | Self::NoUrl
        )
    }
}

/// Where a download stands, reported after every chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub downloaded: u64,
    pub total: u64,
    /// Average over the current connection.
    pub bytes_per_second: u64,
    /// Bytes that were already on disk from an interrupted download.
    pub resumed_from: u64,
}

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per mirror, the first included.
    pub attempts_per_url: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Below this average rate, after `slow_grace`, a connection is dropped and retried.
    pub min_bytes_per_second: u64,
    pub slow_grace: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts per mirror, backoff from 0.5 s doubling to 30 s, drop connections slower than
    /// 1 KiB/s after 30 s.
    fn default() -> Self {
        Self {
            attempts_per_url: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            min_bytes_per_second: 1024,
            slow_grace: Duration::from_secs(30),
        }
    }
}

/// Waits between retries; tests record instead of sleeping.
pub trait Sleeper: Sync {
    fn sleep(&self, duration: Duration);
}

/// Sleeps for real.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadSleeper;

impl Sleeper for ThreadSleeper {
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// One artifact to download.
pub struct Download<'a> {
    urls: Vec<String>,
    length: u64,
    hashes: &'a Hashes,
    destination: PathBuf,
    retry: RetryPolicy,
    progress: Option<&'a (dyn Fn(&Progress) + Sync)>,
    cancel: Option<&'a AtomicBool>,
    sleeper: &'a dyn Sleeper,
}

impl std::fmt::Debug for Download<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("urls", &self.urls)
            .field("length", &self.length)
            .field("destination", &self.destination)
            .finish_non_exhaustive()
    }
}

impl<'a> Download<'a> {
    /// `urls` are mirrors, tried in order; `length` and `hashes` come from trusted metadata.
    #[must_use]
    pub fn new(urls: Vec<String>, length: u64, hashes: &'a Hashes, destination: &Path) -> Self {
        Self {
            urls,
            length,
            hashes,
            destination: destination.to_owned(),
            retry: RetryPolicy::default(),
            progress: None,
            cancel: None,
            sleeper: &ThreadSleeper,
        }
    }

    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Called after every chunk written.
    #[must_use]
    pub fn on_progress(mut self, progress: &'a (dyn Fn(&Progress) + Sync)) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Set to `true` (from any thread) to stop; the part file is kept to resume from.
    #[must_use]
    pub fn cancel_flag(mut self, cancel: &'a AtomicBool) -> Self {
        self.cancel = Some(cancel);
        self
    }

    #[must_use]
    pub fn sleeper(mut self, sleeper: &'a dyn Sleeper) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// The file an interrupted download resumes from.
    #[must_use]
    pub fn part_path(&self) -> PathBuf {
        let mut name = self.destination.as_os_str().to_owned();
        name.push(".part");
        PathBuf::from(name)
    }

    /// Downloads, verifies and moves the artifact to its destination.
    pub fn run(&self, source: &dyn RangeSource) -> Result<PathBuf, DownloadError> {
        if !self.hashes.keys().any(|name| algorithm(name).is_some()) {
            return Err(DownloadError::NoSupportedHash);
        }
        let mut last = DownloadError::NoUrl;
        for url in &self.urls {
            let mut backoff = self.retry.initial_backoff;
            for attempt in 1..=self.retry.attempts_per_url.max(1) {
                match self.attempt(source, url) {
                    Ok(path) => return Ok(path),
                    Err(error) => {
                        let transient = error.is_transient();
                        if !error.next_mirror_may_help() {
                            return Err(error);
                        }
                        last = error;
                        if !transient {
                            // This mirror sent wrong bytes: start the next one afresh.
                            let _ = fs::remove_file(self.part_path());
                            break;
                        }
                        if attempt < self.retry.attempts_per_url {
                            self.sleeper.sleep(backoff);
                            backoff = (backoff * 2).min(self.retry.max_backoff);
                        }
                    }
                }
            }
        }
        Err(last)
    }

    fn attempt(&self, source: &dyn RangeSource, url: &str) -> Result<PathBuf, DownloadError> {
        let part_path = self.part_path();
        let write_error = |source| DownloadError::Write {
            path: part_path.clone(),
            source,
        };
        let mut part = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&part_path)
            .map_err(write_error)?;
        let mut have = part.metadata().map_err(write_error)?.len();
        if have > self.length {
            part.set_len(0).map_err(write_error)?;
            have = 0;
        }
        // The bytes already on disk are part of what the hashes cover.
        let mut hashers = Hashers::new(self.hashes);
        if have > 0 {
            hash_prefix(&mut part, have, &mut hashers).map_err(write_error)?;
        }
        let body = if have == self.length {
            None
        } else {
            Some(source.open(url, have)?)
        };
        let resumed_from = match &body {
            Some(body) if body.offset == 0 && have > 0 => {
                // The server sent everything again: start over.
                part.set_len(0).map_err(write_error)?;
                hashers = Hashers::new(self.hashes);
                0
            }
            _ => have,
        };
        let mut received = resumed_from;
        if let Some(body) = body {
            let mut reader = ThroughputGuard::new(
                body.reader,
                self.retry.min_bytes_per_second,
                self.retry.slow_grace,
            );
            let started = Instant::now();
            let mut buffer = vec![0u8; 64 * 1024];
            loop {
                if self.cancel.is_some_and(|flag| flag.load(Ordering::Relaxed)) {
                    part.sync_all().map_err(write_error)?;
                    return Err(DownloadError::Cancelled { received });
                }
                let read = match reader.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(read) => read,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        part.sync_all().map_err(write_error)?;
                        let min = self.retry.min_bytes_per_second;
                        return Err(match read_error(url, min, e) {
                            TransportError::TooSlow {
                                received,
                                elapsed_ms,
                                ..
                            } => DownloadError::TooSlow {
                                url: url.to_owned(),
                                min_bytes_per_second: min,
                                received,
                                elapsed_ms,
                            },
                            TransportError::Io { source, .. } => DownloadError::Network {
                                url: url.to_owned(),
                                reason: format!("after {received} bytes: {source}"),
                            },
                            other => DownloadError::Network {
                                url: url.to_owned(),
                                reason: format!("after {received} bytes: {other}"),
                            },
                        });
                    }
                };
                if received + read as u64 > self.length {
                    return Err(DownloadError::TooLong {
                        url: url.to_owned(),
                        expected: self.length,
                    });
                }
                part.write_all(&buffer[..read]).map_err(write_error)?;
                hashers.update(&buffer[..read]);
                received += read as u64;
                if let Some(report) = self.progress {
                    let seconds = started.elapsed().as_secs_f64().max(1e-3);
                    report(&Progress {
                        downloaded: received,
                        total: self.length,
                        bytes_per_second: ((received - resumed_from) as f64 / seconds) as u64,
                        resumed_from,
                    });
                }
            }
        }
        part.sync_all().map_err(write_error)?;
        if received < self.length {
            return Err(DownloadError::Truncated {
                url: url.to_owned(),
                received,
                expected: self.length,
            });
        }
        if let Err(error) = hashers.verify(url) {
            drop(part);
            if resumed_from > 0 {
                // The bytes kept from before may be what is wrong: try once more from scratch.
                fs::remove_file(&part_path).map_err(write_error)?;
                return Err(DownloadError::CorruptPart {
                    url: url.to_owned(),
                });
            }
            return Err(error);
        }
        drop(part);
        fs::rename(&part_path, &self.destination).map_err(|source| DownloadError::Write {
            path: self.destination.clone(),
            source,
        })?;
        Ok(self.destination.clone())
    }
}

fn algorithm(name: &str) -> Option<&'static digest::Algorithm> {
    match name {
        "sha256" => Some(&digest::SHA256),
        "sha512" => Some(&digest::SHA512),
        _ => None,
    }
}

/// Every supported hash the metadata lists, computed as bytes arrive.
struct Hashers<'a> {
    contexts: Vec<(&'a str, &'a str, digest::Context)>,
}

impl<'a> Hashers<'a> {
    fn new(hashes: &'a Hashes) -> Self {
        Self {
            contexts: hashes
                .iter()
                .filter_map(|(name, expected)| {
                    algorithm(name)
                        .map(|alg| (name.as_str(), expected.as_str(), digest::Context::new(alg)))
                })
                .collect(),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        for (_, _, context) in &mut self.contexts {
            context.update(bytes);
        }
    }

    fn verify(self, url: &str) -> Result<(), DownloadError> {
        for (name, expected, context) in self.contexts {
            let found = hex::encode(context.finish());
            if !found.eq_ignore_ascii_case(expected) {
                return Err(DownloadError::HashMismatch {
                    url: url.to_owned(),
                    algorithm: name.to_owned(),
                    expected: expected.to_owned(),
                    found,
                });
            }
        }
        Ok(())
    }
}

/// Hashes the first `length` bytes of `file` (the part already downloaded).
fn hash_prefix(file: &mut File, length: u64, hashers: &mut Hashers<'_>) -> io::Result<()> {
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(0))?;
    let mut reader = (&*file).take(length);
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = reader.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hashers.update(&buffer[..read]);
    }
    Ok(())
}
