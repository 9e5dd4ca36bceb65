//! The updater's metadata storage: one directory whose writes are atomic and durable (temp file,
//! fsync, rename, fsync of the directory), so that a crash or a full disk at any point leaves the
//! last trusted file intact.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sigil_tuf::storage::{Storage, StorageError};

/// Metadata files in one directory.
#[derive(Debug, Clone)]
pub struct DirStorage {
    dir: PathBuf,
}

impl DirStorage {
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str) -> Result<PathBuf, StorageError> {
        if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
            return Err(StorageError::BadName {
                name: name.to_owned(),
            });
        }
        Ok(self.dir.join(name))
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> StorageError + '_ {
    move |source| StorageError::Io {
        path: path.to_owned(),
        source,
    }
}

impl Storage for DirStorage {
    fn load(&self, name: &str, max_len: u64) -> Result<Option<Vec<u8>>, StorageError> {
        let path = self.path(name)?;
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(io_error(&path)(error)),
        };
        let mut data = Vec::new();
        file.take(max_len.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(io_error(&path))?;
        if data.len() as u64 > max_len {
            return Err(StorageError::TooLarge {
                path,
                limit: max_len,
            });
        }
        Ok(Some(data))
    }

    fn store(&self, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
        let path = self.path(name)?;
        write_atomically(&self.dir, &path, bytes)
    }

    fn remove(&self, name: &str) -> Result<(), StorageError> {
        let path = self.path(name)?;
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.dir),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(io_error(&path)(error)),
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in `dir`: write, fsync, rename, then fsync
/// of the directory so the rename itself survives a crash.
pub(crate) fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), StorageError> {
    let mut temp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(io_error(dir))?;
    temp.write_all(bytes).map_err(io_error(temp.path()))?;
    temp.as_file().sync_all().map_err(io_error(path))?;
    temp.persist(path)
        .map_err(|error| io_error(path)(error.error))?;
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    // Directories can be opened for fsync on Unix; elsewhere the rename is as durable as the
    // platform makes it.
    #[cfg(unix)]
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(io_error(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_leave_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let storage = DirStorage::new(dir.path());
        for name in ["../root.json", "a/b.json", "..", ""] {
            assert!(matches!(
                storage.store(name, b"x"),
                Err(StorageError::BadName { .. })
            ));
        }
    }

    #[test]
    fn store_replaces_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let storage = DirStorage::new(dir.path());
        storage.store("root.json", b"one").unwrap();
        storage.store("root.json", b"two").unwrap();
        assert_eq!(storage.load("root.json", 10).unwrap().unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(matches!(
            storage.load("root.json", 2),
            Err(StorageError::TooLarge { .. })
        ));
        storage.remove("root.json").unwrap();
        assert!(storage.load("root.json", 10).unwrap().is_none());
    }
}
