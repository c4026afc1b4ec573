#![doc = include_str!("../README.md")]

pub mod export;
pub mod headers;
pub mod import;
pub mod invoice;
pub mod paths;
pub mod payment;
pub mod refund;

pub use export::{ExportPage, ExportQuery, PaymentExport};
pub use import::{
    ImportInvoice, ImportInvoices, ImportOutcome, ImportPayment, ImportPayments, ImportReport,
    ImportResult, ImportedChange,
};
pub use invoice::{BillingDetails, Invoice, InvoiceListQuery, InvoiceStatus, IssueInvoice};
pub use payment::{
    CreatePayment, FailPayment, LedgerEntry, Payment, PaymentListQuery, PaymentMethod,
    PaymentStatus, StateChange,
};
pub use refund::{CreateRefund, Refund};
pub use v2_common::{Currency, Money, Page, PageParams, ProblemDoc};
