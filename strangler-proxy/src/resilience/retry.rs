//! Retrying a request whose connection was refused: only then is it certain
//! that nothing reached the upstream, and only idempotent requests (GET, HEAD,
//! PUT, DELETE, OPTIONS, or one carrying an `Idempotency-Key`) are tried
//! again, after a jittered, doubling wait (`backon`), a bounded number of
//! times, all within the route's timeout. Only buffered requests can be sent
//! twice; streamed ones are not retried.

use crate::proxy::body::Body;
use crate::proxy::forward::{self, Client, UpstreamError};
use crate::settings::ResilienceSettings;
use backon::{ExponentialBuilder, Retryable};
use http::{HeaderMap, Method, Request, Response};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// How refused connections are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Extra tries (0: none).
    pub attempts: u32,
    /// The first wait, before jitter.
    pub min_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// The policy these settings describe.
    pub fn of(settings: &ResilienceSettings) -> Self {
        Self {
            attempts: settings.retry_attempts,
            min_delay: Duration::from_millis(settings.retry_min_delay_ms),
            max_delay: Duration::from_millis(settings.retry_max_delay_ms),
        }
    }

    /// No retries.
    pub const NONE: Self = Self {
        attempts: 0,
        min_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
    };
}

/// Whether a request may be sent again: its method is idempotent, or it
/// carries an idempotency key the upstream honours.
pub fn idempotent(method: &Method, headers: &HeaderMap) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    ) || headers.contains_key("idempotency-key")
}

/// Sends requests to one upstream, retrying refused connections.
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    /// The pooled client.
    pub client: &'a Client,
    /// How refused connections are retried.
    pub policy: &'a RetryPolicy,
    /// Where retries are counted (the upstream's guard), if anywhere.
    pub retries: Option<&'a AtomicU64>,
}

impl Sender<'_> {
    /// Sends the request `build` makes, again while the connection is refused
    /// and the policy and the `timeout` budget allow. `build` is called once
    /// per attempt; a request it cannot build again ends the retries with its
    /// error.
    pub async fn send(
        &self,
        timeout: Duration,
        mut build: impl FnMut() -> Result<Request<Body>, UpstreamError>,
    ) -> Result<Response<forward::PooledBody>, UpstreamError> {
        let first = build()?;
        if self.policy.attempts == 0 || !idempotent(first.method(), first.headers()) {
            return forward::send(self.client, first, timeout).await;
        }
        let deadline = Instant::now() + timeout;
        let mut first = Some(first);
        let attempt = || {
            let req = first.take().map_or_else(&mut build, Ok);
            let left = deadline.saturating_duration_since(Instant::now());
            async move { forward::send(self.client, req?, left).await }
        };
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.policy.min_delay)
            .with_max_delay(self.policy.max_delay)
            .with_max_times(self.policy.attempts as usize)
            .with_jitter();
        attempt
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(UpstreamError::nothing_sent)
            // A wait that would end past the deadline is not worth starting.
            .adjust(|_, wait| wait.filter(|w| Instant::now() + *w < deadline))
            .notify(|e, wait| {
                if let Some(retries) = self.retries {
                    retries.fetch_add(1, Ordering::Relaxed);
                }
                let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
                tracing::debug!(error = %e, wait_ms, "connection refused; retrying");
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_requests_are_idempotent() {
        let none = HeaderMap::new();
        for m in [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ] {
            assert!(idempotent(&m, &none), "{m}");
        }
        assert!(!idempotent(&Method::POST, &none));
        assert!(!idempotent(&Method::PATCH, &none));
        let mut keyed = HeaderMap::new();
        keyed.insert("idempotency-key", http::HeaderValue::from_static("k-1"));
        assert!(idempotent(&Method::POST, &keyed));
    }
}
