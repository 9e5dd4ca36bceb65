//! Audit time and peak memory: a 3,000-package npm lockfile and a 1,000-package Cargo.lock
//! (both generated), and sigil's own Cargo.lock with licenses read from Cargo's cache, side by
//! side with `cargo deny check licenses` on the same workspace when cargo-deny is installed.
//!
//! Run: `cargo bench -p sigil-audit --bench audit` (after `cargo fetch --locked`).
//! Each measurement runs in a child process so that its peak memory (VmHWM) is its own.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use sigil_audit::Auditor;
use sigil_audit::license::gather::ManifestSources;
use sigil_audit::policy::{Date, Policy};

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

fn npm_lockfile(path: &Path, count: usize) {
    let mut packages = String::from(r#""": {"name": "big-app", "version": "1.0.0"}"#);
    for i in 0..count {
        let digest = ring::digest::digest(&ring::digest::SHA512, &i.to_le_bytes());
        let integrity = base64::engine::general_purpose::STANDARD.encode(digest);
        let license = ["MIT", "ISC", "Apache-2.0", "BSD-3-Clause"][i % 4];
        write!(
            packages,
            r#", "node_modules/pkg-{i}": {{"version": "1.{}.{}", "resolved": "https://registry.npmjs.org/pkg-{i}/-/pkg-{i}-1.{}.{}.tgz", "integrity": "sha512-{integrity}", "license": "{license}"}}"#,
            i % 50,
            i % 7,
            i % 50,
            i % 7
        )
        .unwrap();
    }
    let text = format!(
        r#"{{"name": "big-app", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": {{{packages}}}}}"#
    );
    std::fs::write(path, text).unwrap();
}

fn cargo_lockfile(path: &Path, count: usize) {
    let mut text = String::from("version = 3\n");
    for i in 0..count {
        let checksum = hex::encode(ring::digest::digest(
            &ring::digest::SHA256,
            &i.to_le_bytes(),
        ));
        write!(
            text,
            "\n[[package]]\nname = \"crate-{i}\"\nversion = \"0.{}.{}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{checksum}\"\n",
            i % 30,
            i % 9
        )
        .unwrap();
    }
    std::fs::write(path, text).unwrap();
}

/// Audits `lockfile` `rounds` times in this process; prints the median and peak memory.
fn measure(label: &str, lockfile: &Path, manifests: bool, rounds: usize) {
    let today = Date::today_utc().unwrap();
    let sources = if manifests {
        ManifestSources {
            cargo_home: std::env::var_os("CARGO_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo"))),
            vendor_dirs: Vec::new(),
            node_modules: true,
        }
    } else {
        ManifestSources::default()
    };
    let mut times = Vec::new();
    let mut packages = 0;
    for _ in 0..rounds {
        let start = Instant::now();
        let report = Auditor::new(Policy::builtin(), today)
            .manifests(sources.clone())
            .audit(&[lockfile.to_owned()])
            .unwrap();
        times.push(start.elapsed());
        packages = report.summary().lockfiles[0].packages;
    }
    println!(
        "{label}: {packages} packages, median {:.1} ms over {rounds} runs; peak RSS {:.1} MiB",
        median(times).as_secs_f64() * 1e3,
        peak_rss_mib()
    );
}

fn child(args: &[&str]) {
    let status = Command::new(std::env::current_exe().unwrap())
        .args(args)
        .status()
        .unwrap();
    assert!(status.success());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(position) = args.iter().position(|a| a == "--measure") {
        let manifests = args[position + 3] == "manifests";
        measure(
            &args[position + 1],
            Path::new(&args[position + 2]),
            manifests,
            5,
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let npm = dir.path().join("package-lock.json");
    npm_lockfile(&npm, 3_000);
    let cargo = dir.path().join("Cargo.lock");
    cargo_lockfile(&cargo, 1_000);
    child(&[
        "--measure",
        "npm package-lock.json (generated)",
        npm.to_str().unwrap(),
        "none",
    ]);
    child(&[
        "--measure",
        "Cargo.lock (generated)",
        cargo.to_str().unwrap(),
        "none",
    ]);
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let own = workspace.join("Cargo.lock");
    child(&[
        "--measure",
        "sigil's Cargo.lock, licenses from Cargo's cache",
        own.to_str().unwrap(),
        "manifests",
    ]);

    // cargo-deny on the same workspace, with the same allow list.
    let deny_config = dir.path().join("deny.toml");
    std::fs::write(
        &deny_config,
        "[licenses]\nallow = [\"0BSD\", \"Apache-2.0\", \"Apache-2.0 WITH LLVM-exception\", \"BSD-2-Clause\", \"BSD-3-Clause\", \"CC0-1.0\", \"CDLA-Permissive-2.0\", \"ISC\", \"MIT\", \"Unicode-3.0\", \"Unlicense\", \"Zlib\"]\nconfidence-threshold = 0.8\n",
    )
    .unwrap();
    let mut deny_times = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let output = Command::new("cargo")
            .args(["deny", "--manifest-path"])
            .arg(workspace.join("Cargo.toml"))
            .args(["--offline", "check", "--config"])
            .arg(&deny_config)
            .arg("licenses")
            .output();
        match output {
            Ok(output)
                if output.status.code().is_some()
                    && !String::from_utf8_lossy(&output.stderr).contains("no such command") =>
            {
                deny_times.push(start.elapsed());
                if deny_times.len() == 1 {
                    println!(
                        "cargo deny check licenses: exit {} ({})",
                        output.status.code().unwrap_or(-1),
                        String::from_utf8_lossy(&output.stderr)
                            .lines()
                            .last()
                            .unwrap_or_default()
                            .trim()
                    );
                }
            }
            _ => {
                println!(
                    "cargo-deny is not installed (cargo install cargo-deny): no side-by-side figure"
                );
                return;
            }
        }
    }
    let deny = median(deny_times);
    let mut own_times = Vec::new();
    let today = Date::today_utc().unwrap();
    for _ in 0..3 {
        let start = Instant::now();
        let _ = Auditor::new(Policy::builtin(), today)
            .manifests(ManifestSources {
                cargo_home: std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")),
                vendor_dirs: Vec::new(),
                node_modules: false,
            })
            .audit(std::slice::from_ref(&own))
            .unwrap();
        own_times.push(start.elapsed());
    }
    let own_time = median(own_times);
    println!(
        "same workspace: sigil-audit {:.1} ms, cargo deny check licenses {:.1} ms (includes cargo metadata); ratio sigil/cargo-deny {:.2}",
        own_time.as_secs_f64() * 1e3,
        deny.as_secs_f64() * 1e3,
        own_time.as_secs_f64() / deny.as_secs_f64()
    );
}
