//! `/v2/invoices`: issue, read, list, pay, void, credit.

use super::support::{Write, optional_body, page, read};
use crate::invoices::{self, commands};
use crate::legacy_ids::LegacyIds;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use payment_api::{Invoice, InvoiceListQuery, InvoiceStatus, IssueInvoice, StateChange};
use platform::Problem;
use platform::db::Db;
use platform::dry_run::DryRun;
use platform::idempotency::{IdempotencyKey, OptionalIdempotencyKey, StoredResponse};
use platform::json::Json;
use uuid::Uuid;
use v2_common::{Page, ProblemDoc};

/// Issue an invoice with a snapshot of the billing details.
#[utoipa::path(
    operation_id = "create_invoice",
    tag = "invoices",
    request_body = IssueInvoice,
    params(
        ("Idempotency-Key" = String, Header, description = "Makes retries safe (required)"),
        ("X-Strangler-Dry-Run" = Option<String>, Header, description = "1: roll everything back"),
    ),
    responses(
        (status = 201, body = Invoice),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
#[post("/v2/invoices")]
pub async fn create(
    req: HttpRequest,
    db: web::Data<Db>,
    ids: web::Data<LegacyIds>,
    key: IdempotencyKey,
    dry: DryRun,
    body: Json<IssueInvoice>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let write = Write::new(&req, db, dry, Some(key), &body)?;
    let ids = **ids;
    write
        .respond(move |conn| {
            let invoice = commands::issue(conn, &ids, &body)?;
            Ok(StoredResponse::json(StatusCode::CREATED, &invoice)?)
        })
        .await
}

/// One invoice.
#[utoipa::path(operation_id = "get_invoice", tag = "invoices", params(("id" = Uuid, Path)), responses((status = 200, body = Invoice), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
#[get("/v2/invoices/{id}")]
pub async fn get_one(db: web::Data<Db>, id: web::Path<Uuid>) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let invoice = read(&db, move |c| Ok(invoices::row(c, id)?.to_api()?)).await?;
    Ok(HttpResponse::Ok().json(invoice))
}

/// One invoice by its legacy id.
#[utoipa::path(operation_id = "get_invoice_by_legacy_id", tag = "invoices", params(("legacy_id" = i64, Path)), responses((status = 200, body = Invoice), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
#[get("/v2/invoices/by-legacy-id/{legacy_id}")]
pub async fn by_legacy_id(
    db: web::Data<Db>,
    legacy_id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let legacy_id = legacy_id.into_inner();
    let invoice = read(&db, move |c| invoices::by_legacy_id(c, legacy_id)).await?;
    Ok(HttpResponse::Ok().json(invoice))
}

/// Invoices, optionally of one order, by legacy id.
#[utoipa::path(operation_id = "list_invoices", tag = "invoices", params(InvoiceListQuery), responses((status = 200, body = Page<Invoice>)))]
#[get("/v2/invoices")]
pub async fn list(
    db: web::Data<Db>,
    query: web::Query<InvoiceListQuery>,
) -> Result<HttpResponse, Problem> {
    let (limit, offset) = page(query.limit, query.offset)?;
    let order = query.order_legacy_id;
    let page = read(&db, move |c| invoices::page(c, order, limit, offset)).await?;
    Ok(HttpResponse::Ok().json(page))
}

async fn transition(
    req: HttpRequest,
    db: web::Data<Db>,
    dry: DryRun,
    key: OptionalIdempotencyKey,
    id: Uuid,
    to: InvoiceStatus,
    body: &[u8],
) -> Result<HttpResponse, Problem> {
    let change: StateChange = optional_body(body)?;
    let write = Write::new(&req, db, dry, key.0, &change)?;
    write
        .respond(move |c| {
            let invoice = commands::transition(c, id, to, change.at)?;
            Ok(StoredResponse::json(StatusCode::OK, &invoice)?)
        })
        .await
}

/// The invoice was paid (only from `open`, else 409).
#[utoipa::path(operation_id = "pay_invoice", tag = "invoices", params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry gets the first answer")), request_body(content = Option<StateChange>, description = "Optional; for imports"), responses((status = 200, body = Invoice), (status = 409, body = ProblemDoc, content_type = "application/problem+json")))]
#[post("/v2/invoices/{id}/pay")]
pub async fn pay(
    req: HttpRequest,
    db: web::Data<Db>,
    dry: DryRun,
    key: OptionalIdempotencyKey,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    transition(req, db, dry, key, id, InvoiceStatus::Paid, &body).await
}

/// Void an unpaid invoice (only from `open`, else 409).
#[utoipa::path(operation_id = "void_invoice", tag = "invoices", params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry gets the first answer")), request_body(content = Option<StateChange>, description = "Optional; for imports"), responses((status = 200, body = Invoice), (status = 409, body = ProblemDoc, content_type = "application/problem+json")))]
#[post("/v2/invoices/{id}/void")]
pub async fn void(
    req: HttpRequest,
    db: web::Data<Db>,
    dry: DryRun,
    key: OptionalIdempotencyKey,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    transition(req, db, dry, key, id, InvoiceStatus::Void, &body).await
}

/// Credit a paid invoice (only from `paid`, else 409).
#[utoipa::path(operation_id = "credit_invoice", tag = "invoices", params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry gets the first answer")), request_body(content = Option<StateChange>, description = "Optional; for imports"), responses((status = 200, body = Invoice), (status = 409, body = ProblemDoc, content_type = "application/problem+json")))]
#[post("/v2/invoices/{id}/credit")]
pub async fn credit(
    req: HttpRequest,
    db: web::Data<Db>,
    dry: DryRun,
    key: OptionalIdempotencyKey,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    transition(req, db, dry, key, id, InvoiceStatus::Credited, &body).await
}
