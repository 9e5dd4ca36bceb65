//! The log on disk: a directory of plain files that a person can copy and back up.
//!
//! - `entries.jsonl`: one entry per line, each a DSSE envelope in compact JSON. The line's bytes
//!   without the newline are the entry and its Merkle leaf. Appends write a whole line and make
//!   it durable (fsync) before returning.
//! - `checkpoint`: the latest signed checkpoint, replaced atomically.
//! - `lock`: an empty file that appenders lock, so appends from several processes are serialized.
//! - `torn-<offset>.bin`: a torn tail a writer cut, kept for inspection.
//!
//! Opening a log for writing cuts a torn tail a crash left behind (see [`TornTail`]) after
//! copying it aside; opening it read-only only reports it.

pub(crate) mod files;
mod scan;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use fd_lock::RwLock;
use sigil_keys::Signer;

pub use scan::TornTail;
use scan::{Scan, ScanError, Span, Tail};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::clock::Clock;
use crate::entry::{Entry, EntryDraft, EntryError, seal};
use crate::merkle::{ConsistencyProof, Hash, InclusionProof, ProofError, Tree, leaf_hash};
use crate::note::NoteSigner;
use crate::statement::TreeHead;

pub const ENTRIES_FILE: &str = "entries.jsonl";
pub const CHECKPOINT_FILE: &str = "checkpoint";
pub const LOCK_FILE: &str = "lock";
/// The default largest entry: 1 MiB of JSON.
pub const DEFAULT_MAX_ENTRY_BYTES: usize = 1 << 20;

/// Options for opening a log.
#[derive(Debug, Clone, Copy)]
pub struct LogOptions {
    max_entry_bytes: usize,
}

impl Default for LogOptions {
    fn default() -> Self {
        Self {
            max_entry_bytes: DEFAULT_MAX_ENTRY_BYTES,
        }
    }
}

impl LogOptions {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The largest entry, in bytes, that may be appended or read.
    #[must_use]
    pub fn max_entry_bytes(mut self, limit: usize) -> Self {
        self.max_entry_bytes = limit;
        self
    }
}

/// Why the log could not be opened, read or appended to.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a custody log: it has no {ENTRIES_FILE}")]
    NotALog { path: PathBuf },
    #[error("{path} already holds a custody log")]
    AlreadyExists { path: PathBuf },
    #[error("{path}: the record at byte {offset} is longer than the {limit} bytes an entry may be")]
    RecordTooLarge {
        path: PathBuf,
        offset: u64,
        limit: usize,
    },
    #[error(
        "{path} shrank from {expected_at_least} to {found} bytes while open: entries were removed"
    )]
    Shrunk {
        path: PathBuf,
        expected_at_least: u64,
        found: u64,
    },
    #[error("the log was opened read-only")]
    ReadOnly,
    #[error("entry {index} is beyond the end of the log ({size} entries)")]
    NoSuchEntry { index: u64, size: u64 },
    #[error("entry {index}: {source}")]
    Entry {
        index: u64,
        #[source]
        source: EntryError,
    },
    #[error(transparent)]
    Proof(#[from] ProofError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

/// What an append added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub index: u64,
    pub leaf_hash: Hash,
    /// The log right after the append.
    pub tree_head: TreeHead,
}

/// Whether a log was opened to append or only to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadOnly,
    ReadWrite,
}

#[derive(Debug)]
struct State {
    reader: File,
    writer: Option<File>,
    /// Where each record starts: a record ends one byte (its newline) before the next one
    /// starts, or before `end`. Eight bytes an entry, besides the tree's hashes.
    starts: Vec<u64>,
    tree: Tree,
    /// The end of the last complete record.
    end: u64,
    torn: Option<TornTail>,
    /// Where a writer kept the torn tail it cut.
    torn_saved: Option<PathBuf>,
}

/// An open custody log.
#[derive(Debug)]
pub struct Log {
    dir: PathBuf,
    entries_path: PathBuf,
    options: LogOptions,
    lock: Option<RwLock<File>>,
    state: State,
}

impl Log {
    /// Creates a new, empty log in `dir` (made if missing) and opens it for appending.
    pub fn create(dir: &Path, options: LogOptions) -> Result<Self, StoreError> {
        files::create_dir(dir)?;
        let entries = dir.join(ENTRIES_FILE);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&entries)
        {
            Ok(file) => file.sync_all().map_err(files::io(&entries))?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(StoreError::AlreadyExists {
                    path: dir.to_owned(),
                });
            }
            Err(e) => return Err(files::io(&entries)(e)),
        }
        files::open_lock_file(dir)?;
        files::sync_dir(dir)?;
        Self::open(dir, options)
    }

    /// Opens the log in `dir` to append to it, creating it first if `dir` holds none.
    pub fn open_or_create(dir: &Path, options: LogOptions) -> Result<Self, StoreError> {
        if dir.join(ENTRIES_FILE).exists() {
            Self::open(dir, options)
        } else {
            Self::create(dir, options)
        }
    }

    /// Opens an existing log to append to it. A torn tail is cut back to the last complete
    /// entry (see [`Log::torn_tail`]).
    pub fn open(dir: &Path, options: LogOptions) -> Result<Self, StoreError> {
        let entries_path = dir.join(ENTRIES_FILE);
        let reader = files::open_entries(dir, &entries_path)?;
        let writer = OpenOptions::new()
            .append(true)
            .open(&entries_path)
            .map_err(files::io(&entries_path))?;
        let lock = RwLock::new(files::open_lock_file(dir)?);
        let mut log = Self::empty(dir, entries_path, options, reader, Some(writer), Some(lock));
        log.refresh()?;
        Ok(log)
    }

    /// Opens a log only to read it: nothing on disk is changed, and a torn tail is reported by
    /// [`Log::torn_tail`], not cut.
    pub fn open_read_only(dir: &Path, options: LogOptions) -> Result<Self, StoreError> {
        let entries_path = dir.join(ENTRIES_FILE);
        let reader = files::open_entries(dir, &entries_path)?;
        // A shared lock keeps an appender from writing mid-scan, where one can be had: a copy
        // of a log on read-only media has no lock to take.
        let lock = File::open(dir.join(LOCK_FILE)).ok().map(RwLock::new);
        let mut log = Self::empty(dir, entries_path, options, reader, None, None);
        let _guard = lock.as_ref().and_then(|lock| lock.read().ok());
        log.state
            .catch_up(&log.entries_path, options.max_entry_bytes, false)?;
        Ok(log)
    }

    fn empty(
        dir: &Path,
        entries_path: PathBuf,
        options: LogOptions,
        reader: File,
        writer: Option<File>,
        lock: Option<RwLock<File>>,
    ) -> Self {
        Self {
            dir: dir.to_owned(),
            entries_path,
            options,
            lock,
            state: State {
                reader,
                writer,
                starts: Vec::new(),
                tree: Tree::new(),
                end: 0,
                torn: None,
                torn_saved: None,
            },
        }
    }

    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    #[must_use]
    pub fn access(&self) -> Access {
        if self.state.writer.is_some() {
            Access::ReadWrite
        } else {
            Access::ReadOnly
        }
    }

    /// The number of entries.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.state.tree.size()
    }

    /// The Merkle tree over the entries.
    #[must_use]
    pub fn tree(&self) -> &Tree {
        &self.state.tree
    }

    /// The current size and root.
    #[must_use]
    pub fn tree_head(&self) -> TreeHead {
        TreeHead {
            size: self.size(),
            root_hash: self.state.tree.root(),
        }
    }

    /// The torn tail found when the log was opened or refreshed: reported by a read-only log,
    /// already cut by a writable one.
    #[must_use]
    pub fn torn_tail(&self) -> Option<TornTail> {
        self.state.torn
    }

    /// Where a writer saved the torn tail it cut (`torn-<offset>.bin` in the log's directory).
    #[must_use]
    pub fn torn_tail_saved(&self) -> Option<&Path> {
        self.state.torn_saved.as_deref()
    }

    /// Reads entries other processes appended since this log was opened or last refreshed.
    pub fn refresh(&mut self) -> Result<(), StoreError> {
        let repair = self.state.writer.is_some();
        match self.lock.as_mut() {
            Some(lock) => {
                let _guard = lock.write().map_err(files::io(&self.dir.join(LOCK_FILE)))?;
                self.state
                    .catch_up(&self.entries_path, self.options.max_entry_bytes, repair)
            }
            None => self
                .state
                .catch_up(&self.entries_path, self.options.max_entry_bytes, repair),
        }
    }

    /// The bytes of entry `index`.
    pub fn entry_bytes(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        let span = self.state.span(index).ok_or(StoreError::NoSuchEntry {
            index,
            size: self.size(),
        })?;
        files::read_span(&self.state.reader, &self.entries_path, &span)
    }

    /// Entry `index`, parsed (its signature is not checked: see [`crate::verify`]).
    pub fn entry(&self, index: u64) -> Result<Entry, StoreError> {
        let bytes = self.entry_bytes(index)?;
        Entry::parse(index, &bytes).map_err(|source| StoreError::Entry { index, source })
    }

    /// Every entry's bytes, in order.
    pub fn entries_bytes(
        &self,
    ) -> impl Iterator<Item = Result<(u64, Vec<u8>), StoreError>> + use<'_> {
        files::SpanReader::new(
            &self.state.reader,
            &self.entries_path,
            &self.state.starts,
            self.state.end,
        )
    }

    /// Signs and appends an entry. Concurrent appenders, in this process or others, are
    /// serialized by the log's lock; the entry records the tree it was appended after. The entry
    /// is on disk (fsync) when this returns.
    pub fn append(
        &mut self,
        draft: &EntryDraft,
        signer: &dyn Signer,
        clock: &dyn Clock,
    ) -> Result<Appended, StoreError> {
        let mut appended = self.append_all(std::slice::from_ref(draft), signer, clock)?;
        // Invariant: one draft in, one entry out.
        appended.pop().ok_or(StoreError::ReadOnly)
    }

    /// Signs and appends several entries under one lock, with one fsync for all of them: for a
    /// pipeline step that records many artifacts at once. Each entry records the tree it was
    /// appended after. A crash before the fsync may lose the batch's entries, never an earlier
    /// one, and never leaves a partial entry after the next open. If one entry is refused (too
    /// large), the ones before it stay appended and the error names its index.
    pub fn append_all(
        &mut self,
        drafts: &[EntryDraft],
        signer: &dyn Signer,
        clock: &dyn Clock,
    ) -> Result<Vec<Appended>, StoreError> {
        let Some(lock) = self.lock.as_mut() else {
            return Err(StoreError::ReadOnly);
        };
        let _guard = lock.write().map_err(files::io(&self.dir.join(LOCK_FILE)))?;
        let limit = self.options.max_entry_bytes;
        self.state.catch_up(&self.entries_path, limit, true)?;
        let mut appended = Vec::with_capacity(drafts.len());
        let mut failure = None;
        for draft in drafts {
            let index = self.state.tree.size();
            let after = TreeHead {
                size: index,
                root_hash: self.state.tree.root(),
            };
            let bytes = match seal(draft, signer, clock.now(), after, limit) {
                Ok(bytes) => bytes,
                Err(source) => {
                    failure = Some(StoreError::Entry { index, source });
                    break;
                }
            };
            if let Err(error) = self.state.write_record(&self.entries_path, &bytes) {
                failure = Some(error);
                break;
            }
            let leaf = leaf_hash(&bytes);
            self.state.tree.push_leaf_hash(leaf);
            appended.push(Appended {
                index,
                leaf_hash: leaf,
                tree_head: TreeHead {
                    size: index + 1,
                    root_hash: self.state.tree.root(),
                },
            });
        }
        // The entries written before a failure are whole: they are made durable too.
        self.state.sync(&self.entries_path)?;
        match failure {
            Some(error) => Err(error),
            None => Ok(appended),
        }
    }

    /// The inclusion proof of entry `index` in the tree of the first `size` entries.
    pub fn prove_inclusion(&self, index: u64, size: u64) -> Result<InclusionProof, StoreError> {
        Ok(self.state.tree.inclusion_proof(index, size)?)
    }

    /// The consistency proof between the trees of the first `old_size` and `new_size` entries.
    pub fn prove_consistency(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<ConsistencyProof, StoreError> {
        Ok(self.state.tree.consistency_proof(old_size, new_size)?)
    }

    /// Signs a checkpoint of the whole log with `signers` (the log's key first, then any
    /// cosigners) and stores it in the `checkpoint` file, replacing the previous one
    /// atomically. Returns the signed note.
    pub fn write_checkpoint(
        &mut self,
        origin: &str,
        signers: &[&NoteSigner<'_>],
    ) -> Result<String, StoreError> {
        let Some(lock) = self.lock.as_mut() else {
            return Err(StoreError::ReadOnly);
        };
        let _guard = lock.write().map_err(files::io(&self.dir.join(LOCK_FILE)))?;
        let limit = self.options.max_entry_bytes;
        self.state.catch_up(&self.entries_path, limit, true)?;
        let checkpoint = Checkpoint {
            origin: origin.to_owned(),
            size: self.state.tree.size(),
            root: self.state.tree.root(),
            extensions: Vec::new(),
        };
        let note = checkpoint.sign(signers)?;
        files::write_atomically(&self.dir, CHECKPOINT_FILE, note.as_bytes())?;
        Ok(note)
    }

    /// Signs a checkpoint of the whole log with `signer` alone, under the note key name
    /// `origin` (the usual choice for a log's own key), and stores it. Returns the signed note.
    pub fn sign_checkpoint(
        &mut self,
        origin: &str,
        signer: &dyn Signer,
    ) -> Result<String, StoreError> {
        let note_signer = NoteSigner::new(origin, signer)
            .map_err(|e| StoreError::Checkpoint(CheckpointError::Note(e)))?;
        self.write_checkpoint(origin, &[&note_signer])
    }

    /// The stored checkpoint note, if one was written.
    pub fn read_checkpoint(&self) -> Result<Option<String>, StoreError> {
        files::read_checkpoint(&self.dir.join(CHECKPOINT_FILE))
    }
}

impl State {
    /// Where record `index` lies.
    fn span(&self, index: u64) -> Option<Span> {
        let i = usize::try_from(index).ok()?;
        let offset = *self.starts.get(i)?;
        let next = self.starts.get(i + 1).copied().unwrap_or(self.end);
        Some(Span {
            offset,
            len: next - offset - 1,
        })
    }

    /// Reads records appended since `end`; with `repair`, cuts a torn tail.
    fn catch_up(&mut self, path: &Path, limit: usize, repair: bool) -> Result<(), StoreError> {
        let length = self.reader.metadata().map_err(files::io(path))?.len();
        if length < self.end {
            return Err(StoreError::Shrunk {
                path: path.to_owned(),
                expected_at_least: self.end,
                found: length,
            });
        }
        let (tree, starts) = (&mut self.tree, &mut self.starts);
        let Scan { end, torn, .. } = scan::scan(
            &self.reader,
            self.end,
            limit,
            if repair { Tail::Recover } else { Tail::Strict },
            &mut |span, bytes| {
                tree.push_leaf_hash(leaf_hash(bytes));
                starts.push(span.offset);
            },
        )
        .map_err(|e| match e {
            ScanError::Io(source) => StoreError::Io {
                path: path.to_owned(),
                source,
            },
            ScanError::TooLarge { offset, limit } => StoreError::RecordTooLarge {
                path: path.to_owned(),
                offset,
                limit,
            },
        })?;
        self.end = end;
        if let Some(tail) = torn {
            if repair {
                if let Some(writer) = &self.writer {
                    let dir = path.parent().unwrap_or(Path::new("."));
                    self.torn_saved = Some(files::preserve_torn(
                        dir,
                        &self.reader,
                        path,
                        tail.offset,
                        tail.len,
                    )?);
                    writer.set_len(end).map_err(files::io(path))?;
                    writer.sync_all().map_err(files::io(path))?;
                }
            }
            self.torn = Some(tail);
        }
        Ok(())
    }

    /// Appends one record and its newline, durably. On failure the file is cut back to the
    /// last complete record, so a failed append leaves nothing behind.
    /// Makes the records written so far durable.
    fn sync(&mut self, path: &Path) -> Result<(), StoreError> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(StoreError::ReadOnly);
        };
        writer.sync_data().map_err(|source| StoreError::Io {
            path: path.to_owned(),
            source,
        })
    }

    /// Writes one record (not yet synced: see [`State::sync`]).
    fn write_record(&mut self, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(StoreError::ReadOnly);
        };
        let mut line = Vec::with_capacity(bytes.len() + 1);
        line.extend_from_slice(bytes);
        line.push(b'\n');
        if let Err(source) = writer.write_all(&line) {
            // Best effort: if the cut fails too, the next open finds and cuts the torn tail.
            let _ = writer.set_len(self.end);
            return Err(StoreError::Io {
                path: path.to_owned(),
                source,
            });
        }
        self.starts.push(self.end);
        self.end += line.len() as u64;
        Ok(())
    }
}
