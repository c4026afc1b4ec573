//! Route group `orders`: reading orders (`/api/v1/orders/{id}`,
//! `/api/v1/customers/{id}/orders`), served by the fulfillment service.
//!
//! Placing, capturing and cancelling an order are *not* translated: in the
//! monolith each is one transaction over stock, payment and invoice, and once
//! those live in two services it takes the order saga (with compensation) to
//! keep "no money taken for an order that does not exist". The translator
//! answers those routes with [`TranslateError::Unsupported`], so a proxy
//! leaves them on the monolith (or on the saga's endpoint) until then.

use super::flow::{Status, one, page};
use super::{Ctx, Refused, Route, Table, id_param, v2_request};
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

const SAGA: &str = "it spans stock, payment and invoice in two services; \
                    the order saga handles it, not a one-to-one translation";

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
];

const REFUSED: &[Refused] = &[
    Refused {
        method: Method::Post,
        pattern: "/api/v1/orders",
        reason: SAGA,
    },
    Refused {
        method: Method::Post,
        pattern: "/api/v1/orders/*/capture",
        reason: SAGA,
    },
    Refused {
        method: Method::Post,
        pattern: "/api/v1/orders/*/cancel",
        reason: SAGA,
    },
];

pub(crate) fn table(ctx: Ctx) -> Table {
    Table {
        group: "orders",
        service: super::FULFILLMENT,
        ctx,
        routes: ROUTES,
        refused: REFUSED,
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
