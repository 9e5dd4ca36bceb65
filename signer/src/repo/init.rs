//! `repo init`: a new repository with fresh keys for the four top-level roles.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Map;
use sigil_keys::{KeyEncryption, KeyId, Password, PrivateKey, Scheme, Signer};
use sigil_tuf::metadata::{
    RoleKeys, RoleType, Root, SPEC_VERSION, Snapshot, Targets, Timestamp, sign_metadata,
};
use sigil_tuf::{Clock, Expires};

use super::keyring::{GeneratedKey, generate_key};
use super::policy::{ExpiryPolicy, ROLES, Thresholds};
use super::{CONFIG_FILE, RepoConfig, RepoError, Repository, files, new_meta_file};

/// What to create: required inputs here, options as setters, then [`Self::create`].
#[derive(Debug)]
pub struct InitRequest {
    dir: PathBuf,
    keys_dir: PathBuf,
    password: Option<Password>,
    encryption: KeyEncryption,
    scheme: Scheme,
    expiry: ExpiryPolicy,
    thresholds: Thresholds,
}

/// A repository just created, and the keys generated for it.
#[derive(Debug)]
pub struct Initialized {
    pub repository: Repository,
    pub keys: Vec<GeneratedKey>,
    /// The generated keys, still in memory and in the order of `keys`, for a caller that
    /// records them in a custody log signed by each key.
    pub private_keys: Vec<PrivateKey>,
}

impl InitRequest {
    /// A repository in `dir` with its keys in `keys_dir`, encrypted with `password` (`None`:
    /// unencrypted, for throwaway repositories only).
    #[must_use]
    pub fn new(dir: &Path, keys_dir: &Path, password: Option<Password>) -> Self {
        Self {
            dir: dir.to_owned(),
            keys_dir: keys_dir.to_owned(),
            password,
            encryption: KeyEncryption::default(),
            scheme: Scheme::Ed25519,
            expiry: ExpiryPolicy::default(),
            thresholds: Thresholds::default(),
        }
    }

    /// The key type of every generated key (default Ed25519).
    #[must_use]
    pub fn scheme(mut self, scheme: Scheme) -> Self {
        self.scheme = scheme;
        self
    }

    #[must_use]
    pub fn expiry(mut self, expiry: ExpiryPolicy) -> Self {
        self.expiry = expiry;
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

    /// How many keys each role gets; all of them must sign (a threshold of n of n).
    #[must_use]
    pub fn thresholds(mut self, thresholds: Thresholds) -> Self {
        self.thresholds = thresholds;
        self
    }

    /// Generates the keys and writes version 1 of every role, consistent snapshots on.
    pub fn create(self, clock: &dyn Clock) -> Result<Initialized, RepoError> {
        let config_path = self.dir.join(CONFIG_FILE);
        if config_path.exists() || self.dir.join("metadata").exists() {
            return Err(RepoError::AlreadyExists { dir: self.dir });
        }
        let now = clock.now();
        let expires = |role: RoleType| {
            let seconds = i64::try_from(self.expiry.seconds(role)).unwrap_or(i64::MAX);
            Expires::from_unix(now.saturating_add_seconds(seconds))
        };
        let mut generated = Vec::new();
        let mut private: BTreeMap<RoleType, Vec<PrivateKey>> = BTreeMap::new();
        let mut keys = BTreeMap::new();
        let mut roles = BTreeMap::new();
        for role in ROLES {
            let mut keyids: Vec<KeyId> = Vec::new();
            for _ in 0..self.thresholds.0.get(role) {
                let (key, info) = generate_key(
                    &self.keys_dir,
                    role.as_str(),
                    self.scheme,
                    self.password.as_ref(),
                    self.encryption,
                )?;
                keys.insert(info.key_id.clone(), key.public_key().to_tuf_key());
                keyids.push(info.key_id.clone());
                private.entry(role).or_default().push(key);
                generated.push(info);
            }
            roles.insert(
                role.as_str().to_owned(),
                RoleKeys {
                    keyids,
                    threshold: self.thresholds.0.get(role),
                    extra: Map::new(),
                },
            );
        }
        let root = Root {
            role_type: "root".to_owned(),
            spec_version: SPEC_VERSION.to_owned(),
            consistent_snapshot: true,
            version: 1,
            expires: expires(RoleType::Root),
            keys,
            roles,
            extra: Map::new(),
        };
        let targets = Targets {
            role_type: "targets".to_owned(),
            spec_version: SPEC_VERSION.to_owned(),
            version: 1,
            expires: expires(RoleType::Targets),
            targets: BTreeMap::new(),
            delegations: None,
            extra: Map::new(),
        };
        let snapshot = Snapshot {
            role_type: "snapshot".to_owned(),
            spec_version: SPEC_VERSION.to_owned(),
            version: 1,
            expires: expires(RoleType::Snapshot),
            meta: BTreeMap::from([("targets.json".to_owned(), new_meta_file(1))]),
            extra: Map::new(),
        };
        let signers = |role: RoleType| -> Vec<&dyn Signer> {
            private
                .get(&role)
                .map(|keys| keys.iter().map(|key| key as &dyn Signer).collect())
                .unwrap_or_default()
        };
        let sign_error = |role: RoleType| move |source| RepoError::Signing { role, source };
        let metadata = self.dir.join("metadata");
        let write = |name: &str, bytes: &[u8]| {
            let path = metadata.join(name);
            files::write_atomic(&path, bytes).map_err(RepoError::io(&path))
        };
        write(
            "1.root.json",
            &sign_metadata(&root, &signers(RoleType::Root)).map_err(sign_error(RoleType::Root))?,
        )?;
        write(
            "targets.json",
            &sign_metadata(&targets, &signers(RoleType::Targets))
                .map_err(sign_error(RoleType::Targets))?,
        )?;
        let snapshot_bytes = sign_metadata(&snapshot, &signers(RoleType::Snapshot))
            .map_err(sign_error(RoleType::Snapshot))?;
        write("snapshot.json", &snapshot_bytes)?;
        let snapshot_metadata = sigil_tuf::metadata::Metadata::<Snapshot>::from_bytes(
            &snapshot_bytes,
        )
        .map_err(|source| RepoError::Metadata {
            path: metadata.join("snapshot.json"),
            source,
        })?;
        let timestamp = Timestamp {
            role_type: "timestamp".to_owned(),
            spec_version: SPEC_VERSION.to_owned(),
            version: 1,
            expires: expires(RoleType::Timestamp),
            meta: BTreeMap::from([(
                "snapshot.json".to_owned(),
                super::snapshot_meta_file(&snapshot_metadata),
            )]),
            extra: Map::new(),
        };
        write(
            "timestamp.json",
            &sign_metadata(&timestamp, &signers(RoleType::Timestamp))
                .map_err(sign_error(RoleType::Timestamp))?,
        )?;
        let targets_dir = self.dir.join("targets");
        fs::create_dir_all(&targets_dir).map_err(RepoError::io(&targets_dir))?;
        let config = serde_json::to_vec_pretty(&RepoConfig {
            expires: self.expiry,
        })
        .map_err(|source| RepoError::Config {
            path: config_path.clone(),
            source,
        })?;
        // The settings file goes last: a directory without it is not a repository yet.
        files::write_atomic(&config_path, &config).map_err(RepoError::io(&config_path))?;
        let private_keys = crate::repo::policy::ROLES
            .iter()
            .flat_map(|role| private.remove(role).unwrap_or_default())
            .collect();
        Ok(Initialized {
            repository: Repository::open(&self.dir)?,
            keys: generated,
            private_keys,
        })
    }
}
