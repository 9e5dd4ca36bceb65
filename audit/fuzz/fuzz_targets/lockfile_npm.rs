//! Any bytes named `package-lock.json` must give a lockfile or an error, never a panic or a hang.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sigil_audit::lockfile::{Limits, parse};

fuzz_target!(|data: &[u8]| {
    let _ = parse(Path::new("package-lock.json"), data, &Limits::default());
});
