//! Repository figures: adding 100,000 targets in bulk behind 256 hash bins and publishing them,
//! adding one more target incrementally, and the metadata bytes a client downloads for one
//! update check.
//!
//! Run: `cargo bench -p sigil-signer --bench repo` (`SIGIL_BENCH_TARGETS` for another count).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Instant;

use sigil_keys::{PasswordSource, Scheme};
use sigil_signer::repo::Repository;
use sigil_signer::repo::delegate::DelegateRequest;
use sigil_signer::repo::init::InitRequest;
use sigil_signer::repo::keyring::KeyRing;
use sigil_signer::repo::targets::AddRequest;
use sigil_updater::tuf::{DirStorage, FileTransport, SystemClock, TargetPath, UpdaterBuilder};

fn dir_bytes(dir: &Path, names: &[String]) -> u64 {
    names
        .iter()
        .map(|name| std::fs::metadata(dir.join(name)).map_or(0, |m| m.len()))
        .sum()
}

fn main() {
    let count: usize = std::env::var("SIGIL_BENCH_TARGETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    let clock = SystemClock;
    let keys_dir = work.join("keys");
    let mut repository = InitRequest::new(&work.join("repo"), &keys_dir, None)
        .create(&clock)
        .unwrap()
        .repository;
    let keyring = KeyRing::new(&keys_dir, PasswordSource::None);
    DelegateRequest::hash_bins("bin", 8)
        .generate(&keys_dir, Scheme::Ed25519, None)
        .apply(&mut repository, &keyring, &clock)
        .unwrap();
    let keyring = KeyRing::new(&keys_dir, PasswordSource::None);

    let files = work.join("files");
    std::fs::create_dir_all(&files).unwrap();
    for i in 0..count {
        std::fs::write(
            files.join(format!("file-{i:06}.bin")),
            format!("content {i}"),
        )
        .unwrap();
    }
    let start = Instant::now();
    AddRequest::from_dir(&files, None)
        .unwrap()
        .apply(&mut repository, &keyring, &clock)
        .unwrap();
    let added = start.elapsed();
    let site = work.join("site");
    let start = Instant::now();
    let published = repository.publish(&site, &clock).unwrap();
    let first_publish = start.elapsed();
    println!(
        "bulk add of {count} targets into 256 hash bins: {:.1} s; first publish (writes and verifies from the outside): {:.1} s, {} files",
        added.as_secs_f64(),
        first_publish.as_secs_f64(),
        published.written.len()
    );

    let extra = work.join("one-more.bin");
    std::fs::write(&extra, b"one more release file").unwrap();
    let mut repository = Repository::open(&work.join("repo")).unwrap();
    let start = Instant::now();
    AddRequest::plain(vec![extra])
        .apply(&mut repository, &keyring, &clock)
        .unwrap();
    let published = repository.publish(&site, &clock).unwrap();
    println!(
        "incremental add of one target and publish: {:.2} s, {} files written",
        start.elapsed().as_secs_f64(),
        published.written.len()
    );

    // One update check by a fresh client: which metadata files it fetches, and their size.
    let state = work.join("client");
    std::fs::create_dir_all(&state).unwrap();
    let root = std::fs::read(site.join("metadata/1.root.json")).unwrap();
    let mut client = UpdaterBuilder::new(
        &format!("file://{}/metadata/", site.display()),
        FileTransport,
        DirStorage::new(&state),
    )
    .initial_root(root.clone())
    .load()
    .unwrap();
    client.refresh().unwrap();
    client
        .target_info(&TargetPath::parse("one-more.bin").unwrap())
        .unwrap()
        .unwrap();
    let fetched: Vec<String> = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let bytes = dir_bytes(&state, &fetched);
    println!(
        "one update check by a new client (root, timestamp, snapshot, targets, one bin): {} files, {} bytes of metadata ({} bytes of them root, shipped with the app)",
        fetched.len(),
        bytes,
        root.len()
    );
}
