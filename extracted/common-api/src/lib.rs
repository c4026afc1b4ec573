//! Wire types shared by every extracted service's `/v2` API: [`Money`] (a
//! decimal amount serialised as a string, with its [`Currency`]), the
//! [`Page`] list envelope (`?limit=&offset=`), and the [`ProblemDoc`] shape
//! of an RFC 9457 error body for clients and OpenAPI documents.
//!
//! Types, validation and serde only: no I/O, no service knowledge. A service's
//! own contract crate (`payment-api`, `fulfillment-api`) builds on these; this
//! crate must never depend on a service or on `platform`.

mod currency;
mod money;
mod page;
mod problem;

pub use currency::{Currency, UnknownCurrency};
pub use money::{Money, MoneyError};
pub use page::{DEFAULT_LIMIT, MAX_LIMIT, Page, PageParams, PageParamsError};
pub use problem::ProblemDoc;
pub use rust_decimal::Decimal;
