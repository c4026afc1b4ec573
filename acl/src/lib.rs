#![doc = include_str!("../README.md")]
//!
//! Owns: the legacy wire model ([`legacy`]), value and record translators,
//! the route translators and the [`Registry`] the proxy looks them up in.
//! Must not touch: the monolith's code or a service's code (only their
//! published contract crates), or any I/O: this crate is pure functions over
//! bytes and values, so the proxy decides how and when to call.

pub mod error;
mod exchange;
mod http;
pub mod legacy;
pub mod paging;
pub mod parity;
pub mod records;
mod registry;
pub mod reply;
pub mod routes;
pub mod value;

pub use error::{FieldPath, Side, TranslateError};
pub use exchange::{Exchange, RouteTranslator, Step};
pub use http::{Headers, Method, Request, Response};
pub use registry::Registry;
pub use reply::{error_to_legacy, problem_to_legacy};
pub use value::LegacyClock;
