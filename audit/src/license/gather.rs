//! Licenses from package manifests on disk, for packages whose lockfile does not carry one:
//! `node_modules/<name>/package.json` beside an npm, yarn or pnpm lockfile (and pnpm's
//! `node_modules/.pnpm` store), and for crates the Cargo registry's source cache
//! (`$CARGO_HOME/registry/src/*/<name>-<version>/Cargo.toml`), its download cache
//! (`$CARGO_HOME/registry/cache/*/<name>-<version>.crate`, used only when the archive's SHA-256
//! equals the lockfile's checksum), or vendored sources.
//!
//! A manifest is used only when its version matches the locked one. Missing, oversized or
//! unreadable manifests leave the license unknown, which the license check reports.

use std::path::{Path, PathBuf};

use serde_json::Value;

use std::collections::HashMap;

use crate::model::{Ecosystem, Package, Source};

/// The largest manifest read.
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;
/// The largest `.crate` archive opened (crates.io refuses uploads over 10 MiB by default).
const MAX_CRATE_BYTES: u64 = 64 * 1024 * 1024;
/// The most bytes decompressed from one archive while looking for its manifest.
const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;

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

/// The longest license text taken from a manifest; longer ones, and ones with control
/// characters, are ignored (left unknown) rather than carried into reports.
const MAX_LICENSE_BYTES: usize = 4096;

fn acceptable(license: String) -> Option<String> {
    (license.len() <= MAX_LICENSE_BYTES && !license.chars().any(char::is_control))
        .then_some(license)
}

/// Fills in `license` for every package that has none, from manifests on disk.
pub fn fill(packages: &mut [Package], sources: &ManifestSources) {
    let registry = |sub: &str| -> Vec<PathBuf> {
        sources
            .cargo_home
            .iter()
            .flat_map(|home| std::fs::read_dir(home.join("registry").join(sub)).into_iter())
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect()
    };
    let dirs = CargoDirs {
        sources: registry("src"),
        archives: registry("cache"),
        vendor: &sources.vendor_dirs,
    };
    // Without any source (`--no-manifests`), nothing on disk is read, path dependencies' own
    // manifests included.
    if *sources == ManifestSources::default() {
        return;
    }
    let mut installed: HashMap<PathBuf, Installed> = HashMap::new();
    for p in packages.iter_mut().filter(|p| p.license.is_none()) {
        p.license = match p.ecosystem {
            Ecosystem::Npm if sources.node_modules => {
                // The whole tree is scanned only once a package is not where it is expected.
                let local = matches!(p.source, Source::Path { path: Some(_) });
                npm_license(p).or_else(|| {
                    if local {
                        return None; // What is locked is that folder, not a copy elsewhere.
                    }
                    let dir = p.lockfile.parent().unwrap_or(Path::new(".")).to_path_buf();
                    installed
                        .entry(dir.clone())
                        .or_insert_with(|| Installed::scan(&dir))
                        .get(&p.name, &p.version)
                })
            }
            Ecosystem::Npm => None,
            Ecosystem::Cargo => cargo_license(p, &dirs),
        }
        .and_then(acceptable);
        if p.license.is_none() && (p.ecosystem == Ecosystem::Cargo || sources.node_modules) {
            // Cargo always looks in path dependencies' folders, and in the caches it is given.
            p.license_searched = Some(searched(p));
        }
    }
}

/// Where a package's license was looked for, for a package where it was not found.
fn searched(p: &Package) -> String {
    let project = p.lockfile.parent().unwrap_or(Path::new("."));
    let kind = match p.ecosystem {
        Ecosystem::Cargo => "Cargo.toml",
        Ecosystem::Npm => "package.json",
    };
    if let Source::Path { path: Some(folder) } = &p.source {
        return format!(
            "no license in the lockfile, and no {kind} declaring one in the folder {folder}"
        );
    }
    match p.ecosystem {
        Ecosystem::Cargo => "no license in a Cargo.toml of this version in the registry cache, \
                             the vendor directories or a path dependency's folder"
            .to_owned(),
        Ecosystem::Npm if project.join(".pnp.cjs").is_file() => format!(
            "no license in the lockfile, and no package.json of version {} in the zip archives \
             .pnp.cjs points at or in .yarn/cache (run `yarn install` to fill the cache, or \
             clarify the license in the policy)",
            p.version
        ),
        Ecosystem::Npm if project.join("node_modules").is_dir() => format!(
            "no license in the lockfile, and no package.json of version {} under node_modules",
            p.version
        ),
        Ecosystem::Npm => "no license in the lockfile, and node_modules is not installed beside \
                           it: install the packages (with --ignore-scripts) before auditing, or \
                           clarify the license in the policy"
            .to_owned(),
    }
}

/// The most manifests indexed under one project's `node_modules`.
const MAX_INSTALLED: usize = 200_000;
/// The deepest `node_modules/a/node_modules/b/...` nesting followed.
const MAX_NESTING: usize = 32;

/// Every package installed under a project's `node_modules`, nested copies and pnpm's
/// `.pnpm` store included (whatever their folder is called: `a@1.0.0`, the peer-suffixed
/// `a@1.0.0_b@2.0.0` or `a@1.0.0(b@2.0.0)`), keyed by the name and version their own
/// `package.json` declares. Symbolic links are not followed: pnpm's and workspaces' links
/// point at folders that are indexed where they really are, or at the project's own code.
#[derive(Debug, Default)]
struct Installed {
    licenses: HashMap<(String, String), Option<String>>,
}

impl Installed {
    fn scan(project: &Path) -> Self {
        let mut index = Self::default();
        let mut queue = vec![(project.join("node_modules"), 0usize)];
        let mut visited = 0usize;
        while let Some((dir, depth)) = queue.pop() {
            visited += 1;
            if depth > MAX_NESTING
                || index.licenses.len() >= MAX_INSTALLED
                || visited > 4 * MAX_INSTALLED
            {
                continue;
            }
            for entry in real_dirs(&dir) {
                let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if name == ".pnpm" {
                    for store in real_dirs(&entry) {
                        queue.push((store.join("node_modules"), depth + 1));
                    }
                } else if name.starts_with('@') {
                    for scoped in real_dirs(&entry) {
                        index.add(&scoped, &mut queue, depth);
                    }
                } else if !name.starts_with('.') {
                    index.add(&entry, &mut queue, depth);
                }
            }
        }
        // Yarn Plug'n'Play: no node_modules, the packages stay in yarn's cache archives.
        let locations = super::pnp::locations(project);
        for (archive, inner) in &locations.archived {
            for text in super::pnp::archive_manifests(archive, inner) {
                if let Ok(manifest) = serde_json::from_str::<Value>(&text) {
                    index.insert(&manifest, None);
                }
            }
        }
        for folder in &locations.folders {
            if let Some(manifest) = read_small(&folder.join("package.json"))
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            {
                index.insert(&manifest, None);
            }
        }
        index
    }

    /// Indexes one manifest under its own name (or `folder`'s) and version.
    fn insert(&mut self, manifest: &Value, folder: Option<String>) {
        if self.licenses.len() >= MAX_INSTALLED {
            return;
        }
        let field = |k: &str| manifest.get(k).and_then(Value::as_str).map(str::to_owned);
        if let (Some(name), Some(version)) = (field("name").or(folder), field("version")) {
            self.licenses
                .entry((name, version))
                .or_insert_with(|| npm_manifest_license(manifest));
        }
    }

    fn add(&mut self, dir: &Path, queue: &mut Vec<(PathBuf, usize)>, depth: usize) {
        if let Some(manifest) = read_small(&dir.join("package.json"))
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        {
            // A manifest without a name is named by its folder (`@scope/name` for a scoped one).
            let folder = || {
                let own = dir.file_name()?.to_str()?;
                let parent = dir.parent()?.file_name()?.to_str()?;
                Some(if parent.starts_with('@') {
                    format!("{parent}/{own}")
                } else {
                    own.to_owned()
                })
            };
            self.insert(&manifest, folder());
        }
        queue.push((dir.join("node_modules"), depth + 1));
    }

    fn get(&self, name: &str, version: &str) -> Option<String> {
        self.licenses
            .get(&(name.to_owned(), version.to_owned()))
            .cloned()
            .flatten()
    }
}

/// The directories (not symbolic links) in `dir`, sorted so that the scan is deterministic.
fn real_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// The license of the copy where the lockfile places the package, or of the hoisted one, or of
/// a local folder dependency.
fn npm_license(p: &Package) -> Option<String> {
    let dir = p.lockfile.parent().unwrap_or(Path::new("."));
    if let Source::Path { path: Some(path) } = &p.source {
        // A local directory dependency: what is locked is the directory, whatever its version.
        let manifest: Value =
            serde_json::from_str(&read_small(&dir.join(path).join("package.json"))?).ok()?;
        return npm_manifest_license(&manifest);
    }
    let installed_as = p.alias.as_deref().unwrap_or(&p.name);
    let mut candidates = Vec::new();
    if let Some(loc) = p
        .location
        .as_deref()
        .filter(|l| l.starts_with("node_modules/"))
    {
        candidates.push(dir.join(loc));
    }
    candidates.push(dir.join("node_modules").join(installed_as));
    candidates.into_iter().find_map(|c| {
        let manifest: Value = serde_json::from_str(&read_small(&c.join("package.json"))?).ok()?;
        if manifest.get("version").and_then(Value::as_str) != Some(p.version.as_str()) {
            return None;
        }
        npm_manifest_license(&manifest)
    })
}

/// `license` as a string, `{ "type": ... }` or an array of either, or the old `licenses`
/// array; array entries are alternatives, joined with `OR`.
fn npm_manifest_license(manifest: &Value) -> Option<String> {
    crate::license::from_manifest(manifest.get("license"), manifest.get("licenses"))
}

struct CargoDirs<'a> {
    sources: Vec<PathBuf>,
    archives: Vec<PathBuf>,
    vendor: &'a [PathBuf],
}

fn cargo_license(p: &Package, dirs: &CargoDirs<'_>) -> Option<String> {
    if let Source::Path { path: Some(path) } = &p.source {
        let dir = p.lockfile.parent().unwrap_or(Path::new(".")).join(path);
        return read_small(&dir.join("Cargo.toml")).and_then(|t| manifest_license(p, &t));
    }
    let versioned = format!("{}-{}", p.name, p.version);
    let unpacked = dirs
        .sources
        .iter()
        .map(|d| d.join(&versioned))
        .chain(dirs.vendor.iter().map(|d| d.join(&versioned)))
        .chain(dirs.vendor.iter().map(|d| d.join(&p.name)));
    for dir in unpacked {
        if let Some(l) = read_small(&dir.join("Cargo.toml")).and_then(|t| manifest_license(p, &t)) {
            return Some(l);
        }
    }
    let checksum = p
        .integrity
        .iter()
        .find(|i| i.algorithm == crate::model::HashAlgorithm::Sha256)?;
    dirs.archives.iter().find_map(|d| {
        let text = archive_manifest(
            &d.join(format!("{versioned}.crate")),
            &checksum.hex,
            &versioned,
        )?;
        manifest_license(p, &text)
    })
}

/// The `license` of a Cargo.toml, if it is for this package's version.
fn manifest_license(p: &Package, text: &str) -> Option<String> {
    let manifest = text.parse::<toml::Table>().ok()?;
    let package = manifest.get("package")?;
    if package.get("version").and_then(toml::Value::as_str) != Some(p.version.as_str()) {
        return None;
    }
    Some(package.get("license")?.as_str()?.to_owned())
}

/// `<versioned>/Cargo.toml` from a `.crate` archive whose SHA-256 is `sha256_hex`.
fn archive_manifest(path: &Path, sha256_hex: &str, versioned: &str) -> Option<String> {
    use std::io::Read as _;
    if std::fs::metadata(path).ok()?.len() > MAX_CRATE_BYTES {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    if hex::encode(digest) != sha256_hex {
        return None;
    }
    let unpacked = flate2::read::GzDecoder::new(bytes.as_slice()).take(MAX_UNPACKED_BYTES);
    let mut archive = tar::Archive::new(unpacked);
    let wanted = Path::new(versioned).join("Cargo.toml");
    for entry in archive.entries().ok()? {
        let entry = entry.ok()?;
        if entry.path().ok()?.as_ref() != wanted {
            continue;
        }
        if entry.size() > MAX_MANIFEST_BYTES {
            return None;
        }
        let mut text = String::new();
        entry
            .take(MAX_MANIFEST_BYTES)
            .read_to_string(&mut text)
            .ok()?;
        return Some(text);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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
            &d.join("node_modules/evil/package.json"),
            r#"{"version":"1.0.0","license":"MIT\u001b[2J"}"#,
        );
        write(
            &d.join("node_modules/.pnpm/@s+c@2.0.0/node_modules/@s/c/package.json"),
            r#"{"version":"2.0.0","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]}"#,
        );
        let mut pkgs = vec![
            npm(d, "a", "1.0.0"),
            npm(d, "b", "1.0.0"),
            npm(d, "@s/c", "2.0.0"),
            npm(d, "evil", "1.0.0"),
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
        assert_eq!(pkgs[2].license.as_deref(), Some("MIT OR Apache-2.0"));
        assert_eq!(
            pkgs[3].license, None,
            "control characters are not carried into reports"
        );
    }

    #[test]
    fn pnpm_store_folders_of_every_naming_form_are_found() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        for (folder, name, version, license) in [
            // pnpm 7 and 8: peers after an underscore.
            (
                "react-dom@18.2.0_react@18.3.1",
                "react-dom",
                "18.2.0",
                "MIT",
            ),
            // The v9 lockfile form, as a folder.
            ("use-sync@1.2.0(react@18.3.1)", "use-sync", "1.2.0", "ISC"),
            // A name shortened and hashed by pnpm's virtual-store-dir-max-length.
            (
                "@scope+long-name@1.0.0_3f2a9c",
                "@scope/long-name",
                "1.0.0",
                "0BSD",
            ),
        ] {
            write(
                &d.join("node_modules/.pnpm")
                    .join(folder)
                    .join("node_modules")
                    .join(name)
                    .join("package.json"),
                &format!(r#"{{"name":"{name}","version":"{version}","license":"{license}"}}"#),
            );
        }
        let mut pkgs = vec![
            npm(d, "react-dom", "18.2.0"),
            npm(d, "use-sync", "1.2.0"),
            npm(d, "@scope/long-name", "1.0.0"),
            npm(d, "react-dom", "18.3.1"),
        ];
        fill(
            &mut pkgs,
            &ManifestSources {
                node_modules: true,
                ..Default::default()
            },
        );
        let licenses: Vec<Option<&str>> = pkgs.iter().map(|p| p.license.as_deref()).collect();
        assert_eq!(licenses, [Some("MIT"), Some("ISC"), Some("0BSD"), None]);
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_link_loops_in_node_modules_are_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(
            &d.join("node_modules/a/package.json"),
            r#"{"name":"a","version":"1.0.0","license":"MIT"}"#,
        );
        std::os::unix::fs::symlink(
            d.join("node_modules"),
            d.join("node_modules/a/node_modules"),
        )
        .unwrap();
        std::os::unix::fs::symlink(d.join("node_modules"), d.join("node_modules/loop")).unwrap();
        let mut pkgs = vec![npm(d, "a", "1.0.0"), npm(d, "missing", "1.0.0")];
        fill(
            &mut pkgs,
            &ManifestSources {
                node_modules: true,
                ..Default::default()
            },
        );
        assert_eq!(pkgs[0].license.as_deref(), Some("MIT"));
        assert_eq!(pkgs[1].license, None);
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

    fn crate_archive(versioned: &str, manifest: &str) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(manifest.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(
            &mut header,
            format!("{versioned}/Cargo.toml"),
            manifest.as_bytes(),
        )
        .unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar.into_inner().unwrap()).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn crate_archives_are_read_only_when_their_checksum_matches() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("cargo");
        let bytes = crate_archive(
            "anstyle-wincon-3.0.11",
            "[package]\nname = \"anstyle-wincon\"\nversion = \"3.0.11\"\nlicense = \"MIT OR Apache-2.0\"\n",
        );
        let good = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
        write(
            &home.join("registry/cache/index.crates.io-x/anstyle-wincon-3.0.11.crate"),
            "",
        );
        std::fs::write(
            home.join("registry/cache/index.crates.io-x/anstyle-wincon-3.0.11.crate"),
            &bytes,
        )
        .unwrap();
        let krate = |sum: &str| {
            let mut p = Package::new(
                Ecosystem::Cargo,
                "anstyle-wincon".into(),
                "3.0.11".into(),
                Source::Registry { url: None },
                tmp.path().join("Cargo.lock"),
            );
            p.integrity.push(crate::model::Integrity {
                algorithm: crate::model::HashAlgorithm::Sha256,
                hex: sum.into(),
            });
            p
        };
        let mut pkgs = vec![krate(&good), krate(&"0".repeat(64))];
        fill(
            &mut pkgs,
            &ManifestSources {
                cargo_home: Some(home),
                ..Default::default()
            },
        );
        assert_eq!(pkgs[0].license.as_deref(), Some("MIT OR Apache-2.0"));
        assert_eq!(
            pkgs[1].license, None,
            "an archive that is not the locked one is not read"
        );
    }
}
