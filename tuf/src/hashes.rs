//! Length and hash checks of downloaded bytes (TUF 5.5.2, 5.6.2, 5.7.3), over whole buffers and
//! over streams as they are read.

use std::io::{self, Read};

use ring::digest;

use crate::metadata::Hashes;

/// Bytes that are not what the metadata describes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashError {
    #[error("length mismatch: expected {expected} bytes, found {found}")]
    Length { expected: u64, found: u64 },
    #[error("longer than the expected {expected} bytes")]
    TooLong { expected: u64 },
    #[error("{algorithm} mismatch: expected {expected}, found {found}")]
    Mismatch {
        algorithm: String,
        expected: String,
        found: String,
    },
    #[error("no supported hash algorithm among {found:?} (supported: sha256, sha512)")]
    NoSupportedHash { found: Vec<String> },
}

fn algorithm(name: &str) -> Option<&'static digest::Algorithm> {
    match name {
        "sha256" => Some(&digest::SHA256),
        "sha512" => Some(&digest::SHA512),
        _ => None,
    }
}

/// One digest of a file being read, and the value trusted metadata gives for it. Made by
/// [`expected_digests`]; fed every byte with [`ExpectedDigest::update`], in order, from any one
/// thread; then [`ExpectedDigest::check`]ed. A download pipeline may run each on its own thread
/// so that a file is read once whatever the number of hashes.
pub struct ExpectedDigest {
    name: String,
    expected: String,
    context: digest::Context,
}

impl std::fmt::Debug for ExpectedDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpectedDigest")
            .field("algorithm", &self.name)
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

impl ExpectedDigest {
    /// The algorithm's name as metadata spells it (`sha256`, `sha512`).
    #[must_use]
    pub fn algorithm(&self) -> &str {
        &self.name
    }

    /// Feeds the next bytes of the file.
    pub fn update(&mut self, bytes: &[u8]) {
        self.context.update(bytes);
    }

    /// Forgets the bytes fed so far, to start the file again from its first byte.
    pub fn reset(&mut self) {
        self.context = digest::Context::new(self.context.algorithm());
    }

    /// Whether the bytes fed match the trusted value (hex, compared without regard to case).
    pub fn check(self) -> Result<(), HashError> {
        let found = hex::encode(self.context.finish());
        if found.eq_ignore_ascii_case(&self.expected) {
            Ok(())
        } else {
            Err(HashError::Mismatch {
                algorithm: self.name,
                expected: self.expected,
                found,
            })
        }
    }
}

/// A digest for every hash of `hashes` that sigil can compute, in the map's order; refused if
/// there is none (a list of only unsupported algorithms proves nothing).
pub fn expected_digests(hashes: &Hashes) -> Result<Vec<ExpectedDigest>, HashError> {
    let digests: Vec<_> = hashes
        .iter()
        .filter_map(|(name, expected)| {
            algorithm(name).map(|alg| ExpectedDigest {
                name: name.clone(),
                expected: expected.clone(),
                context: digest::Context::new(alg),
            })
        })
        .collect();
    if digests.is_empty() {
        return Err(HashError::NoSupportedHash {
            found: hashes.keys().cloned().collect(),
        });
    }
    Ok(digests)
}

/// Checks every digest, in order; the first mismatch is the error.
pub fn check_all(digests: Vec<ExpectedDigest>) -> Result<(), HashError> {
    digests.into_iter().try_for_each(ExpectedDigest::check)
}

/// Checks `data` against an optional length and optional hashes. Every listed hash that sigil
/// supports must match; a list with none that it supports is refused.
pub fn verify_bytes(
    data: &[u8],
    length: Option<u64>,
    hashes: Option<&Hashes>,
) -> Result<(), HashError> {
    let found = u64::try_from(data.len()).unwrap_or(u64::MAX);
    if let Some(expected) = length {
        if expected != found {
            return Err(HashError::Length { expected, found });
        }
    }
    if let Some(hashes) = hashes {
        let mut digests = expected_digests(hashes)?;
        for digest in &mut digests {
            digest.update(data);
        }
        check_all(digests)?;
    }
    Ok(())
}

/// Reads `reader` to its end through the length limit and every supported hash, calling `sink`
/// with each chunk. Fails as soon as more than `length` bytes arrive.
pub fn verify_stream<R: Read>(
    mut reader: R,
    length: u64,
    hashes: &Hashes,
    mut sink: impl FnMut(&[u8]) -> io::Result<()>,
) -> Result<Result<(), HashError>, io::Error> {
    let mut digests = match expected_digests(hashes) {
        Ok(digests) => digests,
        Err(error) => return Ok(Err(error)),
    };
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        total = total.saturating_add(read as u64);
        if total > length {
            return Ok(Err(HashError::TooLong { expected: length }));
        }
        let chunk = &buffer[..read];
        for digest in &mut digests {
            digest.update(chunk);
        }
        sink(chunk)?;
    }
    if total != length {
        return Ok(Err(HashError::Length {
            expected: length,
            found: total,
        }));
    }
    Ok(check_all(digests))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha256_hashes(data: &[u8]) -> Hashes {
        let mut hashes = Hashes::new();
        hashes.insert(
            "sha256".into(),
            hex::encode(digest::digest(&digest::SHA256, data)),
        );
        hashes
    }

    #[test]
    fn stream_stops_at_the_length() {
        let hashes = sha256_hashes(b"abc");
        let mut seen = Vec::new();
        let verdict = verify_stream(&b"abcdef"[..], 3, &hashes, |chunk| {
            seen.extend_from_slice(chunk);
            Ok(())
        })
        .unwrap();
        assert_eq!(verdict, Err(HashError::TooLong { expected: 3 }));
    }

    #[test]
    fn unknown_algorithms_alone_are_refused() {
        let mut hashes = Hashes::new();
        hashes.insert("md5".into(), "00".into());
        assert!(matches!(
            verify_bytes(b"x", None, Some(&hashes)),
            Err(HashError::NoSupportedHash { .. })
        ));
    }

    #[test]
    fn every_supported_hash_must_match() {
        let mut hashes = sha256_hashes(b"abc");
        hashes.insert("sha512".into(), "00".repeat(64));
        assert!(matches!(
            verify_bytes(b"abc", Some(3), Some(&hashes)),
            Err(HashError::Mismatch { .. })
        ));
        assert_eq!(
            verify_bytes(b"abc", Some(3), Some(&sha256_hashes(b"abc"))),
            Ok(())
        );
    }
}
