//! pnpm-lock.yaml, lockfileVersion 5.x, 6.x and 9.x.
//!
//! Versions 5 and 6 mark `dev` and `optional` on each package; version 9 moved those facts into
//! the `importers` and `snapshots` sections, so dev-only status is derived by walking the
//! dependency graph from the importers' production dependencies.

use std::collections::{BTreeMap, BTreeSet};

use super::integrity::parse_sri;
use super::source::{classify_resolved, split_name_at};
use super::yaml::{self, Node};
use super::{Context, ErrorKind, truncate};
use crate::model::{Ecosystem, Package, Source};

type Map = BTreeMap<String, Node>;

fn malformed(at: &str, expected: &'static str, found: &str) -> ErrorKind {
    ErrorKind::Malformed {
        at: truncate(at),
        expected,
        found: truncate(found),
    }
}

fn map<'a>(node: &'a Node, at: &str) -> Result<&'a Map, ErrorKind> {
    node.as_map()
        .ok_or_else(|| malformed(at, "a mapping", node.describe()))
}

fn scalar<'a>(m: &'a Map, key: &'static str, at: &str) -> Result<Option<&'a str>, ErrorKind> {
    match m.get(key) {
        None => Ok(None),
        Some(Node::Scalar(s)) => Ok(Some(s)),
        Some(other) => Err(malformed(
            &format!("{at} \"{key}\""),
            "a scalar",
            other.describe(),
        )),
    }
}

fn flag(m: &Map, key: &'static str, at: &str) -> Result<bool, ErrorKind> {
    match scalar(m, key, at)? {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(malformed(
            &format!("{at} \"{key}\""),
            "true or false",
            other,
        )),
    }
}

/// Drops the peer-dependency suffix: `a@1.0.0(b@2.0.0)` (v6, v9) or `1.0.0_b@2.0.0` (v5).
fn strip_peers(key: &str, major: u32) -> &str {
    let key = key.split('(').next().unwrap_or(key);
    if major == 5 {
        key.split('_').next().unwrap_or(key)
    } else {
        key
    }
}

/// Reads name and version from a package key: `/a/1.0.0` (v5), `/a@1.0.0` (v6), `a@1.0.0` (v9).
fn split_key(key: &str, major: u32) -> Option<(&str, &str)> {
    let key = strip_peers(key, major);
    let key = key.strip_prefix('/').unwrap_or(key);
    if major == 5 {
        key.rsplit_once('/')
    } else {
        split_name_at(key)
    }
}

pub(super) fn parse(ctx: &Context<'_>, text: &str) -> Result<(String, Vec<Package>), ErrorKind> {
    let doc = yaml::load(text, ctx.limits.max_depth)?;
    let root = map(&doc, "the document")?;
    let version = scalar(root, "lockfileVersion", "the document")?.unwrap_or("none");
    let major = match version.split('.').next().map(str::parse::<u32>) {
        Some(Ok(m @ (5 | 6 | 9))) => m,
        _ => {
            return Err(ErrorKind::UnsupportedVersion {
                format: "pnpm-lock.yaml",
                expected: "lockfileVersion 5.x, 6.x or 9.x",
                found: truncate(version),
            });
        }
    };
    let empty = Map::new();
    let packages = match root.get("packages") {
        Some(p) => map(p, "packages")?,
        None => &empty,
    };
    let mut out = Vec::with_capacity(packages.len());
    for (key, entry) in packages {
        let e = map(entry, key)?;
        let from_key = split_key(key, major);
        let name = match scalar(e, "name", key)? {
            Some(n) => n,
            None => from_key
                .map(|(n, _)| n)
                .ok_or_else(|| malformed(key, "a key NAME@VERSION or a \"name\" field", key))?,
        };
        let version = match scalar(e, "version", key)? {
            Some(v) => v,
            None => from_key
                .map(|(_, v)| v)
                .ok_or_else(|| malformed(key, "a key NAME@VERSION or a \"version\" field", key))?,
        };
        let resolution = e
            .get("resolution")
            .ok_or_else(|| malformed(key, "a \"resolution\"", "none"))?;
        let resolution = map(resolution, key)?;
        let mut source = Source::Registry { url: None };
        if scalar(resolution, "type", key)? == Some("git") {
            let repo = scalar(resolution, "repo", key)?
                .ok_or_else(|| malformed(key, "a git \"repo\"", "none"))?;
            source = Source::Git {
                url: repo.to_owned(),
                rev: scalar(resolution, "commit", key)?.map(str::to_owned),
            };
        } else if let Some(dir) = scalar(resolution, "directory", key)? {
            source = Source::Path {
                path: Some(dir.to_owned()),
            };
        } else if let Some(tarball) = scalar(resolution, "tarball", key)? {
            source = classify_resolved(name, tarball);
        }
        let mut p = ctx.package(Ecosystem::Npm, name, version, source);
        if let Some(i) = scalar(resolution, "integrity", key)? {
            p.integrity = parse_sri(key, i)?;
        }
        p.dev = flag(e, "dev", key)?;
        p.optional = flag(e, "optional", key)?;
        p.has_install_script = flag(e, "requiresBuild", key)?;
        let platforms: Vec<String> = ["os", "cpu", "libc"]
            .iter()
            .filter_map(|k| match e.get(*k)? {
                Node::Seq(items) => {
                    let list: Vec<&str> = items.iter().filter_map(Node::as_str).collect();
                    (!list.is_empty()).then(|| format!("{k}: {}", list.join(", ")))
                }
                _ => None,
            })
            .collect();
        if !platforms.is_empty() {
            p.platforms = Some(platforms.join("; "));
        }
        p.location = Some(strip_peers(key, major).to_owned());
        out.push(p);
    }
    if major == 9 {
        mark_v9_dev_and_optional(root, &mut out)?;
    }
    out.extend(links(ctx, root)?);
    if major >= 6 {
        let aliases = aliases(root)?;
        for p in &mut out {
            let key = p.location.as_deref().map(|l| l.trim_start_matches('/'));
            if let Some(alias) = key.and_then(|k| aliases.get(k)) {
                p.alias = Some(alias.clone());
            }
        }
    }
    Ok((version.to_owned(), out))
}

/// `link:` dependencies of the importers that point outside the workspace (a link to another
/// importer is a workspace member, the project's own code). pnpm lists them only where they are
/// used, not under `packages`; each folder is listed once, with the version `0.0.0` until its
/// manifest is read.
fn links(ctx: &Context<'_>, root: &Map) -> Result<Vec<Package>, ErrorKind> {
    const SECTIONS: [&str; 3] = ["dependencies", "devDependencies", "optionalDependencies"];
    let mut out: Vec<Package> = Vec::new();
    let mut importers: Vec<(String, &Map)> = Vec::new();
    match root.get("importers") {
        Some(i) => {
            for (path, importer) in map(i, "importers")? {
                importers.push((path.clone(), map(importer, path)?));
            }
        }
        // Version 5 and 6 files of a single project keep its dependencies at the top.
        None => importers.push((".".to_owned(), root)),
    }
    let members: BTreeSet<String> = importers.iter().map(|(p, _)| normalize(p)).collect();
    let mut seen = BTreeSet::new();
    for (importer, deps) in &importers {
        for section in SECTIONS {
            let Some(deps) = deps.get(section).and_then(Node::as_map) else {
                continue;
            };
            for (name, dep) in deps {
                let version = match dep {
                    Node::Scalar(v) => v.as_str(),
                    Node::Map(m) => scalar(m, "version", name)?.unwrap_or_default(),
                    Node::Seq(_) => continue,
                };
                let Some(target) = version.strip_prefix("link:") else {
                    continue;
                };
                let target = normalize(&format!("{importer}/{target}"));
                if members.contains(&target) || !seen.insert(target.clone()) {
                    continue;
                }
                let source = Source::Path {
                    path: Some(target.clone()),
                };
                let mut p = ctx.package(Ecosystem::Npm, name, "0.0.0", source);
                p.dev = section == "devDependencies";
                p.optional = section == "optionalDependencies";
                p.location = Some(format!("link:{target}"));
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// A relative path with `.` and `dir/..` removed (`packages/a/../../lib` is `../lib`).
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// Aliases (`"foo": "npm:real@^1"`), found where a dependency's resolved version names another
/// package: `real@1.0.0` (v9) or `/real@1.0.0` (v6). Maps `real@1.0.0` to `foo`.
fn aliases(root: &Map) -> Result<BTreeMap<String, String>, ErrorKind> {
    const SECTIONS: [&str; 3] = ["dependencies", "devDependencies", "optionalDependencies"];
    let mut owners: Vec<&Map> = vec![root];
    for group in ["importers", "packages", "snapshots"] {
        if let Some(g) = root.get(group) {
            for (key, entry) in map(g, group)? {
                owners.push(map(entry, key)?);
            }
        }
    }
    let mut out = BTreeMap::new();
    for owner in owners {
        for section in SECTIONS {
            let Some(deps) = owner.get(section).and_then(Node::as_map) else {
                continue;
            };
            for (name, dep) in deps {
                let version = match dep {
                    Node::Scalar(v) => v.as_str(),
                    Node::Map(m) => scalar(m, "version", name)?.unwrap_or_default(),
                    Node::Seq(_) => continue,
                };
                let resolved = strip_peers(version.trim_start_matches('/'), 9);
                if let Some((real, v)) = split_name_at(resolved) {
                    if real != name && v.starts_with(|c: char| c.is_ascii_digit()) {
                        out.insert(resolved.to_owned(), name.clone());
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Version 9: a package is dev-only when no importer's production or optional dependencies
/// reach it through `snapshots`; it is optional when its snapshots say so.
fn mark_v9_dev_and_optional(root: &Map, packages: &mut [Package]) -> Result<(), ErrorKind> {
    let empty = Map::new();
    let snapshots = match root.get("snapshots") {
        Some(s) => map(s, "snapshots")?,
        None => &empty,
    };
    let Some(importers) = root.get("importers") else {
        return Ok(());
    };
    let mut queue = Vec::new();
    for (path, importer) in map(importers, "importers")? {
        let importer = map(importer, path)?;
        for section in ["dependencies", "optionalDependencies"] {
            let Some(deps) = importer.get(section) else {
                continue;
            };
            for (name, dep) in map(deps, path)? {
                let version = match dep {
                    Node::Scalar(v) => Some(v.as_str()),
                    Node::Map(m) => scalar(m, "version", name)?,
                    Node::Seq(_) => None,
                };
                if let Some(v) = version {
                    queue.push(snapshot_key(name, v));
                }
            }
        }
    }
    let mut reached = BTreeSet::new();
    while let Some(key) = queue.pop() {
        if !reached.insert(key.clone()) {
            continue;
        }
        let Some(snapshot) = snapshots.get(&key) else {
            continue;
        };
        let snapshot = map(snapshot, &key)?;
        for section in ["dependencies", "optionalDependencies"] {
            if let Some(deps) = snapshot.get(section) {
                for (name, v) in map(deps, &key)? {
                    if let Some(v) = v.as_str() {
                        queue.push(snapshot_key(name, v));
                    }
                }
            }
        }
    }
    let prod: BTreeSet<&str> = reached.iter().map(|k| strip_peers(k, 9)).collect();
    let known: BTreeSet<&str> = packages
        .iter()
        .filter_map(|p| p.location.as_deref())
        .collect();
    let mut optional = BTreeSet::new();
    for (key, snapshot) in snapshots {
        if !known.contains(strip_peers(key, 9)) {
            return Err(malformed(
                key,
                "a \"packages\" entry for every snapshot",
                "none",
            ));
        }
        if flag(map(snapshot, key)?, "optional", key)? {
            optional.insert(strip_peers(key, 9));
        }
    }
    for p in packages {
        let Some(location) = p.location.as_deref() else {
            continue;
        };
        p.dev = !prod.contains(location);
        p.optional |= optional.contains(location);
    }
    Ok(())
}

/// The snapshot key an importer or snapshot dependency points to. An alias's version is
/// already a full key (`real@1.0.0`); a local link has none.
fn snapshot_key(name: &str, version: &str) -> String {
    if version.contains('@') && !version.starts_with(|c: char| c.is_ascii_digit()) {
        version.to_owned()
    } else {
        format!("{name}@{version}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_every_major_version() {
        assert_eq!(split_key("/a/1.0.0_b@2.0.0", 5), Some(("a", "1.0.0")));
        assert_eq!(split_key("/@s/a/1.0.0", 5), Some(("@s/a", "1.0.0")));
        assert_eq!(
            split_key("/@s/a@1.0.0(b@2.0.0)", 6),
            Some(("@s/a", "1.0.0"))
        );
        assert_eq!(split_key("a@1.0.0", 9), Some(("a", "1.0.0")));
    }

    #[test]
    fn v6_aliases_are_found_in_importers() {
        let text = "lockfileVersion: '6.0'\ndependencies:\n  old-react:\n    specifier: npm:react@^17\n    version: /react@17.0.2\npackages:\n  /react@17.0.2:\n    resolution: {integrity: sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=}\n";
        let ctx = Context {
            path: std::path::Path::new("pnpm-lock.yaml"),
            limits: &super::super::Limits::default(),
        };
        let (_, pkgs) = parse(&ctx, text).unwrap();
        assert_eq!(pkgs[0].alias.as_deref(), Some("old-react"));
    }

    #[test]
    fn link_targets_are_normalized_against_their_importer() {
        assert_eq!(normalize("packages/a/../b"), "packages/b");
        assert_eq!(normalize("./../outside-lib"), "../outside-lib");
        assert_eq!(normalize("packages/a/../../../lib"), "../lib");
        assert_eq!(normalize("."), ".");
    }

    #[test]
    fn alias_versions_are_full_snapshot_keys() {
        assert_eq!(snapshot_key("foo", "real@1.0.0"), "real@1.0.0");
        assert_eq!(snapshot_key("foo", "1.0.0(b@2)"), "foo@1.0.0(b@2)");
    }
}
