//! yarn.lock as written by yarn 2 and later (`__metadata` versions 4 to 8): YAML whose keys are
//! descriptor lists and whose entries carry `resolution` and `checksum`.
//!
//! Berry does not record the registry, dev-only status or install scripts per package; those
//! stay unknown here.

use super::integrity::parse_berry_checksum;
use super::source::split_name_at;
use super::yaml::{self, Node};
use super::{Context, ErrorKind, truncate};
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

pub(super) fn parse(ctx: &Context<'_>, text: &str) -> Result<(String, Vec<Package>), ErrorKind> {
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
    if !matches!(version.parse::<u32>(), Ok(4..=8)) {
        return Err(ErrorKind::UnsupportedVersion {
            format: "yarn.lock (berry)",
            expected: "__metadata version 4 to 8",
            found: truncate(version),
        });
    }
    let mut out = Vec::new();
    let mut descriptors: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for (key, entry) in root {
        if key == "__metadata" {
            continue;
        }
        // Each descriptor resolves once; a second entry for it would be a second answer.
        for d in key.split(',').map(str::trim) {
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
        let descriptor = key.split(',').next().unwrap_or(key).trim();
        let declared = split_name_at(descriptor).map_or(descriptor, |(n, _)| n);
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
        out.push(p);
    }
    Ok((version.to_owned(), out))
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
