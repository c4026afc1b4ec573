//! The monolith's integration suite: the legacy `/api/v1` over real HTTP on
//! loopback, every test on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod concurrency;
mod export;
mod helpers;
mod order_flow;
mod payments;
mod platform_behaviour;
mod sync;
