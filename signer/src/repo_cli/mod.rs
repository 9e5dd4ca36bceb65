//! `sigil-signer repo ...`: a thin layer over [`sigil_signer::repo`].

mod edit;
mod keys;
mod publish;

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use sigil_keys::{KeyEncryption, Scheme};
use sigil_signer::repo::Repository;
use sigil_signer::repo::keyring::KeyRing;
use sigil_signer::repo::status::{DelegatedStatus, RoleStatus};
use sigil_tuf::metadata::RoleType;
use sigil_tuf::{Clock, SystemClock};

use super::{Failure, PasswordArgs, password_source, prompt_new_password, say};
use edit::{add, delegate, init, remove};
use keys::{rotate, sign};
use publish::{publish, refresh, status};

#[derive(Debug, Subcommand)]
pub(crate) enum RepoCommand {
    /// Create a repository: keys for root, targets, snapshot and timestamp, and version 1 of each.
    Init(InitArgs),
    /// Add artifacts as targets of one release, and re-sign targets, snapshot and timestamp.
    Add(AddArgs),
    /// Remove targets, and re-sign targets, snapshot and timestamp.
    Remove(RemoveArgs),
    /// Add one key's signature to a role's metadata, keeping the others.
    Sign(SignRoleArgs),
    /// Show each role's version, expiry and signatures, and what blocks publishing.
    Status(StatusArgs),
    /// Re-sign snapshot and timestamp if they are due; do nothing otherwise.
    Refresh(RefreshArgs),
    /// Write the repository as a static site and verify it with the updater's client.
    Publish(PublishArgs),
    /// Replace, add or revoke a role's keys with a new root version.
    Rotate(RotateArgs),
    /// Delegate target paths to a new role, or to hash bins, with keys of their own.
    Delegate(DelegateArgs),
}

#[derive(Debug, Args)]
struct RepoDir {
    /// The repository's working directory.
    #[arg(long, visible_alias = "repo", value_name = "REPO")]
    dir: PathBuf,
}

#[derive(Debug, Args)]
struct KeyRingArgs {
    /// The directory of role keys [default: REPO/keys].
    #[arg(long, visible_alias = "keys", value_name = "KEYS")]
    keys_dir: Option<PathBuf>,
    #[command(flatten)]
    password: PasswordArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KeyType {
    Ed25519,
    Ecdsa,
}

/// How generated PKCS#8 key files are encrypted.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum KeyEncryptionArg {
    /// PBES2 with scrypt N = 2^17, r = 8, p = 1 (128 MiB per guess) and AES-256-CBC.
    Scrypt,
    /// PBES2 with PBKDF2-HMAC-SHA256 (600,000 iterations) and AES-256-CBC: what `openssl pkey`
    /// reads with its default limits.
    OpensslCompatible,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    #[command(flatten)]
    repo: RepoDir,
    /// Where to write the role keys [default: REPO/keys].
    #[arg(long, visible_alias = "keys", value_name = "KEYS")]
    keys_dir: Option<PathBuf>,
    #[command(flatten)]
    password: PasswordArgs,
    /// Do not encrypt the keys: for throwaway repositories only.
    #[arg(long, conflicts_with_all = ["password_env", "password_file"])]
    unencrypted: bool,
    /// How the keys are encrypted: scrypt (memory-hard, the default) or openssl-compatible
    /// (PBKDF2-HMAC-SHA256, 600,000 iterations, which `openssl pkey` reads).
    #[arg(
        long,
        value_enum,
        value_name = "KDF",
        default_value = "scrypt",
        conflicts_with = "unencrypted"
    )]
    key_encryption: KeyEncryptionArg,
    /// The key type of the generated keys.
    #[arg(long, value_enum, default_value = "ed25519")]
    key_type: KeyType,
    /// Validity periods, e.g. root=365d,targets=90d,snapshot=7d,timestamp=1d (units s m h d w).
    #[arg(long, value_name = "ROLE=DURATION,...")]
    expires: Option<String>,
    /// Keys per role, all required, e.g. root=2 (default 1 each).
    #[arg(long, value_name = "ROLE=N,...")]
    threshold: Option<String>,
    /// Record each new key in the custody log in this directory, signed by the key.
    #[arg(long, value_name = "DIR")]
    log: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    #[command(flatten)]
    repo: RepoDir,
    #[command(flatten)]
    keys: KeyRingArgs,
    /// The release version (semver). Without it the files are plain targets, with no release
    /// metadata, never offered as releases.
    #[arg(long, value_name = "V")]
    version: Option<String>,
    /// The release channel.
    #[arg(long, value_name = "C", default_value = "stable")]
    channel: String,
    /// The platform the artifacts are for (linux, macos, windows) [default: this machine's].
    #[arg(long, value_name = "P")]
    platform: Option<String>,
    /// The CPU architecture (x86_64, aarch64) [default: this machine's].
    #[arg(long, value_name = "A")]
    arch: Option<String>,
    /// The share of installations, 0 to 100, that may take the release.
    #[arg(long, value_name = "PCT", default_value_t = 100)]
    rollout: u32,
    /// Installations older than this must update to an intermediate release first.
    #[arg(long, value_name = "V")]
    minimum_version: Option<String>,
    /// Sign each artifact with this minisign release key and embed the signature.
    #[arg(long, value_name = "SK")]
    release_key: Option<PathBuf>,
    /// Read the release key's password from this environment variable.
    #[arg(long, value_name = "VAR", requires = "release_key")]
    release_key_password_env: Option<String>,
    /// A directory prefix for the target names (e.g. 1.2.0/linux).
    #[arg(long, value_name = "PREFIX")]
    prefix: Option<String>,
    /// Add every file under this directory, named by its path relative to it.
    #[arg(long, value_name = "DIR", conflicts_with = "files")]
    from_dir: Option<PathBuf>,
    /// The artifacts.
    #[arg(required_unless_present = "from_dir", value_name = "FILE")]
    files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct DelegateArgs {
    #[command(flatten)]
    repo: RepoDir,
    /// The delegated role's name (with --hash-bins: the bins' name prefix).
    #[arg(value_name = "NAME")]
    name: String,
    #[command(flatten)]
    keys: KeyRingArgs,
    /// The target path patterns the role is trusted for, comma-separated (`*` stays within
    /// one path segment).
    #[arg(
        long,
        value_name = "PATTERN,...",
        required_unless_present = "hash_bins"
    )]
    paths: Option<String>,
    /// Stop a client's search at this role for the paths it matches.
    #[arg(long, requires = "paths")]
    terminating: bool,
    /// Delegate every path to 2^BITS hash-bin roles NAME-00, NAME-01, ... (TAP 15).
    #[arg(long, value_name = "BITS", conflicts_with = "paths")]
    hash_bins: Option<u64>,
    /// Generate a key for the delegation in the key directory.
    #[arg(long)]
    generate: bool,
    /// The key type of a generated key.
    #[arg(long, value_enum, default_value = "ed25519", requires = "generate")]
    key_type: KeyType,
    /// Do not encrypt the generated key: for throwaway repositories only.
    #[arg(long, requires = "generate", conflicts_with_all = ["password_env", "password_file"])]
    unencrypted: bool,
    /// How the generated key is encrypted: scrypt (memory-hard, the default) or
    /// openssl-compatible (PBKDF2-HMAC-SHA256, 600,000 iterations, which `openssl pkey` reads).
    #[arg(
        long,
        value_enum,
        value_name = "KDF",
        default_value = "scrypt",
        requires = "generate",
        conflicts_with = "unencrypted"
    )]
    key_encryption: KeyEncryptionArg,
    /// Add this public key (PEM SubjectPublicKeyInfo) to the delegation.
    #[arg(long, value_name = "PUB")]
    add_key: Vec<PathBuf>,
    /// How many of the delegation's keys must sign.
    #[arg(long, value_name = "N", default_value_t = 1)]
    threshold: u64,
}

#[derive(Debug, Args)]
pub(crate) struct RemoveArgs {
    #[command(flatten)]
    repo: RepoDir,
    #[command(flatten)]
    keys: KeyRingArgs,
    /// The target names to remove.
    #[arg(required = true, value_name = "NAME")]
    names: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SignRoleArgs {
    #[command(flatten)]
    repo: RepoDir,
    /// The role to sign: root, targets, snapshot, timestamp or a delegated role.
    #[arg(value_name = "ROLE")]
    role: String,
    /// The key file (PEM PKCS#8 or minisign secret key).
    #[arg(long, value_name = "FILE", required_unless_present = "key_env")]
    key: Option<PathBuf>,
    /// Read the key from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "key")]
    key_env: Option<String>,
    #[command(flatten)]
    password: PasswordArgs,
}

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    repo: RepoDir,
}

#[derive(Debug, Args)]
pub(crate) struct RefreshArgs {
    #[command(flatten)]
    repo: RepoDir,
    #[command(flatten)]
    keys: KeyRingArgs,
}

#[derive(Debug, Args)]
pub(crate) struct PublishArgs {
    #[command(flatten)]
    repo: RepoDir,
    /// The site directory to write (created if missing).
    #[arg(long, value_name = "SITE")]
    out: PathBuf,
    /// Record each newly published release target in the custody log in this directory,
    /// signed by the timestamp key.
    #[arg(long, value_name = "DIR")]
    log: Option<PathBuf>,
    /// The URL the site is served at, for the custody log [default: the site's file:// URL].
    #[arg(long, value_name = "URL")]
    repository_url: Option<String>,
    #[command(flatten)]
    keys: KeyRingArgs,
}

#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    #[command(flatten)]
    repo: RepoDir,
    /// The role whose keys change: root, targets, snapshot or timestamp.
    #[arg(value_name = "ROLE")]
    role: String,
    #[command(flatten)]
    keys: KeyRingArgs,
    /// Generate a new key for the role in the key directory.
    #[arg(long)]
    generate: bool,
    /// The key type of a generated key.
    #[arg(long, value_enum, default_value = "ed25519", requires = "generate")]
    key_type: KeyType,
    /// Do not encrypt the generated key: for throwaway repositories only.
    #[arg(long, requires = "generate", conflicts_with_all = ["password_env", "password_file"])]
    unencrypted: bool,
    /// How the generated key is encrypted: scrypt (memory-hard, the default) or
    /// openssl-compatible (PBKDF2-HMAC-SHA256, 600,000 iterations, which `openssl pkey` reads).
    #[arg(
        long,
        value_enum,
        value_name = "KDF",
        default_value = "scrypt",
        requires = "generate",
        conflicts_with = "unencrypted"
    )]
    key_encryption: KeyEncryptionArg,
    /// Add this public key (PEM SubjectPublicKeyInfo) to the role.
    #[arg(long, value_name = "PUB")]
    add_key: Vec<PathBuf>,
    /// Remove the key with this TUF key id from the role.
    #[arg(long, value_name = "KEYID")]
    revoke: Vec<String>,
    /// The role's new threshold.
    #[arg(long, value_name = "N")]
    threshold: Option<u64>,
    /// Record the new key in the custody log in this directory (a key-rotated entry when one
    /// key replaces one revoked key, else key-generated), signed by the new key.
    #[arg(long, value_name = "DIR", requires = "generate")]
    log: Option<PathBuf>,
    /// Why the key is rotated, for the custody log.
    #[arg(
        long,
        value_name = "TEXT",
        default_value = "scheduled rotation",
        requires = "log"
    )]
    reason: String,
}

pub(crate) fn run(command: RepoCommand) -> Result<(), Failure> {
    match command {
        RepoCommand::Init(args) => init(args),
        RepoCommand::Add(args) => add(args),
        RepoCommand::Remove(args) => remove(args),
        RepoCommand::Sign(args) => sign(args),
        RepoCommand::Status(args) => status(args),
        RepoCommand::Refresh(args) => refresh(args),
        RepoCommand::Publish(args) => publish(args),
        RepoCommand::Rotate(args) => rotate(args),
        RepoCommand::Delegate(args) => delegate(args),
    }
}

fn keys_dir(repo: &Path, keys_dir: Option<&PathBuf>) -> PathBuf {
    keys_dir.cloned().unwrap_or_else(|| repo.join("keys"))
}

fn keyring(repo: &Path, args: &KeyRingArgs) -> KeyRing {
    KeyRing::new(
        &keys_dir(repo, args.keys_dir.as_ref()),
        password_source(&args.password),
    )
}

fn role_line(status: &RoleStatus) -> String {
    let mut line = format!(
        "{:<9} version {}, expires {}, signatures {}/{}",
        status.role.as_str(),
        status.version,
        status.expires,
        status.valid.len(),
        status.threshold
    );
    if !status.missing.is_empty() {
        let missing: Vec<&str> = status.missing.iter().map(|id| id.as_str()).collect();
        line.push_str(&format!(", unsigned by {}", missing.join(", ")));
    }
    line.push('\n');
    line
}

fn delegated_line(status: &DelegatedStatus) -> String {
    let mut line = format!(
        "delegated {} version {}, expires {}, signatures {}/{}",
        status.name,
        status.version,
        status.expires,
        status.valid.len(),
        status.threshold
    );
    if !status.missing.is_empty() {
        let missing: Vec<&str> = status.missing.iter().map(|id| id.as_str()).collect();
        line.push_str(&format!(", unsigned by {}", missing.join(", ")));
    }
    line.push('\n');
    line
}

fn delegated_lines(repository: &Repository, names: &[&str]) -> String {
    repository
        .status(SystemClock.now())
        .delegated
        .iter()
        .filter(|status| names.contains(&status.name.as_str()))
        .map(delegated_line)
        .collect()
}

fn role_lines(repository: &Repository, roles: &[RoleType]) -> String {
    repository
        .status(SystemClock.now())
        .roles
        .iter()
        .filter(|status| roles.contains(&status.role))
        .map(role_line)
        .collect()
}

fn new_key_password(
    unencrypted: bool,
    password: &PasswordArgs,
) -> Result<Option<sigil_keys::Password>, Failure> {
    if unencrypted {
        Ok(None)
    } else if password.password_env.is_some() || password.password_file.is_some() {
        Ok(Some(password_source(password).password()?))
    } else {
        Ok(Some(prompt_new_password()?))
    }
}

fn read_public_key_pem(path: &Path) -> Result<sigil_keys::PublicKey, Failure> {
    let text = sigil_keys::keyfile::read_public_file(path, 64 * 1024)?;
    sigil_keys::PublicKey::from_spki_pem(&text).map_err(|source| {
        Failure::from(sigil_signer::repo::RepoError::PublicKeyFile {
            path: path.to_owned(),
            source,
        })
    })
}

impl KeyEncryptionArg {
    fn encryption(self) -> KeyEncryption {
        match self {
            Self::Scrypt => KeyEncryption::Scrypt,
            Self::OpensslCompatible => KeyEncryption::OpensslCompatible,
        }
    }
}

impl KeyType {
    fn scheme(self) -> Scheme {
        match self {
            Self::Ed25519 => Scheme::Ed25519,
            Self::Ecdsa => Scheme::EcdsaP256Sha256,
        }
    }
}
