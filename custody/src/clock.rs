//! Time: the [`Clock`] that entries take their time from, and [`Timestamp`], an RFC 3339 UTC
//! instant with whole seconds (`2026-11-25T13:40:09Z`).
//!
//! The clock is injected so tests, and replays, never read the system clock.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// Where "now" comes from.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        // A clock set before 1970 reads as the epoch rather than failing an append.
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        Timestamp::from_unix_seconds(i64::try_from(seconds).unwrap_or(i64::MAX))
            .unwrap_or(Timestamp::MAX)
    }
}

/// A clock that always reads the same instant.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// An instant in UTC, to the second, between years 0000 and 9999.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// Why text is not an RFC 3339 UTC timestamp, or a number of seconds is out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    #[error("expected an RFC 3339 UTC time like 2026-01-31T12:00:00Z, found {found:?}")]
    Syntax { found: String },
    #[error("{found:?} is not a valid date and time")]
    OutOfRange { found: String },
    #[error("{seconds} seconds since 1970 is outside the years 0000 to 9999")]
    Seconds { seconds: i64 },
}

/// Seconds from 0000-01-01T00:00:00Z to 1970-01-01T00:00:00Z.
const MIN_SECONDS: i64 = -62_167_219_200;
/// Seconds from 1970 to 9999-12-31T23:59:59Z.
const MAX_SECONDS: i64 = 253_402_300_799;

impl Timestamp {
    pub const MAX: Self = Self(MAX_SECONDS);

    /// The instant `seconds` after 1970-01-01T00:00:00Z.
    pub fn from_unix_seconds(seconds: i64) -> Result<Self, TimestampError> {
        if !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
            return Err(TimestampError::Seconds { seconds });
        }
        Ok(Self(seconds))
    }

    #[must_use]
    pub fn unix_seconds(self) -> i64 {
        self.0
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    /// Reads exactly the form this type writes: `YYYY-MM-DDTHH:MM:SSZ`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let syntax = || TimestampError::Syntax {
            found: text.to_owned(),
        };
        let bytes = text.as_bytes();
        if bytes.len() != 20 {
            return Err(syntax());
        }
        for (position, &byte) in bytes.iter().enumerate() {
            let expected_separator = match position {
                4 | 7 => Some(b'-'),
                10 => Some(b'T'),
                13 | 16 => Some(b':'),
                19 => Some(b'Z'),
                _ => None,
            };
            let ok = match expected_separator {
                Some(separator) => byte == separator,
                None => byte.is_ascii_digit(),
            };
            if !ok {
                return Err(syntax());
            }
        }
        let number = |range: std::ops::Range<usize>| -> i64 {
            bytes[range]
                .iter()
                .fold(0, |acc, digit| acc * 10 + i64::from(digit - b'0'))
        };
        let (year, month, day) = (number(0..4), number(5..7), number(8..10));
        let (hour, minute, second) = (number(11..13), number(14..16), number(17..19));
        let month_days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if is_leap(year) => 29,
            2 => 28,
            _ => 0,
        };
        if day < 1 || day > month_days || hour > 23 || minute > 59 || second > 59 {
            return Err(TimestampError::OutOfRange {
                found: text.to_owned(),
            });
        }
        let seconds =
            days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
        Self::from_unix_seconds(seconds)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        let t = |s| Timestamp::from_unix_seconds(s).unwrap().to_string();
        assert_eq!(t(0), "1970-01-01T00:00:00Z");
        assert_eq!(t(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(t(1_764_077_409), "2025-11-25T13:30:09Z");
        assert_eq!(t(-1), "1969-12-31T23:59:59Z");
        assert_eq!(t(MAX_SECONDS), "9999-12-31T23:59:59Z");
        assert_eq!(t(MIN_SECONDS), "0000-01-01T00:00:00Z");
    }

    #[test]
    fn round_trips_every_day_over_four_centuries() {
        let mut seconds = MIN_SECONDS;
        while seconds <= MAX_SECONDS {
            let stamp = Timestamp::from_unix_seconds(seconds).unwrap();
            assert_eq!(stamp.to_string().parse::<Timestamp>(), Ok(stamp));
            seconds += 86_400 * 97 + 3_607;
        }
    }

    #[test]
    fn parsing_is_strict() {
        for bad in [
            "2026-11-25 13:40:09Z",
            "2026-11-25T13:40:09+00:00",
            "2026-11-25T13:40:09.5Z",
            "2026-11-25T13:40:09z",
            "26-11-25T13:40:09Z",
            "2026-1a-25T13:40:09Z",
        ] {
            assert!(
                matches!(bad.parse::<Timestamp>(), Err(TimestampError::Syntax { .. })),
                "{bad}"
            );
        }
        for bad in [
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:60Z",
            "2026-00-01T00:00:00Z",
        ] {
            assert!(
                matches!(
                    bad.parse::<Timestamp>(),
                    Err(TimestampError::OutOfRange { .. })
                ),
                "{bad}"
            );
        }
        assert!("2024-02-29T00:00:00Z".parse::<Timestamp>().is_ok());
    }

    #[test]
    fn out_of_range_seconds_are_refused() {
        assert_eq!(
            Timestamp::from_unix_seconds(MAX_SECONDS + 1),
            Err(TimestampError::Seconds {
                seconds: MAX_SECONDS + 1
            })
        );
    }
}
