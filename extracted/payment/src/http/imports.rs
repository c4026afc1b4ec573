//! `/v2/imports/*` (backfill writes) and `/v2/exports/*` (verification
//! reads): the data-migration side of the service (see [`crate::imports`]).

use super::support::read;
use crate::imports::{self, check_batch_size, export};
use crate::legacy_ids::LegacyIds;
use actix_web::{HttpResponse, get, post, web};
use payment_api::export::InvoiceExportPage;
use payment_api::{
    ExportPage, ExportQuery, ImportInvoices, ImportPayments, ImportReport, PaymentExport,
};
use platform::Problem;
use platform::db::Db;
use platform::dry_run::DryRun;
use platform::json::Json;
use v2_common::ProblemDoc;

/// Import payments with their history: no gateway call, no event
/// published; one outcome per record; a legacy id already present is left as
/// it is.
#[utoipa::path(
    operation_id = "import_payments",
    tag = "imports",
    request_body = ImportPayments,
    params(("X-Strangler-Dry-Run" = Option<String>, Header, description = "1: check everything, keep nothing")),
    responses(
        (status = 200, body = ImportReport, description = "one result per record: imported, already_imported or refused (with the reason)"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
#[post("/v2/imports/payments")]
pub async fn import_payments(
    db: web::Data<Db>,
    ids: web::Data<LegacyIds>,
    dry: DryRun,
    body: Json<ImportPayments>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    check_batch_size("payments", body.payments.len())?;
    let ids = **ids;
    let results = db
        .write_or_rollback(dry.enabled(), move |conn| {
            imports::each(
                conn,
                &body.payments,
                |p| p.legacy_id,
                |c, p| imports::payments::import(c, &ids, p),
            )
        })
        .await
        .map_err(Problem::from)?;
    Ok(dry.mark(HttpResponse::Ok().json(ImportReport { results })))
}

/// Import invoices as they stand: no event published; one outcome per record.
#[utoipa::path(
    operation_id = "import_invoices",
    tag = "imports",
    request_body = ImportInvoices,
    params(("X-Strangler-Dry-Run" = Option<String>, Header, description = "1: check everything, keep nothing")),
    responses(
        (status = 200, body = ImportReport),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
#[post("/v2/imports/invoices")]
pub async fn import_invoices(
    db: web::Data<Db>,
    ids: web::Data<LegacyIds>,
    dry: DryRun,
    body: Json<ImportInvoices>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    check_batch_size("invoices", body.invoices.len())?;
    let ids = **ids;
    let results = db
        .write_or_rollback(dry.enabled(), move |conn| {
            imports::each(
                conn,
                &body.invoices,
                |i| i.legacy_id,
                |c, i| imports::invoices::import(c, &ids, i),
            )
        })
        .await
        .map_err(Problem::from)?;
    Ok(dry.mark(HttpResponse::Ok().json(ImportReport { results })))
}

/// Every payment with its refunds, by legacy id (keyset paged).
#[utoipa::path(operation_id = "export_payments", tag = "imports", params(ExportQuery),
    responses((status = 200, body = ExportPage<PaymentExport>), (status = 400, body = ProblemDoc, content_type = "application/problem+json")))]
#[get("/v2/exports/payments")]
pub async fn export_payments(
    db: web::Data<Db>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, Problem> {
    let (after, limit) = check(&query)?;
    let page = read(&db, move |c| export::payments(c, after, limit)).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Every invoice, by legacy id (keyset paged).
#[utoipa::path(operation_id = "export_invoices", tag = "imports", params(ExportQuery),
    responses((status = 200, body = InvoiceExportPage), (status = 400, body = ProblemDoc, content_type = "application/problem+json")))]
#[get("/v2/exports/invoices")]
pub async fn export_invoices(
    db: web::Data<Db>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, Problem> {
    let (after, limit) = check(&query)?;
    let page = read(&db, move |c| export::invoices(c, after, limit)).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A bad cursor or page size is a bad query string (400).
fn check(q: &ExportQuery) -> Result<(i64, u32), Problem> {
    q.by_id()
        .map_err(|e| Problem::bad_request(e.detail).with("field", e.field))
}
