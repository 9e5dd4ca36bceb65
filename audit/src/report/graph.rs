//! The dependency graph for the CycloneDX SBOM: who depends on whom, by package URL, with the
//! application (`None`) depending on what the workspace members depend on.
//!
//! Edges come from the lockfiles that record them precisely: `Cargo.lock` (each package's
//! `dependencies`), npm `package-lock.json` version 2 and 3 (each location's dependencies,
//! resolved the way Node resolves them: the nearest `node_modules` folder up the tree), and
//! `pnpm-lock.yaml` 9 (importers' and snapshots' dependencies, peer suffixes dropped). The
//! lockfile is read again for its edges only, and used only when its SHA-256 still equals the
//! one audited. Packages from other lockfiles get no `dependencies` entry, which in CycloneDX
//! means "not known", rather than an empty one, which would mean "depends on nothing".

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read as _;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::Report;
use crate::lockfile::{Format, Limits, Lockfile};
use crate::model::Package;

/// Edges by component: `None` is the application.
pub(super) type Graph = BTreeMap<Option<String>, BTreeSet<String>>;

/// Reads the dependency edges of every lockfile that records them.
pub(super) fn of(report: &Report) -> Graph {
    let mut graph = Graph::new();
    for (l, scope) in report.lockfiles.iter().zip(&report.in_scope) {
        // The SBOM lists checked packages only; an edge to anything else is left out.
        let checked: Vec<Option<&Package>> = l
            .packages
            .iter()
            .zip(scope)
            .map(|(p, c)| c.then_some(p))
            .collect();
        let Some(bytes) = reread(l) else { continue };
        match l.format {
            Format::Cargo => cargo(l, &checked, &bytes, &mut graph),
            Format::Npm if l.version != "1" => npm(l, &checked, &bytes, &mut graph),
            Format::Pnpm if l.version.starts_with("9.") => pnpm(l, &checked, &bytes, &mut graph),
            _ => {}
        }
    }
    graph
}

/// The lockfile's bytes, if they are still the ones audited.
fn reread(l: &Lockfile) -> Option<Vec<u8>> {
    let limit = Limits::default().max_file_bytes;
    let mut bytes = Vec::new();
    std::fs::File::open(&l.path)
        .ok()?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    let digest = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
    (digest == l.sha256).then_some(bytes)
}

/// Adds `from -> to`, the application standing in for workspace members and dev-excluded or
/// unknown targets dropped.
fn edge(graph: &mut Graph, from: Option<&Package>, from_is_member: bool, to: Option<&Package>) {
    let key = match (from, from_is_member) {
        (_, true) => None,
        (Some(p), false) => Some(p.purl()),
        (None, false) => return,
    };
    let deps = graph.entry(key).or_default();
    if let Some(t) = to {
        deps.insert(t.purl());
    }
}

#[derive(Deserialize)]
struct CargoLock {
    #[serde(default)]
    package: Vec<CargoPackage>,
}

#[derive(Deserialize)]
struct CargoPackage {
    name: String,
    version: String,
    #[serde(default)]
    dependencies: Vec<String>,
}

fn cargo(l: &Lockfile, checked: &[Option<&Package>], bytes: &[u8], graph: &mut Graph) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(lock) = toml::from_str::<CargoLock>(text) else {
        return;
    };
    // The reader keeps Cargo.lock's order; find packages by name and version all the same.
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in l.packages.iter().enumerate() {
        by_name.entry(p.name.as_str()).or_default().push(i);
    }
    let find = |name: &str, version: Option<&str>| -> Option<usize> {
        let candidates = by_name.get(name)?;
        match version {
            None if candidates.len() == 1 => candidates.first().copied(),
            None => None,
            Some(v) => candidates
                .iter()
                .copied()
                .find(|&i| l.packages.get(i).is_some_and(|p| p.version == v)),
        }
    };
    for p in &lock.package {
        let Some(i) = find(&p.name, Some(&p.version)) else {
            continue;
        };
        let member = l.packages.get(i).is_some_and(Package::is_workspace);
        let from = checked.get(i).copied().flatten();
        edge(graph, from, member, None);
        for d in &p.dependencies {
            // `name`, `name version` or `name version (source)`.
            let mut parts = d.split(' ');
            let Some(name) = parts.next() else { continue };
            let to = find(name, parts.next()).and_then(|j| checked.get(j).copied().flatten());
            edge(graph, from, member, to);
        }
    }
}

#[derive(Deserialize)]
struct NpmLock<'a> {
    #[serde(borrow, default)]
    packages: HashMap<Cow<'a, str>, NpmEntry<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NpmEntry<'a> {
    #[serde(borrow, default)]
    dependencies: HashMap<Cow<'a, str>, IgnoredAny>,
    #[serde(borrow, default)]
    optional_dependencies: HashMap<Cow<'a, str>, IgnoredAny>,
    #[serde(borrow, default)]
    peer_dependencies: HashMap<Cow<'a, str>, IgnoredAny>,
    #[serde(default)]
    link: bool,
    #[serde(borrow, default)]
    resolved: Option<Cow<'a, str>>,
}

fn npm(l: &Lockfile, checked: &[Option<&Package>], bytes: &[u8], graph: &mut Graph) {
    let Ok(lock) = serde_json::from_slice::<NpmLock<'_>>(bytes) else {
        return;
    };
    let by_location: HashMap<&str, usize> = l
        .packages
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((p.location.as_deref()?, i)))
        .collect();
    // Node's lookup: `<from>/node_modules/<name>`, then each enclosing `node_modules` up to
    // the project's own; a link entry stands for the folder it points to.
    let resolve = |from: &str, name: &str| -> Option<String> {
        let mut base = from.to_owned();
        loop {
            let candidate = if base.is_empty() {
                format!("node_modules/{name}")
            } else {
                format!("{base}/node_modules/{name}")
            };
            if let Some(e) = lock.packages.get(candidate.as_str()) {
                return Some(match (&e.resolved, e.link) {
                    (Some(target), true) => target.to_string(),
                    _ => candidate,
                });
            }
            if base.is_empty() {
                return None;
            }
            base = match base.rfind("/node_modules/") {
                Some(i) => base[..i].to_owned(),
                None => String::new(),
            };
        }
    };
    for (location, entry) in &lock.packages {
        if entry.link {
            continue;
        }
        let index = by_location.get(location.as_ref()).copied();
        let member = location.is_empty()
            || index
                .and_then(|i| l.packages.get(i))
                .is_some_and(Package::is_workspace);
        let from = index.and_then(|i| checked.get(i).copied().flatten());
        edge(graph, from, member, None);
        let names = entry
            .dependencies
            .keys()
            .chain(entry.optional_dependencies.keys())
            .chain(entry.peer_dependencies.keys());
        for name in names {
            let to = resolve(location, name)
                .and_then(|target| by_location.get(target.as_str()).copied())
                .and_then(|j| checked.get(j).copied().flatten());
            edge(graph, from, member, to);
        }
    }
}

/// pnpm 9: the snapshot key a dependency's version points to. An alias's version is already a
/// key (`real@1.0.0`); a `link:` has no package.
fn pnpm_key(name: &str, version: &str) -> Option<String> {
    if version.starts_with("link:") {
        return None;
    }
    let key = if version.contains('@') && !version.starts_with(|c: char| c.is_ascii_digit()) {
        version.to_owned()
    } else {
        format!("{name}@{version}")
    };
    // The peer suffix (`18.3.1(react@18.3.1)`) names the same package.
    Some(key.split('(').next().unwrap_or(&key).to_owned())
}

fn pnpm(l: &Lockfile, checked: &[Option<&Package>], bytes: &[u8], graph: &mut Graph) {
    use yaml_rust2::{Yaml, YamlLoader};
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(docs) = YamlLoader::load_from_str(text) else {
        return;
    };
    let Some(doc) = docs.first() else { return };
    let by_location: HashMap<&str, usize> = l
        .packages
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((p.location.as_deref()?, i)))
        .collect();
    let target = |name: &Yaml, version: &Yaml| -> Option<&Package> {
        let version = match version {
            Yaml::String(v) => v.as_str(),
            Yaml::Hash(h) => h.get(&Yaml::String("version".into()))?.as_str()?,
            _ => return None,
        };
        let key = pnpm_key(name.as_str()?, version)?;
        checked
            .get(*by_location.get(key.as_str())?)
            .copied()
            .flatten()
    };
    const SECTIONS: [&str; 3] = ["dependencies", "optionalDependencies", "devDependencies"];
    let deps = |entry: &Yaml| -> Vec<(Yaml, Yaml)> {
        SECTIONS
            .iter()
            .filter_map(|s| entry[*s].as_hash())
            .flat_map(|h| h.iter().map(|(k, v)| (k.clone(), v.clone())))
            .collect()
    };
    // Every importer (the root and each workspace member) is the application's.
    if let Some(importers) = doc["importers"].as_hash() {
        for entry in importers.values() {
            edge(graph, None, true, None);
            for (name, version) in deps(entry) {
                edge(graph, None, true, target(&name, &version));
            }
        }
    }
    if let Some(snapshots) = doc["snapshots"].as_hash() {
        for (key, entry) in snapshots {
            let Some(key) = key.as_str() else { continue };
            let from = by_location
                .get(key.split('(').next().unwrap_or(key))
                .and_then(|&i| checked.get(i).copied().flatten());
            edge(graph, from, false, None);
            for (name, version) in deps(entry) {
                edge(graph, from, false, target(&name, &version));
            }
        }
    }
}
