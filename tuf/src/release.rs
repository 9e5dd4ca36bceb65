//! Choosing a release: which of the published releases this install should move to.
//!
//! Release metadata rides in each TUF target's `custom` object (see `docs/`): version, channel,
//! platform, arch, rollout percentage, whether the rollout is halted, and the minimum version an
//! install must run to take this release directly.

use std::collections::BTreeSet;
use std::fmt;

use ring::digest;
use semver::Version;
use serde::Deserialize;

/// A release channel: `stable`, `beta`, or a team's own (lower-case letters, digits, `-`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Channel(String);

/// Why release metadata was not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseError {
    #[error("invalid channel name {0:?}: expected 1 to 32 of a-z, 0-9 and '-'")]
    Channel(String),
    #[error("target {target}: release metadata is not valid: {reason}")]
    Metadata { target: String, reason: String },
    #[error("target {target}: version {version:?} is not semver: {reason}")]
    Version {
        target: String,
        version: String,
        reason: String,
    },
    #[error("target {target}: rollout percentage {percent} is outside 0..=100")]
    Rollout { target: String, percent: u32 },
}

impl Channel {
    pub fn new(name: &str) -> Result<Self, ReleaseError> {
        let valid = (1..=32).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(name.to_owned()))
        } else {
            Err(ReleaseError::Channel(name.to_owned()))
        }
    }

    #[must_use]
    pub fn stable() -> Self {
        Self("stable".to_owned())
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The channels whose releases an install on this channel takes: its own, and `stable`, so
    /// that a beta install is never stuck behind a stable release newer than the last beta.
    #[must_use]
    pub fn accepts(&self, release_channel: &Channel) -> bool {
        release_channel == self || release_channel.0 == "stable"
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A published release, as its TUF target's `custom` object describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The TUF target name of the artifact.
    pub target: String,
    pub version: Version,
    pub channel: Channel,
    pub platform: String,
    pub arch: String,
    /// Percentage of installs (0..=100) that may take this release.
    pub rollout_percent: u32,
    /// A halted rollout reaches no new installs.
    pub halted: bool,
    /// Installs older than this must first update to an intermediate release.
    pub minimum_version: Option<Version>,
    /// The artifact's minisign signature (`.minisig` text), verified against the key pinned in
    /// the app.
    pub signature: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRollout {
    percent: u32,
    #[serde(default)]
    halted: bool,
}

#[derive(Debug, Deserialize)]
struct RawRelease {
    version: String,
    #[serde(default = "default_channel")]
    channel: String,
    platform: String,
    arch: String,
    #[serde(default)]
    rollout: Option<RawRollout>,
    #[serde(default)]
    minimum_version: Option<String>,
    #[serde(default)]
    signature: Option<String>,
}

fn default_channel() -> String {
    "stable".to_owned()
}

impl Release {
    /// Reads the release metadata of `target` from its `custom` object. Returns `Ok(None)` when
    /// the object carries no `sigil` release member (a target that is not a release).
    pub fn from_custom(
        target: &str,
        custom: &serde_json::Value,
    ) -> Result<Option<Self>, ReleaseError> {
        let Some(release) = custom.get("sigil") else {
            return Ok(None);
        };
        let raw: RawRelease =
            serde_json::from_value(release.clone()).map_err(|e| ReleaseError::Metadata {
                target: target.to_owned(),
                reason: e.to_string(),
            })?;
        let parse_version = |text: &str| {
            Version::parse(text).map_err(|e| ReleaseError::Version {
                target: target.to_owned(),
                version: text.to_owned(),
                reason: e.to_string(),
            })
        };
        let (rollout_percent, halted) = match raw.rollout {
            None => (100, false),
            Some(rollout) if rollout.percent > 100 => {
                return Err(ReleaseError::Rollout {
                    target: target.to_owned(),
                    percent: rollout.percent,
                });
            }
            Some(rollout) => (rollout.percent, rollout.halted),
        };
        Ok(Some(Self {
            target: target.to_owned(),
            version: parse_version(&raw.version)?,
            channel: Channel::new(&raw.channel)?,
            platform: raw.platform,
            arch: raw.arch,
            rollout_percent,
            halted,
            minimum_version: raw
                .minimum_version
                .as_deref()
                .map(parse_version)
                .transpose()?,
            signature: raw.signature,
        }))
    }
}

/// A stable, random identifier of one installation, made once and kept with the app's data.
#[derive(Clone, PartialEq, Eq)]
pub struct InstallId([u8; 16]);

impl InstallId {
    #[must_use]
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// A new random id.
    pub fn generate() -> Result<Self, ring::error::Unspecified> {
        use ring::rand::SecureRandom as _;
        let mut bytes = [0u8; 16];
        ring::rand::SystemRandom::new().fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// This install's rollout bucket for `version`, in 0..10_000. The bucket depends on the
    /// version so that the same few installs are not always first, and is the same at every
    /// check, so a 10% rollout reaches the same 10%.
    #[must_use]
    pub fn bucket(&self, version: &Version) -> u32 {
        let mut context = digest::Context::new(&digest::SHA256);
        context.update(b"sigil rollout bucket v1\0");
        context.update(&self.0);
        context.update(version.to_string().as_bytes());
        let hash = context.finish();
        let mut first = [0u8; 8];
        first.copy_from_slice(&hash.as_ref()[..8]);
        (u64::from_be_bytes(first) % 10_000) as u32
    }
}

impl fmt::Debug for InstallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InstallId({:02x}{:02x}…)", self.0[0], self.0[1])
    }
}

/// Whether a release older than the running version may be chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Downgrade {
    /// Never choose an older version. The default: an older signed release may carry fixed bugs.
    #[default]
    Refuse,
    /// Choose the newest eligible release of the channel even when it is older, for an app
    /// that lets a user leave a prerelease channel for stable. Still refuses releases that
    /// failed here.
    Allow,
}

/// What this installation runs and wants.
#[derive(Debug, Clone)]
pub struct Installation {
    pub version: Version,
    pub channel: Channel,
    pub platform: String,
    pub arch: String,
    pub install_id: InstallId,
    pub downgrade: Downgrade,
    /// Versions that failed their health check here: never offered again.
    pub rejected: BTreeSet<Version>,
}

/// Why a release was passed over: reported for diagnostics (`status`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Skipped {
    Platform,
    Channel,
    NotNewer,
    Rejected,
    RolloutHalted,
    OutsideRollout { bucket: u32, limit: u32 },
    NeedsMinimumVersion(Version),
}

/// The outcome of a choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The release to move to, if any.
    pub release: Option<Release>,
    /// Every other release and why it was not chosen.
    pub skipped: Vec<(Release, Skipped)>,
}

impl Installation {
    /// Picks the newest release this installation may take.
    #[must_use]
    pub fn choose(&self, releases: &[Release]) -> Choice {
        let mut choice = self.choose_among(releases, false);
        if choice.release.is_none()
            && self.downgrade == Downgrade::Allow
            && self.off_channel(releases)
        {
            choice = self.choose_among(releases, true);
        }
        choice
    }

    /// Whether this install runs a version newer than every release of its own channel: it came
    /// from another channel, and only a downgrade brings it back onto this one.
    fn off_channel(&self, releases: &[Release]) -> bool {
        releases
            .iter()
            .filter(|r| {
                r.channel == self.channel && r.platform == self.platform && r.arch == self.arch
            })
            .all(|r| r.version < self.version)
    }

    fn choose_among(&self, releases: &[Release], older: bool) -> Choice {
        let mut eligible = Vec::new();
        let mut skipped = Vec::new();
        for release in releases {
            match self.why_not(release, older) {
                None => eligible.push(release),
                Some(reason) => skipped.push((release.clone(), reason)),
            }
        }
        // Newest first by semver precedence; equal versions on two channels prefer the
        // install's own channel.
        eligible.sort_by(|a, b| {
            b.version
                .cmp(&a.version)
                .then_with(|| (b.channel == self.channel).cmp(&(a.channel == self.channel)))
                .then_with(|| a.target.cmp(&b.target))
        });
        let mut eligible = eligible.into_iter();
        let release = eligible.next().cloned();
        for other in eligible {
            skipped.push((other.clone(), Skipped::NotNewer));
        }
        Choice { release, skipped }
    }

    /// Why `release` is not eligible; `older` admits versions below the running one, on the
    /// install's own channel only.
    fn why_not(&self, release: &Release, older: bool) -> Option<Skipped> {
        if release.platform != self.platform || release.arch != self.arch {
            return Some(Skipped::Platform);
        }
        let channel_ok = if older {
            release.channel == self.channel
        } else {
            self.channel.accepts(&release.channel)
        };
        if !channel_ok {
            return Some(Skipped::Channel);
        }
        if self.rejected.contains(&release.version) {
            return Some(Skipped::Rejected);
        }
        let wanted = if older {
            release.version < self.version
        } else {
            release.version > self.version
        };
        if !wanted {
            return Some(Skipped::NotNewer);
        }
        if let Some(minimum) = &release.minimum_version {
            if &self.version < minimum {
                return Some(Skipped::NeedsMinimumVersion(minimum.clone()));
            }
        }
        if release.halted {
            return Some(Skipped::RolloutHalted);
        }
        let limit = release.rollout_percent * 100;
        let bucket = self.install_id.bucket(&release.version);
        if bucket >= limit {
            return Some(Skipped::OutsideRollout { bucket, limit });
        }
        None
    }
}
