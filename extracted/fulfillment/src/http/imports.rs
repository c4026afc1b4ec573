//! `/v2/imports/orders`: backfill of the monolith's orders (see
//! `fulfillment_api::import`).

use super::Config;
use super::write::{self, Keyed};
use crate::actions;
use crate::domain::validate_import;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use fulfillment_api::{ImportOrder, Order};
use platform::Problem;
use platform::db::Db;
use platform::dry_run::DryRun;
use v2_common::ProblemDoc;

#[utoipa::path(post, path = "/v2/imports/orders", operation_id = "import_order", tag = "orders",
    params(("Idempotency-Key" = Option<String>, Header, description = "optional; re-importing a legacy id is safe anyway")),
    request_body = ImportOrder,
    responses(
        (status = 201, description = "imported", body = Order),
        (status = 200, description = "already imported under this legacy id; unchanged", body = Order),
        (status = 409, description = "not enough stock for an open order, or shipment legacy id taken", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "invalid import", body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn import_order(
    http: HttpRequest,
    db: web::Data<Db>,
    cfg: web::Data<Config>,
    dry_run: DryRun,
    body: web::Json<ImportOrder>,
) -> Result<HttpResponse, Problem> {
    let req = body.into_inner();
    validate_import(&req, cfg.legacy_ids)?;
    let keyed = Keyed::optional(&http, &req)?;
    write::run(&db, dry_run, keyed, move |conn| {
        let (order, created) = actions::orders::import(conn, &req)?;
        Ok((
            if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            order,
        ))
    })
    .await
}
