//! The release pipeline's signing tool: key generation, and minisign signatures over build
//! artifacts that the `minisign` CLI, tauri-plugin-updater and sigil's updater all verify.
//!
//! Every key generated and every artifact signed can be recorded in a chain-of-custody log
//! ([`custody`]), signed by the key that did it.
//!
//! The `sigil-signer` binary is a thin layer over this library. Nothing here prints, prompts or
//! exits; passwords come in through [`sigil_keys::PasswordSource`].
//!
//! The TUF repository editor ([`repo`]) creates, edits, signs and publishes a static TUF
//! repository (specification 1.0.x, consistent snapshots) with the metadata model of
//! `sigil-updater`, and checks every publication with that crate's client.
//!
//! For apps not yet on sigil's updater, [`manifest`] writes the release manifests that
//! tauri-plugin-updater and electron-updater read.
//!
//! Not here yet: delegations more than one level deep.

pub mod custody;
mod error_kind;
pub mod keygen;
pub mod manifest;
pub mod repo;
pub mod sign;
pub mod verify;
