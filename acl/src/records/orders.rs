//! Orders (with lines) and shipments: legacy ↔ `fulfillment-api` records.

use super::id;
use super::payments::same_currency as check_same_currency;
use crate::error::{FieldPath, Side, TranslateError};
use crate::legacy;
use crate::value::{LegacyClock, money, status};
use fulfillment_api::{Order, OrderLine, Shipment, Sku};
use uuid::Uuid;

/// v2 order → legacy order. An order with no payment or invoice link yet
/// shows `pay`/`inv` as `null`, as the monolith does.
pub fn order_to_legacy(o: &Order, clock: &LegacyClock) -> Result<legacy::Order, TranslateError> {
    let f = FieldPath::field;
    let (tot, cur) = money::to_legacy(&f("total"), &o.total)?;
    let lines = o
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| line_to_legacy(&f("lines").index(i), line, &o.total))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(legacy::Order {
        id: id("legacy_id", Side::V2, o.legacy_id)?,
        cust: id("customer_legacy_id", Side::V2, o.customer_legacy_id)?,
        st: status::order_to_legacy(o.state),
        cur,
        tot,
        lines,
        pay: link("payment_legacy_id", Side::V2, o.payment_legacy_id)?,
        inv: link("invoice_legacy_id", Side::V2, o.invoice_legacy_id)?,
        crt: clock.to_local(&f("created_at"), o.created_at)?,
        upd: clock.to_local(&f("updated_at"), o.updated_at)?,
    })
}

/// An optional reference: `null` stays `null`, an id must be positive.
fn link(name: &'static str, side: Side, value: Option<i64>) -> Result<Option<i64>, TranslateError> {
    value.map(|v| id(name, side, v)).transpose()
}

fn line_to_legacy(
    at: &FieldPath,
    line: &OrderLine,
    total: &v2_common::Money,
) -> Result<legacy::OrderLine, TranslateError> {
    check_same_currency(&at.key("unit_price"), total, &line.unit_price)?;
    check_same_currency(&at.key("amount"), total, &line.amount)?;
    Ok(legacy::OrderLine {
        sku: line.sku.as_str().to_owned(),
        qty: line.quantity,
        px: money::to_legacy(&at.key("unit_price"), &line.unit_price)?.0,
        amt: money::to_legacy(&at.key("amount"), &line.amount)?.0,
    })
}

/// Legacy order → v2 order; `uuid` is not in the legacy record, and neither
/// is the shipment's UUID (`None`).
pub fn order_to_v2(
    o: &legacy::Order,
    clock: &LegacyClock,
    uuid: Uuid,
) -> Result<Order, TranslateError> {
    let f = FieldPath::field;
    let cur = f("cur");
    let currency = money::currency_to_v2(&cur, &o.cur)?;
    let lines = o
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let at = f("lines").index(i);
            Ok(OrderLine {
                sku: sku(&at.key("sku"), &line.sku)?,
                quantity: line.qty,
                unit_price: money::minor_to_money(&at.key("px"), line.px, currency)?,
                amount: money::minor_to_money(&at.key("amt"), line.amt, currency)?,
            })
        })
        .collect::<Result<Vec<_>, TranslateError>>()?;
    Ok(Order {
        id: uuid,
        legacy_id: id("id", Side::Legacy, o.id)?,
        customer_legacy_id: id("cust", Side::Legacy, o.cust)?,
        state: status::order_to_v2(o.st),
        total: money::minor_to_money(&f("tot"), o.tot, currency)?,
        lines,
        payment_legacy_id: link("pay", Side::Legacy, o.pay)?,
        invoice_legacy_id: link("inv", Side::Legacy, o.inv)?,
        shipment_id: None,
        created_at: clock.to_utc(o.crt),
        updated_at: clock.to_utc(o.upd),
    })
}

/// A legacy SKU at `field` as a v2 [`Sku`].
pub fn sku(field: &FieldPath, raw: &str) -> Result<Sku, TranslateError> {
    Sku::parse(raw).map_err(|e| TranslateError::invalid(field.clone(), raw, e.to_string()))
}

/// v2 shipment → legacy shipment.
pub fn shipment_to_legacy(
    s: &Shipment,
    clock: &LegacyClock,
) -> Result<legacy::Shipment, TranslateError> {
    let f = FieldPath::field;
    Ok(legacy::Shipment {
        id: id("legacy_id", Side::V2, s.legacy_id)?,
        ord: id("order_legacy_id", Side::V2, s.order_legacy_id)?,
        st: status::shipment_to_legacy(s.state),
        carr: s.carrier.clone(),
        trk: s.tracking_number.clone(),
        crt: clock.to_local(&f("created_at"), s.created_at)?,
        dlv: s
            .delivered_at
            .map(|t| clock.to_local(&f("delivered_at"), t))
            .transpose()?,
    })
}

/// Legacy shipment → v2 shipment; `uuid` and the order's `order_uuid` are
/// not in the legacy record.
pub fn shipment_to_v2(
    s: &legacy::Shipment,
    clock: &LegacyClock,
    uuid: Uuid,
    order_uuid: Uuid,
) -> Result<Shipment, TranslateError> {
    Ok(Shipment {
        id: uuid,
        legacy_id: id("id", Side::Legacy, s.id)?,
        order_id: order_uuid,
        order_legacy_id: id("ord", Side::Legacy, s.ord)?,
        state: status::shipment_to_v2(s.st),
        carrier: s.carr.clone(),
        tracking_number: s.trk.clone(),
        created_at: clock.to_utc(s.crt),
        delivered_at: s.dlv.map(|t| clock.to_utc(t)),
    })
}
