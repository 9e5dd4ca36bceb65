//! yarn.lock as written by yarn 1 ("yarn lockfile v1"): an indented text format of its own.
//!
//! ```text
//! "@scope/a@^1.0.0", "@scope/a@^1.1.0":
//!   version "1.1.0"
//!   resolved "https://registry.yarnpkg.com/@scope/a/-/a-1.1.0.tgz#<sha1>"
//!   integrity sha512-...
//!   dependencies:
//!     b "^2.0.0"
//! ```
//!
//! Entries start at column 0, fields are indented two spaces, and the contents of blocks such as
//! `dependencies:` four. Strings are JSON-quoted or bare. The file does not record dev-only
//! status, licenses or install scripts.

use std::collections::BTreeMap;

use super::integrity::{parse_hex, parse_sri};
use super::source::{classify_resolved, split_name_at};
use super::{Context, ErrorKind, Graph, truncate};
use crate::model::{Ecosystem, HashAlgorithm, Package, Source};

fn syntax(line: usize, expected: &'static str, found: &str) -> ErrorKind {
    ErrorKind::Syntax {
        line,
        expected,
        found: truncate(found),
    }
}

/// Reads a value: a JSON-quoted string or a bare word.
fn value(line: usize, raw: &str) -> Result<String, ErrorKind> {
    let raw = raw.trim();
    if raw.starts_with('"') {
        serde_json::from_str(raw).map_err(|_| syntax(line, "a closed, quoted string", raw))
    } else {
        Ok(raw.to_owned())
    }
}

/// Splits an entry header (without its colon) into its specifiers.
fn specifiers(line: usize, header: &str) -> Result<Vec<String>, ErrorKind> {
    let mut out = Vec::new();
    let mut rest = header.trim();
    while !rest.is_empty() {
        let (item, tail) = if rest.starts_with('"') {
            // Find the closing quote, skipping escaped characters.
            let mut end = None;
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end.ok_or_else(|| syntax(line, "a closed, quoted specifier", rest))?;
            (value(line, &rest[..=end])?, &rest[end + 1..])
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            (rest[..end].trim().to_owned(), &rest[end..])
        };
        if item.is_empty() {
            return Err(syntax(line, "a package specifier", header));
        }
        out.push(item);
        let tail = tail.trim_start();
        rest = match tail.strip_prefix(',') {
            Some(t) => t.trim_start(),
            None if tail.is_empty() => tail,
            None => return Err(syntax(line, "a comma between specifiers", tail)),
        };
    }
    Ok(out)
}

#[derive(Default)]
struct Entry {
    line: usize,
    specifiers: Vec<String>,
    fields: BTreeMap<String, String>,
    /// `name@range` of each entry in its `dependencies` and `optionalDependencies` blocks.
    dependencies: Vec<String>,
    /// Those of them from `optionalDependencies`.
    optional: std::collections::BTreeSet<String>,
}

/// Which blocks hold dependencies that get installed.
const INSTALLED_BLOCKS: [&str; 2] = ["dependencies", "optionalDependencies"];

pub(super) fn parse(
    ctx: &Context<'_>,
    text: &str,
) -> Result<(String, Vec<Package>, Graph), ErrorKind> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut in_block = false;
    let mut installed_block = false;
    let mut optional_block = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_end();
        if line.trim_start().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = &line[indent..];
        match indent {
            0 => {
                let header = content
                    .strip_suffix(':')
                    .ok_or_else(|| syntax(n, "an entry header ending in ':'", content))?;
                let specs = specifiers(n, header)?;
                for s in &specs {
                    if let Some(first) = seen.insert(s.clone(), n) {
                        return Err(ErrorKind::Conflict {
                            at: truncate(s),
                            first: format!("an entry at line {first}"),
                            second: format!("another at line {n}"),
                        });
                    }
                }
                entries.push(Entry {
                    line: n,
                    specifiers: specs,
                    ..Entry::default()
                });
                in_block = false;
            }
            2 => {
                let entry = entries
                    .last_mut()
                    .ok_or_else(|| syntax(n, "an entry header before its fields", content))?;
                if let Some(block) = content.strip_suffix(':') {
                    in_block = !block.contains(' ');
                    if !in_block {
                        return Err(syntax(n, "a field or a block name", content));
                    }
                    installed_block = INSTALLED_BLOCKS.contains(&block);
                    optional_block = block == "optionalDependencies";
                    continue;
                }
                in_block = false;
                let (key, rest) = content
                    .split_once(' ')
                    .ok_or_else(|| syntax(n, "a field `name value`", content))?;
                let key = value(n, key)?;
                if entry.fields.insert(key, value(n, rest)?).is_some() {
                    return Err(syntax(n, "each field once per entry", content));
                }
            }
            4 if in_block => {
                let (key, rest) = content
                    .split_once(' ')
                    .ok_or_else(|| syntax(n, "a dependency `name range`", content))?;
                let (name, range) = (value(n, key)?, value(n, rest)?);
                if installed_block {
                    // `in_block` is only set after an entry header, so there is an entry.
                    if let Some(entry) = entries.last_mut() {
                        let descriptor = format!("{name}@{range}");
                        if optional_block {
                            entry.optional.insert(descriptor.clone());
                        }
                        entry.dependencies.push(descriptor);
                    }
                }
            }
            _ => return Err(syntax(n, "an indent of 0, 2 or 4 spaces", line)),
        }
    }
    let packages = entries
        .iter()
        .map(|e| package(ctx, e))
        .collect::<Result<_, _>>()?;
    let mut graph = Graph::default();
    for (i, e) in entries.into_iter().enumerate() {
        for s in e.specifiers {
            graph.resolves.insert(s, i);
        }
        graph.edges.push(e.dependencies);
        graph.optional_edges.push(e.optional);
    }
    Ok(("1".to_owned(), packages, graph))
}

fn package(ctx: &Context<'_>, e: &Entry) -> Result<Package, ErrorKind> {
    let at = format!("entry at line {}", e.line);
    let first = e.specifiers.first().map_or("", String::as_str);
    let (declared, range) = split_name_at(first).ok_or_else(|| ErrorKind::Malformed {
        at: at.clone(),
        expected: "a specifier NAME@RANGE",
        found: truncate(first),
    })?;
    let (name, alias) = match range.strip_prefix("npm:").and_then(split_name_at) {
        Some((real, _)) => (real, Some(declared)),
        None => (declared, None),
    };
    let version = e
        .fields
        .get("version")
        .ok_or_else(|| ErrorKind::Malformed {
            at: at.clone(),
            expected: "a \"version\" field",
            found: "none".to_owned(),
        })?;
    let resolved = e.fields.get("resolved");
    let source = match resolved {
        Some(r) => classify_resolved(name, r),
        None => match range
            .strip_prefix("file:")
            .or_else(|| range.strip_prefix("link:"))
        {
            Some(path) => Source::Path {
                path: Some(path.to_owned()),
            },
            None => Source::Registry { url: None },
        },
    };
    let mut p = ctx.package(Ecosystem::Npm, name, version, source);
    p.alias = alias.map(str::to_owned);
    if let Some(i) = e.fields.get("integrity") {
        p.integrity = parse_sri(&at, i)?;
    } else if let Some((_, fragment)) = resolved.and_then(|r| r.split_once('#')) {
        // Without `integrity`, yarn 1 checks the SHA-1 in the URL fragment.
        if !matches!(p.source, Source::Git { .. }) {
            p.integrity
                .push(parse_hex(&at, HashAlgorithm::Sha1, fragment)?);
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_split_into_quoted_and_bare_specifiers() {
        assert_eq!(
            specifiers(1, r#""@a/b@^1", "@a/b@^1.2", c@2"#).unwrap(),
            vec!["@a/b@^1", "@a/b@^1.2", "c@2"]
        );
        assert!(specifiers(1, r#""@a/b@^1"#).is_err());
        assert!(specifiers(1, r#""a@1" "b@1""#).is_err());
    }
}
