//! `sigil-signer`: the release pipeline's command-line tool.
//!
//! Exit codes: 0 success, 1 a signature or repository failed verification or a policy check,
//! 2 usage or operational error.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use sigil_cli::{Classify, ErrorKind, Exit, Failure};
use sigil_custody::SystemClock;
use sigil_keys::keyfile::Overwrite;
use sigil_keys::minisign::LegacyMode;
use sigil_keys::{KeySource, LocalSigner, Password, PasswordSource, Signer};
use sigil_signer::custody;
use sigil_signer::keygen::KeygenRequest;
use sigil_signer::sign::{Comments, sign_file};
use sigil_signer::verify::{parse_public_key, read_public_key, verify_file};

mod manifest_cli;
mod repo_cli;

#[derive(Debug, Parser)]
#[command(
    name = "sigil-signer",
    version,
    about = "Sign release artifacts and manage signing keys"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate an Ed25519 key pair in minisign format.
    Keygen(KeygenArgs),
    /// Sign files; each FILE gets FILE.minisig beside it.
    Sign(SignArgs),
    /// Verify a file against its minisign signature.
    Verify(VerifyArgs),
    /// Create, edit, sign and publish a TUF repository.
    #[command(subcommand)]
    Repo(repo_cli::RepoCommand),
    /// Write release manifests for tauri-plugin-updater and electron-updater.
    #[command(subcommand)]
    Manifest(manifest_cli::ManifestCommand),
}

#[derive(Debug, Args)]
struct PasswordArgs {
    /// Read the key's password from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "password_file")]
    password_env: Option<String>,
    /// Read the key's password from the first line of this file (which must be private).
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct KeygenArgs {
    /// Where to write the secret key (mode 0600).
    #[arg(long, value_name = "SK")]
    secret_key: PathBuf,
    /// Where to write the public key.
    #[arg(long, value_name = "PK")]
    public_key: PathBuf,
    #[command(flatten)]
    password: PasswordArgs,
    /// Do not encrypt the secret key: for throwaway keys only.
    #[arg(long, conflicts_with_all = ["password_env", "password_file"])]
    unencrypted: bool,
    /// Replace existing key files.
    #[arg(long)]
    force: bool,
    /// Record the new key in the custody log in this directory (created if missing), signed
    /// by the new key, which also signs a new checkpoint.
    #[arg(long, value_name = "DIR")]
    log: Option<PathBuf>,
    /// The log's origin, the name its checkpoints carry.
    #[arg(long, value_name = "NAME", default_value = sigil_custody::DEFAULT_ORIGIN)]
    log_origin: String,
}

#[derive(Debug, Args)]
struct SignArgs {
    /// The secret key file.
    #[arg(long, value_name = "SK", required_unless_present = "secret_key_env")]
    secret_key: Option<PathBuf>,
    /// Read the secret key from this environment variable (the key file's text, or it in base64).
    #[arg(long, value_name = "VAR", conflicts_with = "secret_key")]
    secret_key_env: Option<String>,
    #[command(flatten)]
    password: PasswordArgs,
    /// The signed comment recorded in each signature.
    #[arg(long, value_name = "TEXT")]
    trusted_comment: Option<String>,
    /// The unsigned comment on each signature's first line.
    #[arg(long, value_name = "TEXT")]
    untrusted_comment: Option<String>,
    /// Record each signature in the custody log in this directory (created if missing), and
    /// sign a new checkpoint of it.
    #[arg(long, value_name = "DIR")]
    log: Option<PathBuf>,
    /// The key that signs log entries and checkpoints [default: the signing key].
    #[arg(
        long,
        value_name = "SK",
        requires = "log",
        conflicts_with = "log_key_env"
    )]
    log_key: Option<PathBuf>,
    /// Read the log key from this environment variable.
    #[arg(long, value_name = "VAR", requires = "log")]
    log_key_env: Option<String>,
    /// The log key's password is in this environment variable.
    #[arg(long, value_name = "VAR", requires = "log")]
    log_password_env: Option<String>,
    /// The log's origin, the name its checkpoints carry.
    #[arg(long, value_name = "NAME", default_value = sigil_custody::DEFAULT_ORIGIN)]
    log_origin: String,
    /// Record in the log that the files were built from these inputs (lockfiles, a source
    /// archive): an SLSA provenance entry, so that a trace of the artifact reaches the audit of
    /// its lockfiles.
    #[arg(long, value_name = "FILE", requires = "log")]
    built_from: Vec<PathBuf>,
    /// The builder named in provenance entries (a CI job's URL, a host name).
    #[arg(long, value_name = "ID", default_value = "local")]
    builder_id: String,
    /// The files to sign.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The public key file (as written by `keygen` or by `minisign -G`).
    #[arg(long, value_name = "PK", required_unless_present = "public_key_string")]
    public_key: Option<PathBuf>,
    /// The public key as its base64 line, as `minisign -P` takes it.
    #[arg(long, value_name = "BASE64", conflicts_with = "public_key")]
    public_key_string: Option<String>,
    /// The signature file [default: FILE.minisig].
    #[arg(long, value_name = "SIG")]
    signature: Option<PathBuf>,
    /// Accept legacy signatures over the whole file rather than its BLAKE2b-512 hash.
    #[arg(long)]
    allow_legacy: bool,
    /// Print nothing on success.
    #[arg(long, short)]
    quiet: bool,
    /// The file to verify.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

fn main() -> ExitCode {
    sigil_cli::run("sigil-signer", || {
        let cli = match Cli::try_parse() {
            Ok(cli) => cli,
            Err(error) => {
                let _ = error.print();
                return Ok(if error.use_stderr() {
                    Exit::Failed
                } else {
                    Exit::Success
                });
            }
        };
        match cli.command {
            Command::Keygen(args) => keygen(args),
            Command::Sign(args) => sign(args),
            Command::Verify(args) => verify(args),
            Command::Repo(command) => repo_cli::run(command),
            Command::Manifest(command) => manifest_cli::run(command),
        }
        .map(|()| Exit::Success)
    })
}

/// Writes to stdout; a pipe closed by its reader drops the output, not the work.
fn say(text: &str) -> Result<(), Failure> {
    Ok(sigil_cli::say(text)?)
}

#[derive(Debug, thiserror::Error)]
enum PromptError {
    #[error(
        "no terminal to ask for the password on: use --password-env VAR or --password-file FILE \
         (or --unencrypted for a throwaway key)"
    )]
    NoTerminal,
    #[error("the passwords do not match")]
    Mismatch,
    #[error("the password is empty")]
    Empty,
}

impl Classify for PromptError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Operational
    }
}

fn password_source(args: &PasswordArgs) -> PasswordSource {
    if let Some(var) = &args.password_env {
        PasswordSource::Env(var.clone())
    } else if let Some(path) = &args.password_file {
        PasswordSource::File(path.clone())
    } else {
        PasswordSource::Prompt(Box::new(|| {
            if !std::io::stdin().is_terminal() {
                return Err(std::io::Error::other(PromptError::NoTerminal));
            }
            rpassword::prompt_password("Password: ").map(Password::new)
        }))
    }
}

fn keygen(args: KeygenArgs) -> Result<(), Failure> {
    let password = if args.unencrypted {
        None
    } else if args.password.password_env.is_some() || args.password.password_file.is_some() {
        Some(password_source(&args.password).password()?)
    } else {
        Some(prompt_new_password()?)
    };
    let encrypted = password.is_some();
    let overwrite = if args.force {
        Overwrite::Replace
    } else {
        Overwrite::Refuse
    };
    let secret = KeygenRequest::new(&args.secret_key, &args.public_key, password)
        .overwrite(overwrite)
        .generate()?;
    let public = secret.public_key();
    if let Some(dir) = &args.log {
        let mut log = custody::open_log(dir).map_err(Failure::operational)?;
        let appended =
            custody::record_key_generated(&mut log, secret.private_key(), "release", &SystemClock)
                .map_err(Failure::operational)?;
        log.sign_checkpoint(&args.log_origin, secret.private_key())
            .map_err(Failure::operational)?;
        say(&format!(
            "logged key generation as entry {} in {}\n",
            appended.index,
            dir.display()
        ))?;
    }
    say(&format!(
        "secret key: {} ({})\npublic key: {}\nkey number: {}\n\nverify with: sigil-signer verify --public-key-string {} FILE\n",
        args.secret_key.display(),
        if encrypted {
            "encrypted"
        } else {
            "NOT encrypted"
        },
        args.public_key.display(),
        public.key_number,
        public.to_base64(),
    ))
}

fn prompt_new_password() -> Result<Password, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(PromptError::NoTerminal.into());
    }
    let first = Password::new(rpassword::prompt_password("New password: ")?);
    let second = Password::new(rpassword::prompt_password("Password (again): ")?);
    if first.is_empty() {
        return Err(PromptError::Empty.into());
    }
    if first.expose() != second.expose() {
        return Err(PromptError::Mismatch.into());
    }
    Ok(first)
}

fn sign(args: SignArgs) -> Result<(), Failure> {
    let source = match (&args.secret_key, &args.secret_key_env) {
        (Some(path), _) => KeySource::File(path.clone()),
        (None, Some(var)) => KeySource::Env(var.clone()),
        // clap requires one of the two.
        (None, None) => return Err(Failure::operational("a secret key is required")),
    };
    let signer = LocalSigner::load(source, &password_source(&args.password))?;
    let comments = Comments {
        trusted: args.trusted_comment,
        untrusted: args.untrusted_comment,
    };
    let mut log = args
        .log
        .as_deref()
        .map(custody::open_log)
        .transpose()
        .map_err(Failure::operational)?;
    let log_key = match (&args.log_key, &args.log_key_env) {
        (Some(path), _) => Some(KeySource::File(path.clone())),
        (None, Some(var)) => Some(KeySource::Env(var.clone())),
        (None, None) => None,
    };
    let log_signer = match log_key {
        Some(source) => {
            let password = match &args.log_password_env {
                Some(var) => PasswordSource::Env(var.clone()),
                None => PasswordSource::None,
            };
            Some(LocalSigner::load(source, &password)?)
        }
        None => None,
    };
    for file in &args.files {
        let signed = sign_file(&signer, file, &comments)?;
        say(&format!(
            "signed {} -> {} (key {})\n",
            file.display(),
            signed.signature_path.display(),
            signer.key_number()
        ))?;
        if let Some(log) = log.as_mut() {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let entry_signer: &dyn Signer = log_signer.as_ref().map_or(&signer, |s| s);
            if !args.built_from.is_empty() {
                let entry_signer: &dyn Signer = log_signer.as_ref().map_or(&signer, |s| s);
                let appended = custody::record_provenance(
                    log,
                    entry_signer,
                    &name,
                    signed.sha256,
                    &args.built_from,
                    &args.builder_id,
                    &SystemClock,
                )?;
                say(&format!(
                    "logged build provenance as entry {}\n",
                    appended.index
                ))?;
            }
            let appended =
                custody::record_signature(log, entry_signer, &signer, &name, &signed, &SystemClock)
                    .map_err(Failure::operational)?;
            say(&format!("logged signature as entry {}\n", appended.index))?;
        }
    }
    if let Some(log) = log.as_mut() {
        let entry_signer: &dyn Signer = log_signer.as_ref().map_or(&signer, |s| s);
        log.sign_checkpoint(&args.log_origin, entry_signer)
            .map_err(Failure::operational)?;
    }
    Ok(())
}

fn verify(args: VerifyArgs) -> Result<(), Failure> {
    let public_key = match (&args.public_key, &args.public_key_string) {
        (Some(path), _) => read_public_key(path)?,
        (None, Some(line)) => parse_public_key(line)?,
        (None, None) => return Err(Failure::operational("a public key is required")),
    };
    let signature = args
        .signature
        .clone()
        .unwrap_or_else(|| sigil_signer::sign::signature_path(&args.file));
    let legacy = if args.allow_legacy {
        LegacyMode::Accept
    } else {
        LegacyMode::Refuse
    };
    let verified = verify_file(&public_key, &args.file, &signature, legacy)?;
    if !args.quiet {
        say(&format!(
            "Signature and comment signature verified\nTrusted comment: {}\n",
            verified.trusted_comment
        ))?;
    }
    Ok(())
}
