//! The saga's client of the payment service's `/v2` API (the `payment-api`
//! contract crate). Every answer is sorted into what the saga acts on: done,
//! a business answer (4xx: declined, refused, invalid) that fails the step, or
//! a transient failure (timeout, connection error, 408, 429, 5xx) to retry.
//! Each call carries the current span's trace context, so the payment
//! service's spans join the saga's trace.

use payment_api::paths;
use payment_api::{CreatePayment, CreateRefund, Money, Page, Payment};
use platform::trace_context::{TRACEPARENT, TRACESTATE, TraceContext};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

/// Why a call did not succeed.
#[derive(Debug, Clone)]
pub(crate) enum CallError {
    /// The payment service answered no (its problem document, status included).
    Business(Value),
    /// The call may succeed if repeated.
    Transient(String),
}

/// The payment service at `base`.
#[derive(Clone)]
pub(crate) struct PaymentsClient {
    client: reqwest::Client,
    base: String,
}

impl PaymentsClient {
    pub(crate) fn new(base: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
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

    async fn call<T: DeserializeOwned, B: serde::Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&B>,
    ) -> Result<T, CallError> {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(key) = key {
            req = req.header(payment_api::headers::IDEMPOTENCY_KEY, key);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        if let Some(trace) = TraceContext::current() {
            req = req.header(TRACEPARENT, &trace.traceparent);
            if let Some(state) = &trace.tracestate {
                req = req.header(TRACESTATE, state);
            }
        }
        let res = req
            .send()
            .await
            .map_err(|e| CallError::Transient(format!("{path}: {e}")))?;
        let status = res.status();
        let text = res
            .text()
            .await
            .map_err(|e| CallError::Transient(format!("{path}: reading the answer: {e}")))?;
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|e| {
                CallError::Transient(format!("{path}: unreadable {status} answer: {e}"))
            });
        }
        if transient(status) {
            return Err(CallError::Transient(format!(
                "{path}: answered {status}: {}",
                excerpt(&text)
            )));
        }
        let problem = serde_json::from_str::<Value>(&text)
            .ok()
            .filter(Value::is_object)
            .unwrap_or_else(
                || serde_json::json!({"status": status.as_u16(), "detail": excerpt(&text)}),
            );
        Err(CallError::Business(problem))
    }
}

/// Answers worth repeating the same request for.
fn transient(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
}

/// The start of an answer, for the saga's `last_error`.
fn excerpt(text: &str) -> &str {
    let end = text.char_indices().nth(300).map_or(text.len(), |(i, _)| i);
    &text[..end]
}
