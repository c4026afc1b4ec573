//! The fulfillment commands that span tables and ports. Each runs inside the
//! caller's transaction, so with the in-process payments port an order, its
//! reservations, its payment and its invoice are written together or not at
//! all. With the payment service as the owner, [`super::remote_flows`] runs
//! the same steps around the remote call.
//!
//! Every command also records, in the same transaction, each order it
//! changed and each stock item whose counts it moved, for the fulfillment
//! service ([`super::sync`]).

use super::domain::{LineRequest, OrderStatus};
use super::store::orders::{self, OrderWithLines, PricedLine};
use super::store::{items, shipments};
use super::sync::{order_changed, stock_changed};
use crate::customers::port::BillingDetails;
use crate::error::{AppError, AppResult};
use crate::legacy::LegacyClock;
use crate::legacy::money::{checked_add, checked_mul};
use crate::payments::port::{Charge, ChargeRequest, PaymentsPort};
use crate::ports::Ports;
use platform::db::AnyConnection;

/// An order to place, already checked by the domain rules.
pub struct PlaceOrder {
    pub customer_id: i64,
    pub lines: Vec<LineRequest>,
    pub method: String,
    pub token: Option<String>,
}

/// Reserves stock, charges through the payments port, issues the invoice.
pub fn place(
    conn: &mut AnyConnection,
    ports: &Ports,
    payments: &dyn PaymentsPort,
    cmd: PlaceOrder,
) -> AppResult<OrderWithLines> {
    let (order_id, charge, _) = open(conn, ports, cmd)?;
    let charge = payments.charge(conn, &charge)?;
    confirm(conn, order_id, charge)
}

/// The order pending payment (`P`, no payment yet) with its stock reserved;
/// the charge to make and the customer's billing details. The order's
/// change is the caller's to record: [`place`] records it once, confirmed,
/// in the same transaction; the remote flow when it commits the open order.
pub fn open(
    conn: &mut AnyConnection,
    ports: &Ports,
    cmd: PlaceOrder,
) -> AppResult<(i64, ChargeRequest, BillingDetails)> {
    let now = LegacyClock::now();
    // The customer must exist; an unknown id in a body is the body's fault (422).
    let bill = ports
        .customers
        .billing(conn, cmd.customer_id)
        .map_err(|e| match e {
            AppError::NotFound(_) => {
                AppError::Invalid(format!("cust {} does not exist", cmd.customer_id))
            }
            other => other,
        })?;
    let (currency, total, priced) = price(conn, &cmd.lines)?;
    let order_id = orders::insert(conn, cmd.customer_id, &currency, total, &priced, now)?;
    for line in &priced {
        items::reserve(conn, &line.sku, line.qty, now)?;
        stock_changed(conn, &line.sku)?;
    }
    let charge = ChargeRequest {
        order_id,
        customer_id: cmd.customer_id,
        amount: total,
        currency,
        method: cmd.method,
        token: cmd.token,
    };
    Ok((order_id, charge, bill))
}

/// Links the order to its payment and invoice; a captured one is confirmed.
pub fn confirm(
    conn: &mut AnyConnection,
    order_id: i64,
    charge: Charge,
) -> AppResult<OrderWithLines> {
    orders::set_payment(conn, order_id, charge.payment_id, charge.invoice_id)?;
    if charge.captured {
        orders::transition(conn, order_id, OrderStatus::Confirmed, LegacyClock::now())?;
    }
    order_changed(conn, order_id)?;
    orders::get(conn, order_id)
}

/// Prices every line from the inventory; all must share one currency.
fn price(
    conn: &mut AnyConnection,
    lines: &[LineRequest],
) -> AppResult<(String, i64, Vec<PricedLine>)> {
    let mut currency: Option<String> = None;
    let mut total = 0_i64;
    let mut priced = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let item = items::get(conn, &line.sku)?.ok_or_else(|| {
            AppError::Invalid(format!(
                "lines[{i}].sku `{}` is not in the inventory",
                line.sku
            ))
        })?;
        match &currency {
            Some(c) if *c != item.currency => {
                return Err(AppError::Invalid(format!(
                    "lines[{i}].sku `{}` is priced in {}, the order in {c}: one order, one currency",
                    line.sku, item.currency
                )));
            }
            _ => currency = Some(item.currency.clone()),
        }
        let amount = checked_mul(&format!("lines[{i}].amt"), line.qty, item.unit_price)?;
        total = checked_add("tot", total, amount)?;
        priced.push(PricedLine {
            sku: line.sku.clone(),
            qty: line.qty,
            unit_price: item.unit_price,
            amount,
        });
    }
    Ok((currency.unwrap_or_default(), total, priced))
}

/// Captures a pay-on-invoice order's payment (P → C); `payments: None` when
/// the owner has captured it already, outside this transaction.
pub fn capture(
    conn: &mut AnyConnection,
    payments: Option<&dyn PaymentsPort>,
    id: i64,
) -> AppResult<OrderWithLines> {
    let order = orders::transition(conn, id, OrderStatus::Confirmed, LegacyClock::now())?;
    if let (Some(payment_id), Some(payments)) = (order.payment_id, payments) {
        payments.capture(conn, payment_id)?;
    }
    order_changed(conn, id)?;
    orders::get(conn, id)
}

/// Cancels an order (P or C → X): releases stock, refunds or voids the
/// payment; `payments: None` when its owner settles it after this commits.
pub fn cancel(
    conn: &mut AnyConnection,
    payments: Option<&dyn PaymentsPort>,
    id: i64,
) -> AppResult<OrderWithLines> {
    let now = LegacyClock::now();
    let order = orders::transition(conn, id, OrderStatus::Cancelled, now)?;
    let (_, lines) = orders::get(conn, id)?;
    for line in &lines {
        items::release(conn, &line.sku, line.qty, now)?;
        stock_changed(conn, &line.sku)?;
    }
    if let (Some(payment_id), Some(payments)) = (order.payment_id, payments) {
        payments.cancel(conn, payment_id)?;
    }
    order_changed(conn, id)?;
    orders::get(conn, id)
}

/// Ships a paid order (C → S): the reserved stock leaves the warehouse.
pub fn ship(conn: &mut AnyConnection, id: i64, carrier: &str) -> AppResult<shipments::ShipmentRow> {
    let now = LegacyClock::now();
    orders::transition(conn, id, OrderStatus::Shipped, now)?;
    let (_, lines) = orders::get(conn, id)?;
    for line in &lines {
        items::ship(conn, &line.sku, line.qty, now)?;
        stock_changed(conn, &line.sku)?;
    }
    let shipment = shipments::insert(conn, id, carrier, now)?;
    order_changed(conn, id)?;
    Ok(shipment)
}

/// Delivers a shipment and its order (S → D).
pub fn deliver(conn: &mut AnyConnection, shipment_id: i64) -> AppResult<shipments::ShipmentRow> {
    let now = LegacyClock::now();
    let shipment = shipments::deliver(conn, shipment_id, now)?;
    orders::transition(conn, shipment.order_id, OrderStatus::Delivered, now)?;
    order_changed(conn, shipment.order_id)?;
    Ok(shipment)
}
