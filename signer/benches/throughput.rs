//! Sign and verify throughput on a large file, next to the `minisign` CLI on the same file.
//!
//! Run: `cargo bench -p sigil-signer --bench throughput`
//! Size: `SIGIL_BENCH_MIB` (default 1024), rounds: `SIGIL_BENCH_ROUNDS` (default 5).
//! Prints medians and the sigil/minisign time ratio; if `minisign` is not on PATH, prints
//! sigil's figures alone.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sigil_keys::keyfile::{Overwrite, write_secret_file};
use sigil_keys::minisign::{KdfStrength, LegacyMode, MinisignSecretKey};
use sigil_keys::{KeySource, LocalSigner, PasswordSource};
use sigil_signer::sign::{Comments, sign_file};
use sigil_signer::verify::verify_file;

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

fn time_rounds(rounds: u64, mut run: impl FnMut()) -> Duration {
    run(); // warm the page cache and the code
    median(
        (0..rounds)
            .map(|_| {
                let start = Instant::now();
                run();
                start.elapsed()
            })
            .collect(),
    )
}

fn mib_per_s(bytes: u64, time: Duration) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / time.as_secs_f64()
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn minisign_available() -> bool {
    Command::new("minisign")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn run_minisign(args: &[&str], dir: &Path) {
    let status = Command::new("minisign")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("minisign runs");
    assert!(status.success(), "minisign {args:?} failed");
}

fn main() {
    let mib = env_number("SIGIL_BENCH_MIB", 1024);
    let rounds = env_number("SIGIL_BENCH_ROUNDS", 5).max(1);
    let bytes = mib * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("artifact.bin");
    {
        let mut file = File::create(&artifact).unwrap();
        let mut block = vec![0u8; 1 << 20];
        for (i, byte) in block.iter_mut().enumerate() {
            *byte = (i.wrapping_mul(2_654_435_761) >> 13) as u8;
        }
        for _ in 0..mib {
            file.write_all(&block).unwrap();
        }
        file.sync_all().unwrap();
    }
    // One unencrypted key, used by both tools, so the figures compare the signing work alone.
    let key = MinisignSecretKey::generate().unwrap();
    let key_path = dir.path().join("bench.key");
    let text = key.encode(None, KdfStrength::Sensitive).unwrap();
    write_secret_file(&key_path, text.as_bytes(), Overwrite::Refuse).unwrap();
    let public = key.public_key();
    std::fs::write(dir.path().join("bench.pub"), public.encode()).unwrap();
    let signer = LocalSigner::load(KeySource::File(key_path), &PasswordSource::None).unwrap();
    let comments = Comments {
        trusted: Some("bench".into()),
        untrusted: None,
    };
    let signature = dir.path().join("artifact.bin.minisig");

    let sigil_sign = time_rounds(rounds, || {
        sign_file(&signer, &artifact, &comments).unwrap();
    });
    let sigil_verify = time_rounds(rounds, || {
        verify_file(&public, &artifact, &signature, LegacyMode::Refuse).unwrap();
    });
    println!("file: {mib} MiB, rounds: {rounds} (median)");
    println!(
        "sigil    sign   {:>8.1} ms  {:>7.1} MiB/s",
        sigil_sign.as_secs_f64() * 1e3,
        mib_per_s(bytes, sigil_sign)
    );
    println!(
        "sigil    verify {:>8.1} ms  {:>7.1} MiB/s",
        sigil_verify.as_secs_f64() * 1e3,
        mib_per_s(bytes, sigil_verify)
    );
    if let Some(kib) = peak_rss_kib() {
        println!(
            "sigil    peak RSS of the bench process: {:.1} MiB",
            kib as f64 / 1024.0
        );
    }
    if !minisign_available() {
        println!("minisign not found on PATH: no comparison");
        return;
    }
    let d = dir.path();
    let minisign_sign = time_rounds(rounds, || {
        run_minisign(
            &[
                "-S",
                "-s",
                "bench.key",
                "-m",
                "artifact.bin",
                "-x",
                "m.minisig",
                "-t",
                "bench",
            ],
            d,
        );
    });
    let minisign_verify = time_rounds(rounds, || {
        run_minisign(
            &[
                "-V",
                "-p",
                "bench.pub",
                "-m",
                "artifact.bin",
                "-x",
                "m.minisig",
                "-q",
            ],
            d,
        );
    });
    println!(
        "minisign sign   {:>8.1} ms  {:>7.1} MiB/s",
        minisign_sign.as_secs_f64() * 1e3,
        mib_per_s(bytes, minisign_sign)
    );
    println!(
        "minisign verify {:>8.1} ms  {:>7.1} MiB/s",
        minisign_verify.as_secs_f64() * 1e3,
        mib_per_s(bytes, minisign_verify)
    );
    println!(
        "ratio (sigil time / minisign time): sign {:.2}, verify {:.2}",
        sigil_sign.as_secs_f64() / minisign_sign.as_secs_f64(),
        sigil_verify.as_secs_f64() / minisign_verify.as_secs_f64()
    );
    // Cross-check: each tool accepts the other's signature of this file.
    run_minisign(&["-V", "-p", "bench.pub", "-m", "artifact.bin", "-q"], d);
    verify_file(&public, &artifact, &d.join("m.minisig"), LegacyMode::Refuse).unwrap();
    println!("cross-check: minisign verified sigil's signature and sigil verified minisign's");
}
