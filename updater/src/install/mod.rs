//! Installing a release: unpack with hostile-archive defences, swap atomically, roll back.

pub mod archive;
pub mod member;
