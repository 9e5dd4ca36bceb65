//! License expressions: reading what packages declare (SPDX 2.3 expressions, with common
//! non-SPDX spellings mapped through the `spdx` crate's lax mode) and deciding whether the
//! policy's licenses satisfy them.

pub mod gather;

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
/// # Errors
/// When the text is not an SPDX expression even read leniently (`UNLICENSED`,
/// `SEE LICENSE IN ...`, unknown identifiers).
pub fn read(text: &str) -> Result<Reading, spdx::ParseError> {
    if let Ok(e) = Expression::parse(text) {
        return Ok(Reading::Spdx(e));
    }
    let expression = Expression::parse_mode(text, ParseMode::LAX)?;
    let canonical = Expression::canonicalize(text)
        .ok()
        .flatten()
        .unwrap_or_else(|| expression.to_string());
    Ok(Reading::Nonstandard {
        expression,
        canonical,
    })
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
}
