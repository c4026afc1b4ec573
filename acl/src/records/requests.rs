//! Legacy request bodies → v2 request bodies. The route groups use these for
//! the routes they translate; `POST /api/v1/orders` becomes the start of the
//! order saga ([`place_order`]), which places the order across both services.

use super::orders::sku;
use crate::error::{FieldPath, TranslateError};
use crate::legacy;
use crate::value::{money, status};
use fulfillment_api::{
    NewOrder, NewOrderLine, PutStockItem, ShipOrder, StartSaga, StockAdjustment,
};
use payment_api::{CreateRefund, PaymentMethod};
use v2_common::Currency;

/// How a legacy order is to be paid: the part of `POST /api/v1/orders` that
/// belongs to the payment service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentChoice {
    /// `pm`.
    pub method: PaymentMethod,
    /// `tok`, the card token.
    pub card_token: Option<String>,
}

/// `POST /api/v1/orders` → the fulfillment service's [`NewOrder`] and the
/// payment choice. Line errors name `$.lines[i].sku` / `$.lines[i].qty`.
pub fn new_order(o: &legacy::NewOrder) -> Result<(NewOrder, PaymentChoice), TranslateError> {
    let f = FieldPath::field;
    let lines = o
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let at = f("lines").index(i);
            Ok(NewOrderLine {
                sku: sku(&at.key("sku"), &line.sku)?,
                quantity: line.qty,
            })
        })
        .collect::<Result<Vec<_>, TranslateError>>()?;
    let order = NewOrder {
        customer_legacy_id: o.cust,
        lines,
        legacy_id: None,
        created_at: None,
    };
    let choice = PaymentChoice {
        method: status::method_to_v2(o.pm),
        card_token: o.tok.clone(),
    };
    Ok((order, choice))
}

/// `POST /api/v1/orders` → the start of a `place_order` saga (stock from the
/// fulfillment service's [`NewOrder`], payment from the [`PaymentChoice`]).
pub fn place_order(o: &legacy::NewOrder) -> Result<StartSaga, TranslateError> {
    let (order, choice) = new_order(o)?;
    Ok(StartSaga::PlaceOrder {
        customer_legacy_id: order.customer_legacy_id,
        lines: order.lines,
        method: match choice.method {
            PaymentMethod::Card => fulfillment_api::PaymentMethod::Card,
            PaymentMethod::Invoice => fulfillment_api::PaymentMethod::Invoice,
        },
        card_token: choice.card_token,
    })
}

/// `POST /api/v1/payments/{id}/refunds` → [`CreateRefund`]. The legacy body
/// has no currency: it is the payment's.
pub fn new_refund(
    r: &legacy::NewRefund,
    currency: Currency,
) -> Result<CreateRefund, TranslateError> {
    Ok(CreateRefund {
        legacy_id: None,
        amount: money::minor_to_money(&FieldPath::field("amt"), r.amt, currency)?,
        reason: r.rsn.clone(),
        created_at: None,
    })
}

/// `POST /api/v1/orders/{id}/shipments` → [`ShipOrder`] (the service makes
/// the tracking number, as the monolith does).
pub fn new_shipment(s: &legacy::NewShipment) -> ShipOrder {
    ShipOrder {
        carrier: s.carr.clone(),
        tracking_number: None,
        legacy_id: None,
    }
}

/// `PUT /api/v1/inventory/{sku}` → [`PutStockItem`].
pub fn put_item(p: &legacy::PutItem) -> Result<PutStockItem, TranslateError> {
    let f = FieldPath::field;
    Ok(PutStockItem {
        name: p.nm.clone(),
        unit_price: money::to_v2(&f("px"), p.px, &f("cur"), &p.cur)?,
        legacy_id: None,
    })
}

/// `POST /api/v1/inventory/{sku}/adjust` → [`StockAdjustment`].
pub fn adjustment(a: &legacy::Adjustment) -> StockAdjustment {
    StockAdjustment {
        delta: a.dq,
        reason: a.rsn.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::legacy::{NewOrderLine as Line, PaymentMethod as Pm};

    #[test]
    fn a_new_order_splits_into_stock_and_payment() {
        let legacy = legacy::NewOrder {
            cust: 5,
            lines: vec![Line {
                sku: "W-1".into(),
                qty: 2,
            }],
            pm: Pm::Card,
            tok: Some("tok_ok".into()),
        };
        let (order, choice) = new_order(&legacy).unwrap();
        assert_eq!(order.customer_legacy_id, 5);
        assert_eq!(order.lines[0].quantity, 2);
        assert_eq!(choice.method, PaymentMethod::Card);
        assert_eq!(choice.card_token.as_deref(), Some("tok_ok"));
    }

    #[test]
    fn a_new_order_starts_a_place_order_saga() {
        let legacy = legacy::NewOrder {
            cust: 5,
            lines: vec![Line {
                sku: "W-1".into(),
                qty: 2,
            }],
            pm: Pm::Invoice,
            tok: None,
        };
        let start = serde_json::to_value(place_order(&legacy).unwrap()).unwrap();
        assert_eq!(
            start,
            serde_json::json!({"kind": "place_order", "customer_legacy_id": 5,
                "lines": [{"sku": "W-1", "quantity": 2}], "method": "invoice"})
        );
    }

    #[test]
    fn a_bad_sku_names_its_line() {
        let legacy = legacy::NewOrder {
            cust: 5,
            lines: vec![
                Line {
                    sku: "A".into(),
                    qty: 1,
                },
                Line {
                    sku: "a b".into(),
                    qty: 1,
                },
            ],
            pm: Pm::Invoice,
            tok: None,
        };
        let err = new_order(&legacy).unwrap_err();
        assert_eq!(err.field().unwrap().as_str(), "$.lines[1].sku");
    }

    #[test]
    fn a_refund_takes_the_payments_currency_and_refuses_negatives() {
        let r = legacy::NewRefund {
            amt: 500,
            rsn: "x".into(),
        };
        assert_eq!(
            new_refund(&r, Currency::Jpy)
                .unwrap()
                .amount
                .amount()
                .to_string(),
            "500"
        );
        let neg = legacy::NewRefund {
            amt: -1,
            rsn: "x".into(),
        };
        assert!(new_refund(&neg, Currency::Eur).is_err());
    }
}
