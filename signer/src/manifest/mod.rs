//! Release manifests for apps that update with tauri-plugin-updater (`latest.json`) or
//! electron-updater (`latest.yml`) rather than with sigil's TUF client: the same artifacts and
//! signatures, in the formats those updaters read. These manifests are not TUF metadata: they
//! carry no expiry, version or threshold protection, which is why sigil's updater does not use
//! them.

pub mod electron;
pub mod tauri;

use std::path::PathBuf;

use sigil_keys::keyfile::KeyFileError;
use sigil_keys::minisign::MinisignError;

/// Why a manifest could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    #[error("version {found:?} is not semver: {reason}")]
    Version { found: String, reason: String },
    #[error(
        "platform {found:?}: expected OS-ARCH or OS-ARCH-INSTALLER with OS one of linux, darwin, \
         windows and ARCH one of x86_64, aarch64, i686, armv7"
    )]
    Platform { found: String },
    #[error("platform {platform} is listed twice")]
    DuplicatePlatform { platform: String },
    #[error("{found:?}: expected an https:// URL")]
    Url { found: String },
    #[error("{found:?}: expected an https:// URL or a file name relative to the feed")]
    RelativeUrl { found: String },
    #[error("date {found:?}: expected YYYY-MM-DDTHH:MM:SSZ")]
    Date { found: String },
    #[error("no artifacts: at least one is required")]
    Empty,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    SignatureFile(#[from] KeyFileError),
    #[error("{path}: not a minisign signature (make it with `sigil-signer sign`): {source}")]
    Signature {
        path: PathBuf,
        #[source]
        source: MinisignError,
    },
}

pub(crate) fn check_version(version: &str) -> Result<(), ManifestError> {
    semver::Version::parse(version)
        .map(|_| ())
        .map_err(|error| ManifestError::Version {
            found: version.to_owned(),
            reason: error.to_string(),
        })
}

/// Checks a `YYYY-MM-DDTHH:MM:SSZ` date, the form both updaters parse.
pub(crate) fn check_date(date: &str) -> Result<(), ManifestError> {
    sigil_tuf::Expires::parse(date)
        .map(|_| ())
        .map_err(|_| ManifestError::Date {
            found: date.to_owned(),
        })
}

pub(crate) fn check_https(url: &str) -> Result<(), ManifestError> {
    let rest = url.strip_prefix("https://").unwrap_or_default();
    if rest.is_empty() || rest.starts_with('/') || url.chars().any(char::is_whitespace) {
        return Err(ManifestError::Url {
            found: url.to_owned(),
        });
    }
    Ok(())
}
