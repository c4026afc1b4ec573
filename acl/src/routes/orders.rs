//! Route group `orders`: reading orders (`/api/v1/orders/{id}`,
//! `/api/v1/customers/{id}/orders`), served by the fulfillment service, and
//! placing, capturing and cancelling them, which in the monolith is one
//! transaction over stock and payment and across two services is the
//! fulfillment service's order saga (see `order_sagas`).

use super::flow::{Status, one, page};
use super::order_sagas::{cancel, capture, place};
use super::{Ctx, Route, Table, id_param, v2_request};
use crate::error::TranslateError;
use crate::exchange::Exchange;
use crate::http::{Method, Request};
use crate::paging::PageRequest;
use crate::records::orders::order_to_legacy;
use crate::reply::Renames;
use fulfillment_api::{Order, paths};

/// v2 field names in problem details and their legacy names.
pub const RENAMES: Renames = &[
    ("customer_legacy_id", "cust"),
    // the saga's `customer 7 does not exist` is the monolith's `cust 7 ...`
    ("customer", "cust"),
    ("payment_legacy_id", "pay"),
    ("invoice_legacy_id", "inv"),
    ("unit_price", "px"),
    ("quantity", "qty"),
    ("amount", "amt"),
    ("total", "tot"),
    ("state", "st"),
    ("created_at", "crt"),
    ("updated_at", "upd"),
];

const ROUTES: &[Route] = &[
    Route {
        method: Method::Get,
        pattern: "/api/v1/orders/*",
        start: get,
    },
    Route {
        method: Method::Get,
        pattern: "/api/v1/customers/*/orders",
        start: of_customer,
    },
    Route {
        method: Method::Post,
        pattern: "/api/v1/orders",
        start: place,
    },
    Route {
        method: Method::Post,
        pattern: "/api/v1/orders/*/capture",
        start: capture,
    },
    Route {
        method: Method::Post,
        pattern: "/api/v1/orders/*/cancel",
        start: cancel,
    },
];

pub(crate) fn table(ctx: Ctx) -> Table {
    Table {
        group: "orders",
        service: super::FULFILLMENT,
        ctx,
        routes: ROUTES,
    }
}

fn get(ctx: &Ctx, p: &[&str], req: &Request) -> Result<Exchange, TranslateError> {
    let id = id_param(p, 0, "id")?;
    let clock = ctx.clock;
    let call = v2_request(Method::Get, paths::order_by_legacy_id(id), req);
    Ok(one(
        "orders.get",
        call,
        &[200],
        Status::Same,
        RENAMES,
        move |v: &Order| order_to_legacy(v, &clock),
    ))
}

fn of_customer(ctx: &Ctx, p: &[&str], req: &Request) -> Result<Exchange, TranslateError> {
    let customer = id_param(p, 0, "id")?;
    let asked = PageRequest::from_query(&req.query)?;
    let clock = ctx.clock;
    let target = paths::orders_of_customer(customer, asked.limit(), asked.offset());
    let call = v2_request(Method::Get, target, req);
    Ok(page(
        "orders.list_for_customer",
        call,
        asked,
        RENAMES,
        move |v: &Order| order_to_legacy(v, &clock),
    ))
}
