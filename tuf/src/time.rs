//! Time as TUF metadata states it (`expires`), and the injected clock that expiry is checked
//! against.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Seconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(pub i64);

/// The source of the current time. Injected so that expiry (the freeze attack defence) can be
/// tested without touching the system clock.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> UnixTime;
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => UnixTime(i64::try_from(since.as_secs()).unwrap_or(i64::MAX)),
            Err(before) => {
                UnixTime(-i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX))
            }
        }
    }
}

/// A clock that always says the same time, for tests and for replaying a decision.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub UnixTime);

impl Clock for FixedClock {
    fn now(&self) -> UnixTime {
        self.0
    }
}

/// Why an `expires` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExpiresError {
    #[error("expires {found:?} is not of the form YYYY-MM-DDTHH:MM:SSZ")]
    Format { found: String },
    #[error("expires {found:?} names a date or time that does not exist")]
    OutOfRange { found: String },
}

/// An `expires` timestamp: TUF 4.2.3 writes it as `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC, no
/// fractional seconds). Anything else is refused, as python-tuf and go-tuf do.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Expires {
    at: UnixTime,
}

impl Expires {
    /// Parses the TUF form.
    pub fn parse(text: &str) -> Result<Self, ExpiresError> {
        let format = || ExpiresError::Format {
            found: text.to_owned(),
        };
        let bytes = text.as_bytes();
        if bytes.len() != 20 {
            return Err(format());
        }
        for (index, byte) in bytes.iter().enumerate() {
            let expected_separator = match index {
                4 | 7 => Some(b'-'),
                10 => Some(b'T'),
                13 | 16 => Some(b':'),
                19 => Some(b'Z'),
                _ => None,
            };
            match expected_separator {
                Some(separator) if *byte != separator => return Err(format()),
                None if !byte.is_ascii_digit() => return Err(format()),
                _ => {}
            }
        }
        let number = |range: std::ops::Range<usize>| {
            bytes[range]
                .iter()
                .fold(0i64, |acc, digit| acc * 10 + i64::from(digit - b'0'))
        };
        let (year, month, day) = (number(0..4), number(5..7), number(8..10));
        let (hour, minute, second) = (number(11..13), number(14..16), number(17..19));
        let out_of_range = || ExpiresError::OutOfRange {
            found: text.to_owned(),
        };
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return Err(out_of_range());
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(out_of_range());
        }
        let days = days_from_civil(year, month, day);
        Ok(Self {
            at: UnixTime(days * 86_400 + hour * 3_600 + minute * 60 + second),
        })
    }

    /// The instant this metadata stops being valid.
    #[must_use]
    pub fn at(&self) -> UnixTime {
        self.at
    }

    /// An expiry at `at`, for writing metadata.
    #[must_use]
    pub fn from_unix(at: UnixTime) -> Self {
        Self { at }
    }

    /// TUF 5.3.10 and following: metadata is expired when the reference time is at or past
    /// `expires` (the same boundary python-tuf uses).
    #[must_use]
    pub fn is_expired_at(&self, now: UnixTime) -> bool {
        now >= self.at
    }
}

impl fmt::Display for Expires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.at.0;
        let days = seconds.div_euclid(86_400);
        let in_day = seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            in_day / 3_600,
            in_day % 3_600 / 60,
            in_day % 60
        )
    }
}

impl fmt::Debug for Expires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Expires({self})")
    }
}

impl Serialize for Expires {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Expires {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_the_tuf_form() {
        let expires = Expires::parse("2030-02-28T23:59:59Z").unwrap();
        assert_eq!(expires.at(), UnixTime(1_898_553_599));
        assert_eq!(expires.to_string(), "2030-02-28T23:59:59Z");
        assert_eq!(
            Expires::parse("1970-01-01T00:00:00Z").unwrap().at(),
            UnixTime(0)
        );
    }

    #[test]
    fn refuses_other_forms() {
        for text in [
            "2030-02-28T23:59:59",
            "2030-02-28T23:59:59.5Z",
            "2030-02-28 23:59:59Z",
            "2030-02-28T23:59:59+00:00",
            "2030-2-28T23:59:59Z",
        ] {
            assert!(
                matches!(Expires::parse(text), Err(ExpiresError::Format { .. })),
                "{text}"
            );
        }
        for text in [
            "2029-02-29T00:00:00Z",
            "2030-13-01T00:00:00Z",
            "2030-01-01T24:00:00Z",
        ] {
            assert!(
                matches!(Expires::parse(text), Err(ExpiresError::OutOfRange { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn expired_at_and_after_the_instant() {
        let expires = Expires::parse("2030-01-01T00:00:00Z").unwrap();
        assert!(!expires.is_expired_at(UnixTime(expires.at().0 - 1)));
        assert!(expires.is_expired_at(expires.at()));
    }
}
