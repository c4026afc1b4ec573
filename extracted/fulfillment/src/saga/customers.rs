//! The saga's customers port: the customers context stays in the monolith, so
//! a `place_order` start asks it (`GET /api/v1/customers/{id}`) whether the
//! customer exists before anything is reserved, and keeps the billing details
//! of that answer with the saga for the invoice to print (as the monolith
//! reads them when it places an order): the `issue_invoice` step, first try
//! or repeat, asks no second time.

use super::call::{CallError, Remote};
use payment_api::BillingDetails;
use platform::Problem;
use reqwest::Method;
use serde::Deserialize;
use std::time::Duration;

/// The part of the monolith's customer (legacy shape) the saga reads.
#[derive(Deserialize)]
struct LegacyCustomer {
    bill: LegacyBilling,
}

/// The monolith's billing details: `{nm, ln1, city, zip, ctry}`.
#[derive(Deserialize)]
struct LegacyBilling {
    nm: String,
    ln1: String,
    city: String,
    zip: String,
    ctry: String,
}

/// The customers' owner (the monolith) at `base`.
#[derive(Clone)]
pub(crate) struct CustomersClient {
    remote: Remote,
}

impl CustomersClient {
    pub(crate) fn new(base: &str, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            remote: Remote::new(base, timeout)?,
        })
    }

    /// The customer's billing details, which the order's invoice prints;
    /// an unknown customer refuses the order with the monolith's own 422,
    /// an owner that cannot answer now is a 503, so nothing starts and the
    /// client repeats with the same key. The start keeps them with the saga.
    pub(crate) async fn billing_for_order(
        &self,
        legacy_id: i64,
    ) -> Result<BillingDetails, Problem> {
        match self.billing(legacy_id).await {
            Ok(billing) => Ok(billing),
            Err(e) if e.status() == Some(404) => Err(Problem::unprocessable(format!(
                "customer {legacy_id} does not exist"
            ))
            .with("field", "customer_legacy_id")),
            Err(CallError::Transient(error)) => Err(Problem::unavailable(format!(
                "the customers' owner cannot be reached ({error}); nothing was started, \
                 repeat the request with the same Idempotency-Key"
            ))),
            // Any other refusal is a misconfigured port, not the client's fault.
            Err(CallError::Business(problem)) => Err(Problem::new(
                actix_web::http::StatusCode::BAD_GATEWAY,
                "customers-port-refused",
                format!("the customers' owner refused the lookup: {problem}"),
            )),
        }
    }

    /// The customer's billing details as the owner holds them now: for a
    /// start (above), and at the invoice of a saga started before starts
    /// kept them. A customer gone meanwhile is the owner's business answer.
    pub(crate) async fn billing(&self, legacy_id: i64) -> Result<BillingDetails, CallError> {
        let path = format!("/api/v1/customers/{legacy_id}");
        let req = self.remote.request(Method::GET, &path);
        let customer: LegacyCustomer = self.remote.send(&path, req).await?;
        let b = customer.bill;
        Ok(BillingDetails {
            name: b.nm,
            line1: b.ln1,
            city: b.city,
            postal_code: b.zip,
            country: b.ctry,
        })
    }
}
