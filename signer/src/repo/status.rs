//! `repo status`: for each role, its version, expiry and signatures against its threshold, and
//! everything that keeps the working copy from being published.

use std::fmt;

use sigil_keys::KeyId;
use sigil_tuf::metadata::{Envelope, RoleKeys, RoleType, Root};
use sigil_tuf::{Expires, UnixTime, VerificationResult, verification_result};

use super::policy::ROLES;
use super::{Repository, snapshot_meta_file};

/// One role's signatures as the current root judges them.
#[derive(Debug, Clone)]
pub struct RoleStatus {
    pub role: RoleType,
    pub version: u64,
    pub expires: Expires,
    pub threshold: u64,
    /// Keys of the role whose signature verifies and counts (one per distinct key).
    pub valid: Vec<KeyId>,
    /// Keys of the role with no valid signature.
    pub missing: Vec<KeyId>,
}

/// Something that blocks publishing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// Fewer valid signatures than the threshold.
    BelowThreshold {
        role: RoleType,
        valid: u64,
        threshold: u64,
    },
    /// A signature by one of the role's keys that does not verify: the metadata was changed
    /// after it was signed, or the signature was damaged.
    BadSignature {
        role: RoleType,
        keyid: KeyId,
    },
    /// Root version `version` is not signed by a threshold of the previous root's root keys.
    RootNotSignedByPrevious {
        version: u64,
        valid: u64,
        threshold: u64,
    },
    Expired {
        role: RoleType,
        expires: Expires,
    },
    /// Snapshot lists another targets version than the working one.
    SnapshotStale {
        listed: Option<u64>,
        found: u64,
    },
    /// Timestamp does not describe the working snapshot.
    TimestampStale,
    /// A delegated role below the threshold its delegator sets.
    DelegatedBelowThreshold {
        name: String,
        valid: u64,
        threshold: u64,
    },
    /// A signature on a delegated role that does not verify.
    DelegatedBadSignature {
        name: String,
        keyid: KeyId,
    },
    DelegatedExpired {
        name: String,
        expires: Expires,
    },
    /// Snapshot lists another version of a delegated role than the working one.
    DelegatedNotInSnapshot {
        name: String,
        listed: Option<u64>,
        found: u64,
    },
}

impl Problem {
    /// The role the problem is in.
    #[must_use]
    pub fn role(&self) -> RoleType {
        match self {
            Self::BelowThreshold { role, .. }
            | Self::BadSignature { role, .. }
            | Self::Expired { role, .. } => *role,
            Self::RootNotSignedByPrevious { .. } => RoleType::Root,
            Self::DelegatedBelowThreshold { .. }
            | Self::DelegatedBadSignature { .. }
            | Self::DelegatedExpired { .. }
            | Self::DelegatedNotInSnapshot { .. } => RoleType::Targets,
            Self::SnapshotStale { .. } => RoleType::Snapshot,
            Self::TimestampStale => RoleType::Timestamp,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BelowThreshold {
                role,
                valid,
                threshold,
            } => write!(
                f,
                "{role}: {valid} valid signature(s), threshold is {threshold} (sign with `repo sign {role}`)"
            ),
            Self::BadSignature { role, keyid } => write!(
                f,
                "{role}: the signature by key {keyid} does not verify (was the metadata edited after it was signed?)"
            ),
            Self::RootNotSignedByPrevious {
                version,
                valid,
                threshold,
            } => write!(
                f,
                "root: version {version} has {valid} valid signature(s) from the previous root's keys, threshold is {threshold}"
            ),
            Self::Expired { role, expires } => write!(
                f,
                "{role}: expired at {expires} (re-sign it{})",
                if matches!(role, RoleType::Snapshot | RoleType::Timestamp) {
                    " with `repo refresh`"
                } else {
                    ""
                }
            ),
            Self::SnapshotStale { listed, found } => write!(
                f,
                "snapshot: lists targets version {}, the working targets is version {found} (run `repo refresh`)",
                listed.map_or_else(|| "none".to_owned(), |v| v.to_string())
            ),
            Self::TimestampStale => f.write_str(
                "timestamp: does not describe the working snapshot (run `repo refresh`)",
            ),
            Self::DelegatedBelowThreshold {
                name,
                valid,
                threshold,
            } => write!(
                f,
                "delegated role {name}: {valid} valid signature(s), threshold is {threshold}"
            ),
            Self::DelegatedBadSignature { name, keyid } => write!(
                f,
                "delegated role {name}: the signature by key {keyid} does not verify (was the metadata edited after it was signed?)"
            ),
            Self::DelegatedExpired { name, expires } => {
                write!(f, "delegated role {name}: expired at {expires}")
            }
            Self::DelegatedNotInSnapshot {
                name,
                listed,
                found,
            } => write!(
                f,
                "snapshot: lists delegated role {name} at version {}, the working one is version {found} (run `repo refresh`)",
                listed.map_or_else(|| "none".to_owned(), |v| v.to_string())
            ),
        }
    }
}

/// The state of a working copy.
#[derive(Debug, Clone)]
pub struct RepoStatus {
    pub roles: Vec<RoleStatus>,
    /// The delegated targets roles, by name, judged by the keys their delegation gives.
    pub delegated: Vec<DelegatedStatus>,
    pub problems: Vec<Problem>,
}

/// One delegated role's signatures.
#[derive(Debug, Clone)]
pub struct DelegatedStatus {
    pub name: String,
    pub version: u64,
    pub expires: Expires,
    pub threshold: u64,
    pub valid: Vec<KeyId>,
    pub missing: Vec<KeyId>,
}

impl RepoStatus {
    /// Whether nothing blocks publishing.
    #[must_use]
    pub fn is_publishable(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The current root's judgement of `envelope` for a top-level role: the client's own.
fn check_signatures(root: &Root, keys: &RoleKeys, envelope: &Envelope) -> VerificationResult {
    verification_result(&root.keys, &keys.keyids, keys.threshold, envelope)
}

impl Repository {
    /// Checks every role as a client would at `now`: signatures against the current root (and
    /// each root against the one before it, TUF 5.3.4), expiry, and that snapshot and timestamp
    /// describe the working targets and snapshot.
    #[must_use]
    pub fn status(&self, now: UnixTime) -> RepoStatus {
        let root = self.root().signed();
        let mut roles = Vec::new();
        let mut problems = Vec::new();
        for role in ROLES {
            let envelope = match role {
                RoleType::Root => self.root().envelope(),
                RoleType::Targets => self.targets().envelope(),
                RoleType::Snapshot => self.snapshot().envelope(),
                RoleType::Timestamp => self.timestamp().envelope(),
            };
            let (version, expires) = match role {
                RoleType::Root => (root.version, root.expires.clone()),
                RoleType::Targets => {
                    let s = self.targets().signed();
                    (s.version, s.expires.clone())
                }
                RoleType::Snapshot => {
                    let s = self.snapshot().signed();
                    (s.version, s.expires.clone())
                }
                RoleType::Timestamp => {
                    let s = self.timestamp().signed();
                    (s.version, s.expires.clone())
                }
            };
            // Every root has the four roles: checked when it was parsed.
            let Some(keys) = root.role(role) else {
                continue;
            };
            let result = check_signatures(root, keys, envelope);
            for keyid in &result.bad {
                problems.push(Problem::BadSignature {
                    role,
                    keyid: keyid.clone(),
                });
            }
            if !result.is_verified() {
                problems.push(Problem::BelowThreshold {
                    role,
                    valid: result.valid(),
                    threshold: keys.threshold,
                });
            }
            if expires.is_expired_at(now) {
                problems.push(Problem::Expired {
                    role,
                    expires: expires.clone(),
                });
            }
            roles.push(RoleStatus {
                role,
                version,
                expires,
                threshold: keys.threshold,
                valid: result.counted,
                missing: result.unsigned,
            });
        }
        for pair in self.roots().windows(2) {
            let (previous, next) = (pair[0].signed(), &pair[1]);
            let Some(keys) = previous.role(RoleType::Root) else {
                continue;
            };
            let result = check_signatures(previous, keys, next.envelope());
            for keyid in &result.bad {
                let problem = Problem::BadSignature {
                    role: RoleType::Root,
                    keyid: keyid.clone(),
                };
                if !problems.contains(&problem) {
                    problems.push(problem);
                }
            }
            if !result.is_verified() {
                problems.push(Problem::RootNotSignedByPrevious {
                    version: next.signed().version,
                    valid: result.valid(),
                    threshold: keys.threshold,
                });
            }
        }
        let mut delegated = Vec::new();
        if let Some(delegations) = &self.targets().signed().delegations {
            for (name, role) in self.delegated() {
                let Some(keys) = delegations.keys_for_role(name) else {
                    continue;
                };
                let result =
                    verification_result(keys.keys, keys.keyids, keys.threshold, role.envelope());
                for keyid in &result.bad {
                    problems.push(Problem::DelegatedBadSignature {
                        name: name.clone(),
                        keyid: keyid.clone(),
                    });
                }
                if !result.is_verified() {
                    problems.push(Problem::DelegatedBelowThreshold {
                        name: name.clone(),
                        valid: result.valid(),
                        threshold: keys.threshold,
                    });
                }
                if role.signed().expires.is_expired_at(now) {
                    problems.push(Problem::DelegatedExpired {
                        name: name.clone(),
                        expires: role.signed().expires.clone(),
                    });
                }
                delegated.push(DelegatedStatus {
                    name: name.clone(),
                    version: role.signed().version,
                    expires: role.signed().expires.clone(),
                    threshold: keys.threshold,
                    missing: result.unsigned,
                    valid: result.counted,
                });
                let listed = self.snapshot().signed().role_meta(name).map(|m| m.version);
                if listed != Some(role.signed().version) {
                    problems.push(Problem::DelegatedNotInSnapshot {
                        name: name.clone(),
                        listed,
                        found: role.signed().version,
                    });
                }
            }
        }
        let targets_version = self.targets().signed().version;
        let listed = self
            .snapshot()
            .signed()
            .role_meta("targets")
            .map(|m| m.version);
        if listed != Some(targets_version) {
            problems.push(Problem::SnapshotStale {
                listed,
                found: targets_version,
            });
        }
        let expected = snapshot_meta_file(self.snapshot());
        let timestamp_meta = self.timestamp().signed().snapshot_meta();
        let describes = timestamp_meta.is_some_and(|meta| {
            meta.version == expected.version
                && meta
                    .length
                    .is_none_or(|length| Some(length) == expected.length)
                && meta.hashes.as_ref().is_none_or(|hashes| {
                    hashes.get("sha256").is_some_and(|hash| {
                        expected
                            .hashes
                            .as_ref()
                            .and_then(|e| e.get("sha256"))
                            .is_some_and(|e| e.eq_ignore_ascii_case(hash))
                    })
                })
        });
        if !describes {
            problems.push(Problem::TimestampStale);
        }
        RepoStatus {
            roles,
            delegated,
            problems,
        }
    }
}
