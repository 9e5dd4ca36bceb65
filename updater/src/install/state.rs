//! The install state file: which version runs, which ran before, which awaits its health check,
//! and which failed. Written atomically; the `current` pointer always follows it.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::Path;

use semver::Version;
use serde::{Deserialize, Serialize};

use super::InstallError;

const FORMAT: u32 = 1;
/// The largest state file read: it holds a few versions, far below this.
const MAX_STATE_BYTES: u64 = 1 << 20;

/// How long a new version has to confirm its health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthPolicy {
    /// Seconds after activation by which the new version must confirm.
    pub deadline_secs: u64,
    /// Launches the new version may make without confirming.
    pub max_launches: u32,
}

impl Default for HealthPolicy {
    /// 30 minutes, 3 launches.
    fn default() -> Self {
        Self {
            deadline_secs: 30 * 60,
            max_launches: 3,
        }
    }
}

/// A version that was activated and has not yet confirmed its health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub version: Version,
    /// Unix seconds.
    pub activated_at: u64,
    pub policy: HealthPolicy,
    pub launches: u32,
}

impl Pending {
    /// Unix seconds after which the version is rolled back.
    #[must_use]
    pub fn deadline(&self) -> u64 {
        self.activated_at.saturating_add(self.policy.deadline_secs)
    }
}

/// What is installed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct State {
    format: u32,
    /// The version `current` points to.
    pub current: Option<Version>,
    /// The version before it, kept for rollback.
    pub previous: Option<Version>,
    /// An activated version awaiting its health confirmation. While it differs from `current`,
    /// an activation was interrupted, and opening the install root completes it.
    pub pending: Option<Pending>,
    /// Versions that failed their health check or were rolled back: never installed again.
    pub rejected: BTreeSet<Version>,
}

impl State {
    pub(crate) fn new() -> Self {
        Self {
            format: FORMAT,
            ..Self::default()
        }
    }

    pub(crate) fn load(path: &Path) -> Result<Option<Self>, InstallError> {
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(InstallError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        if bytes.len() as u64 > MAX_STATE_BYTES {
            return Err(InstallError::CorruptState {
                path: path.to_owned(),
                reason: format!("{} bytes, more than {MAX_STATE_BYTES}", bytes.len()),
            });
        }
        let state: Self =
            serde_json::from_slice(&bytes).map_err(|e| InstallError::CorruptState {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        if state.format != FORMAT {
            return Err(InstallError::CorruptState {
                path: path.to_owned(),
                reason: format!(
                    "format {} (this version reads format {FORMAT})",
                    state.format
                ),
            });
        }
        Ok(Some(state))
    }

    /// Writes the state atomically and durably: temporary file, fsync, rename, fsync directory.
    pub(crate) fn save(&self, path: &Path) -> Result<(), InstallError> {
        let io = |source| InstallError::Io {
            path: path.to_owned(),
            source,
        };
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| InstallError::CorruptState {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let mut temp = tempfile::Builder::new()
            .prefix(".state-")
            .tempfile_in(dir)
            .map_err(io)?;
        temp.write_all(&bytes).map_err(io)?;
        temp.as_file().sync_all().map_err(io)?;
        temp.persist(path).map_err(|e| io(e.error))?;
        super::sync_dir(dir);
        Ok(())
    }
}
