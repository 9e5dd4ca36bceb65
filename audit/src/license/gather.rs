//! Licenses from package manifests on disk, for packages whose lockfile does not carry one:
//! `node_modules/<name>/package.json` beside an npm, yarn or pnpm lockfile (and pnpm's
//! `node_modules/.pnpm` store), and for crates the Cargo registry's source cache
//! (`$CARGO_HOME/registry/src/*/<name>-<version>/Cargo.toml`) or vendored sources.
//!
//! A manifest is used only when its version matches the locked one. Missing, oversized or
//! unreadable manifests leave the license unknown, which the license check reports.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::model::{Ecosystem, Package};

/// The largest manifest read.
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// Where to look for manifests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestSources {
    /// Cargo's home (`$CARGO_HOME`, usually `~/.cargo`), for its registry source cache.
    pub cargo_home: Option<PathBuf>,
    /// Directories of vendored crates (`cargo vendor` output).
    pub vendor_dirs: Vec<PathBuf>,
    /// Whether to read `node_modules` beside JavaScript lockfiles.
    pub node_modules: bool,
}

fn read_small(path: &Path) -> Option<String> {
    if std::fs::metadata(path).ok()?.len() > MAX_MANIFEST_BYTES {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// Fills in `license` for every package that has none, from manifests on disk.
pub fn fill(packages: &mut [Package], sources: &ManifestSources) {
    let registry_dirs: Vec<PathBuf> = sources
        .cargo_home
        .iter()
        .flat_map(|home| std::fs::read_dir(home.join("registry").join("src")).into_iter())
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    for p in packages.iter_mut().filter(|p| p.license.is_none()) {
        p.license = match p.ecosystem {
            Ecosystem::Npm if sources.node_modules => npm_license(p),
            Ecosystem::Npm => None,
            Ecosystem::Cargo => cargo_license(p, &registry_dirs, &sources.vendor_dirs),
        };
    }
}

fn npm_license(p: &Package) -> Option<String> {
    let dir = p.lockfile.parent().unwrap_or(Path::new("."));
    let installed = p.alias.as_deref().unwrap_or(&p.name);
    let mut candidates = Vec::new();
    if let Some(loc) = p
        .location
        .as_deref()
        .filter(|l| l.starts_with("node_modules/"))
    {
        candidates.push(dir.join(loc));
    }
    candidates.push(dir.join("node_modules").join(installed));
    let store = format!("{}@{}", p.name.replace('/', "+"), p.version);
    candidates.push(
        dir.join("node_modules")
            .join(".pnpm")
            .join(store)
            .join("node_modules")
            .join(&p.name),
    );
    candidates.into_iter().find_map(|c| {
        let manifest: Value = serde_json::from_str(&read_small(&c.join("package.json"))?).ok()?;
        if manifest.get("version").and_then(Value::as_str) != Some(p.version.as_str()) {
            return None;
        }
        npm_manifest_license(&manifest)
    })
}

/// `license` as a string or `{ "type": ... }`, or the old `licenses` array (all of which
/// apply, so they are joined with AND).
fn npm_manifest_license(manifest: &Value) -> Option<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("type").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    if let Some(l) = manifest.get("license").and_then(one) {
        return Some(l);
    }
    let all: Vec<String> = manifest
        .get("licenses")?
        .as_array()?
        .iter()
        .filter_map(one)
        .collect();
    match all.len() {
        0 => None,
        1 => all.into_iter().next(),
        _ => Some(
            all.iter()
                .map(|l| format!("({l})"))
                .collect::<Vec<_>>()
                .join(" AND "),
        ),
    }
}

fn cargo_license(
    p: &Package,
    registry_dirs: &[PathBuf],
    vendor_dirs: &[PathBuf],
) -> Option<String> {
    let versioned = format!("{}-{}", p.name, p.version);
    let candidates = registry_dirs
        .iter()
        .map(|d| d.join(&versioned))
        .chain(vendor_dirs.iter().map(|d| d.join(&versioned)))
        .chain(vendor_dirs.iter().map(|d| d.join(&p.name)));
    for dir in candidates {
        let Some(text) = read_small(&dir.join("Cargo.toml")) else {
            continue;
        };
        let Ok(manifest) = text.parse::<toml::Table>() else {
            continue;
        };
        let Some(package) = manifest.get("package") else {
            continue;
        };
        if package.get("version").and_then(toml::Value::as_str) != Some(p.version.as_str()) {
            continue;
        }
        if let Some(l) = package.get("license").and_then(toml::Value::as_str) {
            return Some(l.to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Source;

    fn npm(dir: &Path, name: &str, version: &str) -> Package {
        Package::new(
            Ecosystem::Npm,
            name.into(),
            version.into(),
            Source::Registry { url: None },
            dir.join("yarn.lock"),
        )
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn npm_manifests_of_the_locked_version_only() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(
            &d.join("node_modules/a/package.json"),
            r#"{"version":"1.0.0","license":"MIT"}"#,
        );
        write(
            &d.join("node_modules/b/package.json"),
            r#"{"version":"9.9.9","license":"MIT"}"#,
        );
        write(
            &d.join("node_modules/.pnpm/@s+c@2.0.0/node_modules/@s/c/package.json"),
            r#"{"version":"2.0.0","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]}"#,
        );
        let mut pkgs = vec![
            npm(d, "a", "1.0.0"),
            npm(d, "b", "1.0.0"),
            npm(d, "@s/c", "2.0.0"),
        ];
        fill(
            &mut pkgs,
            &ManifestSources {
                node_modules: true,
                ..Default::default()
            },
        );
        assert_eq!(pkgs[0].license.as_deref(), Some("MIT"));
        assert_eq!(pkgs[1].license, None);
        assert_eq!(pkgs[2].license.as_deref(), Some("(MIT) AND (Apache-2.0)"));
    }

    #[test]
    fn crates_from_the_registry_cache_and_vendor_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("cargo");
        write(
            &home.join("registry/src/index.crates.io-1949cf8c6b5b557f/itoa-1.0.19/Cargo.toml"),
            "[package]\nname = \"itoa\"\nversion = \"1.0.19\"\nlicense = \"MIT OR Apache-2.0\"\n",
        );
        let vendor = tmp.path().join("vendor");
        write(
            &vendor.join("libc/Cargo.toml"),
            "[package]\nname = \"libc\"\nversion = \"0.2.191\"\nlicense = \"MIT OR Apache-2.0\"\n",
        );
        let krate = |name: &str, version: &str| {
            Package::new(
                Ecosystem::Cargo,
                name.into(),
                version.into(),
                Source::Registry { url: None },
                tmp.path().join("Cargo.lock"),
            )
        };
        let mut pkgs = vec![
            krate("itoa", "1.0.19"),
            krate("libc", "0.2.191"),
            krate("serde", "1.0.0"),
        ];
        fill(
            &mut pkgs,
            &ManifestSources {
                cargo_home: Some(home),
                vendor_dirs: vec![vendor],
                node_modules: false,
            },
        );
        assert_eq!(pkgs[0].license.as_deref(), Some("MIT OR Apache-2.0"));
        assert_eq!(pkgs[1].license.as_deref(), Some("MIT OR Apache-2.0"));
        assert_eq!(pkgs[2].license, None);
    }
}
