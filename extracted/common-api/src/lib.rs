#![doc = include_str!("../README.md")]

mod currency;
pub mod migration;
mod money;
mod page;
pub mod paths;
mod problem;
pub mod rfc3339;

pub use currency::{Currency, UnknownCurrency};
pub use migration::{
    ExportPage, ExportQuery, ImportOutcome, ImportReport, ImportResult, LegacyKey,
};
pub use money::{Money, MoneyError};
pub use page::{DEFAULT_LIMIT, MAX_LIMIT, Page, PageParams, PageParamsError};
pub use problem::ProblemDoc;
pub use rust_decimal::Decimal;
