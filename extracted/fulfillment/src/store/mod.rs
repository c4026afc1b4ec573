//! The service's tables and the only code that queries them. Every function
//! takes the caller's connection, so a handler composes several into one
//! transaction (`Db::write`); invariants that concurrent requests could break
//! (stock never negative, one transition per order) are held by conditional
//! UPDATEs, which work the same on SQLite and PostgreSQL.

pub(crate) mod convert;
pub(crate) mod legacy_ids;
pub(crate) mod order_insert;
pub(crate) mod orders;
pub(crate) mod sagas;
mod schema;
pub(crate) mod shipments;
pub(crate) mod stock;

pub(crate) use convert::now;
