//! The strangler proxy (issue 5, being built): a team puts it in front of its
//! monolith and moves routes to new services without restarting it.
//!
//! - [`flags`]: Unleash feature flags (a local client-features file or a real
//!   Unleash server) decide each route's mode per request.

pub mod flags;
