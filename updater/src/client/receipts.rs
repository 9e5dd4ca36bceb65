//! Receipts: each update step recorded in the app's custody log, signed by the app's own key.
//!
//! The log lets a security team trace an installed artifact back to its signature, its
//! publication and the audit of its build. Each receipt's subject is the artifact (its name and
//! SHA-256); the artifacts of installed versions are remembered in `artifacts.json` beside the
//! log, so that a later confirmation or rollback names the same subject.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use semver::Version;
use sigil_custody::predicate::{
    Release as ReleaseFacts, RoleVersions, UpdateConfirmed, UpdateDownloaded, UpdateInstalled,
    UpdateRolledBack,
};
use sigil_custody::{Clock, EntryDraft, Log, LogOptions, Predicate, Sha256Digest, Subject};
use sigil_keys::Signer;
use sigil_keys::minisign::MinisignPublicKey;

use super::ClientError;
use crate::release::Release;
use crate::tuf::Updater;

/// The app's custody log and the key that signs its receipts.
pub struct Receipts {
    log: Log,
    signer: Box<dyn Signer>,
    clock: Box<dyn Clock + Send + Sync>,
    index_path: PathBuf,
    artifacts: BTreeMap<String, (String, String)>,
}

impl std::fmt::Debug for Receipts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receipts")
            .field("log", &self.log.dir())
            .field("key", &self.signer.key_id())
            .finish_non_exhaustive()
    }
}

impl Receipts {
    /// Opens (or creates) the log in `dir`; `signer` signs every receipt.
    pub fn open(
        dir: &Path,
        signer: Box<dyn Signer>,
        clock: Box<dyn Clock + Send + Sync>,
    ) -> Result<Self, ClientError> {
        let log = Log::open_or_create(dir, LogOptions::new())?;
        let index_path = dir.join("artifacts.json");
        let artifacts = match std::fs::read(&index_path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| ClientError::ReceiptIndex {
                path: index_path.clone(),
                reason: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(source) => {
                return Err(ClientError::Io {
                    path: index_path,
                    source,
                });
            }
        };
        Ok(Self {
            log,
            signer,
            clock,
            index_path,
            artifacts,
        })
    }

    /// The log the receipts go to.
    #[must_use]
    pub fn log(&self) -> &Log {
        &self.log
    }

    fn append(&mut self, subject: Subject, predicate: Predicate) -> Result<(), ClientError> {
        self.log.append(
            &EntryDraft::new(vec![subject], predicate),
            self.signer.as_ref(),
            self.clock.as_ref(),
        )?;
        // A checkpoint after every receipt, so that cutting the newest receipts off is noticed.
        // Checkpoints are signed notes, which take Ed25519 keys only.
        if self.signer.public_key().scheme() == sigil_keys::Scheme::Ed25519 {
            self.log
                .sign_checkpoint(sigil_custody::DEFAULT_ORIGIN, self.signer.as_ref())?;
        }
        Ok(())
    }

    fn subject_for(&self, version: &Version) -> Subject {
        match self.artifacts.get(&version.to_string()) {
            Some((name, sha256)) => Subject::new(
                name.clone(),
                Sha256Digest::from_hex(sha256).unwrap_or(Sha256Digest([0; 32])),
            ),
            // A version installed before receipts were kept: named, with an all-zero digest.
            None => Subject::new(format!("version:{version}"), Sha256Digest([0; 32])),
        }
    }

    pub(super) fn downloaded(
        &mut self,
        updater: &Updater,
        release: &Release,
        path: &Path,
        url: &str,
        release_key: &MinisignPublicKey,
    ) -> Result<(), ClientError> {
        let (digest, length) = sha256_of(path)?;
        let trusted = updater.trusted();
        let role_versions = RoleVersions {
            root: trusted.root().signed().version,
            targets: trusted.targets("targets").map_or(0, |t| t.signed().version),
            snapshot: trusted.snapshot().map_or(0, |s| s.signed().version),
            timestamp: trusted.timestamp().map_or(0, |t| t.signed().version),
        };
        let predicate = Predicate::UpdateDownloaded(UpdateDownloaded {
            url: url.to_owned(),
            length,
            release: facts(release),
            trusted_role_versions: role_versions,
            signature_key_id: release_key.public_key().key_id(),
        });
        self.append(Subject::new(release.target.clone(), digest), predicate)
    }

    pub(super) fn installed(
        &mut self,
        release: &Release,
        artifact: &Path,
        previous: Option<&Version>,
        install_path: &Path,
    ) -> Result<(), ClientError> {
        let (digest, _) = sha256_of(artifact)?;
        self.artifacts.insert(
            release.version.to_string(),
            (release.target.clone(), digest.to_hex()),
        );
        self.save_index()?;
        let predicate = Predicate::UpdateInstalled(UpdateInstalled {
            version: release.version.to_string(),
            previous_version: previous.map(Version::to_string),
            install_path: install_path.display().to_string(),
        });
        self.append(Subject::new(release.target.clone(), digest), predicate)
    }

    pub(super) fn confirmed(&mut self, version: &Version) -> Result<(), ClientError> {
        let subject = self.subject_for(version);
        self.append(
            subject,
            Predicate::UpdateConfirmed(UpdateConfirmed {
                version: version.to_string(),
            }),
        )
    }

    pub(super) fn rolled_back(
        &mut self,
        from: &Version,
        to: &Version,
        reason: &str,
    ) -> Result<(), ClientError> {
        let subject = self.subject_for(from);
        self.append(
            subject,
            Predicate::UpdateRolledBack(UpdateRolledBack {
                from_version: from.to_string(),
                to_version: to.to_string(),
                reason: reason.to_owned(),
            }),
        )
    }

    fn save_index(&self) -> Result<(), ClientError> {
        let index_error = |reason: String| ClientError::ReceiptIndex {
            path: self.index_path.clone(),
            reason,
        };
        let bytes =
            serde_json::to_vec_pretty(&self.artifacts).map_err(|e| index_error(e.to_string()))?;
        sigil_keys::keyfile::write_public_file(
            &self.index_path,
            &bytes,
            sigil_keys::keyfile::Overwrite::Replace,
        )
        .map_err(|e| index_error(e.to_string()))
    }
}

fn facts(release: &Release) -> ReleaseFacts {
    ReleaseFacts {
        version: release.version.to_string(),
        channel: release.channel.to_string(),
        platform: format!("{}-{}", release.platform, release.arch),
    }
}

fn sha256_of(path: &Path) -> Result<(Sha256Digest, u64), ClientError> {
    let io = |source| ClientError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buffer = vec![0u8; 1 << 16];
    let mut length = 0u64;
    loop {
        let read = file.read(&mut buffer).map_err(io)?;
        if read == 0 {
            break;
        }
        length += read as u64;
        context.update(&buffer[..read]);
    }
    let mut digest = [0u8; 32];
    digest.copy_from_slice(context.finish().as_ref());
    Ok((Sha256Digest(digest), length))
}
