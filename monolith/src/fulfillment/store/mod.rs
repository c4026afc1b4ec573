//! The fulfillment tables: the only code that touches them. Stock invariants
//! (never negative, never less on hand than reserved) are conditional updates,
//! backed by CHECK constraints, so they hold under concurrency on both backends.

pub mod items;
pub mod orders;
mod schema;
pub mod shipments;
pub mod synced;
