//! minisign public and secret key files from anywhere. Secret keys are parsed without a
//! password, so a hostile KDF setting costs nothing here.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_keys::minisign::{MinisignPublicKey, MinisignSecretKey};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = MinisignPublicKey::decode(text) {
        assert_eq!(
            MinisignPublicKey::decode(&key.encode()).expect("re-encoded key parses"),
            key
        );
    }
    let _ = MinisignSecretKey::is_encrypted(text);
    let _ = MinisignSecretKey::decode(text, None);
});
