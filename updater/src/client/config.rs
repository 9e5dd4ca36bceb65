//! An app's update configuration, as a file (TOML): where the repository is, which key signs
//! releases, what the app is, and where its update data lives.

use std::path::{Path, PathBuf};

use semver::Version;
use serde::Deserialize;
use sigil_keys::minisign::MinisignPublicKey;

use super::{Client, ClientError, Receipts, Settings, load_install_id};
use crate::download::{AnySource, NetworkOptions};
use crate::install::{HealthPolicy, Installer};
use crate::release::{Channel, Downgrade};
use crate::tuf::{DefaultTransport, DirStorage, Limits, UpdaterBuilder};

/// The configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Base URL of the TUF metadata.
    pub metadata_url: String,
    /// Base URLs of the artifacts, tried in order.
    pub target_urls: Vec<String>,
    /// The root metadata shipped with the app: the start of trust.
    pub root: PathBuf,
    /// The release key (minisign public key file) pinned in the app.
    pub release_key: PathBuf,
    /// Trusted metadata, downloads, the install id and receipts live here.
    pub data_dir: PathBuf,
    /// Version trees and the `current` pointer live here.
    pub install_root: PathBuf,
    /// The version the app shipped as.
    pub version: Version,
    #[serde(default = "stable")]
    pub channel: String,
    pub platform: String,
    pub arch: String,
    /// Let a user who left a prerelease channel go back to its newest release.
    #[serde(default)]
    pub allow_downgrade: bool,
    /// Seconds a new version has to confirm its health.
    #[serde(default)]
    pub health_deadline_secs: Option<u64>,
    /// Launches a new version may make without confirming.
    #[serde(default)]
    pub health_max_launches: Option<u32>,
    /// A key that signs receipts in the app's custody log (`data_dir/custody`); without it no
    /// receipts are kept.
    #[serde(default)]
    pub receipt_key: Option<PathBuf>,
    #[serde(default)]
    pub network: Network,
}

/// Proxy and headers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    pub proxy: Option<String>,
    #[serde(default)]
    pub no_proxy: bool,
    /// Header name to value, sent with every artifact request (a private feed's token).
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
}

fn stable() -> String {
    "stable".to_owned()
}

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error(transparent)]
    Client(Box<ClientError>),
}

impl From<ClientError> for ConfigError {
    fn from(error: ClientError) -> Self {
        Self::Client(Box::new(error))
    }
}

impl Config {
    /// Reads a TOML configuration file. Relative paths in it are relative to the file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config: Self = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        for field in [
            &mut config.root,
            &mut config.release_key,
            &mut config.data_dir,
            &mut config.install_root,
        ] {
            if field.is_relative() {
                *field = base.join(&*field);
            }
        }
        if let Some(key) = config.receipt_key.as_mut() {
            if key.is_relative() {
                *key = base.join(&*key);
            }
        }
        Ok(config)
    }

    /// The network options for artifact downloads.
    #[must_use]
    pub fn network_options(&self) -> NetworkOptions {
        NetworkOptions {
            proxy: self.network.proxy.clone(),
            no_proxy: self.network.no_proxy,
            headers: self.network.headers.clone().into_iter().collect(),
            ..NetworkOptions::default()
        }
    }

    /// Opens the client this configuration describes.
    pub fn client(&self, config_path: &Path) -> Result<Client, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            path: config_path.to_owned(),
            reason,
        };
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })
        };
        let root = read(&self.root)?;
        let release_key =
            MinisignPublicKey::decode(&String::from_utf8_lossy(&read(&self.release_key)?))
                .map_err(|e| invalid(format!("release key {}: {e}", self.release_key.display())))?;
        let channel = Channel::new(&self.channel).map_err(|e| invalid(e.to_string()))?;
        let tuf_dir = self.data_dir.join("tuf");
        std::fs::create_dir_all(&tuf_dir).map_err(|source| ConfigError::Read {
            path: tuf_dir.clone(),
            source,
        })?;
        let metadata_url = self.metadata_url.clone();
        // Metadata and artifacts go through the same proxy, with the same headers.
        let network = self.network_options();
        let make_updater = move || {
            let limits = Limits::default();
            UpdaterBuilder::new(
                &metadata_url,
                DefaultTransport::with_network(&limits, &network)?,
                DirStorage::new(&tuf_dir),
            )
            .limits(limits)
            .initial_root(root.clone())
            .load()
        };
        let installer = Installer::open(&self.install_root).map_err(ClientError::from)?;
        let mut health = HealthPolicy::default();
        if let Some(secs) = self.health_deadline_secs {
            health.deadline_secs = secs;
        }
        if let Some(launches) = self.health_max_launches {
            health.max_launches = launches;
        }
        let settings = Settings::new(
            self.target_urls.clone(),
            self.data_dir.join("downloads"),
            release_key,
            self.version.clone(),
            load_install_id(&self.data_dir.join("install-id"))?,
        )
        .channel(channel)
        .platform(self.platform.clone())
        .arch(self.arch.clone())
        .downgrade(if self.allow_downgrade {
            Downgrade::Allow
        } else {
            Downgrade::Refuse
        })
        .health(health);
        let source =
            AnySource::new(&self.network_options()).map_err(|source| ClientError::Download {
                target: String::new(),
                source: Box::new(source),
            })?;
        let mut client = Client::new(make_updater, installer, settings).with_source(source);
        if let Some(key) = &self.receipt_key {
            let signer = sigil_keys::LocalSigner::load(
                sigil_keys::KeySource::File(key.clone()),
                &sigil_keys::PasswordSource::None,
            )
            .map_err(|e| invalid(format!("receipt key: {e}")))?;
            let receipts = Receipts::open(
                &self.data_dir.join("custody"),
                Box::new(signer),
                Box::new(sigil_custody::SystemClock),
            )?;
            client = client.receipts(receipts);
        }
        Ok(client)
    }
}
