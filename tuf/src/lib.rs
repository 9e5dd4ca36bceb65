//! The model of a TUF repository that sigil's client and repository editor share (specification
//! 1.0.x, written against 1.0.34): the metadata formats and their canonical JSON, signature
//! thresholds with one verification result, the trusted-metadata state machine, the client
//! workflow of TUF section 5 (root rotation, timestamp, snapshot, targets, the delegation search)
//! over an injected transport, storage and clock, target paths, the limits a client applies, and
//! the release metadata sigil carries in each target's `custom` object.
//!
//! Nothing here opens a file or a socket: callers hand in a [`transport::Transport`], a
//! [`storage::Storage`] and a [`Clock`]. The updater (`sigil-updater`) provides HTTP(S), `file://`
//! and directory storage, and downloads targets; the repository editor (`sigil-signer`) checks
//! what it publishes with this same workflow, so a repository the editor calls publishable is one
//! the client accepts.

mod delegation;
mod error_kind;
pub mod hashes;
mod limits;
pub mod metadata;
pub mod release;
pub mod storage;
pub mod target_path;
pub mod time;
pub mod transport;
mod trusted;
mod verify;
mod workflow;

pub use delegation::TargetInfo;
pub use limits::Limits;
pub use storage::{MemoryStorage, Storage, StorageError};
pub use target_path::{TargetPath, TargetPathError};
pub use time::{Clock, Expires, FixedClock, SystemClock, UnixTime};
pub use transport::{Transport, TransportError};
pub use trusted::{SnapshotSource, TimestampUpdate, TrustError, TrustedSet, role_keys_changed};
pub use verify::{ThresholdError, VerificationResult, verification_result};
pub use workflow::{UpdateError, Updater, UpdaterBuilder, with_trailing_slash};
