//! The release pipeline's signing tool: key generation, and minisign signatures over build
//! artifacts that the `minisign` CLI, tauri-plugin-updater and sigil's updater all verify.
//!
//! Every key generated and every artifact signed can be recorded in a chain-of-custody log
//! ([`custody`]), signed by the key that did it.
//!
//! The `sigil-signer` binary is a thin layer over this library. Nothing here prints, prompts or
//! exits; passwords come in through [`sigil_keys::PasswordSource`].
//!
//! Not here yet: the TUF repository commands and release manifests, which build on the updater's
//! TUF metadata model.

pub mod custody;
pub mod keygen;
pub mod sign;
pub mod verify;
