//! The saga's client of the payment service's `/v2` API (the `payment-api`
//! contract crate): payments, refunds and invoices. A business answer (4xx: declined, refused, invalid) fails
//! the step; a transient failure is retried (see [`super::call`]).

use super::call::{CallError, Remote};
use payment_api::paths;
use payment_api::{
    CreatePayment, CreateRefund, Invoice, InvoiceStatus, IssueInvoice, Money, Page, Payment,
};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

/// The payment service at `base`.
#[derive(Clone)]
pub(crate) struct PaymentsClient {
    remote: Remote,
}

impl PaymentsClient {
    pub(crate) fn new(base: &str, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            remote: Remote::new(base, timeout)?,
        })
    }

    /// Authorises (and for a card captures) the payment of an order.
    pub(crate) async fn create(
        &self,
        key: &str,
        req: &CreatePayment,
    ) -> Result<Payment, CallError> {
        self.call(Method::POST, paths::PAYMENTS, Some(key), Some(req))
            .await
    }

    pub(crate) async fn by_legacy_id(&self, legacy_id: i64) -> Result<Payment, CallError> {
        self.call::<_, ()>(
            Method::GET,
            &paths::payment_by_legacy_id(legacy_id),
            None,
            None,
        )
        .await
    }

    /// Every payment of the order (an order has a handful at most).
    pub(crate) async fn of_order(&self, order_legacy_id: i64) -> Result<Vec<Payment>, CallError> {
        let path = paths::payments_for_order(order_legacy_id, 100, 0);
        let page: Page<Payment> = self.call::<_, ()>(Method::GET, &path, None, None).await?;
        Ok(page.data)
    }

    pub(crate) async fn capture(&self, key: &str, id: Uuid) -> Result<Payment, CallError> {
        self.call::<_, ()>(Method::POST, &paths::capture(id), Some(key), None)
            .await
    }

    pub(crate) async fn void(&self, key: &str, id: Uuid) -> Result<Payment, CallError> {
        self.call::<_, ()>(Method::POST, &paths::void(id), Some(key), None)
            .await
    }

    /// Returns `amount` of the payment's captured money.
    pub(crate) async fn refund(
        &self,
        key: &str,
        id: Uuid,
        amount: Money,
        reason: &str,
    ) -> Result<Value, CallError> {
        let body = CreateRefund {
            legacy_id: None,
            amount,
            reason: reason.to_owned(),
            created_at: None,
        };
        self.call(Method::POST, &paths::refunds(id), Some(key), Some(&body))
            .await
    }

    /// Issues an invoice (status `open`).
    pub(crate) async fn issue_invoice(
        &self,
        key: &str,
        req: &IssueInvoice,
    ) -> Result<Invoice, CallError> {
        self.call(Method::POST, paths::INVOICES, Some(key), Some(req))
            .await
    }

    /// Every invoice of the order (an order has one, a handful at most).
    pub(crate) async fn invoices_of(
        &self,
        order_legacy_id: i64,
    ) -> Result<Vec<Invoice>, CallError> {
        let path = paths::invoices_for_order(order_legacy_id, 100, 0);
        let page: Page<Invoice> = self.call::<_, ()>(Method::GET, &path, None, None).await?;
        Ok(page.data)
    }

    /// Moves an invoice to `to`: `paid` (from `open`), `void` (from `open`)
    /// or `credited` (from `paid`); the service refuses any other move (409).
    pub(crate) async fn invoice_to(
        &self,
        key: &str,
        id: Uuid,
        to: InvoiceStatus,
    ) -> Result<Invoice, CallError> {
        let path = match to {
            InvoiceStatus::Paid => paths::invoice_pay(id),
            InvoiceStatus::Void => paths::invoice_void(id),
            InvoiceStatus::Credited => paths::invoice_credit(id),
            InvoiceStatus::Open => {
                return Err(CallError::Business(serde_json::json!({
                    "status": 409,
                    "detail": format!("invoice {id} cannot be reopened"),
                })));
            }
        };
        self.call::<_, ()>(Method::POST, &path, Some(key), None)
            .await
    }

    async fn call<T: DeserializeOwned, B: serde::Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&B>,
    ) -> Result<T, CallError> {
        let mut req = self.remote.request(method, path);
        if let Some(key) = key {
            req = req.header(payment_api::headers::IDEMPOTENCY_KEY, key);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        self.remote.send(path, req).await
    }
}
