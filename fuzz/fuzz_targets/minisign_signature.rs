//! A `.minisig` file from anywhere: parsing and verifying must never panic, and whatever parses
//! must encode back to something that parses to the same signature.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_keys::minisign::{LegacyMode, MinisignPublicKey, MinisignSignature, verify_reader};

const PUBLIC_KEY: &str = "RWRIyRnySTztpQrCZNj8gK8+yis9PPNPDRUW9M9YD2Zg69g1qZYBsmp8";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(signature) = MinisignSignature::decode(text) else {
        return;
    };
    let again =
        MinisignSignature::decode(&signature.encode()).expect("re-encoded signature parses");
    assert_eq!(again, signature);
    if let Ok(key) = MinisignPublicKey::from_base64(PUBLIC_KEY) {
        let _ = verify_reader(
            &key,
            &signature,
            std::io::Cursor::new(b"data"),
            LegacyMode::Accept,
        );
    }
});
