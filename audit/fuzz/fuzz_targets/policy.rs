//! Any bytes as a policy file must give a policy or an error, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_audit::policy::Policy;

fuzz_target!(|data: &[u8]| {
    let _ = Policy::from_bytes(data);
});
