//! The registry a JavaScript package manager downloads from when its lockfile does not say:
//! npm with `omit-lockfile-registry-resolved`, pnpm and yarn berry record no registry for
//! packages from the configured one. The project's own configuration beside the lockfile
//! (`.npmrc`, `.yarnrc.yml`) is read for it, and otherwise the package manager's default is
//! what it uses; either way the report says where the answer came from.

use std::collections::BTreeMap;
use std::path::Path;

use super::Format;
use super::yaml::{self, Node};
use crate::model::AssumedRegistry;

/// The largest configuration file read.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The registries a project is configured with: one for all packages, and per npm scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Configured {
    default: AssumedRegistry,
    scopes: BTreeMap<String, AssumedRegistry>,
}

impl Configured {
    /// The registry for package `name` (`@scope/name` may have its own).
    pub(super) fn for_package(&self, name: &str) -> AssumedRegistry {
        name.strip_prefix('@')
            .and_then(|n| n.split_once('/'))
            .and_then(|(scope, _)| self.scopes.get(scope))
            .unwrap_or(&self.default)
            .clone()
    }
}

fn read_small(path: &Path) -> Option<String> {
    if std::fs::metadata(path).ok()?.len() > MAX_CONFIG_BYTES {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// What the package manager of `format` is configured with in `project`.
pub(super) fn configured(project: &Path, format: Format) -> Configured {
    match format {
        Format::YarnBerry => yarnrc(project),
        _ => npmrc(project, format),
    }
}

fn assumed(url: &str, from: String) -> AssumedRegistry {
    AssumedRegistry {
        url: url.trim().trim_matches(['"', '\'']).to_owned(),
        from,
    }
}

/// A configured URL fit to be judged and shown: short, without control characters. Others are
/// ignored, as the package manager would fail on them.
fn usable(url: &str) -> bool {
    url.len() <= 4096 && !url.chars().any(char::is_control)
}

/// `.npmrc` beside the lockfile: `registry=URL` and `@scope:registry=URL`.
fn npmrc(project: &Path, format: Format) -> Configured {
    let (default_url, manager) = match format {
        Format::YarnClassic => ("https://registry.yarnpkg.com/", "yarn"),
        Format::Pnpm => ("https://registry.npmjs.org/", "pnpm"),
        _ => ("https://registry.npmjs.org/", "npm"),
    };
    let mut out = Configured {
        default: assumed(default_url, format!("{manager}'s default registry")),
        scopes: BTreeMap::new(),
    };
    let path = project.join(".npmrc");
    let Some(text) = read_small(&path) else {
        return out;
    };
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with([';', '#']) {
            continue;
        }
        let Some((key, value)) = line.split_once('=').filter(|(k, v)| usable(k) && usable(v))
        else {
            continue;
        };
        let from = format!("{} ({})", path.display(), key.trim());
        match key.trim() {
            "registry" => out.default = assumed(value, from),
            key => {
                if let Some(scope) = key
                    .strip_prefix('@')
                    .and_then(|k| k.strip_suffix(":registry"))
                {
                    out.scopes.insert(scope.to_owned(), assumed(value, from));
                }
            }
        }
    }
    out
}

/// `.yarnrc.yml` beside the lockfile: `npmRegistryServer`, and `npmScopes.<scope>.npmRegistryServer`.
fn yarnrc(project: &Path) -> Configured {
    let mut out = Configured {
        default: assumed(
            "https://registry.yarnpkg.com/",
            "yarn's default registry".to_owned(),
        ),
        scopes: BTreeMap::new(),
    };
    let path = project.join(".yarnrc.yml");
    let Some(doc) = read_small(&path).and_then(|t| yaml::load(&t, 16).ok()) else {
        return out;
    };
    let Some(root) = doc.as_map() else {
        return out;
    };
    if let Some(url) = root
        .get("npmRegistryServer")
        .and_then(Node::as_str)
        .filter(|u| usable(u))
    {
        out.default = assumed(url, format!("{} (npmRegistryServer)", path.display()));
    }
    let scopes = root.get("npmScopes").and_then(Node::as_map);
    for (scope, settings) in scopes.into_iter().flatten() {
        if let Some(url) = settings
            .as_map()
            .and_then(|m| m.get("npmRegistryServer"))
            .and_then(Node::as_str)
            .filter(|u| usable(u) && usable(scope))
        {
            let from = format!("{} (npmScopes.{scope})", path.display());
            out.scopes.insert(scope.clone(), assumed(url, from));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npmrc_and_yarnrc_registries_with_scopes() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        assert_eq!(
            configured(d, Format::Npm).for_package("a").url,
            "https://registry.npmjs.org/"
        );
        std::fs::write(
            d.join(".npmrc"),
            "; comment\nregistry=https://npm.corp.test/\n@acme:registry = \"https://acme.test/npm/\"\n",
        )
        .unwrap();
        let c = configured(d, Format::Pnpm);
        assert_eq!(c.for_package("a").url, "https://npm.corp.test/");
        assert!(c.for_package("a").from.contains(".npmrc (registry)"));
        assert_eq!(c.for_package("@acme/x").url, "https://acme.test/npm/");
        std::fs::write(
            d.join(".yarnrc.yml"),
            "npmRegistryServer: \"https://yarn.corp.test\"\nnpmScopes:\n  acme:\n    npmRegistryServer: https://acme.test/\n",
        )
        .unwrap();
        std::fs::write(
            d.join(".npmrc"),
            "registry=https://npm.corp.test/\n@evil:registry=https://x.test/\u{1b}[2J\n",
        )
        .unwrap();
        let c = configured(d, Format::Npm);
        assert_eq!(
            c.for_package("@evil/x").url,
            "https://npm.corp.test/",
            "a URL with control characters is ignored"
        );
        let y = configured(d, Format::YarnBerry);
        assert_eq!(y.for_package("b").url, "https://yarn.corp.test");
        assert_eq!(y.for_package("@acme/b").url, "https://acme.test/");
    }
}
