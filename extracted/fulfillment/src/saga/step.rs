//! The steps a saga moves through, as stored in `sagas.step`.
//!
//! | kind | forward | compensation (in reverse) |
//! |---|---|---|
//! | `place_order` | `reserve_stock` → `charge_payment` → `confirm_order` → `done` | `settle_payment` → `release_stock` → `done` |
//! | `capture_order` | `capture_payment` → `confirm_order` → `done` | `settle_payment` → `release_stock` → `done` |
//! | `cancel_order` | (order cancelled when started) `settle_payment` → `done` | none: settling retries until it succeeds |

/// One step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Place the order pending and reserve its stock (local).
    ReserveStock,
    /// Authorise, for a card also capture, the order's total (payment service).
    ChargePayment,
    /// Capture an invoice order's authorised payment (payment service).
    CapturePayment,
    /// Record the payment on the order; confirm it when paid (local).
    ConfirmOrder,
    /// Void or refund every payment of the order that holds money (payment service).
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
            Self::CapturePayment => "capture_payment",
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
            Self::CapturePayment,
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
        for step in [Step::ReserveStock, Step::SettlePayment, Step::Done] {
            assert_eq!(Step::parse(step.as_str()), Some(step));
        }
        assert_eq!(Step::parse("charge"), None);
    }
}
