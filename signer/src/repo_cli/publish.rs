//! `repo status`, `refresh` and `publish`: checking, re-signing and publishing.

use sigil_custody::SystemClock as CustodyClock;
use sigil_keys::Signer;
use sigil_signer::custody;
use sigil_signer::repo::Repository;
use sigil_tuf::metadata::RoleType;
use sigil_tuf::{Clock, SystemClock};

use super::{
    Failure, PublishArgs, RefreshArgs, StatusArgs, delegated_line, keyring, role_line, say,
};

pub(super) fn status(args: StatusArgs) -> Result<(), Failure> {
    let repository = Repository::open(&args.repo.dir)?;
    let status = repository.status(SystemClock.now());
    let mut out: String = status.roles.iter().map(role_line).collect();
    out.extend(status.delegated.iter().map(delegated_line));
    if status.is_publishable() {
        out.push_str("ready to publish\n");
        say(&out)
    } else {
        out.push_str("not ready to publish:\n");
        for problem in &status.problems {
            out.push_str(&format!("  {problem}\n"));
        }
        say(&out)?;
        Err(Failure::refused(NotPublishable))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the repository is not ready to publish")]
struct NotPublishable;

pub(super) fn refresh(args: RefreshArgs) -> Result<(), Failure> {
    let mut repository = Repository::open(&args.repo.dir)?;
    let report = repository.refresh(&keyring(&args.repo.dir, &args.keys), &SystemClock)?;
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

pub(super) fn publish(args: PublishArgs) -> Result<(), Failure> {
    let repository = Repository::open(&args.repo.dir)?;
    // The log's signer is loaded first, so that a missing key fails before anything is written.
    let log_signer = match &args.log {
        Some(_) => {
            let keyids = repository
                .role_keys(RoleType::Timestamp)
                .map(|keys| keys.keyids.clone())
                .unwrap_or_default();
            let ring = keyring(&args.repo.dir, &args.keys);
            let signer = ring
                .signers_for(&keyids)?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    Failure::from(sigil_signer::repo::RepoError::NoSigningKey {
                        role: RoleType::Timestamp,
                        dir: ring.describe(),
                    })
                })?;
            Some(signer)
        }
        None => None,
    };
    let published = repository.publish(&args.out, &SystemClock)?;
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
        let mut log = custody::open_log(dir).map_err(Failure::operational)?;
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
        // A checkpoint over the new entries, where the key can sign one (signed notes take
        // Ed25519 keys).
        if signer.public_key().scheme() == sigil_keys::Scheme::Ed25519 {
            log.sign_checkpoint(sigil_custody::DEFAULT_ORIGIN, signer as &dyn Signer)
                .map_err(Failure::operational)?;
        }
    }
    say(&out)
}
