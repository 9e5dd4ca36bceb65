//! Recording the signer's actions in a chain-of-custody log: each entry is signed by the key
//! that acted, so the log proves who generated which key and who signed which artifact.

use std::path::Path;

use sigil_custody::predicate::{
    ArtifactSignature, KeyGenerated, KeyRotated, Release, RepositoryPublication, RoleVersions,
};
use sigil_custody::store::{Appended, StoreError};
use sigil_custody::{Clock, EntryDraft, Log, LogOptions, Predicate, Sha256Digest, Subject};
use sigil_keys::Signer;

use crate::repo::publish::PublishedTarget;
use crate::sign::SignedFile;

/// Opens the log in `dir` to append to it, creating it if `dir` holds none.
pub fn open_log(dir: &Path) -> Result<Log, StoreError> {
    Log::open_or_create(dir, LogOptions::new())
}

/// Records that `signer` generated its own key, for `purpose` (`release`, a TUF role, ...).
/// The subject is the SHA-256 of the key's DER SubjectPublicKeyInfo.
pub fn record_key_generated(
    log: &mut Log,
    signer: &dyn Signer,
    purpose: &str,
    clock: &dyn Clock,
) -> Result<Appended, StoreError> {
    let public = signer.public_key();
    let subject = Subject::new(
        format!("public-key:{}", public.key_id()),
        Sha256Digest::of(&public.to_spki_der()),
    );
    let predicate = Predicate::KeyGenerated(KeyGenerated {
        key_id: public.key_id(),
        scheme: public.scheme().tuf_name().to_owned(),
        purpose: purpose.to_owned(),
    });
    log.append(&EntryDraft::new(vec![subject], predicate), signer, clock)
}

/// Records that `signer`'s key replaced `old` for `purpose` (a TUF role), signed by the new key.
/// The subject is the new public key, as for [`record_key_generated`].
pub fn record_key_rotated(
    log: &mut Log,
    signer: &dyn Signer,
    old: &sigil_keys::KeyId,
    purpose: &str,
    reason: &str,
    clock: &dyn Clock,
) -> Result<Appended, StoreError> {
    let public = signer.public_key();
    let subject = Subject::new(
        format!("public-key:{}", public.key_id()),
        Sha256Digest::of(&public.to_spki_der()),
    );
    let predicate = Predicate::KeyRotated(KeyRotated {
        old_key_id: old.clone(),
        new_key_id: public.key_id(),
        purpose: purpose.to_owned(),
        reason: reason.to_owned(),
    });
    log.append(&EntryDraft::new(vec![subject], predicate), signer, clock)
}

/// Records that the key `artifact_key` signed the artifact `name`; `log_signer` signs the
/// entry (the same key, unless the log has a key of its own).
pub fn record_signature(
    log: &mut Log,
    log_signer: &dyn Signer,
    artifact_key: &dyn Signer,
    name: &str,
    signed: &SignedFile,
    clock: &dyn Clock,
) -> Result<Appended, StoreError> {
    let subject = Subject::new(name, Sha256Digest(signed.sha256));
    let predicate = Predicate::ArtifactSignature(ArtifactSignature {
        format: "minisign".to_owned(),
        key_id: artifact_key.key_id(),
        signature_sha256: Sha256Digest::of(signed.signature.encode().as_bytes()).to_hex(),
    });
    log.append(
        &EntryDraft::new(vec![subject], predicate),
        log_signer,
        clock,
    )
}

/// Why a publication could not be recorded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("target {name:?}: sha256 {found:?} is not 64 hex digits")]
    Digest { name: String, found: String },
}

/// Records that the release target `target` was published in the repository served at
/// `repository`, with the role versions that made it visible. The subject is the target file.
pub fn record_publication(
    log: &mut Log,
    signer: &dyn Signer,
    repository: &str,
    target: &PublishedTarget,
    release: &sigil_tuf::release::Release,
    role_versions: &RoleVersions,
    clock: &dyn Clock,
) -> Result<Appended, RecordError> {
    let digest = Sha256Digest::from_hex(&target.sha256).map_err(|_| RecordError::Digest {
        name: target.name.clone(),
        found: target.sha256.clone(),
    })?;
    let subject = Subject::new(target.name.clone(), digest);
    let predicate = Predicate::RepositoryPublication(RepositoryPublication {
        repository: repository.to_owned(),
        target_name: target.name.clone(),
        release: Release {
            version: release.version.to_string(),
            channel: release.channel.to_string(),
            platform: release.platform.clone(),
        },
        role_versions: role_versions.clone(),
    });
    Ok(log.append(&EntryDraft::new(vec![subject], predicate), signer, clock)?)
}

/// Why a build-provenance entry could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProvenanceError {
    #[error("{path}: {source}")]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Records that the artifact `name` (`sha256`) was built from `inputs` (lockfiles, a source
/// archive): an SLSA provenance v1 entry whose resolved dependencies are the inputs' names and
/// SHA-256 digests, so that a trace of the artifact reaches the audit of its lockfiles.
pub fn record_provenance(
    log: &mut Log,
    signer: &dyn Signer,
    name: &str,
    sha256: [u8; 32],
    inputs: &[std::path::PathBuf],
    builder_id: &str,
    clock: &dyn Clock,
) -> Result<Appended, ProvenanceError> {
    use sigil_custody::predicate::{
        BuildDefinition, Builder, ResourceDescriptor, RunDetails, SlsaProvenance,
    };
    let mut resolved = Vec::new();
    for path in inputs {
        let bytes = std::fs::read(path).map_err(|source| ProvenanceError::Read {
            path: path.clone(),
            source,
        })?;
        resolved.push(ResourceDescriptor {
            uri: None,
            name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
            digest: std::collections::BTreeMap::from([(
                "sha256".to_owned(),
                Sha256Digest::of(&bytes).to_hex(),
            )]),
        });
    }
    let predicate = Predicate::SlsaProvenance(SlsaProvenance {
        build_definition: BuildDefinition {
            build_type: "https://sigil.dev/custody/build/v1".to_owned(),
            external_parameters: serde_json::json!({ "artifact": name }),
            internal_parameters: None,
            resolved_dependencies: resolved,
        },
        run_details: RunDetails {
            builder: Builder {
                id: builder_id.to_owned(),
            },
            metadata: None,
        },
    });
    let subject = Subject::new(name, Sha256Digest(sha256));
    Ok(log.append(&EntryDraft::new(vec![subject], predicate), signer, clock)?)
}
