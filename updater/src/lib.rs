//! The library an app links to update itself: choose a release, install it atomically, and roll
//! back a release that does not confirm its health.
//!
//! What it does:
//! - [`release`]: picks the newest eligible release for this install from release metadata
//!   (semver, platform, arch, channel, minimum version, staged rollout by a stable per-install
//!   bucket, halted rollouts, releases that failed here before);
//! - [`install`]: unpacks zip and tar.gz archives into a staging directory with hostile-archive
//!   defences, swaps the new version in atomically while keeping the previous one, and rolls
//!   back when the new version misses its health deadline.
//!
//! What it does not do: print, prompt or exit; read the system clock where a test needs to
//! control time (the install state machine takes the time as an argument).

pub mod install;
pub mod release;
