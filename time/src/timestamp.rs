//! [`Timestamp`]: an instant in UTC to the second, written `YYYY-MM-DDTHH:MM:SSZ`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::civil::{SECONDS_PER_DAY, civil_from_days, days_from_civil, days_in_month, number};

/// Seconds from 0000-01-01T00:00:00Z to 1970-01-01T00:00:00Z.
const MIN_SECONDS: i64 = -62_167_219_200;
/// Seconds from 1970 to 9999-12-31T23:59:59Z.
const MAX_SECONDS: i64 = 253_402_300_799;

/// An instant in UTC, to the second, between years 0000 and 9999: the range the four-digit
/// RFC 3339 form can write, so every value formats and parses back to itself.
///
/// Its text form is RFC 3339 restricted to `YYYY-MM-DDTHH:MM:SSZ` (upper-case `T` and `Z`, no
/// fractional seconds, no offset), as TUF 1.0 section 4.2.3 writes `expires`. Ordered
/// chronologically.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// Why text is not an RFC 3339 UTC timestamp, or a number of seconds is out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// Not shaped `YYYY-MM-DDTHH:MM:SSZ`.
    #[error("expected an RFC 3339 UTC time like 2026-01-31T12:00:00Z, found {found:?}")]
    Syntax {
        /// The text refused.
        found: String,
    },
    /// Shaped right, but no such day or time of day (such as February 30 or 24:00:00).
    #[error("{found:?} is not a valid date and time")]
    OutOfRange {
        /// The text refused.
        found: String,
    },
    /// A number of seconds outside the years 0000 to 9999.
    #[error("{seconds} seconds since 1970 is outside the years 0000 to 9999")]
    Seconds {
        /// The number refused.
        seconds: i64,
    },
}

impl Timestamp {
    /// The earliest instant: 0000-01-01T00:00:00Z.
    pub const MIN: Self = Self(MIN_SECONDS);
    /// The latest instant: 9999-12-31T23:59:59Z.
    pub const MAX: Self = Self(MAX_SECONDS);
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Self = Self(0);

    /// The instant `seconds` after 1970-01-01T00:00:00Z (before it, if negative).
    pub const fn from_unix_seconds(seconds: i64) -> Result<Self, TimestampError> {
        if seconds < MIN_SECONDS || seconds > MAX_SECONDS {
            return Err(TimestampError::Seconds { seconds });
        }
        Ok(Self(seconds))
    }

    /// The instant `seconds` after 1970-01-01T00:00:00Z, or [`Self::MIN`] or [`Self::MAX`] if
    /// that is outside the years 0000 to 9999. For clocks and for constants.
    #[must_use]
    pub const fn saturating_from_unix_seconds(seconds: i64) -> Self {
        if seconds < MIN_SECONDS {
            Self::MIN
        } else if seconds > MAX_SECONDS {
            Self::MAX
        } else {
            Self(seconds)
        }
    }

    /// Seconds since 1970-01-01T00:00:00Z (negative before it).
    #[must_use]
    pub const fn unix_seconds(self) -> i64 {
        self.0
    }

    /// The instant `seconds` later (earlier, if negative), if it is within the years 0000 to
    /// 9999.
    #[must_use]
    pub fn checked_add_seconds(self, seconds: i64) -> Option<Self> {
        let sum = self.0.checked_add(seconds)?;
        Self::from_unix_seconds(sum).ok()
    }

    /// The instant `seconds` later (earlier, if negative), stopping at [`Self::MIN`] and
    /// [`Self::MAX`]: an expiry "in a million years" is 9999-12-31T23:59:59Z.
    #[must_use]
    pub const fn saturating_add_seconds(self, seconds: i64) -> Self {
        Self::saturating_from_unix_seconds(self.0.saturating_add(seconds))
    }

    /// Days since 1970-01-01 of this instant's UTC date.
    pub(crate) const fn unix_days(self) -> i64 {
        self.0.div_euclid(SECONDS_PER_DAY)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = civil_from_days(self.unix_days());
        let seconds = self.0.rem_euclid(SECONDS_PER_DAY);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            seconds / 3_600,
            seconds % 3_600 / 60,
            seconds % 60
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
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 20
            && bytes
                .iter()
                .enumerate()
                .all(|(position, &byte)| match position {
                    4 | 7 => byte == b'-',
                    10 => byte == b'T',
                    13 | 16 => byte == b':',
                    19 => byte == b'Z',
                    _ => byte.is_ascii_digit(),
                });
        if !shaped {
            return Err(TimestampError::Syntax {
                found: text.to_owned(),
            });
        }
        let (year, month, day) = (
            number(&bytes[0..4]),
            number(&bytes[5..7]),
            number(&bytes[8..10]),
        );
        let (hour, minute, second) = (
            number(&bytes[11..13]),
            number(&bytes[14..16]),
            number(&bytes[17..19]),
        );
        if day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 59 {
            return Err(TimestampError::OutOfRange {
                found: text.to_owned(),
            });
        }
        let seconds = days_from_civil(year, month, day) * SECONDS_PER_DAY
            + hour * 3_600
            + minute * 60
            + second;
        // Four digits of year keep every valid text within the range.
        Self::from_unix_seconds(seconds)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_seconds(seconds).unwrap()
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(at(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400).to_string(), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_764_077_409).to_string(), "2025-11-25T13:30:09Z");
        assert_eq!(at(1_898_553_599).to_string(), "2030-02-28T23:59:59Z");
        assert_eq!(at(-1).to_string(), "1969-12-31T23:59:59Z");
        assert_eq!(Timestamp::MAX.to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(Timestamp::MIN.to_string(), "0000-01-01T00:00:00Z");
        assert_eq!(format!("{:?}", at(0)), "Timestamp(1970-01-01T00:00:00Z)");
    }

    #[test]
    fn parses_known_instants() {
        let parse = |text: &str| text.parse::<Timestamp>().unwrap().unix_seconds();
        assert_eq!(parse("1970-01-01T00:00:00Z"), 0);
        assert_eq!(parse("2030-02-28T23:59:59Z"), 1_898_553_599);
        assert_eq!(parse("1969-12-31T23:59:59Z"), -1);
        assert_eq!(parse("0000-01-01T00:00:00Z"), MIN_SECONDS);
        assert_eq!(parse("9999-12-31T23:59:59Z"), MAX_SECONDS);
    }

    #[test]
    fn end_of_month_and_leap_days() {
        for (text, valid) in [
            ("2024-02-29T00:00:00Z", true),
            ("2000-02-29T00:00:00Z", true),
            ("0000-02-29T00:00:00Z", true),
            ("2023-02-29T00:00:00Z", false),
            ("1900-02-29T00:00:00Z", false),
            ("2100-02-29T00:00:00Z", false),
            ("2024-02-30T00:00:00Z", false),
            ("2026-01-31T00:00:00Z", true),
            ("2026-04-30T00:00:00Z", true),
            ("2026-04-31T00:00:00Z", false),
            ("2026-06-31T00:00:00Z", false),
            ("2026-09-31T00:00:00Z", false),
            ("2026-11-31T00:00:00Z", false),
            ("2026-12-31T23:59:59Z", true),
            ("2026-12-32T00:00:00Z", false),
            ("2026-01-00T00:00:00Z", false),
        ] {
            let parsed = text.parse::<Timestamp>();
            if valid {
                assert_eq!(parsed.unwrap().to_string(), text);
            } else {
                assert_eq!(
                    parsed,
                    Err(TimestampError::OutOfRange {
                        found: text.to_owned()
                    }),
                    "{text}"
                );
            }
        }
        // The last second of February in a leap year is followed by March 1.
        let last = "2024-02-29T23:59:59Z".parse::<Timestamp>().unwrap();
        assert_eq!(
            last.saturating_add_seconds(1).to_string(),
            "2024-03-01T00:00:00Z"
        );
    }

    #[test]
    fn round_trips_every_day_over_four_centuries() {
        let mut seconds = MIN_SECONDS;
        while seconds <= MAX_SECONDS {
            let stamp = at(seconds);
            assert_eq!(stamp.to_string().parse::<Timestamp>(), Ok(stamp));
            seconds += 86_400 * 97 + 3_607;
        }
    }

    #[test]
    fn before_1970_is_an_instant_like_any_other() {
        let stamp = "1969-07-20T20:17:40Z".parse::<Timestamp>().unwrap();
        assert_eq!(stamp.unix_seconds(), -14_182_940);
        assert_eq!(at(-14_182_940), stamp);
        assert!(stamp < Timestamp::UNIX_EPOCH);
    }

    #[test]
    fn parsing_is_strict() {
        for bad in [
            "2026-11-25 13:40:09Z",
            "2026-11-25T13:40:09+00:00",
            "2026-11-25T13:40:09.5Z",
            "2026-11-25T13:40:09.000Z",
            "2026-11-25T13:40:09z",
            "2026-11-25t13:40:09Z",
            "2026-11-25T13:40:09",
            "26-11-25T13:40:09Z",
            "2026-1-25T13:40:09Z",
            "2026-1a-25T13:40:09Z",
            "+2026-11-25T13:40:09Z",
            "12026-11-25T13:40:09Z",
            "2026-11-25T13:40:09Z ",
            " 2026-11-25T13:40:09Z",
            "2026-11-25",
            "",
            "２026-11-25T13:40:09Z",
        ] {
            assert_eq!(
                bad.parse::<Timestamp>(),
                Err(TimestampError::Syntax {
                    found: bad.to_owned()
                }),
                "{bad}"
            );
        }
        for bad in [
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2026-01-01T00:00:60Z",
            "2026-06-30T23:59:60Z",
        ] {
            assert!(
                matches!(
                    bad.parse::<Timestamp>(),
                    Err(TimestampError::OutOfRange { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn seconds_outside_the_four_digit_years_are_refused_or_saturate() {
        assert_eq!(
            Timestamp::from_unix_seconds(MAX_SECONDS + 1),
            Err(TimestampError::Seconds {
                seconds: MAX_SECONDS + 1
            })
        );
        assert_eq!(
            Timestamp::from_unix_seconds(MIN_SECONDS - 1),
            Err(TimestampError::Seconds {
                seconds: MIN_SECONDS - 1
            })
        );
        assert_eq!(
            Timestamp::saturating_from_unix_seconds(i64::MAX),
            Timestamp::MAX
        );
        assert_eq!(
            Timestamp::saturating_from_unix_seconds(i64::MIN),
            Timestamp::MIN
        );
        assert_eq!(Timestamp::MAX.checked_add_seconds(1), None);
        assert_eq!(Timestamp::MIN.checked_add_seconds(-1), None);
        assert_eq!(at(0).checked_add_seconds(i64::MAX), None);
        assert_eq!(at(10).checked_add_seconds(-20), Some(at(-10)));
        assert_eq!(at(0).saturating_add_seconds(i64::MAX), Timestamp::MAX);
        assert_eq!(at(0).saturating_add_seconds(i64::MIN), Timestamp::MIN);
    }

    #[test]
    fn serde_uses_the_text_form_and_refuses_others() {
        let stamp = at(1_764_077_409);
        let json = serde_json::to_string(&stamp).unwrap();
        assert_eq!(json, "\"2025-11-25T13:30:09Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), stamp);
        let error = serde_json::from_str::<Timestamp>("\"2025-11-25T13:30:09.5Z\"").unwrap_err();
        assert!(
            error.to_string().contains("expected an RFC 3339 UTC time"),
            "{error}"
        );
        assert!(serde_json::from_str::<Timestamp>("1764077409").is_err());
    }

    #[test]
    fn errors_name_what_was_found() {
        let error = "2026-02-30T00:00:00Z".parse::<Timestamp>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "\"2026-02-30T00:00:00Z\" is not a valid date and time"
        );
        let error = "tomorrow".parse::<Timestamp>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "expected an RFC 3339 UTC time like 2026-01-31T12:00:00Z, found \"tomorrow\""
        );
    }
}
