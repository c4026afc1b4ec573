//! The legacy `/api/v1` wire model, written from the published contract as a
//! client observes it (never from the monolith's code). Response records use
//! `deny_unknown_fields`, so a field the monolith adds or renames breaks a
//! contract test instead of being dropped on the way through the layer.
//! Request bodies refuse unknown members too, as the monolith does (422).

mod currency;
mod inventory;
mod orders;
mod page;
mod payments;
mod problem;
mod status;
mod time;

pub use currency::{BadCurrencyCode, CurrencyCode};
pub use inventory::{Adjustment, Item, PutItem};
pub use orders::{NewOrder, NewOrderLine, NewShipment, Order, OrderLine, Shipment};
pub use page::{DEFAULT_PAGE, DEFAULT_PER_PAGE, MAX_PER_PAGE, Page};
pub use payments::{Billing, Invoice, NewRefund, Payment, Refund};
pub use problem::{MEDIA_TYPE as PROBLEM_MEDIA_TYPE, Problem};
pub use status::{InvoiceStatus, OrderStatus, PaymentMethod, PaymentStatus, ShipmentStatus};
pub use time::{BadTimestamp, FORMAT as TIMESTAMP_FORMAT, LocalTimestamp};
