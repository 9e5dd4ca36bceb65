//! The result of an audit and its renderings: a human summary, JSON, SARIF 2.1.0, and
//! CycloneDX 1.6 and SPDX 2.3 SBOMs.

mod cyclonedx;
mod graph;
mod human;
mod json;
mod sarif;
mod spdx_json;
mod stream;

use std::path::PathBuf;

use serde::Serialize;

use crate::check::{self, Options};
use crate::findings::{Counts, Finding, Severity};
use crate::lockfile::{Format, Lockfile};
use crate::model::Package;
use crate::policy::{Date, Policy};

/// The tool's name in reports.
pub const TOOL_NAME: &str = "sigil-audit";
/// The tool's version in reports.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// A summary for people.
    Human,
    /// The full report as JSON.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// A CycloneDX 1.6 JSON SBOM.
    CycloneDx,
    /// An SPDX 2.3 JSON SBOM.
    Spdx,
}

/// What an audit found, with everything needed to render it or log it.
#[derive(Debug, Clone)]
pub struct Report {
    lockfiles: Vec<Lockfile>,
    findings: Vec<Finding>,
    policy_sha256: Option<String>,
    options: Options,
    in_scope: Vec<Vec<bool>>,
    /// Per package, the license the policy's clarification concludes, if any.
    concluded: Vec<Vec<Option<String>>>,
    /// The advisory databases matched against, when there were any.
    advisories: Option<AdvisorySummary>,
}

/// Which advisory databases an audit matched against, so that a report shows the check ran
/// and on what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdvisorySummary {
    /// The databases, as given (paths or URLs).
    pub databases: Vec<String>,
    /// The records read, every ecosystem and withdrawn ones included.
    pub records: usize,
    /// The advisories kept: about crates.io and npm packages (only about the locked ones,
    /// when `filtered`).
    pub advisories: usize,
    /// Whether only advisories about the locked packages were kept.
    pub filtered: bool,
}

/// One lockfile in a [`Summary`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockfileDigest {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// How many packages it lists.
    pub packages: usize,
}

/// The short form of a report, for a custody-log statement: what was audited (by digest),
/// under which policy, on which date, and how it came out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The tool and version.
    pub tool: String,
    /// The date exceptions were judged on.
    pub date: Date,
    /// The lockfiles.
    pub lockfiles: Vec<LockfileDigest>,
    /// SHA-256 of the policy file, `None` for the built-in policy.
    pub policy_sha256: Option<String>,
    /// Findings by severity.
    pub counts: Counts,
    /// Whether the audit passed (no error findings).
    pub passed: bool,
}

impl Report {
    pub(crate) fn new(
        lockfiles: Vec<Lockfile>,
        findings: Vec<Finding>,
        policy: &Policy,
        options: Options,
    ) -> Self {
        let in_scope = lockfiles
            .iter()
            .map(|l| {
                l.packages
                    .iter()
                    .map(|p| check::in_scope(p, policy, &options))
                    .collect()
            })
            .collect();
        let concluded = lockfiles
            .iter()
            .map(|l| {
                l.packages
                    .iter()
                    .map(|p| policy.clarification_for(p).map(|c| c.license.clone()))
                    .collect()
            })
            .collect();
        Self {
            lockfiles,
            findings,
            policy_sha256: policy.sha256.clone(),
            options,
            in_scope,
            concluded,
            advisories: None,
        }
    }

    /// Records which advisory databases the audit matched against.
    pub(crate) fn with_advisories(mut self, summary: AdvisorySummary) -> Self {
        self.advisories = Some(summary);
        self
    }

    /// The advisory databases matched against, if any.
    #[must_use]
    pub fn advisories(&self) -> Option<&AdvisorySummary> {
        self.advisories.as_ref()
    }

    /// The lockfiles read, with their packages.
    #[must_use]
    pub fn lockfiles(&self) -> &[Lockfile] {
        &self.lockfiles
    }

    /// The findings, most severe first.
    #[must_use]
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Whether no finding is an error.
    #[must_use]
    pub fn passed(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// Findings by severity.
    #[must_use]
    pub fn counts(&self) -> Counts {
        Counts::of(&self.findings)
    }

    /// The packages that were checked: not workspace members, and not dev-only when those
    /// were excluded. SBOMs list these.
    pub fn checked_packages(&self) -> impl Iterator<Item = &Package> {
        self.lockfiles
            .iter()
            .zip(&self.in_scope)
            .flat_map(|(l, scope)| l.packages.iter().zip(scope))
            .filter_map(|(p, checked)| checked.then_some(p))
    }

    /// The checked packages with the license the policy concludes for each (from a
    /// clarification), for the SBOMs.
    fn checked_with_conclusions(&self) -> impl Iterator<Item = (&Package, Option<&str>)> {
        self.lockfiles
            .iter()
            .zip(self.in_scope.iter().zip(&self.concluded))
            .flat_map(|(l, (scope, concluded))| l.packages.iter().zip(scope.iter().zip(concluded)))
            .filter_map(|(p, (checked, concluded))| checked.then_some((p, concluded.as_deref())))
    }

    /// The short form, for logs.
    #[must_use]
    pub fn summary(&self) -> Summary {
        Summary {
            tool: format!("{TOOL_NAME} {TOOL_VERSION}"),
            date: self.options.today,
            lockfiles: self
                .lockfiles
                .iter()
                .map(|l| LockfileDigest {
                    path: l.path.clone(),
                    format: l.format,
                    sha256: l.sha256.clone(),
                    packages: l.packages.len(),
                })
                .collect(),
            policy_sha256: self.policy_sha256.clone(),
            counts: self.counts(),
            passed: self.passed(),
        }
    }

    /// Renders the report in `format` into a string. For large reports prefer
    /// [`Self::write_to`], which never holds the whole text.
    ///
    /// # Errors
    /// Only if JSON serialization fails, which the report's types do not do in practice.
    pub fn render(&self, format: OutputFormat) -> Result<String, serde_json::Error> {
        let mut out = Vec::new();
        self.write_to(format, &mut out)?;
        String::from_utf8(out).map_err(|e| {
            serde_json::Error::io(std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        })
    }

    /// Writes the report in `format` to `out` as it is produced: memory stays that of the
    /// report, whatever the size of the output. Wrap `out` in a `BufWriter` when it is a file
    /// or a pipe.
    ///
    /// # Errors
    /// Writing to `out` failed (the I/O error is inside the `serde_json::Error`; see
    /// [`serde_json::Error::io_error_kind`]).
    pub fn write_to(
        &self,
        format: OutputFormat,
        out: &mut dyn std::io::Write,
    ) -> Result<(), serde_json::Error> {
        match format {
            OutputFormat::Human => human::write(self, out).map_err(serde_json::Error::io),
            OutputFormat::Json => json::write(self, out),
            OutputFormat::Sarif => sarif::write(self, out),
            OutputFormat::CycloneDx => cyclonedx::write(self, out),
            OutputFormat::Spdx => spdx_json::write(self, out),
        }
    }

    /// The application the lockfiles belong to, for the SBOM's root component: the name and
    /// version in the `package.json` or `Cargo.toml` beside the first lockfile, else the name
    /// of its folder.
    fn application(&self) -> Application {
        let Some(first) = self.lockfiles.first() else {
            return Application::unnamed();
        };
        let dir = first.path.parent().unwrap_or(std::path::Path::new("."));
        if let Some(app) = manifest_application(dir) {
            return app;
        }
        let folder = std::fs::canonicalize(dir)
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()));
        folder.map_or_else(Application::unnamed, |name| Application {
            name,
            version: None,
        })
    }

    /// A name-based identifier for this report's content (RFC 9562 UUIDv8 from SHA-256 of the
    /// lockfile and policy digests and the date), so that the same audit gives the same SBOM.
    fn content_uuid(&self) -> String {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        for l in &self.lockfiles {
            ctx.update(l.sha256.as_bytes());
        }
        ctx.update(
            self.policy_sha256
                .as_deref()
                .unwrap_or("builtin")
                .as_bytes(),
        );
        ctx.update(self.options.today.to_string().as_bytes());
        let d = ctx.finish();
        let mut b = [0u8; 16];
        b.copy_from_slice(&d.as_ref()[..16]);
        b[6] = (b[6] & 0x0f) | 0x80; // version 8
        b[8] = (b[8] & 0x3f) | 0x80; // variant RFC 9562
        let h = hex::encode(b);
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    /// The audit date as an RFC 3339 timestamp at midnight UTC.
    fn timestamp(&self) -> String {
        self.options.today.midnight().to_string()
    }
}

/// The application an SBOM describes.
struct Application {
    name: String,
    version: Option<String>,
}

impl Application {
    fn unnamed() -> Self {
        Self {
            name: "application".to_owned(),
            version: None,
        }
    }
}

/// The name and version a project manifest in `dir` states (`package.json`, else
/// `Cargo.toml`'s `[package]`), if it states a name.
fn manifest_application(dir: &std::path::Path) -> Option<Application> {
    use std::io::Read as _;
    const MAX: u64 = 1024 * 1024;
    let read = |name: &str| -> Option<String> {
        let mut text = String::new();
        std::fs::File::open(dir.join(name))
            .ok()?
            .take(MAX)
            .read_to_string(&mut text)
            .ok()?;
        Some(text)
    };
    let field =
        |v: &serde_json::Value, k: &str| v.get(k).and_then(|s| s.as_str()).map(str::to_owned);
    if let Some(v) =
        read("package.json").and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    {
        if let Some(name) = field(&v, "name") {
            return Some(Application {
                name,
                version: field(&v, "version"),
            });
        }
    }
    let manifest: toml::Table = read("Cargo.toml")?.parse().ok()?;
    let package = manifest.get("package")?;
    let name = package.get("name")?.as_str()?.to_owned();
    // `version.workspace = true` is not a version string: leave it out.
    let version = package
        .get("version")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    Some(Application { name, version })
}

/// The URL a package is downloaded from, when the lockfile names one other than a registry's.
fn download_url(p: &Package) -> Option<String> {
    match &p.source {
        crate::model::Source::Tarball { url } => Some(url.clone()),
        crate::model::Source::Git { url, rev } => Some(match rev {
            Some(r) => format!("{url}#{r}"),
            None => url.clone(),
        }),
        _ => None,
    }
}
