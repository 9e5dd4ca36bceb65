//! `repo publish`: the working copy written as a static repository with consistent snapshots,
//! then read back from the outside with sigil-updater's client, as an installed app would.
//!
//! Layout: `metadata/N.root.json` for every root version, `metadata/N.targets.json`,
//! `metadata/N.snapshot.json`, `metadata/timestamp.json`, and `targets/DIR/SHA256.NAME`.
//!
//! Order and atomicity: nothing is written until every file has been checked against what is
//! already published (a published version is never rewritten with other bytes). Then the new,
//! immutable files are written, each to a temporary file renamed into place; a client cannot
//! reach them yet, because the published `timestamp.json` still names the old snapshot. The new
//! timestamp is staged beside it and the whole new repository is verified with the client
//! through it; only then is it renamed over `timestamp.json`, the one step that makes the new
//! version visible. A failure before that step removes the files this run created, leaving
//! the published repository exactly as it was.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sigil_custody::predicate::RoleVersions;
use sigil_tuf::hashes::verify_stream;
use sigil_tuf::metadata::{Metadata, TargetFile, Timestamp};
use sigil_tuf::release::Release;
use sigil_tuf::target_path::unquote;
use sigil_tuf::transport::read_error;
use sigil_tuf::{
    Clock, FixedClock, MemoryStorage, TargetInfo, TargetPath, Transport, TransportError,
    UpdateError, Updater, UpdaterBuilder,
};

use super::status::Problem;
use super::targets::hash_file;
use super::{RepoError, Repository, files};

/// Why a repository was not published. The published repository is left as it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    #[error("the working copy cannot be published: {}", list(problems))]
    Blocked { problems: Vec<Problem> },
    #[error(
        "{path} is already published with other bytes than the working copy's (a half-written or \
         altered file?): a published version is never rewritten; inspect it, or publish a new version"
    )]
    Conflict { path: PathBuf },
    #[error(
        "{path} is timestamp version {published}, newer than the working copy's version {found}: \
         publishing would roll clients back"
    )]
    Rollback {
        path: PathBuf,
        published: u64,
        found: u64,
    },
    #[error(
        "{path} is not valid timestamp metadata, so the rollback check cannot be made: {source}"
    )]
    UnreadablePublished {
        path: PathBuf,
        #[source]
        source: sigil_tuf::metadata::MetadataError,
    },
    #[error(
        "target {name:?}: the working copy {path} is not the file the targets metadata describes \
         (expected {expected_length} bytes with sha256 {expected_sha256})"
    )]
    TargetChanged {
        name: String,
        path: PathBuf,
        expected_length: u64,
        expected_sha256: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the repository does not verify with the sigil-updater client: {0}")]
    Verify(#[source] UpdateError),
    #[error("the sigil-updater client does not find target {name:?} in the published repository")]
    TargetNotFound { name: String },
    #[error(transparent)]
    Repo(#[from] RepoError),
}

impl PublishError {
    /// Whether this is a refusal on security grounds (exit 1) rather than an operational error.
    #[must_use]
    pub fn is_rejection(&self) -> bool {
        !matches!(self, Self::Io { .. } | Self::Repo(_))
    }
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A target published for the first time by this run.
#[derive(Debug, Clone)]
pub struct PublishedTarget {
    pub name: String,
    pub sha256: String,
    /// The target's release metadata, when it has one.
    pub release: Option<Release>,
}

/// What a publication did.
#[derive(Debug, Clone)]
pub struct Published {
    /// Files written, relative to the output directory, in the order written.
    pub written: Vec<PathBuf>,
    /// Files already published with the same bytes.
    pub unchanged: usize,
    pub new_targets: Vec<PublishedTarget>,
    pub role_versions: RoleVersions,
}

enum Source {
    Bytes(Vec<u8>),
    /// A target's working copy, with the length the metadata gives it (its sha256 is in its
    /// published name).
    Target {
        path: PathBuf,
        length: u64,
    },
}

struct Planned {
    relative: PathBuf,
    source: Source,
    target_name: Option<String>,
}

/// Where a target is published: `targets/DIR/SHA256.NAME` (TUF 5.7.3, consistent snapshots).
fn target_location(name: &TargetPath, sha256: &str) -> PathBuf {
    let (dir, file) = match name.as_str().rsplit_once('/') {
        Some((dir, file)) => (Some(dir), file),
        None => (None, name.as_str()),
    };
    let mut path = PathBuf::from("targets");
    if let Some(dir) = dir {
        path.push(dir);
    }
    path.push(format!("{sha256}.{file}"));
    path
}

fn same_bytes(existing: &Path, source: &Source) -> Result<bool, PublishError> {
    match source {
        Source::Bytes(bytes) => {
            let found = fs::read(existing).map_err(io_error(existing))?;
            Ok(&found == bytes)
        }
        // A published target's name starts with its SHA-256 (consistent snapshots), so a file
        // of that name and length was published from the same bytes; re-hashing every target
        // at every publication would make publishing grow with the whole repository. Clients
        // check every byte they download against the metadata anyway.
        Source::Target { length, .. } => {
            let found_length = fs::metadata(existing).map_err(io_error(existing))?.len();
            Ok(found_length == *length)
        }
    }
}

/// The base of the URLs the publication check fetches: paths under it are read from the
/// repository directory just written, as a client would fetch them over `file://`.
const PUBLISHED: &str = "published:/";

/// The repository directory, read back by URL; with `staged_timestamp`, the staged timestamp is
/// served in place of the published one, for the check before the swap.
struct PublishedFiles {
    out: PathBuf,
    staged_timestamp: Option<PathBuf>,
}

impl PublishedFiles {
    /// The file `url` names: each percent-encoded segment decoded on its own, so that no segment
    /// can become a separator, `.` or `..`.
    fn path(&self, url: &str) -> Option<PathBuf> {
        let relative = url.strip_prefix(PUBLISHED)?;
        if relative == "metadata/timestamp.json" {
            if let Some(staged) = &self.staged_timestamp {
                return Some(staged.clone());
            }
        }
        let mut path = self.out.clone();
        for segment in relative.split('/') {
            let segment = unquote(segment)?;
            if segment.is_empty()
                || segment == "."
                || segment == ".."
                || segment.contains(['/', '\\'])
            {
                return None;
            }
            path.push(segment);
        }
        Some(path)
    }
}

impl Transport for PublishedFiles {
    fn fetch(&self, url: &str, max_len: u64) -> Result<Box<dyn Read + Send + '_>, TransportError> {
        let path = self
            .path(url)
            .ok_or_else(|| TransportError::UnsupportedScheme {
                url: url.to_owned(),
            })?;
        let io_error = |source: io::Error| {
            if source.kind() == io::ErrorKind::NotFound {
                TransportError::NotFound {
                    url: url.to_owned(),
                }
            } else {
                TransportError::Io {
                    url: url.to_owned(),
                    source,
                }
            }
        };
        let file = fs::File::open(&path).map_err(io_error)?;
        if file.metadata().map_err(io_error)?.len() > max_len {
            return Err(TransportError::TooLarge {
                url: url.to_owned(),
                limit: max_len,
            });
        }
        Ok(Box::new(file))
    }
}

/// Refreshes from the published files as a client that trusts the first root, finds every
/// target, and checks the bytes of those in `download` against the trusted length and hashes
/// (TUF 5.7), with the client's own workflow and limits.
fn verify_as_client(
    files: PublishedFiles,
    first_root: &[u8],
    names: &[String],
    download: &[String],
    clock: &dyn Clock,
) -> Result<(), PublishError> {
    let mut updater =
        UpdaterBuilder::new(&format!("{PUBLISHED}metadata"), files, MemoryStorage::new())
            .clock(FixedClock(clock.now()))
            .initial_root(first_root.to_vec())
            .load()
            .map_err(PublishError::Verify)?;
    updater.refresh().map_err(PublishError::Verify)?;
    let download: std::collections::HashSet<&String> = download.iter().collect();
    for name in names {
        let path = TargetPath::parse(name).map_err(RepoError::from)?;
        let info = updater
            .target_info(&path)
            .map_err(PublishError::Verify)?
            .ok_or_else(|| PublishError::TargetNotFound { name: name.clone() })?;
        if download.contains(name) {
            check_target(&updater, &info).map_err(PublishError::Verify)?;
        }
    }
    Ok(())
}

/// Reads one published target as the client downloads it and checks its length and hashes.
fn check_target(updater: &Updater, info: &TargetInfo) -> Result<(), UpdateError> {
    let name = info.path.as_str();
    let length = info.file.length;
    let limit = updater.limits().max_target_length;
    if length > limit {
        return Err(UpdateError::TargetTooLarge {
            target: name.to_owned(),
            length,
            limit,
        });
    }
    let url = updater.target_url(info, &format!("{PUBLISHED}targets"));
    let reader = updater.transport().fetch(&url, length)?;
    verify_stream(reader, length, &info.file.hashes, |_| Ok(()))
        .map_err(|source| UpdateError::Transport(read_error(&url, 0, source)))?
        .map_err(|source| UpdateError::TargetHash {
            target: name.to_owned(),
            source,
        })
}

impl Repository {
    /// Every target name, in top-level targets and the delegated roles.
    #[must_use]
    /// The targets the outside check looks up after writing `written`: every target when root
    /// changes (every role's keys may have), else the targets of each role whose metadata is
    /// written now. Roles not rewritten were checked when they were published, and their files
    /// are never rewritten.
    fn targets_to_check(&self, written: &[Planned]) -> Vec<String> {
        let changed: std::collections::HashSet<String> = written
            .iter()
            .filter(|planned| planned.target_name.is_none())
            .filter_map(|planned| planned.relative.file_name()?.to_str().map(str::to_owned))
            .filter_map(|file| {
                let role = file.strip_suffix(".json")?;
                Some(
                    role.split_once('.')
                        .map_or(role, |(_, name)| name)
                        .to_owned(),
                )
            })
            .collect();
        if changed.contains("root") {
            return self.target_names();
        }
        let mut names = Vec::new();
        if changed.contains("targets") {
            names.extend(self.targets().signed().targets.keys().cloned());
        }
        for (role, metadata) in self.delegated() {
            if changed.contains(role.as_str()) {
                names.extend(metadata.signed().targets.keys().cloned());
            }
        }
        names
    }

    pub fn target_names(&self) -> Vec<String> {
        std::iter::once(self.targets())
            .chain(self.delegated().values())
            .flat_map(|role| role.signed().targets.keys().cloned())
            .collect()
    }

    /// Publishes the working copy to `out` (created if missing) and verifies it as a client.
    pub fn publish(&self, out: &Path, clock: &dyn Clock) -> Result<Published, PublishError> {
        let status = self.status(clock.now());
        if !status.is_publishable() {
            return Err(PublishError::Blocked {
                problems: status.problems,
            });
        }
        fs::create_dir_all(out.join("metadata")).map_err(io_error(out))?;
        let out = out.canonicalize().map_err(io_error(out))?;

        // Plan: targets first, then targets, root and snapshot metadata; timestamp last.
        let mut plan = Vec::new();
        let all_targets: Vec<(String, TargetFile)> = std::iter::once(self.targets())
            .chain(self.delegated().values())
            .flat_map(|role| role.signed().targets.clone())
            .collect();
        for (name, file) in &all_targets {
            let path = TargetPath::parse(name).map_err(RepoError::from)?;
            let sha256 = file.hashes.get("sha256").cloned().unwrap_or_default();
            let working = self.target_file(name);
            let (length, hashes) = hash_file(&working)?;
            if length != file.length || hashes.get("sha256") != Some(&sha256) {
                return Err(PublishError::TargetChanged {
                    name: name.clone(),
                    path: working,
                    expected_length: file.length,
                    expected_sha256: sha256,
                });
            }
            plan.push(Planned {
                relative: target_location(&path, &sha256),
                source: Source::Target {
                    path: working,
                    length,
                },
                target_name: Some(name.clone()),
            });
        }
        let metadata = PathBuf::from("metadata");
        plan.push(Planned {
            relative: metadata.join(format!("{}.targets.json", self.targets().signed().version)),
            source: Source::Bytes(self.targets().bytes().to_vec()),
            target_name: None,
        });
        for (name, role) in self.delegated() {
            plan.push(Planned {
                relative: metadata.join(format!("{}.{name}.json", role.signed().version)),
                source: Source::Bytes(role.bytes().to_vec()),
                target_name: None,
            });
        }
        for root in self.roots() {
            plan.push(Planned {
                relative: metadata.join(format!("{}.root.json", root.signed().version)),
                source: Source::Bytes(root.bytes().to_vec()),
                target_name: None,
            });
        }
        plan.push(Planned {
            relative: metadata.join(format!(
                "{}.snapshot.json",
                self.snapshot().signed().version
            )),
            source: Source::Bytes(self.snapshot().bytes().to_vec()),
            target_name: None,
        });

        // Check everything against what is published before writing anything.
        let mut to_write = Vec::new();
        let mut unchanged = 0;
        for planned in plan {
            let destination = out.join(&planned.relative);
            if destination.exists() {
                if !same_bytes(&destination, &planned.source)? {
                    return Err(PublishError::Conflict { path: destination });
                }
                unchanged += 1;
            } else {
                to_write.push(planned);
            }
        }
        let timestamp_path = out.join("metadata").join("timestamp.json");
        let timestamp_bytes = self.timestamp().bytes();
        let timestamp_changed = match fs::read(&timestamp_path) {
            Ok(published) if published == timestamp_bytes => false,
            Ok(published) => {
                let parsed = Metadata::<Timestamp>::from_bytes(&published).map_err(|source| {
                    PublishError::UnreadablePublished {
                        path: timestamp_path.clone(),
                        source,
                    }
                })?;
                let found = self.timestamp().signed().version;
                if parsed.signed().version >= found {
                    return Err(PublishError::Rollback {
                        path: timestamp_path,
                        published: parsed.signed().version,
                        found,
                    });
                }
                true
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => true,
            Err(source) => {
                return Err(PublishError::Io {
                    path: timestamp_path,
                    source,
                });
            }
        };
        if !timestamp_changed {
            unchanged += 1;
        }

        // Write the immutable files; then stage the timestamp and verify through it.
        let mut created: Vec<PathBuf> = Vec::new();
        let result = self.write_and_verify(
            &out,
            &to_write,
            timestamp_changed.then_some(timestamp_bytes),
            &mut created,
            clock,
        );
        if let Err(error) = result {
            for path in created.iter().rev() {
                let _ = fs::remove_file(out.join(path));
            }
            return Err(error);
        }

        // The outside view, after the swap: exactly what a user's app now sees.
        let names = self.targets_to_check(&to_write);
        verify_as_client(
            PublishedFiles {
                out: out.clone(),
                staged_timestamp: None,
            },
            self.first_root().bytes(),
            &names,
            &[],
            clock,
        )?;

        let mut written: Vec<PathBuf> = to_write.iter().map(|p| p.relative.clone()).collect();
        if timestamp_changed {
            written.push(PathBuf::from("metadata").join("timestamp.json"));
        }
        let new_targets = to_write
            .iter()
            .filter_map(|planned| {
                let name = planned.target_name.as_ref()?;
                let file = self
                    .targets_role(&self.role_for_target(name))
                    .and_then(|role| role.signed().targets.get(name))
                    .or_else(|| self.targets().signed().targets.get(name))?;
                Some(PublishedTarget {
                    name: name.clone(),
                    sha256: file.hashes.get("sha256").cloned().unwrap_or_default(),
                    release: file
                        .custom
                        .as_ref()
                        .and_then(|custom| Release::from_custom(name, custom).ok().flatten()),
                })
            })
            .collect();
        Ok(Published {
            written,
            unchanged,
            new_targets,
            role_versions: RoleVersions {
                root: self.root().signed().version,
                targets: self.targets().signed().version,
                snapshot: self.snapshot().signed().version,
                timestamp: self.timestamp().signed().version,
            },
        })
    }

    fn write_and_verify(
        &self,
        out: &Path,
        to_write: &[Planned],
        timestamp: Option<&[u8]>,
        created: &mut Vec<PathBuf>,
        clock: &dyn Clock,
    ) -> Result<(), PublishError> {
        for planned in to_write {
            let destination = out.join(&planned.relative);
            match &planned.source {
                Source::Bytes(bytes) => files::write_atomic(&destination, bytes),
                Source::Target { path, .. } => files::copy_atomic(path, &destination),
            }
            .map_err(io_error(&destination))?;
            created.push(planned.relative.clone());
        }
        let names = self.targets_to_check(to_write);
        let download: Vec<String> = to_write
            .iter()
            .filter_map(|planned| planned.target_name.clone())
            .collect();
        let Some(timestamp) = timestamp else {
            // The published timestamp stays (a root rotation alone, say): the new files are
            // already reachable, so they are checked as they are, and removed if refused.
            if !to_write.is_empty() {
                verify_as_client(
                    PublishedFiles {
                        out: out.to_owned(),
                        staged_timestamp: None,
                    },
                    self.first_root().bytes(),
                    &names,
                    &download,
                    clock,
                )?;
            }
            return Ok(());
        };
        let metadata = out.join("metadata");
        let staged = metadata.join(".timestamp.json.staged");
        files::write_atomic(&staged, timestamp).map_err(io_error(&staged))?;
        created.push(PathBuf::from("metadata").join(".timestamp.json.staged"));
        verify_as_client(
            PublishedFiles {
                out: out.to_owned(),
                staged_timestamp: Some(staged.clone()),
            },
            self.first_root().bytes(),
            &names,
            &download,
            clock,
        )?;
        // The one step that makes the new version visible.
        let target = metadata.join("timestamp.json");
        fs::rename(&staged, &target).map_err(io_error(&target))?;
        created.pop();
        files::sync_dir(&metadata).map_err(io_error(&metadata))?;
        Ok(())
    }
}
