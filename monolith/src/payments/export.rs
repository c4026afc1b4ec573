//! `/api/v1/export/payments` and `/api/v1/export/invoices`: every payment
//! (with its refunds) and every invoice, in id order, page by page, in the
//! legacy shapes: what a data migration reads (see `legacy::export`).

use super::http::{InvoiceWire, PaymentWire, RefundWire};
use super::store;
use crate::legacy::LegacyClock;
use crate::legacy::export::{self, Export, ExportParams};
use actix_web::{HttpResponse, get, web};
use platform::Problem;
use platform::db::Db;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the export routes (under `/api/v1`).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(export_payments).service(export_invoices);
}

/// A payment with its refunds (oldest first), legacy shapes.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentExportWire {
    /// The payment, as `GET /payments/{id}` shows it.
    pub payment: PaymentWire,
    /// Its refunds, as `GET /payments/{id}/refunds` shows them, in id order.
    pub refunds: Vec<RefundWire>,
}

/// Every payment with its refunds, in id order (keyset paged).
#[utoipa::path(tag = "export", params(ExportParams), responses(
    (status = 200, body = Export<PaymentExportWire>),
    (status = 400, description = "after below 0, limit outside 1..=1000")))]
#[get("/export/payments")]
async fn export_payments(
    db: web::Data<Db>,
    clock: web::Data<LegacyClock>,
    query: web::Query<ExportParams>,
) -> Result<HttpResponse, Problem> {
    export::respond(
        &db,
        query.into_inner(),
        |conn, req| store::payments_after(conn, req.after, req.limit),
        |(p, _)| p.id,
        |(p, refunds)| PaymentExportWire {
            payment: PaymentWire::show(p, &clock),
            refunds: refunds
                .into_iter()
                .map(|r| RefundWire::show(r, &clock))
                .collect(),
        },
    )
    .await
}

/// Every invoice, in id order (keyset paged).
#[utoipa::path(tag = "export", params(ExportParams), responses(
    (status = 200, body = Export<InvoiceWire>),
    (status = 400, description = "after below 0, limit outside 1..=1000")))]
#[get("/export/invoices")]
async fn export_invoices(
    db: web::Data<Db>,
    clock: web::Data<LegacyClock>,
    query: web::Query<ExportParams>,
) -> Result<HttpResponse, Problem> {
    export::respond(
        &db,
        query.into_inner(),
        |conn, req| store::invoices_after(conn, req.after, req.limit),
        |i| i.id,
        |i| InvoiceWire::show(i, &clock),
    )
    .await
}
