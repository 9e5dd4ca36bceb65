//! Where trusted metadata is kept between runs: the small [`Storage`] trait the workflow writes
//! through, and an in-memory implementation for checks that keep nothing (the repository editor's
//! publication check, tests). The updater's directory storage, whose writes are atomic and durable,
//! implements the same trait.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::sync::Mutex;

/// Why stored metadata could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    #[error("{name:?} is not a storable file name (expected one path segment)")]
    BadName { name: String },
    #[error("{path}: larger than the limit of {limit} bytes")]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Persistent storage of metadata files, by file name (`root.json`, `timestamp.json`, a quoted
/// delegated role name followed by `.json`).
pub trait Storage: Send + Sync {
    /// The stored bytes, or `None` if there are none.
    fn load(&self, name: &str, max_len: u64) -> Result<Option<Vec<u8>>, StorageError>;

    /// Replaces the stored bytes atomically: afterwards a load sees the old bytes or the new,
    /// never a mix, even across a crash.
    fn store(&self, name: &str, bytes: &[u8]) -> Result<(), StorageError>;

    /// Removes the file if it exists.
    fn remove(&self, name: &str) -> Result<(), StorageError>;
}

/// Metadata kept in memory for the life of the value.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    files: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl MemoryStorage {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn files(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        // A panic while holding the lock cannot leave a half-written entry: every update is
        // one insert or remove.
        self.files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Storage for MemoryStorage {
    fn load(&self, name: &str, max_len: u64) -> Result<Option<Vec<u8>>, StorageError> {
        match self.files().get(name) {
            Some(bytes) if bytes.len() as u64 > max_len => Err(StorageError::TooLarge {
                path: PathBuf::from(name),
                limit: max_len,
            }),
            Some(bytes) => Ok(Some(bytes.clone())),
            None => Ok(None),
        }
    }

    fn store(&self, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
        self.files().insert(name.to_owned(), bytes.to_vec());
        Ok(())
    }

    fn remove(&self, name: &str) -> Result<(), StorageError> {
        self.files().remove(name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_storage_replaces_removes_and_bounds_reads() {
        let storage = MemoryStorage::new();
        storage.store("root.json", b"one").unwrap();
        storage.store("root.json", b"two").unwrap();
        assert_eq!(storage.load("root.json", 10).unwrap().unwrap(), b"two");
        assert!(matches!(
            storage.load("root.json", 2),
            Err(StorageError::TooLarge { .. })
        ));
        storage.remove("root.json").unwrap();
        assert!(storage.load("root.json", 10).unwrap().is_none());
    }
}
