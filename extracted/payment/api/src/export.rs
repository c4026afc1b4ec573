//! Export lists for verification: every payment (with its refunds) and
//! every invoice in legacy-id order, keyset paged, so a verifier can walk
//! them beside the monolith's export in bounded memory.

use crate::{Invoice, Payment, Refund};
use serde::{Deserialize, Serialize};

pub use v2_common::migration::{ExportPage, ExportQuery, MAX_EXPORT_LIMIT};

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
