//! The local steps: each changes the service's own tables and moves the saga
//! in one transaction. A business refusal (no stock, an order no longer
//! pending) is rolled back to a savepoint and recorded as the saga's failure
//! in the same transaction; any other error leaves the saga where it was.

use super::step::Step;
use super::{Sagas, failure_of};
use crate::actions;
use crate::store::sagas::{self, Move, SagaRow};
use crate::store::{self, orders};
use diesel::Connection;
use fulfillment_api::{
    CancelOrder, ConfirmOrder, NewOrder, OrderState, PaymentMethod, SagaKind, SagaStatus, StartSaga,
};
use payment_api::BillingDetails;
use platform::Problem;
use platform::db::AnyConnection;

const RUNNING: &str = "running";
const COMPENSATING: &str = "compensating";

/// The request the saga was started with.
pub(super) fn request(row: &SagaRow) -> Result<StartSaga, Problem> {
    serde_json::from_str(&row.request)
        .map_err(|e| Problem::internal(&format!("saga {}: stored request: {e}", row.id)))
}

/// The billing details the saga's start read for its invoice (none for
/// other kinds, or a saga started before starts kept them).
pub(super) fn stored_billing(row: &SagaRow) -> Result<Option<BillingDetails>, Problem> {
    row.billing
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| Problem::internal(&format!("saga {}: stored billing details: {e}", row.id)))
}

pub(super) fn order_id(row: &SagaRow) -> Result<String, Problem> {
    row.order_id
        .clone()
        .ok_or_else(|| Problem::internal(&format!("saga {} has no order", row.id)))
}

/// Places the order pending with its stock reserved; no stock (or unknown
/// items) fails the saga with nothing to undo.
pub(super) async fn reserve_stock(sagas: &Sagas, row: &SagaRow) -> Result<(), Problem> {
    let StartSaga::PlaceOrder {
        customer_legacy_id,
        lines,
        ..
    } = request(row)?
    else {
        return Err(Problem::internal(&"only place_order reserves stock"));
    };
    let order = NewOrder {
        customer_legacy_id,
        lines,
        legacy_id: None,
        created_at: None,
    };
    let (id, sagas) = (row.id.clone(), sagas.clone());
    let from = Step::ReserveStock.as_str();
    sagas
        .db
        .clone()
        .write(move |conn| {
            let now = store::now();
            match conn.transaction(|c| actions::orders::place(c, &order)) {
                Ok(placed) => {
                    let to = Move {
                        order_id: Some(placed.id.to_string()),
                        step_deadline_at: Some(sagas.deadline_from(now)),
                        ..sagas.onward(RUNNING, Step::ChargePayment, now)
                    };
                    sagas::advance(conn, &id, from, &to, now)
                }
                Err(refused) if refused.status().is_client_error() => {
                    let to = Move {
                        failure: Some(failure_of(&refused)),
                        ..Sagas::end(SagaStatus::Failed.as_str())
                    };
                    sagas::advance(conn, &id, from, &to, now)
                }
                Err(other) => Err(other),
            }
        })
        .await
}

/// Records the payment on the order: a card payment confirms it, an invoice
/// authorisation leaves it pending; a captured invoice order is confirmed.
/// An order no longer pending (cancelled meanwhile, e.g. by a refund) turns
/// the saga to compensation.
pub(super) async fn confirm_order(sagas: &Sagas, row: &SagaRow) -> Result<(), Problem> {
    let confirms = match request(row)? {
        StartSaga::PlaceOrder { method, .. } => method == PaymentMethod::Card,
        StartSaga::CaptureOrder { .. } => true,
        StartSaga::CancelOrder { .. } => {
            return Err(Problem::internal(&"cancel_order confirms nothing"));
        }
    };
    let (id, order_id, sagas) = (row.id.clone(), order_id(row)?, sagas.clone());
    let payment_legacy_id = row.payment_legacy_id;
    let from = Step::ConfirmOrder.as_str();
    sagas
        .db
        .clone()
        .write(move |conn| {
            let now = store::now();
            let recorded =
                conn.transaction(|c| record_payment(c, &order_id, payment_legacy_id, confirms));
            let to = match recorded {
                Ok(()) => Sagas::end(SagaStatus::Completed.as_str()),
                Err(refused) if refused.status().is_client_error() => Move {
                    failure: Some(failure_of(&refused)),
                    ..sagas.onward(COMPENSATING, Step::SettlePayment, now)
                },
                Err(other) => return Err(other),
            };
            sagas::advance(conn, &id, from, &to, now)
        })
        .await
}

fn record_payment(
    conn: &mut AnyConnection,
    order_id: &str,
    payment_legacy_id: Option<i64>,
    confirms: bool,
) -> Result<(), Problem> {
    let order = orders::get(conn, order_id)?;
    let payment_legacy_id = payment_legacy_id.or(order.payment_legacy_id);
    if confirms {
        let confirm = ConfirmOrder {
            payment_legacy_id,
            invoice_legacy_id: order.invoice_legacy_id,
        };
        actions::orders::confirm(conn, order.id, &confirm)?;
        return Ok(());
    }
    if order.state != OrderState::Pending {
        return Err(Problem::conflict(format!(
            "order {order_id} is {} and can no longer take a payment",
            order.state.as_str()
        )));
    }
    orders::set_payment(conn, order_id, payment_legacy_id, order.invoice_legacy_id)?;
    crate::sync::order_changed(conn, order_id)
}

/// Cancels the order if it is still open (releasing its stock) and ends the
/// compensation. An order shipped meanwhile cannot be undone here: the step
/// fails and is retried, so the saga shows as stuck for an operator.
pub(super) async fn release_stock(sagas: &Sagas, row: &SagaRow) -> Result<(), Problem> {
    let (id, order_id) = (row.id.clone(), row.order_id.clone());
    let reason = format!("saga {} compensated", row.id);
    let from = Step::ReleaseStock.as_str();
    sagas
        .db
        .write(move |conn| {
            if let Some(order_id) = order_id {
                let order = orders::get(conn, &order_id)?;
                match order.state {
                    OrderState::Pending | OrderState::Confirmed => {
                        let cancel = CancelOrder {
                            reason: Some(reason),
                        };
                        actions::orders::cancel(conn, order.id, &cancel)?;
                    }
                    OrderState::Cancelled => {}
                    OrderState::Shipped | OrderState::Delivered => {
                        return Err(Problem::internal(&format!(
                            "order {order_id} shipped while its saga compensated"
                        )));
                    }
                }
            }
            let to = Sagas::end(SagaStatus::Compensated.as_str());
            sagas::advance(conn, &id, from, &to, store::now())
        })
        .await
}

/// Whether a saga of `kind` ends once its payment is settled (a cancel) or
/// goes on to release the stock (a compensation).
pub(super) fn after_settling(kind: SagaKind) -> (SagaStatus, Step) {
    match kind {
        SagaKind::CancelOrder => (SagaStatus::Completed, Step::Done),
        SagaKind::PlaceOrder | SagaKind::CaptureOrder => {
            (SagaStatus::Compensating, Step::ReleaseStock)
        }
    }
}
