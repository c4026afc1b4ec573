//! `/api/v1/shipments` and shipping an order.

use crate::fulfillment::commands;
use crate::fulfillment::owner::OrderOwners;
use crate::fulfillment::store::shipments::{self as store, ShipmentRow};
use crate::legacy::LegacyClock;
use actix_web::{HttpResponse, get, post, web};
use platform::Problem;
use platform::db::Db;
use platform::json::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(ship).service(read).service(deliver);
}

/// Body of `POST /orders/{id}/shipments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShipmentWire {
    /// Carrier name.
    pub carr: String,
}

/// A shipment, legacy shape.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipmentWire {
    /// Id.
    pub id: i64,
    /// Order id.
    pub ord: i64,
    /// S shipped, D delivered.
    pub st: String,
    /// Carrier.
    pub carr: String,
    /// Tracking number.
    pub trk: String,
    /// Shipped, legacy local time.
    pub crt: String,
    /// Delivered, legacy local time; null until then.
    pub dlv: Option<String>,
}

impl ShipmentWire {
    pub(crate) fn show(s: ShipmentRow, clock: &LegacyClock) -> Self {
        Self {
            id: s.id,
            ord: s.order_id,
            st: s.status,
            carr: s.carrier,
            trk: s.tracking,
            crt: clock.show(s.created_at),
            dlv: s.delivered_at.map(|t| clock.show(t)),
        }
    }
}

/// Ships a paid order.
#[utoipa::path(tag = "shipments", params(("id" = i64, Path)), request_body = NewShipmentWire, responses(
    (status = 201, body = ShipmentWire), (status = 404), (status = 409, description = "order not paid, or not shippable, or the fulfillment service owns it")))]
#[post("/orders/{id}/shipments")]
async fn ship(
    db: web::Data<Db>,
    owners: web::Data<OrderOwners>,
    clock: web::Data<LegacyClock>,
    id: web::Path<i64>,
    body: Json<NewShipmentWire>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    owners.check(id, "ship")?;
    let carrier = crate::legacy::text("carr", &body.carr, 50)?;
    let shipment = db
        .write(move |conn| commands::ship(conn, id, &carrier))
        .await?;
    Ok(HttpResponse::Created().json(ShipmentWire::show(shipment, &clock)))
}

/// Reads one shipment.
#[utoipa::path(tag = "shipments", params(("id" = i64, Path)), responses((status = 200, body = ShipmentWire), (status = 404)))]
#[get("/shipments/{id}")]
async fn read(
    db: web::Data<Db>,
    clock: web::Data<LegacyClock>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let shipment = db.read(move |conn| store::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(ShipmentWire::show(shipment, &clock)))
}

/// Marks a shipment delivered (and its order).
#[utoipa::path(tag = "shipments", params(("id" = i64, Path)), responses((status = 200, body = ShipmentWire), (status = 404), (status = 409, description = "delivered already, or the fulfillment service owns its order")))]
#[post("/shipments/{id}/deliver")]
async fn deliver(
    db: web::Data<Db>,
    owners: web::Data<OrderOwners>,
    clock: web::Data<LegacyClock>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let order_id = db.read(move |conn| store::get(conn, id)).await?.order_id;
    owners.check(order_id, "deliver")?;
    let shipment = db.write(move |conn| commands::deliver(conn, id)).await?;
    Ok(HttpResponse::Ok().json(ShipmentWire::show(shipment, &clock)))
}
