//! The TUF client: metadata model, trusted set, update workflow, delegation search, target
//! downloads, and the transport, storage and clock it is given.
//!
//! Flow: [`UpdaterBuilder::load`] reads the trusted root, [`Updater::refresh`] updates root,
//! timestamp, snapshot and targets (TUF 5.3 to 5.6), [`Updater::target_info`] searches the
//! delegation graph (TUF 5.6.7), and [`Updater::download_target`] fetches and verifies a target
//! (TUF 5.7).

mod delegation;
mod download;
pub mod hashes;
mod limits;
pub mod metadata;
pub mod storage;
pub mod target_path;
pub mod time;
pub mod transport;
mod trusted;
mod updater;
mod verify;

pub use delegation::TargetInfo;
pub use limits::Limits;
pub use storage::{DirStorage, Storage, StorageError};
pub use target_path::{TargetPath, TargetPathError};
pub use time::{Clock, Expires, FixedClock, SystemClock, UnixTime};
pub use transport::{DefaultTransport, FileTransport, HttpTransport, Transport, TransportError};
pub use trusted::{SnapshotSource, TimestampUpdate, TrustError, TrustedSet};
pub use updater::{UpdateError, Updater, UpdaterBuilder};
pub use verify::ThresholdError;
