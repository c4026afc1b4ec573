//! `/v2/payments`: authorise, read, list, capture, void, fail.

use super::support::{Write, page, read};
use crate::ledger::commands::{self, Authorized};
use crate::ledger::queries;
use crate::ledger::state::PaymentState;
use crate::legacy_ids::LegacyIds;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use payment_api::{CreatePayment, LedgerEntry, Payment, PaymentListQuery};
use platform::Problem;
use platform::db::Db;
use platform::dry_run::DryRun;
use platform::idempotency::{IdempotencyKey, StoredResponse};
use platform::json::Json;
use uuid::Uuid;
use v2_common::{Page, ProblemDoc};

/// The 402 for a declined card. The payment was recorded (status `failed`),
/// so the problem names it.
fn declined(state: &PaymentState) -> Problem {
    Problem::new(
        StatusCode::PAYMENT_REQUIRED,
        "payment-declined",
        format!(
            "{}; payment {} is recorded as failed",
            state.failure_reason.as_deref().unwrap_or("declined"),
            state.id()
        ),
    )
    .with("payment_id", state.id().to_string())
    .with("payment_legacy_id", state.opened.legacy_id)
    .with("payment_status", "failed")
}

/// Authorise a payment (and capture it when `capture` is true).
#[utoipa::path(
    operation_id = "create_payment",
    tag = "payments",
    request_body = CreatePayment,
    params(
        ("Idempotency-Key" = String, Header, description = "Makes retries safe (required)"),
        ("X-Strangler-Dry-Run" = Option<String>, Header, description = "1: roll everything back"),
    ),
    responses(
        (status = 201, body = Payment),
        (status = 402, description = "Card declined; the payment is recorded as failed", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
#[post("/v2/payments")]
pub async fn create(
    req: HttpRequest,
    db: web::Data<Db>,
    ids: web::Data<LegacyIds>,
    key: IdempotencyKey,
    dry: DryRun,
    body: Json<CreatePayment>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let write = Write::new(&req, db, dry, Some(key), &body)?;
    let ids = **ids;
    write
        .respond(move |conn| match commands::authorize(conn, &ids, &body)? {
            Authorized::Approved(s) => Ok(StoredResponse::json(StatusCode::CREATED, &s.to_api())?),
            Authorized::Declined(s) => Ok(StoredResponse::problem(&declined(&s))),
        })
        .await
}

/// One payment.
#[utoipa::path(operation_id = "get_payment", tag = "payments", params(("id" = Uuid, Path)), responses((status = 200, body = Payment), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
#[get("/v2/payments/{id}")]
pub async fn get_one(db: web::Data<Db>, id: web::Path<Uuid>) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let payment = read(&db, move |c| queries::payment(c, id)).await?;
    Ok(HttpResponse::Ok().json(payment))
}

/// One payment by its legacy id.
#[utoipa::path(operation_id = "get_payment_by_legacy_id", tag = "payments", params(("legacy_id" = i64, Path)), responses((status = 200, body = Payment), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
#[get("/v2/payments/by-legacy-id/{legacy_id}")]
pub async fn by_legacy_id(
    db: web::Data<Db>,
    legacy_id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let legacy_id = legacy_id.into_inner();
    let payment = read(&db, move |c| queries::payment_by_legacy_id(c, legacy_id)).await?;
    Ok(HttpResponse::Ok().json(payment))
}

/// Payments, optionally of one order, by legacy id.
#[utoipa::path(operation_id = "list_payments", tag = "payments", params(PaymentListQuery), responses((status = 200, body = Page<Payment>)))]
#[get("/v2/payments")]
pub async fn list(
    db: web::Data<Db>,
    query: web::Query<PaymentListQuery>,
) -> Result<HttpResponse, Problem> {
    let (limit, offset) = page(query.limit, query.offset)?;
    let order = query.order_legacy_id;
    let page = read(&db, move |c| {
        queries::payments_page(c, order, limit, offset)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The payment's ledger stream, oldest first (audit).
#[utoipa::path(operation_id = "list_payment_events", tag = "payments", params(("id" = Uuid, Path)), responses((status = 200, body = Vec<LedgerEntry>), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
#[get("/v2/payments/{id}/events")]
pub async fn events(db: web::Data<Db>, id: web::Path<Uuid>) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let entries = read(&db, move |c| crate::ledger::store::entries(c, id)).await?;
    Ok(HttpResponse::Ok().json(entries))
}
