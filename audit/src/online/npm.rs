//! npm: does the registry's integrity match the lockfile's, and do the registry's ECDSA P-256
//! signatures verify over `{name}@{version}:{integrity}` with the lockfile's integrity
//! (<https://docs.npmjs.com/about-registry-signatures>).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use sigil_keys::{PublicKey, Scheme};

use super::OnlineError;
use crate::findings::{Code, Finding, Severity};
use crate::model::{Ecosystem, HashAlgorithm, Integrity, Package};

/// The npm registry, as lockfiles name it (yarnpkg serves the same packages and signatures).
const NPMJS: &[&str] = &["https://registry.npmjs.org", "https://registry.yarnpkg.com"];

/// The registry's signing keys, below the registry URL.
pub(super) const KEYS_PATH: &str = "-/npm/v1/keys";

/// The longest package name npm accepts.
const MAX_NAME_LEN: usize = 214;
/// A generous bound on version length.
const MAX_VERSION_LEN: usize = 256;

#[derive(Debug, Deserialize)]
struct KeysDoc {
    keys: Vec<RawKey>,
}

#[derive(Debug, Deserialize)]
struct RawKey {
    keyid: String,
    key: String,
}

/// The registry's keys by id.
#[derive(Debug, Default)]
pub(super) struct Keys(Vec<(String, PublicKey)>);

impl Keys {
    fn get(&self, keyid: &str) -> Option<&PublicKey> {
        self.0.iter().find(|(id, _)| id == keyid).map(|(_, k)| k)
    }
}

/// The part of a version document the checks read.
#[derive(Debug, Deserialize)]
pub(super) struct VersionDoc {
    dist: Dist,
}

#[derive(Debug, Deserialize)]
struct Dist {
    #[serde(default)]
    integrity: Option<String>,
    #[serde(default)]
    shasum: Option<String>,
    #[serde(default)]
    signatures: Vec<Signature>,
}

#[derive(Debug, Deserialize)]
struct Signature {
    keyid: String,
    sig: String,
}

impl VersionDoc {
    /// Whether it carries signatures (and so the keys are needed).
    pub(super) fn is_signed(&self) -> bool {
        !self.dist.signatures.is_empty()
    }
}

/// Whether `p` comes from the npm registry.
pub(super) fn is_npmjs(p: &Package) -> bool {
    p.ecosystem == Ecosystem::Npm && super::registry_is(p, NPMJS)
}

/// The version document's path: `name/version`, a scope's slash encoded (`@scope%2fname`).
/// `None` for a name or version that npm could not hold (or that would not be a safe path).
pub(super) fn version_path(name: &str, version: &str) -> Option<String> {
    let part_ok = |s: &str| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
    };
    let encoded = match name.strip_prefix('@') {
        Some(scoped) => {
            let (scope, bare) = scoped.split_once('/')?;
            (part_ok(scope) && part_ok(bare)).then(|| format!("@{scope}%2f{bare}"))?
        }
        None => part_ok(name).then(|| name.to_owned())?,
    };
    let version_ok = !version.is_empty()
        && version.len() <= MAX_VERSION_LEN
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'+'));
    (name.len() <= MAX_NAME_LEN && version_ok).then(|| format!("{encoded}/{version}"))
}

/// Reads the keys document; every key must be an ECDSA P-256 SPKI.
pub(super) fn parse_keys(url: &str, body: &[u8]) -> Result<Keys, OnlineError> {
    let doc: KeysDoc = serde_json::from_slice(body).map_err(|source| OnlineError::Json {
        url: url.to_owned(),
        expected: "an npm keys document ({\"keys\": [{\"keyid\", \"key\"}]})",
        source,
    })?;
    let mut keys = Vec::with_capacity(doc.keys.len());
    for raw in doc.keys {
        let der = STANDARD
            .decode(raw.key.trim())
            .map_err(|_| OnlineError::KeyEncoding {
                url: url.to_owned(),
                keyid: raw.keyid.clone(),
            })?;
        let key = PublicKey::from_spki_der(&der).map_err(|source| OnlineError::Key {
            url: url.to_owned(),
            keyid: raw.keyid.clone(),
            source,
        })?;
        if key.scheme() != Scheme::EcdsaP256Sha256 {
            return Err(OnlineError::KeyScheme {
                url: url.to_owned(),
                keyid: raw.keyid,
                found: key.scheme(),
            });
        }
        keys.push((raw.keyid, key));
    }
    Ok(Keys(keys))
}

/// Reads a version document.
pub(super) fn parse_version(url: &str, body: &[u8]) -> Result<VersionDoc, OnlineError> {
    serde_json::from_slice(body).map_err(|source| OnlineError::Json {
        url: url.to_owned(),
        expected: "an npm version document (with `dist`)",
        source,
    })
}

/// The digests of a Subresource Integrity string that this tool can read, strongest first;
/// tokens it cannot read are left out.
fn registry_digests(dist: &Dist) -> Vec<Integrity> {
    let mut out: Vec<Integrity> = dist
        .integrity
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|token| {
            let (alg, rest) = token.split_once('-')?;
            let algorithm = match alg {
                "sha1" => HashAlgorithm::Sha1,
                "sha256" => HashAlgorithm::Sha256,
                "sha384" => HashAlgorithm::Sha384,
                "sha512" => HashAlgorithm::Sha512,
                _ => return None,
            };
            let b64 = rest.split('?').next().unwrap_or(rest);
            let digest = STANDARD.decode(b64).ok()?;
            (digest.len() == algorithm.digest_len()).then(|| Integrity {
                algorithm,
                hex: hex::encode(digest),
            })
        })
        .collect();
    if let Some(shasum) = dist.shasum.as_deref().filter(|s| s.len() == 40) {
        if !out.iter().any(|i| i.algorithm == HashAlgorithm::Sha1) {
            out.push(Integrity {
                algorithm: HashAlgorithm::Sha1,
                hex: shasum.to_ascii_lowercase(),
            });
        }
    }
    out.sort_by_key(|i| std::cmp::Reverse(i.algorithm));
    out
}

/// `p`'s digest in `algorithm` as an SRI string (`sha512-<base64>`), as npm writes it.
fn lockfile_sri(p: &Package, algorithm: HashAlgorithm) -> Option<String> {
    sri_of(p.integrity.iter().find(|i| i.algorithm == algorithm)?)
}

/// A digest as an SRI string.
fn sri_of(i: &Integrity) -> Option<String> {
    let digest = hex::decode(&i.hex).ok()?;
    Some(format!(
        "{}-{}",
        i.algorithm.as_str(),
        STANDARD.encode(digest)
    ))
}

/// The findings for `p`, given its version document (`None`: the registry has no such version)
/// and the registry's keys (`None` when the document is unsigned and they were not needed).
pub(super) fn check(
    p: &Package,
    doc: Option<&VersionDoc>,
    keys: Option<&Keys>,
    url: &str,
) -> Vec<Finding> {
    let Some(doc) = doc else {
        return vec![Finding::for_package(
            Code::NpmNotInRegistry,
            Severity::Warning,
            p,
            format!("the npm registry has no version {} ({url})", p.version),
        )];
    };
    let mut out = Vec::new();
    let registry = registry_digests(&doc.dist);
    let differing: Vec<&Integrity> = registry
        .iter()
        .filter(|r| {
            p.integrity
                .iter()
                .any(|l| l.algorithm == r.algorithm && l.hex != r.hex)
        })
        .collect();
    if let Some(r) = differing.first() {
        let theirs = sri_of(r).unwrap_or_else(|| r.hex.clone());
        let ours = lockfile_sri(p, r.algorithm).unwrap_or_default();
        out.push(Finding::for_package(
            Code::NpmIntegrityMismatch,
            Severity::Error,
            p,
            format!("the registry's integrity is {theirs}, the lockfile pins {ours} ({url})"),
        ));
    }
    if doc.dist.signatures.is_empty() {
        out.push(Finding::for_package(
            Code::NpmSignatureMissing,
            Severity::Warning,
            p,
            format!("the registry holds no signature for this version ({url})"),
        ));
        return out;
    }
    // The signed integrity is the registry's strongest; the lockfile's digest in the same
    // algorithm is what must have been signed. A lockfile pinning only another algorithm is
    // not checked here (integrity-weak or integrity-missing speak for it).
    let algorithm = registry
        .first()
        .map(|r| r.algorithm)
        .or_else(|| p.strongest_integrity().map(|i| i.algorithm));
    let Some(sri) = algorithm.and_then(|a| lockfile_sri(p, a)) else {
        return out;
    };
    let message = format!("{}@{}:{sri}", p.name, p.version);
    let failures: Vec<String> = doc
        .dist
        .signatures
        .iter()
        .filter_map(|s| {
            let Some(key) = keys.and_then(|k| k.get(&s.keyid)) else {
                return Some(format!("key {} is not among the registry's keys", s.keyid));
            };
            let Ok(sig) = STANDARD.decode(s.sig.trim()) else {
                return Some(format!("the signature by key {} is not base64", s.keyid));
            };
            key.verify(message.as_bytes(), &sig)
                .err()
                .map(|_| format!("the signature by key {} does not verify", s.keyid))
        })
        .collect();
    if !failures.is_empty() {
        out.push(Finding::for_package(
            Code::NpmSignatureInvalid,
            Severity::Error,
            p,
            format!(
                "{} over {message:?}: the registry did not sign what the lockfile pins ({url})",
                failures.join("; ")
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_paths_encode_the_scope_slash() {
        assert_eq!(
            version_path("left-pad", "1.3.0").as_deref(),
            Some("left-pad/1.3.0")
        );
        assert_eq!(
            version_path("@babel/core", "7.24.0").as_deref(),
            Some("@babel%2fcore/7.24.0")
        );
        assert_eq!(
            version_path("a", "1.0.0-rc.1+build.5").as_deref(),
            Some("a/1.0.0-rc.1+build.5")
        );
    }

    #[test]
    fn path_traversal_in_an_npm_name_or_version_is_refused() {
        assert_eq!(version_path("..", "1.0.0"), None);
        assert_eq!(version_path("@a/../../x", "1.0.0"), None);
        assert_eq!(version_path("a", "../../-/npm/v1/keys"), None);
        assert_eq!(version_path("a?x=1", "1.0.0"), None);
        assert_eq!(version_path("@scope", "1.0.0"), None);
        assert_eq!(version_path("a", ""), None);
    }

    #[test]
    fn registry_digests_read_sri_and_shasum_strongest_first() {
        let dist = Dist {
            integrity: Some(format!("sha512-{} md5-xyz", STANDARD.encode([7u8; 64]))),
            shasum: Some("AB".repeat(20)),
            signatures: Vec::new(),
        };
        let d = registry_digests(&dist);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].algorithm, HashAlgorithm::Sha512);
        assert_eq!(d[0].hex, "07".repeat(64));
        assert_eq!(d[1].hex, "ab".repeat(20));
    }
}
