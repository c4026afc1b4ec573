//! Route group `invoices`: `/api/v1/invoices/{id}` and
//! `/api/v1/orders/{id}/invoices`, served by the payment service.

use super::flow::{Status, one, page};
use super::{Ctx, Route, Table, id_param, v2_request};
use crate::error::TranslateError;
use crate::exchange::Exchange;
use crate::http::{Method, Request};
use crate::paging::PageRequest;
use crate::records::payments::invoice_to_legacy;
use crate::reply::Renames;
use payment_api::{Invoice, paths};

/// v2 field names in problem details and their legacy names.
pub const RENAMES: Renames = &[
    ("order_legacy_id", "ord"),
    ("customer_legacy_id", "cust"),
    ("number", "no"),
    ("amount", "amt"),
    ("currency", "cur"),
    ("billing", "bill"),
    ("issued_at", "iss"),
];

const ROUTES: &[Route] = &[
    Route {
        method: Method::Get,
        pattern: "/api/v1/invoices/*",
        start: get,
    },
    Route {
        method: Method::Get,
        pattern: "/api/v1/orders/*/invoices",
        start: of_order,
    },
];

pub(crate) fn table(ctx: Ctx) -> Table {
    Table {
        group: "invoices",
        service: super::PAYMENT,
        ctx,
        routes: ROUTES,
    }
}

fn get(ctx: &Ctx, p: &[&str], req: &Request) -> Result<Exchange, TranslateError> {
    let id = id_param(p, 0, "id")?;
    let clock = ctx.clock;
    let call = v2_request(Method::Get, paths::invoice_by_legacy_id(id), req);
    Ok(one(
        "invoices.get",
        call,
        &[200],
        Status::Same,
        RENAMES,
        move |v: &Invoice| invoice_to_legacy(v, &clock),
    ))
}

fn of_order(ctx: &Ctx, p: &[&str], req: &Request) -> Result<Exchange, TranslateError> {
    let order = id_param(p, 0, "id")?;
    let asked = PageRequest::from_query(&req.query)?;
    let clock = ctx.clock;
    let target = paths::invoices_for_order(order, asked.limit(), asked.offset());
    let call = v2_request(Method::Get, target, req);
    Ok(page(
        "invoices.list_for_order",
        call,
        asked,
        RENAMES,
        move |v: &Invoice| invoice_to_legacy(v, &clock),
    ))
}
