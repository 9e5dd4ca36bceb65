//! OSV records (<https://ossf.github.io/osv-schema/>, schema 1.6), read into [`Advisory`] and
//! matched against locked versions by the schema's evaluation rules for `SEMVER` and
//! `ECOSYSTEM` ranges and `versions` lists.
//!
//! Only `affected` entries for the `crates.io` and `npm` ecosystems are kept; `GIT` ranges
//! (commit hashes) cannot be compared with a locked version and are skipped, as are events
//! whose version is not SemVer (counted in [`Advisory::unreadable_events`]).

use serde::Deserialize;
use serde_json::Value;

use super::cvss;
use super::version::{Bound, Version};
use crate::model::Ecosystem;

#[derive(Debug, Deserialize)]
struct RawRecord {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    severity: Vec<RawSeverity>,
    #[serde(default)]
    affected: Vec<RawAffected>,
    #[serde(default)]
    references: Vec<RawReference>,
    #[serde(default)]
    database_specific: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct RawSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Debug, Deserialize)]
struct RawReference {
    #[serde(rename = "type")]
    kind: String,
    url: String,
}

#[derive(Debug, Deserialize)]
struct RawAffected {
    #[serde(default)]
    package: Option<RawPackage>,
    #[serde(default)]
    ranges: Vec<RawRange>,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    severity: Vec<RawSeverity>,
    #[serde(default)]
    database_specific: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct RawPackage {
    ecosystem: String,
    name: String,
}

#[derive(Debug, Deserialize)]
struct RawRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<RawEvent>,
}

#[derive(Debug, Deserialize)]
struct RawEvent {
    introduced: Option<String>,
    fixed: Option<String>,
    last_affected: Option<String>,
    limit: Option<String>,
}

/// One event of a range, in the range's version order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Introduced(Bound),
    Fixed(Version),
    LastAffected(Version),
    Limit(Bound),
}

impl Event {
    /// At one version, the opening event is walked before the closing ones.
    fn rank(&self) -> u8 {
        u8::from(!matches!(self, Self::Introduced(_)))
    }

    fn at(&self) -> Bound {
        match self {
            Self::Introduced(b) | Self::Limit(b) => b.clone(),
            Self::Fixed(v) | Self::LastAffected(v) => Bound::At(v.clone()),
        }
    }
}

/// A `SEMVER` or `ECOSYSTEM` range, events sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Range {
    events: Vec<Event>,
}

impl Range {
    /// OSV's evaluation: walk the events in version order; `introduced` opens, `fixed` (at or
    /// after) and `last_affected` (after) close; a `limit` at or before `v` ends the range.
    fn contains(&self, v: &Version) -> bool {
        let mut affected = false;
        for e in &self.events {
            match e {
                Event::Introduced(b) if b.le(v) => affected = true,
                Event::Fixed(f) if f <= v => affected = false,
                Event::LastAffected(l) if l < v => affected = false,
                Event::Limit(b) if b.le(v) => return false,
                _ => {}
            }
        }
        affected
    }
}

/// One package an advisory affects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affected {
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// Its name as the registry spells it.
    pub name: String,
    ranges: Vec<Range>,
    versions: Vec<String>,
    /// The versions that fix it (the ranges' `fixed` events), in range order.
    pub fixed: Vec<String>,
    /// RustSec's kind of informational advisory (`unmaintained`, `unsound`, `notice`).
    pub informational: Option<String>,
    severity: Option<Severity>,
}

impl Affected {
    /// Whether `version` is affected: listed in `versions`, or inside a range.
    #[must_use]
    pub fn contains(&self, version: &str) -> bool {
        if self.versions.iter().any(|v| v == version) {
            return true;
        }
        let Some(v) = Version::parse(version) else {
            return false;
        };
        self.versions
            .iter()
            .filter_map(|l| Version::parse(l))
            .any(|l| l == v)
            || self.ranges.iter().any(|r| r.contains(&v))
    }
}

/// How severe an advisory is, as its record says.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Severity {
    /// `critical`, `high`, `medium`, `low` or `none`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<String>,
    /// The CVSS base score, when the record has a CVSS v3 vector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The CVSS vector as published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
}

// The one float, a CVSS score, is computed from a vector and is never NaN.
impl Eq for Severity {}

impl Severity {
    fn from_record(severities: &[RawSeverity], database_specific: Option<&Value>) -> Option<Self> {
        let label = database_specific
            .and_then(|d| d.get("severity"))
            .and_then(Value::as_str)
            .map(rating_of_label);
        let v3 = severities.iter().find(|s| s.kind == "CVSS_V3");
        let any = v3.or_else(|| severities.iter().find(|s| s.kind.starts_with("CVSS_")));
        let score = v3.and_then(|s| cvss::base_score_v3(&s.score));
        let rating = label
            .flatten()
            .or_else(|| score.map(|s| cvss::rating(s).to_owned()));
        if rating.is_none() && any.is_none() {
            return None;
        }
        Some(Self {
            rating,
            score,
            vector: any.map(|s| s.score.clone()),
        })
    }
}

/// GitHub's labels (`CRITICAL`, `HIGH`, `MODERATE`, `LOW`) as CVSS ratings.
fn rating_of_label(label: &str) -> Option<String> {
    let r = match label.to_ascii_uppercase().as_str() {
        "CRITICAL" => "critical",
        "HIGH" => "high",
        "MODERATE" | "MEDIUM" => "medium",
        "LOW" => "low",
        "NONE" => "none",
        _ => return None,
    };
    Some(r.to_owned())
}

/// One advisory, reduced to what matching and reports need.
#[derive(Debug, Clone, PartialEq)]
pub struct Advisory {
    /// Its id (`RUSTSEC-2024-0001`, `GHSA-xxxx-xxxx-xxxx`).
    pub id: String,
    /// Other ids for the same problem (CVEs, the other database's id).
    pub aliases: Vec<String>,
    /// The one-line summary, when there is one.
    pub summary: Option<String>,
    /// Where to read about it: the record's `ADVISORY` reference, else its osv.dev page.
    pub url: String,
    /// The affected packages this tool can match.
    pub affected: Vec<Affected>,
    /// How severe it is, when the record says.
    pub severity: Option<Severity>,
    /// Range events whose version is not SemVer, skipped when matching.
    pub unreadable_events: usize,
}

impl Advisory {
    /// The severity for one of its affected entries: the entry's own, else the record's.
    #[must_use]
    pub fn severity_for<'a>(&'a self, affected: &'a Affected) -> Option<&'a Severity> {
        affected.severity.as_ref().or(self.severity.as_ref())
    }

    /// Whether `id` names this advisory (its id or an alias).
    #[must_use]
    pub fn is_named(&self, id: &str) -> bool {
        self.id == id || self.aliases.iter().any(|a| a == id)
    }
}

/// Why a record could not be read.
pub type RecordError = serde_json::Error;

fn ecosystem(name: &str) -> Option<Ecosystem> {
    // OSV ecosystems may carry a `:suffix` (`Debian:11`); these two never do, but tolerate it.
    match name.split(':').next().unwrap_or(name) {
        "crates.io" => Some(Ecosystem::Cargo),
        "npm" => Some(Ecosystem::Npm),
        _ => None,
    }
}

fn informational(d: Option<&Value>) -> Option<String> {
    d?.get("informational")?.as_str().map(str::to_owned)
}

/// Parses one OSV record. `Ok(None)`: a valid record that is withdrawn or affects no crates.io
/// or npm package.
///
/// # Errors
/// The bytes are not an OSV record (not JSON, or `id` missing, or a field of the wrong type).
pub fn parse(bytes: &[u8]) -> Result<Option<Advisory>, RecordError> {
    let raw: RawRecord = serde_json::from_slice(bytes)?;
    if raw.withdrawn.is_some() {
        return Ok(None);
    }
    let mut unreadable_events = 0;
    let top_informational = informational(raw.database_specific.as_ref());
    let mut affected = Vec::new();
    for a in raw.affected {
        let Some(package) = a.package else { continue };
        let Some(ecosystem) = ecosystem(&package.ecosystem) else {
            continue;
        };
        let mut ranges = Vec::new();
        let mut fixed = Vec::new();
        for r in a
            .ranges
            .iter()
            .filter(|r| r.kind == "SEMVER" || r.kind == "ECOSYSTEM")
        {
            let mut events = Vec::new();
            for e in &r.events {
                let event = if let Some(t) = &e.introduced {
                    Bound::parse(t).map(Event::Introduced)
                } else if let Some(t) = &e.fixed {
                    fixed.push(t.clone());
                    Version::parse(t).map(Event::Fixed)
                } else if let Some(t) = &e.last_affected {
                    Version::parse(t).map(Event::LastAffected)
                } else if let Some(t) = &e.limit {
                    Bound::parse(t).map(Event::Limit)
                } else {
                    None
                };
                match event {
                    Some(ev) => events.push(ev),
                    None => unreadable_events += 1,
                }
            }
            // The schema does not require events in order; evaluation needs them sorted.
            // At one version, a closing event sorts after the opening one.
            events.sort_by(|x, y| x.at().cmp(&y.at()).then_with(|| x.rank().cmp(&y.rank())));
            ranges.push(Range { events });
        }
        affected.push(Affected {
            ecosystem,
            name: package.name,
            ranges,
            versions: a.versions,
            fixed,
            informational: informational(a.database_specific.as_ref())
                .or_else(|| top_informational.clone()),
            severity: Severity::from_record(&a.severity, None),
        });
    }
    if affected.is_empty() {
        return Ok(None);
    }
    let url = raw
        .references
        .iter()
        .find(|r| r.kind == "ADVISORY")
        .map_or_else(
            || format!("https://osv.dev/vulnerability/{}", raw.id),
            |r| r.url.clone(),
        );
    Ok(Some(Advisory {
        severity: Severity::from_record(&raw.severity, raw.database_specific.as_ref()),
        id: raw.id,
        aliases: raw.aliases,
        summary: raw.summary,
        url,
        affected,
        unreadable_events,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ranges: &str, versions: &str) -> Advisory {
        let text = format!(
            r#"{{"id": "TEST-1", "modified": "2026-01-01T00:00:00Z", "affected": [{{
                "package": {{"ecosystem": "npm", "name": "left-pad"}},
                "ranges": [{ranges}], "versions": [{versions}]}}]}}"#
        );
        parse(text.as_bytes()).unwrap().unwrap()
    }

    fn affected(a: &Advisory, v: &str) -> bool {
        a.affected[0].contains(v)
    }

    #[test]
    fn introduced_and_fixed_bound_a_half_open_range() {
        let a = record(
            r#"{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.2.3"}]}"#,
            "",
        );
        assert!(!affected(&a, "0.9.9"));
        assert!(affected(&a, "1.0.0"));
        assert!(affected(&a, "1.2.2"));
        assert!(!affected(&a, "1.2.3"));
        assert!(!affected(&a, "2.0.0"));
        assert_eq!(a.affected[0].fixed, vec!["1.2.3".to_owned()]);
    }

    #[test]
    fn a_prerelease_of_the_fixed_version_is_still_affected() {
        let a = record(
            r#"{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.3"}]}"#,
            "",
        );
        assert!(affected(&a, "1.2.3-rc.1"));
        assert!(!affected(&a, "1.2.3"));
        assert!(!affected(&a, "1.2.4-alpha"));
    }

    #[test]
    fn last_affected_includes_its_version() {
        let a = record(
            r#"{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"last_affected": "2.0.0"}]}"#,
            "",
        );
        assert!(affected(&a, "2.0.0"));
        assert!(!affected(&a, "2.0.1"));
    }

    #[test]
    fn several_introduced_fixed_pairs_in_one_range_in_any_order() {
        let a = record(
            r#"{"type": "SEMVER", "events": [{"fixed": "2.5.1"}, {"introduced": "2.0.0"},
                {"fixed": "1.4.2"}, {"introduced": "1.0.0"}]}"#,
            "",
        );
        assert!(affected(&a, "1.4.1"));
        assert!(!affected(&a, "1.5.0"));
        assert!(affected(&a, "2.5.0"));
        assert!(!affected(&a, "2.5.1"));
    }

    #[test]
    fn a_limit_ends_the_range() {
        let a = record(
            r#"{"type": "SEMVER", "events": [{"introduced": "0"}, {"limit": "3.0.0"}]}"#,
            "",
        );
        assert!(affected(&a, "2.9.9"));
        assert!(!affected(&a, "3.0.0"));
    }

    #[test]
    fn versions_list_matches_exactly() {
        let a = record("", r#""1.0.1", "1.0.3""#);
        assert!(affected(&a, "1.0.1"));
        assert!(!affected(&a, "1.0.2"));
    }

    #[test]
    fn git_ranges_and_other_ecosystems_are_left_out() {
        let text = r#"{"id": "TEST-2", "affected": [
            {"package": {"ecosystem": "PyPI", "name": "left-pad"},
             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}"#;
        assert!(parse(text.as_bytes()).unwrap().is_none());
        let a = record(
            r#"{"type": "GIT", "repo": "https://example.org/r", "events": [{"introduced": "0"}]}"#,
            "",
        );
        assert!(!affected(&a, "1.0.0"));
    }

    #[test]
    fn withdrawn_records_are_dropped() {
        let text = r#"{"id": "TEST-3", "withdrawn": "2026-01-01T00:00:00Z", "affected": [
            {"package": {"ecosystem": "npm", "name": "x"}, "versions": ["1.0.0"]}]}"#;
        assert!(parse(text.as_bytes()).unwrap().is_none());
    }

    #[test]
    fn non_semver_events_are_counted_not_guessed() {
        let a = record(
            r#"{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "next"}]}"#,
            "",
        );
        assert_eq!(a.unreadable_events, 1);
    }

    #[test]
    fn github_labels_and_cvss_vectors_give_a_rating() {
        let text = r#"{"id": "GHSA-aaaa-bbbb-cccc", "aliases": ["CVE-2026-0001"],
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            "database_specific": {"severity": "MODERATE"},
            "affected": [{"package": {"ecosystem": "npm", "name": "x"}, "versions": ["1.0.0"]}]}"#;
        let a = parse(text.as_bytes()).unwrap().unwrap();
        let s = a.severity.clone().unwrap();
        assert_eq!(s.rating.as_deref(), Some("medium"));
        assert_eq!(s.score, Some(9.8));
        assert!(a.is_named("CVE-2026-0001"));
    }
}
