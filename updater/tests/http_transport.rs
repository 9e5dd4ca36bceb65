//! The HTTP transport against a local server: status codes map to the errors the workflow
//! needs (404 and 403 end the root walk), and a declared length over the limit is refused
//! before the body is read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread;

use sigil_updater::tuf::{HttpTransport, Limits, Transport, TransportError};

/// Serves `count` requests: `/ok` gets a body, `/big` declares 1 MiB, `/forbidden` is 403,
/// `/broken` is 500, anything else 404.
fn serve(count: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().take(count) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header == "\r\n" || header.is_empty() {
                    break;
                }
            }
            let path = request_line.split(' ').nth(1).unwrap_or("/");
            let response = match path {
                "/ok" => "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello".to_owned(),
                "/big" => "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\nConnection: close\r\n\r\n".to_owned(),
                "/forbidden" => "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned(),
                "/broken" => "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned(),
                _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned(),
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    format!("http://{address}")
}

#[test]
fn status_codes_and_declared_lengths() {
    let base = serve(5);
    let transport = HttpTransport::new(&Limits::default()).unwrap();
    let mut body = String::new();
    transport
        .fetch(&format!("{base}/ok"), 100)
        .unwrap()
        .read_to_string(&mut body)
        .unwrap();
    assert_eq!(body, "hello");
    assert!(matches!(
        transport.fetch(&format!("{base}/missing"), 100),
        Err(TransportError::NotFound { .. })
    ));
    assert!(matches!(
        transport.fetch(&format!("{base}/forbidden"), 100),
        Err(TransportError::NotFound { .. })
    ));
    assert!(matches!(
        transport.fetch(&format!("{base}/broken"), 100),
        Err(TransportError::Status { status: 500, .. })
    ));
    assert!(matches!(
        transport.fetch(&format!("{base}/big"), 1024),
        Err(TransportError::TooLarge { limit: 1024, .. })
    ));
}

/// Serves one request: 200 with a body when the `Authorization` header carries the feed's
/// token, 401 otherwise.
fn serve_private_feed() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().take(2) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                head.push_str(&line.to_ascii_lowercase());
            }
            let response = if head.contains("authorization: bearer feed-token") {
                "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nprivate"
            } else {
                "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    format!("http://{address}")
}

#[test]
fn metadata_from_a_private_feed_is_fetched_with_its_headers() {
    let base = serve_private_feed();
    let plain = HttpTransport::new(&Limits::default()).unwrap();
    assert!(matches!(
        plain.fetch(&format!("{base}/timestamp.json"), 100),
        Err(TransportError::Status { status: 401, .. })
    ));
    let network = sigil_updater::download::NetworkOptions {
        no_proxy: true,
        headers: vec![("Authorization".into(), "Bearer feed-token".into())],
        ..Default::default()
    };
    let private = HttpTransport::with_network(&Limits::default(), &network).unwrap();
    let mut body = String::new();
    private
        .fetch(&format!("{base}/timestamp.json"), 100)
        .unwrap()
        .read_to_string(&mut body)
        .unwrap();
    assert_eq!(body, "private");
}
