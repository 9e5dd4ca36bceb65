//! yarn.lock as written by yarn 2 and later (`__metadata` version 4 and newer: yarn 4 writes 8,
//! current yarn 4 releases 10): YAML whose keys are descriptor lists and whose entries carry
//! `resolution` and `checksum`. Newer metadata versions have changed the checksum's cache key
//! and added fields, never the fields read here, so every version from 4 up is read.
//!
//! Berry does not record the registry, dev-only status or install scripts per package; those
//! stay unknown here.

use super::integrity::parse_berry_checksum;
use super::source::split_name_at;
use super::yaml::{self, Node};
use super::{Context, ErrorKind, Graph, truncate};
use crate::model::{Ecosystem, Package, Source};

/// Whether a `yarn.lock` is berry's YAML rather than yarn 1's text format.
pub(super) fn looks_like_berry(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("__metadata:"))
}

fn malformed(at: &str, expected: &'static str, found: &str) -> ErrorKind {
    ErrorKind::Malformed {
        at: truncate(at),
        expected,
        found: truncate(found),
    }
}

/// The descriptor yarn berry writes for a dependency: `name@range`, with the `npm:` protocol
/// made explicit (`left-pad: ^1.3.0` is `left-pad@npm:^1.3.0`).
pub(super) fn descriptor(name: &str, range: &str) -> String {
    let has_protocol = range.split_once(':').is_some_and(|(p, _)| {
        !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '+')
    });
    if has_protocol {
        format!("{name}@{range}")
    } else {
        format!("{name}@npm:{range}")
    }
}

pub(super) fn parse(
    ctx: &Context<'_>,
    text: &str,
) -> Result<(String, Vec<Package>, Graph), ErrorKind> {
    let doc = yaml::load(text, ctx.limits.max_depth)?;
    let root = doc
        .as_map()
        .ok_or_else(|| malformed("the document", "a mapping", doc.describe()))?;
    let version = root
        .get("__metadata")
        .and_then(Node::as_map)
        .and_then(|m| m.get("version"))
        .and_then(Node::as_str)
        .ok_or_else(|| malformed("__metadata", "a \"version\"", "none"))?;
    if !matches!(version.parse::<u32>(), Ok(4..)) {
        return Err(ErrorKind::UnsupportedVersion {
            format: "yarn.lock (berry)",
            expected: "__metadata version 4 or newer",
            found: truncate(version),
        });
    }
    let mut out = Vec::new();
    let mut graph = Graph::default();
    let mut descriptors: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for (key, entry) in root {
        if key == "__metadata" {
            continue;
        }
        // Each descriptor resolves once; a second entry for it would be a second answer.
        for d in key.split(',').map(str::trim) {
            graph.resolves.insert(d.to_owned(), out.len());
            if let Some(first) = descriptors.insert(d, key) {
                return Err(ErrorKind::Conflict {
                    at: truncate(d),
                    first: format!("the entry {:?}", truncate(first)),
                    second: format!("the entry {:?}", truncate(key)),
                });
            }
        }
        let e = entry
            .as_map()
            .ok_or_else(|| malformed(key, "a mapping", entry.describe()))?;
        let field = |name: &'static str| -> Result<Option<&str>, ErrorKind> {
            match e.get(name) {
                None => Ok(None),
                Some(Node::Scalar(s)) => Ok(Some(s)),
                Some(other) => Err(malformed(key, "a scalar field", other.describe())),
            }
        };
        let resolution =
            field("resolution")?.ok_or_else(|| malformed(key, "a \"resolution\"", "none"))?;
        let version = field("version")?.ok_or_else(|| malformed(key, "a \"version\"", "none"))?;
        let (name, reference) = split_name_at(resolution)
            .ok_or_else(|| malformed(key, "a resolution NAME@PROTOCOL:REFERENCE", resolution))?;
        let first = key.split(',').next().unwrap_or(key).trim();
        let declared = split_name_at(first).map_or(first, |(n, _)| n);
        let mut p = ctx.package(
            Ecosystem::Npm,
            name,
            version,
            classify(resolution, reference),
        );
        if declared != name {
            p.alias = Some(declared.to_owned());
        }
        if let Some(sum) = field("checksum")? {
            p.integrity.push(parse_berry_checksum(key, sum)?);
        }
        // Berry lists optional dependencies under `dependencies` too (with `dependenciesMeta`).
        // A patched package also needs the package it patches.
        let mut edges: Vec<String> = patched_descriptor(first).into_iter().collect();
        let mut optional = std::collections::BTreeSet::new();
        let meta = e.get("dependenciesMeta").and_then(Node::as_map);
        if let Some(deps) = e.get("dependencies") {
            let deps = deps
                .as_map()
                .ok_or_else(|| malformed(key, "a \"dependencies\" mapping", deps.describe()))?;
            for (dep, range) in deps {
                if let Some(range) = range.as_str() {
                    let d = descriptor(dep, range);
                    let is_optional = meta
                        .and_then(|m| m.get(dep.as_str()))
                        .and_then(Node::as_map)
                        .and_then(|m| m.get("optional"))
                        .and_then(Node::as_str)
                        == Some("true");
                    if is_optional {
                        optional.insert(d.clone());
                    }
                    edges.push(d);
                }
            }
        }
        if let Some(conditions) = field("conditions")? {
            // Installed only where the conditions hold (`os=darwin & cpu=arm64`); yarn does
            // not fetch it elsewhere, so it is optional wherever the audit runs.
            p.optional = true;
            p.platforms = Some(conditions.to_owned());
            graph.conditional.insert(out.len());
        }
        graph.edges.push(edges);
        graph.optional_edges.push(optional);
        if reference == "workspace:." {
            graph.workspace_root = Some(out.len());
        }
        out.push(p);
    }
    Ok((version.to_owned(), out, graph))
}

/// The descriptor a `patch:` descriptor patches: `a@patch:a@npm%3A^1#...` patches `a@npm:^1`.
fn patched_descriptor(descriptor: &str) -> Option<String> {
    let (_, range) = split_name_at(descriptor)?;
    let inner = range.strip_prefix("patch:")?;
    let inner = inner.split('#').next().unwrap_or(inner);
    Some(
        inner
            .replace("%3A", ":")
            .replace("%40", "@")
            .replace("%23", "#")
            .replace("%25", "%"),
    )
}

fn classify(resolution: &str, reference: &str) -> Source {
    let (protocol, rest) = reference.split_once(':').unwrap_or(("", reference));
    match protocol {
        "npm" => Source::Registry { url: None },
        "workspace" => Source::Workspace,
        "portal" | "link" | "file" => Source::Path {
            path: Some(rest.split("::").next().unwrap_or(rest).to_owned()),
        },
        "patch" => Source::Patch {
            spec: resolution.to_owned(),
        },
        _ if reference.contains("#commit=") || reference.contains(".git#") => {
            let (url, fragment) = reference.split_once('#').unwrap_or((reference, ""));
            let rev = fragment
                .split('&')
                .find_map(|kv| kv.strip_prefix("commit="))
                .map(str::to_owned);
            Source::Git {
                url: url.to_owned(),
                rev,
            }
        }
        "https" | "http" => Source::Tarball {
            url: reference.to_owned(),
        },
        _ => Source::Unrecognized {
            spec: resolution.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_point_at_the_descriptor_they_patch() {
        assert_eq!(
            patched_descriptor(
                "typescript@patch:typescript@npm%3A^5.4.0#optional!builtin<compat/typescript>"
            ),
            Some("typescript@npm:^5.4.0".to_owned())
        );
        assert_eq!(patched_descriptor("a@npm:^1"), None);
    }

    #[test]
    fn descriptors_make_the_npm_protocol_explicit() {
        assert_eq!(descriptor("a", "^1.0.0"), "a@npm:^1.0.0");
        assert_eq!(descriptor("a", "npm:^1.0.0"), "a@npm:^1.0.0");
        assert_eq!(descriptor("a", "workspace:^"), "a@workspace:^");
        assert_eq!(descriptor("a", ">=1 <2"), "a@npm:>=1 <2");
    }

    #[test]
    fn resolutions_map_to_sources() {
        assert_eq!(
            classify("a@npm:1.0.0", "npm:1.0.0"),
            Source::Registry { url: None }
        );
        assert_eq!(classify("a@workspace:.", "workspace:."), Source::Workspace);
        assert_eq!(
            classify(
                "a@https://github.com/o/a.git#commit=0123",
                "https://github.com/o/a.git#commit=0123"
            ),
            Source::Git {
                url: "https://github.com/o/a.git".into(),
                rev: Some("0123".into())
            }
        );
        assert!(matches!(
            classify("a@https://x.test/a.tgz", "https://x.test/a.tgz"),
            Source::Tarball { .. }
        ));
        assert!(matches!(
            classify("a@exec:./gen.js", "exec:./gen.js"),
            Source::Unrecognized { .. }
        ));
    }
}
