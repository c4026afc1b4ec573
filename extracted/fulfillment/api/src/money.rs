//! Money and pages on the wire come from the shared `v2-common` crate, so
//! every v2 API spells them the same way; this module is the one place the
//! contract names them.

pub use v2_common::{Currency, Money, Page};
