#![doc = include_str!("../README.md")]
//!
//! Owns: the legacy wire model ([`legacy`]), value and entity translators,
//! and the [`Registry`] the proxy looks translators up in. Must not touch: the
//! monolith's code or a service's code (only their published contract crates),
//! or any I/O: this crate is pure functions over bytes and values.

pub mod error;
pub mod legacy;
pub mod records;
pub mod value;

pub use error::{FieldPath, Side, TranslateError};
