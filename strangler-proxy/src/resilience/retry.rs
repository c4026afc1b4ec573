//! Retrying a request whose connection was refused: only then is it certain
//! that nothing reached the upstream, and only idempotent requests (GET, HEAD,
//! PUT, DELETE, OPTIONS, or one carrying an `Idempotency-Key`) are tried
//! again, after a jittered, doubling wait (`backon`), a bounded number of
//! times, all within the route's timeout. Only buffered requests can be sent
//! twice; streamed ones are not retried.

use crate::proxy::body::Body;
use crate::proxy::forward::{self, Client, UpstreamError};
use crate::settings::ResilienceSettings;
use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
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
    idempotent_method(method.as_str()) || headers.contains_key("idempotency-key")
}

/// Whether the method `name` is idempotent (RFC 9110 §9.2.2).
pub fn idempotent_method(name: &str) -> bool {
    matches!(name, "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS")
}

/// Sends requests to one upstream, retrying refused connections.
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    /// The pooled client.
    pub client: &'a Client,
    /// How refused connections are retried, and where that is counted.
    pub retries: Retries<'a>,
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
        let mut attempts = self
            .retries
            .attempts(timeout, idempotent(first.method(), first.headers()));
        let mut req = first;
        loop {
            let e = match forward::send(self.client, req, attempts.left()).await {
                Err(e) => e,
                done => return done,
            };
            if !attempts.wait_for_another(&e).await {
                return Err(e);
            }
            req = build()?;
        }
    }
}

/// A route's retry policy for one request, and the counter its retries go to.
#[derive(Debug, Clone, Copy)]
pub struct Retries<'a> {
    /// How refused connections are retried.
    pub policy: &'a RetryPolicy,
    /// Where retries are counted (the upstream's guard), if anywhere.
    pub counted: Option<&'a AtomicU64>,
}

impl Retries<'_> {
    /// None, counted nowhere (shadow copies are best effort).
    pub const NONE: Retries<'static> = Retries {
        policy: &RetryPolicy::NONE,
        counted: None,
    };

    /// The attempts at a request within `timeout`: more than one only when
    /// it is `repeatable` and the policy allows retries.
    pub fn attempts(&self, timeout: Duration, repeatable: bool) -> Attempts<'_> {
        let waits = (self.policy.attempts > 0 && repeatable).then(|| {
            ExponentialBuilder::default()
                .with_min_delay(self.policy.min_delay)
                .with_max_delay(self.policy.max_delay)
                .with_max_times(self.policy.attempts as usize)
                .with_jitter()
                .build()
        });
        Attempts {
            deadline: Instant::now() + timeout,
            waits,
            counted: self.counted,
        }
    }
}

/// The attempts at one request: the time each has, and whether another
/// follows a failure.
pub struct Attempts<'a> {
    deadline: Instant,
    /// The waits before each retry; `None`: no retry.
    waits: Option<ExponentialBackoff>,
    counted: Option<&'a AtomicU64>,
}

impl Attempts<'_> {
    /// The time the next attempt has.
    pub fn left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// After an attempt failed with `e`: whether another follows (nothing
    /// was sent, a retry is left, and its wait ends before the deadline),
    /// once the jittered, doubling wait is over.
    pub async fn wait_for_another(&mut self, e: &UpstreamError) -> bool {
        if !e.nothing_sent() {
            return false;
        }
        // A wait that would end past the deadline is not worth starting.
        let Some(wait) = (self.waits.as_mut())
            .and_then(Iterator::next)
            .filter(|w| Instant::now() + *w < self.deadline)
        else {
            return false;
        };
        if let Some(counted) = self.counted {
            counted.fetch_add(1, Ordering::Relaxed);
        }
        let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        tracing::debug!(error = %e, wait_ms, "connection refused; retrying");
        tokio::time::sleep(wait).await;
        true
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
