//! `/v2/orders`: place (idempotent), read, list by customer, and move through
//! the life cycle (confirm, ship, deliver, cancel).

use super::Config;
use super::write::{self, Keyed};
use crate::actions;
use crate::domain::{validate_confirm, validate_new_order, validate_ship};
use crate::store::orders as store;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use fulfillment_api::{CancelOrder, ConfirmOrder, NewOrder, Order, Page, ShipOrder, Shipment};
use platform::Problem;
use platform::db::Db;
use platform::dry_run::DryRun;
use platform::idempotency::IdempotencyKey;
use serde::Deserialize;
use uuid::Uuid;
use v2_common::{PageParams, ProblemDoc};

/// A body that may be empty (then the command's defaults apply).
fn optional_json<T: Default + serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            Problem::unprocessable(format!("the JSON body does not fit: {e}"))
        } else {
            Problem::bad_request(format!("the body is not valid JSON: {e}"))
        }
    })
}

#[utoipa::path(post, path = "/v2/orders", operation_id = "place_order", tag = "orders",
    params(("Idempotency-Key" = String, Header, description = "required; repeat it to retry safely")),
    request_body = NewOrder,
    responses(
        (status = 201, body = Order),
        (status = 400, description = "missing Idempotency-Key or unreadable body", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "not enough stock, or legacy id taken", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "invalid order, or key reused for another request", body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn create(
    req: HttpRequest,
    db: web::Data<Db>,
    cfg: web::Data<Config>,
    key: IdempotencyKey,
    dry_run: DryRun,
    body: web::Json<NewOrder>,
) -> Result<HttpResponse, Problem> {
    let order = body.into_inner();
    validate_new_order(&order, cfg.legacy_ids)?;
    let keyed = Keyed::required(&req, key, &order)?;
    write::run(&db, dry_run, Some(keyed), move |conn| {
        Ok((StatusCode::CREATED, actions::orders::place(conn, &order)?))
    })
    .await
}

/// `?customer_legacy_id=&limit=&offset=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Whose orders (required).
    customer_legacy_id: i64,
    /// Page size, 1–100 (default 20).
    limit: Option<u32>,
    /// Orders to skip (default 0).
    offset: Option<u64>,
}

#[utoipa::path(get, path = "/v2/orders", operation_id = "list_orders", tag = "orders",
    params(ListQuery),
    responses((status = 200, body = Page<Order>), (status = 400, body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn list(
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, Problem> {
    let q = query.into_inner();
    let (limit, offset) = PageParams {
        limit: q.limit,
        offset: q.offset,
    }
    .validate()
    .map_err(|e| Problem::bad_request(e.to_string()))?;
    let customer = q.customer_legacy_id;
    let page = db
        .read(move |conn| store::list_by_customer(conn, customer, limit, offset))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(get, path = "/v2/orders/{id}", operation_id = "get_order", tag = "orders",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Order), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get(db: web::Data<Db>, id: web::Path<Uuid>) -> Result<HttpResponse, Problem> {
    let id = id.into_inner().to_string();
    let order = db.read(move |conn| store::get(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(order))
}

#[utoipa::path(get, path = "/v2/orders/by-legacy-id/{legacy_id}", operation_id = "get_order_by_legacy_id", tag = "orders",
    params(("legacy_id" = i64, Path)),
    responses((status = 200, body = Order), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_by_legacy_id(
    db: web::Data<Db>,
    legacy_id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let legacy_id = legacy_id.into_inner();
    let order = db
        .read(move |conn| store::get_by_legacy_id(conn, legacy_id))
        .await?;
    Ok(HttpResponse::Ok().json(order))
}

#[utoipa::path(post, path = "/v2/orders/{id}/confirm", operation_id = "confirm_order", tag = "orders",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "optional; repeat it to retry safely")),
    request_body(content = ConfirmOrder, description = "may be empty"),
    responses((status = 200, body = Order), (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "not pending", body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn confirm(
    http: HttpRequest,
    db: web::Data<Db>,
    id: web::Path<Uuid>,
    dry_run: DryRun,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let req: ConfirmOrder = optional_json(&body)?;
    validate_confirm(&req)?;
    let id = id.into_inner();
    let keyed = Keyed::optional(&http, &req)?;
    write::run(&db, dry_run, keyed, move |conn| {
        Ok((StatusCode::OK, actions::orders::confirm(conn, id, &req)?))
    })
    .await
}

#[utoipa::path(post, path = "/v2/orders/{id}/ship", operation_id = "ship_order", tag = "orders",
    params(("id" = Uuid, Path),
        ("Idempotency-Key" = String, Header, description = "required; repeat it to retry safely")),
    request_body = ShipOrder,
    responses((status = 201, body = Shipment), (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "not confirmed", body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn ship(
    req: HttpRequest,
    db: web::Data<Db>,
    cfg: web::Data<Config>,
    id: web::Path<Uuid>,
    key: IdempotencyKey,
    dry_run: DryRun,
    body: web::Json<ShipOrder>,
) -> Result<HttpResponse, Problem> {
    let ship = body.into_inner();
    validate_ship(&ship, cfg.legacy_ids)?;
    let id = id.into_inner();
    let keyed = Keyed::required(&req, key, &ship)?;
    write::run(&db, dry_run, Some(keyed), move |conn| {
        Ok((StatusCode::CREATED, actions::orders::ship(conn, id, &ship)?))
    })
    .await
}

#[utoipa::path(post, path = "/v2/orders/{id}/deliver", operation_id = "deliver_order", tag = "orders",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "optional; repeat it to retry safely")),
    responses((status = 200, body = Order), (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "not shipped", body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn deliver(
    http: HttpRequest,
    db: web::Data<Db>,
    id: web::Path<Uuid>,
    dry_run: DryRun,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let keyed = Keyed::optional(&http, &())?;
    write::run(&db, dry_run, keyed, move |conn| {
        Ok((StatusCode::OK, actions::orders::deliver_order(conn, id)?))
    })
    .await
}

#[utoipa::path(post, path = "/v2/orders/{id}/cancel", operation_id = "cancel_order", tag = "orders",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "optional; repeat it to retry safely")),
    request_body(content = CancelOrder, description = "may be empty"),
    responses((status = 200, body = Order), (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "already shipped, delivered or cancelled", body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn cancel(
    http: HttpRequest,
    db: web::Data<Db>,
    id: web::Path<Uuid>,
    dry_run: DryRun,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let req: CancelOrder = optional_json(&body)?;
    let id = id.into_inner();
    let keyed = Keyed::optional(&http, &req)?;
    write::run(&db, dry_run, keyed, move |conn| {
        Ok((StatusCode::OK, actions::orders::cancel(conn, id, &req)?))
    })
    .await
}
