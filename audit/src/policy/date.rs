//! Calendar dates for exception expiry: `YYYY-MM-DD`, proleptic Gregorian, UTC. The type is
//! `sigil-time`'s [`Date`], the one date type of every sigil crate; today's date comes from an
//! injected [`sigil_time::Clock`] ([`Date::today`]).

pub use sigil_time::{Date, DateError};
