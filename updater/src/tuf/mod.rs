//! The TUF client: metadata model, trusted set, update workflow, delegation search, target
//! downloads, and the transport, storage and clock it is given.

pub mod hashes;
pub mod metadata;
pub mod target_path;
pub mod time;
mod trusted;
mod verify;

pub use target_path::{TargetPath, TargetPathError};
pub use time::{Clock, Expires, FixedClock, SystemClock, UnixTime};
pub use trusted::{SnapshotSource, TimestampUpdate, TrustError, TrustedSet};
pub use verify::ThresholdError;
