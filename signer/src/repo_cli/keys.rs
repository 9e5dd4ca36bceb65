//! `repo sign` and `repo rotate`: signatures and keys.

use sigil_custody::SystemClock as CustodyClock;
use sigil_keys::{KeySource, LocalSigner, Signer};
use sigil_signer::custody;
use sigil_signer::repo::Repository;
use sigil_signer::repo::policy::parse_role;
use sigil_signer::repo::rotate::RotateRequest;
use sigil_tuf::SystemClock;
use sigil_tuf::metadata::RoleType;

use super::{
    Failure, RotateArgs, SignRoleArgs, delegated_lines, keyring, keys_dir, new_key_password,
    password_source, read_public_key_pem, role_lines, say,
};

pub(super) fn sign(args: SignRoleArgs) -> Result<(), Failure> {
    let source = match (&args.key, &args.key_env) {
        (Some(path), _) => KeySource::File(path.clone()),
        (None, Some(var)) => KeySource::Env(var.clone()),
        (None, None) => return Err(Failure::operational("a key is required")),
    };
    let signer = LocalSigner::load(source, &password_source(&args.password))?;
    let mut repository = Repository::open(&args.repo.dir)?;
    let role = match parse_role(&args.role) {
        Ok(role) => role,
        Err(error) => {
            if !repository.delegated().contains_key(&args.role) {
                return Err(error.into());
            }
            repository.add_delegated_signature(&args.role, &signer)?;
            let mut out = format!("signed {} with key {}\n", args.role, signer.key_id());
            out.push_str(&delegated_lines(&repository, &[args.role.as_str()]));
            return say(&out);
        }
    };
    repository.add_signature(role, &signer)?;
    let mut out = format!("signed {role} with key {}\n", signer.key_id());
    out.push_str(&role_lines(&repository, &[role]));
    if role == RoleType::Snapshot {
        out.push_str("timestamp no longer describes snapshot: run `repo refresh`\n");
    }
    say(&out)
}

#[derive(Debug, thiserror::Error)]
#[error("nothing to rotate: give --generate, --add-key, --revoke or --threshold")]
struct NothingToRotate;

pub(super) fn rotate(args: RotateArgs) -> Result<(), Failure> {
    let role = parse_role(&args.role)?;
    if !args.generate
        && args.add_key.is_empty()
        && args.revoke.is_empty()
        && args.threshold.is_none()
    {
        return Err(Failure::operational(NothingToRotate));
    }
    let mut repository = Repository::open(&args.repo.dir)?;
    let dir = keys_dir(&args.repo.dir, args.keys.keys_dir.as_ref());
    let mut request = RotateRequest::new(role);
    if args.generate {
        let password = new_key_password(args.unencrypted, &args.keys.password)?;
        request = request
            .generate(&dir, args.key_type.scheme(), password)
            .key_encryption(args.key_encryption.encryption());
    }
    for path in &args.add_key {
        request = request.add_key(read_public_key_pem(path)?);
    }
    for keyid in &args.revoke {
        request = request.revoke(sigil_keys::KeyId::new(keyid.clone()));
    }
    if let Some(threshold) = args.threshold {
        request = request.threshold(threshold);
    }
    let rotated = request.apply(
        &mut repository,
        &keyring(&args.repo.dir, &args.keys),
        &SystemClock,
    )?;
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
    if let Some(dir) = &args.log {
        let mut log = custody::open_log(dir).map_err(Failure::operational)?;
        for (info, key) in rotated.generated.iter().zip(&rotated.private_keys) {
            let appended = match rotated.revoked.as_slice() {
                [old] => custody::record_key_rotated(
                    &mut log,
                    key,
                    old,
                    &info.role,
                    &args.reason,
                    &CustodyClock,
                )
                .map_err(Failure::operational)?,
                _ => custody::record_key_generated(&mut log, key, &info.role, &CustodyClock)
                    .map_err(Failure::operational)?,
            };
            out.push_str(&format!(
                "logged {} key {} as entry {}\n",
                info.role, info.key_id, appended.index
            ));
        }
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
