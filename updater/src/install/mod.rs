//! Installing a release: unpack with hostile-archive defences, swap atomically, roll back.
//!
//! An install root holds complete version trees and a pointer to the one that runs:
//!
//! ```text
//! ROOT/versions/1.0.0/   a complete tree (trees appear here only once fully unpacked)
//! ROOT/versions/1.1.0/
//! ROOT/current           -> versions/1.1.0 (a symbolic link on Unix; a file naming the version elsewhere)
//! ROOT/state.json        current, previous, pending health check, rejected versions
//! ROOT/staging/          scratch space, emptied whenever the root is opened
//! ```
//!
//! The app is launched through `ROOT/current`. Every step is ordered so that a crash at any
//! point leaves `current` on either the old or the new complete tree, and the next
//! [`Installer::open`] finishes or undoes the interrupted step.

pub mod archive;
mod installer;
pub mod member;
mod self_replace;
mod state;

use std::path::{Path, PathBuf};

pub use installer::{Faults, Installer, LaunchOutcome, NoFaults, Step};
pub use self_replace::replace_executable;
pub use state::{HealthPolicy, Pending, State};

/// Why an install step failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstallError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("unpacking {version}: {source}")]
    Archive {
        version: semver::Version,
        #[source]
        source: archive::ArchiveError,
    },
    #[error("install state {path} is unreadable: {reason}")]
    CorruptState { path: PathBuf, reason: String },
    #[error("version {0} failed here before and is never installed again")]
    Rejected(semver::Version),
    #[error("version {0} is not staged")]
    NotStaged(semver::Version),
    #[error("version {0} is the running version")]
    AlreadyCurrent(semver::Version),
    #[error("there is no previous version to roll back to")]
    NothingToRollBack,
    #[error("the current pointer {path} is not a version this installer wrote: {found}")]
    ForeignPointer { path: PathBuf, found: String },
    #[error("interrupted at step {0:?} (fault injection)")]
    Interrupted(Step),
    #[error("the clock reads {now}, before 1970: set the system clock, then install again")]
    ClockBeforeEpoch { now: sigil_time::Timestamp },
}

/// Makes a rename or creation in `dir` durable. Best effort where directories cannot be opened.
pub(crate) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}
