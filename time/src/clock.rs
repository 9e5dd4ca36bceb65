//! [`Clock`]: where "now" comes from.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::Timestamp;

/// The source of the current time. Injected wherever a decision depends on it (TUF expiry, the
/// freeze attack defence; install health deadlines; custody entry times; exception expiry), so
/// that the decision is tested, or replayed, without touching the system clock.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The operating system's wall clock.
///
/// A reading outside the years 0000 to 9999 (a clock set absurdly wrong) is reported as the
/// nearest end of that range; one before 1970 is reported as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let seconds = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            Err(before) => {
                // Whole seconds, rounded down: 0.5 s before 1970 is 1969-12-31T23:59:59Z.
                let before = before.duration();
                let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
                let partial = i64::from(before.subsec_nanos() > 0);
                whole.saturating_add(partial).saturating_neg()
            }
        };
        Timestamp::saturating_from_unix_seconds(seconds)
    }
}

/// A clock that always reads the same instant, for tests and for replaying a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_reads_its_instant() {
        let at = Timestamp::from_unix_seconds(1_893_456_000).unwrap();
        let clock: &dyn Clock = &FixedClock(at);
        assert_eq!(clock.now(), at);
        assert_eq!(clock.now(), at);
    }

    #[test]
    fn the_system_clock_agrees_with_std() {
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let now = SystemClock.now().unix_seconds();
        let after = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(
            (i64::try_from(before).unwrap()..=i64::try_from(after).unwrap()).contains(&now),
            "{before} <= {now} <= {after}"
        );
    }
}
