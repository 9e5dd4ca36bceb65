//! Version ordering for OSV ranges: Semantic Versioning 2.0.0 precedence (§11), which is also
//! the order crates.io (Cargo) and npm (node-semver) give their versions.
//!
//! Build metadata is ignored in comparisons (SemVer §10). npm's loose spellings of a version (a
//! leading `v` or `=`, surrounding spaces) are accepted, as node-semver accepts them. A
//! prerelease sorts before its release (`1.2.3-rc.1 < 1.2.3`), so a prerelease of a fixed
//! version is still inside the range that version fixes: OSV ranges are orderings, and npm's
//! rule that `<1.2.3` does not match prereleases is a rule of npm range syntax, not of order.

use std::cmp::Ordering;
use std::fmt;

/// A version that can be placed in SemVer order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(semver::Version);

impl Version {
    /// Parses `text` as a SemVer version, loosely as npm does; `None` if it is not one.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        let t = t.strip_prefix('=').unwrap_or(t).trim_start();
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        let mut v = semver::Version::parse(t).ok()?;
        v.build = semver::BuildMetadata::EMPTY;
        Some(Self(v))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        // Build metadata was cleared on parsing, so this is SemVer precedence.
        self.0.cmp(&other.0)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where an `introduced` or `limit` event starts: OSV's `"0"` means before every version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bound {
    /// Before every version (`"0"`).
    Zero,
    /// At this version.
    At(Version),
}

impl Bound {
    /// Parses an event's version; `"0"` is [`Bound::Zero`].
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        if text.trim() == "0" {
            return Some(Self::Zero);
        }
        Version::parse(text).map(Self::At)
    }

    /// Whether `v` is at or after this bound.
    #[must_use]
    pub fn le(&self, v: &Version) -> bool {
        match self {
            Self::Zero => true,
            Self::At(b) => b <= v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn semver_precedence_with_prereleases() {
        // SemVer 2.0.0 §11's own example order.
        let order = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for pair in order.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn build_metadata_and_npm_loose_spellings_do_not_change_order() {
        assert_eq!(v("1.2.3+build.5").cmp(&v("1.2.3")), Ordering::Equal);
        assert_eq!(v("v1.2.3"), v("1.2.3"));
        assert_eq!(v("=1.2.3"), v("1.2.3"));
        assert!(Version::parse("1.2").is_none());
        assert!(Version::parse("latest").is_none());
    }

    #[test]
    fn zero_is_before_every_version() {
        assert!(Bound::parse("0").unwrap().le(&v("0.0.0-0")));
        assert!(Bound::parse("0").unwrap() < Bound::parse("0.0.0").unwrap());
    }
}
