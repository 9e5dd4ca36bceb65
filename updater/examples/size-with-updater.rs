//! The same minimal app with sigil's updater linked in and reachable, for the binary size
//! benchmark (`cargo bench --bench size`): it checks for an update when given a configuration.

#![allow(clippy::print_stdout)]

use sigil_updater::client::config::Config;
use sigil_updater::download::AnySource;
use sigil_updater::tuf::SystemClock;

fn main() {
    println!("hello from a minimal app");
    let Some(path) = std::env::args_os().nth(1).map(std::path::PathBuf::from) else {
        return;
    };
    let run = || -> Result<(), Box<dyn std::error::Error>> {
        let config = Config::load(&path)?;
        let mut client = config.client(&path)?;
        if let Some(release) = client.check()?.available {
            let source = AnySource::new(&config.network_options())?;
            let verified = client.download(&release, &source, None, None)?;
            client.install(verified, &SystemClock)?;
        }
        client.launched(&SystemClock)?;
        Ok(())
    };
    if let Err(error) = run() {
        println!("update failed: {error}");
    }
}
