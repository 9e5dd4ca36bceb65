//! Archive member names, validated before anything touches the disk.

use std::fmt;
use std::path::{Component, Path, PathBuf};

/// The longest member name accepted, in bytes.
pub const MAX_NAME_BYTES: usize = 1024;
/// The deepest member path accepted, in components.
pub const MAX_DEPTH: usize = 32;

/// A member path that is safe to join under a staging directory: relative, made of normal
/// components only, and portable to the file systems apps ship on.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MemberPath(Vec<String>);

/// Why a member name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MemberPathError {
    #[error("member name is not UTF-8")]
    NotUtf8,
    #[error("member name is empty")]
    Empty,
    #[error("member name {0:?} is longer than {MAX_NAME_BYTES} bytes")]
    TooLong(String),
    #[error("member name {0:?} is absolute")]
    Absolute(String),
    #[error("member name {0:?} climbs out of the archive with '..'")]
    ParentDir(String),
    #[error("member name {0:?} contains a backslash, a colon or a control character")]
    Unportable(String),
    #[error("member name {0:?} is nested deeper than {MAX_DEPTH} levels")]
    TooDeep(String),
}

impl MemberPath {
    /// Validates a raw member name from an archive. `.` components and a trailing `/` are
    /// dropped; everything else that is not a plain name is refused.
    pub fn parse(raw: &[u8]) -> Result<Self, MemberPathError> {
        let text = std::str::from_utf8(raw).map_err(|_| MemberPathError::NotUtf8)?;
        if text.len() > MAX_NAME_BYTES {
            return Err(MemberPathError::TooLong(text.chars().take(64).collect()));
        }
        if text.starts_with('/') {
            return Err(MemberPathError::Absolute(text.to_owned()));
        }
        if text
            .chars()
            .any(|c| c == '\\' || c == ':' || c.is_control())
        {
            return Err(MemberPathError::Unportable(text.to_owned()));
        }
        let mut parts = Vec::new();
        for part in text.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(MemberPathError::ParentDir(text.to_owned())),
                name => parts.push(name.to_owned()),
            }
        }
        if parts.is_empty() {
            return Err(MemberPathError::Empty);
        }
        if parts.len() > MAX_DEPTH {
            return Err(MemberPathError::TooDeep(text.to_owned()));
        }
        Ok(Self(parts))
    }

    /// The path relative to the staging directory.
    #[must_use]
    pub fn to_path(&self) -> PathBuf {
        self.0.iter().collect()
    }

    /// The same path, case-folded: two members that differ only in case would overwrite each
    /// other on macOS and Windows.
    #[must_use]
    pub fn folded(&self) -> String {
        self.0.join("/").to_lowercase()
    }

    /// Every ancestor, shortest first (`a`, `a/b` for `a/b/c`).
    pub fn ancestors(&self) -> impl Iterator<Item = MemberPath> + '_ {
        (1..self.0.len()).map(|n| Self(self.0[..n].to_vec()))
    }

    /// Whether a symlink at this path pointing to `target` stays inside the archive's root.
    #[must_use]
    pub fn link_stays_inside(&self, target: &str) -> bool {
        if target.is_empty()
            || target.starts_with('/')
            || target.contains('\\')
            || target.contains(':')
        {
            return false;
        }
        // Resolve lexically from the link's directory. Links inside the archive are created
        // last, so no link is ever followed while resolving another.
        let mut depth: Vec<&str> = self.0[..self.0.len() - 1]
            .iter()
            .map(String::as_str)
            .collect();
        for component in Path::new(target).components() {
            match component {
                Component::Normal(part) => match part.to_str() {
                    Some(part) => depth.push(part),
                    None => return false,
                },
                Component::CurDir => {}
                Component::ParentDir => {
                    if depth.pop().is_none() {
                        return false;
                    }
                }
                Component::RootDir | Component::Prefix(_) => return false,
            }
        }
        true
    }
}

impl fmt::Display for MemberPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("/"))
    }
}

impl fmt::Debug for MemberPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MemberPath({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_accepted() {
        let path = MemberPath::parse(b"./app/bin/sample-app").unwrap();
        assert_eq!(path.to_string(), "app/bin/sample-app");
        assert_eq!(MemberPath::parse(b"app/").unwrap().to_string(), "app");
    }

    #[test]
    fn zip_slip_names_are_refused() {
        for name in ["../evil", "app/../../evil", "app/.."] {
            assert!(
                matches!(
                    MemberPath::parse(name.as_bytes()),
                    Err(MemberPathError::ParentDir(_))
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn absolute_and_windows_names_are_refused() {
        assert!(matches!(
            MemberPath::parse(b"/etc/passwd"),
            Err(MemberPathError::Absolute(_))
        ));
        for name in [
            "C:/Windows/evil.dll",
            "app\\..\\evil",
            "file.txt:stream",
            "a\nb",
        ] {
            assert!(
                matches!(
                    MemberPath::parse(name.as_bytes()),
                    Err(MemberPathError::Unportable(_))
                ),
                "{name:?}"
            );
        }
    }

    #[test]
    fn empty_long_deep_and_non_utf8_names_are_refused() {
        assert_eq!(MemberPath::parse(b"./"), Err(MemberPathError::Empty));
        assert!(matches!(
            MemberPath::parse(&[b'a'; 2000]),
            Err(MemberPathError::TooLong(_))
        ));
        let deep = vec!["d"; 40].join("/");
        assert!(matches!(
            MemberPath::parse(deep.as_bytes()),
            Err(MemberPathError::TooDeep(_))
        ));
        assert_eq!(MemberPath::parse(b"caf\xe9"), Err(MemberPathError::NotUtf8));
    }

    #[test]
    fn symlink_targets_must_stay_inside() {
        let link = MemberPath::parse(b"app/lib/current").unwrap();
        assert!(link.link_stays_inside("libsample.so.1"));
        assert!(link.link_stays_inside("../bin/sample-app"));
        assert!(link.link_stays_inside("../../top-level-file"));
        assert!(!link.link_stays_inside("../../../outside"));
        assert!(!link.link_stays_inside("/etc/passwd"));
        assert!(!link.link_stays_inside(""));
        assert!(!link.link_stays_inside("..\\..\\x"));
    }
}
