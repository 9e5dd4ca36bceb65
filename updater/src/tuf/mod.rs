//! The TUF client as the updater runs it: the workflow of `sigil-tuf` (re-exported here) over
//! HTTP(S) and `file://` transports and a directory storage, and target downloads into a
//! directory ([`TargetDownload`]).
//!
//! Flow: [`UpdaterBuilder::load`] reads the trusted root, [`Updater::refresh`] updates root,
//! timestamp, snapshot and targets (TUF 5.3 to 5.6), [`Updater::target_info`] searches the
//! delegation graph (TUF 5.6.7), and [`TargetDownload::download_target`] fetches and verifies a
//! target (TUF 5.7) through the updater's one download pipeline.

pub mod storage;

/// The transports, at their former path.
pub use crate::transport;

pub use sigil_tuf::{
    Clock, Expires, FixedClock, Limits, SnapshotSource, Storage, StorageError, SystemClock,
    TargetInfo, TargetPath, TargetPathError, ThresholdError, TimestampUpdate, TrustError,
    TrustedSet, UnixTime, UpdateError, Updater, UpdaterBuilder, hashes, metadata, target_path,
    time,
};

pub use crate::download::TargetDownload;
pub use storage::DirStorage;
pub use transport::{DefaultTransport, FileTransport, HttpTransport, Transport, TransportError};
