//! `sigil-signer manifest ...`: a thin layer over [`sigil_signer::manifest`].

use std::path::PathBuf;

use clap::{Args, Subcommand};
use sigil_keys::keyfile::{Overwrite, write_public_file};
use sigil_signer::manifest::electron::{ElectronFile, latest_yml};
use sigil_signer::manifest::tauri::{TauriArtifact, latest_json};
use sigil_tuf::{Clock, Expires, SystemClock};

use super::{Failure, say};

#[derive(Debug, Subcommand)]
pub(crate) enum ManifestCommand {
    /// Write latest.json for tauri-plugin-updater from signed artifacts.
    Tauri(TauriArgs),
    /// Write latest.yml for electron-updater.
    Electron(ElectronArgs),
}

#[derive(Debug, Args)]
pub(crate) struct TauriArgs {
    /// The release version (semver).
    #[arg(long, value_name = "V")]
    version: String,
    /// The release notes.
    #[arg(long, value_name = "TEXT", default_value = "")]
    notes: String,
    /// The publication date, YYYY-MM-DDTHH:MM:SSZ [default: now].
    #[arg(long, value_name = "DATE")]
    pub_date: Option<String>,
    /// One platform's artifact: PLATFORM=FILE=URL (FILE.minisig must exist: see `sign`).
    #[arg(long = "artifact", value_name = "PLATFORM=FILE=URL", required = true)]
    artifacts: Vec<String>,
    /// Where to write the manifest.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct ElectronArgs {
    /// The release version (semver).
    #[arg(long, value_name = "V")]
    version: String,
    /// The release date, YYYY-MM-DDTHH:MM:SSZ [default: now].
    #[arg(long, value_name = "DATE")]
    release_date: Option<String>,
    /// Where to write the manifest.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The release files, the main installer first: FILE, or FILE=URL to serve it under
    /// another name or an https:// URL [default URL: the file name].
    #[arg(required = true, value_name = "FILE[=URL]")]
    files: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{found:?}: expected PLATFORM=FILE=URL")]
struct ArtifactSyntax {
    found: String,
}

pub(crate) fn run(command: ManifestCommand) -> Result<(), Failure> {
    let now = || Expires::from_unix(SystemClock.now()).to_string();
    match command {
        ManifestCommand::Tauri(args) => {
            let mut artifacts = Vec::new();
            for spec in &args.artifacts {
                let mut parts = spec.splitn(3, '=');
                let (Some(platform), Some(file), Some(url)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(Failure::operational(ArtifactSyntax {
                        found: spec.clone(),
                    }));
                };
                artifacts.push(TauriArtifact {
                    platform: platform.to_owned(),
                    file: PathBuf::from(file),
                    url: url.to_owned(),
                });
            }
            let date = args.pub_date.clone().unwrap_or_else(now);
            let text = latest_json(&args.version, &args.notes, &date, &artifacts)?;
            write_public_file(&args.out, text.as_bytes(), Overwrite::Replace)?;
            say(&format!(
                "wrote {}: version {}, {} platform(s)\n",
                args.out.display(),
                args.version,
                artifacts.len()
            ))
        }
        ManifestCommand::Electron(args) => {
            let files: Vec<ElectronFile> = args
                .files
                .iter()
                .map(|spec| {
                    let (file, url) = match spec.split_once('=') {
                        Some((file, url)) => (PathBuf::from(file), url.to_owned()),
                        None => {
                            let file = PathBuf::from(spec);
                            let url = file
                                .file_name()
                                .map(|name| name.to_string_lossy().into_owned())
                                .unwrap_or_default();
                            (file, url)
                        }
                    };
                    ElectronFile { file, url }
                })
                .collect();
            let date = args.release_date.clone().unwrap_or_else(now);
            let text = latest_yml(&args.version, &date, &files)?;
            write_public_file(&args.out, text.as_bytes(), Overwrite::Replace)?;
            say(&format!(
                "wrote {}: version {}, {} file(s)\n",
                args.out.display(),
                args.version,
                files.len()
            ))
        }
    }
}
