//! The payment service's published v2 wire contract: the JSON bodies of
//! `/v2/payments`, `/v2/refunds` and `/v2/invoices`, their explicit state
//! enums, the [`paths`] that reach them and the [`headers`] they honour.
//!
//! Who uses it: the payment service (it serialises exactly these types) and
//! the anti-corruption layer (it translates the legacy `/api/v1` shapes to and
//! from these). Types and serde only: no I/O, no service code, never the
//! monolith.
//!
//! Identity rules: every entity has a service `id` (UUID) **and** a
//! `legacy_id` (`i64`); every reference to another entity carries its legacy
//! id and, when the service knows it, its UUID (`order_id` +
//! `order_legacy_id`), so a legacy shape can be produced from one response.
//! Entities the service creates get legacy ids from a range the monolith never
//! uses (default from 1 000 000 000); a create may carry an explicit
//! `legacy_id` to import an entity that already exists in the monolith.
//! Timestamps are RFC 3339 in UTC; money is [`v2_common::Money`] (decimal
//! string + ISO 4217 code). Lists are [`v2_common::Page`] with
//! `?limit=&offset=`.
//!
//! Legacy mapping, for the ACL: payment `amt`/`cap`/`rfd` are
//! [`Payment::amount`]/[`Payment::captured`]/[`Payment::refunded`]; status
//! `A C P R V` are [`PaymentStatus`] `authorized captured partially_refunded
//! refunded voided` (`failed` has no legacy twin: the monolith writes nothing
//! for a declined card). Invoice status `O P V C` are [`InvoiceStatus`] `open
//! paid void credited`; `bill` `{nm, ln1, city, zip, ctry}` is
//! [`BillingDetails`] `{name, line1, city, postal_code, country}`.

pub mod headers;
pub mod invoice;
pub mod paths;
pub mod payment;
pub mod refund;

pub use invoice::{BillingDetails, Invoice, InvoiceListQuery, InvoiceStatus, IssueInvoice};
pub use payment::{
    CreatePayment, FailPayment, LedgerEntry, Payment, PaymentListQuery, PaymentMethod,
    PaymentStatus, StateChange,
};
pub use refund::{CreateRefund, Refund};
pub use v2_common::{Currency, Money, Page, PageParams, ProblemDoc};
