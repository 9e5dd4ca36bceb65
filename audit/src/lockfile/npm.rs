//! package-lock.json and npm-shrinkwrap.json, lockfileVersion 1, 2 and 3.
//!
//! Versions 2 and 3 are read from `packages` (keyed by install location); version 1 from the
//! nested `dependencies` tree. A version 2 file carries both, and the two must agree.

use serde_json::{Map, Value};

use super::integrity::parse_sri;
use super::source::{classify_resolved, parse_git, split_name_at};
use super::strict_json::StrictValue;
use super::{Context, ErrorKind, truncate};
use crate::model::{Ecosystem, Package, Source};

pub(super) fn parse(ctx: &Context<'_>, text: &str) -> Result<(String, Vec<Package>), ErrorKind> {
    let StrictValue(doc) = serde_json::from_str(text).map_err(ErrorKind::Json)?;
    let root = object(&doc, "the document")?;
    let version = match root.get("lockfileVersion") {
        Some(Value::Number(n)) if matches!(n.as_u64(), Some(1..=3)) => n.to_string(),
        other => {
            return Err(ErrorKind::UnsupportedVersion {
                format: "package-lock.json",
                expected: "lockfileVersion 1, 2 or 3",
                found: other.map_or_else(|| "none".to_owned(), |v| truncate(&v.to_string())),
            });
        }
    };
    let packages = if version == "1" {
        let deps = match root.get("dependencies") {
            Some(d) => object(d, "dependencies")?,
            None => &Map::new(),
        };
        read_v1(ctx, deps)?
    } else {
        let entries = root
            .get("packages")
            .ok_or_else(|| malformed("the document", "a \"packages\" object", "none"))?;
        let packages = read_packages(ctx, object(entries, "packages")?)?;
        if let Some(deps) = root.get("dependencies") {
            check_agreement(object(deps, "dependencies")?, &packages)?;
        }
        packages
    };
    Ok((version, packages))
}

/// Reads the v2/v3 `packages` map.
fn read_packages(
    ctx: &Context<'_>,
    entries: &Map<String, Value>,
) -> Result<Vec<Package>, ErrorKind> {
    let mut out = Vec::new();
    // The name each linked folder is installed under (`node_modules/w` links to `packages/w`).
    let mut linked_as: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for (key, entry) in entries {
        let Some(e) = entry.as_object() else { continue };
        if e.get("link").and_then(Value::as_bool) == Some(true) {
            if let (Some(target), Some((_, name))) = (
                e.get("resolved").and_then(Value::as_str),
                key.rsplit_once("node_modules/"),
            ) {
                linked_as.entry(target).or_insert(name);
            }
        }
    }
    for (key, entry) in entries {
        if key.is_empty() {
            continue; // The root project itself.
        }
        let e = object(entry, key)?;
        let declared_name = opt_str(e, "name", key)?;
        let Some(install_name) = key
            .rsplit("node_modules/")
            .next()
            .filter(|_| key.contains("node_modules/"))
        else {
            let name = declared_name.or_else(|| linked_as.get(key.as_str()).copied());
            let version = opt_str(e, "version", key)?.unwrap_or("0.0.0");
            if is_outside(key) {
                // A `file:../dir` dependency: a folder outside the project, not its code.
                let name = name.or_else(|| key.rsplit('/').find(|c| !c.is_empty()));
                let name = name.ok_or_else(|| malformed(key, "a package name", "none"))?;
                let source = Source::Path {
                    path: Some(key.clone()),
                };
                let mut p = ctx.package(Ecosystem::Npm, name, version, source);
                p.license = license(e);
                p.location = Some(key.clone());
                out.push(p);
            } else if let Some(name) = name {
                // A workspace member's own folder (`packages/app`): the project's code.
                let mut p = ctx.package(Ecosystem::Npm, name, version, Source::Workspace);
                p.location = Some(key.clone());
                out.push(p);
            }
            continue;
        };
        let resolved = opt_str(e, "resolved", key)?;
        if opt_bool(e, "link", key)? {
            let target =
                resolved.ok_or_else(|| malformed(key, "\"resolved\" on a link", "none"))?;
            if entries.contains_key(target) && !target.contains("node_modules/") {
                // A link to a workspace member or an outside folder, listed under its own key.
                continue;
            }
            let mut p = ctx.package(
                Ecosystem::Npm,
                declared_name.unwrap_or(install_name),
                opt_str(e, "version", key)?.unwrap_or("0.0.0"),
                Source::Path {
                    path: Some(target.to_owned()),
                },
            );
            p.location = Some(key.clone());
            out.push(p);
            continue;
        }
        let name = declared_name.unwrap_or(install_name);
        let version =
            opt_str(e, "version", key)?.ok_or_else(|| malformed(key, "a \"version\"", "none"))?;
        let source = if opt_bool(e, "inBundle", key)? {
            Source::Bundled
        } else {
            resolved.map_or(Source::Registry { url: None }, |r| {
                classify_resolved(name, r)
            })
        };
        let mut p = ctx.package(Ecosystem::Npm, name, version, source);
        if name != install_name {
            p.alias = Some(install_name.to_owned());
        }
        if let Some(i) = opt_str(e, "integrity", key)? {
            p.integrity = parse_sri(key, i)?;
        }
        p.dev = opt_bool(e, "dev", key)?;
        p.optional = opt_bool(e, "optional", key)? || opt_bool(e, "devOptional", key)?;
        p.has_install_script = opt_bool(e, "hasInstallScript", key)?;
        p.license = license(e);
        p.platforms = platforms(e);
        p.location = Some(key.clone());
        out.push(p);
    }
    Ok(out)
}

/// `license` as npm copies it from the package's manifest: a string, a `{ "type": ... }`
/// object, or (old packages such as `tv4@1.3.0`) an array of either, whose entries are
/// alternatives. Any other shape is left unknown rather than failing the whole lockfile: it is
/// the package author's metadata, not the lockfile's structure.
fn license(e: &Map<String, Value>) -> Option<String> {
    crate::license::from_manifest(e.get("license"), e.get("licenses"))
}

/// The `os` and `cpu` lists npm copies from the manifest (`os: darwin; cpu: arm64`).
fn platforms(e: &Map<String, Value>) -> Option<String> {
    let parts: Vec<String> = ["os", "cpu", "libc"]
        .iter()
        .filter_map(|k| {
            let list: Vec<&str> = e
                .get(*k)?
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .collect();
            (!list.is_empty()).then(|| format!("{k}: {}", list.join(", ")))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Whether a `packages` key names a folder outside the project (`../lib`, `/opt/lib`).
fn is_outside(key: &str) -> bool {
    key.starts_with('/')
        || key.split(['/', '\\']).any(|c| c == "..")
        || key.as_bytes().get(1) == Some(&b':')
}

/// Reads the v1 nested `dependencies` tree, without recursion.
fn read_v1(ctx: &Context<'_>, top: &Map<String, Value>) -> Result<Vec<Package>, ErrorKind> {
    let mut out = Vec::new();
    let mut stack: Vec<(String, &Map<String, Value>, usize)> = vec![(String::new(), top, 1)];
    while let Some((prefix, deps, depth)) = stack.pop() {
        if depth > ctx.limits.max_depth {
            return Err(ErrorKind::TooDeep {
                limit: ctx.limits.max_depth,
            });
        }
        for (install_name, entry) in deps {
            let location = format!("{prefix}node_modules/{install_name}");
            let e = object(entry, &location)?;
            let spec = opt_str(e, "version", &location)?
                .ok_or_else(|| malformed(&location, "a \"version\"", "none"))?;
            let resolved = opt_str(e, "resolved", &location)?;
            let (name, version, source): (&str, String, Source) =
                if let Some(aliased) = spec.strip_prefix("npm:") {
                    let (real, v) = split_name_at(aliased)
                        .ok_or_else(|| malformed(&location, "npm:NAME@VERSION", aliased))?;
                    let source = resolved.map_or(Source::Registry { url: None }, |r| {
                        classify_resolved(real, r)
                    });
                    (real, v.to_owned(), source)
                } else if let Some(git) = parse_git(spec) {
                    let version = match &git {
                        Source::Git { rev: Some(rev), .. } => rev.clone(),
                        _ => spec.to_owned(),
                    };
                    (install_name.as_str(), version, git)
                } else if let Some(path) = spec.strip_prefix("file:") {
                    (
                        install_name.as_str(),
                        "0.0.0".to_owned(),
                        Source::Path {
                            path: Some(path.to_owned()),
                        },
                    )
                } else if opt_bool(e, "bundled", &location)? {
                    (install_name.as_str(), spec.to_owned(), Source::Bundled)
                } else {
                    let source = resolved.map_or(Source::Registry { url: None }, |r| {
                        classify_resolved(install_name, r)
                    });
                    (install_name.as_str(), spec.to_owned(), source)
                };
            let mut p = ctx.package(Ecosystem::Npm, name, &version, source);
            if name != install_name {
                p.alias = Some(install_name.clone());
            }
            if let Some(i) = opt_str(e, "integrity", &location)? {
                p.integrity = parse_sri(&location, i)?;
            }
            p.dev = opt_bool(e, "dev", &location)?;
            p.optional = opt_bool(e, "optional", &location)?;
            if let Some(nested) = e.get("dependencies") {
                stack.push((
                    format!("{location}/"),
                    object(nested, &location)?,
                    depth + 1,
                ));
            }
            p.location = Some(location);
            out.push(p);
        }
    }
    Ok(out)
}

/// In a v2 file, the v1 `dependencies` section must name the same versions as `packages`.
fn check_agreement(deps: &Map<String, Value>, packages: &[Package]) -> Result<(), ErrorKind> {
    let by_location: std::collections::HashMap<&str, &str> = packages
        .iter()
        .filter_map(|p| Some((p.location.as_deref()?, p.version.as_str())))
        .collect();
    for (name, entry) in deps {
        let location = format!("node_modules/{name}");
        let Some(v1) = object(entry, &location)?
            .get("version")
            .and_then(Value::as_str)
        else {
            continue;
        };
        let Some(v2) = by_location.get(location.as_str()) else {
            continue;
        };
        let plain = v1.chars().next().is_some_and(|c| c.is_ascii_digit());
        if plain && v1 != *v2 {
            return Err(ErrorKind::Conflict {
                at: location,
                first: format!("\"packages\" says version {}", truncate(v2)),
                second: format!("\"dependencies\" says version {}", truncate(v1)),
            });
        }
    }
    Ok(())
}

fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
    .to_owned()
}

fn malformed(at: &str, expected: &'static str, found: &str) -> ErrorKind {
    ErrorKind::Malformed {
        at: truncate(at),
        expected,
        found: truncate(found),
    }
}

fn object<'a>(v: &'a Value, at: &str) -> Result<&'a Map<String, Value>, ErrorKind> {
    v.as_object()
        .ok_or_else(|| malformed(at, "an object", &kind(v)))
}

fn opt_str<'a>(
    m: &'a Map<String, Value>,
    key: &'static str,
    at: &str,
) -> Result<Option<&'a str>, ErrorKind> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ErrorKind::Malformed {
            at: format!("{} \"{key}\"", truncate(at)),
            expected: "a string",
            found: kind(other),
        }),
    }
}

fn opt_bool(m: &Map<String, Value>, key: &'static str, at: &str) -> Result<bool, ErrorKind> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(ErrorKind::Malformed {
            at: format!("{} \"{key}\"", truncate(at)),
            expected: "a boolean",
            found: kind(other),
        }),
    }
}
