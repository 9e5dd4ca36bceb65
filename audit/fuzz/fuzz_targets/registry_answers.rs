//! Any bytes a registry answers with (sparse index file, npm version document, npm keys
//! document; the same bytes for every URL, so one JSON object can be all three) must give
//! findings or an error, never a panic.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sigil_audit::Auditor;
use sigil_audit::lockfile::{Limits, parse};
use sigil_audit::online::{Fetch, Fetched, OnlineCheck, OnlineError};
use sigil_audit::policy::{Date, Policy};

const CARGO_LOCK: &str = r#"version = 3

[[package]]
name = "serde"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "abababababababababababababababababababababababababababababababab"
"#;

const PACKAGE_LOCK: &str = r#"{"name": "app", "version": "1.0.0", "lockfileVersion": 3, "packages": {
  "": {"name": "app", "version": "1.0.0"},
  "node_modules/pkg": {"version": "1.0.0",
    "resolved": "https://registry.npmjs.org/pkg/-/pkg-1.0.0.tgz",
    "integrity": "sha512-AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ==",
    "license": "MIT"}}}"#;

struct Canned(Vec<u8>);

impl Fetch for Canned {
    fn get(&self, _url: &str) -> Result<Fetched, OnlineError> {
        Ok(Fetched::Body(self.0.clone()))
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let (Ok(cargo), Ok(npm)) = (
        parse(Path::new("Cargo.lock"), CARGO_LOCK.as_bytes(), &limits),
        parse(
            Path::new("package-lock.json"),
            PACKAGE_LOCK.as_bytes(),
            &limits,
        ),
    ) else {
        return;
    };
    let Ok(today) = "2026-11-25".parse::<Date>() else {
        return;
    };
    let online = OnlineCheck::new(Canned(data.to_vec()));
    let _ =
        Auditor::new(Policy::builtin(), today).audit_lockfiles_online(vec![cargo, npm], &online);
});
