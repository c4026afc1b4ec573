//! Export lists for verification: every payment (with its refunds) and
//! every invoice in legacy-id order, keyset paged, so a verifier can walk
//! them beside the monolith's export in bounded memory.

use crate::{Invoice, Payment, Refund};
use serde::{Deserialize, Serialize};

/// The largest page an export serves.
pub const MAX_EXPORT_LIMIT: u32 = 1000;

/// `?after=&limit=` of an export list.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams,
)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only legacy ids above this one (default 0); the `next` of the previous page.
    pub after: Option<i64>,
    /// Page size, 1..=1000 (default 100).
    pub limit: Option<u32>,
}

/// One page of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExportPage<T> {
    /// The records, in legacy-id order.
    pub items: Vec<T>,
    /// The `after` of the next page; `null` after the last.
    pub next: Option<i64>,
}

/// A payment with its refunds, in refund legacy-id order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PaymentExport {
    /// The payment.
    pub payment: Payment,
    /// Its refunds.
    pub refunds: Vec<Refund>,
}

/// An invoice export page (named for the OpenAPI document).
pub type InvoiceExportPage = ExportPage<Invoice>;
