//! What a request must look like beyond its JSON shape (which serde already
//! checked: types, SKUs, currencies, money scale). Each failure names its field.

use super::{Invalid, LegacyIdRange};
use fulfillment_api::{ConfirmOrder, NewOrder, PutStockItem, ShipOrder, StockAdjustment};
use std::collections::HashSet;

/// Most lines an order may have.
pub(crate) const MAX_LINES: usize = 100;
/// Most units one line, or one adjustment, may move.
pub(crate) const MAX_QUANTITY: i64 = 1_000_000;

pub(super) fn text(field: &str, value: &str, max: usize) -> Result<(), Invalid> {
    let len = value.trim().chars().count();
    if len == 0 || value.chars().count() > max {
        return Err(Invalid::new(
            field,
            format!("must be 1 to {max} characters, not blank"),
        ));
    }
    Ok(())
}

fn positive_id(field: &str, id: Option<i64>) -> Result<(), Invalid> {
    match id {
        Some(id) if id < 1 => Err(Invalid::new(field, format!("must be positive, got {id}"))),
        _ => Ok(()),
    }
}

pub(crate) fn validate_new_order(order: &NewOrder, range: LegacyIdRange) -> Result<(), Invalid> {
    if order.customer_legacy_id < 1 {
        return Err(Invalid::new(
            "customer_legacy_id",
            format!("must be positive, got {}", order.customer_legacy_id),
        ));
    }
    if order.lines.is_empty() || order.lines.len() > MAX_LINES {
        return Err(Invalid::new(
            "lines",
            format!(
                "an order needs 1 to {MAX_LINES} lines, got {}",
                order.lines.len()
            ),
        ));
    }
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
                format!(
                    "{} appears twice; put its whole quantity on one line",
                    line.sku
                ),
            ));
        }
    }
    if let Some(id) = order.legacy_id {
        range.check_explicit("legacy_id", id)?;
    } else if order.created_at.is_some() {
        return Err(Invalid::new(
            "created_at",
            "may only be given with legacy_id, when importing an existing order",
        ));
    }
    Ok(())
}

pub(crate) fn validate_put_item(item: &PutStockItem, range: LegacyIdRange) -> Result<(), Invalid> {
    text("name", &item.name, 200)?;
    item.unit_price
        .ensure_non_negative()
        .map_err(|e| Invalid::new("unit_price", e.to_string()))?;
    if let Some(id) = item.legacy_id {
        range.check_explicit("legacy_id", id)?;
    }
    Ok(())
}

pub(crate) fn validate_adjustment(adj: &StockAdjustment) -> Result<(), Invalid> {
    if adj.delta == 0 || adj.delta.abs() > MAX_QUANTITY {
        return Err(Invalid::new(
            "delta",
            format!(
                "must be non-zero and at most {MAX_QUANTITY} either way, got {}",
                adj.delta
            ),
        ));
    }
    text("reason", &adj.reason, 200)
}

pub(crate) fn validate_confirm(c: &ConfirmOrder) -> Result<(), Invalid> {
    positive_id("payment_legacy_id", c.payment_legacy_id)?;
    positive_id("invoice_legacy_id", c.invoice_legacy_id)
}

pub(crate) fn validate_ship(s: &ShipOrder, range: LegacyIdRange) -> Result<(), Invalid> {
    text("carrier", &s.carrier, 100)?;
    if let Some(t) = &s.tracking_number {
        text("tracking_number", t, 100)?;
    }
    if let Some(id) = s.legacy_id {
        range.check_explicit("legacy_id", id)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fulfillment_api::{NewOrderLine, Sku};

    fn order(lines: &[(&str, i64)]) -> NewOrder {
        NewOrder {
            customer_legacy_id: 1,
            lines: lines
                .iter()
                .map(|(s, q)| NewOrderLine {
                    sku: Sku::parse(s).unwrap(),
                    quantity: *q,
                })
                .collect(),
            legacy_id: None,
            created_at: None,
        }
    }

    #[test]
    fn order_rules_name_the_field() {
        let range = LegacyIdRange::new(1_000);
        assert!(validate_new_order(&order(&[("A", 1), ("B", 2)]), range).is_ok());
        assert_eq!(
            validate_new_order(&order(&[]), range).unwrap_err().field,
            "lines"
        );
        let err = validate_new_order(&order(&[("A", 1), ("B", -2)]), range).unwrap_err();
        assert_eq!(err.field, "lines[1].quantity");
        let err = validate_new_order(&order(&[("A", 1), ("A", 2)]), range).unwrap_err();
        assert_eq!(err.field, "lines[1].sku");
        let mut o = order(&[("A", 1)]);
        o.legacy_id = Some(1_000);
        assert_eq!(
            validate_new_order(&o, range).unwrap_err().field,
            "legacy_id"
        );
    }

    #[test]
    fn adjustments_must_move_something() {
        let adj = |delta| StockAdjustment {
            delta,
            reason: "count".into(),
        };
        assert!(validate_adjustment(&adj(-3)).is_ok());
        assert!(validate_adjustment(&adj(0)).is_err());
        assert!(
            validate_adjustment(&StockAdjustment {
                delta: 1,
                reason: " ".into()
            })
            .is_err()
        );
    }
}
