//! PKCS#8 private keys in DER and PEM from anywhere (encrypted ones stop before their KDF
//! without a password).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_keys::PrivateKey;

fuzz_target!(|data: &[u8]| {
    let _ = PrivateKey::from_pkcs8_der(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = PrivateKey::from_pkcs8_pem(text, None);
    }
});
