//! `sigil-signer sign` / `verify` of a large file, whole process, next to the `minisign` CLI on
//! the same file, as medians of paired runs.
//!
//! Run: `cargo bench -p sigil-signer --bench cli_throughput` (the bench profile is the release
//! profile, so this times the shipped binary).
//! Size: `SIGIL_BENCH_MIB` (default 1024); pairs: `SIGIL_BENCH_ROUNDS` (default 7);
//! `SIGIL_BENCH_ENCRYPTED=0` skips the runs with a password-protected key.
//!
//! What is compared, like with like:
//! - `sign`, unencrypted key: both tools read the same key file (made by sigil, unencrypted
//!   as `minisign -G -W` makes it), so the figure is reading, hashing and signing;
//! - `sign`, encrypted key: the same scrypt-encrypted key file (1 GiB of scrypt memory, what
//!   minisign writes by default), the password from an environment variable for sigil and on
//!   standard input for minisign: the figure adds each tool's key decryption;
//! - `verify`: the same public key file and signature file; no key decryption.
//!
//! Each pair runs the two tools back to back, in alternating order; the ratio printed is the
//! median of the per-pair ratios (sigil time / minisign time), below 1.00 when sigil is
//! faster. Peak RSS is each process's VmHWM, sampled from /proc every 2 ms while it runs
//! (Linux only), and repeated on a small file to show whether memory grows with the file.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sigil_keys::Password;
use sigil_keys::keyfile::{Overwrite, write_secret_file};
use sigil_keys::minisign::{KdfStrength, MinisignSecretKey};

const SIGIL: &str = env!("CARGO_BIN_EXE_sigil-signer");
const PASSWORD: &str = "bench password";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One finished process: how long it took and its peak resident set.
struct Run {
    time: Duration,
    peak_rss_kib: u64,
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `program args` in `dir` with `stdin` on its standard input; panics unless it succeeds.
fn run(program: &str, args: &[&str], dir: &Path, stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} does not run: {e}"));
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let time = start.elapsed();
    if !status.success() {
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        panic!("{program} {args:?} failed: {status}\n{stderr}");
    }
    Run {
        time,
        peak_rss_kib: peak,
    }
}

fn median_f64(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Paired runs of two commands; returns (sigil runs, minisign runs).
fn paired(
    rounds: u64,
    mut sigil: impl FnMut() -> Run,
    mut minisign: impl FnMut() -> Run,
) -> (Vec<Run>, Vec<Run>) {
    // Warm the page cache and both binaries; not counted.
    sigil();
    minisign();
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for round in 0..rounds {
        if round % 2 == 0 {
            ours.push(sigil());
            theirs.push(minisign());
        } else {
            theirs.push(minisign());
            ours.push(sigil());
        }
    }
    (ours, theirs)
}

fn report(what: &str, mib: u64, ours: &[Run], theirs: &[Run]) {
    let secs = |runs: &[Run]| median_f64(runs.iter().map(|r| r.time.as_secs_f64()).collect());
    let rss = |runs: &[Run]| runs.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0) as f64 / 1024.0;
    let ratios: Vec<f64> = ours
        .iter()
        .zip(theirs)
        .map(|(a, b)| a.time.as_secs_f64() / b.time.as_secs_f64())
        .collect();
    let (low, high) = ratios
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
    let (a, b) = (secs(ours), secs(theirs));
    println!(
        "{what:<28} sigil {a:>7.3} s ({:>6.0} MiB/s, RSS {:>7.1} MiB)   minisign {b:>7.3} s ({:>6.0} MiB/s, RSS {:>7.1} MiB)   ratio {:.2} (pairs {low:.2}..{high:.2})",
        mib as f64 / a,
        rss(ours),
        mib as f64 / b,
        rss(theirs),
        median_f64(ratios.clone()),
    );
}

fn write_artifact(path: &Path, mib: u64) {
    let mut file = File::create(path).unwrap();
    let mut block = vec![0u8; 1 << 20];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..mib {
        for byte in block.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = state as u8;
        }
        file.write_all(&block).unwrap();
    }
    file.sync_all().unwrap();
}

fn main() {
    let mib = env_number("SIGIL_BENCH_MIB", 1024);
    let rounds = env_number("SIGIL_BENCH_ROUNDS", 7).max(1);
    let encrypted = env_number("SIGIL_BENCH_ENCRYPTED", 1) != 0;
    if Command::new("minisign").arg("-v").output().is_err() {
        println!("minisign is not on PATH (Debian: apt-get install minisign): nothing to compare");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_artifact(&d.join("artifact.bin"), mib);
    write_artifact(&d.join("small.bin"), 16);

    let key = MinisignSecretKey::generate().unwrap();
    let plain = key.encode(None, KdfStrength::Sensitive).unwrap();
    write_secret_file(&d.join("plain.key"), plain.as_bytes(), Overwrite::Refuse).unwrap();
    let sealed = key
        .encode(
            Some(&Password::new(PASSWORD.into())),
            KdfStrength::Sensitive,
        )
        .unwrap();
    write_secret_file(&d.join("sealed.key"), sealed.as_bytes(), Overwrite::Refuse).unwrap();
    std::fs::write(d.join("bench.pub"), key.public_key().encode()).unwrap();

    let sigil_sign = |file: &str, key: &str| {
        let key = key.to_owned();
        let file = file.to_owned();
        move || {
            run(
                SIGIL,
                &[
                    "sign",
                    "--secret-key",
                    &key,
                    "--password-env",
                    "SIGIL_BENCH_PASSWORD",
                    "--trusted-comment",
                    "bench",
                    &file,
                ],
                d,
                None,
                &[("SIGIL_BENCH_PASSWORD", PASSWORD)],
            )
        }
    };
    let minisign_sign = |file: &str, key: &str, password: Option<&'static str>| {
        let key = key.to_owned();
        let file = file.to_owned();
        let signature = format!("{file}.m.minisig");
        move || {
            run(
                "minisign",
                &[
                    "-S", "-s", &key, "-m", &file, "-x", &signature, "-t", "bench",
                ],
                d,
                password,
                &[],
            )
        }
    };
    let sigil_verify = |file: &str, signature: &str| {
        let file = file.to_owned();
        let signature = signature.to_owned();
        move || {
            run(
                SIGIL,
                &[
                    "verify",
                    "--quiet",
                    "--public-key",
                    "bench.pub",
                    "--signature",
                    &signature,
                    &file,
                ],
                d,
                None,
                &[],
            )
        }
    };
    let minisign_verify = |file: &str, signature: &str| {
        let file = file.to_owned();
        let signature = signature.to_owned();
        move || {
            run(
                "minisign",
                &["-V", "-q", "-p", "bench.pub", "-m", &file, "-x", &signature],
                d,
                None,
                &[],
            )
        }
    };

    println!(
        "{mib} MiB file, {rounds} paired runs each (median; ratio = sigil time / minisign time), {}",
        std::process::Command::new("minisign")
            .arg("-v")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    );
    let (a, b) = paired(
        rounds,
        sigil_sign("artifact.bin", "plain.key"),
        minisign_sign("artifact.bin", "plain.key", None),
    );
    report("sign, unencrypted key", mib, &a, &b);
    // Each tool's signature, checked by both tools: the runs above made real signatures.
    let (a, b) = paired(
        rounds,
        sigil_verify("artifact.bin", "artifact.bin.minisig"),
        minisign_verify("artifact.bin", "artifact.bin.minisig"),
    );
    report("verify", mib, &a, &b);
    sigil_verify("artifact.bin", "artifact.bin.m.minisig")();
    minisign_verify("artifact.bin", "artifact.bin.m.minisig")();
    if encrypted {
        let (a, b) = paired(
            rounds.min(3),
            sigil_sign("artifact.bin", "sealed.key"),
            minisign_sign("artifact.bin", "sealed.key", Some("bench password\n")),
        );
        report("sign, scrypt-encrypted key", mib, &a, &b);
    }
    // The same on a 16 MiB file: peak RSS should not move with the file's size.
    let (a, b) = paired(
        rounds.min(3),
        sigil_sign("small.bin", "plain.key"),
        minisign_sign("small.bin", "plain.key", None),
    );
    report("sign 16 MiB, unencrypted key", 16, &a, &b);
    let (a, b) = paired(
        rounds.min(3),
        sigil_verify("small.bin", "small.bin.minisig"),
        minisign_verify("small.bin", "small.bin.minisig"),
    );
    report("verify 16 MiB", 16, &a, &b);
    println!("cross-check: each tool verified the other's signature of the {mib} MiB file");
}
