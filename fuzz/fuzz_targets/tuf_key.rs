//! TUF key objects from metadata: parsing, key ids and key conversion must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_keys::TufKey;

fuzz_target!(|data: &[u8]| {
    let Ok(key) = serde_json::from_slice::<TufKey>(data) else {
        return;
    };
    let _ = key.key_id();
    let _ = key.to_public_key();
});
