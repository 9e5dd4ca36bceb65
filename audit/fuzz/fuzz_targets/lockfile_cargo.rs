//! Any bytes named `Cargo.lock` must give a lockfile or an error, never a panic or a hang.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sigil_audit::lockfile::{Limits, parse};

fuzz_target!(|data: &[u8]| {
    let _ = parse(Path::new("Cargo.lock"), data, &Limits::default());
});
