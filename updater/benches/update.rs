//! The updater's figures: check latency against a local repository, and download + verify +
//! install time and peak memory for 100 MiB and 1 GiB releases.
//!
//! Run: `cargo bench -p sigil-updater --bench update`
//! Sizes: `SIGIL_BENCH_SIZES_MIB` (default `100,1024`); check rounds: `SIGIL_BENCH_ROUNDS` (20).
//! Each size runs in a child process so that its peak memory (VmHWM) is its own.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use semver::Version;
use serde_json::{Map, json};
use sigil_keys::minisign::{MinisignSecretKey, SignOptions, sign_reader};
use sigil_updater::client::{Client, Settings};
use sigil_updater::download::FileSource;
use sigil_updater::install::Installer;
use sigil_updater::install::archive::Limits;
use sigil_updater::release::InstallId;
use sigil_updater::tuf::metadata::TargetFile;
use sigil_updater::tuf::{DirStorage, FixedClock, UpdaterBuilder};
use support::{METADATA_URL, NOW, Repo};

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

/// A tar.gz (stored, not compressed: release payloads are usually compressed already) of
/// `mib` MiB of pseudo-random bytes, written to `path`. Returns its length and hashes.
fn write_release(path: &Path, mib: u64) -> (u64, String, String) {
    {
        let file = std::fs::File::create(path).unwrap();
        let gz = flate2::write::GzEncoder::new(
            std::io::BufWriter::new(file),
            flate2::Compression::none(),
        );
        let mut builder = tar::Builder::new(gz);
        let mut header = tar::Header::new_gnu();
        header.set_size(mib << 20);
        header.set_mode(0o644);
        header.set_cksum();
        let reader = Noise {
            state: 0x2545_F491_4F6C_DD1D,
            left: mib << 20,
        };
        builder
            .append_data(&mut header, "app/payload.bin", reader)
            .unwrap();
        builder
            .into_inner()
            .unwrap()
            .finish()
            .unwrap()
            .flush()
            .unwrap();
    }
    let mut file = std::fs::File::open(path).unwrap();
    let mut sha256 = ring::digest::Context::new(&ring::digest::SHA256);
    let mut sha512 = ring::digest::Context::new(&ring::digest::SHA512);
    let mut buffer = vec![0u8; 1 << 20];
    let mut length = 0u64;
    loop {
        let n = file.read(&mut buffer).unwrap();
        if n == 0 {
            break;
        }
        length += n as u64;
        sha256.update(&buffer[..n]);
        sha512.update(&buffer[..n]);
    }
    (
        length,
        hex::encode(sha256.finish()),
        hex::encode(sha512.finish()),
    )
}

/// `left` pseudo-random bytes.
struct Noise {
    state: u64,
    left: u64,
}

impl Read for Noise {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        for byte in &mut buf[..n] {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            *byte = self.state as u8;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn client(repo: &Repo, dir: &Path, release_key: &MinisignSecretKey, site: &Path) -> Client {
    let tuf_dir = dir.join("tuf");
    std::fs::create_dir_all(&tuf_dir).unwrap();
    let (transport, root) = (repo.transport.clone(), repo.roots[&1].clone());
    let make_updater = move || {
        UpdaterBuilder::new(METADATA_URL, transport.clone(), DirStorage::new(&tuf_dir))
            .clock(FixedClock(NOW))
            .initial_root(root.clone())
            .load()
    };
    let settings = Settings::new(
        vec![format!("file://{}/", site.display())],
        dir.join("downloads"),
        release_key.public_key(),
        Version::new(1, 0, 0),
        InstallId::from_bytes([1; 16]),
    )
    .platform("linux")
    .arch("x86_64")
    .archive_limits(Limits {
        max_entry_bytes: 4 << 30,
        max_total_bytes: 8 << 30,
        ..Limits::default()
    });
    Client::new(
        make_updater,
        Installer::open(&dir.join("install")).unwrap(),
        settings,
    )
}

/// One release of `mib` MiB: publish it, then time download + verify + install.
fn run_one(mib: u64) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    let name = "app-2.0.0.tar.gz";
    let (length, sha256, sha512) = write_release(&site.join(name), mib);
    let release_key = MinisignSecretKey::generate().unwrap();
    let options = SignOptions {
        trusted_comment: Some(format!(
            "file:{name}\tversion:2.0.0\tplatform:linux\tarch:x86_64\thashed"
        )),
        untrusted_comment: None,
        file_name: name.into(),
        timestamp: 0,
    };
    let file = std::io::BufReader::new(std::fs::File::open(site.join(name)).unwrap());
    let signature = sign_reader(
        release_key.private_key(),
        release_key.key_number(),
        file,
        &options,
    )
    .unwrap();
    let mut repo = Repo::new();
    repo.targets.targets.insert(
        name.to_owned(),
        TargetFile {
            length,
            hashes: [("sha256".to_owned(), sha256), ("sha512".to_owned(), sha512)].into(),
            custom: Some(json!({"sigil": {"version": "2.0.0", "platform": "linux", "arch": "x86_64", "signature": signature.encode()}})),
            extra: Map::new(),
        },
    );
    repo.publish_new_versions();
    // The download alone (streamed through sha256 and sha512), for the breakdown.
    let hashes = repo.targets.targets[name].hashes.clone();
    let alone = dir.path().join("alone.bin");
    let start = Instant::now();
    sigil_updater::download::Download::new(
        vec![format!("file://{}/{name}", site.display())],
        length,
        &hashes,
        &alone,
    )
    .run(&FileSource)
    .unwrap();
    let download_alone = start.elapsed();
    std::fs::remove_file(&alone).unwrap();
    let start = Instant::now();
    let file =
        std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(site.join(name)).unwrap());
    sigil_keys::minisign::verify_reader(
        &release_key.public_key(),
        &signature,
        file,
        sigil_keys::minisign::LegacyMode::Refuse,
    )
    .unwrap();
    let signature_alone = start.elapsed();
    let before = peak_rss_mib();
    let mut client = client(&repo, dir.path(), &release_key, &site);
    let start = Instant::now();
    let release = client.check().unwrap().available.unwrap();
    let verified = client.download(&release, &FileSource, None, None).unwrap();
    let downloaded = start.elapsed();
    client.install(verified, &FixedClock(NOW)).unwrap();
    let total = start.elapsed();
    println!(
        "{mib:>5} MiB release: download+verify {:>7.2} s ({:>6.0} MiB/s), +install {:>7.2} s total; peak RSS {:.1} MiB (before: {:.1})",
        downloaded.as_secs_f64(),
        mib as f64 / downloaded.as_secs_f64(),
        total.as_secs_f64(),
        peak_rss_mib(),
        before
    );
    println!(
        "        of which: download with sha256+sha512 {:.2} s, minisign signature (BLAKE2b) {:.2} s",
        download_alone.as_secs_f64(),
        signature_alone.as_secs_f64()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(position) = args.iter().position(|a| a == "--one") {
        run_one(args[position + 1].parse().unwrap());
        return;
    }
    let rounds: usize = std::env::var("SIGIL_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    // Check latency against a local repository with a few hundred targets.
    let dir = tempfile::tempdir().unwrap();
    let mut repo = Repo::new();
    for i in 0..300 {
        repo.add_target(
            "targets",
            &format!("file-{i}.bin"),
            format!("{i}").as_bytes(),
        );
    }
    repo.publish_new_versions();
    let release_key = MinisignSecretKey::generate().unwrap();
    let mut client = client(&repo, dir.path(), &release_key, dir.path());
    client.check().unwrap();
    let times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            client.check().unwrap();
            start.elapsed()
        })
        .collect();
    println!(
        "check (refresh + choose) against a local repository of 300 targets: median {:.2} ms over {rounds} rounds",
        median(times).as_secs_f64() * 1e3
    );
    let sizes = std::env::var("SIGIL_BENCH_SIZES_MIB").unwrap_or_else(|_| "100,1024".into());
    let exe = std::env::current_exe().unwrap();
    for size in sizes.split(',') {
        let status = std::process::Command::new(&exe)
            .args(["--one", size.trim()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}
