//! Unpacking a release archive (zip, or tar.gz) into a fresh staging directory, refusing every
//! member that could write outside it or exhaust the machine.
//!
//! Defences: member names are validated ([`MemberPath`]); symbolic links must point inside the
//! archive and are created only after every file, so no write ever passes through one; hard
//! links, devices and FIFOs are refused; duplicate members (also when they differ only in case)
//! are refused; files are created with `create_new`; entry count, each entry's size, the total
//! size and the compression ratio are limited, and enforced on the bytes actually decompressed,
//! not on sizes the archive declares; permissions are reduced to 0755 or 0644.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::member::{MemberPath, MemberPathError};

/// Limits on what an archive may unpack to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Members, directories included. Default 50,000.
    pub max_entries: u64,
    /// Bytes of one member. Default 2 GiB.
    pub max_entry_bytes: u64,
    /// Bytes of all members together. Default 4 GiB.
    pub max_total_bytes: u64,
    /// Unpacked bytes per archive byte, over the whole archive. Default 200.
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entries: 50_000,
            max_entry_bytes: 2 << 30,
            max_total_bytes: 4 << 30,
            max_ratio: 200,
        }
    }
}

/// Why an archive was refused or could not be unpacked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    #[error("{archive}: not a zip or gzip-compressed tar archive")]
    UnknownFormat { archive: PathBuf },
    #[error("{archive}: malformed archive: {reason}")]
    Malformed { archive: PathBuf, reason: String },
    #[error("member #{index}: {source}")]
    MemberName {
        index: u64,
        #[source]
        source: MemberPathError,
    },
    #[error("member {member}: appears twice (names that differ only in case count as the same)")]
    Duplicate { member: String },
    #[error("member {member}: a {kind} is not allowed in a release archive")]
    ForbiddenType { member: String, kind: &'static str },
    #[error("member {member}: symbolic link to {target:?} points outside the archive")]
    LinkEscapes { member: String, target: String },
    #[error("member {member}: lies under {link}, which is a symbolic link")]
    UnderLink { member: String, link: String },
    #[error("member {member}: the path is already a file, not a directory")]
    NotADirectory { member: String },
    #[error("archive has more than {limit} members")]
    TooManyEntries { limit: u64 },
    #[error("member {member}: larger than the {limit} bytes one member may unpack to")]
    EntryTooLarge { member: String, limit: u64 },
    #[error("archive unpacks to more than {limit} bytes")]
    TotalTooLarge { limit: u64 },
    #[error(
        "archive of {archive_bytes} bytes unpacks to more than {unpacked} bytes (a ratio over \
         {limit}): refused as a decompression bomb"
    )]
    RatioTooHigh {
        archive_bytes: u64,
        unpacked: u64,
        limit: u64,
    },
    #[error("member {member}: declared {declared} bytes but holds {actual}")]
    SizeMismatch {
        member: String,
        declared: u64,
        actual: u64,
    },
    #[error("staging directory {path} must be new and empty")]
    StagingNotEmpty { path: PathBuf },
    #[error("reading {archive}: {source}")]
    Read {
        archive: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// What was unpacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Unpacked {
    pub files: u64,
    pub directories: u64,
    pub links: u64,
    pub bytes: u64,
}

/// Unpacks `archive` into `staging`, which must exist and be empty. On error, `staging` may hold
/// a partial tree: the caller removes it (nothing outside it is ever written).
pub fn unpack(archive: &Path, staging: &Path, limits: &Limits) -> Result<Unpacked, ArchiveError> {
    let read_error = |source| ArchiveError::Read {
        archive: archive.to_owned(),
        source,
    };
    let is_empty_dir = fs::read_dir(staging)
        .map(|mut entries| entries.next().is_none())
        .unwrap_or(false);
    if !is_empty_dir {
        return Err(ArchiveError::StagingNotEmpty {
            path: staging.to_owned(),
        });
    }
    let mut file = File::open(archive).map_err(read_error)?;
    let archive_bytes = file.metadata().map_err(read_error)?.len();
    let mut magic = [0u8; 4];
    let read = file.read(&mut magic).map_err(read_error)?;
    drop(file);
    let mut writer = Writer::new(archive, staging, archive_bytes, limits);
    match &magic[..read] {
        [b'P', b'K', 3, 4] | [b'P', b'K', 5, 6] => unpack_zip(archive, &mut writer)?,
        [0x1f, 0x8b, ..] => unpack_tar_gz(archive, &mut writer)?,
        _ => {
            return Err(ArchiveError::UnknownFormat {
                archive: archive.to_owned(),
            });
        }
    }
    writer.finish()
}

/// The kind of one member, as the archive declares it.
#[derive(Clone, Copy)]
enum Kind {
    Directory,
    File { mode: u32 },
    Symlink,
}

/// Writes members under the staging directory, keeping the books the limits need.
struct Writer<'a> {
    archive: &'a Path,
    staging: &'a Path,
    archive_bytes: u64,
    limits: &'a Limits,
    seen: BTreeSet<String>,
    kinds: BTreeMap<MemberPath, bool>,
    links: Vec<(MemberPath, String)>,
    entries: u64,
    unpacked: Unpacked,
}

impl<'a> Writer<'a> {
    fn new(archive: &'a Path, staging: &'a Path, archive_bytes: u64, limits: &'a Limits) -> Self {
        Self {
            archive,
            staging,
            archive_bytes,
            limits,
            seen: BTreeSet::new(),
            kinds: BTreeMap::new(),
            links: Vec::new(),
            entries: 0,
            unpacked: Unpacked::default(),
        }
    }

    fn ratio_budget(&self) -> u64 {
        // Tiny archives may still hold a few highly compressible files: allow 1 MiB at least.
        self.archive_bytes
            .saturating_mul(self.limits.max_ratio)
            .max(1 << 20)
    }

    /// Validates one member and writes it. `declared` is the size the archive claims, if any.
    fn member(
        &mut self,
        raw_name: &[u8],
        kind: Kind,
        declared: Option<u64>,
        data: &mut dyn Read,
    ) -> Result<(), ArchiveError> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(ArchiveError::TooManyEntries {
                limit: self.limits.max_entries,
            });
        }
        let path = MemberPath::parse(raw_name).map_err(|source| ArchiveError::MemberName {
            index: self.entries - 1,
            source,
        })?;
        let member = path.to_string();
        if !self.seen.insert(path.folded()) {
            // A directory named twice is harmless (tar writers do it); anything else is not.
            if matches!(kind, Kind::Directory) && self.kinds.get(&path) == Some(&true) {
                return Ok(());
            }
            return Err(ArchiveError::Duplicate { member });
        }
        for ancestor in path.ancestors() {
            if self.links.iter().any(|(link, _)| link == &ancestor) {
                return Err(ArchiveError::UnderLink {
                    member,
                    link: ancestor.to_string(),
                });
            }
            if self.kinds.get(&ancestor) == Some(&false) {
                return Err(ArchiveError::NotADirectory { member });
            }
        }
        let target = self.staging.join(path.to_path());
        match kind {
            Kind::Directory => {
                self.kinds.insert(path, true);
                create_dir(&target)?;
                self.unpacked.directories += 1;
            }
            Kind::Symlink => {
                let mut link_target = String::new();
                data.take(4096)
                    .read_to_string(&mut link_target)
                    .map_err(|source| ArchiveError::Read {
                        archive: self.archive.to_owned(),
                        source,
                    })?;
                if !path.link_stays_inside(&link_target) {
                    return Err(ArchiveError::LinkEscapes {
                        member,
                        target: link_target,
                    });
                }
                self.kinds.insert(path.clone(), false);
                self.links.push((path, link_target));
            }
            Kind::File { mode } => {
                if let Some(declared) = declared {
                    if declared > self.limits.max_entry_bytes {
                        return Err(ArchiveError::EntryTooLarge {
                            member,
                            limit: self.limits.max_entry_bytes,
                        });
                    }
                }
                self.kinds.insert(path, false);
                if let Some(parent) = target.parent() {
                    create_dir(parent)?;
                }
                let written = self.write_file(&member, &target, mode, data)?;
                if let Some(declared) = declared {
                    if declared != written {
                        return Err(ArchiveError::SizeMismatch {
                            member,
                            declared,
                            actual: written,
                        });
                    }
                }
                self.unpacked.files += 1;
            }
        }
        Ok(())
    }

    fn write_file(
        &mut self,
        member: &str,
        target: &Path,
        mode: u32,
        data: &mut dyn Read,
    ) -> Result<u64, ArchiveError> {
        let write_error = |source| ArchiveError::Write {
            path: target.to_owned(),
            source,
        };
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(if mode & 0o111 != 0 { 0o755 } else { 0o644 });
        }
        #[cfg(not(unix))]
        let _ = mode;
        let mut file = options.open(target).map_err(write_error)?;
        let mut buffer = vec![0u8; 64 * 1024];
        let mut written = 0u64;
        loop {
            let read = match data.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(ArchiveError::Read {
                        archive: self.archive.to_owned(),
                        source,
                    });
                }
            };
            written += read;
            self.unpacked.bytes += read;
            if written > self.limits.max_entry_bytes {
                return Err(ArchiveError::EntryTooLarge {
                    member: member.to_owned(),
                    limit: self.limits.max_entry_bytes,
                });
            }
            if self.unpacked.bytes > self.limits.max_total_bytes {
                return Err(ArchiveError::TotalTooLarge {
                    limit: self.limits.max_total_bytes,
                });
            }
            if self.unpacked.bytes > self.ratio_budget() {
                return Err(ArchiveError::RatioTooHigh {
                    archive_bytes: self.archive_bytes,
                    unpacked: self.unpacked.bytes,
                    limit: self.limits.max_ratio,
                });
            }
            // `read` is at most the buffer's length.
            file.write_all(&buffer[..read as usize])
                .map_err(write_error)?;
        }
        file.sync_all().map_err(write_error)?;
        Ok(written)
    }

    /// Creates the symbolic links, last, and returns the totals.
    fn finish(mut self) -> Result<Unpacked, ArchiveError> {
        for (path, target) in std::mem::take(&mut self.links) {
            let at = self.staging.join(path.to_path());
            if let Some(parent) = at.parent() {
                create_dir(parent)?;
            }
            make_symlink(&target, &at)
                .map_err(|source| ArchiveError::Write { path: at, source })?;
            self.unpacked.links += 1;
        }
        Ok(self.unpacked)
    }
}

fn create_dir(path: &Path) -> Result<(), ArchiveError> {
    fs::create_dir_all(path).map_err(|source| ArchiveError::Write {
        path: path.to_owned(),
        source,
    })
}

#[cfg(unix)]
fn make_symlink(target: &str, at: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, at)
}

#[cfg(not(unix))]
fn make_symlink(_target: &str, _at: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "symbolic links in release archives are supported on Unix only",
    ))
}

fn unpack_zip(archive: &Path, writer: &mut Writer<'_>) -> Result<(), ArchiveError> {
    let malformed = |e: zip::result::ZipError| ArchiveError::Malformed {
        archive: archive.to_owned(),
        reason: e.to_string(),
    };
    let file = File::open(archive).map_err(|source| ArchiveError::Read {
        archive: archive.to_owned(),
        source,
    })?;
    let mut zip = zip::ZipArchive::new(file).map_err(malformed)?;
    if zip.len() as u64 > writer.limits.max_entries {
        return Err(ArchiveError::TooManyEntries {
            limit: writer.limits.max_entries,
        });
    }
    for index in 0..zip.len() {
        let mut entry = zip.by_index(index).map_err(malformed)?;
        let name = entry.name_raw().to_vec();
        let mode = entry.unix_mode().unwrap_or(0o644);
        let kind = if entry.is_dir() {
            Kind::Directory
        } else if entry.is_symlink() {
            Kind::Symlink
        } else {
            let file_type = mode & 0o170_000;
            if file_type != 0 && file_type != 0o100_000 {
                return Err(ArchiveError::ForbiddenType {
                    member: String::from_utf8_lossy(&name).into_owned(),
                    kind: "special file",
                });
            }
            Kind::File { mode }
        };
        let declared = entry.size();
        writer.member(&name, kind, Some(declared), &mut entry)?;
    }
    Ok(())
}

fn unpack_tar_gz(archive: &Path, writer: &mut Writer<'_>) -> Result<(), ArchiveError> {
    let read_error = |source| ArchiveError::Read {
        archive: archive.to_owned(),
        source,
    };
    let file = File::open(archive).map_err(read_error)?;
    let gz = flate2::read::GzDecoder::new(io::BufReader::new(file));
    let mut tar = tar::Archive::new(gz);
    let entries = tar.entries().map_err(|e| ArchiveError::Malformed {
        archive: archive.to_owned(),
        reason: e.to_string(),
    })?;
    for entry in entries {
        let mut entry = entry.map_err(|e| ArchiveError::Malformed {
            archive: archive.to_owned(),
            reason: e.to_string(),
        })?;
        let name = entry.path_bytes().into_owned();
        let member = || String::from_utf8_lossy(&name).into_owned();
        let header = entry.header();
        let mode = header.mode().unwrap_or(0o644);
        let declared = header.size().ok();
        let kind = match header.entry_type() {
            tar::EntryType::Directory => Kind::Directory,
            tar::EntryType::Regular | tar::EntryType::Continuous => Kind::File { mode },
            tar::EntryType::Symlink => Kind::Symlink,
            tar::EntryType::Link => {
                return Err(ArchiveError::ForbiddenType {
                    member: member(),
                    kind: "hard link",
                });
            }
            tar::EntryType::Char | tar::EntryType::Block => {
                return Err(ArchiveError::ForbiddenType {
                    member: member(),
                    kind: "device file",
                });
            }
            tar::EntryType::Fifo => {
                return Err(ArchiveError::ForbiddenType {
                    member: member(),
                    kind: "FIFO",
                });
            }
            // PAX and GNU long-name headers are consumed by the tar reader itself; anything
            // else is a type no release needs.
            _ => {
                return Err(ArchiveError::ForbiddenType {
                    member: member(),
                    kind: "special entry",
                });
            }
        };
        if matches!(kind, Kind::Symlink) {
            let target = entry
                .link_name_bytes()
                .map(|bytes| bytes.into_owned())
                .unwrap_or_default();
            writer.member(&name, kind, None, &mut target.as_slice())?;
        } else {
            let declared = declared.filter(|_| matches!(kind, Kind::File { .. }));
            writer.member(&name, kind, declared, &mut entry)?;
        }
    }
    Ok(())
}
