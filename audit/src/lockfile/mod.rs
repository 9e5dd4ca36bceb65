//! Lockfile readers: Cargo.lock, package-lock.json / npm-shrinkwrap.json, yarn.lock (classic and
//! berry) and pnpm-lock.yaml, all read into the one [`Package`] model.
//!
//! Every reader works on bytes already read under [`Limits`], and every field it keeps is checked
//! against the same limits afterwards, so a hostile lockfile costs bounded memory and time and
//! ends in a [`LockfileError`] that names the file and what was wrong.

mod cargo;
mod dev;
mod error;
mod integrity;
mod npm;
mod pnpm;
mod registry;
mod source;
mod strict_json;
mod yaml;
mod yarn_berry;
mod yarn_classic;

use std::collections::BTreeSet;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::model::{Package, Source};
pub use error::{ErrorKind, LockfileError};

/// Bounds on what a lockfile may cost to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest lockfile accepted, in bytes.
    pub max_file_bytes: u64,
    /// The deepest nesting accepted (JSON, YAML, npm v1 `dependencies`).
    pub max_depth: usize,
    /// The longest single field (name, version, URL, integrity, license) in bytes.
    pub max_field_bytes: usize,
    /// The most packages one lockfile may list.
    pub max_packages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 64 * 1024 * 1024,
            max_depth: 64,
            max_field_bytes: 4096,
            max_packages: 200_000,
        }
    }
}

/// The lockfile formats this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `Cargo.lock`, versions 1 to 4.
    Cargo,
    /// `package-lock.json` or `npm-shrinkwrap.json`, lockfileVersion 1 to 3.
    Npm,
    /// `yarn.lock` in yarn 1's own text format.
    YarnClassic,
    /// `yarn.lock` in yarn 2+'s YAML format.
    YarnBerry,
    /// `pnpm-lock.yaml`, lockfileVersion 5.x, 6.x and 9.x.
    Pnpm,
}

impl Format {
    /// Picks the format from the file name (`yarn.lock` is told apart by its contents).
    fn from_path(path: &Path, text: &str) -> Option<Self> {
        let name = path.file_name()?.to_str()?;
        match name {
            "Cargo.lock" => Some(Self::Cargo),
            "package-lock.json" | "npm-shrinkwrap.json" => Some(Self::Npm),
            "pnpm-lock.yaml" => Some(Self::Pnpm),
            "yarn.lock" => Some(if yarn_berry::looks_like_berry(text) {
                Self::YarnBerry
            } else {
                Self::YarnClassic
            }),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Cargo => "Cargo.lock",
            Self::Npm => "package-lock.json",
            Self::YarnClassic => "yarn.lock (classic)",
            Self::YarnBerry => "yarn.lock (berry)",
            Self::Pnpm => "pnpm-lock.yaml",
        })
    }
}

/// A lockfile that has been read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lockfile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// The format version the file declares (`"3"` for npm v3, `"9.0"` for pnpm 9).
    pub version: String,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
    /// The packages it lists, in file order.
    pub packages: Vec<Package>,
}

/// Reads and parses the lockfile at `path`, picking the format from its name.
///
/// # Errors
/// When the file cannot be read, is too large, is not a known lockfile, or is malformed.
pub fn read(path: &Path, limits: &Limits) -> Result<Lockfile, LockfileError> {
    let err = |kind| LockfileError::new(path, kind);
    let file = std::fs::File::open(path).map_err(|e| err(ErrorKind::Io(e)))?;
    let mut bytes = Vec::new();
    // Read one byte past the limit so that an over-long file is told apart from one at the limit.
    file.take(limits.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| err(ErrorKind::Io(e)))?;
    let (mut lockfile, graph) = parse_with_graph(path, &bytes, limits)?;
    if let Some(graph) = graph {
        // yarn lockfiles do not say which packages only development needs; the project's
        // package.json beside them does.
        let manifest = path.with_file_name("package.json");
        if let Some(roots) = dev::project_roots(&manifest, limits.max_file_bytes) {
            dev::mark(&mut lockfile.packages, &graph, &roots, lockfile.format);
        } else {
            // A workspace (or no manifest): dev-only status is not guessed at, but what only
            // optional and platform-specific packages need is still optional.
            dev::mark_optional_from_graph(&mut lockfile.packages, &graph);
        }
    }
    if lockfile.format == Format::Cargo {
        // Cargo.lock lists workspace members and outside path dependencies alike without a
        // source; the workspace manifest beside it tells them apart.
        let manifest = path.with_file_name("Cargo.toml");
        let members = cargo::workspace_members(&manifest, limits.max_file_bytes);
        let outside = cargo::outside_path_dependencies(&manifest, limits.max_file_bytes);
        for p in &mut lockfile.packages {
            if p.source == (Source::Path { path: None }) {
                if members.contains(&p.name) {
                    p.source = Source::Workspace;
                } else if let Some(dir) = outside.get(&p.name) {
                    p.source = Source::Path {
                        path: Some(dir.clone()),
                    };
                }
            }
        }
    }
    if lockfile.format != Format::Cargo {
        let dir = path.parent().unwrap_or(Path::new("."));
        let configured = registry::configured(dir, lockfile.format);
        for p in &mut lockfile.packages {
            if p.source == (Source::Registry { url: None }) {
                p.assumed_registry = Some(configured.for_package(&p.name));
            }
        }
    }
    if lockfile.format != Format::Cargo {
        // Local folders (`link:`, `file:`) whose lockfile entry records no version: the
        // folder's own manifest says.
        let dir = path.parent().unwrap_or(Path::new("."));
        for p in &mut lockfile.packages {
            let unversioned = p.version == "0.0.0"
                || p.version.starts_with("file:")
                || p.version.starts_with("link:");
            if let (Source::Path { path: Some(folder) }, true) = (&p.source, unversioned) {
                if let Some(v) = local_version(&dir.join(folder).join("package.json")) {
                    p.version = v;
                }
            }
        }
    }
    Ok(lockfile)
}

/// The `version` in a local folder's `package.json`, if it is a plain, short one.
fn local_version(manifest: &Path) -> Option<String> {
    if std::fs::metadata(manifest).ok()?.len() > 1024 * 1024 {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(manifest).ok()?).ok()?;
    let version = value.get("version")?.as_str()?;
    let plain = !version.is_empty()
        && version.len() <= 256
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
    plain.then(|| version.to_owned())
}

/// Parses lockfile bytes; `path` names the file in errors and picks the format.
///
/// # Errors
/// When the bytes are too many, not UTF-8, not a known lockfile, or malformed.
pub fn parse(path: &Path, bytes: &[u8], limits: &Limits) -> Result<Lockfile, LockfileError> {
    parse_with_graph(path, bytes, limits).map(|(lockfile, _)| lockfile)
}

/// Dependency edges a reader kept, for deriving dev-only status where the lockfile does not
/// record it (yarn).
#[derive(Debug, Default)]
struct Graph {
    /// The package (by index) each descriptor (`name@range`) resolves to.
    resolves: std::collections::BTreeMap<String, usize>,
    /// Each package's dependency descriptors, by package index.
    edges: Vec<Vec<String>>,
    /// The descriptors among each package's edges that are optional (`optionalDependencies`,
    /// berry's `dependenciesMeta` `optional: true`), by package index.
    optional_edges: Vec<BTreeSet<String>>,
    /// Packages installed only on some platforms (berry's `conditions: os=darwin`).
    conditional: BTreeSet<usize>,
    /// The project's own entry (yarn berry's `name@workspace:.`), whose dependency list names
    /// the exact descriptors (patches included) the project's manifest resolves to.
    workspace_root: Option<usize>,
}

fn parse_with_graph(
    path: &Path,
    bytes: &[u8],
    limits: &Limits,
) -> Result<(Lockfile, Option<Graph>), LockfileError> {
    let err = |kind| LockfileError::new(path, kind);
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if len > limits.max_file_bytes {
        return Err(err(ErrorKind::TooLarge {
            limit: limits.max_file_bytes,
        }));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| err(ErrorKind::NotUtf8(e)))?;
    let format = Format::from_path(path, text).ok_or_else(|| {
        err(ErrorKind::UnknownFormat {
            found: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        })
    })?;
    let ctx = Context { path, limits };
    let without_graph = |(v, p)| (v, p, None);
    let with_graph = |(v, p, g)| (v, p, Some(g));
    let (version, packages, graph) = match format {
        Format::Cargo => cargo::parse(&ctx, text).map(without_graph),
        Format::Npm => npm::parse(&ctx, text).map(without_graph),
        Format::YarnClassic => yarn_classic::parse(&ctx, text).map(with_graph),
        Format::YarnBerry => yarn_berry::parse(&ctx, text).map(with_graph),
        Format::Pnpm => pnpm::parse(&ctx, text).map(without_graph),
    }
    .map_err(err)?;
    if packages.is_empty() {
        let empty = match format {
            Format::Cargo => Some(ErrorKind::Empty {
                format: "Cargo.lock",
                fix: "regenerate it with `cargo generate-lockfile` and commit it",
            }),
            Format::YarnClassic => Some(ErrorKind::Empty {
                format: "yarn.lock",
                fix: "regenerate it with `yarn install`; a project without dependencies has \
                      nothing to audit, so leave its lockfile out",
            }),
            // npm and pnpm list nothing for a project without dependencies, and yarn berry
            // always lists the project itself.
            _ => None,
        };
        if let Some(kind) = empty {
            return Err(err(kind));
        }
    }
    if packages.len() > limits.max_packages {
        return Err(err(ErrorKind::TooManyPackages {
            found: packages.len(),
            limit: limits.max_packages,
        }));
    }
    for package in &packages {
        check_fields(package, limits).map_err(err)?;
    }
    let lockfile = Lockfile {
        path: path.to_path_buf(),
        format,
        version,
        sha256: hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes)),
        packages,
    };
    Ok((lockfile, graph))
}

/// What every reader is given besides the text.
#[derive(Debug)]
struct Context<'a> {
    path: &'a Path,
    limits: &'a Limits,
}

impl Context<'_> {
    /// A package with this lockfile's path filled in.
    fn package(
        &self,
        ecosystem: crate::model::Ecosystem,
        name: &str,
        version: &str,
        source: crate::model::Source,
    ) -> Package {
        Package::new(
            ecosystem,
            name.to_owned(),
            version.to_owned(),
            source,
            self.path.to_path_buf(),
        )
    }
}

/// Checks the lengths and characters of every field a reader kept.
fn check_fields(p: &Package, limits: &Limits) -> Result<(), ErrorKind> {
    let at = || format!("{}@{}", truncate(&p.name), truncate(&p.version));
    for (field, value) in [("name", &p.name), ("version", &p.version)] {
        if value.is_empty() {
            return Err(ErrorKind::Malformed {
                at: at(),
                expected: "a non-empty name and version",
                found: format!("an empty {field}"),
            });
        }
    }
    let mut fields: Vec<(&'static str, &str)> = vec![("name", &p.name), ("version", &p.version)];
    if let Some(v) = &p.license {
        fields.push(("license", v));
    }
    if let Some(v) = &p.alias {
        fields.push(("alias", v));
    }
    if let Some(v) = &p.location {
        fields.push(("location", v));
    }
    if let Some(v) = &p.platforms {
        fields.push(("platforms", v));
    }
    match &p.source {
        crate::model::Source::Registry { url: Some(v) }
        | crate::model::Source::Git { url: v, .. }
        | crate::model::Source::Path { path: Some(v) }
        | crate::model::Source::Tarball { url: v }
        | crate::model::Source::Patch { spec: v }
        | crate::model::Source::Unrecognized { spec: v } => fields.push(("source", v)),
        _ => {}
    }
    for (field, value) in fields {
        if value.len() > limits.max_field_bytes {
            return Err(ErrorKind::FieldTooLong {
                at: at(),
                field,
                found: value.len(),
                limit: limits.max_field_bytes,
            });
        }
        if value.chars().any(char::is_control) {
            return Err(ErrorKind::Malformed {
                at: at(),
                expected: "no control characters",
                found: format!("control characters in {field}"),
            });
        }
    }
    Ok(())
}

/// Bounds a parser's multi-line message that may quote the input: at most 8 lines of at most
/// 120 bytes each.
fn bounded(message: &str) -> String {
    const LINES: usize = 8;
    const WIDTH: usize = 120;
    let mut out: Vec<String> = message
        .lines()
        .take(LINES)
        .map(|l| {
            if l.len() <= WIDTH {
                return l.to_owned();
            }
            let mut end = WIDTH;
            while !l.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}...", &l[..end])
        })
        .collect();
    if message.lines().count() > LINES {
        out.push("...".to_owned());
    }
    out.join("\n")
}

/// Shortens a string from the input for use in an error message, and escapes its control
/// characters so that a hostile lockfile cannot drive the terminal that shows the error.
fn truncate(s: &str) -> String {
    const MAX: usize = 80;
    let mut end = s.len().min(MAX);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out: String = s[..end]
        .chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    if end < s.len() {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_file_name_is_an_error() {
        let e = parse(Path::new("deps.txt"), b"", &Limits::default()).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::UnknownFormat { .. }), "{e}");
    }

    #[test]
    fn empty_cargo_and_yarn_lockfiles_are_refused() {
        for (name, text) in [
            ("Cargo.lock", ""),
            ("Cargo.lock", "version = 4\n"),
            ("yarn.lock", ""),
            (
                "yarn.lock",
                "# THIS IS AN AUTOGENERATED FILE.\n# yarn lockfile v1\n\n\n",
            ),
        ] {
            let e = parse(Path::new(name), text.as_bytes(), &Limits::default()).unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::Empty { .. }), "{name}: {e}");
            assert!(e.to_string().contains("lists no packages"), "{e}");
        }
    }

    #[test]
    fn oversized_input_is_refused_before_parsing() {
        let limits = Limits {
            max_file_bytes: 4,
            ..Limits::default()
        };
        let e = parse(Path::new("Cargo.lock"), b"12345", &limits).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::TooLarge { limit: 4 }), "{e}");
    }

    #[test]
    fn parser_messages_are_bounded() {
        let long = format!("{}\n{}", "x".repeat(10_000), "y\n".repeat(100));
        let b = bounded(&long);
        assert!(b.len() < 8 * 130, "{}", b.len());
        assert!(b.ends_with("\n..."));
    }

    #[test]
    fn truncate_keeps_char_boundaries_and_escapes_controls() {
        let s = "é".repeat(100);
        assert!(truncate(&s).ends_with("..."));
        assert_eq!(truncate("short"), "short");
        assert_eq!(truncate("a\u{1b}[2J"), "a\\u{1b}[2J");
    }
}
