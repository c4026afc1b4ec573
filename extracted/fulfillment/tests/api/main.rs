//! Integration tests of the fulfillment service over HTTP, every one on
//! SQLite and PostgreSQL (`platform::both_backends!`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod concurrency;
mod dry_run;
mod helpers;
mod idempotency;
mod imports;
mod legacy_ids;
mod lifecycle;
mod listing;
mod reactions;
mod sagas;
mod service;
mod snapshots;
mod sync;
mod transitions;
