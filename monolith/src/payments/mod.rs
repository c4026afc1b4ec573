//! Bounded context `payments`: payments (authorise, capture), refunds (full and
//! partial) and invoices. Owns the `payments`, `refunds` and `invoices` tables.
//! Other modules may use [`port`] only; billing details come through the
//! customers port. Once the payment service owns every payment, its `retire` module
//! archives and drops the tables.

mod domain;
pub(crate) mod export;
mod gateway;
pub(crate) mod gone;
pub(crate) mod http;
pub mod port;
pub(crate) mod retire;
mod store;
pub(crate) mod sync;
