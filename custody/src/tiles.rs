//! Writing the log as a static C2SP tlog-tiles tree (<https://c2sp.org/tlog-tiles>), which any
//! web server or bucket can serve and tlog-tiles clients and witnesses can read.
//!
//! - `checkpoint`: the signed checkpoint the tiles are for;
//! - `tile/<L>/<N>[.p/<W>]`: the hashes of the tree nodes at height 8·L, 256 to a full tile,
//!   concatenated; the right edge is a partial tile of W hashes;
//! - `tile/entries/<N>[.p/<W>]`: the entries of leaf tile N, each a big-endian uint16 length
//!   then the entry's bytes.
//!
//! `<N>` is written in 3-digit path elements, all but the last prefixed with `x`
//! (1234067 is `x001/x234/067`). Full tiles never change, so existing ones are left as they are.

use std::fs;
use std::path::{Path, PathBuf};

use crate::checkpoint::{CheckpointError, CheckpointTrust};
use crate::merkle::Hash;
use crate::store::{Log, StoreError};

/// Hashes in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels a tile spans.
const TILE_HEIGHT: u32 = 8;
/// The longest entry an entry bundle can hold.
pub const MAX_BUNDLED_ENTRY_BYTES: usize = u16::MAX as usize;

/// Why tiles could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TilesError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("checkpoint: {0}")]
    Checkpoint(#[source] CheckpointError),
    #[error("the checkpoint covers {size} entries, more than the log's {log_size}")]
    BeyondLog { size: u64, log_size: u64 },
    #[error("the checkpoint's root {checkpoint} is not the log's root {log} at size {size}")]
    LogMismatch {
        size: u64,
        checkpoint: Hash,
        log: Hash,
    },
    #[error(
        "entry {index} is {size} bytes, more than the {MAX_BUNDLED_ENTRY_BYTES} an entry bundle holds"
    )]
    EntryTooLarge { index: u64, size: usize },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TilesWritten {
    pub tree_size: u64,
    /// Tile and entry bundle files written (existing full tiles are not rewritten).
    pub files: u64,
}

/// The path of a tile (`level` 0..=63) or, with `level` `None`, of an entry bundle.
#[must_use]
pub fn tile_path(level: Option<u32>, index: u64, width: u64) -> String {
    let mut path = match level {
        Some(level) => format!("tile/{level}/"),
        None => "tile/entries/".to_owned(),
    };
    let digits = index.to_string();
    let padded = format!("{}{digits}", "0".repeat((3 - digits.len() % 3) % 3));
    let groups: Vec<&str> = padded
        .as_bytes()
        .chunks(3)
        .filter_map(|chunk| std::str::from_utf8(chunk).ok())
        .collect();
    for (i, group) in groups.iter().enumerate() {
        if i + 1 < groups.len() {
            path.push('x');
            path.push_str(group);
            path.push('/');
        } else {
            path.push_str(group);
        }
    }
    if width < TILE_WIDTH {
        path.push_str(&format!(".p/{width}"));
    }
    path
}

/// Writes the tiles of the tree `checkpoint_note` commits to, its entry bundles and the
/// checkpoint itself under `out`. The checkpoint must verify against `trust` and match the log.
pub fn write_tiles(
    log: &Log,
    checkpoint_note: &str,
    trust: &CheckpointTrust,
    out: &Path,
) -> Result<TilesWritten, TilesError> {
    let verified = trust
        .verify(checkpoint_note)
        .map_err(TilesError::Checkpoint)?;
    let size = verified.checkpoint.size;
    let tree = log.tree();
    let log_root = tree.root_at(size).ok_or(TilesError::BeyondLog {
        size,
        log_size: tree.size(),
    })?;
    if log_root != verified.checkpoint.root {
        return Err(TilesError::LogMismatch {
            size,
            checkpoint: verified.checkpoint.root,
            log: log_root,
        });
    }
    let mut written = TilesWritten {
        tree_size: size,
        files: 0,
    };
    // Hash tiles, level by level, while any complete node exists at the level's height.
    let mut level = 0u32;
    loop {
        let height = level * TILE_HEIGHT;
        if height >= 64 {
            break;
        }
        let nodes = size >> height;
        if nodes == 0 {
            break;
        }
        for tile in 0..nodes.div_ceil(TILE_WIDTH) {
            let width = (nodes - tile * TILE_WIDTH).min(TILE_WIDTH);
            let mut bytes = Vec::with_capacity(usize::try_from(width * 32).unwrap_or(0));
            for node in tile * TILE_WIDTH..tile * TILE_WIDTH + width {
                let hash = tree.subtree(node << height, (node + 1) << height).ok_or(
                    TilesError::BeyondLog {
                        size,
                        log_size: tree.size(),
                    },
                )?;
                bytes.extend_from_slice(hash.as_bytes());
            }
            written.files += write_tile(out, &tile_path(Some(level), tile, width), &bytes, width)?;
        }
        level += 1;
    }
    // Entry bundles, one per leaf tile.
    let mut bundle = Vec::new();
    let mut in_bundle = 0u64;
    for item in log.entries_bytes() {
        let (index, bytes) = item?;
        if index >= size {
            break;
        }
        let length = u16::try_from(bytes.len()).map_err(|_| TilesError::EntryTooLarge {
            index,
            size: bytes.len(),
        })?;
        bundle.extend_from_slice(&length.to_be_bytes());
        bundle.extend_from_slice(&bytes);
        in_bundle += 1;
        if in_bundle == TILE_WIDTH || index + 1 == size {
            let path = tile_path(None, index / TILE_WIDTH, in_bundle);
            written.files += write_tile(out, &path, &bundle, in_bundle)?;
            bundle.clear();
            in_bundle = 0;
        }
    }
    write_file(&out.join("checkpoint"), checkpoint_note.as_bytes())?;
    Ok(written)
}

/// Writes one tile unless it is a full tile already there. Returns the number of files written.
fn write_tile(out: &Path, relative: &str, bytes: &[u8], width: u64) -> Result<u64, TilesError> {
    let path = out.join(relative);
    if width == TILE_WIDTH && path.is_file() {
        return Ok(0);
    }
    write_file(&path, bytes)?;
    Ok(1)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), TilesError> {
    let io = |source| TilesError::Io {
        path: path.to_owned(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    std::io::Write::write_all(&mut temp, bytes).map_err(io)?;
    temp.as_file().sync_all().map_err(io)?;
    temp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_paths_follow_the_c2sp_encoding() {
        assert_eq!(tile_path(Some(0), 0, 256), "tile/0/000");
        assert_eq!(tile_path(Some(1), 7, 3), "tile/1/007.p/3");
        assert_eq!(tile_path(Some(0), 1000, 256), "tile/0/x001/000");
        assert_eq!(tile_path(Some(2), 1_234_067, 256), "tile/2/x001/x234/067");
        assert_eq!(tile_path(None, 42, 256), "tile/entries/042");
        assert_eq!(tile_path(None, 3, 88), "tile/entries/003.p/88");
    }
}
