//! Route group `shipments`: shipping an order, reading and delivering a
//! shipment, served by the fulfillment service.

use super::flow::{Status, lookup_then, one};
use super::{Ctx, Route, Table, id_param, idempotency_key, legacy_body, v2_request, v2_write};
use crate::error::TranslateError;
use crate::exchange::Exchange;
use crate::http::{Method, Request};
use crate::legacy;
use crate::records::orders::shipment_to_legacy;
use crate::records::requests;
use crate::reply::Renames;
use crate::value::LegacyClock;
use fulfillment_api::{Order, Shipment, paths};

/// v2 field names in problem details and their legacy names.
pub const RENAMES: Renames = &[
    ("order_legacy_id", "ord"),
    ("tracking_number", "trk"),
    ("carrier", "carr"),
    ("state", "st"),
    ("created_at", "crt"),
    ("delivered_at", "dlv"),
];

const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        pattern: "/api/v1/orders/*/shipments",
        start: ship,
    },
    Route {
        method: Method::Get,
        pattern: "/api/v1/shipments/*",
        start: get,
    },
    Route {
        method: Method::Post,
        pattern: "/api/v1/shipments/*/deliver",
        start: deliver,
    },
];

pub(crate) fn table(ctx: Ctx) -> Table {
    Table {
        group: "shipments",
        service: super::FULFILLMENT,
        ctx,
        routes: ROUTES,
    }
}

fn to_legacy(
    clock: LegacyClock,
) -> impl FnOnce(&Shipment) -> Result<legacy::Shipment, TranslateError> {
    move |v| shipment_to_legacy(v, &clock)
}

fn ship(ctx: &Ctx, p: &[&str], req: &Request) -> Result<Exchange, TranslateError> {
    let order = id_param(p, 0, "id")?;
    let body: legacy::NewShipment = legacy_body(req)?;
    let (clock, key, legacy_req) = (ctx.clock, idempotency_key(req), req.clone());
    let lookup = v2_request(Method::Get, paths::order_by_legacy_id(order), req);
    Ok(lookup_then(
        "shipments.create",
        lookup,
        RENAMES,
        move |o: &Order| {
            let create = requests::new_shipment(&body);
            let call = v2_write(
                Method::Post,
                &paths::order_ship(o.id),
                &legacy_req,
                &key,
                &create,
            )?;
            Ok(one(
                "shipments.create",
                call,
                &[200, 201],
                Status::Fixed(201),
                RENAMES,
                to_legacy(clock),
            ))
        },
    ))
}

fn get(ctx: &Ctx, p: &[&str], req: &Request) -> Result<Exchange, TranslateError> {
    let id = id_param(p, 0, "id")?;
    let call = v2_request(Method::Get, paths::shipment_by_legacy_id(id), req);
    Ok(one(
        "shipments.get",
        call,
        &[200],
        Status::Same,
        RENAMES,
        to_legacy(ctx.clock),
    ))
}

fn deliver(ctx: &Ctx, p: &[&str], req: &Request) -> Result<Exchange, TranslateError> {
    let id = id_param(p, 0, "id")?;
    let (clock, key, legacy_req) = (ctx.clock, idempotency_key(req), req.clone());
    let lookup = v2_request(Method::Get, paths::shipment_by_legacy_id(id), req);
    Ok(lookup_then(
        "shipments.deliver",
        lookup,
        RENAMES,
        move |s: &Shipment| {
            let call = v2_request(Method::Post, paths::shipment_deliver(s.id), &legacy_req)
                .with_header(super::IDEMPOTENCY_KEY, key.as_str());
            Ok(one(
                "shipments.deliver",
                call,
                &[200],
                Status::Fixed(200),
                RENAMES,
                to_legacy(clock),
            ))
        },
    ))
}
