//! Any bytes as an OSV record, and as a zip archive of records, must give a database or an
//! error, never a panic; a record that parses is matched against a few versions.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_audit::advisory::{Database, DatabaseLimits, osv};

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(advisory)) = osv::parse(data) {
        for affected in &advisory.affected {
            for v in ["0.0.0", "1.0.0-rc.1", "1.2.3", "99.0.0", "not-a-version"] {
                let _ = affected.contains(v);
            }
        }
    }
    let limits = DatabaseLimits {
        max_record_bytes: 64 * 1024,
        max_records: 1000,
        max_unpacked_bytes: 1024 * 1024,
        max_depth: 4,
    };
    let _ = Database::new().add_zip("fuzz.zip", std::io::Cursor::new(data), &limits);
});
