//! `latest.json` for tauri-plugin-updater (v1 and v2 "static JSON" format):
//! `{"version", "notes", "pub_date", "platforms": {"linux-x86_64": {"signature", "url"}}}`, where
//! each `signature` is the base64 of the artifact's minisign signature file, as Tauri's own
//! signer writes it into `.sig` files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;
use sigil_keys::keyfile::read_public_file;
use sigil_keys::minisign::MinisignSignature;

use super::{ManifestError, check_date, check_https, check_version};
use crate::sign::signature_path;

/// The largest signature file read.
const MAX_SIGNATURE_BYTES: u64 = 16 * 1024;

/// One platform's artifact: where it is served and the file whose `.minisig` signs it.
#[derive(Debug, Clone)]
pub struct TauriArtifact {
    pub platform: String,
    pub file: PathBuf,
    pub url: String,
}

#[derive(Debug, Serialize)]
struct Platform {
    signature: String,
    url: String,
}

#[derive(Debug, Serialize)]
struct LatestJson<'a> {
    version: &'a str,
    notes: &'a str,
    pub_date: &'a str,
    platforms: BTreeMap<String, Platform>,
}

fn check_platform(platform: &str) -> Result<(), ManifestError> {
    let parts: Vec<&str> = platform.split('-').collect();
    let valid = matches!(parts.len(), 2 | 3)
        && ["linux", "darwin", "windows"].contains(&parts[0])
        && ["x86_64", "aarch64", "i686", "armv7"].contains(&parts[1])
        && parts.get(2).is_none_or(|installer| {
            !installer.is_empty() && installer.bytes().all(|b| b.is_ascii_lowercase())
        });
    if valid {
        Ok(())
    } else {
        Err(ManifestError::Platform {
            found: platform.to_owned(),
        })
    }
}

/// The `signature` value for `file`: base64 of `file.minisig`, which is checked to be a minisign
/// signature.
fn signature_of(file: &Path) -> Result<String, ManifestError> {
    let path = signature_path(file);
    let text = read_public_file(&path, MAX_SIGNATURE_BYTES)?;
    MinisignSignature::decode(&text).map_err(|source| ManifestError::Signature {
        path: path.clone(),
        source,
    })?;
    Ok(BASE64.encode(text.as_bytes()))
}

/// Builds `latest.json` (pretty-printed, with a final newline).
pub fn latest_json(
    version: &str,
    notes: &str,
    pub_date: &str,
    artifacts: &[TauriArtifact],
) -> Result<String, ManifestError> {
    check_version(version)?;
    check_date(pub_date)?;
    if artifacts.is_empty() {
        return Err(ManifestError::Empty);
    }
    let mut platforms = BTreeMap::new();
    for artifact in artifacts {
        check_platform(&artifact.platform)?;
        check_https(&artifact.url)?;
        let entry = Platform {
            signature: signature_of(&artifact.file)?,
            url: artifact.url.clone(),
        };
        if platforms.insert(artifact.platform.clone(), entry).is_some() {
            return Err(ManifestError::DuplicatePlatform {
                platform: artifact.platform.clone(),
            });
        }
    }
    let manifest = LatestJson {
        version,
        notes,
        pub_date,
        platforms,
    };
    // Serializing plain strings and maps cannot fail.
    let mut text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_names_are_those_tauri_uses() {
        for good in [
            "linux-x86_64",
            "darwin-aarch64",
            "windows-x86_64-nsis",
            "windows-i686",
        ] {
            assert!(check_platform(good).is_ok(), "{good}");
        }
        for bad in [
            "linux",
            "macos-aarch64",
            "linux-x64",
            "linux-x86_64-",
            "linux-x86_64-a-b",
        ] {
            assert!(check_platform(bad).is_err(), "{bad}");
        }
    }
}
