//! `repo refresh`: re-sign snapshot and timestamp when they are due, and nothing otherwise. Run
//! it from cron or a scheduled CI job with the online snapshot and timestamp keys.

use sigil_tuf::metadata::RoleType;
use sigil_tuf::{Clock, Expires, UnixTime};

use super::keyring::KeyRing;
use super::status::Problem;
use super::{RepoError, Repository};

/// What a refresh did: the new version of each role it re-signed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshReport {
    pub snapshot: Option<u64>,
    pub timestamp: Option<u64>,
}

impl Repository {
    /// Whether `role` (valid for `period` seconds when signed) has less than half of that left
    /// at `now`.
    fn is_due(&self, role: RoleType, expires: &Expires, now: UnixTime) -> bool {
        let half = i64::try_from(self.config.expires.seconds(role) / 2).unwrap_or(i64::MAX);
        expires
            .at()
            .unix_seconds()
            .saturating_sub(now.unix_seconds())
            < half
    }

    /// Re-signs snapshot when it has less than half its validity left or does not list the
    /// working targets version, and timestamp when snapshot changed, when it has less than half
    /// its validity left, or when it does not describe the working snapshot. A due role whose
    /// keys are not in `keyring` is an error: its valid metadata is never replaced by unsigned.
    pub fn refresh(
        &mut self,
        keyring: &KeyRing,
        clock: &dyn Clock,
    ) -> Result<RefreshReport, RepoError> {
        let now = clock.now();
        let status = self.status(now);
        let snapshot_due = self.is_due(RoleType::Snapshot, &self.snapshot().signed().expires, now)
            || status.problems.iter().any(|problem| {
                matches!(
                    problem,
                    Problem::SnapshotStale { .. } | Problem::DelegatedNotInSnapshot { .. }
                )
            });
        let timestamp_due = snapshot_due
            || self.is_due(RoleType::Timestamp, &self.timestamp().signed().expires, now)
            || status.problems.contains(&Problem::TimestampStale);
        for (role, due) in [
            (RoleType::Snapshot, snapshot_due),
            (RoleType::Timestamp, timestamp_due),
        ] {
            let keyids = self
                .role_keys(role)
                .map(|keys| keys.keyids.clone())
                .unwrap_or_default();
            if due && !keyring.has_any(&keyids)? {
                return Err(RepoError::NoSigningKey {
                    role,
                    dir: keyring.describe(),
                });
            }
        }
        let mut report = RefreshReport::default();
        if snapshot_due {
            self.resign_snapshot(now, keyring)?;
            report.snapshot = Some(self.snapshot().signed().version);
        }
        if timestamp_due {
            self.resign_timestamp(now, keyring)?;
            report.timestamp = Some(self.timestamp().signed().version);
        }
        Ok(report)
    }
}
