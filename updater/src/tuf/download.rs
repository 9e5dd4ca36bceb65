//! Target downloads (TUF 5.7): streamed through the length and every hash trusted metadata
//! lists, written to a temporary file and renamed into place only once verified.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sigil_tuf::hashes::verify_stream;
use sigil_tuf::transport::{ThroughputGuard, read_error};
use sigil_tuf::{TargetInfo, UpdateError, Updater};

/// Target downloads on a TUF [`Updater`]: the files a refreshed client fetches and verifies into
/// a directory.
pub trait TargetDownload {
    /// Where [`Self::download_target`] stores `target` in `dir`: one flat file name per target
    /// path, so a path can never reach outside `dir`.
    #[must_use]
    fn target_file_path(target: &TargetInfo, dir: &Path) -> PathBuf {
        dir.join(target.path.file_name())
    }

    /// The local copy of `target` in `dir`, if it exists and matches the trusted length and
    /// hashes.
    fn cached_target(
        &self,
        target: &TargetInfo,
        dir: &Path,
    ) -> Result<Option<PathBuf>, UpdateError>;

    /// Downloads `target` from `target_base_url` into `dir`, unless a matching copy is already
    /// there, and returns its path. With consistent snapshots the file is fetched as
    /// `HASH.name` (TUF 5.7.3).
    fn download_target(
        &self,
        target: &TargetInfo,
        target_base_url: &str,
        dir: &Path,
    ) -> Result<PathBuf, UpdateError>;
}

impl TargetDownload for Updater {
    fn cached_target(
        &self,
        target: &TargetInfo,
        dir: &Path,
    ) -> Result<Option<PathBuf>, UpdateError> {
        let path = Self::target_file_path(target, dir);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(target_io(target, &path, source)),
        };
        let verdict = verify_stream(file, target.file.length, &target.file.hashes, |_| Ok(()))
            .map_err(|source| target_io(target, &path, source))?;
        Ok(verdict.is_ok().then_some(path))
    }

    fn download_target(
        &self,
        target: &TargetInfo,
        target_base_url: &str,
        dir: &Path,
    ) -> Result<PathBuf, UpdateError> {
        if let Some(path) = self.cached_target(target, dir)? {
            return Ok(path);
        }
        let name = target.path.as_str();
        let length = target.file.length;
        if length > self.limits().max_target_length {
            return Err(UpdateError::TargetTooLarge {
                target: name.to_owned(),
                length,
                limit: self.limits().max_target_length,
            });
        }
        let url = self.target_url(target, target_base_url);
        let reader = self.transport().fetch(&url, length)?;
        let guarded = ThroughputGuard::new(
            reader,
            self.limits().min_bytes_per_second,
            self.limits().throughput_grace,
        );
        let destination = Self::target_file_path(target, dir);
        let mut temp = tempfile::Builder::new()
            .prefix(".download-")
            .tempfile_in(dir)
            .map_err(|source| target_io(target, dir, source))?;
        let verdict = verify_stream(guarded, length, &target.file.hashes, |chunk| {
            temp.write_all(chunk)
        })
        .map_err(|source| {
            UpdateError::Transport(read_error(&url, self.limits().min_bytes_per_second, source))
        })?;
        verdict.map_err(|source| UpdateError::TargetHash {
            target: name.to_owned(),
            source,
        })?;
        temp.as_file()
            .sync_all()
            .map_err(|source| target_io(target, &destination, source))?;
        temp.persist(&destination)
            .map_err(|error| target_io(target, &destination, error.error))?;
        Ok(destination)
    }
}

fn target_io(target: &TargetInfo, path: &Path, source: io::Error) -> UpdateError {
    UpdateError::TargetIo {
        target: target.path.as_str().to_owned(),
        path: path.to_owned(),
        source,
    }
}
