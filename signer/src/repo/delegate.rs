//! `repo delegate`: top-level targets hands part of the target namespace to delegated roles
//! (TUF 4.6.1), by path patterns or as TAP 15 succinct hash bins, each with keys of its own.
//! One level of delegation: delegated roles do not delegate further.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Map;
use sigil_keys::{KeyEncryption, KeyId, Password, PublicKey, Scheme};
use sigil_tuf::Clock;
use sigil_tuf::metadata::{
    DelegatedRole, Delegations, RoleType, SPEC_VERSION, SuccinctRoles, Targets,
};

use super::keyring::{GeneratedKey, KeyRing, generate_key};
use super::{RepoError, Repository};

/// The most hash bins a repository may have (`bit_length` 10).
pub const MAX_HASH_BIN_BITS: u64 = 10;

/// The delegated role names `targets` delegates to, hash bins included.
pub fn delegated_names(targets: &Targets) -> Result<Vec<String>, RepoError> {
    let Some(delegations) = &targets.delegations else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = delegations
        .roles
        .iter()
        .flatten()
        .map(|role| role.name.clone())
        .collect();
    if let Some(bins) = &delegations.succinct_roles {
        if bins.bit_length > MAX_HASH_BIN_BITS {
            return Err(RepoError::TooManyBins {
                found: bins.bit_length,
                limit: MAX_HASH_BIN_BITS,
            });
        }
        let width = usize::try_from(bins.bit_length.div_ceil(4)).unwrap_or(3);
        for bin in 0..(1u64 << bins.bit_length) {
            names.push(format!("{}-{bin:0width$x}", bins.name_prefix));
        }
    }
    for name in &names {
        check_role_name(name)?;
    }
    Ok(names)
}

/// Delegated role names become file names: letters, digits, `.`, `_` and `-` only, and not a
/// top-level role's name.
pub fn check_role_name(name: &str) -> Result<(), RepoError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && !RoleType::is_top_level_name(name);
    if valid {
        Ok(())
    } else {
        Err(RepoError::RoleName {
            found: name.to_owned(),
        })
    }
}

/// What the new delegation covers.
#[derive(Debug, Clone)]
enum Kind {
    /// One role, trusted for target paths matching these patterns.
    Paths {
        name: String,
        patterns: Vec<String>,
        terminating: bool,
    },
    /// `2^bit_length` roles named `{prefix}-{bin}`, sharing keys, covering every path.
    HashBins { prefix: String, bit_length: u64 },
}

/// A new delegation: required inputs in the constructors, keys as setters, then
/// [`Self::apply`].
#[derive(Debug)]
pub struct DelegateRequest {
    kind: Kind,
    generate: Option<(PathBuf, Scheme, Option<Password>)>,
    encryption: KeyEncryption,
    add: Vec<PublicKey>,
    threshold: u64,
}

/// What a delegation created.
#[derive(Debug, Clone)]
pub struct Delegated {
    pub roles: Vec<String>,
    pub keyids: Vec<KeyId>,
    pub generated: Vec<GeneratedKey>,
}

impl DelegateRequest {
    /// A role `name` trusted for the target paths matching `patterns` (shell-style, `*` does
    /// not cross `/`). A terminating delegation stops the client's search at this role.
    #[must_use]
    pub fn paths(name: &str, patterns: Vec<String>, terminating: bool) -> Self {
        Self::new(Kind::Paths {
            name: name.to_owned(),
            patterns,
            terminating,
        })
    }

    /// Succinct hash bins: `2^bit_length` roles `{prefix}-{bin}` that share keys (TAP 15).
    #[must_use]
    pub fn hash_bins(prefix: &str, bit_length: u64) -> Self {
        Self::new(Kind::HashBins {
            prefix: prefix.to_owned(),
            bit_length,
        })
    }

    fn new(kind: Kind) -> Self {
        Self {
            kind,
            generate: None,
            encryption: KeyEncryption::default(),
            add: Vec::new(),
            threshold: 1,
        }
    }

    /// Generate a key for the delegation into `keys_dir` (normally the ring's directory, so
    /// that the new roles are signed at once).
    #[must_use]
    pub fn generate(mut self, keys_dir: &Path, scheme: Scheme, password: Option<Password>) -> Self {
        self.generate = Some((keys_dir.to_owned(), scheme, password));
        self
    }

    /// How a generated key file is encrypted when a password is given (default
    /// [`KeyEncryption::Scrypt`]; [`KeyEncryption::OpensslCompatible`] for keys that
    /// `openssl pkey` must read).
    #[must_use]
    pub fn key_encryption(mut self, encryption: KeyEncryption) -> Self {
        self.encryption = encryption;
        self
    }

    #[must_use]
    pub fn add_key(mut self, key: PublicKey) -> Self {
        self.add.push(key);
        self
    }

    /// How many of the delegation's keys must sign (default 1).
    #[must_use]
    pub fn threshold(mut self, threshold: u64) -> Self {
        self.threshold = threshold;
        self
    }

    /// Adds the delegation to top-level targets (a new version, signed with the ring's targets
    /// keys), writes version 1 of each new role signed with the ring's keys for it, and
    /// re-signs snapshot and timestamp.
    pub fn apply(
        self,
        repository: &mut Repository,
        keyring: &KeyRing,
        clock: &dyn Clock,
    ) -> Result<Delegated, RepoError> {
        let now = clock.now();
        let mut targets = repository.targets().signed().clone();
        let mut delegations = targets.delegations.clone().unwrap_or(Delegations {
            keys: BTreeMap::new(),
            roles: None,
            succinct_roles: None,
            extra: Map::new(),
        });
        if self.add.is_empty() && self.generate.is_none() {
            return Err(RepoError::NoDelegationKeys);
        }
        let mut keyids = Vec::new();
        for key in &self.add {
            let keyid = key.key_id();
            delegations.keys.insert(keyid.clone(), key.to_tuf_key());
            keyids.push(keyid);
        }
        let mut generated = Vec::new();
        if let Some((dir, scheme, password)) = &self.generate {
            let label = match &self.kind {
                Kind::Paths { name, .. } => name.as_str(),
                Kind::HashBins { prefix, .. } => prefix.as_str(),
            };
            check_role_name(label)?;
            let (key, info) =
                generate_key(dir, label, *scheme, password.as_ref(), self.encryption)?;
            delegations
                .keys
                .insert(info.key_id.clone(), key.public_key().to_tuf_key());
            keyids.push(info.key_id.clone());
            generated.push(info);
        }
        let count = u64::try_from(keyids.len()).unwrap_or(u64::MAX);
        if self.threshold == 0 || self.threshold > count {
            return Err(RepoError::Threshold {
                role: RoleType::Targets,
                threshold: self.threshold,
                keys: count,
            });
        }
        let existing = delegated_names(&targets)?;
        match &self.kind {
            Kind::Paths {
                name,
                patterns,
                terminating,
            } => {
                check_role_name(name)?;
                if delegations.succinct_roles.is_some() {
                    return Err(RepoError::DelegationKind {
                        existing: "hash bins",
                        wanted: "a role by paths",
                    });
                }
                if existing.contains(name) {
                    return Err(RepoError::RoleExists { name: name.clone() });
                }
                delegations
                    .roles
                    .get_or_insert_with(Vec::new)
                    .push(DelegatedRole {
                        name: name.clone(),
                        keyids: keyids.clone(),
                        threshold: self.threshold,
                        terminating: *terminating,
                        paths: Some(patterns.clone()),
                        path_hash_prefixes: None,
                        extra: Map::new(),
                    });
            }
            Kind::HashBins { prefix, bit_length } => {
                check_role_name(prefix)?;
                if delegations
                    .roles
                    .as_ref()
                    .is_some_and(|roles| !roles.is_empty())
                    || delegations.succinct_roles.is_some()
                {
                    return Err(RepoError::DelegationKind {
                        existing: "other roles",
                        wanted: "hash bins",
                    });
                }
                if *bit_length == 0 || *bit_length > MAX_HASH_BIN_BITS {
                    return Err(RepoError::TooManyBins {
                        found: *bit_length,
                        limit: MAX_HASH_BIN_BITS,
                    });
                }
                delegations.succinct_roles = Some(SuccinctRoles {
                    keyids: keyids.clone(),
                    threshold: self.threshold,
                    bit_length: *bit_length,
                    name_prefix: prefix.clone(),
                    extra: Map::new(),
                });
            }
        }
        targets.delegations = Some(delegations);
        targets.version = targets.version.saturating_add(1);
        targets.expires = repository.expiry_from(RoleType::Targets, now);
        // Checked before anything is written: the names the new delegations give.
        let roles: Vec<String> = delegated_names(&targets)?
            .into_iter()
            .filter(|name| !existing.contains(name))
            .collect();
        repository.store_targets(&targets, keyring)?;
        for name in &roles {
            let empty = Targets {
                role_type: "targets".to_owned(),
                spec_version: SPEC_VERSION.to_owned(),
                version: 1,
                expires: repository.expiry_from(RoleType::Targets, now),
                targets: BTreeMap::new(),
                delegations: None,
                extra: Map::new(),
            };
            repository.store_delegated(name, &empty, keyring)?;
        }
        repository.resign_snapshot(now, keyring)?;
        repository.resign_timestamp(now, keyring)?;
        Ok(Delegated {
            roles,
            keyids,
            generated,
        })
    }
}
