//! Key files on disk: written atomically (temporary file, fsync, rename) with owner-only
//! permissions for secrets, and read back only when no other user can read them.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

/// The largest key or password file sigil reads. Real ones are well under 4 KiB.
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// Whether writing a key file may replace one that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Fail if the file exists. Losing a secret key by accident is not recoverable.
    Refuse,
    /// Replace the file atomically.
    Replace,
}

/// Why a key file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} already exists; refusing to overwrite a key file")]
    Exists { path: PathBuf },
    #[error(
        "{path} is readable by other users (mode {mode:04o}); a secret key file must be private: \
         run `chmod 600 {path}`"
    )]
    InsecurePermissions { path: PathBuf, mode: u32 },
    #[error("{path} is not a regular file")]
    NotAFile { path: PathBuf },
    #[error("{path} is {size} bytes, larger than the {limit} bytes a key file may be")]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{path} is not UTF-8 text")]
    NotText { path: PathBuf },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes a secret file: mode 0600 from creation on Unix, atomically, durably.
pub fn write_secret_file(
    path: &Path,
    contents: &[u8],
    overwrite: Overwrite,
) -> Result<(), KeyFileError> {
    write_atomically(path, contents, overwrite, true)
}

/// Writes a public file (a public key, a signature): mode 0644 on Unix, atomically, durably.
pub fn write_public_file(
    path: &Path,
    contents: &[u8],
    overwrite: Overwrite,
) -> Result<(), KeyFileError> {
    write_atomically(path, contents, overwrite, false)
}

fn write_atomically(
    path: &Path,
    contents: &[u8],
    overwrite: Overwrite,
    secret: bool,
) -> Result<(), KeyFileError> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    if overwrite == Overwrite::Refuse && path.exists() {
        return Err(KeyFileError::Exists {
            path: path.to_owned(),
        });
    }
    // tempfile creates the file with mode 0600 on Unix, so a secret is never briefly world-readable.
    let mut temp = tempfile::Builder::new()
        .prefix(".sigil-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(io_error(&dir))?;
    temp.write_all(contents).map_err(io_error(path))?;
    #[cfg(unix)]
    if !secret {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))
            .map_err(io_error(path))?;
    }
    #[cfg(not(unix))]
    let _ = secret;
    temp.as_file().sync_all().map_err(io_error(path))?;
    match overwrite {
        Overwrite::Refuse => temp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                KeyFileError::Exists {
                    path: path.to_owned(),
                }
            } else {
                KeyFileError::Io {
                    path: path.to_owned(),
                    source: e.error,
                }
            }
        })?,
        Overwrite::Replace => temp.persist(path).map_err(|e| KeyFileError::Io {
            path: path.to_owned(),
            source: e.error,
        })?,
    };
    sync_dir(&dir);
    Ok(())
}

/// Makes the rename durable. Best effort: some platforms cannot open a directory.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Reads a secret file, refusing one that other users can read (on Unix) or that is too large.
pub fn read_secret_file(path: &Path) -> Result<Zeroizing<String>, KeyFileError> {
    let file = File::open(path).map_err(io_error(path))?;
    let metadata = file.metadata().map_err(io_error(path))?;
    if !metadata.is_file() {
        return Err(KeyFileError::NotAFile {
            path: path.to_owned(),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(KeyFileError::InsecurePermissions {
                path: path.to_owned(),
                mode,
            });
        }
    }
    read_limited(file, path, metadata.len())
}

/// Reads a public file (a public key, a signature), with the same size limit.
pub fn read_public_file(path: &Path, limit: u64) -> Result<String, KeyFileError> {
    let file = File::open(path).map_err(io_error(path))?;
    let metadata = file.metadata().map_err(io_error(path))?;
    if !metadata.is_file() {
        return Err(KeyFileError::NotAFile {
            path: path.to_owned(),
        });
    }
    if metadata.len() > limit {
        return Err(KeyFileError::TooLarge {
            path: path.to_owned(),
            size: metadata.len(),
            limit,
        });
    }
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error(path))?;
    String::from_utf8(bytes).map_err(|_| KeyFileError::NotText {
        path: path.to_owned(),
    })
}

fn read_limited(file: File, path: &Path, size: u64) -> Result<Zeroizing<String>, KeyFileError> {
    if size > MAX_KEY_FILE_BYTES {
        return Err(KeyFileError::TooLarge {
            path: path.to_owned(),
            size,
            limit: MAX_KEY_FILE_BYTES,
        });
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(usize::try_from(size).unwrap_or(0)));
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error(path))?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(KeyFileError::TooLarge {
            path: path.to_owned(),
            size: bytes.len() as u64,
            limit: MAX_KEY_FILE_BYTES,
        });
    }
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(Zeroizing::new(text.to_owned())),
        Err(_) => Err(KeyFileError::NotText {
            path: path.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_overwrite_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        write_secret_file(&path, b"first", Overwrite::Refuse).unwrap();
        let err = write_secret_file(&path, b"second", Overwrite::Refuse).unwrap_err();
        assert!(matches!(err, KeyFileError::Exists { .. }), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"first");
        write_secret_file(&path, b"second", Overwrite::Replace).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
    }

    #[test]
    fn leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        write_public_file(&dir.path().join("k.pub"), b"pub", Overwrite::Refuse).unwrap();
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("k.pub")]);
    }

    #[cfg(unix)]
    #[test]
    fn secret_files_are_owner_only_and_public_files_are_readable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("k.key");
        let public = dir.path().join("k.pub");
        write_secret_file(&secret, b"s", Overwrite::Refuse).unwrap();
        write_public_file(&public, b"p", Overwrite::Refuse).unwrap();
        assert_eq!(
            fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(&public).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }

    #[cfg(unix)]
    #[test]
    fn world_readable_secret_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.key");
        write_secret_file(&path, b"secret", Overwrite::Refuse).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = read_secret_file(&path).unwrap_err();
        assert!(
            matches!(err, KeyFileError::InsecurePermissions { mode: 0o644, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        assert!(
            read_secret_file(&path).is_err(),
            "group-readable must be refused too"
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_secret_file(&path).unwrap().as_str(), "secret");
    }

    #[test]
    fn oversized_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.key");
        write_secret_file(&path, &vec![b'a'; 70_000], Overwrite::Refuse).unwrap();
        let err = read_secret_file(&path).unwrap_err();
        assert!(matches!(err, KeyFileError::TooLarge { .. }), "{err}");
    }
}
