//! The one package model that every lockfile reader produces.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The package ecosystem a lockfile belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ecosystem {
    /// Rust crates (Cargo.lock).
    Cargo,
    /// JavaScript packages (npm, yarn and pnpm lockfiles).
    Npm,
}

impl Ecosystem {
    /// The lowercase name used in reports and package URLs.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cargo => "cargo",
            Self::Npm => "npm",
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a package comes from, as the lockfile records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    /// A package registry. `url` is `None` when the lockfile does not record which registry
    /// (yarn berry and pnpm leave that to the package manager's configuration).
    Registry {
        /// The registry's index or base URL.
        url: Option<String>,
    },
    /// A git repository at a revision (`rev` is what the lockfile pins, if anything).
    Git {
        /// The repository URL, without the revision.
        url: String,
        /// The commit, tag or branch the lockfile records.
        rev: Option<String>,
    },
    /// A directory or file on disk outside the project's workspace (`path:`, `file:`, `link:`).
    Path {
        /// The path as written in the lockfile (Cargo.lock does not record it).
        path: Option<String>,
    },
    /// A tarball downloaded from a URL that is not a registry.
    Tarball {
        /// The tarball URL.
        url: String,
    },
    /// Shipped inside its parent package's tarball (npm `inBundle`).
    Bundled,
    /// A package patched by the package manager (yarn berry `patch:`).
    Patch {
        /// The resolution as written in the lockfile.
        spec: String,
    },
    /// A member of the project's own workspace: the code being audited, not a dependency.
    Workspace,
    /// A source protocol this tool does not know (reported as a finding, never trusted).
    Unrecognized {
        /// The resolution as written in the lockfile.
        spec: String,
    },
}

/// The registry a package manager is configured to use, for packages whose lockfile does not
/// record one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssumedRegistry {
    /// The registry's base URL.
    pub url: String,
    /// Where it was read (`/app/.npmrc (registry)`, or `npm's default registry`).
    pub from: String,
}

/// A hash algorithm used for package integrity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HashAlgorithm {
    /// SHA-1: broken for collision resistance; accepted by npm only for old packages.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// The digest length in bytes.
    #[must_use]
    pub fn digest_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The name used in Subresource Integrity strings (`sha512`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// Whether the algorithm still resists collisions.
    #[must_use]
    pub fn is_strong(self) -> bool {
        !matches!(self, Self::Sha1)
    }
}

/// A digest of a package's archive, checked by the package manager on download.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Integrity {
    /// The hash algorithm.
    pub algorithm: HashAlgorithm,
    /// The digest, lowercase hex.
    pub hex: String,
}

impl fmt::Debug for Integrity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.as_str(), self.hex)
    }
}

/// One resolved package from a lockfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// The package's real name (for an npm alias, the aliased package, not the alias).
    pub name: String,
    /// The resolved version.
    pub version: String,
    /// Where it comes from.
    pub source: Source,
    /// The digests the lockfile pins, strongest first.
    pub integrity: Vec<Integrity>,
    /// Needed only for development (npm `dev`; pnpm dev-only; for yarn, derived from the
    /// project's `package.json`; never known for Cargo).
    pub dev: bool,
    /// Optional (npm `optional`/`devOptional`, pnpm `optional`).
    pub optional: bool,
    /// The license expression as the lockfile or the package's manifest states it.
    pub license: Option<String>,
    /// Runs scripts at install time (npm `hasInstallScript`, pnpm `requiresBuild`).
    pub has_install_script: bool,
    /// The name it is installed under when that differs from `name` (npm `alias@npm:real`).
    pub alias: Option<String>,
    /// Where the lockfile places it (npm `node_modules/a/node_modules/b`), when it says.
    pub location: Option<String>,
    /// For a registry package whose lockfile records no registry (npm with
    /// `omit-lockfile-registry-resolved`, pnpm, yarn berry): the registry the package manager
    /// is configured to download it from, and where that was read.
    pub assumed_registry: Option<AssumedRegistry>,
    /// Where manifests on disk were searched for its license without finding one, when they
    /// were searched (for the `license-unknown` finding to say).
    pub license_searched: Option<String>,
    /// The platforms it is installed on, when the lockfile restricts them (yarn berry
    /// `conditions: os=darwin & cpu=arm64`; npm and pnpm `os: darwin; cpu: arm64`).
    pub platforms: Option<String>,
    /// The lockfile it was read from.
    pub lockfile: PathBuf,
}

impl Package {
    /// A package with the given identity and no flags set, as readers start from.
    #[must_use]
    pub fn new(
        ecosystem: Ecosystem,
        name: String,
        version: String,
        source: Source,
        lockfile: PathBuf,
    ) -> Self {
        Self {
            ecosystem,
            name,
            version,
            source,
            integrity: Vec::new(),
            dev: false,
            optional: false,
            license: None,
            has_install_script: false,
            alias: None,
            location: None,
            assumed_registry: None,
            license_searched: None,
            platforms: None,
            lockfile,
        }
    }

    /// The strongest digest the lockfile pins, if any.
    #[must_use]
    pub fn strongest_integrity(&self) -> Option<&Integrity> {
        self.integrity.iter().max_by_key(|i| i.algorithm)
    }

    /// Whether this is the project's own code rather than a dependency.
    #[must_use]
    pub fn is_workspace(&self) -> bool {
        self.source == Source::Workspace
    }

    /// A package URL (purl) naming this package.
    #[must_use]
    pub fn purl(&self) -> String {
        match self.ecosystem {
            Ecosystem::Cargo => format!("pkg:cargo/{}@{}", self.name, self.version),
            Ecosystem::Npm => {
                let name = self.name.replacen('@', "%40", 1);
                format!("pkg:npm/{name}@{}", self.version)
            }
        }
    }
}

impl fmt::Display for Package {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}@{}", self.ecosystem, self.name, self.version)
    }
}
