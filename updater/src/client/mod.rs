//! The whole update, as an app runs it: check, download, verify, install, confirm or roll back,
//! with a receipt for each step in the app's custody log.
//!
//! [`Client`] joins the parts: the TUF [`Updater`] (trusted metadata), [`Installation`]
//! (which release), [`Download`] (resumable, verified against TUF's length and hashes), the
//! release's own minisign signature against the key pinned in the app (a second key an attacker
//! must also hold, separate from every TUF key), and the [`Installer`] (atomic swap, health
//! deadline, rollback).

pub mod config;
mod receipts;

use std::collections::BTreeSet;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use semver::Version;
use sigil_keys::minisign::{
    LegacyMode, MinisignError, MinisignPublicKey, MinisignSignature, verify_reader,
};
use sigil_time::Clock;

pub use receipts::Receipts;

use crate::download::{Download, DownloadError, Progress, RangeSource, RetryPolicy};
use crate::install::archive::Limits as ArchiveLimits;
use crate::install::{HealthPolicy, InstallError, Installer, LaunchOutcome};
use crate::release::{Channel, Downgrade, InstallId, Installation, Release, ReleaseError, Skipped};
use crate::tuf::{TargetPath, UpdateError, Updater};

/// Why an update step failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    #[error("trusted metadata: {0}")]
    Metadata(#[from] UpdateError),
    #[error("release {target}: not listed by any role trusted for it")]
    NotListed { target: String },
    #[error("release {target}: invalid target name: {reason}")]
    TargetName { target: String, reason: String },
    #[error("release {target}: no signature in its release metadata, and the app requires one")]
    Unsigned { target: String },
    #[error(
        "release {target}: its signature is for {found}, not for the {expected} that trusted \
         metadata lists: an old or other artifact replayed under a new name"
    )]
    SignatureNotForRelease {
        target: String,
        expected: String,
        found: String,
    },
    #[error("release {target}: its signature was refused: {source}")]
    Signature {
        target: String,
        #[source]
        source: MinisignError,
    },
    #[error("release {target}: {source}")]
    Download {
        target: String,
        #[source]
        source: Box<DownloadError>,
    },
    #[error(transparent)]
    Install(#[from] InstallError),
    #[error("custody receipt: {0}")]
    Receipt(#[from] sigil_custody::store::StoreError),
    #[error("receipt index {path}: {reason}")]
    ReceiptIndex { path: PathBuf, reason: String },
    #[error("no trusted metadata: check for updates first")]
    NotChecked,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What this app is and where its update data lives.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base URLs the artifacts are served from, tried in order (mirrors).
    pub target_urls: Vec<String>,
    /// Where downloads are kept until installed (and resumed from).
    pub download_dir: PathBuf,
    /// The minisign key that signs releases, pinned in the app.
    pub release_key: MinisignPublicKey,
    /// The version the app shipped as, used until the installer records one.
    pub shipped_version: Version,
    pub channel: Channel,
    pub platform: String,
    pub arch: String,
    pub install_id: InstallId,
    pub downgrade: Downgrade,
    pub health: HealthPolicy,
    pub retry: RetryPolicy,
    pub archive_limits: ArchiveLimits,
}

/// The outcome of a check.
#[derive(Debug, Clone)]
pub struct Check {
    pub current: Version,
    /// The release to move to, if any.
    pub available: Option<Release>,
    /// Releases passed over, and why.
    pub skipped: Vec<(Release, Skipped)>,
    /// Targets whose release metadata is malformed: never chosen, reported.
    pub invalid: Vec<ReleaseError>,
}

/// A release downloaded and verified twice: TUF's hashes, then the pinned release key.
#[derive(Debug, Clone)]
pub struct Verified {
    pub release: Release,
    pub path: PathBuf,
    /// The trusted comment of the release's signature.
    pub trusted_comment: String,
}

/// Makes a TUF [`Updater`] from the persisted trusted state. One updater performs one refresh
/// (its reference time is taken when it is loaded), so each check makes a new one.
pub type UpdaterFactory = Box<dyn Fn() -> Result<Updater, UpdateError> + Send + Sync>;

/// An updating app.
pub struct Client {
    make_updater: UpdaterFactory,
    updater: Option<Updater>,
    installer: Installer,
    settings: Settings,
    receipts: Option<Receipts>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("updater", &self.updater)
            .field("installer", &self.installer)
            .field("settings", &self.settings)
            .field("receipts", &self.receipts)
            .finish_non_exhaustive()
    }
}

impl Client {
    #[must_use]
    pub fn new(
        make_updater: impl Fn() -> Result<Updater, UpdateError> + Send + Sync + 'static,
        installer: Installer,
        settings: Settings,
    ) -> Self {
        Self {
            make_updater: Box::new(make_updater),
            updater: None,
            installer,
            settings,
            receipts: None,
        }
    }

    /// Record every step in a custody log.
    #[must_use]
    pub fn receipts(mut self, receipts: Receipts) -> Self {
        self.receipts = Some(receipts);
        self
    }

    #[must_use]
    pub fn installer(&self) -> &Installer {
        &self.installer
    }

    /// The updater of the last check, if there was one.
    #[must_use]
    pub fn updater(&self) -> Option<&Updater> {
        self.updater.as_ref()
    }

    /// The updater of the last check, or a freshly refreshed one.
    fn refreshed_updater(&mut self) -> Result<&mut Updater, ClientError> {
        if self.updater.is_none() {
            let mut updater = (self.make_updater)()?;
            updater.refresh()?;
            self.updater = Some(updater);
        }
        // Invariant: set just above when it was missing.
        self.updater.as_mut().ok_or(ClientError::NotChecked)
    }

    /// The version running now.
    #[must_use]
    pub fn current_version(&self) -> Version {
        self.installer
            .state()
            .current
            .clone()
            .unwrap_or_else(|| self.settings.shipped_version.clone())
    }

    /// Refreshes trusted metadata and picks the release to move to.
    pub fn check(&mut self) -> Result<Check, ClientError> {
        self.updater = None;
        let updater = self.refreshed_updater()?;
        let mut releases = Vec::new();
        let mut invalid = Vec::new();
        if let Some(targets) = updater.trusted().targets("targets") {
            for (name, file) in &targets.signed().targets {
                let Some(custom) = &file.custom else { continue };
                match Release::from_custom(name, custom) {
                    Ok(Some(release)) => releases.push(release),
                    Ok(None) => {}
                    Err(error) => invalid.push(error),
                }
            }
        }
        let current = self.current_version();
        let installation = Installation {
            version: current.clone(),
            channel: self.settings.channel.clone(),
            platform: self.settings.platform.clone(),
            arch: self.settings.arch.clone(),
            install_id: self.settings.install_id.clone(),
            downgrade: self.settings.downgrade,
            rejected: self.installer.state().rejected.clone(),
        };
        let choice = installation.choose(&releases);
        Ok(Check {
            current,
            available: choice.release,
            skipped: choice.skipped,
            invalid,
        })
    }

    /// Downloads `release` (resuming a part from before), verifies it against the length and
    /// hashes of trusted metadata as it streams, then its signature against the pinned key.
    pub fn download(
        &mut self,
        release: &Release,
        source: &dyn RangeSource,
        progress: Option<&(dyn Fn(&Progress) + Sync)>,
        cancel: Option<&AtomicBool>,
    ) -> Result<Verified, ClientError> {
        let target = release.target.clone();
        let path = TargetPath::parse(&target).map_err(|e| ClientError::TargetName {
            target: target.clone(),
            reason: e.to_string(),
        })?;
        // The target is looked up again through the delegation graph: the release metadata that
        // named it and the file's length and hashes come from the same trusted role.
        let updater = self.refreshed_updater()?;
        let info = updater
            .target_info(&path)?
            .ok_or_else(|| ClientError::NotListed {
                target: target.clone(),
            })?;
        let consistent = updater.trusted().root().signed().consistent_snapshot;
        let signature_text = release
            .signature
            .clone()
            .ok_or_else(|| ClientError::Unsigned {
                target: target.clone(),
            })?;
        let signature = MinisignSignature::decode(&signature_text).map_err(|source| {
            ClientError::Signature {
                target: target.clone(),
                source,
            }
        })?;
        let hash_prefix = consistent
            .then(|| {
                info.file
                    .hashes
                    .get("sha256")
                    .or_else(|| info.file.hashes.values().next())
            })
            .flatten()
            .map(String::as_str);
        let urls: Vec<String> = self
            .settings
            .target_urls
            .iter()
            .map(|base| {
                format!(
                    "{}/{}",
                    base.trim_end_matches('/'),
                    info.path.url_path(hash_prefix)
                )
            })
            .collect();
        std::fs::create_dir_all(&self.settings.download_dir).map_err(|source| ClientError::Io {
            path: self.settings.download_dir.clone(),
            source,
        })?;
        let destination = self.settings.download_dir.join(info.path.file_name());
        let mut download = Download::new(
            urls.clone(),
            info.file.length,
            &info.file.hashes,
            &destination,
        )
        .retry(self.settings.retry);
        if let Some(progress) = progress {
            download = download.on_progress(progress);
        }
        if let Some(cancel) = cancel {
            download = download.cancel_flag(cancel);
        }
        let downloaded = download
            .run(source)
            .map_err(|source| ClientError::Download {
                target: target.clone(),
                source: Box::new(source),
            })?;
        let file = File::open(&downloaded).map_err(|source| ClientError::Io {
            path: downloaded.clone(),
            source,
        })?;
        let verified = verify_reader(
            &self.settings.release_key,
            &signature,
            BufReader::with_capacity(1 << 20, file),
            LegacyMode::Refuse,
        );
        let verified = match verified {
            Ok(verified) => verified,
            Err(source) => {
                // A file that passed TUF but not the release key is not kept for later.
                let _ = std::fs::remove_file(&downloaded);
                return Err(ClientError::Signature { target, source });
            }
        };
        if let Err(error) = check_binding(release, &verified.trusted_comment) {
            let _ = std::fs::remove_file(&downloaded);
            return Err(error);
        }
        if let (Some(receipts), Some(updater)) = (self.receipts.as_mut(), self.updater.as_ref()) {
            receipts.downloaded(
                updater,
                release,
                &downloaded,
                urls.first().map_or("", String::as_str),
                &self.settings.release_key,
            )?;
        }
        Ok(Verified {
            release: release.clone(),
            path: downloaded,
            trusted_comment: verified.trusted_comment,
        })
    }

    /// Installs a verified release and switches to it; it must then confirm its health, within
    /// a deadline counted from `clock`'s time.
    pub fn install(&mut self, verified: &Verified, clock: &dyn Clock) -> Result<(), ClientError> {
        let version = &verified.release.version;
        let previous = self.installer.state().current.clone();
        self.installer
            .stage(&verified.path, version, &self.settings.archive_limits)?;
        self.installer
            .activate(version, self.settings.health, clock)?;
        if let Some(receipts) = self.receipts.as_mut() {
            let install_path = self.installer.current_dir().unwrap_or_default();
            receipts.installed(
                &verified.release,
                &verified.path,
                previous.as_ref(),
                &install_path,
            )?;
        }
        let _ = std::fs::remove_file(&verified.path);
        Ok(())
    }

    /// Call at every start of the app: counts the launch, and rolls back a version that has run
    /// out of time or launches without confirming, by `clock`'s time.
    pub fn launched(&mut self, clock: &dyn Clock) -> Result<LaunchOutcome, ClientError> {
        let outcome = self.installer.launched(clock)?;
        if let (LaunchOutcome::RolledBack { from, to }, Some(receipts)) =
            (&outcome, self.receipts.as_mut())
        {
            receipts.rolled_back(from, to, "health-check-deadline")?;
        }
        Ok(outcome)
    }

    /// The running version reports that it works.
    pub fn confirm(&mut self) -> Result<(), ClientError> {
        let pending = self.installer.state().pending.clone();
        self.installer.confirm()?;
        if let (Some(pending), Some(receipts)) = (pending, self.receipts.as_mut()) {
            receipts.confirmed(&pending.version)?;
        }
        Ok(())
    }

    /// Goes back to the previous version by hand; the current one is never offered again.
    pub fn roll_back(&mut self) -> Result<Version, ClientError> {
        let from = self.current_version();
        let to = self.installer.roll_back()?;
        if let Some(receipts) = self.receipts.as_mut() {
            receipts.rolled_back(&from, &to, "manual")?;
        }
        Ok(to)
    }

    /// Versions never to be offered again.
    #[must_use]
    pub fn rejected(&self) -> &BTreeSet<Version> {
        &self.installer.state().rejected
    }

    /// The directory the app runs from.
    #[must_use]
    pub fn current_dir(&self) -> Option<PathBuf> {
        self.installer.current_dir()
    }
}

/// Checks that the release signature's trusted comment names this release: its `version`, and
/// its `platform` and `arch` when it names them (see the signer's release comment). A genuine
/// artifact signed for one release, listed by whoever controls the targets metadata as another
/// (a newer version, another platform), is refused.
fn check_binding(release: &Release, trusted_comment: &str) -> Result<(), ClientError> {
    let field = |key: &str| {
        trusted_comment.split('\t').find_map(|part| {
            part.strip_prefix(key)
                .and_then(|rest| rest.strip_prefix(':'))
        })
    };
    let mismatch = |expected: String, found: String| ClientError::SignatureNotForRelease {
        target: release.target.clone(),
        expected,
        found,
    };
    let expected_version = format!("version {}", release.version);
    match field("version").map(Version::parse) {
        Some(Ok(version)) if version == release.version => {}
        Some(Ok(version)) => return Err(mismatch(expected_version, format!("version {version}"))),
        Some(Err(_)) | None => {
            return Err(mismatch(
                expected_version,
                "no release: the signed comment names no version".to_owned(),
            ));
        }
    }
    for (key, expected) in [("platform", &release.platform), ("arch", &release.arch)] {
        if let Some(found) = field(key) {
            if found != expected {
                return Err(mismatch(
                    format!("{key} {expected}"),
                    format!("{key} {found}"),
                ));
            }
        }
    }
    Ok(())
}

/// Reads the app's install id from `path`, making one on first use.
pub fn load_install_id(path: &Path) -> Result<InstallId, ClientError> {
    let io = |source| ClientError::Io {
        path: path.to_owned(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let bytes = hex::decode(text.trim())
                .ok()
                .and_then(|b| <[u8; 16]>::try_from(b).ok());
            match bytes {
                Some(bytes) => Ok(InstallId::from_bytes(bytes)),
                None => Err(io(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "install id is not 32 hex digits",
                ))),
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let id = InstallId::generate().map_err(|_| {
                io(std::io::Error::other(
                    "the system random number generator failed",
                ))
            })?;
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            sigil_keys::keyfile::write_public_file(
                path,
                hex::encode(id.as_bytes()).as_bytes(),
                sigil_keys::keyfile::Overwrite::Refuse,
            )
            .map_err(|e| io(std::io::Error::other(e.to_string())))?;
            Ok(id)
        }
        Err(e) => Err(io(e)),
    }
}
