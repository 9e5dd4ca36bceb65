//! `sigil-audit log witness`: a C2SP tlog-witness serving `add-checkpoint` over HTTP/1.1, and
//! `sigil-audit log witness-request`, the request body a log sends it.
//!
//! The HTTP layer is deliberately small: `POST <prefix>/add-checkpoint` with a
//! `Content-Length` body (keep-alive supported), one thread per connection, everything else
//! answered 404, 405, 411 or 413, at most 64 connections at once (more get 503). Put it behind a
//! TLS-terminating proxy to expose it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sigil_custody::note::{NoteSigner, NoteVerifier};
use sigil_custody::witness::{AddCheckpoint, MAX_REQUEST_BYTES, Refusal, Witness};
use sigil_custody::{Checkpoint, SystemClock};
use sigil_keys::{KeySource, LocalSigner, PasswordSource};

use super::{LogDir, LogError, out, parse_vkey};

/// The longest a connection may sit idle between requests.
const IDLE: Duration = Duration::from_secs(30);
/// The largest request line and headers read.
const MAX_HEAD_BYTES: u64 = 16 * 1024;
/// The most connections served at once; more are answered 503 and closed.
const MAX_CONNECTIONS: usize = 64;

#[derive(Debug, clap::Args)]
pub(crate) struct WitnessArgs {
    /// The witness's name, as its cosignature lines and verifier key carry it (a schema-less
    /// URL such as `witness.example.com/w1`).
    #[arg(long, value_name = "NAME")]
    name: String,
    /// The witness's Ed25519 secret key (minisign or PEM PKCS#8 key file).
    #[arg(long, value_name = "FILE", required_unless_present = "key_env")]
    key: Option<PathBuf>,
    /// Read the secret key from this environment variable instead.
    #[arg(long, value_name = "VAR", conflicts_with = "key")]
    key_env: Option<String>,
    /// The secret key's password is in this environment variable.
    #[arg(long, value_name = "VAR")]
    password_env: Option<String>,
    /// Print the witness's verifier key (`name+hash+base64`, type 0x04) and exit.
    #[arg(long)]
    print_vkey: bool,
    /// A log to witness, as the verifier key of its checkpoint key; the log's origin is the
    /// key's name (repeatable).
    #[arg(
        long = "log-key",
        value_name = "VKEY",
        required_unless_present = "print_vkey"
    )]
    log_keys: Vec<String>,
    /// Where the last checkpoint cosigned for each log is kept.
    #[arg(long, value_name = "DIR", required_unless_present = "print_vkey")]
    state: Option<PathBuf>,
    /// The address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7380")]
    listen: String,
    /// The submission prefix the `add-checkpoint` path is under (e.g. `/witness`).
    #[arg(long, value_name = "PATH", default_value = "")]
    prefix: String,
}

#[derive(Debug, clap::Args)]
pub(crate) struct WitnessRequestArgs {
    #[command(flatten)]
    log: LogDir,
    /// The size of the last checkpoint the witness cosigned (0 the first time; a witness
    /// answers 409 with its size when this is wrong).
    #[arg(long, value_name = "N")]
    old: u64,
    /// The signed checkpoint to submit [default: the log's own `checkpoint` file].
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
}

pub(crate) fn witness(args: &WitnessArgs) -> Result<bool, LogError> {
    let source = match (&args.key, &args.key_env) {
        (Some(path), _) => KeySource::File(path.clone()),
        (None, Some(var)) => KeySource::Env(var.clone()),
        (None, None) => {
            return Err(LogError::Invalid {
                what: "log witness".to_owned(),
                reason: "give the witness's key: --key FILE or --key-env VAR".to_owned(),
            });
        }
    };
    let password = match &args.password_env {
        Some(var) => PasswordSource::Env(var.clone()),
        None => PasswordSource::None,
    };
    let key = LocalSigner::load(source, &password).map_err(|e| LogError::Invalid {
        what: "witness key".to_owned(),
        reason: e.to_string(),
    })?;
    let clock = SystemClock;
    let cosigner =
        NoteSigner::cosigner(&args.name, &key, &clock).map_err(|e| LogError::Invalid {
            what: format!("witness name {:?}", args.name),
            reason: e.to_string(),
        })?;
    if args.print_vkey {
        out(&format!("{}\n", cosigner.verifier()))?;
        return Ok(true);
    }
    let logs = args
        .log_keys
        .iter()
        .map(|key| parse_vkey(key))
        .collect::<Result<Vec<NoteVerifier>, _>>()?;
    let Some(state) = &args.state else {
        return Err(LogError::Invalid {
            what: "log witness".to_owned(),
            reason: "give the state directory: --state DIR".to_owned(),
        });
    };
    let witness = Witness::new(cosigner, logs, state)?;
    let listener = TcpListener::bind(&args.listen).map_err(|source| LogError::Read {
        path: format!("listening on {}", args.listen),
        source,
    })?;
    let address = listener.local_addr().map_err(|source| LogError::Read {
        path: args.listen.clone(),
        source,
    })?;
    let path = format!("{}/add-checkpoint", args.prefix.trim_end_matches('/'));
    eprintln!(
        "witness {} listening on http://{address}{path}",
        witness.verifier()
    );
    let open = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                open.fetch_sub(1, Ordering::SeqCst);
                let body = "too many connections; retry later\n";
                let _ = write!(
                    stream,
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                continue;
            }
            let (witness, path, open) = (&witness, path.as_str(), &open);
            scope.spawn(move || {
                serve(stream, witness, path);
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    Ok(true)
}

/// Serves requests on one connection until the client closes it, asks to, or idles.
fn serve(stream: TcpStream, witness: &Witness<'_>, path: &str) {
    let _ = stream.set_read_timeout(Some(IDLE));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let (status, content_type, body, close) = match read_request(&mut reader) {
            Ok(None) => return,
            Ok(Some(request)) => {
                let (status, content_type, body) = handle(&request, witness, path);
                (status, content_type, body, request.close)
            }
            Err((status, reason)) => (status, "text/plain; charset=utf-8", reason, true),
        };
        let response = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{}\r\n{body}",
            reason_phrase(status),
            body.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        if writer.write_all(response.as_bytes()).is_err() || close {
            return;
        }
    }
}

struct Request {
    method: String,
    target: String,
    body: Vec<u8>,
    close: bool,
}

/// Reads one request; `None` when the connection ended cleanly between requests.
fn read_request(reader: &mut BufReader<TcpStream>) -> Result<Option<Request>, (u16, String)> {
    let mut head = reader.by_ref().take(MAX_HEAD_BYTES);
    let mut line = String::new();
    match head.read_line(&mut line) {
        Ok(0) => return Ok(None),
        Ok(_) => {}
        Err(_) => return Ok(None),
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err((400, "malformed request line\n".to_owned()));
    };
    let (method, target) = (method.to_owned(), target.to_owned());
    let mut close = version == "HTTP/1.0";
    let mut length = None;
    loop {
        let mut header = String::new();
        match head.read_line(&mut header) {
            Ok(0) => return Err((400, "the request headers are cut short\n".to_owned())),
            Ok(_) => {}
            Err(_) => return Err((400, "unreadable request headers\n".to_owned())),
        }
        let header = header.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            return Err((400, "malformed header\n".to_owned()));
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                length = Some(
                    value
                        .parse::<usize>()
                        .map_err(|_| (400, "malformed Content-Length\n".to_owned()))?,
                );
            }
            "transfer-encoding" => {
                return Err((411, "send the body with a Content-Length\n".to_owned()));
            }
            "connection" if value.eq_ignore_ascii_case("close") => close = true,
            "connection" if value.eq_ignore_ascii_case("keep-alive") => close = false,
            _ => {}
        }
    }
    let length = match (method.as_str(), length) {
        ("POST", None) => return Err((411, "send the body with a Content-Length\n".to_owned())),
        (_, length) => length.unwrap_or(0),
    };
    if length > MAX_REQUEST_BYTES {
        return Err((
            413,
            format!("the request body is larger than {MAX_REQUEST_BYTES} bytes\n"),
        ));
    }
    let mut body = vec![0u8; length];
    reader
        .read_exact(&mut body)
        .map_err(|_| (400, "the request body is cut short\n".to_owned()))?;
    Ok(Some(Request {
        method,
        target,
        body,
        close,
    }))
}

fn handle(request: &Request, witness: &Witness<'_>, path: &str) -> (u16, &'static str, String) {
    let text = "text/plain; charset=utf-8";
    if request.target != path {
        return (404, text, format!("no such endpoint; POST to {path}\n"));
    }
    if request.method != "POST" {
        return (405, text, "add-checkpoint takes a POST\n".to_owned());
    }
    match witness.add_checkpoint(&request.body) {
        Ok(cosignature) => (200, text, cosignature),
        Err(refusal) => {
            let refusal: Refusal = refusal;
            (refusal.status(), refusal.content_type(), refusal.body())
        }
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        422 => "Unprocessable Entity",
        _ => "Internal Server Error",
    }
}

pub(crate) fn witness_request(args: &WitnessRequestArgs) -> Result<bool, LogError> {
    let log = super::open(&args.log)?;
    let note = match &args.checkpoint {
        Some(path) => super::read(path)?,
        None => log.read_checkpoint()?.ok_or_else(|| LogError::Invalid {
            what: args.log.dir.display().to_string(),
            reason: "the log has no checkpoint to submit".to_owned(),
        })?,
    };
    let invalid = |reason: String| LogError::Invalid {
        what: "checkpoint".to_owned(),
        reason,
    };
    let parsed =
        sigil_custody::note::SignedNote::parse(&note).map_err(|e| invalid(e.to_string()))?;
    let checkpoint = Checkpoint::from_text(&parsed.text).map_err(|e| invalid(e.to_string()))?;
    if log.tree().root_at(checkpoint.size) != Some(checkpoint.root) {
        return Err(invalid(format!(
            "it is not a checkpoint of this log's first {} entries",
            checkpoint.size
        )));
    }
    if args.old > checkpoint.size {
        return Err(LogError::Invalid {
            what: format!("--old {}", args.old),
            reason: format!("the checkpoint has only {} entries", checkpoint.size),
        });
    }
    let proof = if args.old == 0 || args.old == checkpoint.size {
        Vec::new()
    } else {
        log.prove_consistency(args.old, checkpoint.size)?.path
    };
    let request = AddCheckpoint {
        old_size: args.old,
        proof,
        checkpoint: note,
    };
    out(&request.to_body())?;
    Ok(true)
}
