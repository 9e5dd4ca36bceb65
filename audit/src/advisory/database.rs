//! Advisory databases on disk: a directory tree of OSV JSON files (a checkout of the GitHub
//! advisory database, RustSec's `osv` branch), or a zip archive of them (osv.dev's per-ecosystem
//! `all.zip`), read under [`DatabaseLimits`].

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use super::osv::{self, Advisory};
use crate::model::{Ecosystem, Package};

/// Bounds on what reading a database may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatabaseLimits {
    /// The largest single OSV record, in bytes.
    pub max_record_bytes: u64,
    /// The most records one database may hold.
    pub max_records: usize,
    /// The most bytes unpacked from one archive.
    pub max_unpacked_bytes: u64,
    /// The deepest directory tree walked.
    pub max_depth: usize,
}

impl Default for DatabaseLimits {
    /// 4 MiB per record, 2 million records, 8 GiB unpacked, 16 levels of folders: several
    /// times what the largest public databases hold today.
    fn default() -> Self {
        Self {
            max_record_bytes: 4 * 1024 * 1024,
            max_records: 2_000_000,
            max_unpacked_bytes: 8 * 1024 * 1024 * 1024,
            max_depth: 16,
        }
    }
}

/// Why a database could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatabaseError {
    /// A file or folder could not be read.
    #[error("cannot read advisory database {path}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file that is not a zip archive, or a damaged one.
    #[error(
        "advisory database {path} is not a readable zip archive; pass a folder of OSV JSON \
         files or a zip of them (such as osv.dev's all.zip)"
    )]
    Zip {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: zip::result::ZipError,
    },
    /// A `.json` file that is not an OSV record.
    #[error(
        "{path} in the advisory database is not an OSV record; remove it or point at a folder holding only OSV files"
    )]
    Record {
        /// The file (for an archive, `archive!member`).
        path: String,
        /// The parser's complaint.
        #[source]
        source: osv::RecordError,
    },
    /// A record larger than the limit.
    #[error("{path} in the advisory database is {found} bytes, more than the limit of {limit}")]
    RecordTooLarge {
        /// The file.
        path: String,
        /// Its size.
        found: u64,
        /// The limit.
        limit: u64,
    },
    /// More records, more unpacked bytes or deeper folders than the limits.
    #[error("advisory database {path} exceeds the limit of {limit} {what}")]
    OverLimit {
        /// The database.
        path: String,
        /// What was counted.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// No OSV record at all: almost certainly the wrong path or format.
    #[error(
        "advisory database {path} holds no OSV records (*.json); RustSec's own Markdown files \
         are not OSV: use its osv branch or osv.dev's crates.io all.zip"
    )]
    Empty {
        /// The path.
        path: String,
    },
}

/// Advisories indexed by package, from one or more databases.
#[derive(Debug, Clone, Default)]
pub struct Database {
    advisories: Vec<Advisory>,
    index: HashMap<(Ecosystem, String), Vec<(usize, usize)>>,
    records: usize,
    unreadable_events: usize,
    sources: Vec<String>,
    /// When set, only advisories about these packages are kept.
    only: Option<HashSet<(Ecosystem, String)>>,
}

impl Database {
    /// An empty database, to add to.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps, from what is added after this, only the advisories about these packages (by
    /// ecosystem and name): a public database holds hundreds of thousands of records, and an
    /// audit needs the few about its lockfiles.
    #[must_use]
    pub fn only_packages<'a>(mut self, packages: impl IntoIterator<Item = &'a Package>) -> Self {
        self.only = Some(
            packages
                .into_iter()
                .map(|p| (p.ecosystem, p.name.clone()))
                .collect(),
        );
        self
    }

    /// Reads the database at `path`: a folder of OSV files or a zip archive of them.
    ///
    /// # Errors
    /// The path cannot be read, holds a file that is not an OSV record, holds no records, or
    /// exceeds `limits`.
    pub fn load(path: &Path, limits: &DatabaseLimits) -> Result<Self, DatabaseError> {
        let mut db = Self::new();
        db.add_path(path, limits)?;
        Ok(db)
    }

    /// Adds the database at `path` (see [`Self::load`]).
    ///
    /// # Errors
    /// As [`Self::load`].
    pub fn add_path(&mut self, path: &Path, limits: &DatabaseLimits) -> Result<(), DatabaseError> {
        let shown = path.display().to_string();
        let io = |source| DatabaseError::Io {
            path: shown.clone(),
            source,
        };
        if !std::fs::metadata(path).map_err(io)?.is_dir() {
            let file = std::fs::File::open(path).map_err(io)?;
            return self.add_zip(&shown, file, limits);
        }
        let before = self.records;
        self.add_dir(path, path, 0, limits)?;
        if self.records == before {
            return Err(DatabaseError::Empty { path: shown });
        }
        self.sources.push(shown);
        Ok(())
    }

    /// Adds the records of a zip archive read from `reader`; `name` names it in errors.
    ///
    /// # Errors
    /// The archive cannot be read, holds a `.json` member that is not an OSV record, holds no
    /// records, or exceeds `limits`.
    pub fn add_zip(
        &mut self,
        name: &str,
        reader: impl Read + Seek,
        limits: &DatabaseLimits,
    ) -> Result<(), DatabaseError> {
        let zip_err = |source| DatabaseError::Zip {
            path: name.to_owned(),
            source,
        };
        let mut archive = zip::ZipArchive::new(reader).map_err(zip_err)?;
        let before = self.records;
        let mut unpacked: u64 = 0;
        let mut buf = Vec::new();
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).map_err(zip_err)?;
            if !entry.is_file() || !entry.name().ends_with(".json") {
                continue;
            }
            let member = format!("{name}!{}", entry.name());
            if entry.size() > limits.max_record_bytes {
                return Err(DatabaseError::RecordTooLarge {
                    path: member,
                    found: entry.size(),
                    limit: limits.max_record_bytes,
                });
            }
            buf.clear();
            // The declared size can lie; read at most one byte past the limit.
            (&mut entry)
                .take(limits.max_record_bytes + 1)
                .read_to_end(&mut buf)
                .map_err(|source| DatabaseError::Io {
                    path: member.clone(),
                    source,
                })?;
            let len = u64::try_from(buf.len()).unwrap_or(u64::MAX);
            if len > limits.max_record_bytes {
                return Err(DatabaseError::RecordTooLarge {
                    path: member,
                    found: len,
                    limit: limits.max_record_bytes,
                });
            }
            unpacked = unpacked.saturating_add(len);
            if unpacked > limits.max_unpacked_bytes {
                return Err(DatabaseError::OverLimit {
                    path: name.to_owned(),
                    what: "unpacked bytes",
                    limit: limits.max_unpacked_bytes,
                });
            }
            self.add_record(&member, &buf, name, limits)?;
        }
        if self.records == before {
            return Err(DatabaseError::Empty {
                path: name.to_owned(),
            });
        }
        self.sources.push(name.to_owned());
        Ok(())
    }

    fn add_dir(
        &mut self,
        root: &Path,
        dir: &Path,
        depth: usize,
        limits: &DatabaseLimits,
    ) -> Result<(), DatabaseError> {
        let shown = root.display().to_string();
        if depth > limits.max_depth {
            return Err(DatabaseError::OverLimit {
                path: shown,
                what: "levels of folders",
                limit: limits.max_depth as u64,
            });
        }
        let io = |p: &Path| {
            let p = p.display().to_string();
            move |source| DatabaseError::Io { path: p, source }
        };
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(io(dir))?;
        // File order decides which of two aliased records is reported; keep it stable.
        entries.sort();
        for path in entries {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            // Hidden folders (.git, .github) hold no advisories.
            if name.as_deref().is_none_or(|n| n.starts_with('.')) {
                continue;
            }
            // Symbolic links are not followed: a link could loop or leave the database.
            let meta = std::fs::symlink_metadata(&path).map_err(io(&path))?;
            if meta.is_dir() {
                self.add_dir(root, &path, depth + 1, limits)?;
            } else if meta.is_file() && name.is_some_and(|n| n.ends_with(".json")) {
                let file_shown = path.display().to_string();
                if meta.len() > limits.max_record_bytes {
                    return Err(DatabaseError::RecordTooLarge {
                        path: file_shown,
                        found: meta.len(),
                        limit: limits.max_record_bytes,
                    });
                }
                let bytes = std::fs::read(&path).map_err(io(&path))?;
                self.add_record(&file_shown, &bytes, &shown, limits)?;
            }
        }
        Ok(())
    }

    fn add_record(
        &mut self,
        shown: &str,
        bytes: &[u8],
        database: &str,
        limits: &DatabaseLimits,
    ) -> Result<(), DatabaseError> {
        self.records += 1;
        if self.records > limits.max_records {
            return Err(DatabaseError::OverLimit {
                path: database.to_owned(),
                what: "records",
                limit: limits.max_records as u64,
            });
        }
        let parsed = osv::parse(bytes).map_err(|source| DatabaseError::Record {
            path: shown.to_owned(),
            source,
        })?;
        if let Some(a) = parsed {
            self.add(a);
        }
        Ok(())
    }

    /// Adds one advisory (only its entries about the packages kept, see
    /// [`Self::only_packages`]).
    pub fn add(&mut self, mut advisory: Advisory) {
        if let Some(only) = &self.only {
            advisory
                .affected
                .retain(|a| only.contains(&(a.ecosystem, a.name.clone())));
            if advisory.affected.is_empty() {
                return;
            }
        }
        let i = self.advisories.len();
        self.unreadable_events += advisory.unreadable_events;
        for (j, a) in advisory.affected.iter().enumerate() {
            self.index
                .entry((a.ecosystem, a.name.clone()))
                .or_default()
                .push((i, j));
        }
        self.advisories.push(advisory);
    }

    /// The advisories affecting `package`'s locked version, each with the entry that matched,
    /// in database order.
    pub fn matching<'a>(
        &'a self,
        package: &'a Package,
    ) -> impl Iterator<Item = (&'a Advisory, &'a osv::Affected)> + 'a {
        self.index
            .get(&(package.ecosystem, package.name.clone()))
            .into_iter()
            .flatten()
            .filter_map(|&(i, j)| {
                let a = self.advisories.get(i)?;
                let affected = a.affected.get(j)?;
                affected.contains(&package.version).then_some((a, affected))
            })
    }

    /// How many advisories it holds: about crates.io or npm packages, and only about the
    /// packages kept when [`Self::only_packages`] was set.
    #[must_use]
    pub fn len(&self) -> usize {
        self.advisories.len()
    }

    /// Whether only advisories about some packages are kept ([`Self::only_packages`]).
    #[must_use]
    pub fn is_filtered(&self) -> bool {
        self.only.is_some()
    }

    /// Whether it holds none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.advisories.is_empty()
    }

    /// How many records were read, all ecosystems and withdrawn ones included.
    #[must_use]
    pub fn records(&self) -> usize {
        self.records
    }

    /// Range events skipped because their version is not SemVer.
    #[must_use]
    pub fn unreadable_events(&self) -> usize {
        self.unreadable_events
    }

    /// The databases read, as given.
    #[must_use]
    pub fn sources(&self) -> &[String] {
        &self.sources
    }
}
