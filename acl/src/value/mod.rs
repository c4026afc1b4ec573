//! Value translators: the rules for one value at a time (money, time, ids,
//! status letters). Entity translators combine them; every function names the
//! field it works on so its errors say where.

pub mod ids;
pub mod money;
pub mod status;
pub mod time;

pub use time::{DEFAULT_ZONE, LegacyClock};
