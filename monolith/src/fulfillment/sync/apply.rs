//! new → legacy: the fulfillment service's changes applied to this module's
//! tables through the inbox, once each and in order per record
//! ([`platform::sync::apply`]), as they stand on the service: an order with
//! its lines and shipments under the same ids, a stock item's counts as
//! they are. No stock is reserved or released for an order (its stock item
//! comes as its own change), nothing is charged, nothing is recorded.

use super::{ORDER, STOCK_ITEM};
use crate::error::{AppError, AppResult};
use crate::fulfillment::domain;
use crate::fulfillment::http::export::OrderExportWire;
use crate::fulfillment::http::inventory::ItemWire;
use crate::fulfillment::store::synced::{
    self, SyncedItem, SyncedLine, SyncedOrder, SyncedShipment,
};
use crate::legacy::{Currency, LegacyClock};
use crate::sync::{ORIGIN, OTHER, letter, parse, time};
use platform::db::AnyConnection;
use platform::inbox::Inbox;
use platform::sync::Change;

/// `inbox` with the handlers for the fulfillment service's changes.
pub fn handlers(inbox: Inbox) -> Inbox {
    inbox
        .on(&Change::event_type(OTHER, ORDER), |conn, event| {
            platform::sync::apply_event(conn, ORIGIN, event, ORDER, order)
        })
        .on(&Change::event_type(OTHER, STOCK_ITEM), |conn, event| {
            platform::sync::apply_event(conn, ORIGIN, event, STOCK_ITEM, stock_item)
        })
}

fn order(conn: &mut AnyConnection, record: &serde_json::Value) -> AppResult<()> {
    let r: OrderExportWire = parse("order", record)?;
    let o = &r.order;
    letter("order.st", &o.st, &["P", "C", "S", "D", "X"])?;
    Currency::parse(&o.cur)?;
    let lines = o
        .lines
        .iter()
        .map(|l| {
            Ok(SyncedLine {
                sku: domain::sku("order.lines.sku", &l.sku)?,
                qty: l.qty,
                unit_price: l.px,
                amount: l.amt,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    synced::upsert_order(
        conn,
        &SyncedOrder {
            id: o.id,
            customer_id: o.cust,
            status: &o.st,
            currency: &o.cur,
            total: o.tot,
            payment_id: o.pay,
            invoice_id: o.inv,
            created_at: time("order.crt", &o.crt)?,
            updated_at: time("order.upd", &o.upd)?,
        },
        &lines,
    )?;
    for s in &r.shipments {
        if s.ord != o.id {
            return Err(AppError::Invalid(format!(
                "shipment {} names order {}, not {}",
                s.id, s.ord, o.id
            )));
        }
        letter("shipment.st", &s.st, &["S", "D"])?;
        synced::upsert_shipment(
            conn,
            &SyncedShipment {
                id: s.id,
                order_id: s.ord,
                status: &s.st,
                carrier: &s.carr,
                tracking: &s.trk,
                created_at: time("shipment.crt", &s.crt)?,
                delivered_at: s
                    .dlv
                    .as_deref()
                    .map(|t| time("shipment.dlv", t))
                    .transpose()?,
            },
        )?;
    }
    Ok(())
}

fn stock_item(conn: &mut AnyConnection, record: &serde_json::Value) -> AppResult<()> {
    let i: ItemWire = parse("stock item", record)?;
    let sku = domain::sku("sku", &i.sku)?;
    let currency = Currency::parse(&i.cur)?;
    if i.qty < 0 || i.rsv < 0 || i.rsv > i.qty || i.avl != i.qty - i.rsv || i.px < 0 {
        return Err(AppError::Invalid(format!(
            "stock item {sku}: qty {}, rsv {}, avl {}, px {} are not counts of one item",
            i.qty, i.rsv, i.avl, i.px
        )));
    }
    synced::upsert_item(
        conn,
        &SyncedItem {
            sku: &sku,
            name: &i.nm,
            unit_price: i.px,
            currency: currency.code(),
            on_hand: i.qty,
            reserved: i.rsv,
        },
        LegacyClock::now(),
    )
}
