//! A tamper-evident chain-of-custody log.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod checkpoint;
pub mod clock;
pub mod dsse;
pub mod entry;
pub mod merkle;
pub mod note;
pub mod offline;
pub mod predicate;
pub mod statement;
pub mod store;
pub mod trace;
pub mod verify;
