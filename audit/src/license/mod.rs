//! License expressions: reading what packages declare (SPDX 2.3 expressions, with common
//! non-SPDX spellings mapped through the `spdx` crate's lax mode) and deciding whether the
//! policy's licenses satisfy them.

pub mod gather;
mod pnp;

use spdx::{Expression, LicenseReq, Licensee, ParseMode};

use crate::policy::{Level, LicensePolicy};

/// A declared license as read.
#[derive(Debug)]
pub enum Reading {
    /// A valid SPDX expression.
    Spdx(Expression),
    /// Not valid SPDX, but read as the `canonical` SPDX expression (`Apache 2.0` as
    /// `Apache-2.0`, `MIT/Apache-2.0` as `MIT OR Apache-2.0`, a deprecated id as its successor).
    Nonstandard {
        /// The expression it was read as.
        expression: Expression,
        /// Its canonical text.
        canonical: String,
        /// `OR` alternatives that could not be read at all and were left out (`Public Domain`
        /// in `Public Domain OR MIT`): the package may be used under the others.
        unread: Vec<String>,
    },
}

impl Reading {
    /// The expression to evaluate.
    #[must_use]
    pub fn expression(&self) -> &Expression {
        match self {
            Self::Spdx(e) | Self::Nonstandard { expression: e, .. } => e,
        }
    }
}

/// Reads a declared license.
///
/// Besides what the `spdx` crate's lax mode accepts, `NAMEvX.Y` spellings (`AFLv2.1`,
/// `GPLv3`) are read as the SPDX id they name, and when some `OR` alternatives cannot be read
/// at all (`Public Domain OR MIT`, as an old `licenses` array gives), the expression is read as
/// the alternatives that can, with the others listed in [`Reading::Nonstandard`]'s `unread`.
///
/// # Errors
/// When the text is not an SPDX expression even read leniently (`UNLICENSED`,
/// `SEE LICENSE IN ...`, unknown identifiers), and no `OR` alternative of it is.
pub fn read(text: &str) -> Result<Reading, spdx::ParseError> {
    if let Ok(e) = Expression::parse(text) {
        return Ok(Reading::Spdx(e));
    }
    let first_error = match read_lax(text) {
        Ok(reading) => return Ok(reading),
        Err(e) => e,
    };
    let alternatives = top_level_alternatives(text);
    if alternatives.len() < 2 {
        return Err(first_error);
    }
    let mut read = Vec::new();
    let mut unread = Vec::new();
    for alternative in alternatives {
        match read_lax(alternative) {
            Ok(r) => read.push(match r {
                Reading::Spdx(e) => e.to_string(),
                Reading::Nonstandard { canonical, .. } => canonical,
            }),
            Err(_) => unread.push(strip_parens(alternative).to_owned()),
        }
    }
    if read.is_empty() {
        return Err(first_error);
    }
    let canonical = read
        .iter()
        .map(|r| parenthesize(r))
        .collect::<Vec<_>>()
        .join(" OR ");
    let expression = Expression::parse_mode(&canonical, ParseMode::LAX).map_err(|_| first_error)?;
    Ok(Reading::Nonstandard {
        expression,
        canonical,
        unread,
    })
}

/// Lax parsing, after rewriting `NAMEvX.Y` words into SPDX ids.
fn read_lax(text: &str) -> Result<Reading, spdx::ParseError> {
    let rewritten = rewrite_v_versions(text);
    let expression = Expression::parse_mode(&rewritten, ParseMode::LAX)?;
    let canonical = Expression::canonicalize(&rewritten)
        .ok()
        .flatten()
        .unwrap_or_else(|| {
            if rewritten == text {
                expression.to_string()
            } else {
                rewritten.clone()
            }
        });
    Ok(Reading::Nonstandard {
        expression,
        canonical,
        unread: Vec::new(),
    })
}

/// Rewrites words such as `AFLv2.1` or `GPLv3` into the SPDX id they name (`AFL-2.1`,
/// `GPL-3.0`), when there is one; other words are kept.
fn rewrite_v_versions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(&v_version_id(word).unwrap_or_else(|| word.clone()));
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn v_version_id(word: &str) -> Option<String> {
    let split = word.rfind(['v', 'V'])?;
    let (name, version) = (&word[..split], &word[split + 1..]);
    let name = name.trim_end_matches('-');
    let plausible = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphabetic())
        && version.starts_with(|c: char| c.is_ascii_digit())
        && version.chars().all(|c| c.is_ascii_digit() || c == '.');
    if !plausible {
        return None;
    }
    let version = version.trim_end_matches('.');
    [format!("{name}-{version}"), format!("{name}-{version}.0")]
        .into_iter()
        .find(|id| spdx::license_id(id).is_some())
}

/// The `OR` alternatives at the top level of `text` (outside parentheses), trimmed.
fn top_level_alternatives(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            // Only the SPDX operator: a lowercase "or" is part of a name ("GPL v2 or later").
            b'O' if depth == 0 => {
                let before = i == 0 || bytes[i - 1].is_ascii_whitespace();
                let word = bytes.get(i..i + 2) == Some(b"OR".as_slice());
                let after = bytes.get(i + 2).is_some_and(u8::is_ascii_whitespace);
                if before && word && after {
                    out.push(text[start..i].trim());
                    start = i + 2;
                    i += 2;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out.push(text[start..].trim());
    out.retain(|a| !a.is_empty());
    out
}

fn strip_parens(text: &str) -> &str {
    let t = text.trim();
    t.strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .map_or(t, str::trim)
}

fn parenthesize(expression: &str) -> String {
    let compound = expression
        .split_whitespace()
        .any(|w| w == "AND" || w == "OR");
    if compound {
        format!("({expression})")
    } else {
        expression.to_owned()
    }
}

/// The license a package manifest (`package.json`, or an npm lockfile entry copied from one)
/// declares: `license` as a string, a `{ "type": ... }` object or an array of either, or the old
/// `licenses` array. The entries of an array are alternatives (their authors, and npm's own
/// tools, mean the package may be used under any of them), so they are joined with `OR`.
/// Entries that are neither strings nor objects with a string `type` are skipped.
#[must_use]
pub fn from_manifest(
    license: Option<&serde_json::Value>,
    licenses: Option<&serde_json::Value>,
) -> Option<String> {
    use serde_json::Value;
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Object(o) => o
            .get("type")
            .and_then(Value::as_str)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        _ => None,
    };
    let many = |v: &Value| -> Option<String> {
        let all: Vec<String> = match v {
            Value::Array(items) => items.iter().filter_map(one).collect(),
            other => one(other).into_iter().collect(),
        };
        match all.len() {
            0 => None,
            1 => all.into_iter().next(),
            _ => Some(
                all.iter()
                    .map(|l| parenthesize(l))
                    .collect::<Vec<_>>()
                    .join(" OR "),
            ),
        }
    };
    license.and_then(many).or_else(|| licenses.and_then(many))
}

/// What the policy makes of an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Satisfied by allowed licenses.
    Allowed,
    /// Satisfied only by also accepting these copyleft licenses, which the allow list does not
    /// name (reported at the policy's copyleft level).
    Copyleft(Vec<String>),
    /// Not satisfiable without a denied license; these are the denied ones it names.
    Denied(Vec<String>),
    /// Not satisfied; these are the licenses that were missing.
    NotAllowed(Vec<String>),
}

fn is_copyleft(req: &LicenseReq) -> bool {
    req.license.id().is_some_and(spdx::LicenseId::is_copyleft)
}

/// Evaluates `expression` against the policy, with `extra` licenses allowed for this package
/// (from its exceptions). `OR` needs one allowed branch, `AND` needs every side allowed;
/// a denied license is never accepted.
#[must_use]
pub fn evaluate(expression: &Expression, policy: &LicensePolicy, extra: &[Licensee]) -> Verdict {
    let denied = |r: &LicenseReq| policy.deny.iter().any(|l| l.satisfies(r));
    let allowed =
        |r: &LicenseReq| !denied(r) && policy.allow.iter().chain(extra).any(|l| l.satisfies(r));
    if expression.evaluate(allowed) {
        return Verdict::Allowed;
    }
    if policy.copyleft != Level::Deny
        && expression.evaluate(|r| allowed(r) || (!denied(r) && is_copyleft(r)))
    {
        let mut used: Vec<String> = expression
            .requirements()
            .map(|r| &r.req)
            .filter(|r| !allowed(r) && is_copyleft(r))
            .map(ToString::to_string)
            .collect();
        used.dedup();
        return Verdict::Copyleft(used);
    }
    let mut denials: Vec<String> = expression
        .requirements()
        .map(|r| &r.req)
        .filter(|r| denied(r))
        .map(ToString::to_string)
        .collect();
    if !denials.is_empty() {
        denials.dedup();
        return Verdict::Denied(denials);
    }
    let mut missing: Vec<String> = match expression.evaluate_with_failures(allowed) {
        Ok(()) => Vec::new(),
        Err(failures) => failures.into_iter().map(|r| r.req.to_string()).collect(),
    };
    missing.dedup();
    Verdict::NotAllowed(missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    fn policy(toml: &str) -> LicensePolicy {
        Policy::from_bytes(toml.as_bytes()).unwrap().licenses
    }

    fn verdict(expr: &str, p: &LicensePolicy) -> Verdict {
        evaluate(read(expr).unwrap().expression(), p, &[])
    }

    #[test]
    fn or_needs_one_branch_and_needs_all() {
        let p = policy("[licenses]\nallow = [\"MIT\", \"Apache-2.0\"]\n");
        assert_eq!(verdict("MIT OR GPL-3.0-only", &p), Verdict::Allowed);
        assert_eq!(
            verdict("(MIT OR Apache-2.0) AND Apache-2.0", &p),
            Verdict::Allowed
        );
        assert_eq!(
            verdict("MIT AND ISC", &p),
            Verdict::NotAllowed(vec!["ISC".into()])
        );
    }

    #[test]
    fn with_and_or_later() {
        let p = policy("[licenses]\nallow = [\"Apache-2.0 WITH LLVM-exception\", \"MPL-2.0\"]\n");
        assert_eq!(
            verdict("Apache-2.0 WITH LLVM-exception", &p),
            Verdict::Allowed
        );
        assert!(matches!(verdict("Apache-2.0", &p), Verdict::NotAllowed(_)));
        // `+` accepts later versions of the license.
        assert_eq!(verdict("MPL-1.1+", &p), Verdict::Allowed);
        assert!(matches!(verdict("MPL-1.1", &p), Verdict::NotAllowed(_)));
    }

    #[test]
    fn deny_beats_allow_and_copyleft_levels() {
        let p = policy("[licenses]\nallow = [\"MIT\"]\ndeny = [\"MIT\"]\n");
        assert_eq!(verdict("MIT", &p), Verdict::Denied(vec!["MIT".into()]));
        let deny = policy("[licenses]\nallow = [\"MIT\"]\n");
        assert!(matches!(verdict("MPL-2.0", &deny), Verdict::NotAllowed(_)));
        let warn = policy("[licenses]\nallow = [\"MIT\"]\ncopyleft = \"warn\"\n");
        assert_eq!(
            verdict("MPL-2.0", &warn),
            Verdict::Copyleft(vec!["MPL-2.0".into()])
        );
        assert_eq!(verdict("MIT OR MPL-2.0", &warn), Verdict::Allowed);
    }

    #[test]
    fn exceptions_add_licenses_for_one_package() {
        let p = policy("[licenses]\nallow = [\"MIT\"]\n");
        let e = read("MIT AND OpenSSL").unwrap();
        assert!(matches!(
            evaluate(e.expression(), &p, &[]),
            Verdict::NotAllowed(_)
        ));
        let extra = [Licensee::parse("OpenSSL").unwrap()];
        assert_eq!(evaluate(e.expression(), &p, &extra), Verdict::Allowed);
    }

    #[test]
    fn nonstandard_spellings_are_read_and_marked() {
        for (text, canonical) in [
            ("Apache 2.0", "Apache-2.0"),
            ("MIT/Apache-2.0", "MIT OR Apache-2.0"),
            ("BSD", "BSD-2-Clause"),
        ] {
            match read(text).unwrap() {
                Reading::Nonstandard { canonical: c, .. } => assert_eq!(c, canonical, "{text}"),
                Reading::Spdx(_) => panic!("{text} read as standard"),
            }
        }
        assert!(matches!(
            read("MIT OR Apache-2.0").unwrap(),
            Reading::Spdx(_)
        ));
        assert!(matches!(
            read("GPL-2.0").unwrap(),
            Reading::Nonstandard { .. }
        ));
        assert!(read("UNLICENSED").is_err());
        assert!(read("SEE LICENSE IN LICENSE.txt").is_err());
    }

    #[test]
    fn v_version_spellings_are_read_as_their_spdx_id() {
        for (text, canonical) in [
            ("AFLv2.1", "AFL-2.1"),
            ("AFLv2.1 OR BSD", "AFL-2.1 OR BSD-2-Clause"),
            ("GPLv3", "GPL-3.0-only"),
        ] {
            match read(text).unwrap() {
                Reading::Nonstandard { canonical: c, .. } => assert_eq!(c, canonical, "{text}"),
                Reading::Spdx(_) => panic!("{text} read as standard"),
            }
        }
        assert!(read("Xv1").is_err(), "no such license");
    }

    #[test]
    fn unreadable_or_alternatives_are_left_out_and_named() {
        match read("Public Domain OR MIT").unwrap() {
            Reading::Nonstandard {
                canonical, unread, ..
            } => {
                assert_eq!(canonical, "MIT");
                assert_eq!(unread, vec!["Public Domain".to_owned()]);
            }
            Reading::Spdx(_) => panic!("read as standard"),
        }
        // AND needs every side: an unreadable side is not dropped.
        assert!(read("Public Domain AND MIT").is_err());
        assert!(read("Public Domain OR Custom Terms").is_err());
        // A lowercase "or" is part of a name, not an operator.
        assert!(read("Whatever v2 or later").is_err());
    }

    #[test]
    fn manifest_arrays_are_alternatives() {
        use serde_json::json;
        let array = json!([{"type": "AFLv2.1", "url": "x"}, {"type": "BSD"}]);
        assert_eq!(
            from_manifest(None, Some(&array)).as_deref(),
            Some("AFLv2.1 OR BSD")
        );
        let mixed = json!(["MIT AND ISC", {"type": "Apache-2.0"}, 7]);
        assert_eq!(
            from_manifest(Some(&mixed), None).as_deref(),
            Some("(MIT AND ISC) OR Apache-2.0")
        );
        assert_eq!(
            from_manifest(Some(&json!({"type": "MIT"})), None).as_deref(),
            Some("MIT")
        );
        assert_eq!(from_manifest(Some(&json!(true)), Some(&json!([]))), None);
        let p = policy("[licenses]\nallow = [\"BSD-2-Clause\"]\n");
        assert_eq!(verdict("AFLv2.1 OR BSD", &p), Verdict::Allowed);
    }
}
