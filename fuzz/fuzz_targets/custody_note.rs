//! Any text as a checkpoint, a signed note, a note verifier key or an offline entry proof: each
//! parser gives a value or an error, never a panic, and a parsed checkpoint prints back to text
//! that parses to the same checkpoint.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_custody::note::SignedNote;
use sigil_custody::{Checkpoint, CheckpointTrust, DEFAULT_ORIGIN, EntryProof, NoteVerifier};

fuzz_target!(|data: &[u8]| {
    let _ = EntryProof::from_json(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(checkpoint) = Checkpoint::from_text(text) {
        let again =
            Checkpoint::from_text(&checkpoint.to_text()).expect("a checkpoint's own text parses");
        assert_eq!(again.to_text(), checkpoint.to_text());
    }
    let _ = SignedNote::parse(text);
    let verifiers: Vec<NoteVerifier> = text
        .lines()
        .filter_map(|line| NoteVerifier::parse(line).ok())
        .collect();
    let _ = CheckpointTrust::new(DEFAULT_ORIGIN, verifiers).verify(text);
});
