//! `sigil-audit log ...`: the security team's view of a chain-of-custody log.

use std::io::Write as _;
use std::path::PathBuf;

use sigil_audit::custody::{TrustedKeyError, read_trusted_key};
use sigil_custody::checkpoint::CheckpointTrust;
use sigil_custody::note::NoteVerifier;
use sigil_custody::store::StoreError;
use sigil_custody::{
    DEFAULT_ORIGIN, EntryProof, KeyRing, Log, LogOptions, Sha256Digest, Verifier, trace_lineage,
};

mod witness;

/// Commands on a custody log.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum LogCommand {
    /// Re-derive the tree, check every entry's signature, the checkpoint, and consistency with
    /// an earlier checkpoint. Exit code 0: verified; 1: findings; 2: could not run.
    Verify(VerifyArgs),
    /// List the entries: index, time, type, subjects, signer.
    Show(ShowArgs),
    /// Write entry N with its inclusion proof and the signed checkpoint, as a self-contained
    /// proof a verifier can check offline.
    Prove(ProveArgs),
    /// Every entry about one artifact, in order: audited, signed, published, installed.
    Trace(TraceArgs),
    /// Run a witness: cosign checkpoints of the logs it follows over the C2SP tlog-witness
    /// HTTP protocol, only when they extend the last one it cosigned.
    Witness(Box<witness::WitnessArgs>),
    /// Print the tlog-witness `add-checkpoint` request for the log's checkpoint, with the
    /// consistency proof from the size the witness last cosigned.
    WitnessRequest(witness::WitnessRequestArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct LogDir {
    /// The log's directory.
    #[arg(long = "log", value_name = "DIR")]
    pub(crate) dir: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Trust {
    /// A key whose entries are trusted: PEM public key or minisign public key file (repeatable).
    /// It is trusted to sign checkpoints too, as the log named by --origin, or without --origin
    /// as the log named `sigil-custody-log` (the name sigil signs under by default).
    #[arg(long = "trusted-key", value_name = "FILE")]
    keys: Vec<PathBuf>,
    /// The checkpoint origin line to expect. Without it, a checkpoint's origin must be the note
    /// key name of the trusted key that signed it.
    #[arg(long, value_name = "ORIGIN")]
    origin: Option<String>,
    /// A log checkpoint signer to trust, as a note verifier key (`name+hash+base64`;
    /// repeatable).
    #[arg(long = "checkpoint-key", value_name = "VKEY")]
    checkpoint_keys: Vec<String>,
    /// A witness to require on the checkpoint, as a verifier key (`name+hash+base64`, of a
    /// `cosignature/v1` key or a plain note key; repeatable).
    #[arg(long = "witness", value_name = "VKEY")]
    witnesses: Vec<String>,
    /// How many of the --witness keys must have cosigned the checkpoint [default: all of them].
    #[arg(long, value_name = "N", requires = "witnesses")]
    quorum: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    log: LogDir,
    #[command(flatten)]
    trust: Trust,
    /// The signed checkpoint to check against [default: the log's own `checkpoint` file].
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// An earlier checkpoint kept by the verifier: the log must extend it.
    #[arg(long, value_name = "FILE")]
    previous: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ShowArgs {
    #[command(flatten)]
    log: LogDir,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ProveArgs {
    #[command(flatten)]
    log: LogDir,
    #[command(flatten)]
    trust: Trust,
    /// The entry to prove.
    #[arg(long, value_name = "N")]
    index: u64,
}

#[derive(Debug, clap::Args)]
pub(crate) struct TraceArgs {
    #[command(flatten)]
    log: LogDir,
    #[command(flatten)]
    trust: Trust,
    /// The artifact's SHA-256: `sha256:HEX` or `HEX`.
    #[arg(
        value_name = "DIGEST",
        required_unless_present = "file",
        conflicts_with = "file"
    )]
    digest: Option<String>,
    /// The artifact itself (its SHA-256 is computed).
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
}

/// Why a log command could not run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LogError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] TrustedKeyError),
    #[error("checkpoint key {key:?}: {reason}")]
    CheckpointKey { key: String, reason: String },
    #[error("{path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: {reason}")]
    Invalid { what: String, reason: String },
    #[error("writing the output: {0}")]
    Write(#[source] std::io::Error),
}

pub(crate) fn read(path: &PathBuf) -> Result<String, LogError> {
    std::fs::read_to_string(path).map_err(|source| LogError::Read {
        path: path.display().to_string(),
        source,
    })
}

pub(crate) fn open(dir: &LogDir) -> Result<Log, LogError> {
    Ok(Log::open_read_only(&dir.dir, LogOptions::new())?)
}

fn trust(
    trust: &Trust,
    log: &Log,
    checkpoint: Option<&str>,
) -> Result<(KeyRing, CheckpointTrust), LogError> {
    let mut keys = KeyRing::new();
    let mut trusted = Vec::new();
    for path in &trust.keys {
        let key = read_trusted_key(path)?;
        trusted.push(key.clone());
        keys.insert(key);
    }
    let mut verifiers = Vec::new();
    match &trust.origin {
        Some(_) => {
            let stored = log.read_checkpoint()?;
            let note = checkpoint.or(stored.as_deref()).unwrap_or_default();
            // With the origin given, a trusted key signs checkpoints under whatever name its
            // signature line gives: the line's key hash binds the name to the key, so only a
            // trusted key's signatures can match.
            for name in note
                .lines()
                .filter_map(|line| line.strip_prefix("\u{2014} "))
                .filter_map(|rest| rest.split(' ').next())
            {
                for key in &trusted {
                    if let Ok(verifier) = NoteVerifier::new(name, key.clone()) {
                        verifiers.push(verifier);
                    }
                }
            }
        }
        None => {
            // Without it, the name is fixed before the checkpoint is read: the one sigil signs
            // under by default, which the checkpoint's origin must then be.
            for key in &trusted {
                if let Ok(verifier) = NoteVerifier::new(DEFAULT_ORIGIN, key.clone()) {
                    verifiers.push(verifier);
                }
            }
        }
    }
    for key in &trust.checkpoint_keys {
        verifiers.push(parse_vkey(key)?);
    }
    let witnesses = trust
        .witnesses
        .iter()
        .map(|key| parse_vkey(key))
        .collect::<Result<Vec<_>, _>>()?;
    let quorum = trust.quorum.unwrap_or(witnesses.len());
    if quorum > witnesses.len() {
        return Err(LogError::Invalid {
            what: format!("--quorum {quorum}"),
            reason: format!(
                "only {} --witness key(s) are given: give at least as many witnesses as the quorum",
                witnesses.len()
            ),
        });
    }
    let checkpoint_trust = match &trust.origin {
        Some(origin) => CheckpointTrust::new(origin.clone(), verifiers),
        None => CheckpointTrust::bound_to_key_names(verifiers),
    }
    .with_witnesses(witnesses, quorum);
    Ok((keys, checkpoint_trust))
}

pub(crate) fn parse_vkey(key: &str) -> Result<NoteVerifier, LogError> {
    NoteVerifier::parse(key).map_err(|e| LogError::CheckpointKey {
        key: key.to_owned(),
        reason: e.to_string(),
    })
}

pub(crate) fn out(text: &str) -> Result<(), LogError> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(LogError::Write(e)),
        Ok(()) => Ok(()),
    }
}

/// Runs a log command; `Ok(false)` means the log did not verify.
pub(crate) fn run(command: LogCommand) -> Result<bool, LogError> {
    match command {
        LogCommand::Verify(args) => verify(&args),
        LogCommand::Show(args) => show(&args).map(|()| true),
        LogCommand::Prove(args) => prove(&args).map(|()| true),
        LogCommand::Trace(args) => trace_artifact(&args),
        LogCommand::Witness(args) => witness::witness(&args),
        LogCommand::WitnessRequest(args) => witness::witness_request(&args),
    }
}

fn verify(args: &VerifyArgs) -> Result<bool, LogError> {
    let log = open(&args.log)?;
    let checkpoint = args.checkpoint.as_ref().map(read).transpose()?;
    let (keys, trust) = trust(&args.trust, &log, checkpoint.as_deref())?;
    let previous = match &args.previous {
        Some(path) => {
            let note = read(path)?;
            let verified = trust.verify(&note).map_err(|e| LogError::Invalid {
                what: format!("earlier checkpoint {}", path.display()),
                reason: e.to_string(),
            })?;
            Some(verified.checkpoint)
        }
        None => None,
    };
    let mut verifier = Verifier::new(&keys, &trust);
    if let Some(note) = &checkpoint {
        verifier = verifier.checkpoint(note);
    }
    if let Some(previous) = previous.as_ref() {
        verifier = verifier.previous(previous);
    }
    let report = verifier.verify(&log)?;
    let mut text = String::new();
    for finding in &report.findings {
        text.push_str(&format!("{finding}\n"));
    }
    let checkpoint_line = match &report.checkpoint {
        Some(c) if c.cosigned_by.is_empty() => format!(
            "checkpoint of {} entries signed by {}",
            c.checkpoint.size,
            c.signed_by.join(", ")
        ),
        Some(c) => format!(
            "checkpoint of {} entries signed by {}, cosigned by {}",
            c.checkpoint.size,
            c.signed_by.join(", "),
            c.cosigned_by
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => "no trusted checkpoint".to_owned(),
    };
    text.push_str(&format!(
        "{}: {} entries, root {}, {}; {} finding(s)\n",
        if report.is_ok() { "VERIFIED" } else { "FAILED" },
        report.size,
        report.root.to_hex(),
        checkpoint_line,
        report.findings.len()
    ));
    out(&text)?;
    Ok(report.is_ok())
}

fn show(args: &ShowArgs) -> Result<(), LogError> {
    let log = open(&args.log)?;
    let mut text = String::new();
    for item in log.entries_bytes() {
        let (index, bytes) = item?;
        match sigil_custody::Entry::parse(index, &bytes) {
            Ok(entry) => {
                let custody = entry.custody();
                let subjects: Vec<String> = entry
                    .statement
                    .subject
                    .iter()
                    .map(|s| {
                        let digest = s.digest.get("sha256").map(String::as_str).unwrap_or("?");
                        format!("{} sha256:{}", s.name, leading_chars(digest, 16))
                    })
                    .collect();
                let kind = entry
                    .statement
                    .predicate_type
                    .trim_end_matches('/')
                    .rsplit('/')
                    .nth(1)
                    .unwrap_or(&entry.statement.predicate_type);
                text.push_str(&format!(
                    "{index:>6}  {}  {kind:<22}  key {}  {}\n",
                    custody.time,
                    leading_chars(custody.actor.keyid.as_str(), 16),
                    subjects.join(", ")
                ));
            }
            Err(e) => text.push_str(&format!("{index:>6}  unreadable: {e}\n")),
        }
    }
    out(&text)
}

/// The first `count` characters of `text`: entries are untrusted input, so a key id or digest
/// may hold characters of several bytes, and a byte-index slice could cut one in half.
fn leading_chars(text: &str, count: usize) -> &str {
    text.char_indices()
        .nth(count)
        .map_or(text, |(end, _)| &text[..end])
}

fn prove(args: &ProveArgs) -> Result<(), LogError> {
    let log = open(&args.log)?;
    let (keys, trust) = trust(&args.trust, &log, None)?;
    let note = log.read_checkpoint()?.ok_or_else(|| LogError::Invalid {
        what: args.log.dir.display().to_string(),
        reason: "the log has no checkpoint to prove against".to_owned(),
    })?;
    let proof =
        EntryProof::build(&log, args.index, &note, &trust).map_err(|e| LogError::Invalid {
            what: format!("entry {}", args.index),
            reason: e.to_string(),
        })?;
    // The proof checks out before it is handed over.
    proof.verify(&keys, &trust).map_err(|e| LogError::Invalid {
        what: format!("proof of entry {}", args.index),
        reason: e.to_string(),
    })?;
    let json = proof.to_json().map_err(|e| LogError::Invalid {
        what: format!("proof of entry {}", args.index),
        reason: e.to_string(),
    })?;
    out(&format!("{json}\n"))
}

fn trace_artifact(args: &TraceArgs) -> Result<bool, LogError> {
    let log = open(&args.log)?;
    let (keys, _) = trust(&args.trust, &log, None)?;
    let digest = match (&args.digest, &args.file) {
        (Some(text), _) => {
            let hex = text.strip_prefix("sha256:").unwrap_or(text);
            Sha256Digest::from_hex(hex).map_err(|e| LogError::Invalid {
                what: format!("digest {text:?}"),
                reason: e.to_string(),
            })?
        }
        (None, Some(path)) => {
            let bytes = std::fs::read(path).map_err(|source| LogError::Read {
                path: path.display().to_string(),
                source,
            })?;
            Sha256Digest::of(&bytes)
        }
        (None, None) => {
            return Err(LogError::Invalid {
                what: "trace".to_owned(),
                reason: "give --digest or --file".to_owned(),
            });
        }
    };
    let mut text = format!("artifact sha256:{}\n", digest.to_hex());
    if keys.is_empty() {
        // Without trusted keys the entries are listed, and said to be unchecked.
        let mut found = false;
        for item in log.entries_bytes() {
            let (index, bytes) = item?;
            let Ok(entry) = sigil_custody::Entry::parse(index, &bytes) else {
                continue;
            };
            if entry.is_about(&digest) {
                found = true;
                text.push_str(&format!(
                    "{index:>6}  {}  {}  signature NOT CHECKED (no --trusted-key)\n",
                    entry.custody().time,
                    entry.statement.predicate_type
                ));
            }
        }
        if !found {
            text.push_str("no entry is about this artifact\n");
        }
        out(&text)?;
        return Ok(true);
    }
    // The artifact, then what trusted build provenance says it was built from.
    let lineage = trace_lineage(&log, &digest, &keys)?;
    let mut all_trusted = true;
    for (position, (input, history)) in lineage.traces.iter().enumerate() {
        if position > 0 {
            text.push_str(&format!(
                "built from {} sha256:{}\n",
                input.as_deref().unwrap_or("(unnamed input)"),
                history.digest.to_hex()
            ));
        }
        for step in &history.steps {
            text.push_str(&format!(
                "{:>6}  {}  {}  signed by {}\n",
                step.entry.index,
                step.entry.custody().time,
                step.entry.statement.predicate_type,
                step.signed_by
                    .iter()
                    .map(|k| k.as_str().to_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for rejected in &history.rejected {
            all_trusted = false;
            text.push_str(&format!(
                "{:>6}  NOT TRUSTED: {}\n",
                rejected.index, rejected.reason
            ));
        }
        if history.steps.is_empty() && history.rejected.is_empty() {
            text.push_str("no entry is about this artifact\n");
        }
    }
    out(&text)?;
    Ok(all_trusted)
}
