//! A tamper-evident chain-of-custody log.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod merkle;
