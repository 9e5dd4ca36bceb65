//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicI64, Ordering};

use sigil_custody::clock::{Clock, Timestamp};
use sigil_custody::entry::EntryDraft;
use sigil_custody::predicate::{ArtifactSignature, Predicate};
use sigil_custody::statement::{Sha256Digest, Subject};
use sigil_keys::{PrivateKey, Scheme, Signer};

/// A clock that starts at 2026-01-01T00:00:00Z and ticks one minute per reading.
#[derive(Debug)]
pub(crate) struct TickingClock(AtomicI64);

impl Default for TickingClock {
    fn default() -> Self {
        Self(AtomicI64::new(1_767_225_600))
    }
}

impl Clock for TickingClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_seconds(self.0.fetch_add(60, Ordering::SeqCst)).unwrap()
    }
}

pub(crate) fn key() -> PrivateKey {
    PrivateKey::generate(Scheme::Ed25519).unwrap()
}

/// The digest of the artifact named `name`.
pub(crate) fn artifact(name: &str) -> Sha256Digest {
    Sha256Digest::of(name.as_bytes())
}

/// An artifact-signature entry about the artifact `name`.
pub(crate) fn signed(name: &str, signer: &dyn Signer) -> EntryDraft {
    EntryDraft::new(
        vec![Subject::new(name, artifact(name))],
        Predicate::ArtifactSignature(ArtifactSignature {
            format: "minisign".into(),
            key_id: signer.key_id(),
            signature_sha256: Sha256Digest::of(format!("{name}.minisig").as_bytes()).to_hex(),
        }),
    )
    .identity("release-ci@example.com")
}
