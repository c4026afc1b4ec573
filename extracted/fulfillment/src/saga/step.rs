//! The steps a saga moves through, as stored in `sagas.step`.
//!
//! | kind | forward | compensation (in reverse) |
//! |---|---|---|
//! | `place_order` | `reserve_stock` → `charge_payment` → `issue_invoice` → `confirm_order` → `done` | `settle_payment` → `release_stock` → `done` |
//! | `capture_order` | `capture_payment` → `pay_invoice` → `confirm_order` → `done` | `settle_payment` → `release_stock` → `done` |
//! | `cancel_order` | (order cancelled when started) `settle_payment` → `done` | none: settling retries until it succeeds |

/// One step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Place the order pending and reserve its stock (local).
    ReserveStock,
    /// Authorise, for a card also capture, the order's total (payment service).
    ChargePayment,
    /// Issue the order's invoice, paid at once for a card, and record it on
    /// the order (payment service, then local).
    IssueInvoice,
    /// Capture an invoice order's authorised payment (payment service).
    CapturePayment,
    /// Mark the captured order's open invoice paid (payment service).
    PayInvoice,
    /// Record the payment on the order; confirm it when paid (local).
    ConfirmOrder,
    /// Void or refund every payment of the order that holds money, then void
    /// its open invoices and credit its paid ones (payment service).
    SettlePayment,
    /// Cancel the order if still open, releasing its stock (local).
    ReleaseStock,
    /// Ended.
    Done,
}

impl Step {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::ReserveStock => "reserve_stock",
            Self::ChargePayment => "charge_payment",
            Self::IssueInvoice => "issue_invoice",
            Self::CapturePayment => "capture_payment",
            Self::PayInvoice => "pay_invoice",
            Self::ConfirmOrder => "confirm_order",
            Self::SettlePayment => "settle_payment",
            Self::ReleaseStock => "release_stock",
            Self::Done => "done",
        }
    }

    pub(crate) fn parse(stored: &str) -> Option<Self> {
        [
            Self::ReserveStock,
            Self::ChargePayment,
            Self::IssueInvoice,
            Self::CapturePayment,
            Self::PayInvoice,
            Self::ConfirmOrder,
            Self::SettlePayment,
            Self::ReleaseStock,
            Self::Done,
        ]
        .into_iter()
        .find(|s| s.as_str() == stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_reads_back_from_its_stored_name() {
        for step in [
            Step::ReserveStock,
            Step::IssueInvoice,
            Step::PayInvoice,
            Step::SettlePayment,
            Step::Done,
        ] {
            assert_eq!(Step::parse(step.as_str()), Some(step));
        }
        assert_eq!(Step::parse("charge"), None);
    }
}
