//! The provenance check for one package: where it comes from, how it is pinned, and what it
//! does at install time.

use crate::findings::{Code, Finding};
use crate::model::{AssumedRegistry, Ecosystem, HashAlgorithm, Package, Source};
use crate::policy::{Level, Policy};

/// Whether `url` is one of `registries`, or below one of them.
fn registry_allowed(url: &str, registries: &[String]) -> bool {
    let url = url.trim_end_matches('/');
    registries.iter().any(|r| {
        let r = r.trim_end_matches('/');
        url == r
            || url
                .strip_prefix(r)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// A full git commit id: 40 lowercase or uppercase hex digits (SHA-1 object names).
fn is_full_commit(rev: &str) -> bool {
    rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The source's URL if it is fetched over a scheme without transport security.
fn insecure_url(source: &Source) -> Option<&str> {
    let url = match source {
        Source::Registry { url: Some(u) }
        | Source::Git { url: u, .. }
        | Source::Tarball { url: u } => u,
        _ => return None,
    };
    let lower = url.to_ascii_lowercase();
    ["http://", "git://", "git+http://"]
        .iter()
        .any(|s| lower.starts_with(s))
        .then_some(url.as_str())
}

/// The registry a package's ecosystem downloads from by default, for a package read without
/// its project's configuration.
fn default_registry(p: &Package) -> AssumedRegistry {
    let (url, from) = match p.ecosystem {
        Ecosystem::Cargo => ("https://index.crates.io/", "cargo's default registry"),
        Ecosystem::Npm if p.lockfile.file_name().is_some_and(|n| n == "yarn.lock") => {
            ("https://registry.yarnpkg.com/", "yarn's default registry")
        }
        Ecosystem::Npm => ("https://registry.npmjs.org/", "npm's default registry"),
    };
    AssumedRegistry {
        url: url.to_owned(),
        from: from.to_owned(),
    }
}

pub(super) fn check(p: &Package, policy: &Policy) -> Vec<Finding> {
    let rules = &policy.sources;
    let mut out = Vec::new();
    let mut report = |code, level: Level, message: String| {
        if let Some(severity) = level.severity() {
            out.push(Finding::for_package(code, severity, p, message));
        }
    };
    let downloaded = match &p.source {
        Source::Registry { url: Some(url) } => {
            if !registry_allowed(url, &rules.registries) {
                report(
                    Code::RegistryNotAllowed,
                    Level::Deny,
                    format!("registry {url} is not in the policy's registries"),
                );
            }
            true
        }
        Source::Registry { url: None } => {
            // The lockfile does not say which registry: judge the one the package manager
            // would use, so that an allow list never passes what it cannot see.
            let assumed = p
                .assumed_registry
                .clone()
                .unwrap_or_else(|| default_registry(p));
            if !registry_allowed(&assumed.url, &rules.registries) {
                report(
                    Code::RegistryNotAllowed,
                    Level::Deny,
                    format!(
                        "the lockfile records no registry for it; {} is {}, which is not in \
                         the policy's registries (write the registry into the lockfile, e.g. \
                         npm's omit-lockfile-registry-resolved=false, or allow it)",
                        assumed.from, assumed.url
                    ),
                );
            }
            true
        }
        Source::Git { url, rev } => {
            match rev.as_deref() {
                Some(r) if is_full_commit(r) => report(
                    Code::GitSource,
                    rules.git,
                    format!("git dependency {url} at commit {r}"),
                ),
                Some(r) => report(
                    Code::GitUnpinned,
                    Level::Deny,
                    format!("git dependency {url} is pinned to {r:?}, not a full commit id"),
                ),
                None => report(
                    Code::GitUnpinned,
                    Level::Deny,
                    format!("git dependency {url} is not pinned to a commit"),
                ),
            }
            false
        }
        Source::Path { path } => {
            let shown = path
                .as_deref()
                .unwrap_or("a path the lockfile does not record");
            report(
                Code::LocalSource,
                rules.local,
                format!("comes from {shown}"),
            );
            false
        }
        Source::Tarball { url } => {
            report(
                Code::TarballSource,
                rules.tarball,
                format!("downloaded from {url}"),
            );
            true
        }
        Source::Patch { spec } => {
            report(
                Code::PatchedPackage,
                rules.patched,
                format!("patched: {spec}"),
            );
            false
        }
        Source::Unrecognized { spec } => {
            report(
                Code::UnrecognizedSource,
                rules.unrecognized,
                format!("source {spec:?} is not one this tool recognizes"),
            );
            false
        }
        Source::Bundled | Source::Workspace => false,
    };
    if let Some(url) = insecure_url(&p.source) {
        report(
            Code::InsecureUrl,
            rules.insecure,
            format!("fetched without transport security from {url}"),
        );
    }
    if downloaded {
        // yarn berry fetches a package with `conditions` only on matching platforms, and so
        // writes no checksum for it when the lockfile was made elsewhere.
        let conditional_berry =
            p.platforms.is_some() && p.lockfile.file_name().is_some_and(|n| n == "yarn.lock");
        match p.strongest_integrity() {
            None if conditional_berry => report(
                Code::IntegrityMissing,
                rules.missing_integrity.min_note(),
                format!(
                    "yarn pins no checksum for a package it fetches only for {}",
                    p.platforms.as_deref().unwrap_or("some platforms")
                ),
            ),
            None => report(
                Code::IntegrityMissing,
                rules.missing_integrity,
                "the lockfile pins no digest for this download".to_owned(),
            ),
            Some(i) if i.algorithm == HashAlgorithm::Sha1 => report(
                Code::IntegrityWeak,
                rules.weak_integrity,
                "the only digest pinned is SHA-1".to_owned(),
            ),
            Some(_) => {}
        }
    }
    if p.has_install_script {
        report(
            Code::InstallScript,
            rules.install_scripts,
            "runs scripts at install time".to_owned(),
        );
    }
    if let Some(alias) = &p.alias {
        report(
            Code::NpmAlias,
            rules.aliases,
            format!("installed under the name {alias:?}"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_match_exactly_or_as_a_path_prefix() {
        let r = vec![
            "https://registry.npmjs.org/".to_owned(),
            "https://corp.test/npm".to_owned(),
        ];
        assert!(registry_allowed("https://registry.npmjs.org", &r));
        assert!(registry_allowed("https://corp.test/npm/team/", &r));
        assert!(!registry_allowed("https://corp.test/npm-evil/", &r));
        assert!(!registry_allowed(
            "https://registry.npmjs.org.evil.test/",
            &r
        ));
    }

    #[test]
    fn plain_http_and_git_protocol_urls_are_insecure() {
        let tarball = |u: &str| Source::Tarball { url: u.into() };
        assert!(insecure_url(&tarball("http://cdn.test/a.tgz")).is_some());
        assert!(insecure_url(&tarball("HTTP://cdn.test/a.tgz")).is_some());
        assert!(insecure_url(&tarball("https://cdn.test/a.tgz")).is_none());
        let git = |u: &str| Source::Git {
            url: u.into(),
            rev: None,
        };
        assert!(insecure_url(&git("git://github.com/a/b.git")).is_some());
        assert!(insecure_url(&git("git+http://github.com/a/b.git")).is_some());
        assert!(insecure_url(&git("git+ssh://git@github.com/a/b.git")).is_none());
        assert!(
            insecure_url(&Source::Registry {
                url: Some("http://registry.test/".into())
            })
            .is_some()
        );
        assert!(insecure_url(&Source::Registry { url: None }).is_none());
    }

    #[test]
    fn only_forty_hex_digits_pin_a_commit() {
        assert!(is_full_commit("0f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a"));
        assert!(!is_full_commit("0f3c2a1"));
        assert!(!is_full_commit("main"));
        assert!(!is_full_commit("0f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4g"));
    }
}
