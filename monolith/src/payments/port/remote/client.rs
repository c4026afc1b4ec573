//! One call to the payment service's `/v2` API, its problem answers mapped to
//! the monolith's errors: 402 declined, 404 not found, 409 conflict, 400/422
//! invalid; anything else, or no answer, is the service's failure (502).

use crate::error::{AppError, AppResult};
use payment_api::headers::IDEMPOTENCY_KEY;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The payment service's base URL and an HTTP client.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    /// Calls sent and not answered yet (shared by clones).
    in_flight: Arc<AtomicUsize>,
}

/// One call counted in flight until it is dropped.
struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Client {
    /// A client of the service at `base` (`http://127.0.0.1:8082`), each
    /// call bounded by `timeout`.
    pub fn new(base: &str, timeout: Duration) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            in_flight: Arc::default(),
        })
    }

    /// Calls sent and not answered yet (a call whose caller went away
    /// counts until then; each is bounded by the client's timeout).
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// `GET path`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> AppResult<T> {
        self.send(Method::GET, path, None::<&()>, None).await
    }

    /// `POST path` with a JSON `body` (none: an empty one) and, for a create,
    /// the idempotency `key` that makes a repeat replay the first answer.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<&impl Serialize>,
        key: Option<&str>,
    ) -> AppResult<T> {
        self.send(Method::POST, path, body, key).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
        key: Option<&str>,
    ) -> AppResult<T> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let _counted = InFlight(self.in_flight.clone());
        let url = format!("{}{path}", self.base);
        let mut req = self.http.request(method.clone(), &url);
        if let Some(body) = body {
            req = req.json(body);
        }
        if let Some(key) = key {
            req = req.header(IDEMPOTENCY_KEY, key);
        }
        let res = req.send().await.map_err(|e| {
            AppError::Upstream(format!(
                "the payment service did not answer {method} {path}: {e}"
            ))
        })?;
        let status = res.status();
        if status.is_success() {
            return res.json().await.map_err(|e| {
                AppError::Upstream(format!(
                    "the payment service answered {method} {path} with a body it should not: {e}"
                ))
            });
        }
        let detail = res
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|p| p["detail"].as_str().map(str::to_owned))
            .unwrap_or_else(|| status.to_string());
        Err(match status {
            StatusCode::PAYMENT_REQUIRED => AppError::PaymentDeclined(detail),
            StatusCode::NOT_FOUND => AppError::NotFound(detail),
            StatusCode::CONFLICT => AppError::Conflict(detail),
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => AppError::Invalid(detail),
            _ => AppError::Upstream(format!(
                "the payment service answered {method} {path} with {status}: {detail}"
            )),
        })
    }
}
