//! `repo init`, `add`, `remove` and `delegate`: creating and editing the working copy.

use sigil_custody::SystemClock as CustodyClock;
use sigil_keys::{KeyEncryption, KeySource, LocalSigner, PasswordSource};
use sigil_signer::custody;
use sigil_signer::repo::Repository;
use sigil_signer::repo::delegate::DelegateRequest;
use sigil_signer::repo::init::InitRequest;
use sigil_signer::repo::policy::{ExpiryPolicy, Thresholds};
use sigil_signer::repo::targets::{AddRequest, ReleaseInfo, remove_targets};
use sigil_tuf::SystemClock;
use sigil_tuf::metadata::RoleType;

use super::{
    AddArgs, DelegateArgs, Failure, InitArgs, PasswordArgs, RemoveArgs, keyring, keys_dir,
    new_key_password, password_source, prompt_new_password, read_public_key_pem, role_lines, say,
};

pub(super) fn init(args: InitArgs) -> Result<(), Failure> {
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
    } else if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        Some(prompt_new_password()?)
    } else {
        // A script or a demo with no password to give: the keys are written unencrypted, and
        // the output says so.
        sigil_cli::note(
            "warning: no password was given and there is no terminal to ask on: the role keys \
             are written NOT encrypted (pass --password-env VAR or --password-file FILE to \
             encrypt them)\n",
        );
        None
    };
    let encryption = args.key_encryption.encryption();
    let encrypted = match (&password, encryption) {
        (None, _) => "NOT encrypted",
        (Some(_), KeyEncryption::OpensslCompatible) => "encrypted, OpenSSL-compatible",
        (Some(_), _) => "encrypted",
    };
    let scheme = args.key_type.scheme();
    let keys = keys_dir(&args.repo.dir, args.keys_dir.as_ref());
    let created = InitRequest::new(&args.repo.dir, &keys, password)
        .scheme(scheme)
        .key_encryption(encryption)
        .expiry(expiry)
        .thresholds(thresholds)
        .create(&SystemClock)?;
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
    if let Some(dir) = &args.log {
        let mut log = custody::open_log(dir).map_err(Failure::operational)?;
        for (info, key) in created.keys.iter().zip(&created.private_keys) {
            let appended = custody::record_key_generated(&mut log, key, &info.role, &CustodyClock)
                .map_err(Failure::operational)?;
            out.push_str(&format!(
                "logged generation of {} key {} as entry {}\n",
                info.role, info.key_id, appended.index
            ));
        }
    }
    say(&out)
}

pub(super) fn add(args: AddArgs) -> Result<(), Failure> {
    let mut repository = Repository::open(&args.repo.dir)?;
    let release = args.version.as_ref().map(|version| {
        let platform = args
            .platform
            .clone()
            .unwrap_or_else(|| std::env::consts::OS.to_owned());
        let arch = args
            .arch
            .clone()
            .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
        let mut release = ReleaseInfo::new(version, &args.channel, &platform, &arch)
            .rollout_percent(args.rollout);
        if let Some(minimum) = &args.minimum_version {
            release = release.minimum_version(minimum);
        }
        release
    });
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
        Some(dir) => AddRequest::from_dir(dir, release)?,
        None => match release {
            Some(release) => AddRequest::new(args.files.clone(), release),
            None => AddRequest::plain(args.files.clone()),
        },
    };
    if let Some(prefix) = &args.prefix {
        request = request.prefix(prefix);
    }
    if let Some(key) = &release_key {
        request = request.release_key(key);
    }
    let added = request.apply(
        &mut repository,
        &keyring(&args.repo.dir, &args.keys),
        &SystemClock,
    )?;
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

pub(super) fn remove(args: RemoveArgs) -> Result<(), Failure> {
    let mut repository = Repository::open(&args.repo.dir)?;
    remove_targets(
        &mut repository,
        &args.names,
        &keyring(&args.repo.dir, &args.keys),
        &SystemClock,
    )?;
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

pub(super) fn delegate(args: DelegateArgs) -> Result<(), Failure> {
    let mut repository = Repository::open(&args.repo.dir)?;
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
            return Err(Failure::operational("--paths or --hash-bins is required"));
        }
    };
    if args.generate {
        let scheme = args.key_type.scheme();
        request = request.generate(
            &dir,
            scheme,
            new_key_password(args.unencrypted, &args.keys.password)?,
        );
        request = request.key_encryption(args.key_encryption.encryption());
    }
    for path in &args.add_key {
        request = request.add_key(read_public_key_pem(path)?);
    }
    let delegated = request.threshold(args.threshold).apply(
        &mut repository,
        &keyring(&args.repo.dir, &args.keys),
        &SystemClock,
    )?;
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
