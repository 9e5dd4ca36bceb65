//! The code of the guide "Add sigil to a Rust or Tauri app", compiled with the crate so that the
//! guide cannot drift from the API. Run it against an update configuration:
//! `cargo run -p sigil-updater --example embed -- path/to/sigil-updater.toml`.

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

use std::path::Path;
use std::sync::atomic::AtomicBool;

use sigil_updater::client::Client;
use sigil_updater::client::config::Config;
use sigil_updater::download::ProgressEvent;
use sigil_updater::install::LaunchOutcome;
use sigil_updater::tuf::SystemClock;

// ANCHOR: client
fn make_client(config_path: &Path) -> Result<Client, Box<dyn std::error::Error>> {
    let config = Config::load(config_path)?;
    Ok(config.client(config_path)?)
}
// ANCHOR_END: client

// ANCHOR: launch
fn at_start(client: &mut Client) -> Result<(), Box<dyn std::error::Error>> {
    if let LaunchOutcome::RolledBack { from, to } = client.launched(&SystemClock)? {
        eprintln!("{from} did not confirm its health: rolled back to {to}");
    }
    Ok(())
}
// ANCHOR_END: launch

// ANCHOR: update
fn update(client: &mut Client, cancel: &AtomicBool) -> Result<bool, Box<dyn std::error::Error>> {
    // Refreshes TUF metadata and picks the release for this installation.
    let Some(update) = client.check_for_update()? else {
        return Ok(false);
    };
    for (release, why) in update.skipped() {
        eprintln!("passed over {}: {why:?}", release.version);
    }
    let on_event = |event: &ProgressEvent| match event {
        ProgressEvent::Started {
            total,
            resumed_from,
        } => {
            eprintln!("downloading {total} bytes (from {resumed_from})");
        }
        ProgressEvent::Chunk(progress) => {
            eprint!("\r{} of {} bytes", progress.downloaded, progress.total);
        }
        ProgressEvent::Verifying => eprintln!("\nchecking the release key"),
        ProgressEvent::Finished { .. } => eprintln!("verified"),
        _ => {}
    };
    // TUF's length and hashes as the bytes stream, then the release key pinned in the app.
    let downloaded = update.download(Some(&on_event), Some(cancel))?;
    // Atomic switch; the new version must confirm its health or it is rolled back.
    client.install(downloaded, &SystemClock)?;
    Ok(true)
}
// ANCHOR_END: update

fn main() {
    let Some(path) = std::env::args_os().nth(1).map(std::path::PathBuf::from) else {
        eprintln!("usage: embed CONFIG.toml");
        std::process::exit(2);
    };
    let cancel = AtomicBool::new(false);
    let run = || -> Result<(), Box<dyn std::error::Error>> {
        let mut client = make_client(&path)?;
        at_start(&mut client)?;
        // ANCHOR: confirm
        // Once the app has started properly (its window is up, its agent runtime answered):
        client.confirm()?;
        // ANCHOR_END: confirm
        if update(&mut client, &cancel)? {
            println!("installed; restart into it");
        } else {
            println!("up to date: {}", client.current_version());
        }
        Ok(())
    };
    if let Err(error) = run() {
        eprintln!("update failed: {error}");
        std::process::exit(1);
    }
}
