//! The library an app links to update itself: a TUF client, and on it release choice,
//! installation and rollback.
//!
//! What it does:
//! - [`tuf`]: a client of the TUF specification 1.0.x (written against 1.0.34), section 5
//!   "detailed client workflow": root rotation with both thresholds, rollback and freeze checks
//!   at every step, fast-forward recovery, hash- and length-pinned snapshot and targets
//!   metadata, delegations (paths, path hash prefixes, TAP 15 succinct hash bins) searched in
//!   pre-order, and consistent snapshots. Key types: ed25519, ecdsa-sha2-nistp256,
//!   rsassa-pss-sha256 (through `sigil-keys`); hashes: sha256 and sha512 (ring). Transport,
//!   storage and clock are injected ([`tuf::Transport`], [`tuf::Storage`], [`tuf::Clock`]) so
//!   every attack in the specification's threat list can be played offline; every download is
//!   bounded ([`tuf::Limits`]);
//! - [`release`]: picks the newest eligible release for this install from release metadata
//!   (semver, platform, arch, channel, minimum version, staged rollout by a stable per-install
//!   bucket, halted rollouts, releases that failed here before);
//! - [`download`]: resumable artifact downloads verified as they stream, with retries, mirror
//!   failover, progress, cancellation, proxies and private-feed headers;
//! - [`install`]: unpacks zip and tar.gz archives into a staging directory with hostile-archive
//!   defences, swaps the new version in atomically while keeping the previous one, and rolls
//!   back when the new version misses its health deadline;
//! - [`client`]: all of it as an app runs it, with the release's minisign signature checked
//!   against the key pinned in the app, and a custody receipt for every step.
//!
//! Not supported: TAP 4 multi-repository consensus (map files), TAP 5 root-specified URLs,
//! hashing algorithms other than sha256 and sha512 (metadata listing only others is refused),
//! and targets whose exact length is unknown (TUF 5.7.3 allows downloading "up to" the length;
//! sigil requires it exactly, as python-tuf and go-tuf do). Nothing here prints, prompts or
//! exits.

pub mod client;
pub mod download;
mod error_kind;
pub mod install;
pub use sigil_tuf::release;
pub mod transport;
pub mod tuf;
