//! SubjectPublicKeyInfo in DER and PEM from anywhere.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_keys::PublicKey;

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = PublicKey::from_spki_der(data) {
        assert_eq!(
            PublicKey::from_spki_der(&key.to_spki_der()).expect("re-encoded key parses"),
            key
        );
        let _ = key.verify(b"message", data);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = PublicKey::from_spki_pem(text);
    }
});
