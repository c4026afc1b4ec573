//! The extracted payment service: payments, refunds and invoices behind
//! `/v2`, in its own database (SQLite by default, PostgreSQL by URL).
//!
//! - The payment ledger is event-sourced ([`ledger`]): an append-only stream
//!   per payment with optimistic concurrency; reads come from projections
//!   updated in the same transaction and rebuildable with
//!   `payment rebuild-projections`.
//! - Every create takes an `Idempotency-Key`, every write honours
//!   `X-Strangler-Dry-Run: 1`, every state change records an outbox event in
//!   its own transaction (the `platform` toolkit), in the request's trace; a
//!   relay publishes them (`[events]`: over HTTP to subscribers' inboxes, the
//!   fulfillment service's by default, or to NATS JetStream), so a refund
//!   reaches fulfillment as `payment.refunded`.
//! - While both sides live, every write is also recorded as its legacy view
//!   for the monolith, and the monolith's writes are applied through the
//!   import path, once each and in order per record ([`sync`]).
//! - Entities get legacy ids from a range the monolith never uses
//!   ([`legacy_ids`]); imports keep theirs.
//! - Backfill imports payments with their whole history and invoices
//!   through `/v2/imports/*` without any side effect (no gateway call, no
//!   event published), and `/v2/exports/*` lists everything by legacy id for
//!   verification ([`imports`]).
//!
//! Running: `payment` (or `payment serve`) listens on 127.0.0.1:8082 with
//! `sqlite://data/payment.db`; `PAYMENT__DATABASE__URL=postgres://…` or a
//! `--config` file change that. `payment rebuild-projections` recreates the
//! read tables from the events. The `/v2` OpenAPI document is served at
//! `/v2/openapi.json`; `/healthz` and `/readyz` answer probes.
//!
//! Its wire types are the `payment-api` contract crate. It owns only its
//! database and must never read another service's or the monolith's.

pub mod error;
pub mod gateway;
pub mod http;
pub mod imports;
pub mod invoices;
pub mod ledger;
pub mod legacy_ids;
pub mod schema;
pub mod settings;
pub mod startup;
pub mod sync;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use platform::db::Migrations;

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/payment/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/payment/sqlite");

/// The service's migrations, per backend.
pub fn migrations() -> Migrations {
    Migrations {
        postgres: POSTGRES,
        sqlite: SQLITE,
    }
}

#[cfg(test)]
mod tests {
    /// Whitespace-insensitive, so formatting never fails the check.
    fn squash(sql: &str) -> String {
        sql.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn migrations_carry_the_toolkit_tables_as_platform_defines_them() {
        let postgres = squash(include_str!(
            "../../../migrations/payment/postgres/2026-11-24-100000_initial/up.sql"
        ));
        let sqlite = squash(include_str!(
            "../../../migrations/payment/sqlite/2026-11-24-100000_initial/up.sql"
        ));
        let idempotency = squash(platform::idempotency::DDL);
        assert!(postgres.contains(&idempotency) && sqlite.contains(&idempotency));
        assert!(postgres.contains(&squash(platform::outbox::DDL_POSTGRES)));
        assert!(sqlite.contains(&squash(platform::outbox::DDL_SQLITE)));
        let trace = squash(platform::outbox::DDL_TRACE_CONTEXT);
        for migration in [
            include_str!(
                "../../../migrations/payment/postgres/2026-11-25-000000_outbox_trace_context/up.sql"
            ),
            include_str!(
                "../../../migrations/payment/sqlite/2026-11-25-000000_outbox_trace_context/up.sql"
            ),
        ] {
            assert!(squash(migration).contains(&trace));
        }
    }
}
