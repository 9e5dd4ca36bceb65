//! Target paths requested by an app and path patterns from delegations: parsing, URL and file
//! name forms, and pattern matching must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_updater::tuf::metadata::path_matches;
use sigil_updater::tuf::{Expires, TargetPath};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(path) = TargetPath::parse(text) {
        let _ = path.url_path(Some("ab"));
        let _ = path.file_name();
    }
    let _ = Expires::parse(text);
    if let Some((pattern, path)) = text.split_once('\n') {
        let _ = path_matches(pattern, path);
    }
});
