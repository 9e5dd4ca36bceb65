//! `sigil-updater`: the updater as a command, for scripts and for trying sigil out.
//!
//! Exit codes: 0 success, 1 an update was refused (a signature, hash or trust check failed),
//! 2 usage or operational error.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sigil_cli::{Classify, ErrorKind, Exit, note};
use sigil_time::SystemClock;
use sigil_updater::client::config::{Config, ConfigError};
use sigil_updater::client::{Client, ClientError};
use sigil_updater::download::{DownloadError, ProgressEvent};
use sigil_updater::install::LaunchOutcome;

#[derive(Debug, Parser)]
#[command(
    name = "sigil-updater",
    version,
    about = "Check, download, install and roll back app updates"
)]
struct Cli {
    /// The update configuration (TOML).
    #[arg(long, value_name = "FILE", default_value = "sigil-updater.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Refresh trusted metadata and say whether an update is available.
    Check {
        /// Print the result as JSON: the current version and the chosen release, or null.
        #[arg(long)]
        json: bool,
    },
    /// Download and verify the available update (resuming an interrupted download).
    Download,
    /// Download, verify and install the available update; it must then confirm its health.
    Install,
    /// Record a launch of the app; rolls back a new version out of time or launches.
    Launched,
    /// The running version reports that it works.
    Confirm,
    /// Go back to the previous version; the current one is never offered again.
    Rollback,
    /// What is installed, pending and rejected.
    Status,
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("network: {0}")]
    Network(#[from] DownloadError),
    #[error(transparent)]
    Stdout(#[from] sigil_cli::StdoutError),
}

impl Classify for CliError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Config(error) => error.kind(),
            Self::Client(error) => error.kind(),
            Self::Network(error) => error.kind(),
            Self::Stdout(error) => error.kind(),
        }
    }
}

fn main() -> ExitCode {
    sigil_cli::run("sigil-updater", || {
        let cli = match Cli::try_parse() {
            Ok(cli) => cli,
            Err(error) => {
                let _ = error.print();
                return Ok(if error.use_stderr() {
                    Exit::Failed
                } else {
                    Exit::Success
                });
            }
        };
        run(&cli).map(|()| Exit::Success)
    })
}

fn say(text: &str) -> Result<(), CliError> {
    Ok(sigil_cli::say(text)?)
}

fn progress(event: &ProgressEvent) {
    let ProgressEvent::Chunk(p) = event else {
        return;
    };
    let percent = (p.downloaded * 100).checked_div(p.total).unwrap_or(100);
    note(&format!(
        "\rdownloading: {percent:>3}% ({} of {} bytes, {} KiB/s)   {}",
        p.downloaded,
        p.total,
        p.bytes_per_second / 1024,
        if p.downloaded == p.total { "\n" } else { "" }
    ));
}

fn run(cli: &Cli) -> Result<(), CliError> {
    let config = Config::load(&cli.config)?;
    let mut client = config.client(&cli.config)?;
    match cli.command {
        Command::Check { json } => {
            let check = client.check()?;
            for invalid in &check.invalid {
                note(&format!("warning: {invalid}\n"));
            }
            if json {
                let release = check.available.as_ref().map(|r| {
                    serde_json::json!({
                        "target": r.target,
                        "version": r.version.to_string(),
                        "channel": r.channel.as_str(),
                        "platform": r.platform,
                        "arch": r.arch,
                        "rollout_percent": r.rollout_percent,
                        "minimum_version": r.minimum_version.as_ref().map(ToString::to_string),
                        "signed": r.signature.is_some(),
                    })
                });
                let value = serde_json::json!({
                    "current": check.current.to_string(),
                    "available": release,
                    "invalid": check.invalid.iter().map(ToString::to_string).collect::<Vec<_>>(),
                });
                say(&format!("{value}\n"))?;
                return Ok(());
            }
            match check.available {
                Some(release) => say(&format!(
                    "update available: {} -> {} ({})\n",
                    check.current, release.version, release.target
                ))?,
                None => say(&format!("up to date: {}\n", check.current))?,
            }
        }
        Command::Download | Command::Install => {
            let Some(update) = client.check_for_update()? else {
                say(&format!("up to date: {}\n", client.current_version()))?;
                return Ok(());
            };
            let release = update.release().clone();
            // Progress is for a person watching; scripts get the result lines only.
            let report: Option<&(dyn Fn(&ProgressEvent) + Sync)> =
                std::io::stderr().is_terminal().then_some(&progress);
            let verified = update.download(report, None)?;
            say(&format!(
                "verified {} {} against TUF's hashes and the release key\n",
                release.target, release.version
            ))?;
            if matches!(cli.command, Command::Install) {
                client.install(verified, &SystemClock)?;
                let pending = client.installer().state().pending.clone();
                let deadline = pending.map(|p| p.policy.deadline_secs).unwrap_or_default();
                say(&format!(
                    "installed {}: it must confirm its health within {deadline} s, or it is rolled back\n",
                    release.version
                ))?;
            }
        }
        Command::Launched => match client.launched(&SystemClock)? {
            LaunchOutcome::Confirmed => say(&format!("running {}\n", client.current_version()))?,
            LaunchOutcome::AwaitingHealth {
                deadline,
                launches_left,
            } => say(&format!(
                "running {} on probation: confirm before {deadline} (Unix time), {launches_left} launch(es) left\n",
                client.current_version()
            ))?,
            LaunchOutcome::RolledBack { from, to } => say(&format!(
                "rolled back: {from} did not confirm its health; running {to}; {from} will not be offered again\n"
            ))?,
            _ => {}
        },
        Command::Confirm => {
            client.confirm()?;
            say(&format!("confirmed {}\n", client.current_version()))?;
        }
        Command::Rollback => {
            let from = client.current_version();
            let to = client.roll_back()?;
            say(&format!(
                "rolled back from {from} to {to}; {from} will not be offered again\n"
            ))?;
        }
        Command::Status => status(&client)?,
    }
    Ok(())
}

fn status(client: &Client) -> Result<(), CliError> {
    let state = client.installer().state();
    let mut text = format!("current: {}\n", client.current_version());
    if let Some(previous) = &state.previous {
        text.push_str(&format!("previous: {previous}\n"));
    }
    if let Some(pending) = &state.pending {
        text.push_str(&format!(
            "pending health confirmation: {} ({} launch(es) so far, deadline {})\n",
            pending.version,
            pending.launches,
            pending.deadline()
        ));
    }
    if !state.rejected.is_empty() {
        let rejected: Vec<String> = state.rejected.iter().map(ToString::to_string).collect();
        text.push_str(&format!("rejected: {}\n", rejected.join(", ")));
    }
    say(&text)
}
