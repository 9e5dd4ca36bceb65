//! `sigil-signer sign` / `verify` of a large file, whole process, next to the `minisign` CLI on
//! the same file, as medians of paired runs.
//!
//! Run: `cargo bench -p sigil-signer --bench cli_throughput` (the bench profile is the release
//! profile, so this times the shipped binary).
//! Size: `SIGIL_BENCH_MIB` (default 1024); pairs: `SIGIL_BENCH_ROUNDS` (default 7);
//! `SIGIL_BENCH_ENCRYPTED=0` skips the runs with a password-protected key;
//! `SIGIL_BENCH_SIGNER=PATH` times another `sigil-signer` binary (an older build, to compare).
//!
//! What is compared, like with like:
//! - `sign`, unencrypted key: both tools read the same key file (made by sigil, unencrypted
//!   as `minisign -G -W` makes it), so the figure is reading, hashing and signing;
//! - `sign`, encrypted key: the same scrypt-encrypted key file (1 GiB of scrypt memory, what
//!   minisign writes by default), the password from an environment variable for sigil and on
//!   standard input for minisign: the figure adds each tool's key decryption;
//! - `verify`: the same public key file and signature file; no key decryption.
//!
//! Each pair runs the two tools back to back, in alternating order; the ratios printed are the
//! medians of the per-pair ratios (sigil / minisign), below 1.00 when sigil is faster. Wall
//! time is what a user waits; CPU time (user + system, all threads) is what the machine
//! spends, and is the fairer figure on a loaded machine, where a process with two threads
//! gets a larger share of the CPUs than one with a single thread. CPU time and peak RSS
//! (VmHWM) are sampled from /proc every 2 ms while the process runs (Linux only); the runs on
//! a 16 MiB file show whether memory grows with the file. The load average is printed: the
//! figures mean most on an idle machine.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sigil_keys::Password;
use sigil_keys::keyfile::{Overwrite, write_secret_file};
use sigil_keys::minisign::{KdfStrength, MinisignSecretKey};

const BUILT_SIGIL: &str = env!("CARGO_BIN_EXE_sigil-signer");
const PASSWORD: &str = "bench password";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One finished process: how long it took, the CPU time of all its threads, and its peak
/// resident set.
struct Run {
    time: Duration,
    cpu: Duration,
    peak_rss_kib: u64,
}

/// User plus system time of all the process's threads so far, from /proc/PID/stat (fields 14
/// and 15, in clock ticks of 1/100 s, which Linux uses for /proc whatever the kernel's HZ).
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
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
    let mut cpu = Duration::ZERO;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(child.id()) {
            peak = peak.max(kib);
        }
        // Still readable once the process has exited and until it is reaped.
        if let Some(time) = cpu_time(child.id()) {
            cpu = cpu.max(time);
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
        cpu,
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
    let cpu = |runs: &[Run]| median_f64(runs.iter().map(|r| r.cpu.as_secs_f64()).collect());
    let rss = |runs: &[Run]| runs.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0) as f64 / 1024.0;
    let ratio = |time: fn(&Run) -> f64| -> (f64, f64, f64) {
        let ratios: Vec<f64> = ours
            .iter()
            .zip(theirs)
            .map(|(a, b)| time(a) / time(b).max(1e-3))
            .collect();
        let low = ratios.iter().copied().fold(f64::MAX, f64::min);
        let high = ratios.iter().copied().fold(f64::MIN, f64::max);
        (median_f64(ratios), low, high)
    };
    let (a, b) = (secs(ours), secs(theirs));
    let (wall, wall_low, wall_high) = ratio(|r| r.time.as_secs_f64());
    let (cpu_ratio, cpu_low, cpu_high) = ratio(|r| r.cpu.as_secs_f64());
    println!("{what}");
    println!(
        "  sigil    {a:>7.3} s wall ({:>5.0} MiB/s), {:>6.2} s CPU, peak RSS {:>7.1} MiB",
        mib as f64 / a,
        cpu(ours),
        rss(ours)
    );
    println!(
        "  minisign {b:>7.3} s wall ({:>5.0} MiB/s), {:>6.2} s CPU, peak RSS {:>7.1} MiB",
        mib as f64 / b,
        cpu(theirs),
        rss(theirs)
    );
    println!(
        "  ratio sigil/minisign: wall {wall:.2} (pairs {wall_low:.2}..{wall_high:.2}), CPU {cpu_ratio:.2} (pairs {cpu_low:.2}..{cpu_high:.2})"
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
    let signer = std::env::var("SIGIL_BENCH_SIGNER").unwrap_or_else(|_| BUILT_SIGIL.to_owned());
    let sigil = signer.as_str();
    println!("sigil-signer: {sigil}");
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
                sigil,
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
                sigil,
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

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average at start: {}, CPUs: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!(
        "{mib} MiB file, {rounds} paired runs each (medians), {}",
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
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average at end: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}
