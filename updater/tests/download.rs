//! Downloads under failure: connections that drop at any point, servers that ignore ranges, lie
//! about the length or send other bytes, mirrors that fail over, cancellation and resumption,
//! and a real HTTP server on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ring::digest;
use sigil_updater::download::{
    Body, ChunkSink, Download, DownloadError, FileSource, HttpSource, NetworkOptions, Progress,
    RangeSource, RetryPolicy, Sleeper,
};

fn artifact(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 16) as u8)
        .collect()
}

fn hashes_of(bytes: &[u8]) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "sha256".to_owned(),
            hex::encode(digest::digest(&digest::SHA256, bytes)),
        ),
        (
            "sha512".to_owned(),
            hex::encode(digest::digest(&digest::SHA512, bytes)),
        ),
    ])
}

/// What a scripted server does on one request.
#[derive(Clone, Copy, Debug)]
enum Act {
    /// Honour the range and send everything.
    Serve,
    /// Honour the range, then drop the connection after this many bytes.
    DropAfter(usize),
    /// Send the whole artifact from byte 0, whatever was asked.
    IgnoreRange,
    /// Send the artifact and then these many extra bytes.
    Extra(usize),
    /// Send other bytes of the right length.
    Corrupt,
    /// Fail to connect.
    Refuse,
}

/// A server playing a script per URL; records the offsets asked for.
struct Scripted {
    content: Vec<u8>,
    script: Mutex<BTreeMap<String, Vec<Act>>>,
    asked: Mutex<Vec<(String, u64)>>,
}

impl Scripted {
    fn new(content: &[u8], script: &[(&str, &[Act])]) -> Self {
        Self {
            content: content.to_vec(),
            script: Mutex::new(
                script
                    .iter()
                    .map(|(url, acts)| (url.to_string(), acts.to_vec()))
                    .collect(),
            ),
            asked: Mutex::new(Vec::new()),
        }
    }

    fn asked(&self) -> Vec<(String, u64)> {
        self.asked.lock().unwrap().clone()
    }
}

/// Yields `data`, then fails as a dropped connection.
struct Dropping {
    data: io::Cursor<Vec<u8>>,
}

impl Read for Dropping {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.data.read(buf)? {
            0 => Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            )),
            n => Ok(n),
        }
    }
}

impl RangeSource for Scripted {
    fn open(&self, url: &str, offset: u64) -> Result<Body<'_>, DownloadError> {
        self.asked.lock().unwrap().push((url.to_owned(), offset));
        let act = {
            let mut script = self.script.lock().unwrap();
            let acts = script.get_mut(url).unwrap();
            if acts.len() > 1 {
                acts.remove(0)
            } else {
                acts[0]
            }
        };
        let from = offset as usize;
        let body = |bytes: Vec<u8>, offset| {
            Ok(Body {
                reader: Box::new(io::Cursor::new(bytes)),
                offset,
            })
        };
        match act {
            Act::Serve => body(self.content[from..].to_vec(), offset),
            Act::DropAfter(n) => {
                let end = (from + n).min(self.content.len());
                Ok(Body {
                    reader: Box::new(Dropping {
                        data: io::Cursor::new(self.content[from..end].to_vec()),
                    }),
                    offset,
                })
            }
            Act::IgnoreRange => body(self.content.clone(), 0),
            Act::Extra(n) => {
                let mut bytes = self.content[from..].to_vec();
                bytes.extend(std::iter::repeat_n(0xAA, n));
                body(bytes, offset)
            }
            Act::Corrupt => body(
                self.content[from..].iter().map(|b| b ^ 0x5A).collect(),
                offset,
            ),
            Act::Refuse => Err(DownloadError::Network {
                url: url.to_owned(),
                reason: "connection refused".into(),
            }),
        }
    }
}

/// Records the waits instead of sleeping.
#[derive(Default)]
struct Waits(Mutex<Vec<Duration>>);

impl Sleeper for Waits {
    fn sleep(&self, duration: Duration) {
        self.0.lock().unwrap().push(duration);
    }
}

#[test]
fn resumes_after_the_connection_drops_at_any_point() {
    let content = artifact(200_000);
    let hashes = hashes_of(&content);
    for cut in [1usize, 4095, 65_536, 100_000, 199_999] {
        let dir = tempfile::tempdir().unwrap();
        let destination = dir.path().join("app.tar.gz");
        let server = Scripted::new(
            &content,
            &[("https://a/app", &[Act::DropAfter(cut), Act::Serve])],
        );
        let waits = Waits::default();
        let path = Download::new(
            vec!["https://a/app".into()],
            content.len() as u64,
            &hashes,
            &destination,
        )
        .sleeper(&waits)
        .run(&server)
        .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), content, "cut at {cut}");
        assert_eq!(
            server.asked(),
            vec![
                ("https://a/app".to_owned(), 0),
                ("https://a/app".to_owned(), cut as u64)
            ],
            "the second request resumes at the cut"
        );
        assert!(!dir.path().join("app.tar.gz.part").exists());
    }
}

#[test]
fn server_that_ignores_the_range_restarts_from_zero() {
    let content = artifact(50_000);
    let hashes = hashes_of(&content);
    let dir = tempfile::tempdir().unwrap();
    let destination = dir.path().join("app.zip");
    let server = Scripted::new(
        &content,
        &[("https://a/app", &[Act::DropAfter(10_000), Act::IgnoreRange])],
    );
    let path = Download::new(vec!["https://a/app".into()], 50_000, &hashes, &destination)
        .sleeper(&Waits::default())
        .run(&server)
        .unwrap();
    assert_eq!(std::fs::read(path).unwrap(), content);
}

#[test]
fn server_that_sends_extra_bytes_is_cut_off_and_the_next_mirror_used() {
    let content = artifact(30_000);
    let hashes = hashes_of(&content);
    let dir = tempfile::tempdir().unwrap();
    let destination = dir.path().join("app.zip");
    let server = Scripted::new(
        &content,
        &[
            ("https://evil/app", &[Act::Extra(1 << 20)]),
            ("https://good/app", &[Act::Serve]),
        ],
    );
    let path = Download::new(
        vec!["https://evil/app".into(), "https://good/app".into()],
        30_000,
        &hashes,
        &destination,
    )
    .sleeper(&Waits::default())
    .run(&server)
    .unwrap();
    assert_eq!(std::fs::read(path).unwrap(), content);
    assert_eq!(
        server.asked().last().unwrap(),
        &("https://good/app".to_owned(), 0)
    );
}

#[test]
fn endless_data_is_refused() {
    let content = artifact(1000);
    let hashes = hashes_of(&content);
    let dir = tempfile::tempdir().unwrap();
    let destination = dir.path().join("app.zip");
    let server = Scripted::new(&content, &[("https://evil/app", &[Act::Extra(10_000_000)])]);
    let err = Download::new(vec!["https://evil/app".into()], 1000, &hashes, &destination)
        .sleeper(&Waits::default())
        .run(&server)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "https://evil/app: the server sent more than the 1000 bytes trusted metadata gives"
    );
    assert!(!destination.exists());
    assert!(!dir.path().join("app.zip.part").exists());
}

#[test]
fn wrong_bytes_fail_the_hash_and_never_reach_the_destination() {
    let content = artifact(20_000);
    let hashes = hashes_of(&content);
    let dir = tempfile::tempdir().unwrap();
    let destination = dir.path().join("app.zip");
    let server = Scripted::new(&content, &[("https://evil/app", &[Act::Corrupt])]);
    let err = Download::new(
        vec!["https://evil/app".into()],
        20_000,
        &hashes,
        &destination,
    )
    .sleeper(&Waits::default())
    .run(&server)
    .unwrap_err();
    assert!(matches!(err, DownloadError::HashMismatch { .. }), "{err}");
    assert!(!destination.exists());
    // With a good mirror behind it, the download succeeds from scratch.
    let server = Scripted::new(
        &content,
        &[
            ("https://evil/app", &[Act::Corrupt]),
            ("https://good/app", &[Act::Serve]),
        ],
    );
    Download::new(
        vec!["https://evil/app".into(), "https://good/app".into()],
        20_000,
        &hashes,
        &destination,
    )
    .sleeper(&Waits::default())
    .run(&server)
    .unwrap();
    assert_eq!(std::fs::read(&destination).unwrap(), content);
}

#[test]
fn corrupt_part_from_an_earlier_run_is_discarded() {
    let content = artifact(40_000);
    let hashes = hashes_of(&content);
    let dir = tempfile::tempdir().unwrap();
    let destination = dir.path().join("app.zip");
    std::fs::write(dir.path().join("app.zip.part"), vec![0u8; 10_000]).unwrap();
    let server = Scripted::new(&content, &[("https://a/app", &[Act::Serve])]);
    Download::new(vec!["https://a/app".into()], 40_000, &hashes, &destination)
        .sleeper(&Waits::default())
        .run(&server)
        .unwrap();
    assert_eq!(std::fs::read(&destination).unwrap(), content);
    assert_eq!(
        server.asked(),
        vec![
            ("https://a/app".to_owned(), 10_000),
            ("https://a/app".to_owned(), 0)
        ]
    );
}

#[test]
fn retries_back_off_then_fail_over() {
    let content = artifact(5_000);
    let hashes = hashes_of(&content);
    let dir = tempfile::tempdir().unwrap();
    let server = Scripted::new(
        &content,
        &[
            ("https://down/app", &[Act::Refuse]),
            ("https://up/app", &[Act::Serve]),
        ],
    );
    let waits = Waits::default();
    Download::new(
        vec!["https://down/app".into(), "https://up/app".into()],
        5_000,
        &hashes,
        &dir.path().join("app"),
    )
    .sleeper(&waits)
    .run(&server)
    .unwrap();
    let waits = waits.0.lock().unwrap().clone();
    assert_eq!(
        waits,
        [
            Duration::from_millis(500),
            Duration::from_secs(1),
            Duration::from_secs(2)
        ]
    );
    let asked = server.asked();
    assert_eq!(
        asked
            .iter()
            .filter(|(url, _)| url == "https://down/app")
            .count(),
        4
    );
}

#[test]
fn cancel_keeps_the_part_and_a_later_run_resumes() {
    let content = artifact(300_000);
    let hashes = hashes_of(&content);
    let dir = tempfile::tempdir().unwrap();
    let destination = dir.path().join("app");
    let server = Scripted::new(&content, &[("https://a/app", &[Act::Serve])]);
    let cancel = AtomicBool::new(false);
    let seen = Mutex::new(Vec::<Progress>::new());
    let on_progress = |p: &Progress| {
        seen.lock().unwrap().push(*p);
        if p.downloaded >= 100_000 {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let err = Download::new(vec!["https://a/app".into()], 300_000, &hashes, &destination)
        .on_progress(&on_progress)
        .cancel_flag(&cancel)
        .sleeper(&Waits::default())
        .run(&server)
        .unwrap_err();
    let DownloadError::Cancelled { received } = err else {
        panic!("expected Cancelled, got {err}")
    };
    assert!((100_000..300_000).contains(&received));
    let seen = seen.lock().unwrap().clone();
    assert!(seen.windows(2).all(|w| w[0].downloaded < w[1].downloaded));
    assert!(
        seen.iter()
            .all(|p| p.total == 300_000 && p.resumed_from == 0)
    );

    let resumed = Mutex::new(None);
    let record = |p: &Progress| {
        resumed.lock().unwrap().get_or_insert(p.resumed_from);
    };
    Download::new(vec!["https://a/app".into()], 300_000, &hashes, &destination)
        .on_progress(&record)
        .sleeper(&Waits::default())
        .run(&server)
        .unwrap();
    assert_eq!(*resumed.lock().unwrap(), Some(received));
    assert_eq!(std::fs::read(&destination).unwrap(), content);
}

#[test]
fn offline_update_from_a_file() {
    let content = artifact(70_000);
    let hashes = hashes_of(&content);
    let dir = tempfile::tempdir().unwrap();
    let usb = dir.path().join("app-1.1.0.tar.gz");
    std::fs::write(&usb, &content).unwrap();
    let destination = dir.path().join("downloaded");
    Download::new(
        vec![format!("file://{}", usb.display())],
        70_000,
        &hashes,
        &destination,
    )
    .run(&FileSource)
    .unwrap();
    assert_eq!(std::fs::read(&destination).unwrap(), content);
}

/// A minimal HTTP/1.1 server on loopback: honours `Range: bytes=N-`, checks a header, and drops
/// the first connection halfway through the body.
fn serve(
    content: Vec<u8>,
    required_header: &'static str,
    connections: usize,
) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/releases/app.tar.gz",
        listener.local_addr().unwrap()
    );
    let handle = std::thread::spawn(move || {
        let mut requests = Vec::new();
        for (index, stream) in listener.incoming().take(connections).enumerate() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            requests.push(head.clone());
            if !head
                .to_ascii_lowercase()
                .contains(&required_header.to_ascii_lowercase())
            {
                stream.write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
                continue;
            }
            let start = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("range: bytes=")
                        .map(str::to_owned)
                })
                .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
                .unwrap_or(0);
            let body = &content[start..];
            let status = if start > 0 {
                format!(
                    "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{}/{}\r\n",
                    content.len() - 1,
                    content.len()
                )
            } else {
                "HTTP/1.1 200 OK\r\n".to_owned()
            };
            let header = format!(
                "{status}Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(header.as_bytes()).unwrap();
            let send = if index == 0 {
                &body[..body.len() / 2]
            } else {
                body
            };
            let _ = stream.write_all(send);
            // Dropping the stream closes the connection, mid-body on the first request.
        }
        requests
    });
    (url, handle)
}

#[test]
fn http_download_resumes_with_a_range_request_and_sends_private_feed_headers() {
    let content = artifact(400_000);
    let hashes = hashes_of(&content);
    let (url, server) = serve(content.clone(), "authorization: Bearer feed-token", 2);
    let source = HttpSource::new(&NetworkOptions {
        no_proxy: true,
        headers: vec![("Authorization".into(), "Bearer feed-token".into())],
        ..NetworkOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let destination = dir.path().join("app.tar.gz");
    Download::new(vec![url], 400_000, &hashes, &destination)
        .sleeper(&Waits::default())
        .run(&source)
        .unwrap();
    assert_eq!(std::fs::read(&destination).unwrap(), content);
    let requests = server.join().unwrap();
    assert_eq!(requests.len(), 2);
    assert!(!requests[0].to_ascii_lowercase().contains("range:"));
    assert!(
        requests[1]
            .to_ascii_lowercase()
            .contains("range: bytes=200000-"),
        "{}",
        requests[1]
    );
}

#[test]
fn network_options_debug_hides_header_values_and_proxy_credentials() {
    let options = NetworkOptions {
        proxy: Some("http://user:hunter2@proxy:3128".into()),
        headers: vec![("Authorization".into(), "Bearer secret-token".into())],
        ..NetworkOptions::default()
    };
    let shown = format!("{options:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("secret-token"),
        "{shown}"
    );
}

/// Yields one byte every 20 ms, forever.
struct Trickle;

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        std::thread::sleep(Duration::from_millis(20));
        buf[0] = 0;
        Ok(1)
    }
}

struct SlowServer;

impl RangeSource for SlowServer {
    fn open(&self, _url: &str, offset: u64) -> Result<Body<'_>, DownloadError> {
        Ok(Body {
            reader: Box::new(Trickle),
            offset,
        })
    }
}

#[test]
fn slow_retrieval_is_cut_off() {
    let hashes = hashes_of(b"irrelevant");
    let dir = tempfile::tempdir().unwrap();
    let retry = RetryPolicy {
        attempts_per_url: 2,
        min_bytes_per_second: 10_000,
        slow_grace: Duration::from_millis(200),
        ..RetryPolicy::default()
    };
    let started = std::time::Instant::now();
    let err = Download::new(
        vec!["https://slow/app".into()],
        1 << 20,
        &hashes,
        &dir.path().join("app"),
    )
    .retry(retry)
    .sleeper(&Waits::default())
    .run(&SlowServer)
    .unwrap_err();
    assert!(err.to_string().contains("slower than"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// Collects what a sink is fed, as a signature's prehash would see it.
#[derive(Default)]
struct Recorder {
    bytes: Vec<u8>,
    resets: usize,
}

impl ChunkSink for Recorder {
    fn update(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    fn reset(&mut self) {
        self.bytes.clear();
        self.resets += 1;
    }
}

#[test]
fn a_sink_beside_the_digests_sees_exactly_the_verified_file_across_a_resume_and_a_restart() {
    let content = artifact(700_000);
    let hashes = hashes_of(&content);
    for script in [
        &[Act::DropAfter(300_001), Act::Serve][..],
        &[Act::DropAfter(10_000), Act::IgnoreRange][..],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let destination = dir.path().join("app.bin");
        let server = Scripted::new(&content, &[("https://a/app", script)]);
        let mut recorder = Recorder::default();
        let path = Download::new(
            vec!["https://a/app".into()],
            content.len() as u64,
            &hashes,
            &destination,
        )
        .sleeper(&Waits::default())
        .run_with(&server, &mut [&mut recorder])
        .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), content);
        // The bytes kept from the first attempt are fed again from disk before the rest.
        assert_eq!(recorder.bytes.len(), content.len());
        assert!(recorder.bytes == content, "the sink saw other bytes");
        assert_eq!(recorder.resets, 2, "one reset per attempt");
    }
}

#[test]
fn a_sink_is_not_a_way_around_the_digests() {
    // A lying server: the sink sees the bytes, but the download is still refused.
    let content = artifact(100_000);
    let hashes = hashes_of(&content);
    let dir = tempfile::tempdir().unwrap();
    let destination = dir.path().join("app.bin");
    let server = Scripted::new(&content, &[("https://a/app", &[Act::Corrupt])]);
    let mut recorder = Recorder::default();
    let err = Download::new(vec!["https://a/app".into()], 100_000, &hashes, &destination)
        .sleeper(&Waits::default())
        .run_with(&server, &mut [&mut recorder])
        .unwrap_err();
    assert!(matches!(err, DownloadError::HashMismatch { .. }), "{err}");
    assert!(!destination.exists());
}
