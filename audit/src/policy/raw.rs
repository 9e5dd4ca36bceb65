//! The policy file as written, and its validation into [`Policy`].

use serde::Deserialize;

use super::{
    Clarification, Code, Date, Exception, Level, LicensePolicy, Policy, PolicyError, Selector,
    SourcePolicy,
};
use crate::model::Ecosystem;

/// Licenses accepted when a policy does not list its own: the common permissive ones.
pub(super) const DEFAULT_ALLOW: &[&str] = &[
    "0BSD",
    "Apache-2.0",
    "Apache-2.0 WITH LLVM-exception",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BlueOak-1.0.0",
    "CC0-1.0",
    "ISC",
    "MIT",
    "MIT-0",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "Unlicense",
    "Zlib",
];

/// Registries accepted when a policy does not list its own: the public ones.
pub(super) const DEFAULT_REGISTRIES: &[&str] = &[
    "https://github.com/rust-lang/crates.io-index",
    "https://index.crates.io/",
    "https://registry.npmjs.org/",
    "https://registry.yarnpkg.com/",
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawPolicy {
    #[serde(default)]
    licenses: RawLicenses,
    #[serde(default)]
    sources: RawSources,
    #[serde(default)]
    exceptions: Vec<RawException>,
    #[serde(default)]
    clarify: Vec<RawClarify>,
    #[serde(default)]
    advisories: crate::advisory::RawAdvisories,
    #[serde(default)]
    exclude_dev: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLicenses {
    allow: Option<Vec<String>>,
    #[serde(default)]
    deny: Vec<String>,
    copyleft: Option<Level>,
    unknown: Option<Level>,
    nonstandard: Option<Level>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSources {
    registries: Option<Vec<String>>,
    git: Option<Level>,
    local: Option<Level>,
    tarball: Option<Level>,
    insecure: Option<Level>,
    unrecognized: Option<Level>,
    patched: Option<Level>,
    missing_integrity: Option<Level>,
    weak_integrity: Option<Level>,
    install_scripts: Option<Level>,
    aliases: Option<Level>,
    duplicates: Option<Level>,
    yanked: Option<Level>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawException {
    name: String,
    version: Option<String>,
    ecosystem: Option<Ecosystem>,
    #[serde(default)]
    licenses: Vec<String>,
    #[serde(default)]
    codes: Vec<String>,
    #[serde(default)]
    reason: String,
    expires: Option<RawDate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawClarify {
    name: String,
    version: Option<String>,
    ecosystem: Option<Ecosystem>,
    license: String,
    #[serde(default)]
    reason: String,
}

/// An expiry date, quoted (`"2027-01-31"`) or as a TOML date (`2027-01-31`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawDate {
    Text(String),
    Toml(toml::value::Datetime),
}

fn licensee(field: &str, value: &str) -> Result<spdx::Licensee, PolicyError> {
    spdx::Licensee::parse(value).map_err(|source| PolicyError::License {
        field: field.to_owned(),
        found: value.to_owned(),
        source,
    })
}

fn licensees(field: &str, values: &[String]) -> Result<Vec<spdx::Licensee>, PolicyError> {
    values.iter().map(|v| licensee(field, v)).collect()
}

fn reason(field: &str, reason: String) -> Result<String, PolicyError> {
    if reason.trim().is_empty() {
        return Err(PolicyError::NoReason {
            field: field.to_owned(),
        });
    }
    Ok(reason)
}

fn date(field: &str, raw: RawDate) -> Result<Date, PolicyError> {
    let text = match raw {
        RawDate::Text(t) => t,
        RawDate::Toml(d) => d.to_string(),
    };
    text.parse().map_err(|source| PolicyError::Date {
        field: field.to_owned(),
        source,
    })
}

fn default_licenses() -> LicensePolicy {
    LicensePolicy {
        // Every entry is a valid SPDX id; a unit test checks that none is dropped here.
        allow: DEFAULT_ALLOW
            .iter()
            .filter_map(|l| spdx::Licensee::parse(l).ok())
            .collect(),
        deny: Vec::new(),
        copyleft: Level::Deny,
        unknown: Level::Deny,
        nonstandard: Level::Warn,
    }
}

fn default_sources() -> SourcePolicy {
    SourcePolicy {
        registries: DEFAULT_REGISTRIES.iter().map(|r| (*r).to_owned()).collect(),
        git: Level::Warn,
        local: Level::Warn,
        tarball: Level::Warn,
        insecure: Level::Deny,
        unrecognized: Level::Deny,
        patched: Level::Note,
        missing_integrity: Level::Deny,
        weak_integrity: Level::Warn,
        install_scripts: Level::Warn,
        aliases: Level::Note,
        // Several versions of one package are normal in npm trees and common in Cargo ones;
        // listing them is a choice (`duplicates = "note"`), not a default.
        duplicates: Level::Allow,
        yanked: Level::Deny,
    }
}

pub(super) fn builtin() -> Policy {
    Policy {
        licenses: default_licenses(),
        sources: default_sources(),
        exceptions: Vec::new(),
        clarifications: Vec::new(),
        advisories: crate::advisory::AdvisoryPolicy::default(),
        exclude_dev: false,
        sha256: None,
        path: None,
    }
}

impl RawPolicy {
    pub(super) fn validate(self) -> Result<Policy, PolicyError> {
        let mut licenses = default_licenses();
        let l = self.licenses;
        if let Some(allow) = l.allow {
            licenses.allow = licensees("licenses.allow", &allow)?;
        }
        licenses.deny = licensees("licenses.deny", &l.deny)?;
        licenses.copyleft = l.copyleft.unwrap_or(licenses.copyleft);
        licenses.unknown = l.unknown.unwrap_or(licenses.unknown);
        licenses.nonstandard = l.nonstandard.unwrap_or(licenses.nonstandard);

        let mut sources = default_sources();
        let s = self.sources;
        if let Some(r) = s.registries {
            sources.registries = r;
        }
        for (slot, value) in [
            (&mut sources.git, s.git),
            (&mut sources.local, s.local),
            (&mut sources.tarball, s.tarball),
            (&mut sources.insecure, s.insecure),
            (&mut sources.unrecognized, s.unrecognized),
            (&mut sources.patched, s.patched),
            (&mut sources.missing_integrity, s.missing_integrity),
            (&mut sources.weak_integrity, s.weak_integrity),
            (&mut sources.install_scripts, s.install_scripts),
            (&mut sources.aliases, s.aliases),
            (&mut sources.duplicates, s.duplicates),
            (&mut sources.yanked, s.yanked),
        ] {
            if let Some(v) = value {
                *slot = v;
            }
        }

        let mut exceptions = Vec::with_capacity(self.exceptions.len());
        for (i, e) in self.exceptions.into_iter().enumerate() {
            let field = format!("exceptions[{i}] ({})", e.name);
            let mut codes = Vec::with_capacity(e.codes.len());
            for c in &e.codes {
                codes.push(Code::from_name(c).ok_or_else(|| PolicyError::Code {
                    field: field.clone(),
                    found: c.clone(),
                })?);
            }
            exceptions.push(Exception {
                licenses: licensees(&field, &e.licenses)?,
                codes,
                reason: reason(&field, e.reason)?,
                expires: e.expires.map(|d| date(&field, d)).transpose()?,
                selector: Selector {
                    name: e.name,
                    version: e.version,
                    ecosystem: e.ecosystem,
                },
            });
        }

        let mut clarifications = Vec::with_capacity(self.clarify.len());
        for (i, c) in self.clarify.into_iter().enumerate() {
            let field = format!("clarify[{i}] ({})", c.name);
            spdx::Expression::parse(&c.license).map_err(|source| PolicyError::License {
                field: field.clone(),
                found: c.license.clone(),
                source,
            })?;
            clarifications.push(Clarification {
                license: c.license,
                reason: reason(&field, c.reason)?,
                selector: Selector {
                    name: c.name,
                    version: c.version,
                    ecosystem: c.ecosystem,
                },
            });
        }

        Ok(Policy {
            licenses,
            sources,
            exceptions,
            clarifications,
            advisories: self.advisories.validate()?,
            exclude_dev: self.exclude_dev,
            sha256: None,
            path: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_keep_every_listed_license() {
        assert_eq!(default_licenses().allow.len(), DEFAULT_ALLOW.len());
    }

    #[test]
    fn a_full_policy_validates() {
        let p = Policy::from_bytes(
            br#"
exclude-dev = true
[licenses]
allow = ["MIT", "Apache-2.0 WITH LLVM-exception"]
deny = ["GPL-3.0-only"]
copyleft = "warn"
[sources]
registries = ["https://npm.example.com/"]
install-scripts = "deny"
[[exceptions]]
name = "ring"
ecosystem = "cargo"
licenses = ["OpenSSL"]
codes = ["install-script"]
reason = "reviewed"
expires = 2027-01-31
[[clarify]]
name = "ring"
version = "0.17.14"
license = "MIT AND ISC AND OpenSSL"
reason = "LICENSE file"
"#,
        )
        .unwrap();
        assert!(p.exclude_dev);
        assert_eq!(p.licenses.allow.len(), 2);
        assert_eq!(p.licenses.copyleft, Level::Warn);
        assert_eq!(p.sources.install_scripts, Level::Deny);
        assert_eq!(p.sources.git, Level::Warn);
        assert_eq!(p.exceptions[0].expires, "2027-01-31".parse().ok());
        assert_eq!(p.exceptions[0].codes, vec![Code::InstallScript]);
        assert_eq!(p.sha256.as_ref().map(String::len), Some(64));
    }

    #[test]
    fn invalid_policies_say_what_is_wrong() {
        let cases: &[(&str, &str)] = &[
            (
                "[licenses]\nallow = [\"Not A License\"]\n",
                "licenses.allow",
            ),
            ("[licenses]\nalow = [\"MIT\"]\n", "unknown field"),
            (
                "[[exceptions]]\nname = \"a\"\nreason = \"x\"\nexpires = \"2027-02-30\"\n",
                "expiry",
            ),
            ("[[exceptions]]\nname = \"a\"\nreason = \" \"\n", "reason"),
            (
                "[[exceptions]]\nname = \"a\"\nreason = \"x\"\ncodes = [\"nope\"]\n",
                "finding code",
            ),
            (
                "[[clarify]]\nname = \"a\"\nlicense = \"MIT AND\"\nreason = \"x\"\n",
                "clarify[0]",
            ),
            ("[sources]\ngit = \"sometimes\"\n", "invalid policy"),
        ];
        for (text, expected) in cases {
            let e = Policy::from_bytes(text.as_bytes()).unwrap_err();
            let chain = format!(
                "{e} {}",
                std::error::Error::source(&e)
                    .map(ToString::to_string)
                    .unwrap_or_default()
            );
            assert!(chain.contains(expected), "{text}: {chain}");
        }
    }
}
