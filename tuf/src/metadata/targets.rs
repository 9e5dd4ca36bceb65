//! Targets metadata (TUF 4.5) and its delegations (TUF 4.5 and TAP 15 succinct hash bins).

use std::collections::{BTreeMap, BTreeSet};

use ring::digest;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sigil_keys::{KeyId, TufKey};

use super::snapshot::validate_hashes;
use super::{Hashes, MetadataError, Role, RoleType, validate_common, validate_role_keys};
use crate::time::Expires;

/// One target file: its length, hashes and custom data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetFile {
    pub length: u64,
    pub hashes: Hashes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `signed` part of targets metadata, top-level or delegated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Targets {
    #[serde(rename = "_type")]
    pub role_type: String,
    pub spec_version: String,
    pub version: u64,
    pub expires: Expires,
    pub targets: BTreeMap<String, TargetFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegations: Option<Delegations>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Role for Targets {
    const TYPE: RoleType = RoleType::Targets;

    fn version(&self) -> u64 {
        self.version
    }

    fn expires(&self) -> &Expires {
        &self.expires
    }

    fn validate(&self) -> Result<(), MetadataError> {
        validate_common(
            Self::TYPE,
            &self.role_type,
            &self.spec_version,
            self.version,
        )?;
        for target in self.targets.values() {
            validate_hashes(Self::TYPE, &target.hashes)?;
        }
        if let Some(delegations) = &self.delegations {
            delegations.validate()?;
        }
        Ok(())
    }
}

/// The keys and roles a targets role delegates to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delegations {
    pub keys: BTreeMap<KeyId, TufKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<DelegatedRole>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub succinct_roles: Option<SuccinctRoles>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One delegation: a role, its keys, and the target paths it is trusted for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DelegatedRole {
    pub name: String,
    pub keyids: Vec<KeyId>,
    pub threshold: u64,
    pub terminating: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_hash_prefixes: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// TAP 15 succinct hash bins: `2^bit_length` roles named `{name_prefix}-{bin in hex}`, sharing
/// keys and threshold, each trusted for the targets whose SHA-256 path hash starts with its bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuccinctRoles {
    pub keyids: Vec<KeyId>,
    pub threshold: u64,
    pub bit_length: u64,
    pub name_prefix: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A role a target path is delegated to, in the order the delegator lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleForTarget {
    pub name: String,
    pub terminating: bool,
}

/// The keys and threshold that a delegator requires of one delegated role.
#[derive(Debug, Clone, Copy)]
pub struct DelegatedKeys<'a> {
    pub keys: &'a BTreeMap<KeyId, TufKey>,
    pub keyids: &'a [KeyId],
    pub threshold: u64,
}

impl Delegations {
    fn validate(&self) -> Result<(), MetadataError> {
        if self.roles.is_some() && self.succinct_roles.is_some() {
            return Err(MetadataError::RolesAndSuccinctRoles);
        }
        let mut names = BTreeSet::new();
        for role in self.roles.iter().flatten() {
            if role.name.is_empty() || RoleType::is_top_level_name(&role.name) {
                return Err(MetadataError::ReservedRoleName {
                    found: role.name.clone(),
                });
            }
            if !names.insert(role.name.as_str()) {
                return Err(MetadataError::DuplicateDelegatedRole {
                    role: role.name.clone(),
                });
            }
            role.validate()?;
        }
        if let Some(succinct) = &self.succinct_roles {
            validate_role_keys(&succinct.name_prefix, &succinct.keyids, succinct.threshold)?;
            if !(1..=32).contains(&succinct.bit_length) {
                return Err(MetadataError::BitLength {
                    found: succinct.bit_length,
                });
            }
        }
        Ok(())
    }

    /// TUF 5.6.7.2: the roles trusted for `target_path`, in listed order. A terminating role
    /// ends the list (the search goes no further than it); each succinct bin is terminating.
    #[must_use]
    pub fn roles_for_target(&self, target_path: &str) -> Vec<RoleForTarget> {
        let mut found = Vec::new();
        for role in self.roles.iter().flatten() {
            if role.is_delegated_path(target_path) {
                found.push(RoleForTarget {
                    name: role.name.clone(),
                    terminating: role.terminating,
                });
                if role.terminating {
                    break;
                }
            }
        }
        if let Some(succinct) = &self.succinct_roles {
            found.push(RoleForTarget {
                name: succinct.role_for_target(target_path),
                terminating: true,
            });
        }
        found
    }

    /// The keys and threshold this delegator requires of the role `name`, if it delegates to it.
    #[must_use]
    pub fn keys_for_role(&self, name: &str) -> Option<DelegatedKeys<'_>> {
        if let Some(role) = self.roles.iter().flatten().find(|role| role.name == name) {
            return Some(DelegatedKeys {
                keys: &self.keys,
                keyids: &role.keyids,
                threshold: role.threshold,
            });
        }
        let succinct = self.succinct_roles.as_ref()?;
        succinct.is_bin_name(name).then_some(DelegatedKeys {
            keys: &self.keys,
            keyids: &succinct.keyids,
            threshold: succinct.threshold,
        })
    }
}

impl DelegatedRole {
    fn validate(&self) -> Result<(), MetadataError> {
        validate_role_keys(&self.name, &self.keyids, self.threshold)?;
        if self.paths.is_some() && self.path_hash_prefixes.is_some() {
            return Err(MetadataError::PathsAndPrefixes {
                role: self.name.clone(),
            });
        }
        for prefix in self.path_hash_prefixes.iter().flatten() {
            if !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(MetadataError::HashPrefix {
                    role: self.name.clone(),
                    found: prefix.clone(),
                });
            }
        }
        Ok(())
    }

    /// TUF 4.5: whether this role is trusted for `target_path`, by `paths` (shell-style
    /// patterns matched segment by segment, so `*` never crosses a `/`) or by
    /// `path_hash_prefixes` (prefixes of the hex SHA-256 of the path).
    #[must_use]
    pub fn is_delegated_path(&self, target_path: &str) -> bool {
        if let Some(patterns) = &self.paths {
            return patterns
                .iter()
                .any(|pattern| path_matches(pattern, target_path));
        }
        if let Some(prefixes) = &self.path_hash_prefixes {
            let hash = hex::encode(digest::digest(&digest::SHA256, target_path.as_bytes()));
            return prefixes
                .iter()
                .any(|prefix| hash.starts_with(&prefix.to_ascii_lowercase()));
        }
        false
    }
}

impl SuccinctRoles {
    fn suffix_len(&self) -> usize {
        // bit_length is 1..=32 (checked when parsed), so this is at most 8.
        usize::try_from(self.bit_length.div_ceil(4)).unwrap_or(8)
    }

    /// TAP 15: the bin role for `target_path`: the first `bit_length` bits of the SHA-256 of the
    /// path, as hex of `ceil(bit_length / 4)` digits after `{name_prefix}-`.
    #[must_use]
    pub fn role_for_target(&self, target_path: &str) -> String {
        let hash = digest::digest(&digest::SHA256, target_path.as_bytes());
        let bytes = hash.as_ref();
        let first = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let shift = 32 - self.bit_length.clamp(1, 32);
        let bin = u64::from(first) >> shift;
        format!(
            "{}-{:0width$x}",
            self.name_prefix,
            bin,
            width = self.suffix_len()
        )
    }

    /// Whether `name` is one of this delegation's bins.
    #[must_use]
    pub fn is_bin_name(&self, name: &str) -> bool {
        let Some(suffix) = name
            .strip_prefix(self.name_prefix.as_str())
            .and_then(|rest| rest.strip_prefix('-'))
        else {
            return false;
        };
        if suffix.len() != self.suffix_len()
            || !suffix
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return false;
        }
        u64::from_str_radix(suffix, 16)
            .is_ok_and(|bin| bin < (1u64 << self.bit_length.clamp(1, 32)))
    }
}

/// Matches a `paths` pattern against a target path: the same number of `/`-separated segments,
/// each matched with shell-style `*`, `?` and `[...]` (as python-tuf and go-tuf do).
#[must_use]
pub fn path_matches(pattern: &str, target_path: &str) -> bool {
    let patterns: Vec<&str> = pattern.split('/').collect();
    let segments: Vec<&str> = target_path.split('/').collect();
    patterns.len() == segments.len()
        && patterns
            .iter()
            .zip(&segments)
            .all(|(pattern, segment)| glob_segment(pattern.as_bytes(), segment.as_bytes()))
}

fn glob_segment(pattern: &[u8], text: &[u8]) -> bool {
    // Iterative matcher with one backtrack point for the last `*`.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    star = Some((p, t));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    t += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = match_class(&pattern[p..], text[t]) {
                        if matched {
                            p += next;
                            t += 1;
                            continue;
                        }
                    } else if text[t] == b'[' {
                        // An unclosed `[` is a literal, as in fnmatch.
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
                literal if literal == text[t] => {
                    p += 1;
                    t += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((star_p, star_t)) => {
                p = star_p + 1;
                t = star_t + 1;
                star = Some((star_p, star_t + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

/// Matches one byte against a `[...]` class at the start of `pattern`; returns whether it matched
/// and the class's length, or `None` when the class is not closed.
fn match_class(pattern: &[u8], byte: u8) -> Option<(bool, usize)> {
    let mut index = 1;
    let negated = matches!(pattern.get(index), Some(b'!'));
    if negated {
        index += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let current = *pattern.get(index)?;
        if current == b']' && !first {
            return Some((matched != negated, index + 1));
        }
        first = false;
        if pattern.get(index + 1) == Some(&b'-')
            && pattern.get(index + 2).is_some_and(|&b| b != b']')
        {
            let high = pattern[index + 2];
            matched |= (current..=high).contains(&byte);
            index += 3;
        } else {
            matched |= current == byte;
            index += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_does_not_cross_a_slash() {
        assert!(path_matches("targets/*.tgz", "targets/app.tgz"));
        assert!(!path_matches("targets/*.tgz", "targets/nested/app.tgz"));
        assert!(!path_matches("*", "a/b"));
        assert!(path_matches("*/*", "a/b"));
        assert!(path_matches("a/*/c", "a/anything/c"));
    }

    #[test]
    fn question_mark_and_classes() {
        assert!(path_matches("file-?.txt", "file-1.txt"));
        assert!(!path_matches("file-?.txt", "file-10.txt"));
        assert!(path_matches("file-[0-9].txt", "file-7.txt"));
        assert!(!path_matches("file-[!0-9].txt", "file-7.txt"));
        assert!(path_matches("file-[!0-9].txt", "file-x.txt"));
        assert!(path_matches("[abc", "[abc"));
        assert!(path_matches("a*b*c", "aXXbYYc"));
        assert!(!path_matches("a*b*c", "aXXbYY"));
    }

    #[test]
    fn succinct_bins_are_named_by_hash_prefix() {
        let roles = SuccinctRoles {
            keyids: vec![],
            threshold: 1,
            bit_length: 8,
            name_prefix: "bin".into(),
            extra: Map::new(),
        };
        // sha256("a") starts with 0xca.
        assert_eq!(roles.role_for_target("a"), "bin-ca");
        assert!(roles.is_bin_name("bin-ca"));
        assert!(!roles.is_bin_name("bin-CA"));
        assert!(!roles.is_bin_name("bin-100"));
        let three = SuccinctRoles {
            bit_length: 3,
            ..roles
        };
        assert_eq!(three.role_for_target("a"), "bin-6");
        assert!(!three.is_bin_name("bin-8"));
    }
}
