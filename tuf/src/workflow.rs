//! The update workflow (TUF 5.3 to 5.6): refresh the top-level metadata from the persisted
//! trusted state, persisting every file that becomes trusted exactly as received.

use crate::Limits;
use crate::delegation::TargetInfo;
use crate::hashes::HashError;
use crate::metadata::RoleType;
use crate::storage::{Storage, StorageError};
use crate::target_path::quote;
use crate::time::{Clock, SystemClock};
use crate::transport::{ThroughputGuard, Transport, TransportError, read_to_limit};
use crate::{SnapshotSource, TimestampUpdate, TrustError, TrustedSet, role_keys_changed};

/// Why an update failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    #[error("no trusted root: storage has no root.json and no initial root was given")]
    NoTrustedRoot,
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("trusted metadata storage: {0}")]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error("searching for {target:?} visited the limit of {limit} delegated roles")]
    DelegationLimit { target: String, limit: usize },
    #[error("target {target:?} is {length} bytes, more than the limit of {limit}")]
    TargetTooLarge {
        target: String,
        length: u64,
        limit: u64,
    },
    #[error("target {target:?}: {source}")]
    TargetHash {
        target: String,
        #[source]
        source: HashError,
    },
    #[error("target {target:?}: {path}: {source}")]
    TargetIo {
        target: String,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Builds an [`Updater`]: required inputs here, optional ones as setters, then [`Self::load`].
pub struct UpdaterBuilder {
    metadata_url: String,
    transport: Box<dyn Transport>,
    storage: Box<dyn Storage>,
    clock: Box<dyn Clock>,
    limits: Limits,
    initial_root: Option<Vec<u8>>,
}

impl std::fmt::Debug for UpdaterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdaterBuilder")
            .field("metadata_url", &self.metadata_url)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl UpdaterBuilder {
    /// `metadata_url` is the base URL of the repository's metadata.
    #[must_use]
    pub fn new(
        metadata_url: &str,
        transport: impl Transport + 'static,
        storage: impl Storage + 'static,
    ) -> Self {
        Self {
            metadata_url: with_trailing_slash(metadata_url),
            transport: Box::new(transport),
            storage: Box::new(storage),
            clock: Box::new(SystemClock),
            limits: Limits::default(),
            initial_root: None,
        }
    }

    /// The clock expiry is judged by (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The root embedded in the application, used when storage holds none yet.
    #[must_use]
    pub fn initial_root(mut self, root: Vec<u8>) -> Self {
        self.initial_root = Some(root);
        self
    }

    /// Loads the trusted root (persisted, else the initial one, which is then persisted) and
    /// checks that it is signed by a threshold of its own keys (TUF 5.2).
    pub fn load(self) -> Result<Updater, UpdateError> {
        let persisted = self
            .storage
            .load("root.json", self.limits.max_root_length)?;
        let (root, persist) = match (persisted, self.initial_root) {
            (Some(root), _) => (root, false),
            (None, Some(root)) => (root, true),
            (None, None) => return Err(UpdateError::NoTrustedRoot),
        };
        let trusted = TrustedSet::new(&root, self.clock.now())?;
        if persist {
            self.storage.store("root.json", &root)?;
        }
        Ok(Updater {
            metadata_url: self.metadata_url,
            transport: self.transport,
            storage: self.storage,
            limits: self.limits,
            trusted,
            refreshed: false,
        })
    }
}

/// A TUF client over one repository. One updater performs one refresh: its reference time is
/// taken when it is loaded.
pub struct Updater {
    pub(crate) metadata_url: String,
    pub(crate) transport: Box<dyn Transport>,
    pub(crate) storage: Box<dyn Storage>,
    pub(crate) limits: Limits,
    pub(crate) trusted: TrustedSet,
    pub(crate) refreshed: bool,
}

impl std::fmt::Debug for Updater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Updater")
            .field("metadata_url", &self.metadata_url)
            .field("trusted", &self.trusted)
            .finish_non_exhaustive()
    }
}

/// `url` ending in exactly one added `/` when it had none, for joining file names onto it.
#[must_use]
pub fn with_trailing_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    }
}

/// The storage file name of a role's metadata.
pub(crate) fn file_name(role: &str) -> String {
    format!("{}.json", quote(role))
}

impl Updater {
    /// The trusted metadata so far.
    #[must_use]
    pub fn trusted(&self) -> &TrustedSet {
        &self.trusted
    }

    /// The limits every fetch of this updater obeys.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The transport this updater fetches through, for target downloads.
    #[must_use]
    pub fn transport(&self) -> &dyn Transport {
        self.transport.as_ref()
    }

    /// The URL of `target` under `target_base_url`: with consistent snapshots the file is
    /// fetched as `HASH.name` (TUF 5.7.3), else by its name.
    #[must_use]
    pub fn target_url(&self, target: &TargetInfo, target_base_url: &str) -> String {
        let hash_prefix = self
            .trusted
            .root()
            .signed()
            .consistent_snapshot
            .then(|| target.file.hashes.values().next().map(String::as_str))
            .flatten();
        format!(
            "{}{}",
            with_trailing_slash(target_base_url),
            target.path.url_path(hash_prefix)
        )
    }

    /// Fetches `url` through the limits: at most `limit` bytes, at least the throughput floor.
    pub(crate) fn fetch_bytes(&self, url: &str, limit: u64) -> Result<Vec<u8>, TransportError> {
        let reader = self.transport.fetch(url, limit)?;
        let guarded = ThroughputGuard::new(
            reader,
            self.limits.min_bytes_per_second,
            self.limits.throughput_grace,
        );
        read_to_limit(guarded, url, limit, self.limits.min_bytes_per_second)
    }

    /// TUF 5.3 to 5.6 for the top-level roles: root, timestamp, snapshot, targets.
    pub fn refresh(&mut self) -> Result<(), UpdateError> {
        self.update_root()?;
        self.update_timestamp()?;
        self.update_snapshot()?;
        self.load_targets("targets", "root")?;
        self.refreshed = true;
        Ok(())
    }

    /// Refreshes unless this updater already has.
    pub(crate) fn ensure_refreshed(&mut self) -> Result<(), UpdateError> {
        if self.refreshed {
            Ok(())
        } else {
            self.refresh()
        }
    }

    /// TUF 5.3: walks root versions N+1, N+2, ... until the repository has no next one, at
    /// most `max_root_rotations` of them; then checks the final root's expiry, and deletes the
    /// persisted timestamp and snapshot if their keys changed (fast-forward attack recovery).
    fn update_root(&mut self) -> Result<(), UpdateError> {
        let original = self.trusted.root().signed().clone();
        let first = original.version.saturating_add(1);
        let last = original
            .version
            .saturating_add(self.limits.max_root_rotations);
        for version in first..=last {
            let url = format!("{}{version}.root.json", self.metadata_url);
            let bytes = match self.fetch_bytes(&url, self.limits.max_root_length) {
                Ok(bytes) => bytes,
                // TUF 5.3.3: no next root: the trusted root is the newest.
                Err(error) if error.is_not_found() => break,
                Err(error) => return Err(error.into()),
            };
            self.trusted.update_root(&bytes)?;
            // TUF 5.3.8: persist the new root as received.
            self.storage.store("root.json", &bytes)?;
        }
        // TUF 5.3.10: freeze attack check.
        self.trusted.check_final_root()?;
        // TUF 5.3.11: fast-forward attack recovery.
        let current = self.trusted.root().signed();
        if role_keys_changed(&original, current, RoleType::Timestamp)
            || role_keys_changed(&original, current, RoleType::Snapshot)
        {
            self.storage.remove("timestamp.json")?;
            self.storage.remove("snapshot.json")?;
        }
        Ok(())
    }

    fn update_timestamp(&mut self) -> Result<(), UpdateError> {
        // The persisted timestamp, if still valid under the current root, is the rollback
        // reference for the new one (TUF 5.4.3); a persisted file that no longer verifies is
        // simply not used.
        if let Ok(Some(bytes)) = self
            .storage
            .load("timestamp.json", self.limits.max_timestamp_length)
        {
            let _ = self.trusted.update_timestamp(&bytes);
        }
        let url = format!("{}timestamp.json", self.metadata_url);
        let bytes = self.fetch_bytes(&url, self.limits.max_timestamp_length)?;
        if self.trusted.update_timestamp(&bytes)? == TimestampUpdate::Updated {
            // TUF 5.4.5: persist.
            self.storage.store("timestamp.json", &bytes)?;
        }
        Ok(())
    }

    fn update_snapshot(&mut self) -> Result<(), UpdateError> {
        if let Ok(Some(bytes)) = self
            .storage
            .load("snapshot.json", self.limits.max_snapshot_length)
        {
            // A persisted snapshot that is still the one timestamp names is used as is.
            if self
                .trusted
                .update_snapshot(&bytes, SnapshotSource::Persisted)
                .is_ok()
            {
                return Ok(());
            }
        }
        let timestamp = self.trusted.timestamp().ok_or(TrustError::OutOfOrder {
            step: "snapshot download",
            needs: "timestamp",
        })?;
        let meta = timestamp.signed().snapshot_meta();
        let version = meta.map(|meta| meta.version);
        let limit = meta
            .and_then(|meta| meta.length)
            .map_or(self.limits.max_snapshot_length, |length| {
                length.min(self.limits.max_snapshot_length)
            });
        let url = match version {
            Some(version) if self.trusted.root().signed().consistent_snapshot => {
                format!("{}{version}.snapshot.json", self.metadata_url)
            }
            _ => format!("{}snapshot.json", self.metadata_url),
        };
        let bytes = self.fetch_bytes(&url, limit)?;
        self.trusted
            .update_snapshot(&bytes, SnapshotSource::Downloaded)?;
        // TUF 5.5.7: persist.
        self.storage.store("snapshot.json", &bytes)?;
        Ok(())
    }

    /// TUF 5.6 for `role` reached through `delegator`: the trusted copy if there is one
    /// (checked against this delegator's keys), else the persisted copy if it is still the
    /// version snapshot names, else a download.
    pub(crate) fn load_targets(&mut self, role: &str, delegator: &str) -> Result<(), UpdateError> {
        if self.trusted.targets(role).is_some() {
            self.trusted.verify_cached_targets(role, delegator)?;
            return Ok(());
        }
        let name = file_name(role);
        if let Ok(Some(bytes)) = self.storage.load(&name, self.limits.max_targets_length) {
            if self
                .trusted
                .update_delegated_targets(&bytes, role, delegator)
                .is_ok()
            {
                return Ok(());
            }
        }
        let snapshot = self.trusted.snapshot().ok_or(TrustError::OutOfOrder {
            step: "targets download",
            needs: "snapshot",
        })?;
        let meta = snapshot
            .signed()
            .role_meta(role)
            .ok_or_else(|| TrustError::NotInSnapshot {
                role: role.to_owned(),
            })?;
        let limit = meta
            .length
            .map_or(self.limits.max_targets_length, |length| {
                length.min(self.limits.max_targets_length)
            });
        let url = if self.trusted.root().signed().consistent_snapshot {
            format!("{}{}.{}", self.metadata_url, meta.version, name)
        } else {
            format!("{}{name}", self.metadata_url)
        };
        let bytes = self.fetch_bytes(&url, limit)?;
        self.trusted
            .update_delegated_targets(&bytes, role, delegator)?;
        // TUF 5.6.6: persist.
        self.storage.store(&name, &bytes)?;
        Ok(())
    }
}
