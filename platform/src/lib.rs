//! What every strangler-kit deployable (the monolith and the extracted services)
//! needs the same way: typed [`settings`], [`telemetry`] (logs, and OTLP span
//! export when configured) with [`correlation`] ids and W3C [`trace_context`],
//! one [`problem`] error type rendered as `application/problem+json`, [`db`]
//! access for SQLite and PostgreSQL with embedded migrations, [`health`]
//! endpoints, Prometheus [`metrics`] on `/metrics`, a [`server`] runner
//! with graceful shutdown, and [`secret`] setting values that printing
//! settings does not reveal.
//!
//! The service toolkit: [`idempotency`] keys for creates, [`dry_run`]
//! requests rolled back in full, the transactional [`outbox`] with its
//! [`relay`] (over HTTP to subscribers' inboxes, or NATS JetStream), and the
//! [`inbox`] that applies each received event exactly once, in the producer's
//! trace ([`trace_context`]); [`sync`] keeps two systems of record current
//! with each other over them (per-record versions, no echo).
//!
//! For operators' command lines: [`table`], plain aligned tables.
//!
//! It depends on no project crate: everything here is generic plumbing, never a
//! domain rule.

pub mod correlation;
pub mod db;
pub mod dry_run;
pub mod health;
pub mod idempotency;
pub mod inbox;
pub mod json;
pub mod metrics;
pub mod outbox;
pub mod pg_server;
pub mod problem;
pub mod relay;
pub mod secret;
pub mod server;
pub mod settings;
pub mod sync;
pub mod table;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod trace_context;

pub use problem::Problem;
