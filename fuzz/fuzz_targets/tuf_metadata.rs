//! TUF metadata as a repository serves it: the envelope, each role's typed view, and a trusted
//! root built from it must never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_updater::tuf::metadata::{Envelope, Metadata, Root, Snapshot, Targets, Timestamp};
use sigil_updater::tuf::{TrustedSet, UnixTime};

fuzz_target!(|data: &[u8]| {
    let _ = Envelope::from_bytes(data);
    let _ = Metadata::<Timestamp>::from_bytes(data);
    let _ = Metadata::<Snapshot>::from_bytes(data);
    if let Ok(targets) = Metadata::<Targets>::from_bytes(data) {
        // The delegation search reads paths, prefixes and succinct bins from it.
        if let Some(delegations) = &targets.signed().delegations {
            let _ = delegations.roles_for_target("a/b.tgz");
            let _ = delegations.keys_for_role("bin-00");
        }
    }
    if Metadata::<Root>::from_bytes(data).is_ok() {
        let _ = TrustedSet::new(data, UnixTime::saturating_from_unix_seconds(1_900_000_000));
    }
});
