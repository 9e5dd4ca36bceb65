//! The TUF client's figures: refresh and one target lookup in a repository of 10,000 targets
//! behind 256 succinct hash-bin delegations; download-and-verify throughput of a 1 GiB target
//! over file:// next to `sha256sum` on the same file; and peak memory for 10 MiB and 1 GiB
//! targets (each in a child process, so the peak is its own).
//!
//! Run: `cargo bench -p sigil-updater --bench tuf`
//! Options: `SIGIL_BENCH_TARGETS` (10000), `SIGIL_BENCH_ROUNDS` (10), `SIGIL_BENCH_SIZES_MIB`
//! (`10,1024`).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Map;
use sigil_keys::PrivateKey;
use sigil_updater::tuf::metadata::{Delegations, SuccinctRoles, TargetFile, Targets};
use sigil_updater::tuf::{
    DirStorage, FileTransport, FixedClock, TargetDownload, TargetPath, Transport, TransportError,
    Updater, UpdaterBuilder,
};
use support::{METADATA_URL, NOW, Repo, TestTransport, expires_in, keyid, new_key};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kib| kib.parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn empty_targets() -> Targets {
    Targets {
        role_type: "targets".into(),
        spec_version: "1.0.31".into(),
        version: 1,
        expires: expires_in(90),
        targets: BTreeMap::new(),
        delegations: None,
        extra: Map::new(),
    }
}

/// A repository whose targets role delegates to 256 hash bins holding `count` targets.
fn hash_bin_repository(count: u64) -> Repo {
    let mut repo = Repo::new();
    let bin_key = new_key();
    let der = bin_key.to_pkcs8_der().unwrap();
    repo.targets.delegations = Some(Delegations {
        keys: BTreeMap::from([(keyid(&bin_key), bin_key.public_key().to_tuf_key())]),
        roles: None,
        succinct_roles: Some(SuccinctRoles {
            keyids: vec![keyid(&bin_key)],
            threshold: 1,
            bit_length: 8,
            name_prefix: "bin".into(),
            extra: Map::new(),
        }),
        extra: Map::new(),
    });
    for bin in 0..256u32 {
        let name = format!("bin-{bin:02x}");
        repo.delegated.insert(name.clone(), empty_targets());
        repo.signers.insert(
            name,
            vec![PrivateKey::from_pkcs8_der(der.expose()).unwrap()],
        );
    }
    for i in 0..count {
        let path = format!("releases/file-{i}.bin");
        let bin = ring::digest::digest(&ring::digest::SHA256, path.as_bytes()).as_ref()[0];
        repo.add_target(
            &format!("bin-{bin:02x}"),
            &path,
            format!("content {i}").as_bytes(),
        );
    }
    repo.publish_new_versions();
    repo
}

/// Metadata from the in-memory repository, targets from disk.
#[derive(Clone)]
struct Split {
    metadata: TestTransport,
}

impl Transport for Split {
    fn fetch(&self, url: &str, max_len: u64) -> Result<Box<dyn Read + Send + '_>, TransportError> {
        if url.starts_with("file://") {
            FileTransport.fetch(url, max_len)
        } else {
            self.metadata.fetch(url, max_len)
        }
    }
}

fn updater(repo: &Repo, dir: &Path) -> Updater {
    UpdaterBuilder::new(
        METADATA_URL,
        Split {
            metadata: repo.transport.clone(),
        },
        DirStorage::new(dir),
    )
    .clock(FixedClock(NOW))
    .initial_root(repo.roots[&1].clone())
    .load()
    .unwrap()
}

fn write_noise(path: &Path, mib: u64) -> (String, String) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut sha256 = ring::digest::Context::new(&ring::digest::SHA256);
    let mut sha512 = ring::digest::Context::new(&ring::digest::SHA512);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..mib {
        for byte in &mut block {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = state as u8;
        }
        sha256.update(&block);
        sha512.update(&block);
        file.write_all(&block).unwrap();
    }
    file.flush().unwrap();
    (hex::encode(sha256.finish()), hex::encode(sha512.finish()))
}

/// Downloads one `mib` MiB target over file:// and prints time and peak memory.
fn download_one(mib: u64) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    let (sha256, sha512) = write_noise(&site.join("big.bin"), mib);
    let mut repo = Repo::new();
    repo.targets.targets.insert(
        "big.bin".into(),
        TargetFile {
            length: mib << 20,
            hashes: BTreeMap::from([("sha256".into(), sha256), ("sha512".into(), sha512)]),
            custom: None,
            extra: Map::new(),
        },
    );
    repo.publish_new_versions();
    let state = dir.path().join("state");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let mut client = updater(&repo, &state);
    client.refresh().unwrap();
    let target = client
        .target_info(&TargetPath::parse("big.bin").unwrap())
        .unwrap()
        .unwrap();
    let before = peak_rss_mib();
    let start = Instant::now();
    client
        .download_target(&target, &format!("file://{}/", site.display()), &out)
        .unwrap();
    let elapsed = start.elapsed();
    println!(
        "{mib:>5} MiB target over file://: {:.2} s ({:.0} MiB/s), sha256+sha512 checked; peak RSS {:.1} MiB (before the download: {:.1})",
        elapsed.as_secs_f64(),
        mib as f64 / elapsed.as_secs_f64(),
        peak_rss_mib(),
        before
    );
    if mib >= 512 {
        let start = Instant::now();
        let status = std::process::Command::new("sha256sum")
            .arg(site.join("big.bin"))
            .stdout(std::process::Stdio::null())
            .status();
        if status.is_ok_and(|s| s.success()) {
            let sha256sum = start.elapsed();
            println!(
                "      sha256sum on the same file: {:.2} s; ratio sigil/sha256sum {:.2} (sigil also checks sha512 and copies)",
                sha256sum.as_secs_f64(),
                elapsed.as_secs_f64() / sha256sum.as_secs_f64()
            );
        }
    }
    elapsed
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(position) = args.iter().position(|a| a == "--download") {
        download_one(args[position + 1].parse().unwrap());
        return;
    }
    let count = env_number("SIGIL_BENCH_TARGETS", 10_000);
    let rounds = env_number("SIGIL_BENCH_ROUNDS", 10).max(1);
    let started = Instant::now();
    let repo = hash_bin_repository(count);
    println!(
        "built a repository of {count} targets in 256 hash bins in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let path = TargetPath::parse("releases/file-4242.bin").unwrap();
    let mut times = Vec::new();
    let mut fetched = 0usize;
    for _ in 0..rounds {
        let dir = tempfile::tempdir().unwrap();
        let before = repo.transport.requests().len();
        let start = Instant::now();
        let mut client = updater(&repo, dir.path());
        client.refresh().unwrap();
        let found = client.target_info(&path).unwrap();
        times.push(start.elapsed());
        assert!(found.is_some());
        let requests = repo.transport.requests();
        fetched = requests[before..]
            .iter()
            .filter_map(|url| repo.transport.get(url))
            .map(|bytes| bytes.len())
            .sum();
    }
    println!(
        "fresh client: refresh + one target lookup: median {:.1} ms over {rounds} rounds; {} metadata bytes fetched (root, timestamp, snapshot, targets, one bin)",
        median(times).as_secs_f64() * 1e3,
        fetched
    );
    let sizes = std::env::var("SIGIL_BENCH_SIZES_MIB").unwrap_or_else(|_| "10,1024".into());
    let exe = std::env::current_exe().unwrap();
    for size in sizes.split(',') {
        let status = std::process::Command::new(&exe)
            .args(["--download", size.trim()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}
