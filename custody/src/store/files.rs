//! File plumbing for the log directory: durable creation, atomic replacement, reads by span.

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::scan::Span;
use super::{LOCK_FILE, StoreError};

/// The most bytes of a torn tail kept for inspection before it is cut.
const MAX_TORN_BYTES: u64 = 16 << 20;

/// The largest checkpoint file read: a checkpoint with 100 cosignatures is under 16 KiB.
const MAX_CHECKPOINT_BYTES: u64 = 64 * 1024;

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Makes `dir` and any missing parents, durably.
pub(crate) fn create_dir(dir: &Path) -> Result<(), StoreError> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(io(dir))?;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        sync_dir(parent)?;
    }
    Ok(())
}

/// Makes directory entries (a created or renamed file) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(io(dir))?;
    // Windows cannot open a directory as a file; NTFS journals the metadata itself.
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

pub(super) fn open_entries(dir: &Path, entries: &Path) -> Result<File, StoreError> {
    File::open(entries).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            StoreError::NotALog {
                path: dir.to_owned(),
            }
        } else {
            StoreError::Io {
                path: entries.to_owned(),
                source,
            }
        }
    })
}

/// Opens (making it if missing) the file appenders lock.
pub(super) fn open_lock_file(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join(LOCK_FILE);
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io(&path))
}

pub(super) fn read_span(file: &File, path: &Path, span: &Span) -> Result<Vec<u8>, StoreError> {
    let mut handle = file;
    let len = usize::try_from(span.len).map_err(|_| StoreError::Io {
        path: path.to_owned(),
        source: std::io::Error::from(std::io::ErrorKind::OutOfMemory),
    })?;
    let mut bytes = vec![0u8; len];
    handle
        .seek(SeekFrom::Start(span.offset))
        .and_then(|_| handle.read_exact(&mut bytes))
        .map_err(io(path))?;
    Ok(bytes)
}

/// Reads records in order with one buffered pass over the file.
pub(super) struct SpanReader<'a> {
    reader: Option<BufReader<&'a File>>,
    path: &'a Path,
    starts: &'a [u64],
    end: u64,
    index: u64,
    position: u64,
}

impl<'a> SpanReader<'a> {
    /// Reads the records starting at `starts`, the last of which ends before `end`.
    pub(super) fn new(file: &'a File, path: &'a Path, starts: &'a [u64], end: u64) -> Self {
        Self {
            reader: None,
            path,
            starts,
            end,
            index: 0,
            position: 0,
        }
        .with_file(file)
    }

    fn with_file(mut self, file: &'a File) -> Self {
        let mut handle = file;
        if handle.seek(SeekFrom::Start(0)).is_ok() {
            self.reader = Some(BufReader::with_capacity(1 << 16, handle));
        }
        self
    }
}

impl Iterator for SpanReader<'_> {
    type Item = Result<(u64, Vec<u8>), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        let index = self.index;
        let i = usize::try_from(index).ok()?;
        let offset = *self.starts.get(i)?;
        let next = self.starts.get(i + 1).copied().unwrap_or(self.end);
        let span = Span {
            offset,
            len: next - offset - 1,
        };
        self.index += 1;
        let Some(reader) = self.reader.as_mut() else {
            return Some(Err(StoreError::Io {
                path: self.path.to_owned(),
                source: std::io::Error::other("cannot seek to the start of the entries file"),
            }));
        };
        let result = (|| {
            if span.offset != self.position {
                reader.seek(SeekFrom::Start(span.offset))?;
            }
            let len = usize::try_from(span.len).map_err(|_| std::io::ErrorKind::OutOfMemory)?;
            let mut bytes = vec![0u8; len];
            reader.read_exact(&mut bytes)?;
            // Step over the newline.
            let mut newline = [0u8; 1];
            reader.read_exact(&mut newline)?;
            self.position = span.offset + span.len + 1;
            Ok(bytes)
        })();
        Some(
            result
                .map(|bytes| (index, bytes))
                .map_err(|source: std::io::Error| StoreError::Io {
                    path: self.path.to_owned(),
                    source,
                }),
        )
    }
}

/// Replaces `dir/name` with `contents`: temporary file, fsync, rename, fsync of the directory.
pub(crate) fn write_atomically(dir: &Path, name: &str, contents: &[u8]) -> Result<(), StoreError> {
    let path: PathBuf = dir.join(name);
    let mut temp = tempfile::Builder::new()
        .prefix(".sigil-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io(dir))?;
    temp.write_all(contents).map_err(io(&path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))
            .map_err(io(&path))?;
    }
    temp.as_file().sync_all().map_err(io(&path))?;
    temp.persist(&path).map_err(|e| StoreError::Io {
        path: path.clone(),
        source: e.error,
    })?;
    sync_dir(dir)
}

pub(super) fn read_checkpoint(path: &Path) -> Result<Option<String>, StoreError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(path)(e)),
    };
    let mut text = String::new();
    file.take(MAX_CHECKPOINT_BYTES)
        .read_to_string(&mut text)
        .map_err(io(path))?;
    Ok(Some(text))
}

/// Copies a torn tail (its first 16 MiB) to `torn-<offset>.bin` beside the entries before it is
/// cut, so that what was cut can still be inspected: a crash leaves a fragment of an entry, but
/// a damaged last entry is evidence. Returns the file's path.
pub(super) fn preserve_torn(
    dir: &Path,
    file: &File,
    entries: &Path,
    offset: u64,
    len: u64,
) -> Result<PathBuf, StoreError> {
    let span = Span {
        offset,
        len: len.min(MAX_TORN_BYTES),
    };
    let bytes = read_span(file, entries, &span)?;
    let mut name = format!("torn-{offset}.bin");
    let mut n = 1;
    while dir.join(&name).exists() {
        n += 1;
        name = format!("torn-{offset}-{n}.bin");
    }
    write_atomically(dir, &name, &bytes)?;
    Ok(dir.join(name))
}
