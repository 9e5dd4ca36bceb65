//! `repo add` and `repo remove`: target files with their lengths, hashes and release metadata.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use sigil_keys::LocalSigner;
use sigil_updater::release::Release;
use sigil_updater::tuf::metadata::{Hashes, TargetFile};
use sigil_updater::tuf::{Clock, TargetPath};

use super::keyring::KeyRing;
use super::{RepoError, Repository, files};
use crate::sign::{Comments, sign_file};

/// The release a batch of artifacts belongs to, written into each target's `custom.sigil`.
#[derive(Debug, Clone)]
pub struct ReleaseInfo {
    version: String,
    channel: String,
    platform: String,
    arch: String,
    rollout_percent: u32,
    minimum_version: Option<String>,
}

impl ReleaseInfo {
    /// The minisign trusted comment that binds a signature to this release, in minisign's
    /// tab-separated `key:value` style: `file`, `version`, `channel`, `platform`, `arch`, and
    /// `hashed` (the signature covers the file's BLAKE2b-512 hash). The updater refuses a
    /// release whose signature names another version, platform or arch.
    #[must_use]
    pub fn trusted_comment(&self, target: &str) -> String {
        let file = target.rsplit('/').next().unwrap_or(target);
        format!(
            "file:{file}\tversion:{}\tchannel:{}\tplatform:{}\tarch:{}\thashed",
            self.version, self.channel, self.platform, self.arch
        )
    }

    #[must_use]
    pub fn new(version: &str, channel: &str, platform: &str, arch: &str) -> Self {
        Self {
            version: version.to_owned(),
            channel: channel.to_owned(),
            platform: platform.to_owned(),
            arch: arch.to_owned(),
            rollout_percent: 100,
            minimum_version: None,
        }
    }

    /// The share of installations, 0 to 100, that may take the release (default 100).
    #[must_use]
    pub fn rollout_percent(mut self, percent: u32) -> Self {
        self.rollout_percent = percent;
        self
    }

    #[must_use]
    pub fn minimum_version(mut self, version: &str) -> Self {
        self.minimum_version = Some(version.to_owned());
        self
    }

    fn custom(&self, signature: Option<String>) -> Value {
        let mut sigil = Map::new();
        sigil.insert("version".into(), json!(self.version));
        sigil.insert("channel".into(), json!(self.channel));
        sigil.insert("platform".into(), json!(self.platform));
        sigil.insert("arch".into(), json!(self.arch));
        sigil.insert(
            "rollout".into(),
            json!({"percent": self.rollout_percent, "halted": false}),
        );
        if let Some(minimum) = &self.minimum_version {
            sigil.insert("minimum_version".into(), json!(minimum));
        }
        if let Some(signature) = signature {
            sigil.insert("signature".into(), json!(signature));
        }
        json!({ "sigil": sigil })
    }
}

/// Artifacts to add as targets of one release.
#[derive(Debug)]
pub struct AddRequest<'a> {
    files: Vec<PathBuf>,
    release: ReleaseInfo,
    prefix: Option<String>,
    release_key: Option<&'a LocalSigner>,
}

/// A target that was added.
#[derive(Debug, Clone)]
pub struct AddedTarget {
    pub name: String,
    pub length: u64,
    pub sha256: String,
}

impl<'a> AddRequest<'a> {
    #[must_use]
    pub fn new(files: Vec<PathBuf>, release: ReleaseInfo) -> Self {
        Self {
            files,
            release,
            prefix: None,
            release_key: None,
        }
    }

    /// A directory prefix for the target names (`1.2.0/linux`): names are `PREFIX/FILE_NAME`.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = Some(prefix.trim_end_matches('/').to_owned());
        self
    }

    /// Sign each artifact with this minisign release key (writing `FILE.minisig` beside it) and
    /// embed the signature in the target's release metadata.
    #[must_use]
    pub fn release_key(mut self, key: &'a LocalSigner) -> Self {
        self.release_key = Some(key);
        self
    }

    /// Adds the targets, then re-signs targets, snapshot and timestamp with the ring's keys.
    /// Nothing is written unless every file is acceptable.
    pub fn apply(
        self,
        repository: &mut Repository,
        keyring: &KeyRing,
        clock: &dyn Clock,
    ) -> Result<Vec<AddedTarget>, RepoError> {
        let mut signed = repository.targets().signed().clone();
        let mut planned = Vec::new();
        for file in &self.files {
            let file_name = file
                .file_name()
                .and_then(|name| name.to_str())
                .ok_or_else(|| RepoError::TargetSource {
                    name: file.display().to_string(),
                    reason: "the file name is not UTF-8 text",
                })?;
            let name = match &self.prefix {
                Some(prefix) if !prefix.is_empty() => format!("{prefix}/{file_name}"),
                _ => file_name.to_owned(),
            };
            let name = TargetPath::parse(&name)?;
            if signed.targets.contains_key(name.as_str())
                || planned.iter().any(|(n, _): &(TargetPath, _)| n == &name)
            {
                return Err(RepoError::TargetExists {
                    name: name.as_str().to_owned(),
                });
            }
            // A dry run of the release metadata, so that a bad version or channel is refused
            // before anything is signed or written.
            Release::from_custom(name.as_str(), &self.release.custom(None))?;
            planned.push((name, file));
        }
        let mut added = Vec::new();
        for (name, file) in planned {
            let (length, hashes) = hash_file(file)?;
            let signature = match self.release_key {
                Some(key) => {
                    // The signed comment names the release, so that a genuine artifact of one
                    // release cannot be listed as another.
                    let comments = Comments {
                        trusted: Some(self.release.trusted_comment(name.as_str())),
                        untrusted: None,
                    };
                    Some(sign_file(key, file, &comments)?.signature.encode())
                }
                None => None,
            };
            let destination = repository.target_file(name.as_str());
            files::copy_atomic(file, &destination).map_err(RepoError::io(&destination))?;
            let sha256 = hashes.get("sha256").cloned().unwrap_or_default();
            signed.targets.insert(
                name.as_str().to_owned(),
                TargetFile {
                    length,
                    hashes,
                    custom: Some(self.release.custom(signature)),
                    extra: Map::new(),
                },
            );
            added.push(AddedTarget {
                name: name.as_str().to_owned(),
                length,
                sha256,
            });
        }
        commit_targets(repository, signed, keyring, clock)?;
        Ok(added)
    }
}

/// Removes targets by name, then re-signs targets, snapshot and timestamp.
pub fn remove_targets(
    repository: &mut Repository,
    names: &[String],
    keyring: &KeyRing,
    clock: &dyn Clock,
) -> Result<(), RepoError> {
    let mut signed = repository.targets().signed().clone();
    for name in names {
        if signed.targets.remove(name).is_none() {
            return Err(RepoError::UnknownTarget { name: name.clone() });
        }
    }
    commit_targets(repository, signed, keyring, clock)?;
    for name in names {
        // The working copy of the file is no longer needed; a missing one is fine.
        let _ = std::fs::remove_file(repository.target_file(name));
    }
    Ok(())
}

fn commit_targets(
    repository: &mut Repository,
    mut signed: sigil_updater::tuf::metadata::Targets,
    keyring: &KeyRing,
    clock: &dyn Clock,
) -> Result<(), RepoError> {
    let now = clock.now();
    signed.version = signed.version.saturating_add(1);
    signed.expires = repository.expiry_from(sigil_updater::tuf::metadata::RoleType::Targets, now);
    repository.store_targets(&signed, keyring)?;
    repository.resign_snapshot(now, keyring)?;
    repository.resign_timestamp(now, keyring)
}

/// The length, SHA-256 and SHA-512 of a file, in one pass.
pub(crate) fn hash_file(path: &Path) -> Result<(u64, Hashes), RepoError> {
    let file = File::open(path).map_err(RepoError::io(path))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut sha256 = ring::digest::Context::new(&ring::digest::SHA256);
    let mut sha512 = ring::digest::Context::new(&ring::digest::SHA512);
    let mut buffer = vec![0u8; 1 << 16];
    let mut length: u64 = 0;
    loop {
        let read = reader.read(&mut buffer).map_err(RepoError::io(path))?;
        if read == 0 {
            break;
        }
        sha256.update(&buffer[..read]);
        sha512.update(&buffer[..read]);
        length = length.saturating_add(read as u64);
    }
    let mut hashes = Hashes::new();
    hashes.insert("sha256".into(), hex::encode(sha256.finish()));
    hashes.insert("sha512".into(), hex::encode(sha512.finish()));
    Ok((length, hashes))
}
