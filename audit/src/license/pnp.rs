//! Package manifests where yarn's Plug'n'Play linker keeps packages: inside the zip archives
//! of yarn's cache (the project's `.yarn/cache`, or the global cache that `.pnp.cjs` points
//! at), and in unplugged folders. Only `package.json` files are read, from stored or deflated
//! entries, each bounded in size.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The largest archive opened.
const MAX_ARCHIVE_BYTES: u64 = 1024 * 1024 * 1024;
/// The largest central directory read.
const MAX_DIRECTORY_BYTES: u64 = 64 * 1024 * 1024;
/// The largest manifest read (compressed or not).
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;
/// The most `packageLocation` entries taken from one `.pnp.cjs`.
const MAX_LOCATIONS: usize = 200_000;

/// Where yarn's Plug'n'Play map and cache say the project's packages are.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Locations {
    /// `(archive, path of the package's folder inside it)`: `("….zip", "node_modules/ms/")`.
    pub(super) archived: Vec<(PathBuf, String)>,
    /// Folders on disk (unplugged packages).
    pub(super) folders: Vec<PathBuf>,
}

/// The package locations `.pnp.cjs` lists (resolved against the project), and every archive in
/// the project's `.yarn/cache`.
pub(super) fn locations(project: &Path) -> Locations {
    let mut out = Locations::default();
    if let Some(text) = std::fs::metadata(project.join(".pnp.cjs"))
        .ok()
        .filter(|m| m.len() <= 64 * 1024 * 1024)
        .and_then(|_| std::fs::read_to_string(project.join(".pnp.cjs")).ok())
    {
        for location in package_locations(&text).into_iter().take(MAX_LOCATIONS) {
            // Virtual folders are aliases of a real location that is listed too.
            if location.contains("/__virtual__/") || location == "./" {
                continue;
            }
            match location.split_once(".zip/") {
                Some((archive, inner)) => out
                    .archived
                    .push((project.join(format!("{archive}.zip")), inner.to_owned())),
                None => out.folders.push(project.join(&location)),
            }
        }
    }
    let cache = project.join(".yarn").join("cache");
    let mut archives: Vec<PathBuf> = std::fs::read_dir(cache)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "zip"))
        .collect();
    archives.sort();
    for archive in archives {
        if !out.archived.iter().any(|(a, _)| *a == archive) {
            out.archived.push((archive, String::new()));
        }
    }
    out
}

/// The `"packageLocation": "…"` strings of a `.pnp.cjs` (its state is JSON inside a JS string,
/// so each line may end in a backslash).
fn package_locations(text: &str) -> Vec<String> {
    const KEY: &str = "\"packageLocation\"";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(KEY) {
        rest = &rest[i + KEY.len()..];
        let value = rest.trim_start_matches([' ', ':']);
        let Some(value) = value.strip_prefix('"') else {
            continue;
        };
        if let Some(end) = value.find('"') {
            out.push(value[..end].to_owned());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The manifests in `archive`: the one at `inner` + `package.json` when `inner` is given,
/// otherwise every `node_modules/<name>/package.json` and `node_modules/@scope/<name>/…`.
pub(super) fn archive_manifests(archive: &Path, inner: &str) -> Vec<String> {
    read_archive(archive, inner).unwrap_or_default()
}

fn read_archive(archive: &Path, inner: &str) -> Option<Vec<String>> {
    let mut file = File::open(archive).ok()?;
    let len = file.metadata().ok()?.len();
    if !(22..=MAX_ARCHIVE_BYTES).contains(&len) {
        return None;
    }
    // The end-of-central-directory record is in the last 22 + 65535 bytes.
    let tail_len = len.min(22 + 65_535);
    file.seek(SeekFrom::Start(len - tail_len)).ok()?;
    let mut tail = vec![0; usize::try_from(tail_len).ok()?];
    file.read_exact(&mut tail).ok()?;
    let eocd = (0..=tail.len() - 22)
        .rev()
        .find(|&i| tail[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])?;
    let dir_size = u64::from(u32_at(&tail, eocd + 12)?);
    let dir_offset = u64::from(u32_at(&tail, eocd + 16)?);
    if dir_size > MAX_DIRECTORY_BYTES || dir_offset.checked_add(dir_size)? > len {
        return None;
    }
    file.seek(SeekFrom::Start(dir_offset)).ok()?;
    let mut dir = vec![0; usize::try_from(dir_size).ok()?];
    file.read_exact(&mut dir).ok()?;
    let wanted = |name: &str| -> bool {
        if !inner.is_empty() {
            return name.strip_prefix(inner) == Some("package.json");
        }
        let Some(rest) = name.strip_prefix("node_modules/") else {
            return false;
        };
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            [scope, _, "package.json"] => scope.starts_with('@'),
            [_, "package.json"] => true,
            _ => false,
        }
    };
    let mut out = Vec::new();
    let mut at = 0;
    while dir.get(at..at + 4) == Some(&[0x50, 0x4b, 0x01, 0x02]) {
        let method = u16_at(&dir, at + 10)?;
        let crc = u32_at(&dir, at + 16)?;
        let compressed = u64::from(u32_at(&dir, at + 20)?);
        let size = u64::from(u32_at(&dir, at + 24)?);
        let name_len = usize::from(u16_at(&dir, at + 28)?);
        let extra_len = usize::from(u16_at(&dir, at + 30)?);
        let comment_len = usize::from(u16_at(&dir, at + 32)?);
        let local = u64::from(u32_at(&dir, at + 42)?);
        let name = std::str::from_utf8(dir.get(at + 46..at + 46 + name_len)?).ok()?;
        if wanted(name) && compressed <= MAX_MANIFEST_BYTES && size <= MAX_MANIFEST_BYTES {
            if let Some(text) = read_entry(&mut file, local, method, compressed, size, crc) {
                out.push(text);
            }
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    Some(out)
}

fn read_entry(
    file: &mut File,
    local: u64,
    method: u16,
    compressed: u64,
    size: u64,
    crc: u32,
) -> Option<String> {
    let mut header = [0u8; 30];
    file.seek(SeekFrom::Start(local)).ok()?;
    file.read_exact(&mut header).ok()?;
    if header[..4] != [0x50, 0x4b, 0x03, 0x04] {
        return None;
    }
    let skip = u64::from(u16_at(&header, 26)?) + u64::from(u16_at(&header, 28)?);
    file.seek(SeekFrom::Current(i64::try_from(skip).ok()?))
        .ok()?;
    let mut data = vec![0; usize::try_from(compressed).ok()?];
    file.read_exact(&mut data).ok()?;
    let bytes = match method {
        0 => data,
        8 => {
            let mut out = Vec::new();
            flate2::read::DeflateDecoder::new(data.as_slice())
                .take(MAX_MANIFEST_BYTES + 1)
                .read_to_end(&mut out)
                .ok()?;
            out
        }
        _ => return None,
    };
    if u64::try_from(bytes.len()).ok()? != size {
        return None;
    }
    let mut check = flate2::Crc::new();
    check.update(&bytes);
    if check.sum() != crc {
        return None;
    }
    String::from_utf8(bytes).ok()
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_read_from_the_runtime_state() {
        let text = "const RAW_RUNTIME_STATE =\n'{\\\n  \"packageLocation\": \"./.yarn/cache/ms-npm-2.1.3-x.zip/node_modules/ms/\",\\\n  \"packageLocation\": \"./\",\\\n  \"packageLocation\":\"./.yarn/unplugged/a-npm-1.0.0-y/node_modules/a/\",\\\n}';\n";
        assert_eq!(
            package_locations(text),
            vec![
                "./",
                "./.yarn/cache/ms-npm-2.1.3-x.zip/node_modules/ms/",
                "./.yarn/unplugged/a-npm-1.0.0-y/node_modules/a/",
            ]
        );
    }

    /// A zip archive of `(name, method, stored bytes, declared size, crc)` entries.
    fn zip(entries: &[(&str, u16, Vec<u8>, u32, u32)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut directory = Vec::new();
        for (name, method, data, size, crc) in entries {
            let offset = u32::try_from(out.len()).unwrap();
            let compressed = u32::try_from(data.len()).unwrap();
            let name_len = u16::try_from(name.len()).unwrap();
            out.extend_from_slice(&[0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0]);
            out.extend_from_slice(&method.to_le_bytes());
            out.extend_from_slice(&[0; 4]);
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&compressed.to_le_bytes());
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&name_len.to_le_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            directory.extend_from_slice(&[0x50, 0x4b, 0x01, 0x02, 20, 0, 20, 0, 0, 0]);
            directory.extend_from_slice(&method.to_le_bytes());
            directory.extend_from_slice(&[0; 4]);
            directory.extend_from_slice(&crc.to_le_bytes());
            directory.extend_from_slice(&compressed.to_le_bytes());
            directory.extend_from_slice(&size.to_le_bytes());
            directory.extend_from_slice(&name_len.to_le_bytes());
            directory.extend_from_slice(&[0; 12]);
            directory.extend_from_slice(&offset.to_le_bytes());
            directory.extend_from_slice(name.as_bytes());
        }
        let dir_offset = u32::try_from(out.len()).unwrap();
        let dir_len = u32::try_from(directory.len()).unwrap();
        let count = u16::try_from(entries.len()).unwrap();
        out.extend_from_slice(&directory);
        out.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&dir_len.to_le_bytes());
        out.extend_from_slice(&dir_offset.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    fn crc(bytes: &[u8]) -> u32 {
        let mut c = flate2::Crc::new();
        c.update(bytes);
        c.sum()
    }

    #[test]
    fn manifests_are_read_and_lying_or_bombing_entries_are_not() {
        use std::io::Write as _;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.zip");
        let good = br#"{"name":"a","version":"1.0.0","license":"MIT"}"#.to_vec();
        let mut deflate =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        deflate.write_all(&good).unwrap();
        let deflated = deflate.finish().unwrap();
        // 8 MiB of zeros (above the manifest limit) that claims to be 100 bytes.
        let zeros = vec![0u8; 8 * 1024 * 1024];
        let mut bomb = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        bomb.write_all(&zeros).unwrap();
        let bomb = bomb.finish().unwrap();
        let size = u32::try_from(good.len()).unwrap();
        std::fs::write(
            &path,
            zip(&[
                (
                    "node_modules/a/package.json",
                    0,
                    good.clone(),
                    size,
                    crc(&good),
                ),
                (
                    "node_modules/@s/b/package.json",
                    8,
                    deflated,
                    size,
                    crc(&good),
                ),
                ("node_modules/bomb/package.json", 8, bomb, 100, 0),
                (
                    "node_modules/bad-crc/package.json",
                    0,
                    good.clone(),
                    size,
                    1,
                ),
                (
                    "node_modules/a/lib/package.json",
                    0,
                    good.clone(),
                    size,
                    crc(&good),
                ),
            ]),
        )
        .unwrap();
        let all = archive_manifests(&path, "");
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(all.iter().all(|m| m.as_bytes() == good.as_slice()));
        assert_eq!(archive_manifests(&path, "node_modules/@s/b/").len(), 1);
        assert!(archive_manifests(&path, "node_modules/bomb/").is_empty());
    }

    #[test]
    fn truncated_and_foreign_files_give_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.zip");
        std::fs::write(&path, b"PK\x05\x06 not really").unwrap();
        assert!(archive_manifests(&path, "").is_empty());
        std::fs::write(&path, vec![0u8; 100]).unwrap();
        assert!(archive_manifests(&path, "").is_empty());
    }
}
