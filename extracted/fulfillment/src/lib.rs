//! The extracted fulfillment service: stock items and their reservations,
//! orders and their lines, shipments, behind the `/v2` API whose wire types
//! live in the `fulfillment-api` contract crate. It owns its own database
//! (SQLite by default, PostgreSQL by URL) and never reads another's; customers,
//! payments and invoices stay elsewhere and are referred to by legacy id only.
//!
//! Rooms: [`settings`] and [`startup`] (the deployable), `domain` (rules, no
//! I/O), `store` (its tables only), `http` (the `/v2` handlers and the
//! generated OpenAPI document), `events` (what it tells the world through the
//! outbox, relayed as `[events]` says), `reactions` (what it does when other
//! services' events reach its inbox: a payment refunded in full cancels the
//! unshipped order), `saga` (orders placed, captured and cancelled across
//! the payment service: an orchestrated saga persisted step by step, resumed
//! by a recovery loop, which issues the order's invoice as the monolith does;
//! docs/saga.md), [`cli`] (`fulfillment sagas list|show`: the operators' view
//! of a running service's sagas), `imports` (backfill from the monolith without any event,
//! and the export lists verification walks), `sync` (orders and stock
//! items kept current with the monolith both ways while both live, in the
//! legacy export shape the ACL's record translators give: the one reason
//! it depends on the ACL). It must not depend on the monolith or the
//! proxy; it reaches the payment service only through its published
//! contract (`payment-api`) over HTTP.

mod actions;
pub mod cli;
mod domain;
mod events;
mod http;
mod imports;
mod reactions;
mod saga;
pub mod settings;
pub mod startup;
mod store;
mod sync;

/// The service's embedded migrations, one set per backend.
pub fn migrations() -> platform::db::Migrations {
    use diesel_migrations::{EmbeddedMigrations, embed_migrations};
    const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/fulfillment/postgres");
    const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/fulfillment/sqlite");
    platform::db::Migrations {
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
    fn migrations_carry_the_event_tables_as_platform_defines_them() {
        let trace = squash(platform::outbox::DDL_TRACE_CONTEXT);
        let inbox = squash(platform::inbox::DDL);
        for (trace_up, inbox_up) in [
            (
                include_str!(
                    "../../../migrations/fulfillment/postgres/2026-11-25-000000_outbox_trace_context/up.sql"
                ),
                include_str!(
                    "../../../migrations/fulfillment/postgres/2026-11-25-000001_inbox/up.sql"
                ),
            ),
            (
                include_str!(
                    "../../../migrations/fulfillment/sqlite/2026-11-25-000000_outbox_trace_context/up.sql"
                ),
                include_str!(
                    "../../../migrations/fulfillment/sqlite/2026-11-25-000001_inbox/up.sql"
                ),
            ),
        ] {
            assert!(squash(trace_up).contains(&trace));
            assert!(squash(inbox_up).contains(&inbox));
        }
    }

    #[test]
    fn migrations_carry_the_sync_table_as_platform_defines_it() {
        let sync = squash(platform::sync::DDL);
        for up in [
            include_str!("../../../migrations/fulfillment/postgres/2026-12-08-200000_sync/up.sql"),
            include_str!("../../../migrations/fulfillment/sqlite/2026-12-08-200000_sync/up.sql"),
        ] {
            assert!(squash(up).contains(&sync));
        }
    }
}
