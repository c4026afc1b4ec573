//! The extracted fulfillment service: stock items and their reservations,
//! orders and their lines, shipments, behind the `/v2` API whose wire types
//! live in the `fulfillment-api` contract crate. It owns its own database
//! (SQLite by default, PostgreSQL by URL) and never reads another's; customers,
//! payments and invoices stay elsewhere and are referred to by legacy id only.
//!
//! Rooms: [`settings`] and [`startup`] (the deployable), `domain` (rules, no
//! I/O), `store` (its tables only), `http` (the `/v2` handlers and the
//! generated OpenAPI document), `events` (what it tells the world through the
//! outbox). It must not depend on the monolith, the proxy or the ACL.

mod actions;
mod domain;
mod events;
mod http;
pub mod settings;
pub mod startup;
mod store;

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
