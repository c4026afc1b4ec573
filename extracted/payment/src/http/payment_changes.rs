//! `/v2/payments/{id}/capture|void|fail`: state changes of a payment. Each
//! may carry an `Idempotency-Key` (then a retry gets the first answer, not a
//! 409) and an `at` for imports.

use super::support::{Write, optional_body};
use crate::ledger::commands::{self, Transition};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use payment_api::{FailPayment, Payment, StateChange};
use platform::Problem;
use platform::db::Db;
use platform::dry_run::DryRun;
use platform::idempotency::{OptionalIdempotencyKey, StoredResponse};
use platform::json::Json;
use uuid::Uuid;
use v2_common::ProblemDoc;

async fn transition(
    write: Write,
    id: Uuid,
    what: Transition,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<HttpResponse, Problem> {
    write
        .respond(move |c| {
            let state = commands::transition(c, id, &what, at)?;
            Ok(StoredResponse::json(StatusCode::OK, &state.to_api())?)
        })
        .await
}

/// Capture the authorised amount (only from `authorized`, else 409).
#[utoipa::path(
    operation_id = "capture_payment",
    tag = "payments",
    params(
        ("id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry gets the first answer"),
    ),
    request_body(content = Option<StateChange>, description = "Optional; for imports"),
    responses((status = 200, body = Payment), (status = 409, body = ProblemDoc, content_type = "application/problem+json"))
)]
#[post("/v2/payments/{id}/capture")]
pub async fn capture(
    req: HttpRequest,
    db: web::Data<Db>,
    dry: DryRun,
    key: OptionalIdempotencyKey,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let change: StateChange = optional_body(&body)?;
    let write = Write::new(&req, db, dry, key.0, &change)?;
    transition(write, id.into_inner(), Transition::Capture, change.at).await
}

/// Release the authorisation (only from `authorized`, else 409).
#[utoipa::path(
    operation_id = "void_payment",
    tag = "payments",
    params(
        ("id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry gets the first answer"),
    ),
    request_body(content = Option<StateChange>, description = "Optional; for imports"),
    responses((status = 200, body = Payment), (status = 409, body = ProblemDoc, content_type = "application/problem+json"))
)]
#[post("/v2/payments/{id}/void")]
pub async fn void(
    req: HttpRequest,
    db: web::Data<Db>,
    dry: DryRun,
    key: OptionalIdempotencyKey,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let change: StateChange = optional_body(&body)?;
    let write = Write::new(&req, db, dry, key.0, &change)?;
    transition(write, id.into_inner(), Transition::Void, change.at).await
}

/// Mark an authorised payment failed (else 409).
#[utoipa::path(
    operation_id = "fail_payment",
    tag = "payments",
    params(
        ("id" = Uuid, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry gets the first answer"),
    ),
    request_body = FailPayment,
    responses((status = 200, body = Payment), (status = 409, body = ProblemDoc, content_type = "application/problem+json"))
)]
#[post("/v2/payments/{id}/fail")]
pub async fn fail(
    req: HttpRequest,
    db: web::Data<Db>,
    dry: DryRun,
    key: OptionalIdempotencyKey,
    id: web::Path<Uuid>,
    body: Json<FailPayment>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let write = Write::new(&req, db, dry, key.0, &body)?;
    let FailPayment { reason, at } = body;
    transition(write, id.into_inner(), Transition::Fail(reason), at).await
}
