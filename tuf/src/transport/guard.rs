//! Reading limits that hold whatever the transport: a byte cap (endless data) and a throughput
//! floor (slow retrieval).

use std::io::{self, Read};
use std::time::{Duration, Instant};

use super::TransportError;

/// Wraps a reader and fails once the average rate falls below a floor after a grace period.
#[derive(Debug)]
pub struct ThroughputGuard<R> {
    inner: R,
    started: Instant,
    received: u64,
    min_bytes_per_second: u64,
    grace: Duration,
}

impl<R: Read> ThroughputGuard<R> {
    #[must_use]
    pub fn new(inner: R, min_bytes_per_second: u64, grace: Duration) -> Self {
        Self {
            inner,
            started: Instant::now(),
            received: 0,
            min_bytes_per_second,
            grace,
        }
    }

    fn too_slow(&self) -> Option<(u64, u128)> {
        let elapsed = self.started.elapsed();
        if elapsed <= self.grace || self.min_bytes_per_second == 0 {
            return None;
        }
        let needed = u128::from(self.min_bytes_per_second) * elapsed.as_millis() / 1000;
        (u128::from(self.received) < needed).then_some((self.received, elapsed.as_millis()))
    }
}

/// The error a [`ThroughputGuard`] reports through `io::Error`.
#[derive(Debug, thiserror::Error)]
#[error("{received} bytes in {elapsed_ms} ms")]
pub(crate) struct TooSlow {
    pub(crate) received: u64,
    pub(crate) elapsed_ms: u128,
}

impl<R: Read> Read for ThroughputGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((received, elapsed_ms)) = self.too_slow() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                TooSlow {
                    received,
                    elapsed_ms,
                },
            ));
        }
        let read = self.inner.read(buf)?;
        self.received = self.received.saturating_add(read as u64);
        if read > 0 {
            if let Some((received, elapsed_ms)) = self.too_slow() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    TooSlow {
                        received,
                        elapsed_ms,
                    },
                ));
            }
        }
        Ok(read)
    }
}

/// Turns a read error into a transport error, naming a throughput failure as such.
pub fn read_error(url: &str, min_bytes_per_second: u64, source: io::Error) -> TransportError {
    if let Some(slow) = source
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<TooSlow>())
    {
        return TransportError::TooSlow {
            url: url.to_owned(),
            min_bytes_per_second,
            received: slow.received,
            elapsed_ms: slow.elapsed_ms,
        };
    }
    TransportError::Io {
        url: url.to_owned(),
        source,
    }
}

/// Reads all of `reader` into memory, failing as soon as it passes `limit` bytes.
pub fn read_to_limit<R: Read>(
    reader: R,
    url: &str,
    limit: u64,
    min_bytes_per_second: u64,
) -> Result<Vec<u8>, TransportError> {
    let mut data = Vec::new();
    let mut capped = reader.take(limit.saturating_add(1));
    capped
        .read_to_end(&mut data)
        .map_err(|source| read_error(url, min_bytes_per_second, source))?;
    if data.len() as u64 > limit {
        return Err(TransportError::TooLarge {
            url: url.to_owned(),
            limit,
        });
    }
    Ok(data)
}
