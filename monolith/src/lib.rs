//! The reference modular monolith: the "legacy" system of strangler-kit's
//! worked example. Three bounded contexts, each owning its tables and its rules,
//! talking to each other only through ports (traits with an in-process
//! implementation):
//!
//! - [`customers`]: customers and their billing details;
//! - [`fulfillment`]: inventory (stock per SKU, reservations), orders and their
//!   lines, shipments;
//! - [`payments`]: payments (authorise, capture), refunds, invoices.
//!
//! A module's tables, store and domain types are private to it; other modules
//! see only its `port`. `tests/architecture.rs` fails if a module reaches past
//! another's port. The legacy `/api/v1` (see `docs/legacy-api.md`) is served by
//! each module's `http` room; its OpenAPI document is generated from the
//! handlers at `/api/v1/openapi.json`.
//!
//! It knows nothing of the proxy or the extracted services' code. For branch
//! by abstraction the payments port has a second implementation that calls
//! the payment service through its published contract (`payment-api`),
//! translated by the ACL, chosen per call by the payments route's flags read
//! with the proxy's own evaluation (`strangler-flags`); see
//! `payments::port` and `docs/data.md`.

pub mod customers;
pub mod error;
pub mod fulfillment;
pub mod legacy;
pub mod payments;
pub mod ports;
pub mod retire;
pub mod seed;
pub mod settings;
pub mod startup;
pub mod sync;

/// The monolith's embedded migrations, one set per backend.
pub fn migrations() -> platform::db::Migrations {
    use diesel_migrations::{EmbeddedMigrations, embed_migrations};
    const POSTGRES: EmbeddedMigrations = embed_migrations!("../migrations/monolith/postgres");
    const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/monolith/sqlite");
    platform::db::Migrations {
        postgres: POSTGRES,
        sqlite: SQLITE,
    }
}
