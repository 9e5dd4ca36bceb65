//! Integrity strings: Subresource Integrity (npm, yarn, pnpm), yarn's `#sha1` URL fragments,
//! yarn berry checksums and Cargo's SHA-256 checksums.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{ErrorKind, truncate};
use crate::model::{HashAlgorithm, Integrity};

fn bad(at: &str, found: &str, reason: &'static str) -> ErrorKind {
    ErrorKind::Integrity {
        at: at.to_owned(),
        found: truncate(found),
        reason,
    }
}

/// Parses a Subresource Integrity value: one or more `algo-base64` tokens separated by spaces.
/// Unknown algorithms are refused rather than skipped, so nothing is silently unverified.
pub(super) fn parse_sri(at: &str, value: &str) -> Result<Vec<Integrity>, ErrorKind> {
    let mut out = Vec::new();
    for token in value.split_ascii_whitespace() {
        // SRI allows `?options` after the digest; npm never writes them.
        let token = token.split('?').next().unwrap_or(token);
        let (algo, b64) = token
            .split_once('-')
            .ok_or_else(|| bad(at, value, "expected ALGORITHM-BASE64"))?;
        let algorithm = match algo {
            "sha1" => HashAlgorithm::Sha1,
            "sha256" => HashAlgorithm::Sha256,
            "sha384" => HashAlgorithm::Sha384,
            "sha512" => HashAlgorithm::Sha512,
            _ => return Err(bad(at, value, "unknown hash algorithm")),
        };
        let digest = STANDARD
            .decode(b64)
            .map_err(|_| bad(at, value, "the digest is not base64"))?;
        if digest.len() != algorithm.digest_len() {
            return Err(bad(at, value, "the digest has the wrong length"));
        }
        out.push(Integrity {
            algorithm,
            hex: hex::encode(digest),
        });
    }
    if out.is_empty() {
        return Err(bad(at, value, "empty"));
    }
    out.sort_by_key(|i| std::cmp::Reverse(i.algorithm));
    Ok(out)
}

/// Parses a hex digest of a known algorithm.
pub(super) fn parse_hex(
    at: &str,
    algorithm: HashAlgorithm,
    value: &str,
) -> Result<Integrity, ErrorKind> {
    let digest = hex::decode(value).map_err(|_| bad(at, value, "the digest is not hex"))?;
    if digest.len() != algorithm.digest_len() {
        return Err(bad(at, value, "the digest has the wrong length"));
    }
    Ok(Integrity {
        algorithm,
        hex: value.to_ascii_lowercase(),
    })
}

/// Parses a yarn berry checksum: `CACHEKEY/HEX` (yarn 4) or `HEX` (yarn 2 and 3), SHA-512.
pub(super) fn parse_berry_checksum(at: &str, value: &str) -> Result<Integrity, ErrorKind> {
    let hex = value.rsplit_once('/').map_or(value, |(_, h)| h);
    parse_hex(at, HashAlgorithm::Sha512, hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA512: &str = "sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg==";

    #[test]
    fn sri_keeps_every_hash_strongest_first() {
        let v = parse_sri("x", &format!("sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk= {SHA512}")).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].algorithm, HashAlgorithm::Sha512);
        assert_eq!(v[1].hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    }

    #[test]
    fn sri_refuses_unknown_algorithms_and_bad_lengths() {
        assert!(parse_sri("x", "md5-1B2M2Y8AsgTpgAmY7PhCfg==").is_err());
        assert!(parse_sri("x", "sha512-2jmj7l5rSw0yVb/vlWAYkK/YBwk=").is_err());
        assert!(parse_sri("x", "sha512-***").is_err());
        assert!(parse_sri("x", "   ").is_err());
    }

    #[test]
    fn berry_checksums_with_and_without_cache_key() {
        let hex = "a".repeat(128);
        assert_eq!(
            parse_berry_checksum("x", &format!("10c0/{hex}"))
                .unwrap()
                .hex,
            hex
        );
        assert!(parse_berry_checksum("x", &hex).is_ok());
        assert!(parse_berry_checksum("x", "10c0/abcd").is_err());
    }
}
