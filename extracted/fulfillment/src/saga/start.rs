//! Starting a saga: checked, recorded (claimed by its starter) and, for a
//! cancel, its first local step done, all in one transaction, so a refused
//! start leaves nothing behind. The start is keyed by the request's
//! `Idempotency-Key`: the same key with the same request finds the same saga.
//! A `place_order` start first asks the customers' owner (an HTTP call, so
//! outside the transaction): an unknown customer or an owner that cannot
//! answer leaves nothing behind either. The billing details of its answer are
//! recorded with the saga, for its invoice. A repeated start keeps the saga
//! as first recorded, billing details included.

use super::Sagas;
use super::step::Step;
use crate::actions;
use crate::domain::{IllegalTransition, validate_new_order};
use crate::store::sagas::{self, NewSaga};
use crate::store::{self, orders};
use fulfillment_api::{CancelOrder, NewOrder, OrderState, PaymentMethod, StartSaga};
use platform::Problem;
use platform::db::AnyConnection;
use platform::trace_context::TraceContext;
use uuid::Uuid;

/// A saga the request started or found.
#[derive(Debug, Clone)]
pub(crate) struct Started {
    /// Its id.
    pub id: String,
    /// False when the key named a saga started before.
    pub fresh: bool,
}

impl Sagas {
    /// Starts (or finds, by `key`) the saga `request` describes.
    pub(crate) async fn start(&self, key: String, request: StartSaga) -> Result<Started, Problem> {
        check(&request, self)?;
        let billing = match &request {
            StartSaga::PlaceOrder {
                customer_legacy_id, ..
            } => {
                let billing = self
                    .customers
                    .billing_for_order(*customer_legacy_id)
                    .await?;
                Some(serde_json::to_string(&billing).map_err(|e| Problem::internal(&e))?)
            }
            _ => None,
        };
        let text = serde_json::to_string(&request).map_err(|e| Problem::internal(&e))?;
        let trace = TraceContext::current().map(|t| t.traceparent);
        let sagas = self.clone();
        self.db
            .write(move |conn| {
                if let Some(found) = sagas::by_start_key(conn, &key)? {
                    if found.request != text {
                        return Err(Problem::unprocessable(format!(
                            "Idempotency-Key `{key}` already started saga {} with another request; use a new key",
                            found.id
                        )));
                    }
                    return Ok(Started {
                        id: found.id,
                        fresh: false,
                    });
                }
                let id = Uuid::now_v7().to_string();
                let first = prepare(conn, &id, &request)?;
                let now = store::now();
                let deadline = matches!(first.step, Step::CapturePayment)
                    .then(|| sagas.deadline_from(now));
                sagas::insert(
                    conn,
                    &NewSaga {
                        id: &id,
                        start_key: &key,
                        kind: request.kind().as_str(),
                        status: "running",
                        step: first.step.as_str(),
                        request: &text,
                        order_id: first.order_id.as_deref(),
                        payment_legacy_id: first.payment_legacy_id,
                        attempts: 0,
                        next_attempt_at: Some(sagas.lease_from(now)),
                        step_deadline_at: deadline,
                        traceparent: trace.as_deref(),
                        created_at: now,
                        updated_at: now,
                        billing: billing.as_deref(),
                    },
                )?;
                Ok(Started { id, fresh: true })
            })
            .await
    }
}

/// The request's own rules, before anything is written.
fn check(request: &StartSaga, sagas: &Sagas) -> Result<(), Problem> {
    if let StartSaga::PlaceOrder {
        customer_legacy_id,
        lines,
        method,
        card_token,
    } = request
    {
        let order = NewOrder {
            customer_legacy_id: *customer_legacy_id,
            lines: lines.clone(),
            legacy_id: None,
            created_at: None,
        };
        validate_new_order(&order, sagas.legacy_ids)?;
        let no_token = card_token.as_deref().is_none_or(|t| t.trim().is_empty());
        if *method == PaymentMethod::Card && no_token {
            return Err(Problem::unprocessable(
                "card_token: a card payment needs the card's token",
            )
            .with("field", "card_token"));
        }
    }
    Ok(())
}

/// Where a new saga begins.
struct First {
    step: Step,
    order_id: Option<String>,
    payment_legacy_id: Option<i64>,
}

/// Checks the order a capture or cancel is for and, for a cancel, cancels it
/// (so a shipped order is refused here, with the order's own 409).
fn prepare(conn: &mut AnyConnection, id: &str, request: &StartSaga) -> Result<First, Problem> {
    match request {
        StartSaga::PlaceOrder { .. } => Ok(First {
            step: Step::ReserveStock,
            order_id: None,
            payment_legacy_id: None,
        }),
        StartSaga::CaptureOrder { order_id } => {
            let order = orders::get(conn, &order_id.to_string())?;
            if order.state != OrderState::Pending {
                return Err(IllegalTransition {
                    current: order.state,
                    requested: OrderState::Confirmed,
                }
                .into());
            }
            let payment_legacy_id = order.payment_legacy_id.ok_or_else(|| {
                Problem::conflict(format!(
                    "order {order_id} has no payment to capture yet; try again once it has"
                ))
            })?;
            Ok(First {
                step: Step::CapturePayment,
                order_id: Some(order_id.to_string()),
                payment_legacy_id: Some(payment_legacy_id),
            })
        }
        StartSaga::CancelOrder { order_id } => {
            let reason = Some(format!("cancelled by saga {id}"));
            actions::orders::cancel(conn, *order_id, &CancelOrder { reason })?;
            Ok(First {
                step: Step::SettlePayment,
                order_id: Some(order_id.to_string()),
                payment_legacy_id: None,
            })
        }
    }
}
