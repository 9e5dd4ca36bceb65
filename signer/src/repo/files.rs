//! Atomic, durable file writes (temporary file in the same directory, fsync, rename, fsync of
//! the directory), so that a crash leaves either the old bytes or the new, never a mix.

use std::fs;
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path`, replacing it atomically. Creates missing parent directories.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let parent = parent_of(path);
    fs::create_dir_all(parent)?;
    let mut temp = tempfile::Builder::new()
        .prefix(".sigil-tmp-")
        .tempfile_in(parent)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|error| error.error)?;
    sync_dir(parent)
}

/// Copies `from` to `to` atomically.
pub(crate) fn copy_atomic(from: &Path, to: &Path) -> std::io::Result<()> {
    let parent = parent_of(to);
    fs::create_dir_all(parent)?;
    let temp = tempfile::Builder::new()
        .prefix(".sigil-tmp-")
        .tempfile_in(parent)?;
    let mut source = fs::File::open(from)?;
    std::io::copy(&mut source, &mut temp.as_file())?;
    temp.as_file().sync_all()?;
    temp.persist(to).map_err(|error| error.error)?;
    sync_dir(parent)
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Makes a rename in `dir` durable. A no-op where directories cannot be opened (Windows).
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
