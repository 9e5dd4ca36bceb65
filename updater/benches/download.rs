//! The download figure, whole commands side by side in one run: `sigil-updater download` of a
//! release over loopback HTTP (refresh of TUF metadata, download, TUF's sha256 and sha512, the
//! release's minisign signature, the file written and synced) next to the floor
//! `curl -s URL | openssl dgst -sha256` on the same server, as the median ratio of paired runs,
//! with each command's peak RSS (`/usr/bin/time`).
//!
//! Run: `cargo bench -p sigil-updater --bench download`
//! Size: `SIGIL_BENCH_MIB` (default 1024); pairs: `SIGIL_BENCH_ROUNDS` (default 5). Needs curl,
//! openssl and GNU time on the PATH (Debian: curl, openssl, time).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Cursor, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use sigil_keys::minisign::{MinisignSecretKey, SignOptions, sign_reader};
use support::{METADATA_URL, Repo, TARGETS_URL};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `len` pseudo-random bytes (xorshift): incompressible, as release payloads are.
fn noise(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut bytes = vec![0u8; len];
    for chunk in bytes.chunks_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let word = state.to_le_bytes();
        chunk.copy_from_slice(&word[..chunk.len()]);
    }
    bytes
}

/// Serves files under `root` over HTTP/1.1, one thread per connection, bodies sent with
/// `std::io::copy` (sendfile on Linux) so that the server is not what is measured.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || answer(&root, stream));
        }
    });
    format!("http://{address}")
}

fn answer(root: &Path, mut stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut request = String::new();
        if reader.read_line(&mut request).unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                break;
            }
        }
        let path = request.split_whitespace().nth(1).unwrap_or("/");
        let file = root.join(path.trim_start_matches('/'));
        match std::fs::File::open(&file) {
            Ok(mut body) => {
                let length = body.metadata().unwrap().len();
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {length}\r\n\r\n");
                if stream.write_all(head.as_bytes()).is_err()
                    || std::io::copy(&mut body, &mut stream).is_err()
                {
                    return;
                }
            }
            Err(_) => {
                let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            }
        }
    }
}

/// Runs `command` under GNU time; returns wall seconds and peak RSS in MiB.
fn timed(command: &mut Command) -> (f64, f64) {
    let rss_file = tempfile::NamedTempFile::new().unwrap();
    let start = Instant::now();
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(rss_file.path())
        .arg(command.get_program())
        .args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        timed.current_dir(dir);
    }
    let output = timed.output().unwrap();
    let seconds = start.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "{:?} failed: {}",
        command,
        String::from_utf8_lossy(&output.stderr)
    );
    let kib: f64 = std::fs::read_to_string(rss_file.path())
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (seconds, kib / 1024.0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let mib = env_number("SIGIL_BENCH_MIB", 1024);
    let rounds = env_number("SIGIL_BENCH_ROUNDS", 5).max(1);
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let base = serve(site.clone());

    let release_key = MinisignSecretKey::generate().unwrap();
    let bytes = noise(usize::try_from(mib << 20).unwrap());
    let name = "app-1.1.0.bin";
    let mut repo = Repo::new();
    repo.add_target("targets", name, &bytes);
    let options = SignOptions {
        trusted_comment: Some(format!(
            "file:{name}\tversion:1.1.0\tplatform:linux\tarch:x86_64\thashed"
        )),
        untrusted_comment: None,
        file_name: name.to_owned(),
        timestamp: 0,
    };
    let signature = sign_reader(
        release_key.private_key(),
        release_key.key_number(),
        Cursor::new(&bytes),
        &options,
    )
    .unwrap();
    drop(bytes);
    repo.targets.targets.get_mut(name).unwrap().custom = Some(json!({"sigil": {
        "version": "1.1.0", "platform": "linux", "arch": "x86_64", "signature": signature.encode()
    }}));
    repo.publish_new_versions();
    repo.transport
        .write_site(METADATA_URL, &site.join("metadata"));
    repo.transport
        .write_site(TARGETS_URL, &site.join("targets"));
    drop(repo.transport.clone());
    std::fs::write(dir.path().join("root.json"), &repo.roots[&1]).unwrap();
    std::fs::write(
        dir.path().join("release.pub"),
        release_key.public_key().encode(),
    )
    .unwrap();
    let config = dir.path().join("updater.toml");
    std::fs::write(
        &config,
        format!(
            r#"metadata_url = "{base}/metadata/"
target_urls = ["{base}/targets/"]
root = "root.json"
release_key = "release.pub"
data_dir = "data"
install_root = "app"
version = "1.0.0"
platform = "linux"
arch = "x86_64"
[network]
no_proxy = true
"#
        ),
    )
    .unwrap();
    drop(repo);

    let url = format!("{base}/targets/{name}");
    let sigil = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sigil-updater"));
        command
            .current_dir(dir.path())
            .arg("--config")
            .arg(&config)
            .arg("download");
        command
    };
    let floor = || {
        let mut command = Command::new("sh");
        command.arg("-c").arg(format!(
            "curl -s --noproxy '*' {url} | openssl dgst -sha256 >/dev/null"
        ));
        command
    };
    let fresh = || {
        let _ = std::fs::remove_dir_all(dir.path().join("data"));
    };
    // One warm-up of each: the file is in the page cache for both from here on.
    fresh();
    timed(&mut sigil());
    timed(&mut floor());

    let (mut ratios, mut sigil_times, mut floor_times) = (Vec::new(), Vec::new(), Vec::new());
    let (mut sigil_rss, mut floor_rss) = (0f64, 0f64);
    for round in 0..rounds {
        fresh();
        // Alternate which goes first, so that neither always runs on a cooler machine.
        let (s, f) = if round % 2 == 0 {
            let s = timed(&mut sigil());
            (s, timed(&mut floor()))
        } else {
            let f = timed(&mut floor());
            (timed(&mut sigil()), f)
        };
        println!(
            "pair {}: sigil-updater download {:.2} s ({:.1} MiB RSS), curl | openssl dgst -sha256 {:.2} s",
            round + 1,
            s.0,
            s.1,
            f.0
        );
        ratios.push(s.0 / f.0);
        sigil_times.push(s.0);
        floor_times.push(f.0);
        sigil_rss = sigil_rss.max(s.1);
        floor_rss = floor_rss.max(f.1);
        std::thread::sleep(Duration::from_millis(200));
    }
    println!(
        "{mib} MiB over loopback HTTP, {rounds} paired runs: sigil-updater download median {:.2} s, \
         curl | openssl median {:.2} s, median ratio {:.2}x; peak RSS sigil {:.1} MiB, curl+openssl (largest one) {:.1} MiB",
        median(sigil_times),
        median(floor_times),
        median(ratios),
        sigil_rss,
        floor_rss
    );
}
