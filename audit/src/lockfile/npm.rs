//! package-lock.json and npm-shrinkwrap.json, lockfileVersion 1, 2 and 3.
//!
//! Versions 2 and 3 are read from `packages` (keyed by install location); version 1 from the
//! nested `dependencies` tree. A version 2 file carries both, and the two must agree.
//!
//! The document is never held as a whole tree: `packages` and `dependencies` are deserialized
//! entry by entry, strings borrowed from the input, and each entry becomes a [`Package`] as soon
//! as it is read. Duplicate keys are refused at every depth, as [`StrictValue`] refuses them,
//! and the checks run in the order of the keys, as they would over a sorted map of the document.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde::de::{self, DeserializeSeed, MapAccess};
use serde_json::Value;

use super::integrity::parse_sri;
use super::source::{classify_resolved, parse_git, split_name_at};
use super::strict_json::{KeySet, ObjectOr, ObjectSeed, StrictIgnore, StrictValue, Text};
use super::{Context, ErrorKind, truncate};
use crate::model::{Ecosystem, Package, Source};

pub(super) fn parse(ctx: &Context<'_>, text: &str) -> Result<(String, Vec<Package>), ErrorKind> {
    let mut hint = None;
    loop {
        let mut version_needed = false;
        let seed = ObjectOr(RootSeed {
            ctx,
            hint: hint.as_ref(),
            scan: false,
            version_needed: &mut version_needed,
        });
        match read_all(text, seed) {
            Ok(Ok(root)) => return root.finish(ctx),
            Ok(Err(kind)) => return Err(malformed("the document", "an object", kind)),
            // `packages` came before `lockfileVersion`: find the version first, then read again.
            Err(_) if version_needed && hint.is_none() => hint = Some(scan_version(ctx, text)?),
            Err(e) => return Err(ErrorKind::Json(e)),
        }
    }
}

/// Deserializes the whole of `text` with `seed`, refusing anything after the value.
fn read_all<'de, S: DeserializeSeed<'de>>(
    text: &'de str,
    seed: S,
) -> Result<S::Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = seed.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Reads only `lockfileVersion` (the rest is checked and skipped).
fn scan_version(ctx: &Context<'_>, text: &str) -> Result<Version, ErrorKind> {
    let mut unused = false;
    let seed = ObjectOr(RootSeed {
        ctx,
        hint: None,
        scan: true,
        version_needed: &mut unused,
    });
    let root = read_all(text, seed).map_err(ErrorKind::Json)?;
    Ok(root
        .ok()
        .and_then(|r| r.version)
        .unwrap_or_else(Version::none))
}

/// `lockfileVersion` as read: one this reader supports, or what stood there instead.
#[derive(Clone)]
enum Version {
    Supported(String),
    Unsupported(String),
}

impl Version {
    fn of(v: &Value) -> Self {
        match v {
            Value::Number(n) if matches!(n.as_u64(), Some(1..=3)) => Self::Supported(n.to_string()),
            other => Self::Unsupported(truncate(&other.to_string())),
        }
    }

    fn none() -> Self {
        Self::Unsupported("none".to_owned())
    }
}

struct RootSeed<'a, 'c> {
    ctx: &'a Context<'c>,
    /// The version, when a first reading found it after the package lists.
    hint: Option<&'a Version>,
    /// Only `lockfileVersion` is wanted.
    scan: bool,
    /// Set when a package list comes before any version is known.
    version_needed: &'a mut bool,
}

/// The document's parts this reader uses, each checked to be an object (`Err` is the kind of
/// what stood there instead).
struct Root<'de> {
    version: Option<Version>,
    packages: Option<Result<Packages<'de>, &'static str>>,
    v1: Option<Result<Group, &'static str>>,
    agreement: Option<Result<Vec<TopLevel<'de>>, &'static str>>,
}

impl<'de> ObjectSeed<'de> for RootSeed<'_, '_> {
    type Value = Root<'de>;

    fn visit_object<A: MapAccess<'de>>(self, mut map: A) -> Result<Root<'de>, A::Error> {
        let mut keys = KeySet::default();
        let mut root = Root {
            version: None,
            packages: None,
            v1: None,
            agreement: None,
        };
        while let Some(Text(key)) = map.next_key()? {
            let lists = matches!(key.as_ref(), "packages" | "dependencies");
            if key == "lockfileVersion" {
                let StrictValue(v) = map.next_value()?;
                root.version = Some(Version::of(&v));
            } else if lists && !self.scan {
                match self.hint.or(root.version.as_ref()) {
                    None => {
                        *self.version_needed = true;
                        return Err(de::Error::custom("lockfileVersion after the package lists"));
                    }
                    Some(Version::Unsupported(_)) => {
                        map.next_value::<StrictIgnore>()?;
                    }
                    Some(Version::Supported(v)) => {
                        let v1 = v == "1";
                        if key == "packages" && !v1 {
                            root.packages = Some(
                                map.next_value_seed(ObjectOr(PackagesSeed { ctx: self.ctx }))?,
                            );
                        } else if key == "packages" {
                            map.next_value::<StrictIgnore>()?;
                        } else if v1 {
                            root.v1 = Some(map.next_value_seed(ObjectOr(GroupSeed {
                                ctx: self.ctx,
                                depth: 1,
                                prefix: "",
                            }))?);
                        } else {
                            root.agreement = Some(map.next_value_seed(ObjectOr(TopLevelSeed))?);
                        }
                    }
                }
            } else {
                map.next_value::<StrictIgnore>()?;
            }
            keys.insert(key)?;
        }
        Ok(root)
    }
}

impl Root<'_> {
    fn finish(self, ctx: &Context<'_>) -> Result<(String, Vec<Package>), ErrorKind> {
        let version = match self.version.unwrap_or_else(Version::none) {
            Version::Supported(v) => v,
            Version::Unsupported(found) => {
                return Err(ErrorKind::UnsupportedVersion {
                    format: "package-lock.json",
                    expected: "lockfileVersion 1, 2 or 3",
                    found,
                });
            }
        };
        if version == "1" {
            let packages = match self.v1 {
                Some(group) => {
                    let group = group.map_err(|k| malformed("dependencies", "an object", k))?;
                    flatten_v1(ctx, group)?
                }
                None => Vec::new(),
            };
            return Ok((version, packages));
        }
        let packages = self
            .packages
            .ok_or_else(|| malformed("the document", "a \"packages\" object", "none"))?
            .map_err(|k| malformed("packages", "an object", k))?
            .finish(ctx)?;
        if let Some(deps) = self.agreement {
            check_agreement(
                deps.map_err(|k| malformed("dependencies", "an object", k))?,
                &packages,
            )?;
        }
        Ok((version, packages))
    }
}

/// A field of an entry, as far as the checks need to know it.
#[derive(Default)]
enum Loose<'de> {
    /// Absent or `null`.
    #[default]
    Null,
    Bool(bool),
    Str(Cow<'de, str>),
    /// Anything else, by kind ("a number", "an array").
    Other(&'static str),
}

impl<'de> serde::Deserialize<'de> for Loose<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> de::Visitor<'de> for LooseVisitor {
    type Value = Loose<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Loose<'de>, E> {
        Ok(Loose::Bool(v))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Loose<'de>, E> {
        Ok(Loose::Other("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Loose<'de>, E> {
        Ok(Loose::Other("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Loose<'de>, E> {
        Ok(Loose::Other("a number"))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Owned(v)))
    }

    fn visit_unit<E>(self) -> Result<Loose<'de>, E> {
        Ok(Loose::Null)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Loose<'de>, A::Error> {
        while seq.next_element::<StrictIgnore>()?.is_some() {}
        Ok(Loose::Other("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose<'de>, A::Error> {
        let mut keys = KeySet::default();
        while let Some(Text(key)) = map.next_key()? {
            map.next_value::<StrictIgnore>()?;
            keys.insert(key)?;
        }
        Ok(Loose::Other("an object"))
    }
}

/// One v2/v3 `packages` entry: the fields this reader uses.
#[derive(Default)]
struct Entry<'de> {
    name: Loose<'de>,
    version: Loose<'de>,
    resolved: Loose<'de>,
    integrity: Loose<'de>,
    link: Loose<'de>,
    in_bundle: Loose<'de>,
    dev: Loose<'de>,
    optional: Loose<'de>,
    dev_optional: Loose<'de>,
    has_install_script: Loose<'de>,
    license: Option<Value>,
    licenses: Option<Value>,
    os: Option<Value>,
    cpu: Option<Value>,
    libc: Option<Value>,
}

struct EntrySeed;

impl<'de> ObjectSeed<'de> for EntrySeed {
    type Value = Entry<'de>;

    fn visit_object<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry<'de>, A::Error> {
        let mut keys = KeySet::default();
        let mut e = Entry::default();
        while let Some(Text(key)) = map.next_key()? {
            let field = match key.as_ref() {
                "name" => Some(&mut e.name),
                "version" => Some(&mut e.version),
                "resolved" => Some(&mut e.resolved),
                "integrity" => Some(&mut e.integrity),
                "link" => Some(&mut e.link),
                "inBundle" => Some(&mut e.in_bundle),
                "dev" => Some(&mut e.dev),
                "optional" => Some(&mut e.optional),
                "devOptional" => Some(&mut e.dev_optional),
                "hasInstallScript" => Some(&mut e.has_install_script),
                _ => None,
            };
            let metadata = match key.as_ref() {
                "license" => Some(&mut e.license),
                "licenses" => Some(&mut e.licenses),
                "os" => Some(&mut e.os),
                "cpu" => Some(&mut e.cpu),
                "libc" => Some(&mut e.libc),
                _ => None,
            };
            if let Some(field) = field {
                *field = map.next_value()?;
            } else if let Some(slot) = metadata {
                let StrictValue(v) = map.next_value()?;
                *slot = Some(v);
            } else {
                map.next_value::<StrictIgnore>()?;
            }
            keys.insert(key)?;
        }
        Ok(e)
    }
}

/// A `packages` entry made into a package, or kept until every entry has been read.
enum Slot {
    Package(Package),
    /// A folder that is not under `node_modules`: a workspace member or an outside folder,
    /// whose name may come from the link that installs it.
    Folder {
        name: Option<String>,
        version: String,
        license: Option<String>,
    },
    /// A link, left out if it points at a folder listed under its own key.
    Link {
        package: Package,
        target: String,
    },
}

/// The v2/v3 `packages` map as read so far.
#[derive(Default)]
struct Packages<'de> {
    slots: Vec<(Cow<'de, str>, Slot)>,
    /// The error of the first failing entry in key order.
    error: Option<(Cow<'de, str>, ErrorKind)>,
    /// `(key, target)` of each link entry.
    links: Vec<(Cow<'de, str>, Cow<'de, str>)>,
    /// Keys that are not install locations under `node_modules`.
    folders: HashSet<Cow<'de, str>>,
}

struct PackagesSeed<'a, 'c> {
    ctx: &'a Context<'c>,
}

impl<'de> ObjectSeed<'de> for PackagesSeed<'_, '_> {
    type Value = Packages<'de>;

    fn visit_object<A: MapAccess<'de>>(self, mut map: A) -> Result<Packages<'de>, A::Error> {
        let mut keys = KeySet::default();
        let mut acc = Packages::default();
        while let Some(Text(key)) = map.next_key()? {
            if !key.contains("node_modules/") {
                acc.folders.insert(key.clone());
            }
            if key.is_empty() {
                map.next_value::<StrictIgnore>()?; // The root project itself.
            } else {
                let entry = map.next_value_seed(ObjectOr(EntrySeed))?;
                acc.add(self.ctx, key.clone(), entry);
            }
            keys.insert(key)?;
        }
        Ok(acc)
    }
}

impl<'de> Packages<'de> {
    fn add(
        &mut self,
        ctx: &Context<'_>,
        key: Cow<'de, str>,
        entry: Result<Entry<'de>, &'static str>,
    ) {
        let entry = entry.map_err(|k| malformed(&key, "an object", k));
        if let Ok(e) = &entry {
            if let (Loose::Bool(true), Loose::Str(target), true) =
                (&e.link, &e.resolved, key.contains("node_modules/"))
            {
                self.links.push((key.clone(), target.clone()));
            }
        }
        if self.error.as_ref().is_some_and(|(k, _)| *k < key) {
            return; // An earlier entry has failed already.
        }
        match entry.and_then(|e| slot(ctx, &key, e)) {
            Ok(s) => self.slots.push((key, s)),
            Err(e) => self.error = Some((key, e)),
        }
    }

    /// The packages in key order, or the first error in that order.
    fn finish(mut self, ctx: &Context<'_>) -> Result<Vec<Package>, ErrorKind> {
        self.slots.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        self.links.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        // The name each linked folder is installed under (`node_modules/w` links to `packages/w`).
        let mut linked_as: HashMap<&str, &str> = HashMap::new();
        for (key, target) in &self.links {
            if let Some((_, name)) = key.rsplit_once("node_modules/") {
                linked_as.entry(target).or_insert(name);
            }
        }
        let mut out = Vec::with_capacity(self.slots.len());
        for (key, slot) in self.slots {
            if self.error.as_ref().is_some_and(|(k, _)| *k < key) {
                break;
            }
            match slot {
                Slot::Package(p) => out.push(p),
                Slot::Link { package, target } => {
                    // A link to a workspace member or an outside folder, listed under its own key.
                    let listed =
                        self.folders.contains(target.as_str()) && !target.contains("node_modules/");
                    if !listed {
                        out.push(package);
                    }
                }
                Slot::Folder {
                    name,
                    version,
                    license,
                } => {
                    let name = name
                        .as_deref()
                        .or_else(|| linked_as.get(key.as_ref()).copied());
                    if is_outside(&key) {
                        // A `file:../dir` dependency: a folder outside the project, not its code.
                        let name = name.or_else(|| key.rsplit('/').find(|c| !c.is_empty()));
                        let name = name.ok_or_else(|| malformed(&key, "a package name", "none"))?;
                        let source = Source::Path {
                            path: Some(key.to_string()),
                        };
                        let mut p = ctx.package(Ecosystem::Npm, name, &version, source);
                        p.license = license;
                        p.location = Some(key.into_owned());
                        out.push(p);
                    } else if let Some(name) = name {
                        // A workspace member's own folder (`packages/app`): the project's code.
                        let mut p = ctx.package(Ecosystem::Npm, name, &version, Source::Workspace);
                        p.location = Some(key.into_owned());
                        out.push(p);
                    }
                }
            }
        }
        match self.error {
            Some((_, e)) => Err(e),
            None => Ok(out),
        }
    }
}

/// Makes one v2/v3 `packages` entry into its package, or what waits for the other entries.
fn slot(ctx: &Context<'_>, key: &str, e: Entry<'_>) -> Result<Slot, ErrorKind> {
    let declared_name = opt_str(&e.name, "name", key)?;
    let Some(install_name) = key
        .rsplit("node_modules/")
        .next()
        .filter(|_| key.contains("node_modules/"))
    else {
        let version = opt_str(&e.version, "version", key)?.unwrap_or("0.0.0");
        return Ok(Slot::Folder {
            name: declared_name.map(str::to_owned),
            version: version.to_owned(),
            license: license(&e),
        });
    };
    let resolved = opt_str(&e.resolved, "resolved", key)?;
    if opt_bool(&e.link, "link", key)? {
        let target = resolved.ok_or_else(|| malformed(key, "\"resolved\" on a link", "none"))?;
        let mut p = ctx.package(
            Ecosystem::Npm,
            declared_name.unwrap_or(install_name),
            opt_str(&e.version, "version", key)?.unwrap_or("0.0.0"),
            Source::Path {
                path: Some(target.to_owned()),
            },
        );
        p.location = Some(key.to_owned());
        return Ok(Slot::Link {
            package: p,
            target: target.to_owned(),
        });
    }
    let name = declared_name.unwrap_or(install_name);
    let version = opt_str(&e.version, "version", key)?
        .ok_or_else(|| malformed(key, "a \"version\"", "none"))?;
    let source = if opt_bool(&e.in_bundle, "inBundle", key)? {
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
    if let Some(i) = opt_str(&e.integrity, "integrity", key)? {
        p.integrity = parse_sri(key, i)?;
    }
    p.dev = opt_bool(&e.dev, "dev", key)?;
    p.optional =
        opt_bool(&e.optional, "optional", key)? || opt_bool(&e.dev_optional, "devOptional", key)?;
    p.has_install_script = opt_bool(&e.has_install_script, "hasInstallScript", key)?;
    p.license = license(&e);
    p.platforms = platforms(&e);
    p.location = Some(key.to_owned());
    Ok(Slot::Package(p))
}

/// `license` as npm copies it from the package's manifest: a string, a `{ "type": ... }`
/// object, or (old packages such as `tv4@1.3.0`) an array of either, whose entries are
/// alternatives. Any other shape is left unknown rather than failing the whole lockfile: it is
/// the package author's metadata, not the lockfile's structure.
fn license(e: &Entry<'_>) -> Option<String> {
    crate::license::from_manifest(e.license.as_ref(), e.licenses.as_ref())
}

/// The `os` and `cpu` lists npm copies from the manifest (`os: darwin; cpu: arm64`).
fn platforms(e: &Entry<'_>) -> Option<String> {
    let parts: Vec<String> = [("os", &e.os), ("cpu", &e.cpu), ("libc", &e.libc)]
        .iter()
        .filter_map(|(k, v)| {
            let list: Vec<&str> = v
                .as_ref()?
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

/// One map of the v1 `dependencies` tree: its packages in key order up to the first failing
/// entry, and the maps nested in them.
#[derive(Default)]
struct Group {
    /// Deeper than the limit: refused when it is reached.
    too_deep: bool,
    packages: Vec<Package>,
    children: Vec<Group>,
    error: Option<ErrorKind>,
}

struct GroupSeed<'a, 'c> {
    ctx: &'a Context<'c>,
    depth: usize,
    /// The location of the package whose map this is, with a trailing `/` (empty at the top).
    prefix: &'a str,
}

impl<'de> ObjectSeed<'de> for GroupSeed<'_, '_> {
    type Value = Group;

    fn visit_object<A: MapAccess<'de>>(self, mut map: A) -> Result<Group, A::Error> {
        let mut keys = KeySet::default();
        if self.depth > self.ctx.limits.max_depth {
            while let Some(Text(key)) = map.next_key()? {
                map.next_value::<StrictIgnore>()?;
                keys.insert(key)?;
            }
            return Ok(Group {
                too_deep: true,
                ..Group::default()
            });
        }
        let mut entries = Vec::new();
        while let Some(Text(install_name)) = map.next_key()? {
            let location = format!("{}node_modules/{install_name}", self.prefix);
            let nested_prefix = format!("{location}/");
            let entry = map.next_value_seed(ObjectOr(V1EntrySeed {
                ctx: self.ctx,
                depth: self.depth + 1,
                prefix: &nested_prefix,
            }))?;
            let read = entry
                .map_err(|k| malformed(&location, "an object", k))
                .and_then(|e| v1_package(self.ctx, &install_name, location, e));
            entries.push((install_name.clone(), read));
            keys.insert(install_name)?;
        }
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut group = Group::default();
        for (_, read) in entries {
            match read {
                Ok((p, nested)) => {
                    group.packages.push(p);
                    group.children.extend(nested);
                }
                Err(e) => {
                    group.error = Some(e);
                    break;
                }
            }
        }
        Ok(group)
    }
}

/// One v1 `dependencies` entry: the fields this reader uses.
#[derive(Default)]
struct V1Entry<'de> {
    version: Loose<'de>,
    resolved: Loose<'de>,
    integrity: Loose<'de>,
    bundled: Loose<'de>,
    dev: Loose<'de>,
    optional: Loose<'de>,
    dependencies: Option<Result<Group, &'static str>>,
}

struct V1EntrySeed<'a, 'c> {
    ctx: &'a Context<'c>,
    /// The depth of the entry's own `dependencies`.
    depth: usize,
    prefix: &'a str,
}

impl<'de> ObjectSeed<'de> for V1EntrySeed<'_, '_> {
    type Value = V1Entry<'de>;

    fn visit_object<A: MapAccess<'de>>(self, mut map: A) -> Result<V1Entry<'de>, A::Error> {
        let mut keys = KeySet::default();
        let mut e = V1Entry::default();
        while let Some(Text(key)) = map.next_key()? {
            let field = match key.as_ref() {
                "version" => Some(&mut e.version),
                "resolved" => Some(&mut e.resolved),
                "integrity" => Some(&mut e.integrity),
                "bundled" => Some(&mut e.bundled),
                "dev" => Some(&mut e.dev),
                "optional" => Some(&mut e.optional),
                _ => None,
            };
            if let Some(field) = field {
                *field = map.next_value()?;
            } else if key == "dependencies" {
                e.dependencies = Some(map.next_value_seed(ObjectOr(GroupSeed {
                    ctx: self.ctx,
                    depth: self.depth,
                    prefix: self.prefix,
                }))?);
            } else {
                map.next_value::<StrictIgnore>()?;
            }
            keys.insert(key)?;
        }
        Ok(e)
    }
}

/// Makes one v1 entry into its package and the map nested in it.
fn v1_package(
    ctx: &Context<'_>,
    install_name: &str,
    location: String,
    e: V1Entry<'_>,
) -> Result<(Package, Option<Group>), ErrorKind> {
    let spec = opt_str(&e.version, "version", &location)?
        .ok_or_else(|| malformed(&location, "a \"version\"", "none"))?;
    let resolved = opt_str(&e.resolved, "resolved", &location)?;
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
            (install_name, version, git)
        } else if let Some(path) = spec.strip_prefix("file:") {
            (
                install_name,
                "0.0.0".to_owned(),
                Source::Path {
                    path: Some(path.to_owned()),
                },
            )
        } else if opt_bool(&e.bundled, "bundled", &location)? {
            (install_name, spec.to_owned(), Source::Bundled)
        } else {
            let source = resolved.map_or(Source::Registry { url: None }, |r| {
                classify_resolved(install_name, r)
            });
            (install_name, spec.to_owned(), source)
        };
    let mut p = ctx.package(Ecosystem::Npm, name, &version, source);
    if name != install_name {
        p.alias = Some(install_name.to_owned());
    }
    if let Some(i) = opt_str(&e.integrity, "integrity", &location)? {
        p.integrity = parse_sri(&location, i)?;
    }
    p.dev = opt_bool(&e.dev, "dev", &location)?;
    p.optional = opt_bool(&e.optional, "optional", &location)?;
    let nested = match e.dependencies {
        Some(nested) => Some(nested.map_err(|k| malformed(&location, "an object", k))?),
        None => None,
    };
    p.location = Some(location);
    Ok((p, nested))
}

/// The v1 packages in the order of a walk that takes each map whole, then the maps nested in
/// it, the last first; a map deeper than the limit fails the walk when it is reached.
fn flatten_v1(ctx: &Context<'_>, top: Group) -> Result<Vec<Package>, ErrorKind> {
    let mut out = Vec::new();
    let mut stack = vec![top];
    while let Some(group) = stack.pop() {
        if group.too_deep {
            return Err(ErrorKind::TooDeep {
                limit: ctx.limits.max_depth,
            });
        }
        out.extend(group.packages);
        if let Some(e) = group.error {
            return Err(e);
        }
        stack.extend(group.children);
    }
    Ok(out)
}

/// A top-level entry of a v2 file's `dependencies`: its name and its `version` if that is a
/// string (`Err` is the kind of a value that is not an object).
type TopLevel<'de> = (Cow<'de, str>, Result<Option<Cow<'de, str>>, &'static str>);

struct TopLevelSeed;

impl<'de> ObjectSeed<'de> for TopLevelSeed {
    type Value = Vec<TopLevel<'de>>;

    fn visit_object<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keys = KeySet::default();
        let mut out = Vec::new();
        while let Some(Text(name)) = map.next_key()? {
            let version = map.next_value_seed(ObjectOr(VersionOnlySeed))?;
            out.push((name.clone(), version));
            keys.insert(name)?;
        }
        Ok(out)
    }
}

struct VersionOnlySeed;

impl<'de> ObjectSeed<'de> for VersionOnlySeed {
    type Value = Option<Cow<'de, str>>;

    fn visit_object<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keys = KeySet::default();
        let mut version = None;
        while let Some(Text(key)) = map.next_key()? {
            if key == "version" {
                version = match map.next_value()? {
                    Loose::Str(s) => Some(s),
                    _ => None,
                };
            } else {
                map.next_value::<StrictIgnore>()?;
            }
            keys.insert(key)?;
        }
        Ok(version)
    }
}

/// In a v2 file, the v1 `dependencies` section must name the same versions as `packages`.
fn check_agreement(mut deps: Vec<TopLevel<'_>>, packages: &[Package]) -> Result<(), ErrorKind> {
    let by_location: HashMap<&str, &str> = packages
        .iter()
        .filter_map(|p| Some((p.location.as_deref()?, p.version.as_str())))
        .collect();
    deps.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (name, entry) in &deps {
        let location = format!("node_modules/{name}");
        let entry = entry
            .as_ref()
            .map_err(|k| malformed(&location, "an object", k))?;
        let Some(v1) = entry.as_deref() else {
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

fn malformed(at: &str, expected: &'static str, found: &str) -> ErrorKind {
    ErrorKind::Malformed {
        at: truncate(at),
        expected,
        found: truncate(found),
    }
}

fn opt_str<'a>(
    v: &'a Loose<'_>,
    key: &'static str,
    at: &str,
) -> Result<Option<&'a str>, ErrorKind> {
    match v {
        Loose::Null => Ok(None),
        Loose::Str(s) => Ok(Some(s)),
        other => Err(ErrorKind::Malformed {
            at: format!("{} \"{key}\"", truncate(at)),
            expected: "a string",
            found: kind(other).to_owned(),
        }),
    }
}

fn opt_bool(v: &Loose<'_>, key: &'static str, at: &str) -> Result<bool, ErrorKind> {
    match v {
        Loose::Null => Ok(false),
        Loose::Bool(b) => Ok(*b),
        other => Err(ErrorKind::Malformed {
            at: format!("{} \"{key}\"", truncate(at)),
            expected: "a boolean",
            found: kind(other).to_owned(),
        }),
    }
}

fn kind(v: &Loose<'_>) -> &'static str {
    match v {
        Loose::Null => "null",
        Loose::Bool(_) => "a boolean",
        Loose::Str(_) => "a string",
        Loose::Other(k) => k,
    }
}
