//! Target paths (TUF 4.5 TARGETPATH), parsed at the edge so that a hostile name can never climb
//! out of a download directory or change the meaning of a URL.

use std::fmt;

/// Why a string is not an acceptable target path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetPathError {
    #[error("target path is empty")]
    Empty,
    #[error("target path {found:?} is absolute (expected a path relative to the repository)")]
    Absolute { found: String },
    #[error("target path {found:?} has an empty segment")]
    EmptySegment { found: String },
    #[error("target path {found:?} has a \".\" or \"..\" segment")]
    DotSegment { found: String },
    #[error("target path {found:?} has a backslash (expected \"/\" as the only separator)")]
    Backslash { found: String },
    #[error("target path {found:?} has a control character")]
    Control { found: String },
}

/// A validated target path: relative, `/`-separated, no empty, `.` or `..` segments, no
/// backslashes or control characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TargetPath(String);

impl TargetPath {
    /// Parses an untrusted target path.
    pub fn parse(path: &str) -> Result<Self, TargetPathError> {
        let found = || path.to_owned();
        if path.is_empty() {
            return Err(TargetPathError::Empty);
        }
        if path.starts_with('/') {
            return Err(TargetPathError::Absolute { found: found() });
        }
        if path.contains('\\') {
            return Err(TargetPathError::Backslash { found: found() });
        }
        if path.chars().any(char::is_control) {
            return Err(TargetPathError::Control { found: found() });
        }
        for segment in path.split('/') {
            match segment {
                "" => return Err(TargetPathError::EmptySegment { found: found() }),
                "." | ".." => return Err(TargetPathError::DotSegment { found: found() }),
                _ => {}
            }
        }
        Ok(Self(path.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path as a URL path: each segment percent-encoded, `/` kept between segments. With
    /// `hash_prefix` (consistent snapshots, TUF 5.7.3), the last segment becomes `HASH.name`.
    #[must_use]
    pub fn url_path(&self, hash_prefix: Option<&str>) -> String {
        let (dir, name) = match self.0.rsplit_once('/') {
            Some((dir, name)) => (Some(dir), name),
            None => (None, self.0.as_str()),
        };
        let mut out = String::new();
        if let Some(dir) = dir {
            for segment in dir.split('/') {
                out.push_str(&quote(segment));
                out.push('/');
            }
        }
        if let Some(hash) = hash_prefix {
            out.push_str(&quote(hash));
            out.push('.');
        }
        out.push_str(&quote(name));
        out
    }

    /// A single file name standing for this path (every `/` encoded), for a flat download
    /// directory: two target paths never share one.
    #[must_use]
    pub fn file_name(&self) -> String {
        quote(&self.0)
    }
}

impl fmt::Display for TargetPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TargetPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TargetPath({:?})", self.0)
    }
}

/// Percent-encodes every byte except the RFC 3986 unreserved characters, so that the result is
/// one URL path segment and one file name (it never holds `/`, and is never `.` or `..` unless
/// the input is).
#[must_use]
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (the inverse of [`quote`], and of any percent-encoded URL path); `None`
/// when an escape is malformed or the result is not UTF-8.
#[must_use]
pub fn unquote(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_traversal_is_refused() {
        for path in [
            "../etc/passwd",
            "a/../../b",
            "/etc/passwd",
            "a//b",
            "a/",
            "a\\b",
            "./a",
            "",
        ] {
            assert!(TargetPath::parse(path).is_err(), "{path}");
        }
    }

    #[test]
    fn url_path_quotes_each_segment() {
        let path = TargetPath::parse("dir name/a?b#c.txt").unwrap();
        assert_eq!(path.url_path(None), "dir%20name/a%3Fb%23c.txt");
        assert_eq!(path.url_path(Some("abc")), "dir%20name/abc.a%3Fb%23c.txt");
        assert_eq!(path.file_name(), "dir%20name%2Fa%3Fb%23c.txt");
    }
}
