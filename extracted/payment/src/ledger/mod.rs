//! The payment ledger, event-sourced: each payment is an append-only stream
//! of [`events::PaymentEvent`]s numbered 1, 2, 3… (unique per stream). A
//! command loads the stream, folds it into a [`state::PaymentState`],
//! decides the new events, and appends them stating the version it read
//! ([`store::append`]); a writer that lost the race gets
//! [`CommandError::Conflict`](crate::error::CommandError) and the whole
//! transaction is retried a bounded number of times (see
//! [`crate::http::support::run_command`]), so no change is ever lost.
//!
//! Reads come from projection tables (`payments`, `refunds`) written by
//! [`projection`] in the same transaction as the append (CQRS);
//! [`projection::rebuild`] recreates them from the events alone.

pub mod commands;
pub mod events;
pub mod projection;
pub mod queries;
pub mod state;
pub mod store;

/// Now, at the microsecond precision both databases keep, so a value read
/// back equals the value written.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}
