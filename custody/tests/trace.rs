//! Tracing an artifact through the log: from its dependency audit to its rollback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{TickingClock, artifact, key, signed};
use sigil_custody::dsse::KeyRing;
use sigil_custody::entry::EntryDraft;
use sigil_custody::predicate::{
    BuildDefinition, Builder, Predicate, Release, RepositoryPublication, ResourceDescriptor,
    RoleVersions, RunDetails, SlsaProvenance, UpdateInstalled, UpdateRolledBack, types,
};
use sigil_custody::statement::Subject;
use sigil_custody::store::{Log, LogOptions};
use sigil_custody::trace::trace;

fn release() -> Release {
    Release {
        version: "2.1.0".into(),
        channel: "stable".into(),
        platform: "linux-x86_64".into(),
    }
}

#[test]
fn trace_lists_every_step_of_an_artifact_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let ci = key();
    let laptop = key();
    let outsider = key();
    let clock = TickingClock::default();
    let mut log = Log::create(dir.path(), LogOptions::new()).unwrap();
    let name = "app-2.1.0-linux-x86_64.tar.gz";
    let subject = || vec![Subject::new(name, artifact(name))];

    let build = Predicate::SlsaProvenance(SlsaProvenance {
        build_definition: BuildDefinition {
            build_type: "https://sigil.dev/custody/build/cargo/v1".into(),
            external_parameters: serde_json::json!({"ref": "refs/tags/v2.1.0"}),
            internal_parameters: None,
            resolved_dependencies: vec![ResourceDescriptor {
                uri: Some("git+https://example.com/app@refs/tags/v2.1.0".into()),
                name: None,
                digest: BTreeMap::from([("gitCommit".into(), "a".repeat(40))]),
            }],
        },
        run_details: RunDetails {
            builder: Builder {
                id: "https://example.com/ci/release".into(),
            },
            metadata: None,
        },
    });
    log.append(&EntryDraft::new(subject(), build), &ci, &clock)
        .unwrap();
    log.append(&signed("unrelated.tar.gz", &ci), &ci, &clock)
        .unwrap();
    log.append(&signed(name, &ci), &ci, &clock).unwrap();
    let publication = Predicate::RepositoryPublication(RepositoryPublication {
        repository: "https://updates.example.com/".into(),
        target_name: name.into(),
        release: release(),
        role_versions: RoleVersions {
            root: 1,
            targets: 4,
            snapshot: 4,
            timestamp: 9,
        },
    });
    log.append(&EntryDraft::new(subject(), publication), &ci, &clock)
        .unwrap();
    // A step forged by someone without a trusted key.
    log.append(&signed(name, &outsider), &outsider, &clock)
        .unwrap();
    let installed = Predicate::UpdateInstalled(UpdateInstalled {
        version: "2.1.0".into(),
        previous_version: Some("2.0.3".into()),
        install_path: "/opt/app".into(),
    });
    log.append(
        &EntryDraft::new(subject(), installed).identity("host-42"),
        &laptop,
        &clock,
    )
    .unwrap();
    let rolled_back = Predicate::UpdateRolledBack(UpdateRolledBack {
        from_version: "2.1.0".into(),
        to_version: "2.0.3".into(),
        reason: "health-check-deadline".into(),
    });
    log.append(&EntryDraft::new(subject(), rolled_back), &laptop, &clock)
        .unwrap();

    let keys = KeyRing::new()
        .with(ci.public_key().clone())
        .with(laptop.public_key().clone());
    let log = Log::open_read_only(dir.path(), LogOptions::new()).unwrap();
    let found = trace(&log, &artifact(name), &keys).unwrap();
    let steps: Vec<(u64, &str)> = found
        .steps
        .iter()
        .map(|s| (s.entry.index, s.entry.statement.predicate_type.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            (0, types::SLSA_PROVENANCE),
            (2, types::ARTIFACT_SIGNATURE),
            (3, types::REPOSITORY_PUBLICATION),
            (5, types::UPDATE_INSTALLED),
            (6, types::UPDATE_ROLLED_BACK),
        ]
    );
    assert_eq!(found.steps[3].signed_by, [laptop.public_key().key_id()]);
    assert_eq!(
        found.steps[3].entry.custody().actor.identity.as_deref(),
        Some("host-42")
    );
    assert!(found.steps[0].entry.custody().time < found.steps[4].entry.custody().time);
    assert_eq!(found.rejected.len(), 1);
    assert_eq!(found.rejected[0].index, 4);

    let nothing = trace(&log, &artifact("never-built"), &keys).unwrap();
    assert!(nothing.steps.is_empty() && nothing.rejected.is_empty());
}

fn provenance(inputs: &[(&str, &[u8])]) -> Predicate {
    Predicate::SlsaProvenance(SlsaProvenance {
        build_definition: BuildDefinition {
            build_type: "https://sigil.dev/custody/build/v1".into(),
            external_parameters: serde_json::json!({}),
            internal_parameters: None,
            resolved_dependencies: inputs
                .iter()
                .map(|(name, bytes)| ResourceDescriptor {
                    uri: None,
                    name: Some((*name).to_owned()),
                    digest: BTreeMap::from([(
                        "sha256".into(),
                        sigil_custody::Sha256Digest::of(bytes).to_hex(),
                    )]),
                })
                .collect(),
        },
        run_details: RunDetails {
            builder: Builder {
                id: "https://example.com/ci".into(),
            },
            metadata: None,
        },
    })
}

#[test]
fn lineage_follows_trusted_provenance_to_the_audit_of_the_lockfile() {
    let dir = tempfile::tempdir().unwrap();
    let ci = key();
    let outsider = key();
    let clock = TickingClock::default();
    let mut log = Log::create(dir.path(), LogOptions::new()).unwrap();
    let lockfile = b"{\"lockfileVersion\": 3}".as_slice();
    let lock_subject = vec![Subject::new(
        "package-lock.json",
        sigil_custody::Sha256Digest::of(lockfile),
    )];
    // 0: the lockfile's audit; 1: the build, from that lockfile; 2: the artifact's signature.
    let audit = Predicate::DependencyAudit(sigil_custody::predicate::DependencyAudit {
        tool: sigil_custody::predicate::Tool {
            name: "sigil-audit".into(),
            version: "0.1.0".into(),
        },
        policy: sigil_custody::predicate::FileDigest {
            path: "(built-in)".into(),
            sha256: String::new(),
        },
        lockfiles: Vec::new(),
        outcome: sigil_custody::predicate::Outcome::Pass,
        findings: BTreeMap::new(),
        report: None,
    });
    log.append(&EntryDraft::new(lock_subject, audit), &ci, &clock)
        .unwrap();
    let name = "app-3.0.0.tar.gz";
    let subject = vec![Subject::new(name, artifact(name))];
    log.append(
        &EntryDraft::new(
            subject.clone(),
            provenance(&[("package-lock.json", lockfile)]),
        ),
        &ci,
        &clock,
    )
    .unwrap();
    log.append(&signed(name, &ci), &ci, &clock).unwrap();
    // An outsider's provenance claiming another input must not extend the lineage.
    log.append(
        &EntryDraft::new(subject, provenance(&[("evil.lock", b"evil")])),
        &outsider,
        &clock,
    )
    .unwrap();

    let keys = KeyRing::new().with(ci.public_key().clone());
    let log = Log::open_read_only(dir.path(), LogOptions::new()).unwrap();
    let lineage = sigil_custody::trace_lineage(&log, &artifact(name), &keys).unwrap();
    let summary: Vec<(Option<&str>, Vec<u64>)> = lineage
        .traces
        .iter()
        .map(|(name, t)| {
            (
                name.as_deref(),
                t.steps.iter().map(|s| s.entry.index).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [(None, vec![1, 2]), (Some("package-lock.json"), vec![0])]
    );
}
