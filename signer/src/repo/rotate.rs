//! `repo rotate`: replace, add or revoke the keys of a top-level role with a new root version
//! (TUF 5.3: clients accept it when a threshold of the previous root's root keys and of its own
//! root keys sign it), then re-sign the rotated role with its new keys.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sigil_keys::{KeyEncryption, KeyId, Password, PrivateKey, PublicKey, Scheme, Signer};
use sigil_tuf::Clock;
use sigil_tuf::metadata::{RoleType, sign_metadata};

use super::keyring::{GeneratedKey, KeyRing, generate_key};
use super::{RepoError, Repository};

/// A change to one role's keys: required inputs here, the changes as setters, then
/// [`Self::apply`].
#[derive(Debug)]
pub struct RotateRequest {
    role: RoleType,
    generate: Option<(PathBuf, Scheme, Option<Password>)>,
    encryption: KeyEncryption,
    add: Vec<PublicKey>,
    revoke: Vec<KeyId>,
    threshold: Option<u64>,
}

/// What a rotation did.
#[derive(Debug)]
pub struct Rotated {
    /// The new root version.
    pub root_version: u64,
    pub generated: Vec<GeneratedKey>,
    /// The generated keys, in the order of `generated`, for a custody log.
    pub private_keys: Vec<PrivateKey>,
    pub added: Vec<KeyId>,
    pub revoked: Vec<KeyId>,
    /// The role's keys and threshold now.
    pub keyids: Vec<KeyId>,
    pub threshold: u64,
}

impl RotateRequest {
    #[must_use]
    pub fn new(role: RoleType) -> Self {
        Self {
            role,
            generate: None,
            encryption: KeyEncryption::default(),
            add: Vec::new(),
            revoke: Vec::new(),
            threshold: None,
        }
    }

    /// Generate a new key for the role into `keys_dir`, encrypted with `password` (`None`:
    /// unencrypted). The rotated role is re-signed with the keys of the ring given to
    /// [`Self::apply`], so `keys_dir` is normally the ring's directory.
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

    /// Add an existing public key (its holder keeps the secret key elsewhere).
    #[must_use]
    pub fn add_key(mut self, key: PublicKey) -> Self {
        self.add.push(key);
        self
    }

    /// Remove a key from the role.
    #[must_use]
    pub fn revoke(mut self, keyid: KeyId) -> Self {
        self.revoke.push(keyid);
        self
    }

    /// The role's new threshold (default: unchanged, or the number of keys if that is lower).
    #[must_use]
    pub fn threshold(mut self, threshold: u64) -> Self {
        self.threshold = Some(threshold);
        self
    }

    /// Writes root version N+1 signed by every root key of versions N and N+1 found in
    /// `keyring`, then re-signs the rotated role (and those that describe it) with its new keys.
    pub fn apply(
        self,
        repository: &mut Repository,
        keyring: &KeyRing,
        clock: &dyn Clock,
    ) -> Result<Rotated, RepoError> {
        let now = clock.now();
        let previous = repository.root().signed().clone();
        let mut root = previous.clone();
        let role_name = self.role.as_str();
        let Some(keys) = root.roles.get(role_name).cloned() else {
            return Err(RepoError::RoleMissing { role: self.role });
        };
        let mut keyids = keys.keyids.clone();
        for keyid in &self.revoke {
            if !keyids.contains(keyid) {
                return Err(RepoError::NotARoleKey {
                    role: self.role,
                    keyid: keyid.clone(),
                    expected: join(&keys.keyids),
                });
            }
            keyids.retain(|id| id != keyid);
        }
        let mut added = Vec::new();
        for key in &self.add {
            let keyid = key.key_id();
            if !keyids.contains(&keyid) {
                root.keys.insert(keyid.clone(), key.to_tuf_key());
                keyids.push(keyid.clone());
                added.push(keyid);
            }
        }
        let mut generated = Vec::new();
        let mut new_signers = Vec::new();
        if let Some((dir, scheme, password)) = &self.generate {
            let (key, info) = generate_key(
                dir,
                self.role.as_str(),
                *scheme,
                password.as_ref(),
                self.encryption,
            )?;
            root.keys
                .insert(info.key_id.clone(), key.public_key().to_tuf_key());
            keyids.push(info.key_id.clone());
            added.push(info.key_id.clone());
            generated.push(info);
            new_signers.push(key);
        }
        let count = u64::try_from(keyids.len()).unwrap_or(u64::MAX);
        let threshold = self.threshold.unwrap_or(keys.threshold.min(count));
        if threshold == 0 || threshold > count {
            return Err(RepoError::Threshold {
                role: self.role,
                threshold,
                keys: count,
            });
        }
        if let Some(entry) = root.roles.get_mut(role_name) {
            entry.keyids = keyids.clone();
            entry.threshold = threshold;
        }
        // Keys no role uses any more leave the key list.
        let used: BTreeSet<KeyId> = root
            .roles
            .values()
            .flat_map(|role| role.keyids.iter().cloned())
            .collect();
        root.keys.retain(|keyid, _| used.contains(keyid));
        root.version = previous.version.saturating_add(1);
        root.expires = repository.expiry_from(RoleType::Root, now);

        // TUF 5.3.4: the new root needs both the old and the new root thresholds.
        let mut root_keyids: Vec<KeyId> = previous
            .role(RoleType::Root)
            .map(|keys| keys.keyids.clone())
            .unwrap_or_default();
        if let Some(keys) = root.role(RoleType::Root) {
            root_keyids.extend(keys.keyids.iter().cloned());
        }
        let loaded = keyring.signers_for(&root_keyids)?;
        let mut signers: Vec<&dyn Signer> = loaded.iter().map(|s| s as &dyn Signer).collect();
        if self.role == RoleType::Root {
            // A key generated into the ring's own directory is already loaded.
            for key in &new_signers {
                if !loaded.iter().any(|s| s.key_id() == Signer::key_id(key)) {
                    signers.push(key);
                }
            }
        }
        let bytes = sign_metadata(&root, &signers).map_err(|source| RepoError::Signing {
            role: RoleType::Root,
            source,
        })?;
        repository.push_root(&bytes)?;

        // The rotated role is re-signed with its new keys; those that describe it follow.
        match self.role {
            RoleType::Root => {}
            RoleType::Targets => {
                let mut targets = repository.targets().signed().clone();
                targets.version = targets.version.saturating_add(1);
                targets.expires = repository.expiry_from(RoleType::Targets, now);
                repository.store_targets(&targets, keyring)?;
                repository.resign_snapshot(now, keyring)?;
                repository.resign_timestamp(now, keyring)?;
            }
            RoleType::Snapshot => {
                repository.resign_snapshot(now, keyring)?;
                repository.resign_timestamp(now, keyring)?;
            }
            RoleType::Timestamp => repository.resign_timestamp(now, keyring)?,
        }
        Ok(Rotated {
            root_version: root.version,
            generated,
            private_keys: new_signers,
            added,
            revoked: self.revoke,
            keyids,
            threshold,
        })
    }
}

fn join(keyids: &[KeyId]) -> String {
    keyids
        .iter()
        .map(KeyId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}
