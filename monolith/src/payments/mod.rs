//! Bounded context `payments`: payments (authorise, capture), refunds (full and
//! partial) and invoices. Owns the `payments`, `refunds` and `invoices` tables.
//! Other modules may use [`port`] only; billing details come through the
//! customers port.

mod domain;
pub(crate) mod export;
mod gateway;
pub(crate) mod http;
pub mod port;
mod store;
pub(crate) mod sync;
