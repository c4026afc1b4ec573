//! `/api/v1/orders`: place, read, list by customer, capture, cancel.

use crate::fulfillment::commands::{self, PlaceOrder};
use crate::fulfillment::domain;
use crate::fulfillment::owner::OrderOwners;
use crate::fulfillment::remote_flows;
use crate::fulfillment::store::orders::{self as store, OrderWithLines};
use crate::legacy::{LegacyClock, Page, PageParams, page};
use crate::payments::port::Via;
use crate::ports::Ports;
use actix_web::{HttpResponse, get, post, web};
use platform::Problem;
use platform::db::Db;
use platform::json::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(place)
        .service(read)
        .service(of_customer)
        .service(capture)
        .service(cancel);
}

/// A line of `POST /orders`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLineWire {
    /// SKU.
    pub sku: String,
    /// Quantity, more than 0.
    pub qty: i64,
}

/// Body of `POST /orders`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderWire {
    /// Customer id.
    pub cust: i64,
    /// Lines, 1 to 100, each SKU once.
    pub lines: Vec<NewLineWire>,
    /// `card` (captured at once) or `invoice` (authorised; capture later).
    pub pm: String,
    /// Card token for the gateway (`tok_declined` is always declined).
    pub tok: Option<String>,
}

/// An order line, legacy shape.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineWire {
    /// SKU.
    pub sku: String,
    /// Quantity.
    pub qty: i64,
    /// Unit price at placement, minor units.
    pub px: i64,
    /// qty × px, minor units.
    pub amt: i64,
}

/// An order, legacy shape.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderWire {
    /// Id.
    pub id: i64,
    /// Customer id.
    pub cust: i64,
    /// P pending payment, C confirmed (paid), S shipped, D delivered, X cancelled.
    pub st: String,
    /// ISO 4217 code.
    pub cur: String,
    /// Total, minor units.
    pub tot: i64,
    /// Lines.
    pub lines: Vec<LineWire>,
    /// Payment id.
    pub pay: Option<i64>,
    /// Invoice id.
    pub inv: Option<i64>,
    /// Created, legacy local time.
    pub crt: String,
    /// Last changed, legacy local time.
    pub upd: String,
}

impl OrderWire {
    pub(crate) fn show((o, lines): OrderWithLines, clock: &LegacyClock) -> Self {
        Self {
            id: o.id,
            cust: o.customer_id,
            st: o.status,
            cur: o.currency,
            tot: o.total,
            lines: lines
                .into_iter()
                .map(|l| LineWire {
                    sku: l.sku,
                    qty: l.qty,
                    px: l.unit_price,
                    amt: l.amount,
                })
                .collect(),
            pay: o.payment_id,
            inv: o.invoice_id,
            crt: clock.show(o.created_at),
            upd: clock.show(o.updated_at),
        }
    }
}

/// Places an order: reserves stock, charges, issues the invoice.
#[utoipa::path(tag = "orders", request_body = NewOrderWire, responses(
    (status = 201, body = OrderWire), (status = 402, description = "card declined"),
    (status = 409, description = "insufficient stock"), (status = 422)))]
#[post("/orders")]
async fn place(
    db: web::Data<Db>,
    ports: web::Data<Ports>,
    clock: web::Data<LegacyClock>,
    body: Json<NewOrderWire>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let raw: Vec<(String, i64)> = body.lines.into_iter().map(|l| (l.sku, l.qty)).collect();
    let cmd = PlaceOrder {
        customer_id: body.cust,
        lines: domain::lines(&raw)?,
        method: body.pm,
        token: body.tok,
    };
    let ports = ports.into_inner();
    let order = match ports.payments.for_customer(cmd.customer_id) {
        Via::Local(payments) => {
            db.write(move |conn| commands::place(conn, &ports, payments.as_ref(), cmd))
                .await?
        }
        Via::Remote(remote) => remote_flows::place(&db, ports, &remote, cmd).await?,
    };
    Ok(HttpResponse::Created().json(OrderWire::show(order, &clock)))
}

/// Reads one order.
#[utoipa::path(tag = "orders", params(("id" = i64, Path)), responses((status = 200, body = OrderWire), (status = 404)))]
#[get("/orders/{id}")]
async fn read(
    db: web::Data<Db>,
    clock: web::Data<LegacyClock>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let order = db.read(move |conn| store::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(OrderWire::show(order, &clock)))
}

/// Lists a customer's orders, oldest first.
#[utoipa::path(tag = "orders", params(("id" = i64, Path), PageParams), responses((status = 200, body = Page<OrderWire>)))]
#[get("/customers/{id}/orders")]
async fn of_customer(
    db: web::Data<Db>,
    clock: web::Data<LegacyClock>,
    id: web::Path<i64>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    page::respond(
        &db,
        query.into_inner(),
        move |conn, page| store::of_customer(conn, id, page),
        |o| OrderWire::show(o, &clock),
    )
    .await
}

/// Captures the payment of a pay-on-invoice order (P → C).
#[utoipa::path(tag = "orders", params(("id" = i64, Path)), responses((status = 200, body = OrderWire), (status = 404), (status = 409, description = "not pending, or the fulfillment service owns the order")))]
#[post("/orders/{id}/capture")]
async fn capture(
    db: web::Data<Db>,
    ports: web::Data<Ports>,
    owners: web::Data<OrderOwners>,
    clock: web::Data<LegacyClock>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    owners.check(id, "capture")?;
    let (current, _) = db.read(move |conn| store::get(conn, id)).await?;
    let via = match current.payment_id {
        Some(p) => Some(ports.payments.for_write(&db, p).await?),
        None => None,
    };
    let order = match via {
        Some(Via::Remote(remote)) => remote_flows::capture(&db, &remote, id, &current).await?,
        Some(Via::Local(payments)) => {
            db.write(move |conn| commands::capture(conn, Some(payments.as_ref()), id))
                .await?
        }
        None => {
            db.write(move |conn| commands::capture(conn, None, id))
                .await?
        }
    };
    Ok(HttpResponse::Ok().json(OrderWire::show(order, &clock)))
}

/// Cancels an order (P or C → X): releases stock, refunds or voids the payment.
#[utoipa::path(tag = "orders", params(("id" = i64, Path)), responses((status = 200, body = OrderWire), (status = 404), (status = 409, description = "not cancellable, or the fulfillment service owns the order")))]
#[post("/orders/{id}/cancel")]
async fn cancel(
    db: web::Data<Db>,
    ports: web::Data<Ports>,
    owners: web::Data<OrderOwners>,
    clock: web::Data<LegacyClock>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    owners.check(id, "cancel")?;
    let (current, _) = db.read(move |conn| store::get(conn, id)).await?;
    let via = match current.payment_id {
        Some(p) => Some((p, ports.payments.for_write(&db, p).await?)),
        None => None,
    };
    let order = match via {
        Some((payment_id, Via::Remote(remote))) => {
            remote_flows::cancel(&db, &remote, id, payment_id).await?
        }
        Some((_, Via::Local(payments))) => {
            db.write(move |conn| commands::cancel(conn, Some(payments.as_ref()), id))
                .await?
        }
        None => {
            db.write(move |conn| commands::cancel(conn, None, id))
                .await?
        }
    };
    Ok(HttpResponse::Ok().json(OrderWire::show(order, &clock)))
}
