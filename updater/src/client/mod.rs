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

use crate::download::{
    AnySource, Download, DownloadError, NetworkOptions, ProgressEvent, RangeSource, RetryPolicy,
};
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

/// What this app is and where its update data lives. The inputs without a sensible default
/// are the arguments of [`Settings::new`]; the rest have documented defaults, changed with the
/// builder methods.
#[derive(Debug, Clone)]
pub struct Settings {
    target_urls: Vec<String>,
    download_dir: PathBuf,
    release_key: MinisignPublicKey,
    shipped_version: Version,
    install_id: InstallId,
    channel: Channel,
    platform: String,
    arch: String,
    downgrade: Downgrade,
    health: HealthPolicy,
    retry: RetryPolicy,
    archive_limits: ArchiveLimits,
}

impl Settings {
    /// - `target_urls`: base URLs the artifacts are served from, tried in order (mirrors);
    /// - `download_dir`: where downloads are kept until installed (and resumed from);
    /// - `release_key`: the minisign key that signs releases, pinned in the app;
    /// - `shipped_version`: the version the app shipped as, used until the installer records
    ///   one;
    /// - `install_id`: this installation's stable id, for staged rollouts (see
    ///   [`load_install_id`]).
    ///
    /// Defaults: the `stable` channel; the platform and architecture this binary was built for
    /// (`linux`, `macos`, `windows`; `x86_64`, `aarch64`); no downgrades; the health policy's
    /// default (30 minutes, 3 launches); the retry policy's default (4 attempts per mirror,
    /// backoff from 0.5 s to 30 s, connections slower than 1 KiB/s dropped after 30 s); the
    /// archive limits' defaults.
    #[must_use]
    pub fn new(
        target_urls: Vec<String>,
        download_dir: PathBuf,
        release_key: MinisignPublicKey,
        shipped_version: Version,
        install_id: InstallId,
    ) -> Self {
        Self {
            target_urls,
            download_dir,
            release_key,
            shipped_version,
            install_id,
            channel: Channel::stable(),
            platform: std::env::consts::OS.to_owned(),
            arch: std::env::consts::ARCH.to_owned(),
            downgrade: Downgrade::Refuse,
            health: HealthPolicy::default(),
            retry: RetryPolicy::default(),
            archive_limits: ArchiveLimits::default(),
        }
    }

    /// The release channel this installation follows.
    #[must_use]
    pub fn channel(mut self, channel: Channel) -> Self {
        self.channel = channel;
        self
    }

    /// The platform name releases must carry, where this binary's is not the one published.
    #[must_use]
    pub fn platform(mut self, platform: impl Into<String>) -> Self {
        self.platform = platform.into();
        self
    }

    /// The architecture name releases must carry.
    #[must_use]
    pub fn arch(mut self, arch: impl Into<String>) -> Self {
        self.arch = arch.into();
        self
    }

    /// Whether a user who left a prerelease channel may go back to its newest release.
    #[must_use]
    pub fn downgrade(mut self, downgrade: Downgrade) -> Self {
        self.downgrade = downgrade;
        self
    }

    /// How long and for how many launches a new version has to confirm its health.
    #[must_use]
    pub fn health(mut self, health: HealthPolicy) -> Self {
        self.health = health;
        self
    }

    /// How often and how patiently downloads are retried.
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Bounds on what an archive may unpack to.
    #[must_use]
    pub fn archive_limits(mut self, limits: ArchiveLimits) -> Self {
        self.archive_limits = limits;
        self
    }

    /// The minisign key releases must be signed by.
    #[must_use]
    pub fn release_key(&self) -> &MinisignPublicKey {
        &self.release_key
    }
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

/// A release downloaded and verified twice: TUF's length and hashes, then the pinned release
/// key. Only [`Client::download`] (and [`Update::download`]) make one, and
/// [`Client::install`] consumes it: no other code can pass an unchecked file to the installer.
#[derive(Debug)]
pub struct Downloaded {
    release: Release,
    path: PathBuf,
    trusted_comment: String,
}

impl Downloaded {
    /// The release this file is.
    #[must_use]
    pub fn release(&self) -> &Release {
        &self.release
    }

    /// Where the verified file is, until it is installed.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The trusted comment of the release's signature.
    #[must_use]
    pub fn trusted_comment(&self) -> &str {
        &self.trusted_comment
    }
}

/// A release to move to, from [`Client::check_for_update`]: it holds the client until it is
/// downloaded (or dropped).
pub struct Update<'c> {
    client: &'c mut Client,
    current: Version,
    release: Release,
    skipped: Vec<(Release, Skipped)>,
    invalid: Vec<ReleaseError>,
}

impl std::fmt::Debug for Update<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Update")
            .field("current", &self.current)
            .field("release", &self.release)
            .field("skipped", &self.skipped)
            .field("invalid", &self.invalid)
            .finish_non_exhaustive()
    }
}

impl Update<'_> {
    /// The version running now.
    #[must_use]
    pub fn current(&self) -> &Version {
        &self.current
    }

    /// The release chosen.
    #[must_use]
    pub fn release(&self) -> &Release {
        &self.release
    }

    /// Releases passed over, and why.
    #[must_use]
    pub fn skipped(&self) -> &[(Release, Skipped)] {
        &self.skipped
    }

    /// Targets whose release metadata is malformed: never chosen, reported.
    #[must_use]
    pub fn invalid(&self) -> &[ReleaseError] {
        &self.invalid
    }

    /// Downloads the release through the client's source (see [`Client::with_source`]) and
    /// verifies it; `progress` gets every [`ProgressEvent`], and setting `cancel` stops the
    /// download, keeping what arrived to resume from.
    pub fn download(
        self,
        progress: Option<&(dyn Fn(&ProgressEvent) + Sync)>,
        cancel: Option<&AtomicBool>,
    ) -> Result<Downloaded, ClientError> {
        let source = self.client.source()?;
        self.client
            .download(&self.release, source.as_ref(), progress, cancel)
    }
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
    source: Option<std::sync::Arc<dyn RangeSource>>,
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
            source: None,
        }
    }

    /// Where [`Update::download`] fetches artifacts from. Default: HTTP(S) and `file://`
    /// ([`AnySource`]) with the system's proxy settings.
    #[must_use]
    pub fn with_source(mut self, source: impl RangeSource + 'static) -> Self {
        self.source = Some(std::sync::Arc::new(source));
        self
    }

    fn source(&mut self) -> Result<std::sync::Arc<dyn RangeSource>, ClientError> {
        if let Some(source) = &self.source {
            return Ok(std::sync::Arc::clone(source));
        }
        let source: std::sync::Arc<dyn RangeSource> = std::sync::Arc::new(
            AnySource::new(&NetworkOptions::default()).map_err(|source| ClientError::Download {
                target: String::new(),
                source: Box::new(source),
            })?,
        );
        self.source = Some(std::sync::Arc::clone(&source));
        Ok(source)
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

    /// Refreshes trusted metadata and returns the release to move to, if there is one. For
    /// the whole report (why each release was passed over) when there is none, see
    /// [`Self::check`].
    pub fn check_for_update(&mut self) -> Result<Option<Update<'_>>, ClientError> {
        let check = self.check()?;
        Ok(check.available.map(|release| Update {
            client: self,
            current: check.current,
            release,
            skipped: check.skipped,
            invalid: check.invalid,
        }))
    }

    /// Downloads `release` from `source` (resuming a part from before), verifies it against
    /// the length and hashes of trusted metadata as it streams, then its signature against the
    /// pinned key.
    pub fn download(
        &mut self,
        release: &Release,
        source: &dyn RangeSource,
        progress: Option<&(dyn Fn(&ProgressEvent) + Sync)>,
        cancel: Option<&AtomicBool>,
    ) -> Result<Downloaded, ClientError> {
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
        let updater = self.updater.as_ref().ok_or(ClientError::NotChecked)?;
        let urls: Vec<String> = self
            .settings
            .target_urls
            .iter()
            .map(|base| updater.target_url(&info, base))
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
            download = download.on_event(progress);
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
        Ok(Downloaded {
            release: release.clone(),
            path: downloaded,
            trusted_comment: verified.trusted_comment,
        })
    }

    /// Installs a verified release and switches to it; it must then confirm its health, within
    /// a deadline counted from `clock`'s time.
    pub fn install(&mut self, verified: Downloaded, clock: &dyn Clock) -> Result<(), ClientError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_defaults_are_the_documented_ones() {
        let key = sigil_keys::minisign::MinisignSecretKey::generate()
            .map(|key| key.public_key())
            .unwrap_or_else(|_| panic!("key generation"));
        let settings = Settings::new(
            vec!["https://updates.example.com/targets/".into()],
            PathBuf::from("/data/downloads"),
            key,
            Version::new(1, 0, 0),
            InstallId::from_bytes([7; 16]),
        );
        assert_eq!(settings.channel, Channel::stable());
        assert_eq!(settings.platform, std::env::consts::OS);
        assert_eq!(settings.arch, std::env::consts::ARCH);
        assert_eq!(settings.downgrade, Downgrade::Refuse);
        assert_eq!(settings.health, HealthPolicy::default());
        assert_eq!(settings.retry, RetryPolicy::default());
        let changed = settings
            .channel(Channel::new("beta").unwrap_or_else(|_| panic!("channel")))
            .platform("macos")
            .arch("aarch64")
            .downgrade(Downgrade::Allow);
        assert_eq!(changed.channel.as_str(), "beta");
        assert_eq!(
            (changed.platform.as_str(), changed.arch.as_str()),
            ("macos", "aarch64")
        );
        assert_eq!(changed.downgrade, Downgrade::Allow);
    }
}
