//! The service's rules, free of I/O: which order transitions are legal, what
//! a request must look like, which legacy ids are the service's to assign.

mod import;
mod invalid;
mod legacy_ids;
mod order_state;
mod validate;

pub(crate) use import::validate_import;
pub(crate) use invalid::Invalid;
pub(crate) use legacy_ids::LegacyIdRange;
pub(crate) use order_state::{IllegalTransition, sources_of as order_state_sources};
pub(crate) use validate::{
    validate_adjustment, validate_confirm, validate_new_order, validate_put_item, validate_ship,
};
