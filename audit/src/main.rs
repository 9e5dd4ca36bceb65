//! `sigil-audit`: the security team's command line, a thin layer over the `sigil_audit`
//! library. Exit codes: 0 the audit passed, 1 the policy failed, 2 the audit could not run.

// A binary's job is to print and to set an exit code; the library never does either.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sigil_cli::{Classify, ErrorKind, Exit};

use clap::{Parser, Subcommand, ValueEnum};
use sigil_audit::advisory::{Database, DatabaseError, DatabaseLimits};
use sigil_audit::license::gather::ManifestSources;
use sigil_audit::lockfile::{self, Limits, Lockfile, LockfileError};
use sigil_audit::online::{
    DEFAULT_MAX_REQUESTS, HttpFetch, HttpOptions, OnlineCheck, OnlineError, OnlineSources, Url,
};
use sigil_audit::policy::{Date, Policy, PolicyError};
use sigil_audit::{Auditor, OutputFormat};
use sigil_custody::SystemClock;
use sigil_keys::{KeySource, LocalSigner, PasswordSource};

mod log_cmd;

#[derive(Debug, Parser)]
#[command(
    name = "sigil-audit",
    version,
    about = "Audit lockfiles: licenses, sources, integrity"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Audit lockfiles against a policy. Exit code 0: passed; 1: policy failed; 2: could not run.
    Check(Box<CheckArgs>),
    /// Read a chain-of-custody log: verify, show, prove, trace.
    #[command(subcommand)]
    Log(log_cmd::LogCommand),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
    Sarif,
    Cyclonedx,
    Spdx,
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Policy file (TOML); without it, the built-in permissive policy applies.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Leave dev-only packages out of the checks and SBOMs.
    #[arg(long)]
    exclude_dev: bool,
    /// Judge exception expiry as of this date instead of today (UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<Date>,
    /// Cargo home whose registry source cache holds crate manifests
    /// [default: $CARGO_HOME, else ~/.cargo].
    #[arg(long, value_name = "DIR")]
    cargo_home: Option<PathBuf>,
    /// A directory of vendored crates to read licenses from (repeatable).
    #[arg(long, value_name = "DIR")]
    vendor_dir: Vec<PathBuf>,
    /// Do not read licenses from manifests on disk; use only what lockfiles carry.
    #[arg(long)]
    no_manifests: bool,
    /// Record the audit as a signed statement in the custody log in DIR (created if missing).
    #[arg(long, value_name = "DIR", requires = "log_key_source")]
    log: Option<PathBuf>,
    /// The key that signs the log entry (minisign or PEM PKCS#8 key file).
    #[arg(long, value_name = "FILE", group = "log_key_source")]
    log_key: Option<PathBuf>,
    /// Read the log entry's signing key from this environment variable.
    #[arg(long, value_name = "VAR", group = "log_key_source")]
    log_key_env: Option<String>,
    /// The log key's password is in this environment variable.
    #[arg(long, value_name = "VAR")]
    log_password_env: Option<String>,
    /// The log's origin, the name its checkpoints carry.
    #[arg(long, value_name = "NAME", default_value = sigil_custody::DEFAULT_ORIGIN)]
    log_origin: String,
    /// Also ask the registries: whether crates.io has yanked a locked crate version, and
    /// whether npm's integrity and registry signatures match what npm lockfiles pin.
    #[arg(long)]
    online: bool,
    /// The crates.io sparse index to ask (with --online) [default: https://index.crates.io/].
    #[arg(long, value_name = "URL", requires = "online")]
    crates_index: Option<Url>,
    /// The npm registry to ask (with --online) [default: https://registry.npmjs.org/].
    #[arg(long, value_name = "URL", requires = "online")]
    npm_registry: Option<Url>,
    /// The most HTTP requests the online checks may make [default: 10000].
    #[arg(long, value_name = "N", requires = "online")]
    max_requests: Option<usize>,
    /// An OSV advisory database: a folder of OSV JSON files or a zip of them, such as
    /// osv.dev's crates.io/all.zip or npm/all.zip (repeatable; adds to the policy's
    /// `advisories.databases`).
    #[arg(long, value_name = "PATH")]
    advisories: Vec<PathBuf>,
    /// With --online: download the advisory databases (osv.dev's `<ecosystem>/all.zip` for
    /// the lockfiles' ecosystems) for this run, when none is given by --advisories or the
    /// policy.
    #[arg(long, requires = "online")]
    fetch_advisories: bool,
    /// The osv.dev bucket (or a mirror with its layout) to download from
    /// [default: https://osv-vulnerabilities.storage.googleapis.com/].
    #[arg(long, value_name = "URL", requires = "fetch_advisories")]
    advisories_url: Option<Url>,
    /// The lockfiles: Cargo.lock, package-lock.json, npm-shrinkwrap.json, yarn.lock,
    /// pnpm-lock.yaml.
    #[arg(required = true, value_name = "LOCKFILE")]
    lockfiles: Vec<PathBuf>,
}

/// Why the audit could not run.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Lockfile(#[from] LockfileError),
    #[error(transparent)]
    Audit(#[from] sigil_audit::AuditError),
    #[error(transparent)]
    Online(#[from] OnlineError),
    #[error(transparent)]
    Advisories(#[from] DatabaseError),
    #[error("cannot render the report")]
    Render(#[from] serde_json::Error),
    #[error("cannot write the report to {path}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the system clock is before 1970; pass --date")]
    Clock,
    #[error("--log needs the key that signs the entry: --log-key FILE or --log-key-env VAR")]
    LogKeyMissing,
    #[error(transparent)]
    LogKey(#[from] sigil_keys::LoadKeyError),
    #[error("custody log: {0}")]
    Store(#[from] sigil_custody::store::StoreError),
    #[error("custody log: {0}")]
    Entry(#[from] sigil_audit::custody::AuditEntryError),
    #[error(transparent)]
    Log(#[from] log_cmd::LogError),
}

impl Classify for CliError {
    /// A failed check is not an error but `Ok(false)` (exit 1); every error here means the
    /// audit could not be done (exit 2).
    fn kind(&self) -> ErrorKind {
        ErrorKind::Operational
    }
}

fn main() -> ExitCode {
    sigil_cli::Shell::new("sigil-audit")
        .error_label("sigil-audit: error")
        .run(|| {
            let cli = match Cli::try_parse() {
                Ok(cli) => cli,
                Err(e) => {
                    // Help and version go to stdout with success; usage errors exit 2.
                    let _ = e.print();
                    return Ok(if e.use_stderr() {
                        Exit::Failed
                    } else {
                        Exit::Success
                    });
                }
            };
            run(cli).map(|passed| if passed { Exit::Success } else { Exit::Refused })
        })
}

fn default_cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
}

fn run(cli: Cli) -> Result<bool, CliError> {
    match cli.command {
        Command::Check(args) => check(*args),
        Command::Log(command) => Ok(log_cmd::run(command)?),
    }
}

fn check(args: CheckArgs) -> Result<bool, CliError> {
    let policy = match &args.policy {
        Some(path) => Policy::load(path)?,
        None => Policy::builtin(),
    };
    // One clock for the audit date and the custody entry's time.
    let clock = SystemClock;
    let today = match args.date {
        Some(d) => d,
        None => Date::today(&clock).ok_or(CliError::Clock)?,
    };
    let manifests = if args.no_manifests {
        ManifestSources::default()
    } else {
        ManifestSources {
            cargo_home: args.cargo_home.clone().or_else(default_cargo_home),
            vendor_dirs: args.vendor_dir.clone(),
            node_modules: true,
        }
    };
    let limits = Limits::default();
    let lockfiles = args
        .lockfiles
        .iter()
        .map(|p| lockfile::read(p, &limits))
        .collect::<Result<Vec<_>, _>>()?;
    let advisories = advisory_database(&args, &policy, &lockfiles)?;
    let mut auditor = Auditor::new(policy, today)
        .limits(limits)
        .manifests(manifests)
        .exclude_dev(args.exclude_dev);
    if let Some(db) = advisories {
        auditor = auditor.advisories(db);
    }
    let report = if args.online {
        let defaults = OnlineSources::default();
        let sources = OnlineSources {
            crates_index: args.crates_index.clone().unwrap_or(defaults.crates_index),
            npm_registry: args.npm_registry.clone().unwrap_or(defaults.npm_registry),
        };
        let online = OnlineCheck::new(HttpFetch::new(&HttpOptions::default())?)
            .sources(sources)
            .max_requests(args.max_requests.unwrap_or(DEFAULT_MAX_REQUESTS));
        auditor.audit_lockfiles_online(lockfiles, &online)?
    } else {
        auditor.audit_lockfiles(lockfiles)
    };
    let format = match args.format {
        Format::Human => OutputFormat::Human,
        Format::Json => OutputFormat::Json,
        Format::Sarif => OutputFormat::Sarif,
        Format::Cyclonedx => OutputFormat::CycloneDx,
        Format::Spdx => OutputFormat::Spdx,
    };
    if let Some(dir) = &args.log {
        let source = match (&args.log_key, &args.log_key_env) {
            (Some(path), _) => KeySource::File(path.clone()),
            (None, Some(var)) => KeySource::Env(var.clone()),
            (None, None) => return Err(CliError::LogKeyMissing),
        };
        let password = match &args.log_password_env {
            Some(var) => PasswordSource::Env(var.clone()),
            None => PasswordSource::None,
        };
        let signer = LocalSigner::load(source, &password)?;
        let mut log = sigil_audit::custody::open_log(dir)?;
        let appended = sigil_audit::custody::record_audit(
            &mut log,
            &signer,
            &report.summary(),
            args.policy.as_deref(),
            &clock,
        )?;
        log.sign_checkpoint(&args.log_origin, &signer)?;
        eprintln!(
            "sigil-audit: recorded as entry {} of the custody log in {}",
            appended.index,
            dir.display()
        );
    }
    match &args.output {
        Some(path) => {
            write_atomically(path, |w| report.write_to(format, w)).map_err(|source| {
                CliError::Write {
                    path: path.display().to_string(),
                    source,
                }
            })?;
            let c = report.counts();
            eprintln!(
                "sigil-audit: {}: {} error(s), {} warning(s), {} note(s); report written to {}",
                if report.passed() { "PASSED" } else { "FAILED" },
                c.error,
                c.warning,
                c.note,
                path.display()
            );
        }
        None => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let written = report
                .write_to(format, &mut stdout)
                .map_err(into_io)
                .and_then(|()| stdout.flush());
            match written {
                // A reader that stopped early (`| head`) is not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(source) => {
                    return Err(CliError::Write {
                        path: "standard output".to_owned(),
                        source,
                    });
                }
                Ok(()) => {}
            }
        }
    }
    Ok(report.passed())
}

/// The advisory database: the policy's and the command line's, or with `--fetch-advisories`
/// and neither, osv.dev's for the ecosystems of the lockfiles given; `None` when there is none
/// to use.
fn advisory_database(
    args: &CheckArgs,
    policy: &Policy,
    lockfiles: &[Lockfile],
) -> Result<Option<Database>, CliError> {
    let limits = DatabaseLimits::default();
    // Only the advisories about locked packages are kept: the rest is most of the database.
    let empty = || Database::new().only_packages(lockfiles.iter().flat_map(|l| &l.packages));
    let mut paths = policy.advisories.database_paths(args.policy.as_deref());
    paths.extend(args.advisories.iter().cloned());
    if !paths.is_empty() {
        let mut db = empty();
        for p in &paths {
            db.add_path(p, &limits)?;
        }
        return Ok(Some(db));
    }
    if !args.fetch_advisories {
        return Ok(None);
    }
    let mut ecosystems = Vec::new();
    for e in lockfiles
        .iter()
        .flat_map(|l| l.packages.iter().map(|p| p.ecosystem))
    {
        if !ecosystems.contains(&e) {
            ecosystems.push(e);
        }
    }
    let bucket = args
        .advisories_url
        .clone()
        .unwrap_or_else(sigil_audit::online::default_bucket);
    // The npm archive is a few hundred MiB; allow for growth and a slow link.
    let fetch = HttpFetch::new(&HttpOptions {
        max_response_bytes: 2 * 1024 * 1024 * 1024,
        timeout: std::time::Duration::from_secs(1800),
        ..HttpOptions::default()
    })?;
    eprintln!(
        "sigil-audit: downloading advisory databases from {bucket} (pass --advisories PATH to use a local copy)"
    );
    Ok(Some(sigil_audit::online::fetch_advisories(
        empty(),
        &fetch,
        &bucket,
        &ecosystems,
        &limits,
    )?))
}

/// A rendering error as the I/O error it carries (rendering fails only when writing does).
fn into_io(e: serde_json::Error) -> std::io::Error {
    match e.io_error_kind() {
        Some(kind) => std::io::Error::new(kind, e),
        None => std::io::Error::other(e),
    }
}

/// Streams the report through `write` into a temporary file beside `path`, syncs it, and
/// renames it into place, so that a reader never sees a half-written report.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<(), serde_json::Error>,
) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        write(&mut f).map_err(into_io)?;
        let f = f
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
