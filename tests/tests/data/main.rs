//! Moving data across the cut, with real processes: the monolith and the
//! extracted services on fresh databases (SQLite and PostgreSQL), the backfill
//! and verify of `strangler-data`, and the real `strangler` binary killed in
//! the middle of a backfill; fulfillment synced both ways after its
//! backfill.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod backfill;
mod fulfillment;
mod fulfillment_sync;
mod recorded;
mod resume;
mod support;
mod verify;
