//! A tamper-evident chain-of-custody log: who built, audited, signed, published, downloaded,
//! installed and rolled back each artifact, recorded so that nobody can rewrite that history
//! unnoticed.
//!
//! What it does:
//! - entries are in-toto Statements v1 (SLSA provenance v1 for builds, sigil's predicate types
//!   for the other steps, see [`predicate`]) in DSSE envelopes, signed through
//!   [`sigil_keys::Signer`]; each records its signer, its time (from an injected [`Clock`]) and
//!   the tree it was appended after;
//! - the log is an RFC 9162 Merkle tree (RFC 6962 hashing) with inclusion and consistency
//!   proofs ([`merkle`]);
//! - on disk it is a directory of plain files ([`store`]): appends are durable and serialized
//!   across processes by a file lock, and a torn write left by a crash is cut back on open;
//! - checkpoints are C2SP tlog-checkpoints in C2SP signed notes with Ed25519 keys, cosigned by
//!   witnesses with C2SP `cosignature/v1`; a verifier can require a quorum of trusted witnesses
//!   ([`checkpoint`], [`note`]);
//! - [`witness`] is the C2SP tlog-witness `add-checkpoint` call: it cosigns a checkpoint only
//!   if it extends the last one cosigned for that log;
//! - [`Verifier`] re-derives the tree, checks every signature (on every core, holding only
//!   hashes) and each entry's place, a checkpoint, and consistency with an earlier checkpoint,
//!   and reports typed [`Finding`]s with the entry index and the reason; [`trace()`] lists the entries about one artifact;
//!   [`EntryProof`] proves one entry to a verifier who has neither the log nor a network;
//! - [`tiles::write_tiles`] writes the log as a static C2SP tlog-tiles tree.
//!
//! What it deliberately does not do: run a log server or any network transport (checkpoints and
//! tiles are files to publish; the witness call takes and returns bytes), read logs from tiles,
//! sign checkpoints with anything but Ed25519 note keys, or decide whom to trust (callers pass
//! the trusted keys). It never prints, prompts or exits.
//!
//! Specifications followed: RFC 9162 section 2.1 (Merkle tree, proofs), in-toto attestation
//! framework v1 (Statement), DSSE v1.0, SLSA provenance v1, C2SP signed-note, tlog-checkpoint,
//! tlog-cosignature (`cosignature/v1`), tlog-witness and tlog-tiles.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod checkpoint;
pub mod clock;
pub mod dsse;
pub mod entry;
pub mod merkle;
pub mod note;
pub mod offline;
pub mod predicate;
pub mod statement;
pub mod store;
pub mod tiles;
pub mod trace;
pub mod verify;
pub mod witness;

pub use checkpoint::{Checkpoint, CheckpointTrust, VerifiedCheckpoint};

/// The origin (and note key name) of a log whose writer names none.
pub const DEFAULT_ORIGIN: &str = "sigil-custody-log";
pub use clock::{Clock, FixedClock, SystemClock, Timestamp};
pub use dsse::KeyRing;
pub use entry::{Entry, EntryDraft};
pub use note::{NoteSigner, NoteVerifier};
pub use offline::EntryProof;
pub use predicate::Predicate;
pub use statement::{Sha256Digest, Subject};
pub use store::{Log, LogOptions};
pub use trace::{Lineage, trace, trace_lineage};
pub use verify::{Finding, FindingKind, Report, Verifier};
