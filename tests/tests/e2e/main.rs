//! The whole stack on loopback: monolith, payment service, strangler proxy.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod canary;
mod fallback;
mod modes;
mod operator_errors;
mod stack;
