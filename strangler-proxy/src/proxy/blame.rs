//! Blame where it belongs: what the client did wrong or slowly never counts
//! against an upstream (its breaker, the watchdog's error rate and p99).
//!
//! - A request body is watched while it streams ([`watch`]): when it broke
//!   (bad framing, the client gone) the exchange's failure is the client's,
//!   answered `400` (not the `502` of a failed upstream); the time of its
//!   last byte splits the request's time into the client's (receiving the
//!   body) and the upstream's (from the last byte to the response head).
//! - An answer the proxy makes for a client's mistake (a refused path, a
//!   broken or too large body, input the translator refuses) carries a
//!   [`ClientFault`]: the guard's call is dropped unreported (neither success
//!   nor failure) and [`Proxy::record`] counts it as a client error only.
//!
//! [`Proxy::record`] is the one place a request's outcome is counted, for
//! the data plane and the relay alike.

use super::Proxy;
use super::body::{self, Body, BoxError};
use crate::metrics::{ClientError, Timeout};
use crate::routes::Route;
use crate::stats::{Backend, NewSideOutcome, Stats};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use hyper::body::{Body as _, Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Marks an answer made for the client's own mistake (a response extension).
#[derive(Debug, Clone, Copy)]
pub struct ClientFault(pub ClientError);

/// `res` marked as the client's fault of `kind`.
pub fn client_fault(mut res: Response<Body>, kind: ClientError) -> Response<Body> {
    res.extensions_mut().insert(ClientFault(kind));
    res
}

/// The client's fault an answer carries, if any.
pub fn fault_of(res: &Response<Body>) -> Option<ClientError> {
    res.extensions().get::<ClientFault>().map(|fault| fault.0)
}

/// For the upstream's breaker: whether it failed (`5xx`), or `None` when the
/// answer is the client's fault and counts neither way.
pub fn upstream_failed(res: &Response<Body>) -> Option<bool> {
    fault_of(res)
        .is_none()
        .then(|| res.status().is_server_error())
}

/// What became of a request body, as it streamed.
#[derive(Debug)]
pub struct Received {
    since: Instant,
    /// Nanoseconds from `since` to the last frame read, plus one; 0: none yet.
    last: AtomicU64,
    broken: AtomicBool,
    /// It broke because it made no progress within the body timeout.
    stalled: AtomicBool,
    /// Its end was read.
    ended: AtomicBool,
}

impl Received {
    /// When the body's last frame (or its end) was read.
    pub fn last_byte(&self) -> Option<Instant> {
        match self.last.load(Ordering::Relaxed) {
            0 => None,
            nanos => Some(self.since + Duration::from_nanos(nanos - 1)),
        }
    }

    /// Whether the body broke (bad framing, the client went away, or it
    /// stalled).
    pub fn broken(&self) -> bool {
        self.broken.load(Ordering::Relaxed)
    }

    /// Whether the body's end was read.
    pub fn ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }

    /// Whether the body stalled: no bytes within the body timeout.
    pub fn stalled(&self) -> bool {
        self.stalled.load(Ordering::Relaxed)
    }

    fn touch(&self) {
        let nanos = u64::try_from(self.since.elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
        self.last.store(nanos + 1, Ordering::Relaxed);
    }
}

/// Watches `req`'s body as it streams (see [`Received`]), failing it when
/// no bytes come for `timeout` (nginx's `client_body_timeout`); `None`,
/// and nothing allocated, for a request without one.
pub fn watch(req: &mut Request<Body>, since: Instant, timeout: Duration) -> Option<Arc<Received>> {
    if req.body().is_end_stream() {
        return None;
    }
    let received = Arc::new(Received {
        since,
        last: AtomicU64::new(0),
        broken: AtomicBool::new(false),
        stalled: AtomicBool::new(false),
        ended: AtomicBool::new(false),
    });
    let inner = std::mem::replace(req.body_mut(), body::empty());
    *req.body_mut() = body::stream(Watched {
        inner,
        received: received.clone(),
        timeout,
        stall: Box::pin(tokio::time::sleep(timeout)),
        waiting: false,
    });
    req.extensions_mut().insert(received.clone());
    Some(received)
}

/// The watch [`watch`] put on `req`, for a stage that consumes it.
pub fn watched(req: &Request<Body>) -> Option<Arc<Received>> {
    req.extensions().get::<Arc<Received>>().cloned()
}

/// The answer to a request whose body broke: `408` (and the connection
/// closes) when it stalled, else `400`.
pub fn broken_body(received: Option<&Received>, detail: impl std::fmt::Display) -> Response<Body> {
    if received.is_some_and(Received::stalled) {
        let mut res = body::problem(
            StatusCode::REQUEST_TIMEOUT,
            "body-timeout",
            &format!("{detail}; send the body without pauses"),
        );
        res.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
        return client_fault(res, ClientError::BodyTimeout);
    }
    let detail = format!("the request body could not be read: {detail}");
    client_fault(
        body::problem(StatusCode::BAD_REQUEST, "bad-body", &detail),
        ClientError::BadBody,
    )
}

/// Counts a client's fault (and the body timeout behind one).
pub(crate) fn count_fault(stats: &Stats, fault: ClientError) {
    stats.metrics().client_error(fault);
    if fault == ClientError::BodyTimeout {
        stats.metrics().timed_out(Timeout::Body);
    }
}

struct Watched {
    inner: Body,
    received: Arc<Received>,
    timeout: Duration,
    /// Runs out when the client sent nothing for `timeout` while it was
    /// waited for.
    stall: Pin<Box<tokio::time::Sleep>>,
    /// The client is being waited for (the last poll found nothing): the
    /// timer runs from when the wait began, never from a frame read long
    /// ago while the upstream was slow to take it.
    waiting: bool,
}

impl hyper::body::Body for Watched {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(_))) | Poll::Ready(None) => {
                self.waiting = false;
                self.received.touch();
                if matches!(polled, Poll::Ready(None)) || self.inner.is_end_stream() {
                    self.received.ended.store(true, Ordering::Relaxed);
                }
            }
            Poll::Ready(Some(Err(_))) => self.received.broken.store(true, Ordering::Relaxed),
            Poll::Pending => {
                if !self.waiting {
                    self.waiting = true;
                    let until = tokio::time::Instant::now() + self.timeout;
                    self.stall.as_mut().reset(until);
                }
                if self.stall.as_mut().poll(cx).is_ready() {
                    self.received.stalled.store(true, Ordering::Relaxed);
                    self.received.broken.store(true, Ordering::Relaxed);
                    let ms = self.timeout.as_millis();
                    let stalled = format!("no bytes of the request body came for {ms} ms");
                    return Poll::Ready(Some(Err(stalled.into())));
                }
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// One answered request of a route, as [`Proxy::record`] counts it.
pub struct Answered {
    /// The mode it was served in.
    pub mode: super::decide::Mode,
    /// Who answered.
    pub backend: Backend,
    /// The new side was asked (or refused by its guard) first.
    pub new_side: bool,
    /// The answer's status.
    pub status: u16,
    /// When its head came in.
    pub started: Instant,
    /// When its body's last byte came in, when it had one.
    pub last_byte: Option<Instant>,
    /// The client's fault, when the answer is one.
    pub fault: Option<ClientError>,
}

impl Proxy {
    /// Counts one answered request of `route`; its latency in ms for the log
    /// line (the upstream's: from the request's last byte to the answer).
    /// A client's fault is counted as one and never as the new side's.
    pub fn record(&self, route: &Route, answered: &Answered) -> u64 {
        record(&self.stats, route, answered)
    }
}

/// [`Proxy::record`], with the proxy's counters `stats`.
fn record(stats: &Stats, route: &Route, answered: &Answered) -> u64 {
    let now = Instant::now();
    let from = answered.last_byte.unwrap_or(answered.started);
    let upstream = now.saturating_duration_since(from);
    if let Some(last_byte) = answered.last_byte {
        let client = last_byte.saturating_duration_since(answered.started);
        stats.metrics().client_body(client);
    }
    route
        .counters
        .answered(answered.mode, answered.backend, answered.status, upstream);
    let latency_ms = u64::try_from(upstream.as_millis()).unwrap_or(u64::MAX);
    if let Some(fault) = answered.fault {
        count_fault(stats, fault);
        return latency_ms;
    }
    if answered.new_side && answered.backend != Backend::Legacy {
        // The new side served, or failed and the monolith did.
        let fell_back = answered.backend == Backend::LegacyFallback;
        route.counters.new_side(NewSideOutcome {
            at: now,
            latency_ms,
            failed: fell_back || answered.status >= 500,
            fell_back,
            status: answered.status,
        });
    }
    latency_ms
}

#[cfg(test)]
mod tests;
