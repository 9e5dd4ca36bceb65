//! `sigil-signer repo ...`: a thin layer over [`sigil_signer::repo`].

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use sigil_custody::SystemClock as CustodyClock;
use sigil_keys::{KeySource, LocalSigner, PasswordSource, Scheme, Signer};
use sigil_signer::custody;
use sigil_signer::repo::Repository;
use sigil_signer::repo::delegate::DelegateRequest;
use sigil_signer::repo::init::InitRequest;
use sigil_signer::repo::keyring::KeyRing;
use sigil_signer::repo::policy::{ExpiryPolicy, Thresholds, parse_role};
use sigil_signer::repo::rotate::RotateRequest;
use sigil_signer::repo::status::RoleStatus;
use sigil_signer::repo::targets::{AddRequest, ReleaseInfo, remove_targets};
use sigil_updater::tuf::metadata::RoleType;
use sigil_updater::tuf::{Clock, SystemClock};

use super::{Failure, PasswordArgs, password_source, prompt_new_password, say};

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
    #[arg(long, value_name = "REPO")]
    dir: PathBuf,
}

#[derive(Debug, Args)]
struct KeyRingArgs {
    /// The directory of role keys [default: REPO/keys].
    #[arg(long, value_name = "KEYS")]
    keys_dir: Option<PathBuf>,
    #[command(flatten)]
    password: PasswordArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KeyType {
    Ed25519,
    Ecdsa,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    #[command(flatten)]
    repo: RepoDir,
    /// Where to write the role keys [default: REPO/keys].
    #[arg(long, value_name = "KEYS")]
    keys_dir: Option<PathBuf>,
    #[command(flatten)]
    password: PasswordArgs,
    /// Do not encrypt the keys: for throwaway repositories only.
    #[arg(long, conflicts_with_all = ["password_env", "password_file"])]
    unencrypted: bool,
    /// The key type of the generated keys.
    #[arg(long, value_enum, default_value = "ed25519")]
    key_type: KeyType,
    /// Validity periods, e.g. root=365d,targets=90d,snapshot=7d,timestamp=1d (units s m h d w).
    #[arg(long, value_name = "ROLE=DURATION,...")]
    expires: Option<String>,
    /// Keys per role, all required, e.g. root=2 (default 1 each).
    #[arg(long, value_name = "ROLE=N,...")]
    threshold: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    #[command(flatten)]
    repo: RepoDir,
    #[command(flatten)]
    keys: KeyRingArgs,
    /// The release version (semver).
    #[arg(long, value_name = "V")]
    version: String,
    /// The release channel.
    #[arg(long, value_name = "C", default_value = "stable")]
    channel: String,
    /// The platform the artifacts are for (linux, macos, windows).
    #[arg(long, value_name = "P")]
    platform: String,
    /// The CPU architecture (x86_64, aarch64).
    #[arg(long, value_name = "A")]
    arch: String,
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
    /// The role to sign: root, targets, snapshot or timestamp.
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
    /// Add this public key (PEM SubjectPublicKeyInfo) to the role.
    #[arg(long, value_name = "PUB")]
    add_key: Vec<PathBuf>,
    /// Remove the key with this TUF key id from the role.
    #[arg(long, value_name = "KEYID")]
    revoke: Vec<String>,
    /// The role's new threshold.
    #[arg(long, value_name = "N")]
    threshold: Option<u64>,
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

fn repo_error(error: sigil_signer::repo::RepoError) -> Failure {
    if error.is_rejection() {
        Failure::Rejected(Box::new(error))
    } else {
        Failure::Operational(Box::new(error))
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

fn role_lines(repository: &Repository, roles: &[RoleType]) -> String {
    repository
        .status(SystemClock.now())
        .roles
        .iter()
        .filter(|status| roles.contains(&status.role))
        .map(role_line)
        .collect()
}

fn init(args: InitArgs) -> Result<(), Failure> {
    let expiry = match &args.expires {
        Some(list) => ExpiryPolicy::parse(list)?,
        None => ExpiryPolicy::default(),
    };
    let thresholds = match &args.threshold {
        Some(list) => Thresholds::parse(list)?,
        None => Thresholds::default(),
    };
    let password = if args.unencrypted {
        None
    } else if args.password.password_env.is_some() || args.password.password_file.is_some() {
        Some(password_source(&args.password).password()?)
    } else {
        Some(prompt_new_password()?)
    };
    let encrypted = if password.is_some() {
        "encrypted"
    } else {
        "NOT encrypted"
    };
    let scheme = match args.key_type {
        KeyType::Ed25519 => Scheme::Ed25519,
        KeyType::Ecdsa => Scheme::EcdsaP256Sha256,
    };
    let keys = keys_dir(&args.repo.dir, args.keys_dir.as_ref());
    let created = InitRequest::new(&args.repo.dir, &keys, password)
        .scheme(scheme)
        .expiry(expiry)
        .thresholds(thresholds)
        .create(&SystemClock)
        .map_err(repo_error)?;
    let mut out = format!(
        "initialized repository {} (consistent snapshots)\n",
        args.repo.dir.display()
    );
    for key in &created.keys {
        out.push_str(&format!(
            "{} key {}: {} ({encrypted})\n",
            key.role,
            key.key_id,
            key.secret_path.display()
        ));
    }
    say(&out)
}

fn add(args: AddArgs) -> Result<(), Failure> {
    let mut repository = Repository::open(&args.repo.dir).map_err(repo_error)?;
    let mut release = ReleaseInfo::new(&args.version, &args.channel, &args.platform, &args.arch)
        .rollout_percent(args.rollout);
    if let Some(minimum) = &args.minimum_version {
        release = release.minimum_version(minimum);
    }
    let release_key = match &args.release_key {
        Some(path) => {
            let password = match &args.release_key_password_env {
                Some(var) => PasswordSource::Env(var.clone()),
                None => password_source(&PasswordArgs {
                    password_env: None,
                    password_file: None,
                }),
            };
            Some(LocalSigner::load(KeySource::File(path.clone()), &password)?)
        }
        None => None,
    };
    let mut request = match &args.from_dir {
        Some(dir) => AddRequest::from_dir(dir, release).map_err(repo_error)?,
        None => AddRequest::new(args.files.clone(), release),
    };
    if let Some(prefix) = &args.prefix {
        request = request.prefix(prefix);
    }
    if let Some(key) = &release_key {
        request = request.release_key(key);
    }
    let added = request
        .apply(
            &mut repository,
            &keyring(&args.repo.dir, &args.keys),
            &SystemClock,
        )
        .map_err(repo_error)?;
    let mut out = String::new();
    for target in &added {
        out.push_str(&format!(
            "added {}{} ({} bytes, sha256 {}){}\n",
            target.name,
            if target.role == "targets" {
                String::new()
            } else {
                format!(" to {}", target.role)
            },
            target.length,
            target.sha256,
            if release_key.is_some() {
                ", signed with the release key"
            } else {
                ""
            }
        ));
    }
    out.push_str(&role_lines(
        &repository,
        &[RoleType::Targets, RoleType::Snapshot, RoleType::Timestamp],
    ));
    say(&out)
}

fn remove(args: RemoveArgs) -> Result<(), Failure> {
    let mut repository = Repository::open(&args.repo.dir).map_err(repo_error)?;
    remove_targets(
        &mut repository,
        &args.names,
        &keyring(&args.repo.dir, &args.keys),
        &SystemClock,
    )
    .map_err(repo_error)?;
    let mut out: String = args
        .names
        .iter()
        .map(|name| format!("removed {name}\n"))
        .collect();
    out.push_str(&role_lines(
        &repository,
        &[RoleType::Targets, RoleType::Snapshot, RoleType::Timestamp],
    ));
    say(&out)
}

fn sign(args: SignRoleArgs) -> Result<(), Failure> {
    let role = parse_role(&args.role)?;
    let source = match (&args.key, &args.key_env) {
        (Some(path), _) => KeySource::File(path.clone()),
        (None, Some(var)) => KeySource::Env(var.clone()),
        (None, None) => return Err(Failure::Operational("a key is required".into())),
    };
    let signer = LocalSigner::load(source, &password_source(&args.password))?;
    let mut repository = Repository::open(&args.repo.dir).map_err(repo_error)?;
    repository
        .add_signature(role, &signer)
        .map_err(repo_error)?;
    let mut out = format!("signed {role} with key {}\n", signer.key_id());
    out.push_str(&role_lines(&repository, &[role]));
    if role == RoleType::Snapshot {
        out.push_str("timestamp no longer describes snapshot: run `repo refresh`\n");
    }
    say(&out)
}

fn status(args: StatusArgs) -> Result<(), Failure> {
    let repository = Repository::open(&args.repo.dir).map_err(repo_error)?;
    let status = repository.status(SystemClock.now());
    let mut out: String = status.roles.iter().map(role_line).collect();
    if status.is_publishable() {
        out.push_str("ready to publish\n");
        say(&out)
    } else {
        out.push_str("not ready to publish:\n");
        for problem in &status.problems {
            out.push_str(&format!("  {problem}\n"));
        }
        say(&out)?;
        Err(Failure::Rejected(Box::new(NotPublishable)))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the repository is not ready to publish")]
struct NotPublishable;

fn refresh(args: RefreshArgs) -> Result<(), Failure> {
    let mut repository = Repository::open(&args.repo.dir).map_err(repo_error)?;
    let report = repository
        .refresh(&keyring(&args.repo.dir, &args.keys), &SystemClock)
        .map_err(repo_error)?;
    let mut out = String::new();
    if let Some(version) = report.snapshot {
        out.push_str(&format!(
            "re-signed snapshot version {version}, expires {}\n",
            repository.snapshot().signed().expires
        ));
    }
    if let Some(version) = report.timestamp {
        out.push_str(&format!(
            "re-signed timestamp version {version}, expires {}\n",
            repository.timestamp().signed().expires
        ));
    }
    if out.is_empty() {
        out = format!(
            "nothing to do: snapshot expires {}, timestamp expires {}\n",
            repository.snapshot().signed().expires,
            repository.timestamp().signed().expires
        );
    }
    say(&out)
}

fn publish(args: PublishArgs) -> Result<(), Failure> {
    let repository = Repository::open(&args.repo.dir).map_err(repo_error)?;
    // The log's signer is loaded first, so that a missing key fails before anything is written.
    let log_signer = match &args.log {
        Some(_) => {
            let keyids = repository
                .role_keys(RoleType::Timestamp)
                .map(|keys| keys.keyids.clone())
                .unwrap_or_default();
            let ring = keyring(&args.repo.dir, &args.keys);
            let signer = ring
                .signers_for(&keyids)
                .map_err(repo_error)?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    repo_error(sigil_signer::repo::RepoError::NoSigningKey {
                        role: RoleType::Timestamp,
                        dir: ring.describe(),
                    })
                })?;
            Some(signer)
        }
        None => None,
    };
    let published = match repository.publish(&args.out, &SystemClock) {
        Ok(published) => published,
        Err(error) if error.is_rejection() => return Err(Failure::Rejected(Box::new(error))),
        Err(error) => return Err(error.into()),
    };
    let versions = &published.role_versions;
    let mut out = format!(
        "published {} to {}: {} file(s) written, {} unchanged\n\
         root version {}, targets version {}, snapshot version {}, timestamp version {}\n\
         verified with the sigil-updater client: {} target(s)\n",
        args.repo.dir.display(),
        args.out.display(),
        published.written.len(),
        published.unchanged,
        versions.root,
        versions.targets,
        versions.snapshot,
        versions.timestamp,
        repository.target_names().len(),
    );
    if let (Some(dir), Some(signer)) = (&args.log, &log_signer) {
        let url = args.repository_url.clone().unwrap_or_else(|| {
            let site = args.out.canonicalize().unwrap_or_else(|_| args.out.clone());
            format!("file://{}", site.display())
        });
        let mut log = custody::open_log(dir)?;
        for target in &published.new_targets {
            let Some(release) = &target.release else {
                continue;
            };
            let appended = custody::record_publication(
                &mut log,
                signer as &dyn Signer,
                &url,
                target,
                release,
                versions,
                &CustodyClock,
            )?;
            out.push_str(&format!(
                "logged publication of {} as entry {}\n",
                target.name, appended.index
            ));
        }
    }
    say(&out)
}

#[derive(Debug, thiserror::Error)]
#[error("nothing to rotate: give --generate, --add-key, --revoke or --threshold")]
struct NothingToRotate;

fn rotate(args: RotateArgs) -> Result<(), Failure> {
    let role = parse_role(&args.role)?;
    if !args.generate
        && args.add_key.is_empty()
        && args.revoke.is_empty()
        && args.threshold.is_none()
    {
        return Err(NothingToRotate.into());
    }
    let mut repository = Repository::open(&args.repo.dir).map_err(repo_error)?;
    let dir = keys_dir(&args.repo.dir, args.keys.keys_dir.as_ref());
    let mut request = RotateRequest::new(role);
    if args.generate {
        let password = if args.unencrypted {
            None
        } else if args.keys.password.password_env.is_some()
            || args.keys.password.password_file.is_some()
        {
            Some(password_source(&args.keys.password).password()?)
        } else {
            Some(prompt_new_password()?)
        };
        let scheme = match args.key_type {
            KeyType::Ed25519 => Scheme::Ed25519,
            KeyType::Ecdsa => Scheme::EcdsaP256Sha256,
        };
        request = request.generate(&dir, scheme, password);
    }
    for path in &args.add_key {
        let text = sigil_keys::keyfile::read_public_file(path, 64 * 1024)?;
        let key = sigil_keys::PublicKey::from_spki_pem(&text).map_err(|source| {
            repo_error(sigil_signer::repo::RepoError::PublicKeyFile {
                path: path.clone(),
                source,
            })
        })?;
        request = request.add_key(key);
    }
    for keyid in &args.revoke {
        request = request.revoke(sigil_keys::KeyId::new(keyid.clone()));
    }
    if let Some(threshold) = args.threshold {
        request = request.threshold(threshold);
    }
    let rotated = request
        .apply(
            &mut repository,
            &keyring(&args.repo.dir, &args.keys),
            &SystemClock,
        )
        .map_err(repo_error)?;
    let mut out = String::new();
    for key in &rotated.generated {
        out.push_str(&format!(
            "generated {role} key {}: {}\n",
            key.key_id,
            key.secret_path.display()
        ));
    }
    for keyid in &rotated.added {
        if !rotated.generated.iter().any(|key| &key.key_id == keyid) {
            out.push_str(&format!("added {role} key {keyid}\n"));
        }
    }
    for keyid in &rotated.revoked {
        out.push_str(&format!("revoked {role} key {keyid}\n"));
    }
    let keyids: Vec<&str> = rotated.keyids.iter().map(|id| id.as_str()).collect();
    out.push_str(&format!(
        "root version {}: {role} keys {} (threshold {})\n",
        rotated.root_version,
        keyids.join(", "),
        rotated.threshold
    ));
    let mut roles = vec![RoleType::Root];
    match role {
        RoleType::Root => {}
        RoleType::Targets => {
            roles.extend([RoleType::Targets, RoleType::Snapshot, RoleType::Timestamp])
        }
        RoleType::Snapshot => roles.extend([RoleType::Snapshot, RoleType::Timestamp]),
        RoleType::Timestamp => roles.push(RoleType::Timestamp),
    }
    out.push_str(&role_lines(&repository, &roles));
    say(&out)
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
        repo_error(sigil_signer::repo::RepoError::PublicKeyFile {
            path: path.to_owned(),
            source,
        })
    })
}

fn delegate(args: DelegateArgs) -> Result<(), Failure> {
    let mut repository = Repository::open(&args.repo.dir).map_err(repo_error)?;
    let dir = keys_dir(&args.repo.dir, args.keys.keys_dir.as_ref());
    let mut request = match (&args.paths, args.hash_bins) {
        (_, Some(bits)) => DelegateRequest::hash_bins(&args.name, bits),
        (Some(paths), None) => DelegateRequest::paths(
            &args.name,
            paths
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            args.terminating,
        ),
        // clap requires one of the two.
        (None, None) => {
            return Err(Failure::Operational(
                "--paths or --hash-bins is required".into(),
            ));
        }
    };
    if args.generate {
        let scheme = match args.key_type {
            KeyType::Ed25519 => Scheme::Ed25519,
            KeyType::Ecdsa => Scheme::EcdsaP256Sha256,
        };
        request = request.generate(
            &dir,
            scheme,
            new_key_password(args.unencrypted, &args.keys.password)?,
        );
    }
    for path in &args.add_key {
        request = request.add_key(read_public_key_pem(path)?);
    }
    let delegated = request
        .threshold(args.threshold)
        .apply(
            &mut repository,
            &keyring(&args.repo.dir, &args.keys),
            &SystemClock,
        )
        .map_err(repo_error)?;
    let mut out = String::new();
    for key in &delegated.generated {
        out.push_str(&format!(
            "generated {} key {}: {}\n",
            key.role,
            key.key_id,
            key.secret_path.display()
        ));
    }
    let roles = match delegated.roles.as_slice() {
        [one] => one.clone(),
        [first, .., last] => format!("{} roles, {first} to {last}", delegated.roles.len()),
        [] => String::new(),
    };
    out.push_str(&format!("delegated to {roles}\n"));
    out.push_str(&role_lines(
        &repository,
        &[RoleType::Targets, RoleType::Snapshot, RoleType::Timestamp],
    ));
    say(&out)
}
