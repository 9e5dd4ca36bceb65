//! Any bytes as a downloaded release archive (zip or tar.gz, told apart by their magic bytes):
//! unpacking gives a tree or an error, never a panic, and never writes outside the staging
//! directory. A decoy directory beside staging must stay empty, and staging's parent must hold
//! nothing but the archive, staging and the decoy.
#![no_main]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sigil_updater::install::archive::{Limits, unpack};

/// One scratch directory per fuzzing process: `archive`, `staging/` and `outside/` in it.
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("sigil-fuzz-archive-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("the fuzzing scratch directory can be created");
        dir
    })
}

/// Names in `dir`, sorted; an unreadable directory is a failed run, not an empty one.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("the scratch directory stays readable")
        .map(|entry| {
            entry
                .expect("the scratch directory stays readable")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

fuzz_target!(|data: &[u8]| {
    let dir = scratch();
    let archive = dir.join("archive");
    let staging = dir.join("staging");
    let outside = dir.join("outside");
    for path in [&staging, &outside] {
        let _ = fs::remove_dir_all(path);
        fs::create_dir(path).expect("staging and the decoy can be made");
    }
    fs::write(&archive, data).expect("the archive can be written");
    // Small limits: the fuzzer explores the member logic, not the disk's size.
    let limits = Limits {
        max_entries: 64,
        max_entry_bytes: 64 << 10,
        max_total_bytes: 256 << 10,
        max_ratio: 200,
    };
    let _ = unpack(&archive, &staging, &limits);
    assert_eq!(
        names(dir),
        ["archive", "outside", "staging"],
        "unpacking wrote beside the staging directory"
    );
    assert!(
        names(&outside).is_empty(),
        "unpacking wrote into the decoy directory beside staging"
    );
});
