//! The updater library that apps link: a TUF client first, on which release choice, download,
//! install and rollback build.
//!
//! The client follows the TUF specification 1.0.x (written against 1.0.34), section 5 "detailed
//! client workflow": root rotation with both thresholds, rollback and freeze checks at every
//! step, fast-forward recovery, hash- and length-pinned snapshot and targets metadata,
//! delegations (paths, path hash prefixes, TAP 15 succinct hash bins) searched in pre-order, and
//! consistent snapshots. Key types: ed25519, ecdsa-sha2-nistp256, rsassa-pss-sha256 (through
//! `sigil-keys`); hashes: sha256 and sha512 (ring).
//!
//! Not supported: TAP 4 multi-repository consensus (map files), TAP 5 root-specified URLs,
//! mirrors (one metadata URL and one target URL per repository), hashing algorithms other than
//! sha256 and sha512 (metadata listing only others is refused), and targets whose exact length
//! is unknown (TUF 5.7.3 allows downloading "up to" the length; sigil requires it exactly, as
//! python-tuf and go-tuf do).
//!
//! Transport, storage and clock are injected ([`tuf::Transport`], [`tuf::Storage`],
//! [`tuf::Clock`]) so every attack in the specification's threat list can be played offline;
//! every download is bounded ([`tuf::Limits`]). Nothing here prints or exits.

pub mod tuf;
