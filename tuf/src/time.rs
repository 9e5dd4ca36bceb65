//! Time as TUF metadata states it (`expires`), and the injected clock that expiry is checked
//! against. The clock and the instant are `sigil-time`'s, the ones every sigil crate uses.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
pub use sigil_time::{Clock, FixedClock, SystemClock};
use sigil_time::{Timestamp, TimestampError};

/// An instant in UTC, to the second: [`sigil_time::Timestamp`], under the name this crate uses
/// so that it is not mistaken for the timestamp role's metadata ([`crate::metadata::Timestamp`]).
pub type UnixTime = Timestamp;

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
        let at = text.parse::<Timestamp>().map_err(|error| match error {
            TimestampError::Syntax { .. } => ExpiresError::Format {
                found: text.to_owned(),
            },
            _ => ExpiresError::OutOfRange {
                found: text.to_owned(),
            },
        })?;
        Ok(Self { at })
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
        fmt::Display::fmt(&self.at, f)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_the_tuf_form() {
        let expires = Expires::parse("2030-02-28T23:59:59Z").unwrap();
        assert_eq!(expires.at().unix_seconds(), 1_898_553_599);
        assert_eq!(expires.to_string(), "2030-02-28T23:59:59Z");
        assert_eq!(
            Expires::parse("1970-01-01T00:00:00Z").unwrap().at(),
            UnixTime::UNIX_EPOCH
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
        assert!(!expires.is_expired_at(expires.at().saturating_add_seconds(-1)));
        assert!(expires.is_expired_at(expires.at()));
    }
}
