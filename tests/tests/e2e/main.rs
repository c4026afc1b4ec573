//! The whole stack on loopback: monolith, payment and fulfillment services,
//! strangler proxy.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod canary;
mod contract;
mod events;
mod fallback;
mod gate;
mod handover;
mod held_saga;
mod metrics;
mod modes;
mod operator_errors;
mod ownership;
mod shadow;
mod stack;
mod sync;
mod sync_stack;
mod under_load;
