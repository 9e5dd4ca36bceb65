//! The TUF repository editor: a working copy of a repository's metadata and targets, edited by
//! `repo` commands, signed role by role, and published as a static site.
//!
//! The working copy in `REPO` holds:
//! - `sigil-repo.json`: how long each role's metadata stays valid when it is re-signed;
//! - `metadata/N.root.json` for every root version, `targets.json`, `snapshot.json` and
//!   `timestamp.json`: signed, unpublished metadata;
//! - `targets/NAME`: a copy of each target file.
//!
//! Every piece of metadata is read with the TUF model of `sigil-updater`, the same code the
//! client trusts it with. Nothing here prints, prompts or exits.

pub mod delegate;
mod error;
mod files;
pub mod init;
pub mod keyring;
pub mod policy;
pub mod publish;
pub mod refresh;
pub mod rotate;
pub mod status;
pub mod targets;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sigil_keys::{KeyId, Signer};
use sigil_tuf::metadata::{
    Metadata, Role, RoleKeys, RoleType, Root, Snapshot, Targets, Timestamp, sign_metadata,
};
use sigil_tuf::{Expires, UnixTime};

pub use delegate::{MAX_HASH_BIN_BITS, check_role_name, delegated_names};
pub use error::RepoError;
use keyring::KeyRing;
use policy::ExpiryPolicy;

/// The repository's settings file in `REPO`.
pub const CONFIG_FILE: &str = "sigil-repo.json";

/// The settings kept in [`CONFIG_FILE`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepoConfig {
    /// Validity period of each role's metadata, in seconds.
    pub expires: ExpiryPolicy,
}

/// A repository working copy, opened.
#[derive(Debug)]
pub struct Repository {
    dir: PathBuf,
    config: RepoConfig,
    /// Every root version, oldest first; the last is the current one.
    roots: Vec<Metadata<Root>>,
    targets: Metadata<Targets>,
    /// Delegated targets roles, by name (one level of delegation, from top-level targets).
    delegated: BTreeMap<String, Metadata<Targets>>,
    snapshot: Metadata<Snapshot>,
    timestamp: Metadata<Timestamp>,
}

/// The file name of a top-level role's working metadata (root: the current version's file).
fn role_file(role: RoleType) -> String {
    format!("{role}.json")
}

fn read_metadata<T: Role>(path: &Path) -> Result<Metadata<T>, RepoError> {
    let bytes = fs::read(path).map_err(RepoError::io(path))?;
    Metadata::from_bytes(&bytes).map_err(|source| RepoError::Metadata {
        path: path.to_owned(),
        source,
    })
}

impl Repository {
    /// Opens the working copy in `dir`.
    pub fn open(dir: &Path) -> Result<Self, RepoError> {
        let config_path = dir.join(CONFIG_FILE);
        let config_bytes = match fs::read(&config_path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(RepoError::NotARepository {
                    dir: dir.to_owned(),
                });
            }
            Err(source) => {
                return Err(RepoError::Io {
                    path: config_path,
                    source,
                });
            }
        };
        let config: RepoConfig =
            serde_json::from_slice(&config_bytes).map_err(|source| RepoError::Config {
                path: config_path,
                source,
            })?;
        let metadata = dir.join("metadata");
        let roots = read_roots(&metadata)?;
        let targets: Metadata<Targets> =
            read_metadata(&metadata.join(role_file(RoleType::Targets)))?;
        let mut delegated = BTreeMap::new();
        for name in delegated_names(targets.signed())? {
            let role = read_metadata(&metadata.join(format!("{name}.json")))?;
            delegated.insert(name, role);
        }
        Ok(Self {
            dir: dir.to_owned(),
            config,
            roots,
            targets,
            delegated,
            snapshot: read_metadata(&metadata.join(role_file(RoleType::Snapshot)))?,
            timestamp: read_metadata(&metadata.join(role_file(RoleType::Timestamp)))?,
        })
    }

    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    #[must_use]
    pub fn config(&self) -> &RepoConfig {
        &self.config
    }

    /// The current root.
    #[must_use]
    pub fn root(&self) -> &Metadata<Root> {
        // `read_roots` and `init` never leave the list empty.
        &self.roots[self.roots.len() - 1]
    }

    /// Version 1 of root: the trust anchor that apps ship.
    #[must_use]
    pub fn first_root(&self) -> &Metadata<Root> {
        // `read_roots` and `init` never leave the list empty.
        &self.roots[0]
    }

    /// Every root version, oldest first.
    #[must_use]
    pub fn roots(&self) -> &[Metadata<Root>] {
        &self.roots
    }

    #[must_use]
    pub fn targets(&self) -> &Metadata<Targets> {
        &self.targets
    }

    /// The delegated targets roles, by name.
    #[must_use]
    pub fn delegated(&self) -> &BTreeMap<String, Metadata<Targets>> {
        &self.delegated
    }

    /// The targets role that `name` belongs in: the first delegated role of top-level targets
    /// trusted for the path (TUF 5.6.7.2), or `targets` itself.
    #[must_use]
    pub fn role_for_target(&self, name: &str) -> String {
        self.targets
            .signed()
            .delegations
            .as_ref()
            .and_then(|delegations| delegations.roles_for_target(name).into_iter().next())
            .map_or_else(|| "targets".to_owned(), |role| role.name)
    }

    /// The targets metadata of `role` (`targets` or a delegated role).
    #[must_use]
    pub fn targets_role(&self, role: &str) -> Option<&Metadata<Targets>> {
        if role == "targets" {
            Some(&self.targets)
        } else {
            self.delegated.get(role)
        }
    }

    /// Writes a delegated role's metadata signed with the ring's keys for it.
    pub(crate) fn store_delegated(
        &mut self,
        name: &str,
        signed: &Targets,
        keyring: &KeyRing,
    ) -> Result<(), RepoError> {
        let keyids = self
            .targets
            .signed()
            .delegations
            .as_ref()
            .and_then(|delegations| delegations.keys_for_role(name))
            .map(|keys| keys.keyids.to_vec())
            .unwrap_or_default();
        let signers = keyring.signers_for(&keyids)?;
        let refs: Vec<&dyn Signer> = signers.iter().map(|s| s as &dyn Signer).collect();
        let bytes = sign_metadata(signed, &refs).map_err(|source| RepoError::Signing {
            role: RoleType::Targets,
            source,
        })?;
        let path = self.metadata_dir().join(format!("{name}.json"));
        let metadata =
            Metadata::<Targets>::from_bytes(&bytes).map_err(|source| RepoError::Metadata {
                path: path.clone(),
                source,
            })?;
        files::write_atomic(&path, &bytes).map_err(RepoError::io(&path))?;
        self.delegated.insert(name.to_owned(), metadata);
        Ok(())
    }

    #[must_use]
    pub fn snapshot(&self) -> &Metadata<Snapshot> {
        &self.snapshot
    }

    #[must_use]
    pub fn timestamp(&self) -> &Metadata<Timestamp> {
        &self.timestamp
    }

    /// The working copy of the target `name`.
    #[must_use]
    pub fn target_file(&self, name: &str) -> PathBuf {
        self.dir.join("targets").join(name)
    }

    fn metadata_dir(&self) -> PathBuf {
        self.dir.join("metadata")
    }

    /// The keys and threshold the current root gives `role`.
    #[must_use]
    pub fn role_keys(&self, role: RoleType) -> Option<&RoleKeys> {
        self.root().signed().role(role)
    }

    /// The bytes of `role`'s working metadata.
    #[must_use]
    pub fn role_bytes(&self, role: RoleType) -> &[u8] {
        match role {
            RoleType::Root => self.root().bytes(),
            RoleType::Targets => self.targets.bytes(),
            RoleType::Snapshot => self.snapshot.bytes(),
            RoleType::Timestamp => self.timestamp.bytes(),
        }
    }

    /// A new expiry for `role`, counted from `now`.
    #[must_use]
    pub fn expiry_from(&self, role: RoleType, now: UnixTime) -> Expires {
        let seconds = i64::try_from(self.config.expires.seconds(role)).unwrap_or(i64::MAX);
        Expires::from_unix(now.saturating_add_seconds(seconds))
    }

    /// Signs `signed` with every key of `keyring` that `role` lists.
    fn sign_with_ring<T: Role>(
        &self,
        role: RoleType,
        signed: &T,
        keyring: &KeyRing,
    ) -> Result<Vec<u8>, RepoError> {
        let keyids = self
            .role_keys(role)
            .map(|keys| keys.keyids.clone())
            .unwrap_or_default();
        let signers = keyring.signers_for(&keyids)?;
        let refs: Vec<&dyn Signer> = signers.iter().map(|s| s as &dyn Signer).collect();
        sign_metadata(signed, &refs).map_err(|source| RepoError::Signing { role, source })
    }

    /// Writes new targets metadata signed with the ring's targets keys.
    pub(crate) fn store_targets(
        &mut self,
        signed: &Targets,
        keyring: &KeyRing,
    ) -> Result<(), RepoError> {
        let bytes = self.sign_with_ring(RoleType::Targets, signed, keyring)?;
        self.targets = self.write_role(RoleType::Targets, &bytes)?;
        Ok(())
    }

    /// Re-signs snapshot for the current targets version, with a new version and expiry.
    pub(crate) fn resign_snapshot(
        &mut self,
        now: UnixTime,
        keyring: &KeyRing,
    ) -> Result<(), RepoError> {
        let mut signed = self.snapshot.signed().clone();
        signed.version = signed.version.saturating_add(1);
        signed.expires = self.expiry_from(RoleType::Snapshot, now);
        let entry = signed
            .meta
            .entry("targets.json".to_owned())
            .or_insert_with(|| new_meta_file(1));
        entry.version = self.targets.signed().version;
        entry.length = None;
        entry.hashes = None;
        for (name, role) in &self.delegated {
            signed
                .meta
                .insert(format!("{name}.json"), new_meta_file(role.signed().version));
        }
        let bytes = self.sign_with_ring(RoleType::Snapshot, &signed, keyring)?;
        self.snapshot = self.write_role(RoleType::Snapshot, &bytes)?;
        Ok(())
    }

    /// Re-signs timestamp for the current snapshot bytes, with a new version and expiry.
    pub(crate) fn resign_timestamp(
        &mut self,
        now: UnixTime,
        keyring: &KeyRing,
    ) -> Result<(), RepoError> {
        let mut signed = self.timestamp.signed().clone();
        signed.version = signed.version.saturating_add(1);
        signed.expires = self.expiry_from(RoleType::Timestamp, now);
        signed.meta.insert(
            "snapshot.json".to_owned(),
            snapshot_meta_file(&self.snapshot),
        );
        let bytes = self.sign_with_ring(RoleType::Timestamp, &signed, keyring)?;
        self.timestamp = self.write_role(RoleType::Timestamp, &bytes)?;
        Ok(())
    }

    /// Adds `signer`'s signature to `role`'s working metadata, keeping the others. For root, a
    /// key of the previous root's root role also signs (a rotation needs both thresholds).
    pub fn add_signature(&mut self, role: RoleType, signer: &dyn Signer) -> Result<(), RepoError> {
        let keyid = signer.key_id();
        let mut allowed: Vec<KeyId> = self
            .role_keys(role)
            .map(|keys| keys.keyids.clone())
            .unwrap_or_default();
        if role == RoleType::Root && self.roots.len() > 1 {
            let previous = &self.roots[self.roots.len() - 2];
            if let Some(keys) = previous.signed().role(RoleType::Root) {
                allowed.extend(keys.keyids.iter().cloned());
            }
        }
        if !allowed.contains(&keyid) {
            let expected: Vec<&str> = allowed.iter().map(KeyId::as_str).collect();
            return Err(RepoError::NotARoleKey {
                role,
                keyid,
                expected: expected.join(", "),
            });
        }
        let envelope = match role {
            RoleType::Root => self.root().envelope(),
            RoleType::Targets => self.targets.envelope(),
            RoleType::Snapshot => self.snapshot.envelope(),
            RoleType::Timestamp => self.timestamp.envelope(),
        };
        let bytes = envelope
            .add_signature(signer)
            .map_err(|source| RepoError::Signing { role, source })?;
        match role {
            RoleType::Root => {
                let root = self.write_role(RoleType::Root, &bytes)?;
                let last = self.roots.len() - 1;
                self.roots[last] = root;
            }
            RoleType::Targets => self.targets = self.write_role(role, &bytes)?,
            RoleType::Snapshot => self.snapshot = self.write_role(role, &bytes)?,
            RoleType::Timestamp => self.timestamp = self.write_role(role, &bytes)?,
        }
        Ok(())
    }

    /// Adds a new root version, which must follow the current one.
    pub(crate) fn push_root(&mut self, bytes: &[u8]) -> Result<(), RepoError> {
        let root: Metadata<Root> = self.write_role(RoleType::Root, bytes)?;
        self.roots.push(root);
        Ok(())
    }

    /// Adds `signer`'s signature to the delegated role `name`, keeping the others. The key must
    /// be one that the delegation lists for the role.
    pub fn add_delegated_signature(
        &mut self,
        name: &str,
        signer: &dyn Signer,
    ) -> Result<(), RepoError> {
        let Some(role) = self.delegated.get(name) else {
            return Err(RepoError::UnknownRole {
                found: name.to_owned(),
            });
        };
        let allowed: Vec<KeyId> = self
            .targets
            .signed()
            .delegations
            .as_ref()
            .and_then(|delegations| delegations.keys_for_role(name))
            .map(|keys| keys.keyids.to_vec())
            .unwrap_or_default();
        let keyid = signer.key_id();
        if !allowed.contains(&keyid) {
            let expected: Vec<&str> = allowed.iter().map(KeyId::as_str).collect();
            return Err(RepoError::NotADelegatedKey {
                name: name.to_owned(),
                keyid,
                expected: expected.join(", "),
            });
        }
        let bytes = role
            .envelope()
            .add_signature(signer)
            .map_err(|source| RepoError::Signing {
                role: RoleType::Targets,
                source,
            })?;
        let path = self.metadata_dir().join(format!("{name}.json"));
        let metadata =
            Metadata::<Targets>::from_bytes(&bytes).map_err(|source| RepoError::Metadata {
                path: path.clone(),
                source,
            })?;
        files::write_atomic(&path, &bytes).map_err(RepoError::io(&path))?;
        self.delegated.insert(name.to_owned(), metadata);
        Ok(())
    }

    /// Parses `bytes` as `role`'s metadata and writes it to the working copy.
    fn write_role<T: Role>(&self, role: RoleType, bytes: &[u8]) -> Result<Metadata<T>, RepoError> {
        let path = match role {
            RoleType::Root => {
                let version = Metadata::<Root>::from_bytes(bytes)
                    .map_err(|source| RepoError::Metadata {
                        path: self.metadata_dir().join("root.json"),
                        source,
                    })?
                    .signed()
                    .version;
                self.metadata_dir().join(format!("{version}.root.json"))
            }
            _ => self.metadata_dir().join(role_file(role)),
        };
        let metadata = Metadata::<T>::from_bytes(bytes).map_err(|source| RepoError::Metadata {
            path: path.clone(),
            source,
        })?;
        files::write_atomic(&path, bytes).map_err(RepoError::io(&path))?;
        Ok(metadata)
    }
}

pub(crate) fn new_meta_file(version: u64) -> sigil_tuf::metadata::MetaFile {
    sigil_tuf::metadata::MetaFile {
        version,
        length: None,
        hashes: None,
        extra: serde_json::Map::new(),
    }
}

/// What timestamp says of `snapshot`: its version, length and SHA-256.
pub(crate) fn snapshot_meta_file(snapshot: &Metadata<Snapshot>) -> sigil_tuf::metadata::MetaFile {
    let bytes = snapshot.bytes();
    let mut hashes = sigil_tuf::metadata::Hashes::new();
    hashes.insert("sha256".to_owned(), sha256_hex(bytes));
    sigil_tuf::metadata::MetaFile {
        version: snapshot.signed().version,
        length: Some(u64::try_from(bytes.len()).unwrap_or(u64::MAX)),
        hashes: Some(hashes),
        extra: serde_json::Map::new(),
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

/// Reads `N.root.json` for N = 1, 2, ... and requires the versions to run without a gap.
fn read_roots(metadata: &Path) -> Result<Vec<Metadata<Root>>, RepoError> {
    let entries = fs::read_dir(metadata).map_err(RepoError::io(metadata))?;
    let mut versions: Vec<u64> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name();
            let name = name.to_str()?;
            name.strip_suffix(".root.json")?.parse::<u64>().ok()
        })
        .collect();
    versions.sort_unstable();
    let mut roots = Vec::with_capacity(versions.len());
    for (index, version) in versions.iter().enumerate() {
        let expected = u64::try_from(index).unwrap_or(u64::MAX).saturating_add(1);
        if *version != expected {
            return Err(RepoError::RootChain {
                dir: metadata.to_owned(),
                expected,
                found: format!("{version}.root.json"),
            });
        }
        let path = metadata.join(format!("{version}.root.json"));
        let root: Metadata<Root> = read_metadata(&path)?;
        if root.signed().version != *version {
            return Err(RepoError::RootChain {
                dir: metadata.to_owned(),
                expected: *version,
                found: format!("version {} in {}", root.signed().version, path.display()),
            });
        }
        roots.push(root);
    }
    if roots.is_empty() {
        return Err(RepoError::RootChain {
            dir: metadata.to_owned(),
            expected: 1,
            found: "no root metadata".to_owned(),
        });
    }
    Ok(roots)
}
