//! Order commands: place, confirm, ship, deliver, cancel. Each moves the
//! order with a conditional UPDATE (see `store::orders::transition`), so an
//! illegal or concurrent second move is a 409, never a double effect.
//! Each also records the order, and the stock items whose counts it moved,
//! for the monolith ([`crate::sync`]).

use crate::events::{self, ORDER, SHIPMENT};
use crate::store::{self, order_insert, orders, shipments, stock};
use crate::sync::{order_changed, stock_changed};
use fulfillment_api::{
    CancelOrder, ConfirmOrder, NewOrder, Order, OrderState, ShipOrder, Shipment,
};
use platform::Problem;
use platform::db::AnyConnection;
use uuid::Uuid;

fn order_event(conn: &mut AnyConnection, event: &str, order: &Order) -> Result<(), Problem> {
    events::emit(conn, ORDER, order.id, event, order)?;
    order_changed(conn, &order.id.to_string())
}

/// Records the stock items of `order`'s lines for the monolith.
fn lines_changed(conn: &mut AnyConnection, order: &Order) -> Result<(), Problem> {
    for line in &order.lines {
        stock_changed(conn, line.sku.as_str())?;
    }
    Ok(())
}

/// Places the order and reserves its stock.
pub(crate) fn place(conn: &mut AnyConnection, req: &NewOrder) -> Result<Order, Problem> {
    let order = order_insert::place(conn, req, store::now())?;
    order_event(conn, "order.placed", &order)?;
    lines_changed(conn, &order)?;
    Ok(order)
}

/// pending → confirmed, recording the payment and invoice.
pub(crate) fn confirm(
    conn: &mut AnyConnection,
    id: Uuid,
    req: &ConfirmOrder,
) -> Result<Order, Problem> {
    let id = id.to_string();
    orders::transition(conn, &id, OrderState::Confirmed, store::now())?;
    orders::set_payment(conn, &id, req.payment_legacy_id, req.invoice_legacy_id)?;
    let order = orders::get(conn, &id)?;
    order_event(conn, "order.confirmed", &order)?;
    Ok(order)
}

/// confirmed → shipped: the reserved stock leaves, a shipment is created.
pub(crate) fn ship(
    conn: &mut AnyConnection,
    id: Uuid,
    req: &ShipOrder,
) -> Result<Shipment, Problem> {
    let id = id.to_string();
    let now = store::now();
    orders::transition(conn, &id, OrderState::Shipped, now)?;
    stock::end_reservations(conn, &id, true, now)?;
    let shipment = shipments::create(conn, &id, req, now)?;
    let order = orders::get(conn, &id)?;
    order_event(conn, "order.shipped", &order)?;
    lines_changed(conn, &order)?;
    events::emit(conn, SHIPMENT, shipment.id, "shipment.created", &shipment)?;
    Ok(shipment)
}

/// shipped → delivered, for the order and its shipment together.
fn deliver(conn: &mut AnyConnection, order_id: &str) -> Result<(Order, Shipment), Problem> {
    let now = store::now();
    orders::transition(conn, order_id, OrderState::Delivered, now)?;
    let shipment_id = shipments::of_order(conn, order_id)?.ok_or_else(|| {
        Problem::internal(&format!("order {order_id} is shipped but has no shipment"))
    })?;
    let shipment = shipments::deliver(conn, &shipment_id, now)?;
    let order = orders::get(conn, order_id)?;
    order_event(conn, "order.delivered", &order)?;
    events::emit(conn, SHIPMENT, shipment.id, "shipment.delivered", &shipment)?;
    Ok((order, shipment))
}

/// Delivers an order (and its shipment).
pub(crate) fn deliver_order(conn: &mut AnyConnection, id: Uuid) -> Result<Order, Problem> {
    deliver(conn, &id.to_string()).map(|(order, _)| order)
}

/// Delivers a shipment (and its order).
pub(crate) fn deliver_shipment(conn: &mut AnyConnection, id: Uuid) -> Result<Shipment, Problem> {
    let order_id = shipments::order_of(conn, &id.to_string())?;
    deliver(conn, &order_id).map(|(_, shipment)| shipment)
}

/// pending/confirmed → cancelled; the reservations are released.
pub(crate) fn cancel(
    conn: &mut AnyConnection,
    id: Uuid,
    req: &CancelOrder,
) -> Result<Order, Problem> {
    let id = id.to_string();
    let now = store::now();
    orders::transition(conn, &id, OrderState::Cancelled, now)?;
    stock::end_reservations(conn, &id, false, now)?;
    let order = orders::get(conn, &id)?;
    #[derive(serde::Serialize)]
    struct Cancelled<'a> {
        reason: Option<&'a str>,
        order: &'a Order,
    }
    let payload = Cancelled {
        reason: req.reason.as_deref(),
        order: &order,
    };
    events::emit(conn, ORDER, order.id, "order.cancelled", &payload)?;
    order_changed(conn, &id)?;
    lines_changed(conn, &order)?;
    Ok(order)
}
