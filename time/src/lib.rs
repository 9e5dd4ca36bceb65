//! Time for every sigil crate: the [`Clock`] that "now" comes from, the [`Timestamp`] every
//! instant is written as, and the calendar [`Date`] that audit exceptions expire on.
//!
//! What it does:
//! - [`Clock`] is injected wherever a decision depends on the time (TUF expiry, the install
//!   health deadline, custody entry times, exception expiry), so every such decision is tested
//!   with a [`FixedClock`] instead of the system clock; [`SystemClock`] is the one place that reads
//!   the operating system's clock;
//! - [`Timestamp`] is an instant in UTC to the second, written in the strict RFC 3339 form
//!   `YYYY-MM-DDTHH:MM:SSZ` that TUF 1.0 (section 4.2.3, `expires`) prescribes and the custody
//!   log records, between the years 0000 and 9999;
//! - [`Date`] is a proleptic Gregorian calendar day `YYYY-MM-DD`, years 0001 to 9999;
//! - one conversion between day counts and calendar dates (Howard Hinnant's `days_from_civil`
//!   and `civil_from_days`) serves both.
//!
//! What it deliberately does not do: time zones, leap seconds (RFC 3339's `:60` is refused, as
//! POSIX time has none), fractional seconds, lowercase `t`/`z`, numeric offsets such as `+00:00`,
//! or any of the looser forms RFC 3339 allows. TUF metadata and custody entries are written by
//! machines in exactly one form; anything else is refused rather than guessed at.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
#![warn(missing_docs)]

mod civil;
mod clock;
mod date;
mod timestamp;

pub use clock::{Clock, FixedClock, SystemClock};
pub use date::{Date, DateError};
pub use timestamp::{Timestamp, TimestampError};
