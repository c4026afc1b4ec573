//! The proxy's timeouts beyond each route's own (`timeout_ms`, the
//! upstream's answer head): the client side's, and the total deadline of a
//! request on the data plane. Where each runs: the head and idle timers in
//! the client codecs (`crate::server`), the body's in [`super::blame`], the
//! total around the data plane's request (`Proxy::handle_decided`). Each
//! that runs out is counted in `strangler_timeouts_total{kind}`.

use super::body::{self, Body};
use super::{Proxy, blame, forward};
use crate::metrics::Timeout;
use http::{HeaderValue, Response, StatusCode};
use std::time::Duration;

/// The client side's timeouts and the total deadline (`[proxy]`
/// `*_timeout_ms`; the upstream's is each route's `timeout_ms`).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// For a request head to arrive whole.
    pub header: Duration,
    /// For a keep-alive connection between requests.
    pub idle: Duration,
    /// Between two reads of a request body.
    pub body: Duration,
    /// From a request's head to its response head.
    pub total: Duration,
}

impl Timeouts {
    /// From the `[proxy]` settings.
    pub fn of(settings: &crate::settings::ProxySettings) -> Self {
        let ms = Duration::from_millis;
        Self {
            header: ms(settings.header_timeout_ms),
            idle: ms(settings.idle_timeout_ms),
            body: ms(settings.body_timeout_ms),
            total: ms(settings.total_timeout_ms),
        }
    }
}

impl Proxy {
    /// The answer to a request that had no response head within the total
    /// deadline: `408` (and close) while its body was still coming, else
    /// `504`. What it was waiting for is dropped.
    pub(super) fn total_timeout(&self, received: Option<&blame::Received>) -> Response<Body> {
        self.stats.metrics().timed_out(Timeout::Total);
        let ms = self.timeouts.total.as_millis();
        if received.is_some_and(|body| !body.ended()) {
            let mut res = body::problem(
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                &format!("the request body was not whole within {ms} ms"),
            );
            res.headers_mut()
                .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
            return res;
        }
        body::problem(
            StatusCode::GATEWAY_TIMEOUT,
            "request-timeout",
            &format!("the request had no answer within {ms} ms"),
        )
    }

    /// Counts an upstream's failure to answer where it is a timeout.
    pub(crate) fn upstream_error(&self, e: &forward::UpstreamError) {
        if matches!(e, forward::UpstreamError::Timeout(_)) {
            self.stats.metrics().timed_out(Timeout::Upstream);
        }
    }
}
