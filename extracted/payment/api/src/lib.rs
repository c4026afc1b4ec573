#![doc = include_str!("../README.md")]

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
