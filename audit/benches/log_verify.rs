//! `sigil-audit log verify` on logs of 10,000, 100,000 and 1,000,000 entries, next to its
//! floor: the same number of bare Ed25519 signature checks (ring, the one crypto stack) spread
//! over the same cores.
//!
//! Run: `cargo bench -p sigil-audit --bench log_verify`
//! Sizes: `SIGIL_BENCH_SIZES` (default `10000,100000,1000000`); rounds: `SIGIL_BENCH_ROUNDS`
//! (default 3); the logs are built in `TMPDIR`.
//!
//! Each round runs the whole command (a child process: open, every signature, order,
//! checkpoint) and then the anchor (N bare signature checks of a message of an entry's size on
//! one thread per core, in this process); the figure is the median of the paired time ratios.
//! Peak RSS of the command is its `VmHWM`, sampled from /proc while it runs (Linux).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use sigil_custody::predicate::{ArtifactSignature, Predicate};
use sigil_custody::{Clock, EntryDraft, Log, LogOptions, Sha256Digest, Subject, Timestamp};
use sigil_keys::{PrivateKey, Scheme, Signer};

const ORIGIN: &str = "bench.example/custody";

struct StepClock(AtomicI64);

impl Clock for StepClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_seconds(self.0.fetch_add(1, Ordering::Relaxed)).unwrap()
    }
}

fn median<T: PartialOrd + Copy>(mut values: Vec<T>) -> T {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

fn draft(i: u64, signer: &dyn Signer) -> EntryDraft {
    let name = format!("app-1.0.{i}-linux-x86_64.tar.gz");
    EntryDraft::new(
        vec![Subject::new(&name, Sha256Digest::of(name.as_bytes()))],
        Predicate::ArtifactSignature(ArtifactSignature {
            format: "minisign".into(),
            key_id: signer.key_id(),
            signature_sha256: Sha256Digest::of(&i.to_be_bytes()).to_hex(),
        }),
    )
    .identity("release-ci@example.com")
}

/// A log of `entries` entries signed by `key`, with a checkpoint of all of them.
fn build_log(dir: &Path, entries: u64, key: &PrivateKey) {
    let clock = StepClock(AtomicI64::new(1_767_225_600));
    let mut log = Log::create(dir, LogOptions::new()).unwrap();
    let mut i = 0;
    while i < entries {
        let n = 1_000.min(entries - i);
        let drafts: Vec<EntryDraft> = (i..i + n).map(|j| draft(j, key)).collect();
        log.append_all(&drafts, key, &clock).unwrap();
        i += n;
    }
    log.sign_checkpoint(ORIGIN, key).unwrap();
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the whole verify command; returns its wall time and peak RSS in KiB.
fn run_verify(log: &Path, public: &Path) -> (Duration, Option<u64>) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sigil-audit"))
        .args(["log", "verify", "--origin", ORIGIN, "--log"])
        .arg(log)
        .arg("--trusted-key")
        .arg(public)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut peak = None;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(child.id()) {
            peak = Some(peak.map_or(kib, |p: u64| p.max(kib)));
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert!(status.success(), "verify failed: {out}");
    assert!(out.starts_with("VERIFIED: "), "{out}");
    (elapsed, peak)
}

/// `count` bare Ed25519 checks of one `len`-byte message on `threads` threads.
fn run_anchor(count: u64, threads: u64, len: usize) -> Duration {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let message = vec![b'x'; len];
    let signature = pair.sign(&message);
    let public = pair.public_key().as_ref().to_vec();
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let share = count / threads + u64::from(t < count % threads);
            let (message, signature, public) = (&message, &signature, &public);
            scope.spawn(move || {
                let key = UnparsedPublicKey::new(&ED25519, public);
                for _ in 0..share {
                    key.verify(message, signature.as_ref()).unwrap();
                }
            });
        }
    });
    start.elapsed()
}

fn main() {
    let sizes: Vec<u64> = std::env::var("SIGIL_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let rounds: usize = std::env::var("SIGIL_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get) as u64;
    let key = PrivateKey::generate(Scheme::Ed25519).unwrap();

    // One bare check, on one core.
    let one = run_anchor(2_000, 1, 600) / 2_000;
    println!(
        "one bare Ed25519 check (ring, 600-byte message, one core): {one:.1?}; {cores} core(s)"
    );

    for entries in sizes {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let started = Instant::now();
        build_log(&log, entries, &key);
        let bytes = std::fs::metadata(log.join("entries.jsonl")).unwrap().len();
        let public = dir.path().join("log.pub");
        std::fs::write(&public, key.public_key().to_spki_pem()).unwrap();
        println!(
            "\n{entries} entries ({} MiB, {} bytes each), built in {:.1?}",
            bytes >> 20,
            bytes / entries,
            started.elapsed()
        );
        // The message an entry's signature covers is the DSSE PAE of its payload: about three
        // quarters of the entry's bytes (the rest is base64 overhead and the envelope).
        let message = usize::try_from(bytes / entries * 3 / 4).unwrap();
        if bytes < 256 << 20 {
            // Warm the page cache and the binary; a larger log was just written and is cached.
            let _ = run_verify(&log, &public);
        }
        let mut times = Vec::new();
        let mut anchors = Vec::new();
        let mut ratios = Vec::new();
        let mut peaks = Vec::new();
        for _ in 0..rounds {
            let (time, peak) = run_verify(&log, &public);
            let anchor = run_anchor(entries, cores, message);
            ratios.push(time.as_secs_f64() / anchor.as_secs_f64());
            times.push(time);
            anchors.push(anchor);
            peaks.extend(peak);
        }
        let time = median(times);
        let anchor = median(anchors);
        let peak = peaks.iter().copied().max().unwrap_or(0);
        println!(
            "  sigil-audit log verify --log DIR --trusted-key FILE --origin O: median {time:.2?}, peak RSS {:.1} MiB",
            peak as f64 / 1024.0
        );
        println!(
            "  anchor, {entries} bare checks on {cores} thread(s): median {anchor:.2?}; verify/anchor median ratio of {rounds} paired runs: {:.2}",
            median(ratios)
        );
        println!(
            "  per entry: {:.1?} of CPU ({cores} cores x wall / entries), next to {one:.1?} for one bare check",
            time * u32::try_from(cores).unwrap() / u32::try_from(entries).unwrap()
        );
    }
}
