//! The client-under-test CLI of the TUF conformance suite (`tuf-conformance`, CLIENT-CLI.md):
//! `init`, `refresh` and `download` over the `sigil-updater` library.
//!
//! Exit codes: 0 success, 1 any failure, refused or operational (CLIENT-CLI.md fixes 1 for every
//! failure), 2 usage errors (from clap) and internal errors.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sigil_cli::{Classify, ErrorKind, Shell};
use sigil_updater::tuf::{
    DefaultTransport, DirStorage, Limits, Storage, StorageError, TargetDownload, TargetPath,
    TargetPathError, TransportError, UpdateError, Updater, UpdaterBuilder,
};

#[derive(Debug, Parser)]
#[command(
    name = "sigil-tuf-client",
    about = "TUF conformance client for sigil-updater"
)]
struct Cli {
    /// Directory of the trusted metadata.
    #[arg(long, global = true)]
    metadata_dir: Option<PathBuf>,
    /// Base URL of the repository metadata.
    #[arg(long, global = true)]
    metadata_url: Option<String>,
    /// Target path to download; repeat for several, processed in order.
    #[arg(long = "target-name", global = true)]
    target_names: Vec<String>,
    /// Base URL of the repository targets.
    #[arg(long, global = true)]
    target_base_url: Option<String>,
    /// Directory downloaded targets are written to.
    #[arg(long, global = true)]
    target_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Trust the given root.json (copied into the metadata directory, not checked yet).
    Init { trusted_root: PathBuf },
    /// Update the trusted metadata from the repository.
    Refresh,
    /// Refresh, then download each target into the target directory.
    Download,
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("--{0} is required for this command")]
    Missing(&'static str),
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error(transparent)]
    Update(#[from] UpdateError),
    #[error(transparent)]
    TargetPath(#[from] TargetPathError),
    #[error("target {0:?} is not in the repository")]
    TargetNotFound(String),
}

fn required<T>(value: Option<T>, flag: &'static str) -> Result<T, CliError> {
    value.ok_or(CliError::Missing(flag))
}

fn updater(metadata_dir: &Path, metadata_url: &str) -> Result<Updater, CliError> {
    let limits = Limits::default();
    let transport = DefaultTransport::new(&limits)?;
    Ok(
        UpdaterBuilder::new(metadata_url, transport, DirStorage::new(metadata_dir))
            .limits(limits)
            .load()?,
    )
}

fn run(cli: Cli) -> Result<(), CliError> {
    let metadata_dir = required(cli.metadata_dir, "metadata-dir")?;
    match cli.command {
        Command::Init { trusted_root } => {
            let bytes = std::fs::read(&trusted_root).map_err(|source| CliError::Read {
                path: trusted_root.clone(),
                source,
            })?;
            DirStorage::new(&metadata_dir).store("root.json", &bytes)?;
        }
        Command::Refresh => {
            let url = required(cli.metadata_url, "metadata-url")?;
            updater(&metadata_dir, &url)?.refresh()?;
        }
        Command::Download => {
            let url = required(cli.metadata_url, "metadata-url")?;
            let base = required(cli.target_base_url, "target-base-url")?;
            let dir = required(cli.target_dir, "target-dir")?;
            let mut updater = updater(&metadata_dir, &url)?;
            updater.refresh()?;
            for name in cli.target_names {
                let path = TargetPath::parse(&name)?;
                let info = updater
                    .target_info(&path)?
                    .ok_or(CliError::TargetNotFound(name))?;
                updater.download_target(&info, &base, &dir)?;
            }
        }
    }
    Ok(())
}

impl Classify for CliError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Storage(error) => error.kind(),
            Self::Transport(error) => error.kind(),
            Self::Update(error) => error.kind(),
            Self::TargetPath(error) => error.kind(),
            Self::Missing(_) | Self::Read { .. } | Self::TargetNotFound(_) => {
                ErrorKind::Operational
            }
        }
    }
}

fn main() -> ExitCode {
    Shell::new("sigil-tuf-client")
        .error_label("sigil-tuf-client")
        .every_failure_exits_with(1)
        .run(|| run(Cli::parse()))
}
