//! Downloading a release artifact: streamed to a `.part` file beside its destination, resumed
//! with range requests after an interruption, retried with backoff, failed over to the next
//! mirror, and verified against TUF's length and hashes as the bytes arrive. The file appears at
//! its destination only once it verified.
//!
//! This is the one pipeline from the network to a verified file: the app-facing client, the TUF
//! client's target downloads ([`TargetDownload`]) and the attack tests all run through
//! [`Download`]. The bytes are read once: every digest trusted metadata lists (and any extra
//! [`ChunkSink`], such as a release signature's prehash) runs on its own thread over shared
//! chunks while the reading thread writes the file, so verification adds no second pass and
//! memory stays flat in the artifact's size.

mod fanout;
mod source;
mod target;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sigil_tuf::hashes::{ExpectedDigest, HashError, expected_digests};
use sigil_tuf::metadata::Hashes;
use sigil_tuf::transport::{ThroughputGuard, TransportError, read_error};

pub use crate::transport::NetworkOptions;
pub use fanout::ChunkSink;
pub use source::{AnySource, Body, FileSource, HttpSource, RangeSource};
pub use target::{TargetDownload, TransportSource};

use fanout::Fanout;

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DownloadError {
    #[error("{url}: {reason}")]
    Network { url: String, reason: String },
    /// A TUF transport refused or failed the request (see [`TransportSource`]).
    #[error(transparent)]
    Transport(TransportError),
    /// The connection failed part way.
    #[error("{source} (after {received} bytes)")]
    Interrupted {
        received: u64,
        #[source]
        source: TransportError,
    },
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
            | Self::TooSlow { .. }
            | Self::Interrupted { .. } => true,
            Self::Status { status, .. }
            | Self::Transport(TransportError::Status { status, .. }) => {
                *status >= 500 || *status == 429 || *status == 408
            }
            Self::Transport(TransportError::Network { .. } | TransportError::Io { .. }) => true,
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

/// What a download is doing, as one event type for a callback, a channel or a Node/Tauri
/// binding. In order: `Started` once per connection, `Chunk` after every chunk written,
/// `Verifying` once the last byte arrived (while the digests finish), `Finished` once the
/// file verified and is at its destination. A retry starts again at `Started`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// A connection is open: `total` bytes in all, `resumed_from` of them already on disk.
    Started { total: u64, resumed_from: u64 },
    /// Bytes arrived.
    Chunk(Progress),
    /// Every byte arrived; the digests are being checked.
    Verifying,
    /// The file verified and is at `path`.
    Finished { path: PathBuf },
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
    events: Option<&'a (dyn Fn(&ProgressEvent) + Sync)>,
    cancel: Option<&'a AtomicBool>,
    sleeper: &'a dyn Sleeper,
    keep_partial: bool,
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
            events: None,
            cancel: None,
            sleeper: &ThreadSleeper,
            keep_partial: true,
        }
    }

    /// Whether the part of a failed download is kept to resume from (the default). Without it
    /// every attempt starts from the first byte and a failure leaves nothing behind: for sources
    /// that cannot resume, such as a TUF [`Transport`](sigil_tuf::Transport).
    #[must_use]
    pub fn keep_partial(mut self, keep: bool) -> Self {
        self.keep_partial = keep;
        self
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

    /// Called with every [`ProgressEvent`].
    #[must_use]
    pub fn on_event(mut self, events: &'a (dyn Fn(&ProgressEvent) + Sync)) -> Self {
        self.events = Some(events);
        self
    }

    fn event(&self, event: ProgressEvent) {
        if let Some(report) = self.events {
            report(&event);
        }
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
        self.run_with(source, &mut [])
    }

    /// As [`Self::run`], feeding every byte of the artifact, in order, to each of `sinks` as
    /// well, in the same read (a signature's prehash, say). A sink is [`ChunkSink::reset`]
    /// whenever the download starts again from the first byte; once `Ok` is returned it has
    /// seen exactly the verified file.
    pub fn run_with(
        &self,
        source: &dyn RangeSource,
        sinks: &mut [&mut dyn ChunkSink],
    ) -> Result<PathBuf, DownloadError> {
        if expected_digests(self.hashes).is_err() {
            return Err(DownloadError::NoSupportedHash);
        }
        let mut last = DownloadError::NoUrl;
        for url in &self.urls {
            let mut backoff = self.retry.initial_backoff;
            for attempt in 1..=self.retry.attempts_per_url.max(1) {
                match self.attempt(source, url, sinks) {
                    Ok(path) => return Ok(path),
                    Err(error) => {
                        let transient = error.is_transient();
                        if !self.keep_partial || (!transient && error.next_mirror_may_help()) {
                            // This mirror sent wrong bytes, or nothing may be kept: the next
                            // attempt starts afresh.
                            let _ = fs::remove_file(self.part_path());
                        }
                        if !error.next_mirror_may_help() {
                            return Err(error);
                        }
                        last = error;
                        if !transient {
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

    fn attempt(
        &self,
        source: &dyn RangeSource,
        url: &str,
        sinks: &mut [&mut dyn ChunkSink],
    ) -> Result<PathBuf, DownloadError> {
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
        if have > self.length || !self.keep_partial {
            part.set_len(0).map_err(write_error)?;
            have = 0;
        }
        let body = if have == self.length {
            None
        } else {
            Some(source.open(url, have)?)
        };
        if matches!(&body, Some(body) if body.offset == 0 && have > 0) {
            // The server sent everything again: start over.
            part.set_len(0).map_err(write_error)?;
            have = 0;
        }
        let resumed_from = have;
        self.event(ProgressEvent::Started {
            total: self.length,
            resumed_from,
        });
        let mut digests =
            expected_digests(self.hashes).map_err(|_| DownloadError::NoSupportedHash)?;
        for sink in sinks.iter_mut() {
            sink.reset();
        }
        let mut all: Vec<&mut dyn ChunkSink> = digests
            .iter_mut()
            .map(|digest| digest as &mut dyn ChunkSink)
            .chain(
                sinks
                    .iter_mut()
                    .map(|sink| &mut **sink as &mut dyn ChunkSink),
            )
            .collect();
        let streamed = std::thread::scope(|scope| {
            let mut fanout = Fanout::start(scope, &mut all);
            // The bytes already on disk are part of what the hashes cover.
            if have > 0 {
                hash_prefix(&mut part, have, &mut fanout).map_err(write_error)?;
            }
            let received = match body {
                Some(body) => self.stream(body, url, resumed_from, &mut part, &mut fanout)?,
                None => resumed_from,
            };
            self.event(ProgressEvent::Verifying);
            fanout.finish();
            Ok::<u64, DownloadError>(received)
        })?;
        // Not synced: nothing trusts these bytes because they are on disk. A part is hashed
        // again before a resume builds on it, and the installer reads the verified file at once
        // and makes durable what it installs; after a power cut the worst case is a download
        // that starts again, never an unverified file used.
        if streamed < self.length {
            return Err(DownloadError::Truncated {
                url: url.to_owned(),
                received: streamed,
                expected: self.length,
            });
        }
        if let Err(error) = check(digests, url) {
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
        self.event(ProgressEvent::Finished {
            path: self.destination.clone(),
        });
        Ok(self.destination.clone())
    }

    /// Streams `body` into `part` and the digests; returns the bytes the part now holds.
    fn stream(
        &self,
        body: Body,
        url: &str,
        resumed_from: u64,
        part: &mut File,
        fanout: &mut Fanout<'_, '_>,
    ) -> Result<u64, DownloadError> {
        let part_path = self.part_path();
        let write_error = |source| DownloadError::Write {
            path: part_path.clone(),
            source,
        };
        let mut reader = ThroughputGuard::new(
            body.reader,
            self.retry.min_bytes_per_second,
            self.retry.slow_grace,
        );
        let started = Instant::now();
        let mut received = resumed_from;
        loop {
            let mut chunk = fanout.buffer();
            let mut filled = 0;
            let mut ended = false;
            let mut failure = None;
            while filled < chunk.len() {
                if self.cancel.is_some_and(|flag| flag.load(Ordering::Relaxed)) {
                    failure = Some(DownloadError::Cancelled {
                        received: received + filled as u64,
                    });
                    break;
                }
                match reader.read(&mut chunk[filled..]) {
                    Ok(0) => {
                        ended = true;
                        break;
                    }
                    Ok(read) => {
                        if received + (filled + read) as u64 > self.length {
                            return Err(DownloadError::TooLong {
                                url: url.to_owned(),
                                expected: self.length,
                            });
                        }
                        filled += read;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let min = self.retry.min_bytes_per_second;
                        failure = Some(match read_error(url, min, e) {
                            TransportError::TooSlow {
                                received: slow_received,
                                elapsed_ms,
                                ..
                            } => DownloadError::TooSlow {
                                url: url.to_owned(),
                                min_bytes_per_second: min,
                                received: slow_received,
                                elapsed_ms,
                            },
                            other => DownloadError::Interrupted {
                                received: received + filled as u64,
                                source: other,
                            },
                        });
                        break;
                    }
                }
            }
            if filled > 0 {
                // What arrived before a failure is kept: the next attempt resumes after it.
                part.write_all(&chunk[..filled]).map_err(write_error)?;
                fanout.feed(chunk, filled);
                received += filled as u64;
                if self.progress.is_some() || self.events.is_some() {
                    let seconds = started.elapsed().as_secs_f64().max(1e-3);
                    let progress = Progress {
                        downloaded: received,
                        total: self.length,
                        bytes_per_second: ((received - resumed_from) as f64 / seconds) as u64,
                        resumed_from,
                    };
                    if let Some(report) = self.progress {
                        report(&progress);
                    }
                    self.event(ProgressEvent::Chunk(progress));
                }
            }
            if let Some(failure) = failure {
                return Err(failure);
            }
            if ended {
                return Ok(received);
            }
        }
    }
}

/// Checks the digests in order; the first mismatch is the error.
fn check(digests: Vec<ExpectedDigest>, url: &str) -> Result<(), DownloadError> {
    for digest in digests {
        if let Err(HashError::Mismatch {
            algorithm,
            expected,
            found,
        }) = digest.check()
        {
            return Err(DownloadError::HashMismatch {
                url: url.to_owned(),
                algorithm,
                expected,
                found,
            });
        }
    }
    Ok(())
}

/// Feeds the first `length` bytes of `file` (the part already downloaded) to the digests.
fn hash_prefix(file: &mut File, length: u64, fanout: &mut Fanout<'_, '_>) -> io::Result<()> {
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(0))?;
    let mut reader = (&*file).take(length);
    loop {
        let mut chunk = fanout.buffer();
        let read = read_full(&mut reader, &mut chunk)?;
        if read == 0 {
            return Ok(());
        }
        fanout.feed(chunk, read);
    }
}

/// Reads until `buffer` is full or the reader ends.
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
