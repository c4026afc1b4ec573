//! `/api/v1/customers`: the legacy wire shapes and their handlers.

use super::domain::{self, Billing, Customer, NewCustomer};
use super::store;
use crate::legacy::{LegacyClock, Page, PageParams, page};
use actix_web::{HttpResponse, get, post, put, web};
use platform::Problem;
use platform::db::Db;
use platform::json::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the module's routes (under `/api/v1`).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(read)
        .service(update_billing);
}

/// Legacy billing details.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingWire {
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

/// Body of `POST /customers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomerWire {
    /// Name.
    pub nm: String,
    /// E-mail address.
    pub eml: String,
    /// Billing details.
    pub bill: BillingWire,
}

/// A customer, legacy shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerWire {
    /// Id.
    pub id: i64,
    /// Name.
    pub nm: String,
    /// E-mail address.
    pub eml: String,
    /// Billing details.
    pub bill: BillingWire,
    /// Created, legacy local time.
    pub crt: String,
}

impl BillingWire {
    fn parse(&self) -> Result<Billing, Problem> {
        Ok(Billing::parse(
            &self.nm, &self.ln1, &self.city, &self.zip, &self.ctry,
        )?)
    }

    fn show(b: Billing) -> Self {
        Self {
            nm: b.name,
            ln1: b.line1,
            city: b.city,
            zip: b.zip,
            ctry: b.country,
        }
    }
}

impl CustomerWire {
    fn show(c: Customer, clock: &LegacyClock) -> Self {
        Self {
            id: c.id,
            nm: c.name,
            eml: c.email,
            bill: BillingWire::show(c.billing),
            crt: clock.show(c.created_at),
        }
    }
}

/// Creates a customer.
#[utoipa::path(tag = "customers", request_body = NewCustomerWire, responses(
    (status = 201, body = CustomerWire), (status = 422, description = "invalid field", content_type = "application/problem+json")))]
#[post("/customers")]
async fn create(
    db: web::Data<Db>,
    clock: web::Data<LegacyClock>,
    body: Json<NewCustomerWire>,
) -> Result<HttpResponse, Problem> {
    let body = body.into_inner();
    let new = NewCustomer {
        name: crate::legacy::text("nm", &body.nm, 200)?,
        email: domain::email(&body.eml)?,
        billing: body.bill.parse()?,
    };
    let now = LegacyClock::now();
    let customer = db.write(move |conn| store::insert(conn, &new, now)).await?;
    Ok(HttpResponse::Created().json(CustomerWire::show(customer, &clock)))
}

/// Lists customers, oldest first.
#[utoipa::path(tag = "customers", params(PageParams), responses((status = 200, body = inline(Page<CustomerWire>))))]
#[get("/customers")]
async fn list(
    db: web::Data<Db>,
    clock: web::Data<LegacyClock>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, Problem> {
    page::respond(&db, query.into_inner(), store::list, |c| {
        CustomerWire::show(c, &clock)
    })
    .await
}

/// Reads one customer.
#[utoipa::path(tag = "customers", params(("id" = i64, Path)), responses((status = 200, body = CustomerWire), (status = 404)))]
#[get("/customers/{id}")]
async fn read(
    db: web::Data<Db>,
    clock: web::Data<LegacyClock>,
    id: web::Path<i64>,
) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    let customer = db.read(move |conn| store::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(CustomerWire::show(customer, &clock)))
}

/// Replaces a customer's billing details.
#[utoipa::path(tag = "customers", params(("id" = i64, Path)), request_body = BillingWire, responses((status = 200, body = CustomerWire), (status = 404)))]
#[put("/customers/{id}/billing")]
async fn update_billing(
    db: web::Data<Db>,
    clock: web::Data<LegacyClock>,
    id: web::Path<i64>,
    body: Json<BillingWire>,
) -> Result<HttpResponse, Problem> {
    let (id, billing) = (id.into_inner(), body.parse()?);
    let customer = db
        .write(move |conn| store::update_billing(conn, id, &billing))
        .await?;
    Ok(HttpResponse::Ok().json(CustomerWire::show(customer, &clock)))
}
