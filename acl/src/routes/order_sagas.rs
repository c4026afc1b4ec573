//! Placing, capturing and cancelling an order (`POST /api/v1/orders`,
//! `…/{id}/capture`, `…/{id}/cancel`): each starts an order saga in the
//! fulfillment service (`POST /v2/sagas`), which runs it across both services
//! and waits for its end within the request's deadline. The saga's answer
//! becomes the monolith's: the order, or the problem that failed it.
//!
//! An order is named by its legacy id, the fulfillment service's own
//! `legacy_id` (the one identity the reads use too): capture and cancel look
//! the order up by it first, then start the saga with its UUID.

use super::flow::lookup_then;
use super::orders::RENAMES;
use super::{Ctx, id_param, idempotency_key, legacy_body, v2_request, v2_write};
use crate::error::TranslateError;
use crate::exchange::{Exchange, Step};
use crate::http::{Method, Request, Response};
use crate::legacy;
use crate::records::orders::order_to_legacy;
use crate::records::requests;
use crate::reply::{Outcome, json, own_problem, problem_to_legacy, read};
use crate::value::LegacyClock;
use fulfillment_api::{Order, Saga, SagaStatus, StartSaga, paths};

/// The saga answers: 201 placed, 200 captured or cancelled, 202 still running.
const SAGA_OK: &[u16] = &[200, 201, 202];

/// `POST /api/v1/orders` → a `place_order` saga; 201 with the order.
pub(super) fn place(ctx: &Ctx, _: &[&str], req: &Request) -> Result<Exchange, TranslateError> {
    let body: legacy::NewOrder = legacy_body(req)?;
    let start = requests::place_order(&body)?;
    start_saga(
        "orders.place",
        req,
        &idempotency_key(req),
        &start,
        201,
        ctx.clock,
    )
}

/// `POST /api/v1/orders/{id}/capture` → a `capture_order` saga; 200.
pub(super) fn capture(ctx: &Ctx, p: &[&str], req: &Request) -> Result<Exchange, TranslateError> {
    on_order("orders.capture", ctx, p, req, |order_id| {
        StartSaga::CaptureOrder { order_id }
    })
}

/// `POST /api/v1/orders/{id}/cancel` → a `cancel_order` saga; 200.
pub(super) fn cancel(ctx: &Ctx, p: &[&str], req: &Request) -> Result<Exchange, TranslateError> {
    on_order("orders.cancel", ctx, p, req, |order_id| {
        StartSaga::CancelOrder { order_id }
    })
}

/// Looks the order up by legacy id (an unknown one is the lookup's 404, as on
/// the monolith), then starts the saga `kind` makes for it.
fn on_order(
    endpoint: &'static str,
    ctx: &Ctx,
    p: &[&str],
    req: &Request,
    kind: fn(uuid::Uuid) -> StartSaga,
) -> Result<Exchange, TranslateError> {
    let id = id_param(p, 0, "id")?;
    let (clock, key, legacy_req) = (ctx.clock, idempotency_key(req), req.clone());
    let lookup = v2_request(Method::Get, paths::order_by_legacy_id(id), req);
    Ok(lookup_then(endpoint, lookup, RENAMES, move |o: &Order| {
        start_saga(endpoint, &legacy_req, &key, &kind(o.id), 200, clock)
    }))
}

fn start_saga(
    endpoint: &'static str,
    legacy_req: &Request,
    key: &str,
    start: &StartSaga,
    done: u16,
    clock: LegacyClock,
) -> Result<Exchange, TranslateError> {
    let call = v2_write(Method::Post, paths::sagas(), legacy_req, key, start)?;
    Ok(Exchange::new(endpoint, call, move |resp| {
        Ok(Step::Reply(
            match read::<Saga>(endpoint, resp, SAGA_OK, RENAMES)? {
                Outcome::Ok(_, saga) => saga_to_legacy(&saga, done, &clock, resp)?,
                Outcome::Failed(answer) => answer,
            },
        ))
    }))
}

/// The legacy answer for a saga the service answered with (ended, or still
/// running when its wait ran out). The one mapping of saga outcomes:
///
/// | saga | legacy answer |
/// |---|---|
/// | `completed` | `done` (201 placed, 200 captured/cancelled) with the order |
/// | `running`, order made | `done` with the order as it is now: what the monolith answers for a pending order (`st` `P`, `pay` `null` until paid); a read shows the outcome later |
/// | `running`, no order yet | 503 with `Retry-After`: repeat with the same `Idempotency-Key` |
/// | `compensating`, `compensated`, `failed` | the problem that failed it (402 declined, 409 no stock, 422 …), its status kept |
fn saga_to_legacy(
    saga: &Saga,
    done: u16,
    clock: &LegacyClock,
    v2: &Response,
) -> Result<Response, TranslateError> {
    let order = saga.order.as_ref().map(|o| order_to_legacy(o, clock));
    match (saga.status, order) {
        (SagaStatus::Completed | SagaStatus::Running, Some(order)) => json(done, &order?, v2),
        (SagaStatus::Completed | SagaStatus::Running, None) => Ok(own_problem(
            503,
            "service-unavailable",
            format!(
                "the order is still being placed (saga {}); send the same request again \
                 with the same Idempotency-Key for its answer",
                saga.id
            ),
            v2,
        )
        .with_header("Retry-After", "1")),
        (SagaStatus::Compensating | SagaStatus::Compensated | SagaStatus::Failed, _) => {
            Ok(failure_to_legacy(saga, v2))
        }
    }
}

/// The problem that failed a saga, as the legacy problem with its status.
fn failure_to_legacy(saga: &Saga, v2: &Response) -> Response {
    let failure = saga.failure.as_ref();
    let status = failure
        .and_then(|f| f["status"].as_u64())
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (400..600).contains(s));
    match (failure, status) {
        (Some(doc), Some(status)) => {
            let mut as_v2 = Response::new(status).with_body(doc.to_string());
            if let Some(id) = v2.headers.get(crate::reply::CORRELATION_HEADER) {
                as_v2.headers.set(crate::reply::CORRELATION_HEADER, id);
            }
            problem_to_legacy(&as_v2, RENAMES)
        }
        _ => own_problem(
            409,
            "conflict",
            format!("order saga {} ended {}", saga.id, saga.status.as_str()),
            v2,
        ),
    }
}
