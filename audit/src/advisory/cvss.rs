//! CVSS v3.0/v3.1 base scores from a vector string (CVSS v3.1 specification, section 7.1 and
//! appendix A's `Roundup`), so that records carrying only a vector still get a rating.

/// The base score of a `CVSS:3.x/AV:_/AC:_/PR:_/UI:_/S:_/C:_/I:_/A:_` vector; `None` when the
/// vector is not a complete, valid CVSS v3 base vector.
#[must_use]
pub fn base_score_v3(vector: &str) -> Option<f64> {
    let mut parts = vector.split('/');
    let version = parts.next()?;
    if version != "CVSS:3.0" && version != "CVSS:3.1" {
        return None;
    }
    let mut m = std::collections::BTreeMap::new();
    for p in parts {
        let (k, v) = p.split_once(':')?;
        if m.insert(k, v).is_some() {
            return None;
        }
    }
    let changed = match *m.get("S")? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let av = match *m.get("AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match *m.get("AC")? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (*m.get("PR")?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match *m.get("UI")? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let cia = |k: &str| -> Option<f64> {
        match *m.get(k)? {
            "H" => Some(0.56),
            "L" => Some(0.22),
            "N" => Some(0.0),
            _ => None,
        }
    };
    let iss = 1.0 - (1.0 - cia("C")?) * (1.0 - cia("I")?) * (1.0 - cia("A")?);
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02_f64).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Some(0.0);
    }
    let sum = if changed {
        1.08 * (impact + exploitability)
    } else {
        impact + exploitability
    };
    Some(roundup(sum.min(10.0)))
}

/// CVSS v3.1 appendix A: the smallest number with one decimal place at or above `x`, computed
/// on integers so that floating-point error does not round 4.0 up to 4.1.
fn roundup(x: f64) -> f64 {
    // The score is in 0..=10, so the scaled value fits an i64 with room to spare.
    #[allow(clippy::cast_possible_truncation)]
    let int_input = (x * 100_000.0).round() as i64;
    #[allow(clippy::cast_precision_loss)]
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

/// The qualitative rating of a score (CVSS v3.1 section 5).
#[must_use]
pub fn rating(score: f64) -> &'static str {
    if score >= 9.0 {
        "critical"
    } else if score >= 7.0 {
        "high"
    } else if score >= 4.0 {
        "medium"
    } else if score > 0.0 {
        "low"
    } else {
        "none"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_the_specification_calculator() {
        // Values from the CVSS v3.1 calculator for these vectors.
        for (vector, score) in [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.0/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N", 2.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        ] {
            assert_eq!(base_score_v3(vector), Some(score), "{vector}");
        }
    }

    #[test]
    fn incomplete_or_foreign_vectors_have_no_score() {
        assert_eq!(base_score_v3("CVSS:3.1/AV:N/AC:L"), None);
        assert_eq!(base_score_v3("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N"), None);
        assert_eq!(
            base_score_v3("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            None
        );
    }

    #[test]
    fn ratings_follow_the_bands() {
        assert_eq!(rating(9.8), "critical");
        assert_eq!(rating(7.0), "high");
        assert_eq!(rating(6.9), "medium");
        assert_eq!(rating(0.1), "low");
        assert_eq!(rating(0.0), "none");
    }
}
