//! Status letters ↔ v2 state enums. Every legacy letter has a v2 state; a v2
//! state with no letter (a `failed` payment) is an error naming the field and
//! the state, never a guess at the nearest letter.

use crate::error::{FieldPath, Side, TranslateError};
use crate::legacy::{InvoiceStatus, OrderStatus, PaymentMethod, PaymentStatus, ShipmentStatus};
use fulfillment_api::{OrderState, ShipmentState};
use payment_api::{
    InvoiceStatus as V2Invoice, PaymentMethod as V2Method, PaymentStatus as V2Payment,
};

/// Legacy payment letter → v2 state.
pub fn payment_to_v2(st: PaymentStatus) -> V2Payment {
    match st {
        PaymentStatus::A => V2Payment::Authorized,
        PaymentStatus::C => V2Payment::Captured,
        PaymentStatus::P => V2Payment::PartiallyRefunded,
        PaymentStatus::R => V2Payment::Refunded,
        PaymentStatus::V => V2Payment::Voided,
    }
}

/// v2 payment state → legacy letter; `failed` has none.
pub fn payment_to_legacy(
    field: &FieldPath,
    st: V2Payment,
) -> Result<PaymentStatus, TranslateError> {
    Ok(match st {
        V2Payment::Authorized => PaymentStatus::A,
        V2Payment::Captured => PaymentStatus::C,
        V2Payment::PartiallyRefunded => PaymentStatus::P,
        V2Payment::Refunded => PaymentStatus::R,
        V2Payment::Voided => PaymentStatus::V,
        V2Payment::Failed => {
            return Err(TranslateError::no_counterpart(
                field.clone(),
                Side::V2,
                "failed",
                "the legacy API has no letter for a failed payment (it records none)",
            ));
        }
    })
}

/// Legacy invoice letter → v2 state.
pub fn invoice_to_v2(st: InvoiceStatus) -> V2Invoice {
    match st {
        InvoiceStatus::O => V2Invoice::Open,
        InvoiceStatus::P => V2Invoice::Paid,
        InvoiceStatus::V => V2Invoice::Void,
        InvoiceStatus::C => V2Invoice::Credited,
    }
}

/// v2 invoice state → legacy letter.
pub fn invoice_to_legacy(st: V2Invoice) -> InvoiceStatus {
    match st {
        V2Invoice::Open => InvoiceStatus::O,
        V2Invoice::Paid => InvoiceStatus::P,
        V2Invoice::Void => InvoiceStatus::V,
        V2Invoice::Credited => InvoiceStatus::C,
    }
}

/// Legacy order letter → v2 state.
pub fn order_to_v2(st: OrderStatus) -> OrderState {
    match st {
        OrderStatus::P => OrderState::Pending,
        OrderStatus::C => OrderState::Confirmed,
        OrderStatus::S => OrderState::Shipped,
        OrderStatus::D => OrderState::Delivered,
        OrderStatus::X => OrderState::Cancelled,
    }
}

/// v2 order state → legacy letter.
pub fn order_to_legacy(st: OrderState) -> OrderStatus {
    match st {
        OrderState::Pending => OrderStatus::P,
        OrderState::Confirmed => OrderStatus::C,
        OrderState::Shipped => OrderStatus::S,
        OrderState::Delivered => OrderStatus::D,
        OrderState::Cancelled => OrderStatus::X,
    }
}

/// Legacy shipment letter → v2 state.
pub fn shipment_to_v2(st: ShipmentStatus) -> ShipmentState {
    match st {
        ShipmentStatus::S => ShipmentState::Shipped,
        ShipmentStatus::D => ShipmentState::Delivered,
    }
}

/// v2 shipment state → legacy letter.
pub fn shipment_to_legacy(st: ShipmentState) -> ShipmentStatus {
    match st {
        ShipmentState::Shipped => ShipmentStatus::S,
        ShipmentState::Delivered => ShipmentStatus::D,
    }
}

/// Legacy `pm` → v2 method.
pub fn method_to_v2(pm: PaymentMethod) -> V2Method {
    match pm {
        PaymentMethod::Card => V2Method::Card,
        PaymentMethod::Invoice => V2Method::Invoice,
    }
}

/// v2 method → legacy `pm`.
pub fn method_to_legacy(method: V2Method) -> PaymentMethod {
    match method {
        V2Method::Card => PaymentMethod::Card,
        V2Method::Invoice => PaymentMethod::Invoice,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_letter_round_trips() {
        let f = FieldPath::field("st");
        for &l in PaymentStatus::ALL {
            assert_eq!(payment_to_legacy(&f, payment_to_v2(l)).unwrap(), l);
        }
        for &l in InvoiceStatus::ALL {
            assert_eq!(invoice_to_legacy(invoice_to_v2(l)), l);
        }
        for &l in OrderStatus::ALL {
            assert_eq!(order_to_legacy(order_to_v2(l)), l);
        }
        for &l in ShipmentStatus::ALL {
            assert_eq!(shipment_to_legacy(shipment_to_v2(l)), l);
        }
        for &m in PaymentMethod::ALL {
            assert_eq!(method_to_legacy(method_to_v2(m)), m);
        }
    }

    #[test]
    fn a_failed_payment_has_no_letter_and_says_so() {
        let err = payment_to_legacy(&FieldPath::field("st"), V2Payment::Failed).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("$.st") && text.contains("failed"), "{text}");
    }

    #[test]
    fn an_unknown_letter_is_refused_naming_field_and_letter() {
        let body = br#"{"id":1,"ord":2,"amt":1,"cur":"EUR","st":"Q","cap":0,"rfd":0,
            "pm":"card","crt":"2026-01-01 00:00:00","upd":"2026-01-01 00:00:00"}"#;
        let err =
            TranslateError::read_json::<crate::legacy::Payment>(Side::Legacy, body).unwrap_err();
        assert_eq!(err.field().unwrap().as_str(), "$.st");
        assert!(err.to_string().contains('Q'), "{err}");
    }
}
