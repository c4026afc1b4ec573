//! Comparing one record in both shapes: the legacy record the monolith
//! serves and the v2 record a service serves, after translating the v2 one
//! to the legacy shape. For contract tests (does the ACL still describe the
//! real processes?) and for parity verification after a backfill.
//!
//! The legacy body is read strictly with the [`crate::legacy`] model, so a
//! field the monolith added, dropped or reshaped is an error naming it, not
//! a silent difference.

use crate::error::{FieldPath, Side, TranslateError};
use crate::legacy;
use crate::records::{orders, payments, stock};
use crate::value::LegacyClock;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;

/// The entities the services took over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    /// `payment-api` `Payment` ↔ legacy `Payment`.
    Payment,
    /// `payment-api` `Refund` ↔ legacy `Refund`.
    Refund,
    /// `payment-api` `Invoice` ↔ legacy `Invoice`.
    Invoice,
    /// `fulfillment-api` `Order` ↔ legacy `Order` (with lines).
    Order,
    /// `fulfillment-api` `Shipment` ↔ legacy `Shipment`.
    Shipment,
    /// `fulfillment-api` `StockItem` ↔ legacy `Item`.
    Item,
}

impl Entity {
    /// Every entity.
    pub const ALL: [Entity; 6] = [
        Self::Payment,
        Self::Refund,
        Self::Invoice,
        Self::Order,
        Self::Shipment,
        Self::Item,
    ];

    /// The lower-case name (`payment`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Payment => "payment",
            Self::Refund => "refund",
            Self::Invoice => "invoice",
            Self::Order => "order",
            Self::Shipment => "shipment",
            Self::Item => "item",
        }
    }

    /// The entity of a lower-case name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// One field whose values differ.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// Where, in the legacy shape.
    pub field: FieldPath,
    /// What the monolith serves (`null` if absent).
    pub legacy: Value,
    /// What the translated v2 record says (`null` if absent).
    pub translated: Value,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: legacy {} ≠ translated {}",
            self.field, self.legacy, self.translated
        )
    }
}

/// A v2 record body translated to the legacy shape, as JSON.
pub fn to_legacy_json(
    entity: Entity,
    clock: &LegacyClock,
    v2: &[u8],
) -> Result<Value, TranslateError> {
    match entity {
        Entity::Payment => via(v2, |p| payments::payment_to_legacy(p, clock)),
        Entity::Refund => via(v2, |r| payments::refund_to_legacy(r, clock)),
        Entity::Invoice => via(v2, |i| payments::invoice_to_legacy(i, clock)),
        Entity::Order => via(v2, |o| orders::order_to_legacy(o, clock)),
        Entity::Shipment => via(v2, |s| orders::shipment_to_legacy(s, clock)),
        Entity::Item => via(v2, stock::item_to_legacy),
    }
}

/// A legacy record body read strictly, as JSON.
pub fn legacy_json(entity: Entity, body: &[u8]) -> Result<Value, TranslateError> {
    match entity {
        Entity::Payment => strict::<legacy::Payment>(body),
        Entity::Refund => strict::<legacy::Refund>(body),
        Entity::Invoice => strict::<legacy::Invoice>(body),
        Entity::Order => strict::<legacy::Order>(body),
        Entity::Shipment => strict::<legacy::Shipment>(body),
        Entity::Item => strict::<legacy::Item>(body),
    }
}

/// The differences between a legacy record and a v2 record of the same
/// entity; empty when the ACL translates one into the other exactly.
pub fn compare(
    entity: Entity,
    clock: &LegacyClock,
    legacy: &[u8],
    v2: &[u8],
) -> Result<Vec<Difference>, TranslateError> {
    let expected = legacy_json(entity, legacy)?;
    let translated = to_legacy_json(entity, clock, v2)?;
    let mut out = Vec::new();
    diff(&FieldPath::root(), &expected, &translated, &mut out);
    Ok(out)
}

fn via<V: DeserializeOwned, L: Serialize>(
    body: &[u8],
    translate: impl FnOnce(&V) -> Result<L, TranslateError>,
) -> Result<Value, TranslateError> {
    let record: V = TranslateError::read_json(Side::V2, body)?;
    to_value(&translate(&record)?)
}

fn strict<L: DeserializeOwned + Serialize>(body: &[u8]) -> Result<Value, TranslateError> {
    to_value(&TranslateError::read_json::<L>(Side::Legacy, body)?)
}

fn to_value<T: Serialize>(value: &T) -> Result<Value, TranslateError> {
    serde_json::to_value(value).map_err(|e| TranslateError::NotJson {
        side: Side::Legacy,
        message: e.to_string(),
    })
}

/// Field-by-field differences of two JSON documents.
pub fn diff(at: &FieldPath, legacy: &Value, translated: &Value, out: &mut Vec<Difference>) {
    match (legacy, translated) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let (x, y) = (
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                );
                diff(&at.key(key), x, y, out);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff(&at.index(i), x, y, out);
            }
        }
        (x, y) if x == y => {}
        (x, y) => out.push(Difference {
            field: at.clone(),
            legacy: x.clone(),
            translated: y.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_names_each_differing_field() {
        let a = json!({"id": 1, "lines": [{"px": 1}, {"px": 2}], "st": "C"});
        let b = json!({"id": 1, "lines": [{"px": 1}, {"px": 3}], "st": "P"});
        let mut out = Vec::new();
        diff(&FieldPath::root(), &a, &b, &mut out);
        let fields: Vec<_> = out.iter().map(|d| d.field.to_string()).collect();
        assert_eq!(fields, ["$.lines[1].px", "$.st"]);
    }

    #[test]
    fn entity_names_round_trip() {
        for e in Entity::ALL {
            assert_eq!(Entity::parse(e.name()), Some(e));
        }
    }
}
