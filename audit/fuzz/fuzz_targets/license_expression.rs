//! Any declared license must read as an expression or fail, and a reading must evaluate
//! against the built-in policy, never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_audit::license::{evaluate, read};
use sigil_audit::policy::Policy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(reading) = read(text) {
        let _ = evaluate(reading.expression(), &Policy::builtin().licenses, &[]);
    }
});
