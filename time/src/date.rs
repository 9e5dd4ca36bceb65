//! [`Date`]: a calendar day `YYYY-MM-DD`, proleptic Gregorian, UTC.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::civil::{SECONDS_PER_DAY, civil_from_days, days_from_civil, days_in_month, number};
use crate::{Clock, Timestamp};

/// A calendar day, years 0001 to 9999. Ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// Not shaped `YYYY-MM-DD`.
    #[error("expected a date YYYY-MM-DD, found {0:?}")]
    Shape(String),
    /// Shaped right, but no such day.
    #[error("{0:?} is not a day of the calendar")]
    NoSuchDay(String),
}

/// Days since 1970-01-01 of 0001-01-01 and of 9999-12-31, the range of [`Date`].
const FIRST_DAY: i64 = -719_162;
const LAST_DAY: i64 = 2_932_896;

impl Date {
    /// A date from its parts, if that day exists (years 1 to 9999).
    #[must_use]
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        let valid = (1..=9999).contains(&year)
            && day >= 1
            && i64::from(day) <= days_in_month(i64::from(year), i64::from(month));
        valid.then_some(Self { year, month, day })
    }

    /// The UTC date `days` days after 1970-01-01 (before it, if negative), if it is within the
    /// years 1 to 9999.
    #[must_use]
    pub fn from_unix_days(days: i64) -> Option<Self> {
        if !(FIRST_DAY..=LAST_DAY).contains(&days) {
            return None;
        }
        let (year, month, day) = civil_from_days(days);
        Self::new(
            u16::try_from(year).ok()?,
            u8::try_from(month).ok()?,
            u8::try_from(day).ok()?,
        )
    }

    /// The UTC date of an instant (`None` in the year 0000, before this type's range).
    #[must_use]
    pub fn of(instant: Timestamp) -> Option<Self> {
        Self::from_unix_days(instant.unix_days())
    }

    /// Today's UTC date by `clock`, or `None` if the clock reads before 1970: such a clock is
    /// wrong, and a date that decides which exceptions still hold is not taken from it.
    #[must_use]
    pub fn today(clock: &dyn Clock) -> Option<Self> {
        let now = clock.now();
        if now < Timestamp::UNIX_EPOCH {
            return None;
        }
        Self::of(now)
    }

    /// Today's UTC date by the system clock (`None` if the clock is before 1970): [`Self::today`]
    /// with [`crate::SystemClock`].
    #[must_use]
    pub fn today_utc() -> Option<Self> {
        Self::today(&crate::SystemClock)
    }

    /// The first instant of this day, 00:00:00 UTC.
    #[must_use]
    pub fn midnight(self) -> Timestamp {
        let days = days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        // Years 1 to 9999 lie within the timestamp range.
        Timestamp::saturating_from_unix_seconds(days * SECONDS_PER_DAY)
    }
}

impl FromStr for Date {
    type Err = DateError;

    /// Reads exactly `YYYY-MM-DD`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 10
            && bytes
                .iter()
                .enumerate()
                .all(|(position, &byte)| match position {
                    4 | 7 => byte == b'-',
                    _ => byte.is_ascii_digit(),
                });
        if !shaped {
            return Err(DateError::Shape(text.chars().take(40).collect()));
        }
        let no_such_day = || DateError::NoSuchDay(text.to_owned());
        // Four, two and two digits: each fits its field.
        let year = u16::try_from(number(&bytes[0..4])).map_err(|_| no_such_day())?;
        let month = u8::try_from(number(&bytes[5..7])).map_err(|_| no_such_day())?;
        let day = u8::try_from(number(&bytes[8..10])).map_err(|_| no_such_day())?;
        Self::new(year, month, day).ok_or_else(no_such_day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FixedClock;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_seconds(seconds).unwrap()
    }

    #[test]
    fn parses_real_days_only() {
        assert_eq!(
            "2024-02-29".parse::<Date>().unwrap().to_string(),
            "2024-02-29"
        );
        for no_such_day in [
            "2023-02-29",
            "1900-02-29",
            "2023-13-01",
            "2023-00-01",
            "2023-04-31",
            "2023-01-32",
            "2023-01-00",
            "0000-01-01",
        ] {
            assert_eq!(
                no_such_day.parse::<Date>(),
                Err(DateError::NoSuchDay(no_such_day.to_owned())),
                "{no_such_day}"
            );
        }
        for bad in [
            "2023-1-01",
            "20230101",
            "2023-01-01T00:00",
            "",
            "2023-0a-01",
            "2023/01/01",
            "२०२३-01-01",
        ] {
            assert!(
                matches!(bad.parse::<Date>(), Err(DateError::Shape(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_long_refused_text_is_cut_by_characters() {
        let long = "é".repeat(100);
        let Err(DateError::Shape(found)) = long.parse::<Date>() else {
            panic!("accepted {long}");
        };
        assert_eq!(found, "é".repeat(40));
    }

    #[test]
    fn every_month_end() {
        let ends: Vec<String> = (1..=12)
            .map(|month| {
                let last = (28..=31)
                    .rev()
                    .find(|&day| Date::new(2024, month, day).is_some())
                    .unwrap();
                format!("{month}:{last}")
            })
            .collect();
        assert_eq!(
            ends,
            [
                "1:31", "2:29", "3:31", "4:30", "5:31", "6:30", "7:31", "8:31", "9:30", "10:31",
                "11:30", "12:31"
            ]
        );
        assert!(Date::new(2023, 2, 29).is_none());
        assert!(Date::new(10_000, 1, 1).is_none());
    }

    #[test]
    fn unix_days_to_civil_dates() {
        assert_eq!(Date::from_unix_days(0), Date::new(1970, 1, 1));
        assert_eq!(Date::from_unix_days(19_782), Date::new(2024, 2, 29));
        assert_eq!(Date::from_unix_days(-1), Date::new(1969, 12, 31));
        assert_eq!(Date::from_unix_days(FIRST_DAY), Date::new(1, 1, 1));
        assert_eq!(Date::from_unix_days(LAST_DAY), Date::new(9999, 12, 31));
        assert!(Date::from_unix_days(FIRST_DAY - 1).is_none());
        assert!(Date::from_unix_days(LAST_DAY + 1).is_none());
        assert!(Date::from_unix_days(i64::MAX).is_none());
        assert!(Date::from_unix_days(i64::MIN).is_none());
    }

    #[test]
    fn dates_of_instants_and_midnights() {
        let date = Date::of(at(1_764_077_409)).unwrap();
        assert_eq!(date.to_string(), "2025-11-25");
        assert_eq!(date.midnight().to_string(), "2025-11-25T00:00:00Z");
        assert_eq!(Date::of(at(-1)), Date::new(1969, 12, 31));
        assert_eq!(Date::of(Timestamp::MAX), Date::new(9999, 12, 31));
        assert_eq!(Date::of(Timestamp::MIN), None);
        let first: Date = "0001-01-01".parse().unwrap();
        assert_eq!(first.midnight().to_string(), "0001-01-01T00:00:00Z");
    }

    #[test]
    fn today_is_refused_from_a_clock_before_1970() {
        assert_eq!(Date::today(&FixedClock(at(-1))), None);
        assert_eq!(Date::today(&FixedClock(at(0))), Date::new(1970, 1, 1));
        assert_eq!(
            Date::today(&FixedClock(at(951_868_799))),
            Date::new(2000, 2, 29)
        );
        assert!(Date::today_utc().is_some());
    }

    #[test]
    fn dates_order_chronologically() {
        let a: Date = "2026-12-31".parse().unwrap();
        let b: Date = "2027-01-01".parse().unwrap();
        assert!(a < b);
        assert!(Date::new(2026, 2, 1) > Date::new(2026, 1, 31));
    }
}
