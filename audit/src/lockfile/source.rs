//! Source classification shared by the JavaScript lockfile readers.

use crate::model::Source;

/// Classifies an npm-style `resolved` value (a URL, `file:` path or git spec) for package `name`.
///
/// A URL of the form `BASE/NAME/-/FILE.tgz` is a registry download, with `BASE/` as the registry;
/// any other URL is a plain tarball.
pub(super) fn classify_resolved(name: &str, resolved: &str) -> Source {
    if let Some(git) = parse_git(resolved) {
        return git;
    }
    if let Some(path) = resolved
        .strip_prefix("file:")
        .or_else(|| resolved.strip_prefix("link:"))
    {
        return Source::Path {
            path: Some(path.to_owned()),
        };
    }
    if resolved.starts_with("https://") || resolved.starts_with("http://") {
        let url = resolved.split('#').next().unwrap_or(resolved);
        for spelled in [name.to_owned(), name.replacen('/', "%2f", 1)] {
            let marker = format!("/{spelled}/-/");
            if let Some(i) = url.find(&marker) {
                return Source::Registry {
                    url: Some(url[..=i].to_owned()),
                };
            }
        }
        return Source::Tarball {
            url: url.to_owned(),
        };
    }
    Source::Unrecognized {
        spec: resolved.to_owned(),
    }
}

/// Recognizes git specs: `git+https://…#rev`, `git://…`, `git+ssh://…`, `github:user/repo#rev`.
pub(super) fn parse_git(spec: &str) -> Option<Source> {
    let is_git = ["git+", "git://", "github:", "gitlab:", "bitbucket:"]
        .iter()
        .any(|p| spec.starts_with(p));
    if !is_git {
        return None;
    }
    let (url, rev) = match spec.split_once('#') {
        Some((url, rev)) => (url, Some(rev.to_owned()).filter(|r| !r.is_empty())),
        None => (spec, None),
    };
    Some(Source::Git {
        url: url.to_owned(),
        rev,
    })
}

/// Splits `name@range` (the name may be scoped: `@scope/name@range`).
pub(super) fn split_name_at(spec: &str) -> Option<(&str, &str)> {
    let start = usize::from(spec.starts_with('@'));
    let at = spec[start..].find('@')? + start;
    Some((&spec[..at], &spec[at + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_tarballs_give_the_registry_base() {
        let s = classify_resolved(
            "@babel/core",
            "https://registry.npmjs.org/@babel/core/-/core-7.24.0.tgz",
        );
        assert_eq!(
            s,
            Source::Registry {
                url: Some("https://registry.npmjs.org/".into())
            }
        );
    }

    #[test]
    fn other_urls_are_tarballs_and_git_specs_keep_their_rev() {
        assert!(matches!(
            classify_resolved("x", "https://example.com/x.tgz"),
            Source::Tarball { .. }
        ));
        assert_eq!(
            classify_resolved("x", "git+ssh://git@github.com/a/x.git#abc"),
            Source::Git {
                url: "git+ssh://git@github.com/a/x.git".into(),
                rev: Some("abc".into())
            }
        );
        assert!(matches!(
            classify_resolved("x", "file:../x"),
            Source::Path { .. }
        ));
        assert!(matches!(
            classify_resolved("x", "ftp://x"),
            Source::Unrecognized { .. }
        ));
    }

    #[test]
    fn names_split_at_the_version_separator() {
        assert_eq!(split_name_at("@a/b@^1"), Some(("@a/b", "^1")));
        assert_eq!(split_name_at("b@npm:c@1"), Some(("b", "npm:c@1")));
        assert_eq!(split_name_at("@a/b"), None);
    }
}
