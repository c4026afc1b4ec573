//! Route group `payments`: `/api/v1/payments/{id}`, a payment's refunds, and
//! `/api/v1/orders/{id}/payments`, served by the payment service.

use super::flow::{Status, lookup_then, one, page};
use super::{Ctx, Route, Table, id_param, idempotency_key, legacy_body, v2_request, v2_write};
use crate::error::{FieldPath, TranslateError};
use crate::exchange::Exchange;
use crate::http::{Method, Request};
use crate::legacy;
use crate::paging::PageRequest;
use crate::records::payments::{payment_to_legacy, refund_to_legacy};
use crate::records::requests;
use crate::reply::Renames;
use crate::value::money;
use payment_api::{Payment, Refund, paths};

/// v2 field names in problem details and their legacy names.
pub const RENAMES: Renames = &[
    ("order_legacy_id", "ord"),
    ("payment_legacy_id", "pay"),
    ("captured", "cap"),
    ("refunded", "rfd"),
    ("amount", "amt"),
    ("reason", "rsn"),
    ("currency", "cur"),
    ("method", "pm"),
    ("created_at", "crt"),
    ("updated_at", "upd"),
];

const ROUTES: &[Route] = &[
    Route {
        method: Method::Get,
        pattern: "/api/v1/payments/*",
        start: get,
    },
    Route {
        method: Method::Get,
        pattern: "/api/v1/orders/*/payments",
        start: of_order,
    },
    Route {
        method: Method::Post,
        pattern: "/api/v1/payments/*/refunds",
        start: refund,
    },
    Route {
        method: Method::Get,
        pattern: "/api/v1/payments/*/refunds",
        start: refunds,
    },
];

pub(crate) fn table(ctx: Ctx) -> Table {
    Table {
        group: "payments",
        service: super::PAYMENT,
        ctx,
        routes: ROUTES,
    }
}

fn get(ctx: &Ctx, p: &[&str], req: &Request) -> Result<Exchange, TranslateError> {
    let id = id_param(p, 0, "id")?;
    let clock = ctx.clock;
    let call = v2_request(Method::Get, paths::payment_by_legacy_id(id), req);
    Ok(one(
        "payments.get",
        call,
        &[200],
        Status::Same,
        RENAMES,
        move |v: &Payment| payment_to_legacy(v, &clock),
    ))
}

fn of_order(ctx: &Ctx, p: &[&str], req: &Request) -> Result<Exchange, TranslateError> {
    let order = id_param(p, 0, "id")?;
    let asked = PageRequest::from_query(&req.query)?;
    let clock = ctx.clock;
    let target = paths::payments_for_order(order, asked.limit(), asked.offset());
    let call = v2_request(Method::Get, target, req);
    Ok(page(
        "payments.list_for_order",
        call,
        asked,
        RENAMES,
        move |v: &Payment| payment_to_legacy(v, &clock),
    ))
}

fn refund(ctx: &Ctx, p: &[&str], req: &Request) -> Result<Exchange, TranslateError> {
    let id = id_param(p, 0, "id")?;
    let body: legacy::NewRefund = legacy_body(req)?;
    // The sign is the client's mistake whatever the currency: refuse it now,
    // before any call, as the monolith does.
    money::non_negative(&FieldPath::field("amt"), body.amt)?;
    let (clock, key, legacy_req) = (ctx.clock, idempotency_key(req), req.clone());
    let lookup = v2_request(Method::Get, paths::payment_by_legacy_id(id), req);
    Ok(lookup_then(
        "refunds.create",
        lookup,
        RENAMES,
        move |pay: &Payment| {
            let create = requests::new_refund(&body, pay.amount.currency())?;
            let call = v2_write(
                Method::Post,
                &paths::refunds(pay.id),
                &legacy_req,
                &key,
                &create,
            )?;
            Ok(one(
                "refunds.create",
                call,
                &[200, 201],
                Status::Fixed(201),
                RENAMES,
                move |v: &Refund| refund_to_legacy(v, &clock),
            ))
        },
    ))
}

fn refunds(ctx: &Ctx, p: &[&str], req: &Request) -> Result<Exchange, TranslateError> {
    let id = id_param(p, 0, "id")?;
    let asked = PageRequest::from_query(&req.query)?;
    let (clock, legacy_req) = (ctx.clock, req.clone());
    let lookup = v2_request(Method::Get, paths::payment_by_legacy_id(id), req);
    Ok(lookup_then(
        "refunds.list",
        lookup,
        RENAMES,
        move |pay: &Payment| {
            let target = paths::refunds_page(pay.id, asked.limit(), asked.offset());
            let call = v2_request(Method::Get, target, &legacy_req);
            Ok(page(
                "refunds.list",
                call,
                asked,
                RENAMES,
                move |v: &Refund| refund_to_legacy(v, &clock),
            ))
        },
    ))
}
