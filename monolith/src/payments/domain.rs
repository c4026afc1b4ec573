//! Payment rules, no I/O: the status letters and what a refund may be.

use crate::error::{AppError, AppResult};

/// A payment's state; the legacy letter is the stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Authorized,
    Captured,
    PartiallyRefunded,
    Refunded,
    Voided,
}

impl PaymentStatus {
    pub fn letter(self) -> &'static str {
        match self {
            Self::Authorized => "A",
            Self::Captured => "C",
            Self::PartiallyRefunded => "P",
            Self::Refunded => "R",
            Self::Voided => "V",
        }
    }

    /// After a refund, from what has been captured and refunded in all.
    pub fn after_refund(captured: i64, refunded: i64) -> Self {
        if refunded >= captured {
            Self::Refunded
        } else {
            Self::PartiallyRefunded
        }
    }
}

/// An invoice's state; the legacy letter is the stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStatus {
    Open,
    Paid,
    Void,
    Credited,
}

impl InvoiceStatus {
    pub fn letter(self) -> &'static str {
        match self {
            Self::Open => "O",
            Self::Paid => "P",
            Self::Void => "V",
            Self::Credited => "C",
        }
    }
}

/// How an order is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Authorised and captured at once.
    Card,
    /// Authorised now, captured when the invoice is paid.
    Invoice,
}

impl Method {
    pub fn parse(value: &str) -> AppResult<Self> {
        match value {
            "card" => Ok(Self::Card),
            "invoice" => Ok(Self::Invoice),
            other => Err(AppError::Invalid(format!(
                "pm must be `card` or `invoice`, got `{other}`"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::Invoice => "invoice",
        }
    }
}

/// A refund amount must be positive; whether it fits is the store's check,
/// made atomically with the update.
pub fn refund_amount(amount: i64) -> AppResult<i64> {
    if amount <= 0 {
        return Err(AppError::Invalid(format!(
            "amt must be greater than 0, got {amount}"
        )));
    }
    Ok(amount)
}

/// Why a refund did not fit, for the 409 detail.
pub fn refund_refused(id: i64, status: &str, captured: i64, refunded: i64, asked: i64) -> AppError {
    if !matches!(status, "C" | "P") {
        return AppError::Conflict(format!(
            "payment {id} cannot be refunded in status {status}: it is not captured"
        ));
    }
    AppError::Conflict(format!(
        "refund of {asked} exceeds the refundable {} of payment {id} (captured {captured}, refunded {refunded})",
        captured - refunded
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refund_rules() {
        assert!(refund_amount(0).is_err());
        assert!(refund_amount(-5).is_err());
        assert_eq!(
            PaymentStatus::after_refund(100, 100),
            PaymentStatus::Refunded
        );
        assert_eq!(
            PaymentStatus::after_refund(100, 40),
            PaymentStatus::PartiallyRefunded
        );
        assert!(
            refund_refused(1, "A", 0, 0, 5)
                .to_string()
                .contains("not captured")
        );
        assert!(
            refund_refused(1, "C", 100, 60, 50)
                .to_string()
                .contains("refundable 40")
        );
    }

    #[test]
    fn methods() {
        assert_eq!(Method::parse("card").unwrap(), Method::Card);
        assert!(Method::parse("cash").is_err());
    }
}
