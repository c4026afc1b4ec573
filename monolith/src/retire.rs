//! `monolith retire payments`: once the payment service owns every payment,
//! archive the module's tables and drop them (docs/data.md, "Retiring the
//! legacy side"). A command of the whole monolith, not a port: no module
//! calls it.

pub use crate::payments::retire::{RetireArgs, run};
