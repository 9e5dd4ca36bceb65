//! `repo add` and `repo remove`: target files with their lengths, hashes and release metadata.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use sigil_keys::LocalSigner;
use sigil_tuf::metadata::{Hashes, RoleType, TargetFile, Targets};
use sigil_tuf::release::Release;
use sigil_tuf::{Clock, TargetPath};

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
    /// Target names (before the prefix) of `files`, when not their file names.
    names: Vec<String>,
    /// `None`: plain targets, with no release metadata (files the app reads, not releases).
    release: Option<ReleaseInfo>,
    prefix: Option<String>,
    release_key: Option<&'a LocalSigner>,
}

/// A target that was added.
#[derive(Debug, Clone)]
pub struct AddedTarget {
    pub name: String,
    /// The targets role that lists it.
    pub role: String,
    pub length: u64,
    pub sha256: String,
}

impl<'a> AddRequest<'a> {
    #[must_use]
    pub fn new(files: Vec<PathBuf>, release: ReleaseInfo) -> Self {
        Self {
            files,
            names: Vec::new(),
            release: Some(release),
            prefix: None,
            release_key: None,
        }
    }

    /// Plain targets: files listed with their length and hashes, but no release metadata, so
    /// the updater never offers them as releases.
    #[must_use]
    pub fn plain(files: Vec<PathBuf>) -> Self {
        Self {
            files,
            names: Vec::new(),
            release: None,
            prefix: None,
            release_key: None,
        }
    }

    /// Every regular file under `dir`, named by its path relative to `dir` (with `/`), in
    /// sorted order. Symbolic links are refused: they could bring in files from elsewhere.
    pub fn from_dir(dir: &Path, release: Option<ReleaseInfo>) -> Result<Self, RepoError> {
        let mut found = Vec::new();
        walk(dir, dir, &mut found)?;
        found.sort();
        let (names, files) = found.into_iter().unzip();
        Ok(Self {
            files,
            names,
            release,
            prefix: None,
            release_key: None,
        })
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

    /// Adds the targets to the role each belongs in (a delegated role trusted for its path, or
    /// top-level targets), then re-signs the roles that changed, snapshot and timestamp with the
    /// ring's keys. Nothing is written unless every file is acceptable.
    pub fn apply(
        self,
        repository: &mut Repository,
        keyring: &KeyRing,
        clock: &dyn Clock,
    ) -> Result<Vec<AddedTarget>, RepoError> {
        let mut edits = Edits::default();
        let mut planned: Vec<(TargetPath, &PathBuf)> = Vec::new();
        for (index, file) in self.files.iter().enumerate() {
            let name = match self.names.get(index) {
                Some(name) => name.clone(),
                None => file
                    .file_name()
                    .and_then(|name| name.to_str())
                    .ok_or_else(|| RepoError::TargetSource {
                        name: file.display().to_string(),
                        reason: "the file name is not UTF-8 text",
                    })?
                    .to_owned(),
            };
            let name = match &self.prefix {
                Some(prefix) if !prefix.is_empty() => format!("{prefix}/{name}"),
                _ => name,
            };
            let name = TargetPath::parse(&name)?;
            let exists = repository
                .targets_role(&repository.role_for_target(name.as_str()))
                .is_some_and(|role| role.signed().targets.contains_key(name.as_str()))
                || repository
                    .targets()
                    .signed()
                    .targets
                    .contains_key(name.as_str());
            if exists || planned.iter().any(|(n, _)| n == &name) {
                return Err(RepoError::TargetExists {
                    name: name.as_str().to_owned(),
                });
            }
            // A dry run of the release metadata, so that a bad version or channel is refused
            // before anything is signed or written.
            if let Some(release) = &self.release {
                Release::from_custom(name.as_str(), &release.custom(None))?;
            } else if self.release_key.is_some() {
                return Err(RepoError::TargetSource {
                    name: name.as_str().to_owned(),
                    reason: "a release signature needs a release: give its version",
                });
            }
            planned.push((name, file));
        }
        let mut added = Vec::new();
        let mut copied = Vec::new();
        let result =
            self.copy_and_describe(repository, planned, &mut edits, &mut added, &mut copied);
        let result = result.and_then(|()| edits.commit(repository, keyring, clock));
        if let Err(error) = result {
            // Copies that no stored metadata names yet are removed: a failed add leaves no
            // trace. If a role was already stored before the failure, its files stay.
            let listed = repository.target_names();
            for (target, path) in added.iter().zip(copied) {
                if !listed.contains(&target.name) {
                    let _ = std::fs::remove_file(path);
                }
            }
            return Err(error);
        }
        Ok(added)
    }

    fn copy_and_describe(
        &self,
        repository: &Repository,
        planned: Vec<(TargetPath, &PathBuf)>,
        edits: &mut Edits,
        added: &mut Vec<AddedTarget>,
        copied: &mut Vec<PathBuf>,
    ) -> Result<(), RepoError> {
        for (name, file) in planned {
            let (length, hashes) = hash_file(file)?;
            let signature = match self.release_key.zip(self.release.as_ref()) {
                Some((key, release)) => {
                    // The signed comment names the release, so that a genuine artifact of one
                    // release cannot be listed as another.
                    let comments = Comments {
                        trusted: Some(release.trusted_comment(name.as_str())),
                        untrusted: None,
                    };
                    Some(sign_file(key, file, &comments)?.signature.encode())
                }
                None => None,
            };
            let destination = repository.target_file(name.as_str());
            files::copy_atomic(file, &destination).map_err(RepoError::io(&destination))?;
            copied.push(destination);
            let sha256 = hashes.get("sha256").cloned().unwrap_or_default();
            let role = repository.role_for_target(name.as_str());
            edits.role(repository, &role).targets.insert(
                name.as_str().to_owned(),
                TargetFile {
                    length,
                    hashes,
                    custom: self
                        .release
                        .as_ref()
                        .map(|release| release.custom(signature)),
                    extra: Map::new(),
                },
            );
            added.push(AddedTarget {
                name: name.as_str().to_owned(),
                role,
                length,
                sha256,
            });
        }
        Ok(())
    }
}

/// Targets roles being edited, by name, committed together.
#[derive(Debug, Default)]
struct Edits {
    roles: BTreeMap<String, Targets>,
}

impl Edits {
    fn role(&mut self, repository: &Repository, name: &str) -> &mut Targets {
        self.roles.entry(name.to_owned()).or_insert_with(|| {
            repository.targets_role(name).map_or_else(
                || repository.targets().signed().clone(),
                |role| role.signed().clone(),
            )
        })
    }

    /// Bumps the version and expiry of each edited role and signs it, then re-signs snapshot
    /// and timestamp.
    fn commit(
        self,
        repository: &mut Repository,
        keyring: &KeyRing,
        clock: &dyn Clock,
    ) -> Result<(), RepoError> {
        let now = clock.now();
        for (name, mut signed) in self.roles {
            signed.version = signed.version.saturating_add(1);
            signed.expires = repository.expiry_from(RoleType::Targets, now);
            if name == "targets" {
                repository.store_targets(&signed, keyring)?;
            } else {
                repository.store_delegated(&name, &signed, keyring)?;
            }
        }
        repository.resign_snapshot(now, keyring)?;
        repository.resign_timestamp(now, keyring)
    }
}

/// Removes targets by name from the roles that list them, then re-signs those roles, snapshot
/// and timestamp.
pub fn remove_targets(
    repository: &mut Repository,
    names: &[String],
    keyring: &KeyRing,
    clock: &dyn Clock,
) -> Result<(), RepoError> {
    let mut edits = Edits::default();
    for name in names {
        let mut roles = vec!["targets".to_owned()];
        roles.extend(repository.delegated().keys().cloned());
        let role = roles.into_iter().find(|role| {
            repository
                .targets_role(role)
                .is_some_and(|metadata| metadata.signed().targets.contains_key(name))
        });
        let removed =
            role.is_some_and(|role| edits.role(repository, &role).targets.remove(name).is_some());
        if !removed {
            return Err(RepoError::UnknownTarget { name: name.clone() });
        }
    }
    edits.commit(repository, keyring, clock)?;
    for name in names {
        // The working copy of the file is no longer needed; a missing one is fine.
        let _ = std::fs::remove_file(repository.target_file(name));
    }
    Ok(())
}

fn walk(root: &Path, dir: &Path, found: &mut Vec<(String, PathBuf)>) -> Result<(), RepoError> {
    for entry in std::fs::read_dir(dir).map_err(RepoError::io(dir))? {
        let entry = entry.map_err(RepoError::io(dir))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(RepoError::io(&path))?;
        let relative = path
            .strip_prefix(root)
            .ok()
            .and_then(|relative| {
                relative
                    .components()
                    .map(|part| part.as_os_str().to_str())
                    .collect::<Option<Vec<&str>>>()
            })
            .map(|parts| parts.join("/"))
            .ok_or_else(|| RepoError::TargetSource {
                name: path.display().to_string(),
                reason: "the path is not UTF-8 text",
            })?;
        if kind.is_symlink() {
            return Err(RepoError::TargetSource {
                name: relative,
                reason: "a symbolic link (add the file it points to instead)",
            });
        } else if kind.is_dir() {
            walk(root, &path, found)?;
        } else if kind.is_file() {
            found.push((relative, path));
        }
    }
    Ok(())
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
