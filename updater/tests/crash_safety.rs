//! Faults while persisting: a full disk (or a crash) at any write of a refresh leaves trusted
//! metadata that the next run starts from and completes the update with.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sigil_updater::tuf::{
    DirStorage, FixedClock, Storage, StorageError, UpdateError, UpdaterBuilder,
};
use support::{METADATA_URL, NOW, Repo, version_on_disk};

/// Directory storage whose disk fills up after `writes_left` writes.
struct FullDisk {
    inner: DirStorage,
    writes_left: Arc<AtomicUsize>,
}

impl Storage for FullDisk {
    fn load(&self, name: &str, max_len: u64) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.load(name, max_len)
    }

    fn store(&self, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
        let left = self.writes_left.load(Ordering::SeqCst);
        if left == 0 {
            return Err(StorageError::Io {
                path: self.inner.dir().join(name),
                source: io::Error::other("no space left on device"),
            });
        }
        self.writes_left.store(left - 1, Ordering::SeqCst);
        self.inner.store(name, bytes)
    }

    fn remove(&self, name: &str) -> Result<(), StorageError> {
        self.inner.remove(name)
    }
}

fn refresh_with_full_disk(repo: &Repo, dir: &Path, writes: usize) -> Result<(), UpdateError> {
    let storage = FullDisk {
        inner: DirStorage::new(dir),
        writes_left: Arc::new(AtomicUsize::new(writes)),
    };
    UpdaterBuilder::new(METADATA_URL, repo.transport.clone(), storage)
        .clock(FixedClock(NOW))
        .initial_root(repo.roots[&1].clone())
        .load()?
        .refresh()
}

#[test]
fn a_full_disk_at_any_write_of_a_refresh_leaves_a_usable_trusted_state() {
    let mut repo = Repo::new();
    repo.add_target("targets", "app-1.0.tgz", b"app 1.0");
    repo.publish_new_versions();
    let template = tempfile::tempdir().unwrap();
    repo.client(template.path()).refresh().unwrap();
    // The next release: a new root, and version 3 of the other roles (4 writes in all).
    repo.root.version = 2;
    repo.publish_root();
    repo.add_target("targets", "app-2.0.tgz", b"app 2.0");
    repo.publish_new_versions();

    for writes in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(template.path()).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
        }
        let error = refresh_with_full_disk(&repo, dir.path(), writes).unwrap_err();
        assert!(matches!(error, UpdateError::Storage(_)), "{error}");
        // Every file on disk is a complete, trusted version: old or new.
        for role in ["root", "timestamp", "snapshot", "targets"] {
            let version = version_on_disk(dir.path(), role).unwrap();
            assert!((1..=3).contains(&version), "{role} {version}");
        }
        // The next run, with space again, completes the update.
        repo.client(dir.path()).refresh().unwrap();
        assert_eq!(version_on_disk(dir.path(), "root"), Some(2));
        assert_eq!(version_on_disk(dir.path(), "targets"), Some(3));
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|name| !name.starts_with(".tmp")),
            "{names:?}"
        );
    }
}
