//! The strangler proxy: a team puts it in front of its monolith and then moves
//! routes to new services without ever restarting it.
//!
//! The request path is a pipeline of small stages ([`proxy`]), in one span per
//! request that continues the client's W3C trace and is the parent of every
//! upstream call: match the route
//! ([`routes`]: a segment trie, most specific wins) → build the Unleash
//! context → decide the mode from [`flags`] (`legacy`, `shadow`, `canary`,
//! `new`) → forward to the monolith, or translate through the ACL to the new
//! service with fallback to the monolith → label and count ([`stats`], exposed
//! to Prometheus by [`metrics`]). Calls to the new side pass a circuit
//! breaker and a bulkhead per upstream, and refused connections are retried
//! ([`resilience`]).
//! Client connections reach it through [`server`]: the proxy's own HTTP/1.1
//! codec for plain requests, hyper for every other kind. Plain requests the
//! monolith serves alone are relayed by the codec itself
//! ([`proxy::relay`]), with the data plane's decision, labels and counters.
//! A log line that can repeat per request or per connection is
//! rate-limited ([`logging`]).
//! Around it: [`settings`] (the route table lives in the settings file),
//! [`reload`] without restart, the [`admin`] API, and the [`cli`]. Shadowed
//! copies are compared and their results kept and reported by class
//! ([`shadow`]); the promotion [`gate`] moves a route on only when those
//! numbers, counted from the route's current epoch, the last verify run of
//! its data context and, for a synced context, the [`sync_lag`] of both
//! directions allow it. When a synced context's owner flags change, its
//! writes are held until the old owner's last changes have reached the new
//! one ([`handover`]).
//!
//! It knows nothing of the monolith's code: it sees HTTP, a route table,
//! flags and ACL translators.

pub mod admin;
pub mod app;
pub mod cli;
/// Flag loading and evaluation: the `strangler-flags` crate, shared with the
/// monolith so both pick the same side for the same record.
pub use strangler_flags as flags;
pub mod gate;
pub mod handover;
pub mod logging;
pub mod metrics;
pub mod proxy;
pub mod reload;
pub mod resilience;
pub mod routes;
pub mod server;
pub mod settings;
pub mod shadow;
pub mod stats;
pub mod sync_lag;
pub mod upstream;
pub mod watchdog;
