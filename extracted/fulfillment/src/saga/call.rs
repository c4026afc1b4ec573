//! One JSON call to a service the saga depends on (the payment service, the
//! monolith as the customers' owner), its answer sorted into what the saga
//! acts on: done, a business answer (4xx) or a transient failure (timeout,
//! connection error, 408, 429, 5xx) worth repeating. Each call carries the
//! current span's trace context, so the other service's spans join the
//! saga's trace.

use platform::trace_context::{TRACEPARENT, TRACESTATE, TraceContext};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

/// Why a call did not succeed.
#[derive(Debug, Clone)]
pub(crate) enum CallError {
    /// The service answered no (its problem document, status included).
    Business(Value),
    /// The call may succeed if repeated.
    Transient(String),
}

impl CallError {
    /// The status of a business answer.
    pub(crate) fn status(&self) -> Option<u64> {
        match self {
            Self::Business(problem) => problem["status"].as_u64(),
            Self::Transient(_) => None,
        }
    }

    /// The service refused the call's idempotency key as already used with
    /// another body (`platform::idempotency`: a 422 naming the header).
    pub(crate) fn key_reused(&self) -> bool {
        match self {
            Self::Business(problem) => {
                problem["status"] == 422 && problem["header"] == platform::idempotency::HEADER
            }
            Self::Transient(_) => false,
        }
    }
}

/// A service at `base`, called with the saga's request timeout.
#[derive(Clone)]
pub(crate) struct Remote {
    client: reqwest::Client,
    base: String,
}

impl Remote {
    pub(crate) fn new(base: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    /// A request to `path`, carrying the trace context.
    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(trace) = TraceContext::current() {
            req = req.header(TRACEPARENT, &trace.traceparent);
            if let Some(state) = &trace.tracestate {
                req = req.header(TRACESTATE, state);
            }
        }
        req
    }

    /// Sends `req` (to `path`) and sorts its answer.
    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        path: &str,
        req: RequestBuilder,
    ) -> Result<T, CallError> {
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
