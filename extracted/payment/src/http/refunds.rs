//! Refunds: `POST/GET /v2/payments/{id}/refunds`, `GET /v2/refunds/…`.

use super::support::{Write, page, read};
use crate::ledger::{commands, queries};
use crate::legacy_ids::LegacyIds;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use payment_api::{CreateRefund, Refund};
use platform::Problem;
use platform::db::Db;
use platform::dry_run::DryRun;
use platform::idempotency::{IdempotencyKey, StoredResponse};
use platform::json::Json;
use uuid::Uuid;
use v2_common::{Page, PageParams, ProblemDoc};

/// Refund part or all of a captured payment (never above captured minus refunded: 409).
#[utoipa::path(
    operation_id = "create_refund",
    tag = "refunds",
    request_body = CreateRefund,
    params(
        ("id" = Uuid, Path),
        ("Idempotency-Key" = String, Header, description = "Makes retries safe (required)"),
        ("X-Strangler-Dry-Run" = Option<String>, Header, description = "1: roll everything back"),
    ),
    responses(
        (status = 201, body = Refund),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
#[post("/v2/payments/{id}/refunds")]
pub async fn create(
    req: HttpRequest,
    db: web::Data<Db>,
    ids: web::Data<LegacyIds>,
    key: IdempotencyKey,
    dry: DryRun,
    id: web::Path<Uuid>,
    body: Json<CreateRefund>,
) -> Result<HttpResponse, Problem> {
    let (id, body) = (id.into_inner(), body.into_inner());
    let write = Write::new(&req, db, dry, Some(key), &body)?;
    let ids = **ids;
    write
        .respond(move |conn| {
            let (_, refund) = commands::refund(conn, &ids, id, &body)?;
            Ok(StoredResponse::json(StatusCode::CREATED, &refund)?)
        })
        .await
}

/// A payment's refunds, oldest first.
#[utoipa::path(operation_id = "list_refunds", tag = "refunds", params(("id" = Uuid, Path), PageParams), responses((status = 200, body = Page<Refund>), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
#[get("/v2/payments/{id}/refunds")]
pub async fn list(
    db: web::Data<Db>,
    id: web::Path<Uuid>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, Problem> {
    let (limit, offset) = page(query.limit, query.offset)?;
    let id = id.into_inner();
    let page = read(&db, move |c| queries::refunds_page(c, id, limit, offset)).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One refund.
#[utoipa::path(operation_id = "get_refund", tag = "refunds", params(("id" = Uuid, Path)), responses((status = 200, body = Refund), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
#[get("/v2/refunds/{id}")]
pub async fn get_one(db: web::Data<Db>, id: web::Path<Uuid>) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let refund = read(&db, move |c| queries::refund(c, id)).await?;
    Ok(HttpResponse::Ok().json(refund))
}

/// One refund by its legacy id.
#[utoipa::path(operation_id = "get_refund_by_legacy_id", tag = "refunds", params(("legacy_id" = i64, Path)), responses((status = 200, body = Refund), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
#[get("/v2/refunds/by-legacy-id/{legacy_id}")]
pub async fn by_legacy_id(
    db: web::Data<Db>,
    legacy_id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let legacy_id = legacy_id.into_inner();
    let refund = read(&db, move |c| queries::refund_by_legacy_id(c, legacy_id)).await?;
    Ok(HttpResponse::Ok().json(refund))
}
