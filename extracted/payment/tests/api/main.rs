//! The payment service over HTTP, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod concurrency;
mod dry_run;
mod helpers;
mod idempotency;
mod imports;
mod invoices;
mod lifecycle;
mod rebuild;
mod snapshots;
mod sync;
