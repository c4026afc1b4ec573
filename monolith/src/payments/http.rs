//! `/api/v1/payments`, `/api/v1/invoices` and the per-order payment and invoice
//! lists: the legacy wire shapes and their handlers.

use super::domain;
use super::port::Via;
use super::store::{self, InvoiceRow, PaymentRow, RefundRow};
use crate::legacy::{LegacyClock, Page, PageParams, page};
use crate::ports::Ports;
use actix_web::{HttpResponse, get, post, web};
use platform::Problem;
use platform::db::Db;
use platform::json::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the module's routes (under `/api/v1`).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(read_payment)
        .service(payments_of_order)
        .service(create_refund)
        .service(refunds_of_payment)
        .service(read_invoice)
        .service(invoices_of_order);
}

/// A payment, legacy shape.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentWire {
    /// Id.
    pub id: i64,
    /// Order id.
    pub ord: i64,
    /// Authorised amount, minor units.
    pub amt: i64,
    /// ISO 4217 code.
    pub cur: String,
    /// A authorised, C captured, P partially refunded, R refunded, V voided.
    pub st: String,
    /// Captured, minor units.
    pub cap: i64,
    /// Refunded so far, minor units.
    pub rfd: i64,
    /// `card` or `invoice`.
    pub pm: String,
    /// Created, legacy local time.
    pub crt: String,
    /// Last changed, legacy local time.
    pub upd: String,
}

/// Body of `POST /payments/{id}/refunds`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRefundWire {
    /// Amount to refund, minor units, more than 0.
    pub amt: i64,
    /// Why.
    pub rsn: String,
}

/// A refund, legacy shape.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RefundWire {
    /// Id.
    pub id: i64,
    /// Payment id.
    pub pay: i64,
    /// Amount, minor units.
    pub amt: i64,
    /// ISO 4217 code.
    pub cur: String,
    /// Why.
    pub rsn: String,
    /// Created, legacy local time.
    pub crt: String,
}

/// Billing details printed on an invoice.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvoiceBillingWire {
    /// Name on the bill.
    pub nm: String,
    /// Street line.
    pub ln1: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip: String,
    /// ISO 3166 alpha-2 country.
    pub ctry: String,
}

/// An invoice, legacy shape.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvoiceWire {
    /// Id.
    pub id: i64,
    /// Invoice number, `INV-` and at least six digits.
    pub no: String,
    /// Order id.
    pub ord: i64,
    /// Customer id.
    pub cust: i64,
    /// Amount, minor units.
    pub amt: i64,
    /// ISO 4217 code.
    pub cur: String,
    /// O open, P paid, V void, C credited.
    pub st: String,
    /// Billing details when issued.
    pub bill: InvoiceBillingWire,
    /// Issued, legacy local time.
    pub iss: String,
}

impl PaymentWire {
    pub(super) fn show(p: PaymentRow, clock: &LegacyClock) -> Self {
        Self {
            id: p.id,
            ord: p.order_id,
            amt: p.amount,
            cur: p.currency,
            st: p.status,
            cap: p.captured,
            rfd: p.refunded,
            pm: p.method,
            crt: clock.show(p.created_at),
            upd: clock.show(p.updated_at),
        }
    }
}

impl RefundWire {
    pub(super) fn show(r: RefundRow, clock: &LegacyClock) -> Self {
        Self {
            id: r.id,
            pay: r.payment_id,
            amt: r.amount,
            cur: r.currency,
            rsn: r.reason,
            crt: clock.show(r.created_at),
        }
    }
}

impl InvoiceWire {
    pub(super) fn show(i: InvoiceRow, clock: &LegacyClock) -> Self {
        Self {
            id: i.id,
            no: format!("INV-{:06}", i.id),
            ord: i.order_id,
            cust: i.customer_id,
            amt: i.amount,
            cur: i.currency,
            st: i.status,
            bill: InvoiceBillingWire {
                nm: i.bill_name,
                ln1: i.bill_line1,
                city: i.bill_city,
                zip: i.bill_zip,
                ctry: i.bill_country,
            },
            iss: clock.show(i.issued_at),
        }
    }
}

/// Reads one payment.
#[utoipa::path(tag = "payments", params(("id" = i64, Path)), responses((status = 200, body = PaymentWire), (status = 404)))]
#[get("/payments/{id}")]
async fn read_payment(
    db: web::Data<Db>,
    clock: web::Data<LegacyClock>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let row = db.read(move |conn| store::payment(conn, id)).await?;
    Ok(HttpResponse::Ok().json(PaymentWire::show(row, &clock)))
}

/// Lists an order's payments.
#[utoipa::path(tag = "payments", params(("id" = i64, Path), PageParams), responses((status = 200, body = Page<PaymentWire>)))]
#[get("/orders/{id}/payments")]
async fn payments_of_order(
    db: web::Data<Db>,
    clock: web::Data<LegacyClock>,
    id: web::Path<i64>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    page::respond(
        &db,
        query.into_inner(),
        move |conn, page| store::payments_of_order(conn, id, page),
        |p| PaymentWire::show(p, &clock),
    )
    .await
}

/// Refunds part or all of a captured payment. A payment the payment service
/// owns is refunded there, through the payments port, never here.
#[utoipa::path(tag = "payments", params(("id" = i64, Path)), request_body = NewRefundWire, responses(
    (status = 201, body = RefundWire), (status = 404), (status = 409, description = "not captured, or more than refundable"), (status = 422)))]
#[post("/payments/{id}/refunds")]
async fn create_refund(
    req: actix_web::HttpRequest,
    db: web::Data<Db>,
    ports: web::Data<Ports>,
    clock: web::Data<LegacyClock>,
    id: web::Path<i64>,
    body: Json<NewRefundWire>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let amount = domain::refund_amount(body.amt)?;
    let reason = crate::legacy::text("rsn", &body.rsn, 200)?;
    if let Via::Remote(remote) = ports.payments.for_write(&db, id).await? {
        let key = req
            .headers()
            .get(payment_api::headers::IDEMPOTENCY_KEY)
            .and_then(|v| v.to_str().ok());
        let refund = remote.refund(id, amount, &reason, key).await?;
        return Ok(HttpResponse::Created().json(refund));
    }
    let refund = db
        .write(move |conn| {
            let refund = store::refund(conn, id, amount, &reason, LegacyClock::now())?;
            super::sync::payment_changed(conn, id)?;
            Ok::<_, crate::error::AppError>(refund)
        })
        .await?;
    Ok(HttpResponse::Created().json(RefundWire::show(refund, &clock)))
}

/// Lists a payment's refunds.
#[utoipa::path(tag = "payments", params(("id" = i64, Path), PageParams), responses((status = 200, body = Page<RefundWire>), (status = 404)))]
#[get("/payments/{id}/refunds")]
async fn refunds_of_payment(
    db: web::Data<Db>,
    clock: web::Data<LegacyClock>,
    id: web::Path<i64>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    page::respond(
        &db,
        query.into_inner(),
        move |conn, page| store::refunds_of_payment(conn, id, page),
        |r| RefundWire::show(r, &clock),
    )
    .await
}

/// Reads one invoice.
#[utoipa::path(tag = "invoices", params(("id" = i64, Path)), responses((status = 200, body = InvoiceWire), (status = 404)))]
#[get("/invoices/{id}")]
async fn read_invoice(
    db: web::Data<Db>,
    clock: web::Data<LegacyClock>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let row = db.read(move |conn| store::invoice(conn, id)).await?;
    Ok(HttpResponse::Ok().json(InvoiceWire::show(row, &clock)))
}

/// Lists an order's invoices.
#[utoipa::path(tag = "invoices", params(("id" = i64, Path), PageParams), responses((status = 200, body = Page<InvoiceWire>)))]
#[get("/orders/{id}/invoices")]
async fn invoices_of_order(
    db: web::Data<Db>,
    clock: web::Data<LegacyClock>,
    id: web::Path<i64>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    page::respond(
        &db,
        query.into_inner(),
        move |conn, page| store::invoices_of_order(conn, id, page),
        |i| InvoiceWire::show(i, &clock),
    )
    .await
}
