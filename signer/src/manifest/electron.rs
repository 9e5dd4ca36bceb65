//! `latest.yml` for electron-updater (the generic and S3 providers): the version, each file with
//! its base64 SHA-512 and size, the main file's `path` and `sha512`, and `releaseDate`, as
//! electron-builder writes it.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::{ManifestError, check_date, check_https, check_version};

/// One file of the release: the file to hash, and its URL (a file name relative to the feed, as
/// electron-builder writes it, or an https:// URL).
#[derive(Debug, Clone)]
pub struct ElectronFile {
    pub file: PathBuf,
    pub url: String,
}

/// A YAML single-quoted scalar: no escapes but `''` for `'`.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn check_url(url: &str) -> Result<(), ManifestError> {
    if url.starts_with("https://") {
        return check_https(url);
    }
    let relative = !url.is_empty()
        && !url.contains("://")
        && !url.starts_with('/')
        && !url
            .split('/')
            .any(|segment| segment.is_empty() || segment == "..")
        && !url.chars().any(char::is_control);
    if relative {
        Ok(())
    } else {
        Err(ManifestError::RelativeUrl {
            found: url.to_owned(),
        })
    }
}

fn sha512_and_size(path: &PathBuf) -> Result<(String, u64), ManifestError> {
    let io = |source| ManifestError::Io {
        path: path.clone(),
        source,
    };
    let mut reader = BufReader::with_capacity(1 << 20, File::open(path).map_err(io)?);
    let mut context = ring::digest::Context::new(&ring::digest::SHA512);
    let mut buffer = vec![0u8; 1 << 16];
    let mut size: u64 = 0;
    loop {
        let read = reader.read(&mut buffer).map_err(io)?;
        if read == 0 {
            break;
        }
        context.update(&buffer[..read]);
        size = size.saturating_add(read as u64);
    }
    Ok((BASE64.encode(context.finish()), size))
}

/// Builds `latest.yml`. The first file is the main one (`path`, `sha512`).
pub fn latest_yml(
    version: &str,
    release_date: &str,
    files: &[ElectronFile],
) -> Result<String, ManifestError> {
    check_version(version)?;
    check_date(release_date)?;
    let Some(main) = files.first() else {
        return Err(ManifestError::Empty);
    };
    let mut out = format!("version: {}\nfiles:\n", quoted(version));
    let mut main_sha512 = String::new();
    for (index, entry) in files.iter().enumerate() {
        check_url(&entry.url)?;
        let (sha512, size) = sha512_and_size(&entry.file)?;
        out.push_str(&format!(
            "  - url: {}\n    sha512: {}\n    size: {size}\n",
            quoted(&entry.url),
            quoted(&sha512)
        ));
        if index == 0 {
            main_sha512 = sha512;
        }
    }
    // electron-updater parses releaseDate with JavaScript's Date: milliseconds are customary.
    let date = release_date.replacen('Z', ".000Z", 1);
    out.push_str(&format!(
        "path: {}\nsha512: {}\nreleaseDate: {}\n",
        quoted(&main.url),
        quoted(&main_sha512),
        quoted(&date)
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_doubled_inside_single_quoted_scalars() {
        assert_eq!(quoted("it's"), "'it''s'");
    }

    #[test]
    fn urls_are_https_or_plain_relative_names() {
        assert!(check_url("MyApp Setup 1.2.0.exe").is_ok());
        assert!(check_url("win/MyApp.exe").is_ok());
        assert!(check_url("https://cdn.example.com/MyApp.exe").is_ok());
        for bad in [
            "http://cdn.example.com/a.exe",
            "../a.exe",
            "/a.exe",
            "",
            "a//b",
            "file:///a",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
