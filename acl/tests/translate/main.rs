//! The ACL's integration tests, one binary: exchanges driven as the proxy
//! drives them, wire-format snapshots, and property tests (round trips, no
//! panic on arbitrary input).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod custom;
mod exchanges;
mod fixtures;
mod no_panic;
mod order_sagas;
mod parity;
mod roundtrip;
mod snapshots;
