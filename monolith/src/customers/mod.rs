//! Bounded context `customers`: customers and their billing details. Owns the
//! `customers` table. Other modules may use [`port`] only.

mod domain;
pub(crate) mod http;
pub mod port;
mod store;
