//! The order flows when the payment service owns the payment. Its calls
//! cannot join the monolith's transaction, so each flow commits its own
//! steps in the order that keeps money and orders consistent whatever fails
//! in between (docs/data.md, "Who owns what in each phase"):
//!
//! - place: the order `P` with its stock reserved is committed first, then
//!   charged under an idempotency key derived from the order (a repeat
//!   replays, never charges twice; money is only taken for an order that
//!   exists), then linked and confirmed. A refused charge cancels the order
//!   and releases its stock.
//! - capture: the order must be `P`; the payment is captured, then the
//!   order confirmed (a repeat finds the payment captured already).
//! - cancel: the order `X` with its stock released is committed first (it can
//!   no longer ship), then the payment settled; cancelling again settles
//!   again, which refunds only what is left.

use super::commands::{self, PlaceOrder};
use super::domain::OrderStatus;
use super::store::orders::{self, OrderWithLines};
use super::sync::order_changed;
use crate::error::{AppError, AppResult};
use crate::payments::port::remote::RemotePayments;
use crate::ports::Ports;
use platform::db::Db;
use std::sync::Arc;

/// Places an order whose payment the service takes.
pub async fn place(
    db: &Db,
    ports: Arc<Ports>,
    remote: &RemotePayments,
    cmd: PlaceOrder,
) -> AppResult<OrderWithLines> {
    // Refuse what the charge would refuse before anything is committed.
    if !matches!(cmd.method.as_str(), "card" | "invoice") {
        return Err(AppError::Invalid(format!(
            "pm `{}` is not a payment method: card or invoice",
            cmd.method
        )));
    }
    let (order_id, charge, bill) = db
        .write(move |conn| {
            let opened = commands::open(conn, &ports, cmd)?;
            order_changed(conn, opened.0)?;
            Ok::<_, AppError>(opened)
        })
        .await?;
    match remote.charge(&charge, &bill).await {
        Ok(charge) => {
            db.write(move |conn| commands::confirm(conn, order_id, charge))
                .await
        }
        // No answer: the charge may have been taken; the order stays `P`
        // and a repeat with the same key finds it. Any answer that refuses
        // it: no money moved, so the order goes.
        Err(err @ AppError::Upstream(_)) => Err(err),
        Err(refused) => {
            db.write(move |conn| commands::cancel(conn, None, order_id))
                .await?;
            Err(refused)
        }
    }
}

/// Captures the payment of a pending order, then confirms the order.
pub async fn capture(
    db: &Db,
    remote: &RemotePayments,
    id: i64,
    order: &orders::OrderRow,
) -> AppResult<OrderWithLines> {
    if let (Some(payment_id), true) = (
        order.payment_id,
        order.status == OrderStatus::Pending.letter(),
    ) {
        remote.capture(payment_id).await?;
    }
    // Not pending: the transition answers the legacy conflict.
    db.write(move |conn| commands::capture(conn, None, id))
        .await
}

/// Cancels the order, then settles its payment with the owner.
pub async fn cancel(
    db: &Db,
    remote: &RemotePayments,
    id: i64,
    payment_id: i64,
) -> AppResult<OrderWithLines> {
    let cancelled = db.write(move |conn| commands::cancel(conn, None, id)).await;
    match cancelled {
        Ok(order) => {
            remote.settle_cancelled(payment_id).await?;
            Ok(order)
        }
        // Cancelled already: settle again (a no-op once settled), so a cancel
        // whose settlement failed heals on repeat; the answer stays the
        // legacy one.
        Err(AppError::Conflict(detail)) => {
            let (order, _) = db.read(move |conn| orders::get(conn, id)).await?;
            if order.status == OrderStatus::Cancelled.letter() {
                remote.settle_cancelled(payment_id).await?;
            }
            Err(AppError::Conflict(detail))
        }
        Err(other) => Err(other),
    }
}
