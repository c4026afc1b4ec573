//! `/v2/shipments/{id}`: read a shipment, deliver it.

use super::write::{self, Keyed};
use crate::actions;
use crate::store::shipments as store;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use fulfillment_api::Shipment;
use platform::Problem;
use platform::db::Db;
use platform::dry_run::DryRun;
use uuid::Uuid;
use v2_common::ProblemDoc;

#[utoipa::path(get, path = "/v2/shipments/{id}", operation_id = "get_shipment", tag = "shipments",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Shipment), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get(db: web::Data<Db>, id: web::Path<Uuid>) -> Result<HttpResponse, Problem> {
    let id = id.into_inner().to_string();
    let shipment = db.read(move |conn| store::get(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(shipment))
}

#[utoipa::path(get, path = "/v2/shipments/by-legacy-id/{legacy_id}", operation_id = "get_shipment_by_legacy_id", tag = "shipments",
    params(("legacy_id" = i64, Path)),
    responses((status = 200, body = Shipment), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_by_legacy_id(
    db: web::Data<Db>,
    legacy_id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let legacy_id = legacy_id.into_inner();
    let shipment = db
        .read(move |conn| store::get_by_legacy_id(conn, legacy_id))
        .await?;
    Ok(HttpResponse::Ok().json(shipment))
}

#[utoipa::path(post, path = "/v2/shipments/{id}/deliver", operation_id = "deliver_shipment", tag = "shipments",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "optional; repeat it to retry safely")),
    responses(
        (status = 200, description = "delivered, with its order", body = Shipment),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "not in transit", body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn deliver(
    http: HttpRequest,
    db: web::Data<Db>,
    id: web::Path<Uuid>,
    dry_run: DryRun,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let keyed = Keyed::optional(&http, &())?;
    write::run(&db, dry_run, keyed, move |conn| {
        Ok((StatusCode::OK, actions::orders::deliver_shipment(conn, id)?))
    })
    .await
}
