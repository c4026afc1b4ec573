//! Fulfillment rules, no I/O: SKUs, order lines and the order state machine.

use crate::error::{AppError, AppResult};

/// An order's state; the legacy letter is the stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    Pending,
    Confirmed,
    Shipped,
    Delivered,
    Cancelled,
}

impl OrderStatus {
    pub fn letter(self) -> &'static str {
        match self {
            Self::Pending => "P",
            Self::Confirmed => "C",
            Self::Shipped => "S",
            Self::Delivered => "D",
            Self::Cancelled => "X",
        }
    }

    /// The states an order may move to `self` from.
    pub fn allowed_from(self) -> &'static [OrderStatus] {
        match self {
            Self::Pending => &[],
            Self::Confirmed => &[Self::Pending],
            Self::Shipped => &[Self::Confirmed],
            Self::Delivered => &[Self::Shipped],
            Self::Cancelled => &[Self::Pending, Self::Confirmed],
        }
    }

    /// The 409 for a refused move from `current` (a letter) to `self`.
    pub fn refused(self, order_id: i64, current: &str) -> AppError {
        if self == Self::Shipped && current == Self::Pending.letter() {
            return AppError::Conflict(format!(
                "order {order_id} is not paid (status P): an unpaid order cannot ship"
            ));
        }
        AppError::Conflict(format!(
            "order {order_id} cannot move from status {current} to {}",
            self.letter()
        ))
    }
}

/// A SKU: 1–64 of `A-Z a-z 0-9 - _ .`.
pub fn sku(field: &str, value: &str) -> AppResult<String> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(value.to_owned())
    } else {
        Err(AppError::Invalid(format!(
            "{field} `{value}` is not a SKU (1-64 of A-Z a-z 0-9 - _ .)"
        )))
    }
}

/// A line of an order to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRequest {
    pub sku: String,
    pub qty: i64,
}

/// The largest quantity one line or one adjustment may move.
pub const MAX_QTY: i64 = 1_000_000_000;

/// Checks the lines of a new order: 1 to 100 lines, positive quantities, each
/// SKU once.
pub fn lines(raw: &[(String, i64)]) -> AppResult<Vec<LineRequest>> {
    if raw.is_empty() || raw.len() > 100 {
        return Err(AppError::Invalid(format!(
            "lines must hold 1 to 100 lines, got {}",
            raw.len()
        )));
    }
    let mut checked: Vec<LineRequest> = Vec::with_capacity(raw.len());
    for (i, (sku_raw, qty)) in raw.iter().enumerate() {
        let sku = sku(&format!("lines[{i}].sku"), sku_raw)?;
        if !(1..=MAX_QTY).contains(qty) {
            return Err(AppError::Invalid(format!(
                "lines[{i}].qty must be 1 to {MAX_QTY}, got {qty}"
            )));
        }
        if let Some(j) = checked.iter().position(|l| l.sku == sku) {
            return Err(AppError::Invalid(format!(
                "lines[{i}].sku `{sku}` repeats lines[{j}]: put the quantity on one line"
            )));
        }
        checked.push(LineRequest { sku, qty: *qty });
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_machine() {
        assert_eq!(
            OrderStatus::Shipped.allowed_from(),
            &[OrderStatus::Confirmed]
        );
        assert!(
            OrderStatus::Cancelled
                .allowed_from()
                .contains(&OrderStatus::Pending)
        );
        assert!(
            !OrderStatus::Cancelled
                .allowed_from()
                .contains(&OrderStatus::Shipped)
        );
        assert!(
            OrderStatus::Shipped
                .refused(4, "P")
                .to_string()
                .contains("not paid")
        );
        assert!(
            OrderStatus::Delivered
                .refused(4, "C")
                .to_string()
                .contains("from status C to D")
        );
    }

    #[test]
    fn line_rules() {
        assert!(lines(&[]).is_err());
        assert!(lines(&[("W-1".into(), 0)]).is_err());
        assert!(lines(&[("W-1".into(), -3)]).is_err());
        assert!(lines(&[("bad sku".into(), 1)]).is_err());
        assert!(
            lines(&[("W-1".into(), 1), ("W-1".into(), 2)])
                .unwrap_err()
                .to_string()
                .contains("repeats")
        );
        assert_eq!(
            lines(&[("W-1".into(), 2)]).unwrap(),
            vec![LineRequest {
                sku: "W-1".into(),
                qty: 2
            }]
        );
    }
}
