//! crates.io: is the locked version in the sparse index, and is it yanked.

use serde::Deserialize;

use super::OnlineError;
use crate::findings::{Code, Finding, Severity};
use crate::model::{Ecosystem, Package};
use crate::policy::Policy;

/// crates.io's index, as Cargo.lock names it (git and sparse protocols).
const CRATES_IO: &[&str] = &[
    "https://github.com/rust-lang/crates.io-index",
    "https://index.crates.io",
];

/// The longest crate name crates.io accepts.
const MAX_NAME_LEN: usize = 64;

/// One version of a crate: one line of its index file (other fields ignored).
#[derive(Debug, Clone, Deserialize)]
pub(super) struct IndexLine {
    vers: String,
    #[serde(default)]
    yanked: bool,
}

/// Whether `p` comes from crates.io.
pub(super) fn is_crates_io(p: &Package) -> bool {
    p.ecosystem == Ecosystem::Cargo && super::registry_is(p, CRATES_IO)
}

/// The crate's file in the index: `1/a`, `2/ab`, `3/a/abc`, `se/rd/serde`, lowercased.
/// `None` for a name crates.io could not hold (it would also not be a safe URL path).
pub(super) fn index_path(name: &str) -> Option<String> {
    let valid = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return None;
    }
    // ASCII only (checked above), so byte ranges fall on character boundaries.
    let name = name.to_ascii_lowercase();
    Some(match name.len() {
        1 => format!("1/{name}"),
        2 => format!("2/{name}"),
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    })
}

/// Reads an index file: one JSON object per line.
pub(super) fn parse_index(url: &str, body: &[u8]) -> Result<Vec<IndexLine>, OnlineError> {
    body.split(|b| *b == b'\n')
        .filter(|line| !line.trim_ascii().is_empty())
        .map(|line| {
            serde_json::from_slice(line).map_err(|source| OnlineError::Json {
                url: url.to_owned(),
                expected: "a crates.io index file (a JSON object with `vers` per line)",
                source,
            })
        })
        .collect()
}

/// The findings for `p`, given its index file (`None`: the index has no such crate).
pub(super) fn check(
    p: &Package,
    entry: Option<&[IndexLine]>,
    url: &str,
    policy: &Policy,
) -> Vec<Finding> {
    let line = entry.and_then(|lines| lines.iter().find(|l| l.vers == p.version));
    match (entry, line) {
        (None, _) => vec![Finding::for_package(
            Code::CrateNotInRegistry,
            Severity::Warning,
            p,
            format!("the crates.io index has no crate {} ({url})", p.name),
        )],
        (Some(_), None) => vec![Finding::for_package(
            Code::CrateNotInRegistry,
            Severity::Warning,
            p,
            format!(
                "the crates.io index lists no version {} of {} ({url})",
                p.version, p.name
            ),
        )],
        (Some(_), Some(l)) if l.yanked => policy
            .sources
            .yanked
            .severity()
            .map(|severity| {
                Finding::for_package(
                    Code::CrateYanked,
                    severity,
                    p,
                    format!("version {} is yanked from crates.io ({url})", p.version),
                )
            })
            .into_iter()
            .collect(),
        (Some(_), Some(_)) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths_follow_the_sparse_layout() {
        assert_eq!(index_path("a").as_deref(), Some("1/a"));
        assert_eq!(index_path("cc").as_deref(), Some("2/cc"));
        assert_eq!(index_path("Syn").as_deref(), Some("3/s/syn"));
        assert_eq!(index_path("serde").as_deref(), Some("se/rd/serde"));
        assert_eq!(
            index_path("Serde_JSON").as_deref(),
            Some("se/rd/serde_json")
        );
    }

    #[test]
    fn path_traversal_in_a_crate_name_is_refused() {
        assert_eq!(index_path("../../etc/passwd"), None);
        assert_eq!(index_path("a/b"), None);
        assert_eq!(index_path("ünï"), None);
        assert_eq!(index_path(""), None);
        assert_eq!(index_path(&"a".repeat(65)), None);
    }

    #[test]
    fn index_lines_without_yanked_are_not_yanked_and_garbage_is_an_error() {
        let lines = parse_index(
            "u",
            b"{\"name\":\"a\",\"vers\":\"1.0.0\"}\n\n{\"name\":\"a\",\"vers\":\"1.0.1\",\"yanked\":true}\n",
        )
        .unwrap();
        assert_eq!(lines.len(), 2);
        assert!(!lines[0].yanked && lines[1].yanked);
        let err = parse_index("https://i/3/a/abc", b"{\"vers\":\"1\"}\nnot json\n").unwrap_err();
        assert!(err.to_string().contains("https://i/3/a/abc"), "{err}");
    }
}
