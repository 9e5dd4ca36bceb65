//! Explicit limits on everything a repository can make the client read or wait for (TUF 1.5.2:
//! endless data and slow retrieval attacks).

use std::time::Duration;

/// Limits applied to every download. The defaults are documented in
/// `docs/src/reference/tuf-limits.md`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes of one root metadata file.
    pub max_root_length: u64,
    /// Bytes of timestamp metadata.
    pub max_timestamp_length: u64,
    /// Bytes of snapshot metadata when timestamp gives no length (a stated length is used when
    /// it is lower).
    pub max_snapshot_length: u64,
    /// Bytes of one targets metadata file when snapshot gives no length (a stated length is
    /// used when it is lower).
    pub max_targets_length: u64,
    /// Largest target file the client accepts to download, whatever the metadata says.
    pub max_target_length: u64,
    /// Root versions fetched in one refresh (TUF 5.3: bounds a repository that serves an
    /// endless chain of roots).
    pub max_root_rotations: u64,
    /// Delegated roles visited in one target search (TUF 5.6.7).
    pub max_delegations: usize,
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Time allowed between two reads.
    pub read_timeout: Duration,
    /// Average bytes per second below which a download is abandoned, once `throughput_grace`
    /// has passed (slow retrieval attack).
    pub min_bytes_per_second: u64,
    /// Time a download may take before the throughput floor applies.
    pub throughput_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_root_length: 512 * 1024,
            max_timestamp_length: 16 * 1024,
            max_snapshot_length: 2 * 1024 * 1024,
            max_targets_length: 5 * 1024 * 1024,
            max_target_length: 4 * 1024 * 1024 * 1024,
            max_root_rotations: 32,
            max_delegations: 32,
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(30),
            min_bytes_per_second: 1024,
            throughput_grace: Duration::from_secs(10),
        }
    }
}
