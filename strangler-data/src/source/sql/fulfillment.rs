//! The fulfillment tables of the legacy database, as observed from outside,
//! rendered as `/api/v1/export/{stock,orders}` renders them.

use super::{cut, local};
use crate::source::{LegacyItem, LegacyKey, SourcePage};
use acl::LegacyClock;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::AnyConnection;
use serde_json::{Value, json};
use std::collections::HashMap;

mod legacy_tables {
    #![allow(missing_docs)]
    diesel::table! {
        items (sku) {
            sku -> Text, name -> Text, unit_price -> BigInt, currency -> Text,
            on_hand -> BigInt, reserved -> BigInt,
        }
    }
    diesel::table! {
        orders (id) {
            id -> BigInt, customer_id -> BigInt, status -> Text, currency -> Text,
            total -> BigInt, payment_id -> Nullable<BigInt>, invoice_id -> Nullable<BigInt>,
            created_at -> Timestamp, updated_at -> Timestamp,
        }
    }
    diesel::table! {
        order_lines (id) {
            id -> BigInt, order_id -> BigInt, sku -> Text, qty -> BigInt,
            unit_price -> BigInt, amount -> BigInt,
        }
    }
    diesel::table! {
        shipments (id) {
            id -> BigInt, order_id -> BigInt, status -> Text, carrier -> Text,
            tracking -> Text, created_at -> Timestamp, delivered_at -> Nullable<Timestamp>,
        }
    }
}
use legacy_tables::{items, order_lines, orders, shipments};

type ItemRow = (String, String, i64, String, i64, i64);
type OrderRow = (
    i64,
    i64,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    NaiveDateTime,
    NaiveDateTime,
);
type LineRow = (i64, String, i64, i64, i64);
type ShipmentRow = (
    i64,
    i64,
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

/// Stock items with SKUs above `after`, in SKU order.
pub(super) fn stock_page(
    c: &mut AnyConnection,
    after: &str,
    limit: u32,
) -> QueryResult<SourcePage> {
    let mut rows: Vec<ItemRow> = items::table
        .filter(items::sku.gt(after))
        .order(items::sku)
        .limit(i64::from(limit) + 1)
        .select((
            items::sku,
            items::name,
            items::unit_price,
            items::currency,
            items::on_hand,
            items::reserved,
        ))
        .load(c)?;
    let next = cut(&mut rows, limit, |r| LegacyKey::Text(r.0.clone()));
    let items = rows
        .into_iter()
        .map(|(sku, nm, px, cur, qty, rsv)| LegacyItem {
            id: LegacyKey::Text(sku.clone()),
            body: json!({"sku": sku, "nm": nm, "px": px, "cur": cur, "qty": qty, "rsv": rsv,
                "avl": qty - rsv}),
        })
        .collect();
    let total: i64 = items::table.count().get_result(c)?;
    Ok(SourcePage {
        items,
        next,
        total: total.unsigned_abs(),
    })
}

/// Orders with ids above `after`, each with its lines and shipments.
pub(super) fn orders_page(
    c: &mut AnyConnection,
    clock: &LegacyClock,
    after: i64,
    limit: u32,
) -> QueryResult<SourcePage> {
    let mut rows: Vec<OrderRow> = orders::table
        .filter(orders::id.gt(after))
        .order(orders::id)
        .limit(i64::from(limit) + 1)
        .load(c)?;
    let next = cut(&mut rows, limit, |r| LegacyKey::Id(r.0));
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut lines: HashMap<i64, Vec<Value>> = HashMap::with_capacity(rows.len());
    let line_rows: Vec<LineRow> = order_lines::table
        .filter(order_lines::order_id.eq_any(&ids))
        .order(order_lines::id)
        .select((
            order_lines::order_id,
            order_lines::sku,
            order_lines::qty,
            order_lines::unit_price,
            order_lines::amount,
        ))
        .load(c)?;
    for (ord, sku, qty, px, amt) in line_rows {
        let line = json!({"sku": sku, "qty": qty, "px": px, "amt": amt});
        lines.entry(ord).or_default().push(line);
    }
    let mut shipped: HashMap<i64, Vec<Value>> = HashMap::new();
    let shipment_rows: Vec<ShipmentRow> = shipments::table
        .filter(shipments::order_id.eq_any(&ids))
        .order(shipments::id)
        .load(c)?;
    for (id, ord, st, carr, trk, crt, dlv) in shipment_rows {
        let dlv = dlv.map_or(Value::Null, |t| local(clock, t));
        let shipment = json!({"id": id, "ord": ord, "st": st, "carr": carr, "trk": trk,
            "crt": local(clock, crt), "dlv": dlv});
        shipped.entry(ord).or_default().push(shipment);
    }
    let items = rows
        .into_iter()
        .map(|(id, cust, st, cur, tot, pay, inv, crt, upd)| LegacyItem {
            id: LegacyKey::Id(id),
            body: json!({
                "order": {"id": id, "cust": cust, "st": st, "cur": cur, "tot": tot,
                    "lines": lines.remove(&id).unwrap_or_default(), "pay": pay, "inv": inv,
                    "crt": local(clock, crt), "upd": local(clock, upd)},
                "shipments": shipped.remove(&id).unwrap_or_default(),
            }),
        })
        .collect();
    let total: i64 = orders::table.count().get_result(c)?;
    Ok(SourcePage {
        items,
        next,
        total: total.unsigned_abs(),
    })
}
