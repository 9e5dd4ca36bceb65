//! The trusted set: the metadata the client currently trusts, and the only code that decides
//! whether new metadata joins it (TUF 5.3 to 5.6). It does no I/O; the updater feeds it bytes.

use std::collections::{BTreeMap, BTreeSet};

use sigil_keys::KeyId;

use crate::hashes::{HashError, verify_bytes};
use crate::metadata::{
    DelegatedKeys, Metadata, MetadataError, Role, RoleType, Root, Snapshot, Targets, Timestamp,
};
use crate::time::{Expires, UnixTime};
use crate::verify::{ThresholdError, verify_threshold};

/// Why metadata was not trusted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    #[error("{role} metadata is malformed: {source}")]
    Metadata {
        role: String,
        #[source]
        source: MetadataError,
    },
    #[error(transparent)]
    Threshold(#[from] ThresholdError),
    #[error("root version {found} is not the next version: expected {expected}")]
    RootVersion { expected: u64, found: u64 },
    #[error("{role} metadata expired at {expires} (freeze attack or stale repository)")]
    Expired { role: String, expires: Expires },
    #[error("{role} version {found} is lower than the trusted version {trusted} (rollback attack)")]
    Rollback {
        role: String,
        trusted: u64,
        found: u64,
    },
    #[error(
        "timestamp names snapshot version {found}, lower than the trusted {trusted} (rollback attack)"
    )]
    SnapshotMetaRollback { trusted: u64, found: u64 },
    #[error("{role} version {found} does not match the version {expected} that {by} names")]
    VersionMismatch {
        role: String,
        by: RoleType,
        expected: u64,
        found: u64,
    },
    #[error("{role} metadata does not match what {by} says of it: {source}")]
    Hash {
        role: String,
        by: RoleType,
        #[source]
        source: HashError,
    },
    #[error("new snapshot no longer lists {file}, which the trusted snapshot lists")]
    RoleRemoved { file: String },
    #[error(
        "new snapshot lists {file} at version {found}, lower than the trusted {trusted} (rollback attack)"
    )]
    MetaRollback {
        file: String,
        trusted: u64,
        found: u64,
    },
    #[error("snapshot does not list the targets metadata of role {role:?}")]
    NotInSnapshot { role: String },
    #[error("role {delegator:?} does not delegate to {role:?}")]
    NotDelegated { role: String, delegator: String },
    #[error("{step} before {needs} is trusted")]
    OutOfOrder {
        step: &'static str,
        needs: &'static str,
    },
    #[error("{step} after {later} was trusted")]
    TooLate {
        step: &'static str,
        later: &'static str,
    },
}

/// Whether a timestamp update changed anything (TUF 5.4.3.1: an equal version changes nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampUpdate {
    Updated,
    Unchanged,
}

/// Where snapshot bytes come from. Persisted bytes were checked against a timestamp when they
/// were received; the timestamp now trusted may name a newer snapshot, so its hashes are not
/// applied to them (their version is, when the snapshot is used).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotSource {
    Downloaded,
    Persisted,
}

/// The trusted metadata of one update, judged at one reference time.
#[derive(Debug, Clone)]
pub struct TrustedSet {
    root: Metadata<Root>,
    timestamp: Option<Metadata<Timestamp>>,
    snapshot: Option<Metadata<Snapshot>>,
    targets: BTreeMap<String, Metadata<Targets>>,
    now: UnixTime,
}

fn parse<T: Role>(role: &str, bytes: &[u8]) -> Result<Metadata<T>, TrustError> {
    Metadata::from_bytes(bytes).map_err(|source| TrustError::Metadata {
        role: role.to_owned(),
        source,
    })
}

fn check_root_signatures(
    role: &str,
    root: &Root,
    metadata: &Metadata<impl Role>,
    as_role: RoleType,
) -> Result<(), TrustError> {
    let keys = root.role(as_role).ok_or(TrustError::Metadata {
        role: role.to_owned(),
        source: MetadataError::MissingRole { role: as_role },
    })?;
    verify_threshold(
        role,
        &root.keys,
        &keys.keyids,
        keys.threshold,
        metadata.envelope(),
    )?;
    Ok(())
}

fn check_expiry<T: Role>(
    role: &str,
    metadata: &Metadata<T>,
    now: UnixTime,
) -> Result<(), TrustError> {
    let expires = metadata.signed().expires();
    if expires.is_expired_at(now) {
        return Err(TrustError::Expired {
            role: role.to_owned(),
            expires: expires.clone(),
        });
    }
    Ok(())
}

impl TrustedSet {
    /// TUF 5.2: starts from a trusted root, which must be signed by a threshold of its own root
    /// keys. Its expiry is judged after the root update (TUF 5.3.10), not here.
    pub fn new(root_bytes: &[u8], now: UnixTime) -> Result<Self, TrustError> {
        let root: Metadata<Root> = parse("root", root_bytes)?;
        check_root_signatures("root", root.signed(), &root, RoleType::Root)?;
        Ok(Self {
            root,
            timestamp: None,
            snapshot: None,
            targets: BTreeMap::new(),
            now,
        })
    }

    /// The reference time expiry is judged against.
    #[must_use]
    pub fn now(&self) -> UnixTime {
        self.now
    }

    #[must_use]
    pub fn root(&self) -> &Metadata<Root> {
        &self.root
    }

    #[must_use]
    pub fn timestamp(&self) -> Option<&Metadata<Timestamp>> {
        self.timestamp.as_ref()
    }

    #[must_use]
    pub fn snapshot(&self) -> Option<&Metadata<Snapshot>> {
        self.snapshot.as_ref()
    }

    /// Trusted targets metadata of `role` (`targets` or a delegated role).
    #[must_use]
    pub fn targets(&self, role: &str) -> Option<&Metadata<Targets>> {
        self.targets.get(role)
    }

    /// TUF 5.3.4 to 5.3.9: accepts root version N+1, signed by a threshold of the trusted root's
    /// root keys and of its own.
    pub fn update_root(&mut self, bytes: &[u8]) -> Result<(), TrustError> {
        if self.timestamp.is_some() {
            return Err(TrustError::TooLate {
                step: "root update",
                later: "timestamp",
            });
        }
        let new: Metadata<Root> = parse("root", bytes)?;
        // TUF 5.3.4: signed by the trusted root's keys, then by the new root's own keys.
        check_root_signatures("root", self.root.signed(), &new, RoleType::Root)?;
        check_root_signatures("root", new.signed(), &new, RoleType::Root)?;
        // TUF 5.3.5: rollback check; the version is exactly N+1.
        let expected = self.root.signed().version.saturating_add(1);
        if new.signed().version != expected {
            return Err(TrustError::RootVersion {
                expected,
                found: new.signed().version,
            });
        }
        self.root = new;
        Ok(())
    }

    /// TUF 5.3.10: the final root must not be expired (freeze attack).
    pub fn check_final_root(&self) -> Result<(), TrustError> {
        check_expiry("root", &self.root, self.now)
    }

    /// TUF 5.4: timestamp. Signed by the threshold of the root's timestamp keys; not older than
    /// the trusted timestamp (an equal version changes nothing); naming a snapshot version not
    /// lower than the trusted timestamp's. A valid but expired timestamp is kept for rollback
    /// checks and reported as expired.
    pub fn update_timestamp(&mut self, bytes: &[u8]) -> Result<TimestampUpdate, TrustError> {
        if self.snapshot.is_some() {
            return Err(TrustError::TooLate {
                step: "timestamp update",
                later: "snapshot",
            });
        }
        self.check_final_root()?;
        let new: Metadata<Timestamp> = parse("timestamp", bytes)?;
        // TUF 5.4.2: threshold of timestamp keys.
        check_root_signatures("timestamp", self.root.signed(), &new, RoleType::Timestamp)?;
        if let Some(trusted) = &self.timestamp {
            let (old_version, new_version) = (trusted.signed().version, new.signed().version);
            // TUF 5.4.3.1: rollback check of the timestamp version.
            if new_version < old_version {
                return Err(TrustError::Rollback {
                    role: "timestamp".into(),
                    trusted: old_version,
                    found: new_version,
                });
            }
            if new_version == old_version {
                return Ok(TimestampUpdate::Unchanged);
            }
            // TUF 5.4.3.2: rollback check of the snapshot version it names.
            let old_snapshot = trusted.signed().snapshot_meta().map_or(0, |m| m.version);
            let new_snapshot = new.signed().snapshot_meta().map_or(0, |m| m.version);
            if new_snapshot < old_snapshot {
                return Err(TrustError::SnapshotMetaRollback {
                    trusted: old_snapshot,
                    found: new_snapshot,
                });
            }
        }
        self.timestamp = Some(new);
        // TUF 5.4.4: freeze attack check.
        self.check_final_timestamp()?;
        Ok(TimestampUpdate::Updated)
    }

    fn check_final_timestamp(&self) -> Result<&Metadata<Timestamp>, TrustError> {
        let timestamp = self.timestamp.as_ref().ok_or(TrustError::OutOfOrder {
            step: "snapshot update",
            needs: "timestamp",
        })?;
        check_expiry("timestamp", timestamp, self.now)?;
        Ok(timestamp)
    }

    /// TUF 5.5: snapshot. Matching the length and hashes timestamp gives (for downloaded bytes),
    /// signed by the threshold of snapshot keys, listing every file the trusted snapshot lists at
    /// a version not lower; its version must be the one timestamp names and it must not be
    /// expired. A snapshot that fails only those last two checks is kept for rollback checks.
    pub fn update_snapshot(
        &mut self,
        bytes: &[u8],
        source: SnapshotSource,
    ) -> Result<(), TrustError> {
        if !self.targets.is_empty() {
            return Err(TrustError::TooLate {
                step: "snapshot update",
                later: "targets",
            });
        }
        let timestamp = self.check_final_timestamp()?;
        let meta = timestamp.signed().snapshot_meta().cloned();
        if source == SnapshotSource::Downloaded {
            if let Some(meta) = &meta {
                // TUF 5.5.2: hashes and length from timestamp.
                verify_bytes(bytes, meta.length, meta.hashes.as_ref()).map_err(|source| {
                    TrustError::Hash {
                        role: "snapshot".into(),
                        by: RoleType::Timestamp,
                        source,
                    }
                })?;
            }
        }
        let new: Metadata<Snapshot> = parse("snapshot", bytes)?;
        // TUF 5.5.3: threshold of snapshot keys.
        check_root_signatures("snapshot", self.root.signed(), &new, RoleType::Snapshot)?;
        // TUF 5.5.5: no targets metadata removed or rolled back.
        if let Some(trusted) = &self.snapshot {
            for (file, old) in &trusted.signed().meta {
                let Some(found) = new.signed().meta.get(file) else {
                    return Err(TrustError::RoleRemoved { file: file.clone() });
                };
                if found.version < old.version {
                    return Err(TrustError::MetaRollback {
                        file: file.clone(),
                        trusted: old.version,
                        found: found.version,
                    });
                }
            }
        }
        self.snapshot = Some(new);
        self.check_final_snapshot()?;
        Ok(())
    }

    /// TUF 5.5.4 and 5.5.6: the snapshot is the version timestamp names, and not expired.
    fn check_final_snapshot(&self) -> Result<&Metadata<Snapshot>, TrustError> {
        let snapshot = self.snapshot.as_ref().ok_or(TrustError::OutOfOrder {
            step: "targets update",
            needs: "snapshot",
        })?;
        let timestamp = self.check_final_timestamp()?;
        check_expiry("snapshot", snapshot, self.now)?;
        if let Some(meta) = timestamp.signed().snapshot_meta() {
            if snapshot.signed().version != meta.version {
                return Err(TrustError::VersionMismatch {
                    role: "snapshot".into(),
                    by: RoleType::Timestamp,
                    expected: meta.version,
                    found: snapshot.signed().version,
                });
            }
        }
        Ok(snapshot)
    }

    /// The keys and threshold `delegator` requires of `role` (`root` for top-level targets).
    fn delegated_keys(&self, role: &str, delegator: &str) -> Result<DelegatedKeys<'_>, TrustError> {
        let not_delegated = || TrustError::NotDelegated {
            role: role.to_owned(),
            delegator: delegator.to_owned(),
        };
        if delegator == "root" {
            if role != "targets" {
                return Err(not_delegated());
            }
            let root = self.root.signed();
            let keys = root.role(RoleType::Targets).ok_or_else(not_delegated)?;
            return Ok(DelegatedKeys {
                keys: &root.keys,
                keyids: &keys.keyids,
                threshold: keys.threshold,
            });
        }
        let parent = self.targets.get(delegator).ok_or_else(not_delegated)?;
        let delegations = parent
            .signed()
            .delegations
            .as_ref()
            .ok_or_else(not_delegated)?;
        delegations.keys_for_role(role).ok_or_else(not_delegated)
    }

    /// TUF 5.6: targets metadata of `role`, reached through `delegator`. Matching the length and
    /// hashes snapshot gives, signed by the threshold of keys the delegator names, the version
    /// snapshot names, and not expired.
    pub fn update_delegated_targets(
        &mut self,
        bytes: &[u8],
        role: &str,
        delegator: &str,
    ) -> Result<(), TrustError> {
        let snapshot = self.check_final_snapshot()?;
        let meta = snapshot
            .signed()
            .role_meta(role)
            .ok_or_else(|| TrustError::NotInSnapshot {
                role: role.to_owned(),
            })?;
        // TUF 5.6.2: hashes and length from snapshot.
        verify_bytes(bytes, meta.length, meta.hashes.as_ref()).map_err(|source| {
            TrustError::Hash {
                role: role.to_owned(),
                by: RoleType::Snapshot,
                source,
            }
        })?;
        let expected_version = meta.version;
        let new: Metadata<Targets> = parse(role, bytes)?;
        let keys = self.delegated_keys(role, delegator)?;
        // TUF 5.6.3: threshold of the keys the delegator names, counted over distinct key ids.
        verify_threshold(role, keys.keys, keys.keyids, keys.threshold, new.envelope())?;
        // TUF 5.6.4: version named by snapshot.
        if new.signed().version != expected_version {
            return Err(TrustError::VersionMismatch {
                role: role.to_owned(),
                by: RoleType::Snapshot,
                expected: expected_version,
                found: new.signed().version,
            });
        }
        // TUF 5.6.5: freeze attack check.
        check_expiry(role, &new, self.now)?;
        self.targets.insert(role.to_owned(), new);
        Ok(())
    }

    /// A role already trusted through one delegator, reached again through `delegator`: its
    /// signatures are checked against this delegator's keys too, so that it gains no authority
    /// from the path it was first reached by.
    pub fn verify_cached_targets(&self, role: &str, delegator: &str) -> Result<(), TrustError> {
        let cached = self.targets.get(role).ok_or(TrustError::OutOfOrder {
            step: "cached role check",
            needs: "the role",
        })?;
        let keys = self.delegated_keys(role, delegator)?;
        verify_threshold(
            role,
            keys.keys,
            keys.keyids,
            keys.threshold,
            cached.envelope(),
        )?;
        Ok(())
    }
}

/// TUF 5.3.11: whether the keys of `role` differ between two roots.
#[must_use]
pub fn role_keys_changed(old: &Root, new: &Root, role: RoleType) -> bool {
    let ids = |root: &Root| -> BTreeSet<KeyId> {
        root.role(role)
            .map(|keys| keys.keyids.iter().cloned().collect())
            .unwrap_or_default()
    };
    let thresholds = |root: &Root| root.role(role).map(|keys| keys.threshold);
    ids(old) != ids(new) || thresholds(old) != thresholds(new)
}
