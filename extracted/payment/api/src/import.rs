//! Backfill: bringing payments and invoices that already exist in the
//! monolith over with their legacy ids, their original timestamps and their
//! whole history. An import moves no money and tells nobody: it records what
//! already happened. Re-importing a legacy id changes nothing and says so,
//! so a backfill can be resumed or re-run.

use crate::{BillingDetails, InvoiceStatus, PaymentMethod};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use v2_common::Money;

pub use v2_common::migration::{ImportOutcome, ImportReport, ImportResult, MAX_BATCH};

/// `POST /v2/imports/payments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportPayments {
    /// 1 to [`MAX_BATCH`] payments, each imported on its own (one refused
    /// record leaves the others imported and itself not written at all).
    pub payments: Vec<ImportPayment>,
}

/// A payment as it stands in the monolith, with its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportPayment {
    /// Its id in the monolith (below the service's own range).
    pub legacy_id: i64,
    /// The order's id in the monolith.
    pub order_legacy_id: i64,
    /// The customer's id in the monolith, when known.
    #[serde(default)]
    pub customer_legacy_id: Option<i64>,
    /// Card or invoice.
    pub method: PaymentMethod,
    /// The authorised amount.
    pub amount: Money,
    /// When it was authorised (legacy `crt`).
    #[serde(with = "v2_common::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// What happened to it after the authorisation, oldest first.
    #[serde(default)]
    pub history: Vec<ImportedChange>,
}

/// One change in an imported payment's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ImportedChange {
    /// The authorised amount was captured.
    Captured {
        /// When.
        #[serde(with = "v2_common::rfc3339")]
        at: DateTime<Utc>,
    },
    /// The authorisation was released.
    Voided {
        /// When.
        #[serde(with = "v2_common::rfc3339")]
        at: DateTime<Utc>,
    },
    /// Part or all of the capture was returned.
    Refunded {
        /// The refund's id in the monolith.
        legacy_id: i64,
        /// How much.
        amount: Money,
        /// Why.
        reason: String,
        /// When.
        #[serde(with = "v2_common::rfc3339")]
        at: DateTime<Utc>,
    },
}

/// `POST /v2/imports/invoices`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportInvoices {
    /// 1 to [`MAX_BATCH`] invoices, each imported on its own.
    pub invoices: Vec<ImportInvoice>,
}

/// An invoice as it stands in the monolith.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportInvoice {
    /// Its id in the monolith (below the service's own range).
    pub legacy_id: i64,
    /// Its number (`INV-` and six or more digits).
    pub number: String,
    /// The order's id in the monolith.
    pub order_legacy_id: i64,
    /// The customer's id in the monolith.
    pub customer_legacy_id: i64,
    /// The amount billed.
    pub amount: Money,
    /// Where it stands.
    pub status: InvoiceStatus,
    /// Billing details when issued.
    pub billing: BillingDetails,
    /// When it was issued (legacy `iss`).
    #[serde(with = "v2_common::rfc3339")]
    pub issued_at: DateTime<Utc>,
    /// When it last changed (the legacy record does not say: `issued_at`).
    #[serde(with = "v2_common::rfc3339")]
    pub updated_at: DateTime<Utc>,
}
