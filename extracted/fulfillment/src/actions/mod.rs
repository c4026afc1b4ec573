//! The service's commands, each one unit of work on the caller's connection
//! (one transaction): change the tables through `store`, record the outbox
//! event(s) through `events`, return the v2 representation. Handlers wrap
//! them with idempotency and dry-run; nothing here knows HTTP.

pub(crate) mod orders;
pub(crate) mod stock;
