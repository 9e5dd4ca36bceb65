//! Time: the [`Clock`] that entries take their time from, and [`Timestamp`], an RFC 3339 UTC
//! instant with whole seconds (`2026-11-25T13:40:09Z`). Both are `sigil-time`'s, the ones every
//! sigil crate uses.
//!
//! The clock is injected so tests, and replays, never read the system clock.

pub use sigil_time::{Clock, FixedClock, SystemClock, Timestamp, TimestampError};
