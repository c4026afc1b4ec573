//! What an imported (backfilled) order must look like: a monolith legacy id,
//! one currency, and a shipment exactly when its state says it has one.

use super::validate::{MAX_LINES, MAX_QUANTITY, text};
use super::{Invalid, LegacyIdRange};
use fulfillment_api::{ImportOrder, ImportShipment, OrderState};
use std::collections::HashSet;

pub(crate) fn validate_import(order: &ImportOrder, range: LegacyIdRange) -> Result<(), Invalid> {
    range.check_explicit("legacy_id", order.legacy_id)?;
    for (field, id) in [
        ("customer_legacy_id", Some(order.customer_legacy_id)),
        ("payment_legacy_id", order.payment_legacy_id),
        ("invoice_legacy_id", order.invoice_legacy_id),
    ] {
        if let Some(id) = id.filter(|id| *id < 1) {
            return Err(Invalid::new(field, format!("must be positive, got {id}")));
        }
    }
    if order.updated_at < order.created_at {
        return Err(Invalid::new("updated_at", "must not be before created_at"));
    }
    lines(order)?;
    shipment(order.state, order.shipment.as_ref(), range)
}

fn lines(order: &ImportOrder) -> Result<(), Invalid> {
    if order.lines.is_empty() || order.lines.len() > MAX_LINES {
        return Err(Invalid::new(
            "lines",
            format!("an order needs 1 to {MAX_LINES} lines"),
        ));
    }
    let currency = order.lines[0].unit_price.currency();
    let mut seen = HashSet::new();
    for (i, line) in order.lines.iter().enumerate() {
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            return Err(Invalid::new(
                format!("lines[{i}].quantity"),
                format!("must be 1 to {MAX_QUANTITY}, got {}", line.quantity),
            ));
        }
        if !seen.insert(&line.sku) {
            return Err(Invalid::new(
                format!("lines[{i}].sku"),
                format!("{} appears twice", line.sku),
            ));
        }
        let field = format!("lines[{i}].unit_price");
        line.unit_price
            .ensure_non_negative()
            .map_err(|e| Invalid::new(&field, e.to_string()))?;
        if line.unit_price.currency() != currency {
            return Err(Invalid::new(
                field,
                format!(
                    "is in {}, the first line in {currency}: an order has one currency",
                    line.unit_price.currency()
                ),
            ));
        }
    }
    Ok(())
}

fn shipment(
    state: OrderState,
    shipment: Option<&ImportShipment>,
    range: LegacyIdRange,
) -> Result<(), Invalid> {
    let shipped = matches!(state, OrderState::Shipped | OrderState::Delivered);
    let Some(s) = shipment else {
        return match shipped {
            true => Err(Invalid::new(
                "shipment",
                format!("a {} order needs its shipment", state.as_str()),
            )),
            false => Ok(()),
        };
    };
    if !shipped {
        return Err(Invalid::new(
            "shipment",
            format!("a {} order has no shipment", state.as_str()),
        ));
    }
    range.check_explicit("shipment.legacy_id", s.legacy_id)?;
    text("shipment.carrier", &s.carrier, 100)?;
    text("shipment.tracking_number", &s.tracking_number, 100)?;
    match (state, s.delivered_at) {
        (OrderState::Delivered, None) => Err(Invalid::new(
            "shipment.delivered_at",
            "a delivered order's shipment needs it",
        )),
        (OrderState::Shipped, Some(_)) => Err(Invalid::new(
            "shipment.delivered_at",
            "a shipped (not delivered) order's shipment has none",
        )),
        (_, Some(at)) if at < s.created_at => Err(Invalid::new(
            "shipment.delivered_at",
            "must not be before shipment.created_at",
        )),
        _ => Ok(()),
    }
}
