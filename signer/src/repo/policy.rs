//! How long each role's metadata stays valid, and how many keys each role has: parsed from
//! `root=365d,targets=90d` lists.

use std::fmt;

use serde::{Deserialize, Serialize};
use sigil_tuf::metadata::RoleType;

/// The four top-level roles, in the order sigil lists them.
pub const ROLES: [RoleType; 4] = [
    RoleType::Root,
    RoleType::Targets,
    RoleType::Snapshot,
    RoleType::Timestamp,
];

/// Why a `role=value` list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    #[error("{found:?}: expected ROLE=VALUE (roles: root, targets, snapshot, timestamp)")]
    Entry { found: String },
    #[error("{found:?} is not a top-level role (expected root, targets, snapshot or timestamp)")]
    Role { found: String },
    #[error("{found:?} is not a duration (expected a positive number and a unit: s, m, h, d or w)")]
    Duration { found: String },
    #[error("{found:?} is not a threshold (expected a whole number from 1 to 16)")]
    Threshold { found: String },
}

/// One value per top-level role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerRole<T> {
    pub root: T,
    pub targets: T,
    pub snapshot: T,
    pub timestamp: T,
}

impl<T: Copy> PerRole<T> {
    #[must_use]
    pub fn get(&self, role: RoleType) -> T {
        match role {
            RoleType::Root => self.root,
            RoleType::Targets => self.targets,
            RoleType::Snapshot => self.snapshot,
            RoleType::Timestamp => self.timestamp,
        }
    }

    fn set(&mut self, role: RoleType, value: T) {
        match role {
            RoleType::Root => self.root = value,
            RoleType::Targets => self.targets = value,
            RoleType::Snapshot => self.snapshot = value,
            RoleType::Timestamp => self.timestamp = value,
        }
    }

    /// Applies `role=value` entries (comma-separated) over these values.
    fn apply(
        mut self,
        list: &str,
        parse: impl Fn(&str) -> Result<T, PolicyError>,
    ) -> Result<Self, PolicyError> {
        for entry in list.split(',').filter(|entry| !entry.trim().is_empty()) {
            let (role, value) = entry.split_once('=').ok_or_else(|| PolicyError::Entry {
                found: entry.to_owned(),
            })?;
            let role = parse_role(role.trim())?;
            self.set(role, parse(value.trim())?);
        }
        Ok(self)
    }
}

/// Parses a top-level role name.
pub fn parse_role(name: &str) -> Result<RoleType, PolicyError> {
    ROLES
        .into_iter()
        .find(|role| role.as_str() == name)
        .ok_or_else(|| PolicyError::Role {
            found: name.to_owned(),
        })
}

/// Validity periods in seconds. Defaults: root 365 days, targets 90, snapshot 7, timestamp 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiryPolicy(pub PerRole<u64>);

impl Default for ExpiryPolicy {
    fn default() -> Self {
        const DAY: u64 = 86_400;
        Self(PerRole {
            root: 365 * DAY,
            targets: 90 * DAY,
            snapshot: 7 * DAY,
            timestamp: DAY,
        })
    }
}

impl ExpiryPolicy {
    /// The defaults with the roles named in `list` (`timestamp=12h,snapshot=3d`) changed.
    pub fn parse(list: &str) -> Result<Self, PolicyError> {
        Self::default().0.apply(list, parse_duration).map(Self)
    }

    /// How long `role`'s metadata stays valid, in seconds.
    #[must_use]
    pub fn seconds(&self, role: RoleType) -> u64 {
        self.0.get(role)
    }
}

/// Parses `90d`, `12h`, `30m`, `45s`, `2w`.
pub fn parse_duration(text: &str) -> Result<u64, PolicyError> {
    let error = || PolicyError::Duration {
        found: text.to_owned(),
    };
    let split = text.len().checked_sub(1).ok_or_else(error)?;
    let (number, unit) = (text.get(..split).ok_or_else(error)?, &text[split..]);
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(error()),
    };
    let number: u64 = number.parse().map_err(|_| error())?;
    match number.checked_mul(unit) {
        Some(seconds) if seconds > 0 => Ok(seconds),
        _ => Err(error()),
    }
}

/// How many keys each role has, and how many of them must sign. Default: 1 for every role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds(pub PerRole<u64>);

impl Default for Thresholds {
    fn default() -> Self {
        Self(PerRole {
            root: 1,
            targets: 1,
            snapshot: 1,
            timestamp: 1,
        })
    }
}

impl Thresholds {
    /// The defaults with the roles named in `list` (`root=2`) changed.
    pub fn parse(list: &str) -> Result<Self, PolicyError> {
        Self::default()
            .0
            .apply(list, |text| match text.parse::<u64>() {
                Ok(threshold @ 1..=16) => Ok(threshold),
                _ => Err(PolicyError::Threshold {
                    found: text.to_owned(),
                }),
            })
            .map(Self)
    }
}

impl fmt::Display for ExpiryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = ROLES
            .iter()
            .map(|role| format!("{role}={}s", self.seconds(*role)))
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("90d"), Ok(90 * 86_400));
        assert_eq!(parse_duration("12h"), Ok(43_200));
        assert_eq!(parse_duration("2w"), Ok(14 * 86_400));
        for bad in ["", "d", "90", "0d", "-1d", "1.5d", "99999999999999999999w"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lists_change_only_the_named_roles() {
        let policy = ExpiryPolicy::parse("timestamp=6h, snapshot=1d").unwrap();
        assert_eq!(policy.seconds(RoleType::Timestamp), 21_600);
        assert_eq!(policy.seconds(RoleType::Snapshot), 86_400);
        assert_eq!(policy.seconds(RoleType::Root), 365 * 86_400);
        assert_eq!(
            ExpiryPolicy::parse("delegated=1d"),
            Err(PolicyError::Role {
                found: "delegated".into()
            })
        );
        assert_eq!(Thresholds::parse("root=2").unwrap().0.root, 2);
        assert!(Thresholds::parse("root=0").is_err());
        assert!(Thresholds::parse("root").is_err());
    }
}
