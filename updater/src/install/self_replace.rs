//! Replacing a single-binary app's own executable while it runs.
//!
//! On Unix a running executable's file can be renamed over: the process keeps the old inode,
//! and the next start runs the new file. On Windows the running file cannot be overwritten but
//! can be renamed away first.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{InstallError, sync_dir};

/// Replaces `executable` with a copy of `new_binary`, atomically, keeping the old one as
/// `<executable>.old`. Returns the backup's path.
pub fn replace_executable(new_binary: &Path, executable: &Path) -> Result<PathBuf, InstallError> {
    let io_at = |path: &Path| {
        let path = path.to_owned();
        move |source: io::Error| InstallError::Io { path, source }
    };
    let dir = executable.parent().unwrap_or_else(|| Path::new("."));
    let name = executable
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let incoming = dir.join(format!(".{name}.sigil-new"));
    let backup = dir.join(format!("{name}.old"));
    let _ = fs::remove_file(&incoming);
    fs::copy(new_binary, &incoming).map_err(io_at(&incoming))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&incoming, fs::Permissions::from_mode(0o755))
            .map_err(io_at(&incoming))?;
    }
    fs::File::open(&incoming)
        .and_then(|f| f.sync_all())
        .map_err(io_at(&incoming))?;
    let _ = fs::remove_file(&backup);
    #[cfg(unix)]
    {
        // A hard link keeps the old binary reachable without ever leaving `executable` missing.
        fs::hard_link(executable, &backup).map_err(io_at(&backup))?;
        fs::rename(&incoming, executable).map_err(io_at(executable))?;
    }
    #[cfg(not(unix))]
    {
        fs::rename(executable, &backup).map_err(io_at(&backup))?;
        if let Err(source) = fs::rename(&incoming, executable) {
            // Put the old binary back rather than leave none.
            let _ = fs::rename(&backup, executable);
            return Err(InstallError::Io {
                path: executable.to_owned(),
                source,
            });
        }
    }
    sync_dir(dir);
    Ok(backup)
}
