#![doc = include_str!("../README.md")]
//!
//! Owns: the legacy record source, the backfill and verify runs. Must not
//! touch: the monolith's or a service's code (HTTP, their published
//! contracts and, read-only, the legacy tables are all it sees).

pub mod backfill;
pub mod canonical;
pub mod fulfillment;
pub mod payments;
pub mod source;
pub mod target;
pub mod verify;
