//! Any bytes as a custody log's `entries.jsonl`, with any bytes as its `checkpoint`: opening the
//! log read-only, reading each entry and its predicate, verifying the whole log and tracing an
//! artifact give results, findings or errors, never a panic. An input is the checkpoint, a NUL
//! byte, then the entries; without a NUL byte it is all entries, and the log has no checkpoint.
#![no_main]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sigil_custody::store::{CHECKPOINT_FILE, ENTRIES_FILE};
use sigil_custody::{
    CheckpointTrust, DEFAULT_ORIGIN, KeyRing, Log, LogOptions, Sha256Digest, Verifier, trace,
};

fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("sigil-fuzz-log-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("the fuzzing scratch directory can be created");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = scratch();
    let entries = match data.iter().position(|&byte| byte == 0) {
        Some(nul) => {
            fs::write(dir.join(CHECKPOINT_FILE), &data[..nul])
                .expect("the checkpoint can be written");
            &data[nul + 1..]
        }
        None => {
            let _ = fs::remove_file(dir.join(CHECKPOINT_FILE));
            data
        }
    };
    fs::write(dir.join(ENTRIES_FILE), entries).expect("entries can be written");
    let Ok(log) = Log::open_read_only(dir, LogOptions::new().max_entry_bytes(64 << 10)) else {
        return;
    };
    for index in 0..log.size().min(64) {
        if let Ok(entry) = log.entry(index) {
            let _ = entry.predicate();
            let _ = entry.custody();
            let _ = entry.verify_signature(&KeyRing::new());
        }
    }
    let _ = log.read_checkpoint();
    let keys = KeyRing::new();
    let trust = CheckpointTrust::new(DEFAULT_ORIGIN, Vec::new());
    let _ = Verifier::new(&keys, &trust).verify(&log);
    let _ = trace(&log, &Sha256Digest::of(b"artifact"), &keys);
});
