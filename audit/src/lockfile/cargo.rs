//! Cargo.lock, versions 1 to 4, through the `cargo-lock` crate.

use std::collections::BTreeSet;
use std::path::Path;
use std::str::FromStr as _;

use cargo_lock::ResolveVersion;
use cargo_lock::package::SourceKind;

use super::{Context, ErrorKind, bounded};
use crate::model::{Ecosystem, HashAlgorithm, Integrity, Package, Source};

pub(super) fn parse(ctx: &Context<'_>, text: &str) -> Result<(String, Vec<Package>), ErrorKind> {
    check_checksums_are_ascii(text)?;
    let lockfile = cargo_lock::Lockfile::from_str(text).map_err(|e| ErrorKind::Cargo {
        message: bounded(&e.to_string()),
    })?;
    let version = match lockfile.version {
        ResolveVersion::V1 => "1",
        ResolveVersion::V2 => "2",
        ResolveVersion::V3 => "3",
        ResolveVersion::V4 => "4",
        // cargo-lock's enum is non-exhaustive: a newer format is refused, not guessed at.
        other => {
            return Err(ErrorKind::UnsupportedVersion {
                format: "Cargo.lock",
                expected: "1, 2, 3 or 4",
                found: format!("{other:?}"),
            });
        }
    };
    let mut out = Vec::with_capacity(lockfile.packages.len());
    let mut seen = BTreeSet::new();
    for p in &lockfile.packages {
        // Cargo never writes one package twice; a second entry could carry another checksum.
        let identity = (
            p.name.as_str(),
            p.version.to_string(),
            p.source.as_ref().map(ToString::to_string),
        );
        if !seen.insert(identity) {
            return Err(ErrorKind::Conflict {
                at: format!("{}@{}", p.name.as_str(), p.version),
                first: "a [[package]] entry".to_owned(),
                second: "another entry for the same package and source".to_owned(),
            });
        }
        let source = match &p.source {
            None => Source::Path { path: None },
            Some(id) => match id.kind() {
                SourceKind::Registry | SourceKind::SparseRegistry => Source::Registry {
                    url: Some(id.url().to_string()),
                },
                SourceKind::Git(_) => Source::Git {
                    url: id.url().to_string(),
                    rev: id.precise().map(str::to_owned),
                },
                SourceKind::Path | SourceKind::LocalRegistry | SourceKind::Directory => {
                    Source::Path {
                        path: Some(id.url().to_string()),
                    }
                }
                other => Source::Unrecognized {
                    spec: format!("{other:?} {}", id.url()),
                },
            },
        };
        let mut package = ctx.package(
            Ecosystem::Cargo,
            p.name.as_str(),
            &p.version.to_string(),
            source,
        );
        if let Some(sum) = &p.checksum {
            // cargo-lock has already checked the checksum's length and hex digits.
            if let Some(bytes) = sum.as_sha256() {
                package.integrity.push(Integrity {
                    algorithm: HashAlgorithm::Sha256,
                    hex: hex::encode(bytes),
                });
            }
        }
        out.push(package);
    }
    Ok((version.to_owned(), out))
}

/// The package names of the Cargo workspace whose root manifest is `manifest`: its own package,
/// its `members` (with `dir/*` globs expanded one level), and the path dependencies that reside
/// inside the workspace directory, which Cargo makes members too. Missing or unreadable
/// manifests give fewer names, never an error: this only refines sourceless packages.
pub(super) fn workspace_members(manifest: &Path, max_bytes: u64) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let Some(root) = read_manifest(manifest, max_bytes) else {
        return names;
    };
    let dir = manifest.parent().unwrap_or(Path::new("."));
    if let Some(name) = package_name(&root) {
        names.insert(name);
    }
    let members = root
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(toml::Value::as_array);
    let dependency_tables = [
        root.get("dependencies"),
        root.get("workspace").and_then(|w| w.get("dependencies")),
    ];
    let inner_paths = dependency_tables
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_table)
        .flat_map(|t| t.values())
        .filter_map(|dep| dep.get("path")?.as_str())
        .filter(|p| {
            Path::new(p).components().all(|c| {
                matches!(
                    c,
                    std::path::Component::Normal(_) | std::path::Component::CurDir
                )
            })
        });
    let listed = members
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_str);
    for member in listed.chain(inner_paths) {
        let dirs: Vec<std::path::PathBuf> = match member.strip_suffix("/*") {
            Some(parent) => std::fs::read_dir(dir.join(parent))
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
                .map(|e| e.path())
                .collect(),
            None => vec![dir.join(member)],
        };
        for d in dirs {
            if let Some(name) =
                read_manifest(&d.join("Cargo.toml"), max_bytes).and_then(|m| package_name(&m))
            {
                names.insert(name);
            }
        }
    }
    names
}

/// The most manifests read while following path dependencies.
const MAX_PATH_MANIFESTS: usize = 1000;

/// Path dependencies that live outside the workspace directory, by package name: the folder
/// each one's manifest is in, relative to the workspace root (`../shared/util`). Cargo.lock
/// lists them without a source, like workspace members; their manifests, found by following
/// the `path` keys of the root manifest, the members' and their own, tell where they are.
pub(super) fn outside_path_dependencies(
    manifest: &Path,
    max_bytes: u64,
) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let root = manifest.parent().unwrap_or(Path::new("."));
    let mut queue: Vec<std::path::PathBuf> = vec![std::path::PathBuf::new()];
    let mut seen = BTreeSet::new();
    if let Some(m) = read_manifest(manifest, max_bytes) {
        let members = m
            .get("workspace")
            .and_then(|w| w.get("members"))
            .and_then(toml::Value::as_array);
        for member in members
            .into_iter()
            .flatten()
            .filter_map(toml::Value::as_str)
        {
            match member.strip_suffix("/*") {
                Some(parent) => queue.extend(
                    std::fs::read_dir(root.join(parent))
                        .into_iter()
                        .flatten()
                        .filter_map(Result::ok)
                        .map(|e| Path::new(parent).join(e.file_name())),
                ),
                None => queue.push(member.into()),
            }
        }
    }
    while let Some(rel) = queue.pop() {
        let rel = lexically_normal(&rel);
        if !seen.insert(rel.clone()) || seen.len() > MAX_PATH_MANIFESTS {
            continue;
        }
        let Some(m) = read_manifest(&root.join(&rel).join("Cargo.toml"), max_bytes) else {
            continue;
        };
        let outside = rel.components().next() == Some(std::path::Component::ParentDir);
        if let (true, Some(name)) = (outside, package_name(&m)) {
            out.entry(name)
                .or_insert_with(|| rel.to_string_lossy().replace('\\', "/"));
        }
        let target_tables = m
            .get("target")
            .and_then(toml::Value::as_table)
            .into_iter()
            .flat_map(|t| t.values());
        let tables = [&m]
            .into_iter()
            .map(|t| toml::Value::Table(t.clone()))
            .chain(target_tables.cloned())
            .collect::<Vec<_>>();
        for table in &tables {
            for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
                let deps = table.get(key).and_then(toml::Value::as_table);
                for dep in deps.into_iter().flat_map(|d| d.values()) {
                    if let Some(path) = dep.get("path").and_then(toml::Value::as_str) {
                        queue.push(rel.join(path));
                    }
                }
            }
            let workspace_deps = table
                .get("workspace")
                .and_then(|w| w.get("dependencies"))
                .and_then(toml::Value::as_table);
            for dep in workspace_deps.into_iter().flat_map(|d| d.values()) {
                if let Some(path) = dep.get("path").and_then(toml::Value::as_str) {
                    queue.push(rel.join(path));
                }
            }
        }
    }
    out
}

/// `a/b/../c` as `a/c`, keeping leading `..` (no file system access, no symlink resolution).
fn lexically_normal(path: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut parts: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.iter().collect()
}

fn read_manifest(path: &Path, max_bytes: u64) -> Option<toml::Table> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > max_bytes {
        return None;
    }
    std::fs::read_to_string(path).ok()?.parse().ok()
}

fn package_name(manifest: &toml::Table) -> Option<String> {
    Some(manifest.get("package")?.get("name")?.as_str()?.to_owned())
}

/// Refuses a checksum that is not ASCII before `cargo-lock` sees it: it decodes checksums by
/// byte-index slices, which panic inside a character of several bytes.
fn check_checksums_are_ascii(text: &str) -> Result<(), ErrorKind> {
    let Ok(table) = text.parse::<toml::Table>() else {
        // Not TOML: cargo-lock reports the parse error with its position.
        return Ok(());
    };
    let packages = table.get("package").and_then(toml::Value::as_array);
    let package_sums = packages.into_iter().flatten().filter_map(|package| {
        let sum = package.get("checksum")?.as_str()?;
        let name = package
            .get("name")
            .and_then(toml::Value::as_str)
            .unwrap_or("?");
        Some((name.to_owned(), sum))
    });
    // Version 1 keeps checksums in [metadata] as "checksum NAME VERSION (SOURCE)" keys.
    let metadata = table.get("metadata").and_then(toml::Value::as_table);
    let metadata_sums = metadata.into_iter().flatten().filter_map(|(key, value)| {
        let name = key.strip_prefix("checksum ")?;
        Some((name.to_owned(), value.as_str()?))
    });
    for (package, sum) in package_sums.chain(metadata_sums) {
        if !sum.is_ascii() {
            return Err(ErrorKind::Cargo {
                message: bounded(&format!(
                    "the checksum of package {package} holds non-ASCII characters \
                     (expected 64 hex digits): regenerate the lockfile with cargo"
                )),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lockfile::Limits;

    const V4: &str = r#"version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["itoa"]

[[package]]
name = "itoa"
version = "1.0.11"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"
"#;

    #[test]
    fn v4_packages_with_checksums() {
        let ctx = Context {
            path: Path::new("Cargo.lock"),
            limits: &Limits::default(),
        };
        let (version, pkgs) = parse(&ctx, V4).unwrap();
        assert_eq!(version, "4");
        assert_eq!(pkgs[0].source, Source::Path { path: None });
        assert_eq!(pkgs[1].integrity[0].algorithm, HashAlgorithm::Sha256);
        assert!(
            matches!(&pkgs[1].source, Source::Registry { url: Some(u) } if u.contains("crates.io-index"))
        );
    }

    #[test]
    fn checksum_with_a_character_split_at_a_hex_pair_is_refused_not_a_panic() {
        let ctx = Context {
            path: Path::new("Cargo.lock"),
            limits: &Limits::default(),
        };
        // 64 bytes, with a two-byte character across the 31st hex pair.
        let sum = format!("{}é0", "0".repeat(61));
        let v1 = V4.replace("version = 4", "version = 3").replace(
            "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b",
            &sum,
        );
        let error = parse(&ctx, &v1).unwrap_err().to_string();
        assert!(
            error.contains("checksum of package itoa holds non-ASCII"),
            "{error}"
        );
        let metadata = format!(
            "[[package]]\nname = \"itoa\"\nversion = \"1.0.11\"\n\
             source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
             [metadata]\n\"checksum itoa 1.0.11 (registry+https://github.com/rust-lang/crates.io-index)\" = \"{sum}\"\n"
        );
        let error = parse(&ctx, &metadata).unwrap_err().to_string();
        assert!(error.contains("non-ASCII"), "{error}");
    }
}
