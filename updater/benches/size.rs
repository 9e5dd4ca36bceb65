//! The size the updater adds to a shipped app: a minimal binary with and without the library,
//! built with the workspace's release profile (LTO, one codegen unit, stripped).
//!
//! Run: `cargo bench -p sigil-updater --bench size` (builds both in release mode first).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

fn build(example: &str) -> u64 {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "-q",
            "-p",
            "sigil-updater",
            "--example",
            example,
        ])
        .status()
        .expect("run cargo");
    assert!(status.success(), "building {example} failed");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let exe = target
        .join("release/examples")
        .join(format!("{example}{}", std::env::consts::EXE_SUFFIX));
    std::fs::metadata(&exe).expect("built example").len()
}

fn main() {
    let baseline = build("size-baseline");
    let with = build("size-with-updater");
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!(
        "minimal app, stripped release build:      {:>6.2} MiB",
        mib(baseline)
    );
    println!(
        "the same with sigil-updater (check, download, verify, install, rollback, HTTPS): {:>6.2} MiB",
        mib(with)
    );
    println!(
        "added by the updater:                      {:>6.2} MiB",
        mib(with - baseline)
    );
}
