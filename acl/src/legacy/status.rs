//! The one-letter statuses of the legacy contract, one enum per entity. An
//! unknown letter fails to deserialise, naming the field and the letter.

use serde::{Deserialize, Serialize};

/// `Payment.st`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaymentStatus {
    /// Authorised, not captured.
    A,
    /// Captured.
    C,
    /// Partially refunded.
    P,
    /// Fully refunded.
    R,
    /// Voided: the authorisation was released without capture.
    V,
}

/// `Invoice.st`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InvoiceStatus {
    /// Open, not paid yet.
    O,
    /// Paid.
    P,
    /// Void: the order was cancelled before payment.
    V,
    /// Credited: the order was cancelled after payment.
    C,
}

/// `Order.st`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderStatus {
    /// Placed, payment authorised, not captured.
    P,
    /// Confirmed: paid.
    C,
    /// Shipped.
    S,
    /// Delivered.
    D,
    /// Cancelled.
    X,
}

/// `Shipment.st`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ShipmentStatus {
    /// Shipped.
    S,
    /// Delivered.
    D,
}

/// `pm`: how an order is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentMethod {
    /// Authorised and captured at once.
    Card,
    /// Authorised only; captured later.
    Invoice,
}

macro_rules! letters {
    ($($ty:ident: $($v:ident)*;)*) => {$(
        impl $ty {
            /// Every letter, in the order the contract lists them.
            pub const ALL: &'static [$ty] = &[$($ty::$v),*];
        }
    )*};
}
letters! {
    PaymentStatus: A C P R V;
    InvoiceStatus: O P V C;
    OrderStatus: P C S D X;
    ShipmentStatus: S D;
    PaymentMethod: Card Invoice;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_are_single_upper_case_strings() {
        assert_eq!(serde_json::to_string(&PaymentStatus::R).unwrap(), "\"R\"");
        assert_eq!(
            serde_json::to_string(&PaymentMethod::Card).unwrap(),
            "\"card\""
        );
        assert!(serde_json::from_str::<OrderStatus>("\"Q\"").is_err());
        assert!(serde_json::from_str::<OrderStatus>("\"p\"").is_err());
    }
}
